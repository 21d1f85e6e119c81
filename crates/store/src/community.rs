//! [`CommunityStore`]: one community's snapshot and change chunks on disk.
//!
//! Files in `communities/<id>/`:
//! - `snapshot-<seq>.am`: a full compacted save containing every chunk up to `<seq>`;
//! - `changes.log`: the changes of each write since the last snapshot, one framed record
//!   per write, appended and `fdatasync`ed (one flush per write: the file and its directory
//!   entry already exist); emptied by compaction;
//! - `chunk-<seq>.am`: the changes of one write, as earlier versions stored them (still
//!   read, and removed by the next compaction);
//! - `quarantine/`: damaged files set aside by loading, kept for inspection;
//! - `local-<name>`: small device-local settings (never synced).
//!
//! Every payload is wrapped in the checked frame of [`crate::frame`].

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use automerge::{AutoCommit, ChangeHash};

use crate::atomic::{create_dir_durably, remove_leftover_tmp, sync_dir, write_durably};
use crate::error::StoreError;
use crate::frame;

/// Compact once this many chunks have accumulated.
pub const DEFAULT_COMPACT_AFTER: usize = 64;

const SNAPSHOT_PREFIX: &str = "snapshot-";
const CHUNK_PREFIX: &str = "chunk-";
const LOG: &str = "changes.log";
const SUFFIX: &str = ".am";
const QUARANTINE: &str = "quarantine";

/// A damaged file found while loading, and where it was moved.
#[derive(Debug, Clone)]
pub struct LoadProblem {
    /// The damaged file's original path.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
    /// Where it was set aside.
    pub moved_to: Option<PathBuf>,
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is damaged ({})", self.path.display(), self.reason)?;
        if let Some(to) = &self.moved_to {
            write!(f, "; set aside as {}", to.display())?;
        }
        Ok(())
    }
}

/// A community loaded from disk.
#[derive(Debug)]
pub struct Loaded {
    /// The store to write further changes through.
    pub store: CommunityStore,
    /// The document.
    pub doc: AutoCommit,
    /// Damaged files that were set aside; the rest loaded.
    pub problems: Vec<LoadProblem>,
}

/// Writes one community's changes durably and compacts them.
#[derive(Debug)]
pub struct CommunityStore {
    dir: PathBuf,
    next_seq: u64,
    chunks: Vec<(u64, PathBuf)>,
    snapshots: Vec<(u64, PathBuf)>,
    /// The change log, once opened for appending.
    log: Option<File>,
    /// Records in the change log since the last compaction.
    log_records: usize,
    saved_heads: Vec<ChangeHash>,
    compact_after: usize,
    compact_on_persist: bool,
}

fn file_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}{seq:020}{SUFFIX}")
}

fn parse_seq(name: &str, prefix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?
        .strip_suffix(SUFFIX)?
        .parse()
        .ok()
}

pub(crate) fn create(dir: PathBuf, doc: &mut AutoCommit) -> Result<CommunityStore, StoreError> {
    create_dir_durably(&dir)?;
    let mut store = CommunityStore {
        dir,
        next_seq: 1,
        chunks: Vec::new(),
        snapshots: Vec::new(),
        log: None,
        log_records: 0,
        saved_heads: Vec::new(),
        compact_after: DEFAULT_COMPACT_AFTER,
        compact_on_persist: true,
    };
    store.compact(doc)?;
    Ok(store)
}

pub(crate) fn load(id: &str, dir: PathBuf) -> Result<Loaded, StoreError> {
    remove_leftover_tmp(&dir)?;
    let mut snapshots = Vec::new();
    let mut chunks = Vec::new();
    let entries = fs::read_dir(&dir).map_err(StoreError::io("listing", &dir))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(seq) = parse_seq(&name, SNAPSHOT_PREFIX) {
            snapshots.push((seq, entry.path()));
        } else if let Some(seq) = parse_seq(&name, CHUNK_PREFIX) {
            chunks.push((seq, entry.path()));
        }
    }
    snapshots.sort();
    chunks.sort();

    let mut problems = Vec::new();
    // The newest readable snapshot is the base; older ones are leftovers of a compaction.
    let mut doc: Option<AutoCommit> = None;
    let mut good_snapshots = Vec::new();
    for (seq, path) in snapshots.iter().rev() {
        if doc.is_some() {
            good_snapshots.push((*seq, path.clone()));
            continue;
        }
        match read_payload(path).and_then(|payload| {
            AutoCommit::load(payload.as_slice())
                .map_err(|e| format!("not a readable document: {e}"))
        }) {
            Ok(loaded) => {
                doc = Some(loaded);
                good_snapshots.push((*seq, path.clone()));
            }
            Err(reason) => problems.push(set_aside(&dir, path, reason)?),
        }
    }
    let mut doc = doc.unwrap_or_default();
    let mut good_chunks = Vec::new();
    for (seq, path) in &chunks {
        match read_payload(path).and_then(|payload| {
            doc.load_incremental(&payload)
                .map_err(|e| format!("not readable changes: {e}"))
        }) {
            Ok(_) => good_chunks.push((*seq, path.clone())),
            Err(reason) => problems.push(set_aside(&dir, path, reason)?),
        }
    }
    let log = read_log(&dir, &mut doc)?;
    let damaged_log = log.problem.is_some();
    problems.extend(log.problem);
    if good_snapshots.is_empty()
        && good_chunks.is_empty()
        && log.records == 0
        && !problems.is_empty()
    {
        return Err(StoreError::NothingReadable {
            id: id.to_owned(),
            path: dir,
        });
    }
    good_snapshots.sort();
    let next_seq = good_snapshots
        .iter()
        .chain(&good_chunks)
        .chain(&snapshots)
        .chain(&chunks)
        .map(|(seq, _)| seq + 1)
        .max()
        .unwrap_or(1);
    let saved_heads = doc.get_heads();
    let mut store = CommunityStore {
        dir,
        next_seq,
        chunks: good_chunks,
        snapshots: good_snapshots,
        log: None,
        log_records: log.records,
        saved_heads,
        compact_after: DEFAULT_COMPACT_AFTER,
        compact_on_persist: true,
    };
    if damaged_log {
        // What could be read is in `doc`: a snapshot of it replaces the damaged log.
        store.compact(&mut doc)?;
    } else {
        store.maybe_compact(&mut doc)?;
    }
    Ok(Loaded {
        store,
        doc,
        problems,
    })
}

/// Reads the device-local setting `name` of the community stored in `dir`, if set.
pub(crate) fn read_local(dir: &Path, name: &str) -> Result<Option<String>, StoreError> {
    let path = dir.join(format!("local-{name}"));
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("reading", &path)(e)),
    }
}

/// What loading the change log found.
struct LogRead {
    /// Records applied.
    records: usize,
    /// Damage found (the log was copied to quarantine first).
    problem: Option<LoadProblem>,
}

/// Applies every intact record of the change log to `doc`.
///
/// A record cut short at the end is a write that never finished (so never acknowledged):
/// it is dropped and the log trimmed back to the last whole record. A damaged record
/// elsewhere is reported, with a copy of the log set aside; the records around it load.
fn read_log(dir: &Path, doc: &mut AutoCommit) -> Result<LogRead, StoreError> {
    let path = dir.join(LOG);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LogRead {
                records: 0,
                problem: None,
            });
        }
        Err(e) => return Err(StoreError::io("reading", &path)(e)),
    };
    let mut at = 0;
    let mut records = 0;
    let mut damage: Vec<String> = Vec::new();
    // Where the next record's magic bytes stand after `from`, if anywhere.
    let next_magic = |from: usize| {
        bytes
            .get(from..)
            .and_then(|tail| {
                tail.windows(frame::MAGIC.len())
                    .position(|w| w == frame::MAGIC)
            })
            .map(|i| from + i)
    };
    while at < bytes.len() {
        let rest = &bytes[at..];
        let whole = frame::announced_len(rest)
            .map(|len| frame::FRAME_HEADER_LEN.saturating_add(len))
            .filter(|end| *end <= rest.len());
        let Some(end) = whole else {
            // Either the last write never finished (nothing follows), or a header is
            // damaged: then another record follows, and reading resumes there.
            match next_magic(at + 1) {
                None => break,
                Some(next) => {
                    damage.push(format!("bytes {at}..{next} are not a whole record"));
                    at = next;
                    continue;
                }
            }
        };
        match frame::decode(&rest[..end]) {
            Ok(payload) => match doc.load_incremental(payload) {
                Ok(_) => records += 1,
                Err(e) => damage.push(format!("record at byte {at}: not readable changes: {e}")),
            },
            Err(reason) => {
                // Its length may be wrong too: resume at the next record's magic bytes.
                damage.push(format!("record at byte {at}: {reason}"));
                at = next_magic(at + 1).unwrap_or(bytes.len());
                continue;
            }
        }
        at += end;
    }
    let problem = if damage.is_empty() {
        if at < bytes.len() {
            // Trim the unfinished write so that new records follow whole ones.
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(StoreError::io("opening", &path))?;
            file.set_len(at as u64)
                .and_then(|()| file.sync_all())
                .map_err(StoreError::io("trimming", &path))?;
        }
        None
    } else {
        let quarantine = dir.join(QUARANTINE);
        create_dir_durably(&quarantine)?;
        let mut target = quarantine.join(LOG);
        let mut n = 1;
        while target.exists() {
            target = quarantine.join(format!("{LOG}.{n}"));
            n += 1;
        }
        fs::copy(&path, &target).map_err(StoreError::io("setting aside", &path))?;
        sync_dir(&quarantine)?;
        Some(LoadProblem {
            path,
            reason: damage.join("; "),
            moved_to: Some(target),
        })
    };
    Ok(LogRead { records, problem })
}

fn read_payload(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    frame::decode(&bytes).map(<[u8]>::to_vec)
}

fn set_aside(dir: &Path, path: &Path, reason: String) -> Result<LoadProblem, StoreError> {
    let quarantine = dir.join(QUARANTINE);
    create_dir_durably(&quarantine)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut target = quarantine.join(&name);
    let mut n = 1;
    while target.exists() {
        target = quarantine.join(format!("{name}.{n}"));
        n += 1;
    }
    fs::rename(path, &target).map_err(StoreError::io("setting aside", path))?;
    sync_dir(dir)?;
    sync_dir(&quarantine)?;
    Ok(LoadProblem {
        path: path.to_path_buf(),
        reason,
        moved_to: Some(target),
    })
}

impl CommunityStore {
    /// The community's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Compact after this many chunks (tests use small values to exercise compaction).
    pub fn set_compact_after(&mut self, chunks: usize) {
        self.compact_after = chunks.max(1);
    }

    /// Whether `persist` compacts by itself when enough chunks accumulated (the default).
    /// A long-running node turns this off and calls [`CommunityStore::maybe_compact`] when
    /// the community is quiet, keeping compaction off the path of live edits.
    pub fn set_compact_on_persist(&mut self, on: bool) {
        self.compact_on_persist = on;
    }

    /// Number of writes on disk since the last compaction (log records and older chunks).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len() + self.log_records
    }

    /// Writes every change of `doc` not yet on disk as one chunk; durable when this returns.
    ///
    /// Returns whether anything was written. Compacts when enough chunks have accumulated.
    pub fn persist(&mut self, doc: &mut AutoCommit) -> Result<bool, StoreError> {
        let bytes = doc.save_after(&self.saved_heads);
        if bytes.is_empty() {
            return Ok(false);
        }
        self.append(&bytes)?;
        self.saved_heads = doc.get_heads();
        if self.compact_on_persist {
            self.maybe_compact(doc)?;
        }
        Ok(true)
    }

    /// The newest compacted snapshot as stored (checked), if there is one. Cheaper than a
    /// fresh save for handing a whole community to a new member; it may lack the latest
    /// chunks, which sync then sends.
    pub fn snapshot_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((_, path)) = self.snapshots.iter().max_by_key(|(seq, _)| *seq) else {
            return Ok(None);
        };
        read_payload(path)
            .map(Some)
            .map_err(|reason| StoreError::Corrupt {
                path: path.clone(),
                reason,
            })
    }

    /// Whether every change up to `heads` is already on disk.
    pub fn has_saved(&self, heads: &[ChangeHash]) -> bool {
        let mut a = self.saved_heads.clone();
        let mut b = heads.to_vec();
        a.sort();
        b.sort();
        a == b
    }

    /// Stores changes exactly as received from a peer (no re-encoding); durable when this returns.
    ///
    /// Only valid when everything before them was saved ([`CommunityStore::has_saved`] with
    /// the heads before receiving); afterwards the store counts `doc`'s heads as saved.
    pub fn persist_received(
        &mut self,
        raw_changes: &[u8],
        doc: &mut AutoCommit,
    ) -> Result<(), StoreError> {
        if raw_changes.is_empty() {
            return Ok(());
        }
        self.append(raw_changes)?;
        self.saved_heads = doc.get_heads();
        if self.compact_on_persist {
            self.maybe_compact(doc)?;
        }
        Ok(())
    }

    /// Appends one record to the change log; durable when this returns.
    fn append(&mut self, payload: &[u8]) -> Result<(), StoreError> {
        let path = self.dir.join(LOG);
        if self.log.is_none() {
            let existed = path.exists();
            let mut options = OpenOptions::new();
            options.append(true).create(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options
                .open(&path)
                .map_err(StoreError::io("opening", &path))?;
            if !existed {
                // The new file's directory entry must be durable too, once.
                file.sync_all().map_err(StoreError::io("syncing", &path))?;
                sync_dir(&self.dir)?;
            }
            self.log = Some(file);
        }
        let Some(file) = self.log.as_mut() else {
            return Ok(());
        };
        file.write_all(&frame::encode(payload))
            .and_then(|()| file.sync_data())
            .map_err(StoreError::io("writing", &path))?;
        self.log_records += 1;
        Ok(())
    }

    /// Compacts if enough writes have accumulated.
    pub fn maybe_compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        if self.chunks.len() + self.log_records >= self.compact_after {
            self.compact(doc)?;
        }
        Ok(())
    }

    /// Writes a full snapshot, then deletes the chunks and older snapshots it contains.
    ///
    /// Skipped while the document waits for missing dependencies: changes still pending
    /// are not part of a save, so their chunks must stay.
    pub fn compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        if !doc.get_missing_deps(&[]).is_empty() {
            return Ok(());
        }
        let seq = self.next_seq;
        let name = file_name(SNAPSHOT_PREFIX, seq);
        let bytes = doc.save();
        write_durably(&self.dir, &name, &frame::encode(&bytes), 0o600)?;
        self.next_seq += 1;
        // The snapshot is durable: only now may the files it contains go.
        for (_, path) in self.chunks.drain(..).chain(self.snapshots.drain(..)) {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("removing compacted", &path)(e)),
            }
        }
        sync_dir(&self.dir)?;
        // Likewise the log: its records are in the snapshot. (A crash before this point
        // leaves them to be applied again on load, which changes nothing.)
        let log = self.dir.join(LOG);
        if self.log_records > 0 || log.exists() {
            let file = match self.log.take() {
                Some(file) => file,
                None => match OpenOptions::new().write(true).open(&log) {
                    Ok(file) => file,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        self.snapshots.push((seq, self.dir.join(name)));
                        self.saved_heads = doc.get_heads();
                        return Ok(());
                    }
                    Err(e) => return Err(StoreError::io("opening", &log)(e)),
                },
            };
            file.set_len(0)
                .and_then(|()| file.sync_all())
                .map_err(StoreError::io("emptying", &log))?;
            self.log = Some(file);
            self.log_records = 0;
        }
        self.snapshots.push((seq, self.dir.join(name)));
        self.saved_heads = doc.get_heads();
        Ok(())
    }

    /// Reads a small device-local setting (not synced), if set.
    pub fn read_local(&self, name: &str) -> Result<Option<String>, StoreError> {
        read_local(&self.dir, name)
    }

    /// Writes a small device-local setting durably.
    pub fn write_local(&self, name: &str, value: &str) -> Result<(), StoreError> {
        write_durably(&self.dir, &format!("local-{name}"), value.as_bytes(), 0o600)
    }
}
