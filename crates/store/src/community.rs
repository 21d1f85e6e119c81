//! [`CommunityStore`]: one community's snapshot and change log on disk.
//!
//! Files in `communities/<id>/`:
//! - `snapshot-<seq>.am`: a full compacted save (framed by [`crate::frame`]);
//! - `log-<seq>.wal`: the change log, one checked record per durable write since that
//!   snapshot ([`crate::log`]); compaction starts a new one;
//! - `chunk-<seq>.am`: one write's changes as a file of its own, as earlier releases
//!   stored them; still read, and folded away by the next compaction;
//! - `quarantine/`: damaged files and log records set aside by loading, kept for inspection;
//! - `local-<name>`: small device-local settings (never synced).

use std::fs;
use std::path::{Path, PathBuf};

use automerge::{AutoCommit, ChangeHash};

use crate::atomic::{
    create_dir_durably, remove_leftover_tmp, sync_dir, write_durably, write_synced,
};
use crate::error::StoreError;
use crate::frame;
use crate::log::{self, ChangeLog, LOG_MAGIC, LOG_PREFIX, LOG_SUFFIX, log_name};

/// Compact once this many writes have gathered since the last snapshot.
pub const DEFAULT_COMPACT_AFTER: usize = 64;

const SNAPSHOT_PREFIX: &str = "snapshot-";
const CHUNK_PREFIX: &str = "chunk-";
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
    /// The log new writes are appended to.
    log: ChangeLog,
    /// Files the next snapshot folds away: older logs (a compaction cut short) and chunks
    /// of earlier releases, with how many writes each holds.
    folded: Vec<(PathBuf, usize)>,
    snapshots: Vec<(u64, PathBuf)>,
    saved_heads: Vec<ChangeHash>,
    compact_after: usize,
    compact_on_persist: bool,
}

fn file_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}{seq:020}{SUFFIX}")
}

fn parse_seq(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?
        .strip_suffix(suffix)?
        .parse()
        .ok()
}

/// Writes a full snapshot of `doc` as `snapshot-<seq>.am`, durably.
fn write_snapshot(dir: &Path, seq: u64, doc: &mut AutoCommit) -> Result<PathBuf, StoreError> {
    let name = file_name(SNAPSHOT_PREFIX, seq);
    write_durably(dir, &name, &frame::encode(&doc.save()), 0o600)?;
    Ok(dir.join(name))
}

pub(crate) fn create(dir: PathBuf, doc: &mut AutoCommit) -> Result<CommunityStore, StoreError> {
    create_dir_durably(&dir)?;
    let snapshot = write_snapshot(&dir, 1, doc)?;
    let log = ChangeLog::create(&dir, 2)?;
    Ok(CommunityStore {
        dir,
        next_seq: 3,
        log,
        folded: Vec::new(),
        snapshots: vec![(1, snapshot)],
        saved_heads: doc.get_heads(),
        compact_after: DEFAULT_COMPACT_AFTER,
        compact_on_persist: true,
    })
}

/// Creates a store at `dir` (which must not exist) by building it in a hidden folder beside
/// it and moving that into place: it appears whole or not at all, with four flushes to disk
/// instead of the six of [`create`] (a new member receives thousands of side documents).
pub(crate) fn create_staged(
    dir: PathBuf,
    doc: &mut AutoCommit,
) -> Result<CommunityStore, StoreError> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return create(dir, doc);
    };
    let staging = parent.join(format!(".new-{}", name.to_string_lossy()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(StoreError::io("removing", &staging))?;
    }
    fs::create_dir(&staging).map_err(StoreError::io("creating directory", &staging))?;
    let built = (|| {
        let snapshot = file_name(SNAPSHOT_PREFIX, 1);
        write_synced(&staging.join(&snapshot), &frame::encode(&doc.save()), 0o600)?;
        write_synced(&staging.join(log_name(2)), LOG_MAGIC, 0o600)?;
        sync_dir(&staging)?;
        fs::rename(&staging, &dir).map_err(StoreError::io("moving into place", &dir))?;
        sync_dir(parent)?;
        Ok::<_, StoreError>(snapshot)
    })();
    let snapshot = match built {
        Ok(snapshot) => snapshot,
        Err(error) => {
            // A full disk must not keep half a document taking the space it lacks.
            let _ = fs::remove_dir_all(&staging);
            return Err(error);
        }
    };
    let log = ChangeLog::open(dir.join(log_name(2)), LOG_MAGIC.len() as u64, 0)?;
    Ok(CommunityStore {
        snapshots: vec![(1, dir.join(snapshot))],
        dir,
        next_seq: 3,
        log,
        folded: Vec::new(),
        saved_heads: doc.get_heads(),
        compact_after: DEFAULT_COMPACT_AFTER,
        compact_on_persist: true,
    })
}

/// One change log as read at load: its path and sequence number, and how much of it is
/// whole records (where appending continues).
struct ReadLog {
    seq: u64,
    path: PathBuf,
    len: u64,
    records: usize,
}

pub(crate) fn load(id: &str, dir: PathBuf) -> Result<Loaded, StoreError> {
    remove_leftover_tmp(&dir)?;
    let mut snapshots = Vec::new();
    let mut chunks = Vec::new();
    let mut logs = Vec::new();
    let entries = fs::read_dir(&dir).map_err(StoreError::io("listing", &dir))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(seq) = parse_seq(&name, SNAPSHOT_PREFIX, SUFFIX) {
            snapshots.push((seq, entry.path()));
        } else if let Some(seq) = parse_seq(&name, CHUNK_PREFIX, SUFFIX) {
            chunks.push((seq, entry.path()));
        } else if let Some(seq) = parse_seq(&name, LOG_PREFIX, LOG_SUFFIX) {
            logs.push((seq, entry.path()));
        }
    }
    snapshots.sort();
    chunks.sort();
    logs.sort();

    let mut problems = Vec::new();
    // The newest readable snapshot is the base; older ones are leftovers of a compaction.
    let mut doc: Option<AutoCommit> = None;
    let mut base_seq = 0;
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
                base_seq = *seq;
                good_snapshots.push((*seq, path.clone()));
            }
            Err(reason) => problems.push(set_aside(&dir, path, reason)?),
        }
    }
    let mut doc = doc.unwrap_or_default();
    let mut folded = Vec::new();
    for (_, path) in &chunks {
        match read_payload(path).and_then(|payload| {
            doc.load_incremental(&payload)
                .map_err(|e| format!("not readable changes: {e}"))
        }) {
            Ok(_) => folded.push((path.clone(), 1)),
            Err(reason) => problems.push(set_aside(&dir, path, reason)?),
        }
    }
    let mut good_logs = Vec::new();
    for (seq, path) in &logs {
        if let Some((len, records)) = read_log(&dir, path, &mut doc, &mut problems)? {
            good_logs.push(ReadLog {
                seq: *seq,
                path: path.clone(),
                len,
                records,
            });
        }
    }
    let written = good_logs.iter().any(|l| l.records > 0);
    if good_snapshots.is_empty() && folded.is_empty() && !written && !problems.is_empty() {
        return Err(StoreError::NothingReadable {
            id: id.to_owned(),
            path: dir,
        });
    }
    good_snapshots.sort();
    let mut next_seq = snapshots
        .iter()
        .chain(&chunks)
        .chain(&logs)
        .map(|(seq, _)| seq + 1)
        .max()
        .unwrap_or(1);
    // Appending continues in the newest log, unless a snapshot was taken after it (a
    // compaction cut short before its new log existed): then a new log starts.
    let current = match good_logs.pop() {
        Some(newest) if newest.seq > base_seq => {
            ChangeLog::open(newest.path, newest.len, newest.records)?
        }
        newest => {
            good_logs.extend(newest);
            next_seq += 1;
            ChangeLog::create(&dir, next_seq - 1)?
        }
    };
    folded.extend(good_logs.into_iter().map(|l| (l.path, l.records)));
    let saved_heads = doc.get_heads();
    let mut store = CommunityStore {
        dir,
        next_seq,
        log: current,
        folded,
        snapshots: good_snapshots,
        saved_heads,
        compact_after: DEFAULT_COMPACT_AFTER,
        compact_on_persist: true,
    };
    store.maybe_compact(&mut doc)?;
    Ok(Loaded {
        store,
        doc,
        problems,
    })
}

/// Applies the records of the change log at `path` to `doc`. Damaged records are set
/// aside (named in `problems`) and the log rewritten without them; a log that is not one
/// at all is set aside whole (`None`). Returns the length of the log's whole records and
/// how many there are.
fn read_log(
    dir: &Path,
    path: &Path,
    doc: &mut AutoCommit,
    problems: &mut Vec<LoadProblem>,
) -> Result<Option<(u64, usize)>, StoreError> {
    let bytes = fs::read(path).map_err(StoreError::io("reading", path))?;
    if bytes.len() < LOG_MAGIC.len() && LOG_MAGIC.starts_with(&bytes) {
        // Created but never finished (cut short before its first record): start it afresh.
        let name = file_name_of(path);
        write_durably(dir, &name, LOG_MAGIC, 0o600)?;
        return Ok(Some((LOG_MAGIC.len() as u64, 0)));
    }
    if !bytes.starts_with(LOG_MAGIC) {
        let reason = "not a Commonroom change log (wrong magic bytes)".to_owned();
        problems.push(set_aside(dir, path, reason)?);
        return Ok(None);
    }
    let scan = log::scan(&bytes);
    let mut damaged: Vec<(std::ops::Range<usize>, String)> = scan
        .damaged
        .iter()
        .map(|(range, why)| (range.clone(), (*why).to_owned()))
        .collect();
    let mut good = Vec::new();
    for record in &scan.records {
        match doc.load_incremental(&bytes[record.clone()]) {
            Ok(_) => good.push(record.clone()),
            Err(e) => damaged.push((
                record.start - log::RECORD_HEADER_LEN..record.end,
                format!("not readable changes: {e}"),
            )),
        }
    }
    if damaged.is_empty() {
        return Ok(Some((scan.end as u64, good.len())));
    }
    damaged.sort_by_key(|(range, _)| range.start);
    for (range, reason) in damaged {
        let name = format!("{}.at-{}", file_name_of(path), range.start);
        let moved_to = keep_in_quarantine(dir, &name, &bytes[range.clone()])?;
        problems.push(LoadProblem {
            path: path.to_path_buf(),
            reason: format!("the record at byte {}: {reason}", range.start),
            moved_to: Some(moved_to),
        });
    }
    // Rewrite the log with its good records only, so the damage is reported once.
    let mut kept = LOG_MAGIC.to_vec();
    for record in &good {
        kept.extend_from_slice(&bytes[record.start - log::RECORD_HEADER_LEN..record.end]);
    }
    write_durably(dir, &file_name_of(path), &kept, 0o600)?;
    Ok(Some((kept.len() as u64, good.len())))
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads the device-local setting `name` of the community stored in `dir`, if set.
///
/// Settings are framed and checksummed like the rest; one found damaged is named in a
/// warning, set aside in `quarantine/` and read as unset (the node falls back: for the
/// known-peer list, to every device the document names). A plain file written by an
/// earlier release is read as it is.
pub(crate) fn read_local(dir: &Path, name: &str) -> Result<Option<String>, StoreError> {
    let path = dir.join(format!("local-{name}"));
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io("reading", &path)(e)),
    };
    let text = if bytes.starts_with(frame::MAGIC) {
        frame::decode(&bytes).and_then(|payload| {
            String::from_utf8(payload.to_vec()).map_err(|_| "not text".to_owned())
        })
    } else {
        String::from_utf8(bytes).map_err(|_| "not text, and not a Commonroom file".to_owned())
    };
    match text {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(reason) => {
            let problem = set_aside(dir, &path, reason)?;
            tracing::warn!("{problem}; carrying on without it");
            Ok(None)
        }
    }
}

fn read_payload(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    frame::decode(&bytes).map(<[u8]>::to_vec)
}

fn set_aside(dir: &Path, path: &Path, reason: String) -> Result<LoadProblem, StoreError> {
    let quarantine = dir.join(QUARANTINE);
    create_dir_durably(&quarantine)?;
    let target = free_name(&quarantine, &file_name_of(path));
    fs::rename(path, &target).map_err(StoreError::io("setting aside", path))?;
    sync_dir(dir)?;
    sync_dir(&quarantine)?;
    Ok(LoadProblem {
        path: path.to_path_buf(),
        reason,
        moved_to: Some(target),
    })
}

/// Writes `bytes` (a damaged piece of a file) into `quarantine/` durably; returns where.
fn keep_in_quarantine(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let quarantine = dir.join(QUARANTINE);
    create_dir_durably(&quarantine)?;
    let target = free_name(&quarantine, name);
    let name = file_name_of(&target);
    write_durably(&quarantine, &name, bytes, 0o600)?;
    Ok(target)
}

/// `dir/name`, or `dir/name.<n>` for the first `n` not taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let mut target = dir.join(name);
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    target
}

impl CommunityStore {
    /// The community's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Compact after this many writes (tests use small values to exercise compaction).
    pub fn set_compact_after(&mut self, chunks: usize) {
        self.compact_after = chunks.max(1);
    }

    /// Whether `persist` compacts by itself when enough writes gathered (the default).
    /// A long-running node turns this off and calls [`CommunityStore::maybe_compact`] when
    /// the community is quiet, keeping compaction off the path of live edits.
    pub fn set_compact_on_persist(&mut self, on: bool) {
        self.compact_on_persist = on;
    }

    /// How many writes the next snapshot would fold (records in the change logs, and
    /// chunk files of earlier releases).
    pub fn pending_writes(&self) -> usize {
        self.log.records() + self.folded.iter().map(|(_, n)| n).sum::<usize>()
    }

    /// Writes every change of `doc` not yet on disk as one log record; durable when this
    /// returns.
    ///
    /// Returns whether anything was written. Compacts when enough writes have gathered.
    pub fn persist(&mut self, doc: &mut AutoCommit) -> Result<bool, StoreError> {
        let bytes = doc.save_after(&self.saved_heads);
        if bytes.is_empty() {
            return Ok(false);
        }
        self.log.append(&bytes)?;
        self.saved_heads = doc.get_heads();
        if self.compact_on_persist {
            self.maybe_compact(doc)?;
        }
        Ok(true)
    }

    /// The newest compacted snapshot as stored (checked), if there is one. Cheaper than a
    /// fresh save for handing a whole community to a new member; it may lack the latest
    /// writes, which sync then sends.
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
        self.log.append(raw_changes)?;
        self.saved_heads = doc.get_heads();
        if self.compact_on_persist {
            self.maybe_compact(doc)?;
        }
        Ok(())
    }

    /// Compacts if enough writes have gathered.
    pub fn maybe_compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        if self.pending_writes() >= self.compact_after {
            self.compact(doc)?;
        }
        Ok(())
    }

    /// Writes a full snapshot and starts a new change log, then deletes the logs, chunks
    /// and older snapshots the snapshot contains.
    ///
    /// Skipped while the document waits for missing dependencies: changes still pending
    /// are not part of a save, so the records holding them must stay.
    pub fn compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        if !doc.get_missing_deps(&[]).is_empty() {
            return Ok(());
        }
        let seq = self.next_seq;
        let snapshot = write_snapshot(&self.dir, seq, doc)?;
        self.next_seq += 1;
        self.snapshots.push((seq, snapshot));
        let log = ChangeLog::create(&self.dir, self.next_seq)?;
        self.next_seq += 1;
        let old_log = std::mem::replace(&mut self.log, log);
        // The snapshot is durable: only now may the files it contains go.
        let older_snapshots = self.snapshots.iter().filter(|(s, _)| *s != seq);
        let gone: Vec<PathBuf> = older_snapshots
            .map(|(_, path)| path.clone())
            .chain(self.folded.drain(..).map(|(path, _)| path))
            .chain([old_log.path().to_path_buf()])
            .collect();
        self.snapshots.retain(|(s, _)| *s == seq);
        drop(old_log);
        for path in gone {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("removing compacted", &path)(e)),
            }
        }
        sync_dir(&self.dir)?;
        self.saved_heads = doc.get_heads();
        Ok(())
    }

    /// Reads a small device-local setting (not synced), if set.
    pub fn read_local(&self, name: &str) -> Result<Option<String>, StoreError> {
        read_local(&self.dir, name)
    }

    /// Writes a small device-local setting durably.
    pub fn write_local(&self, name: &str, value: &str) -> Result<(), StoreError> {
        write_durably(
            &self.dir,
            &format!("local-{name}"),
            &frame::encode(value.as_bytes()),
            0o600,
        )
    }
}
