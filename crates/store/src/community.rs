//! [`CommunityStore`]: one community's snapshot and change chunks on disk.
//!
//! Files in `communities/<id>/`:
//! - `snapshot-<seq>.am`: a full compacted save containing every chunk up to `<seq>`;
//! - `chunk-<seq>.am`: the changes of one write, in Automerge's incremental format;
//! - `quarantine/`: damaged files set aside by loading, kept for inspection;
//! - `local-<name>`: small device-local settings (never synced).
//!
//! Every payload is wrapped in the checked frame of [`crate::frame`].

use std::fs;
use std::path::{Path, PathBuf};

use automerge::{AutoCommit, ChangeHash};

use crate::atomic::{create_dir_durably, remove_leftover_tmp, sync_dir, write_durably};
use crate::error::StoreError;
use crate::frame;

/// Compact once this many chunks have accumulated.
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
    chunks: Vec<(u64, PathBuf)>,
    snapshots: Vec<(u64, PathBuf)>,
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
    if good_snapshots.is_empty() && good_chunks.is_empty() && !problems.is_empty() {
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

    /// Number of change chunks on disk.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Writes every change of `doc` not yet on disk as one chunk; durable when this returns.
    ///
    /// Returns whether anything was written. Compacts when enough chunks have accumulated.
    pub fn persist(&mut self, doc: &mut AutoCommit) -> Result<bool, StoreError> {
        let bytes = doc.save_after(&self.saved_heads);
        if bytes.is_empty() {
            return Ok(false);
        }
        let seq = self.next_seq;
        let name = file_name(CHUNK_PREFIX, seq);
        write_durably(&self.dir, &name, &frame::encode(&bytes), 0o600)?;
        self.next_seq += 1;
        self.chunks.push((seq, self.dir.join(name)));
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
        let seq = self.next_seq;
        let name = file_name(CHUNK_PREFIX, seq);
        write_durably(&self.dir, &name, &frame::encode(raw_changes), 0o600)?;
        self.next_seq += 1;
        self.chunks.push((seq, self.dir.join(name)));
        self.saved_heads = doc.get_heads();
        if self.compact_on_persist {
            self.maybe_compact(doc)?;
        }
        Ok(())
    }

    /// Compacts if enough chunks have accumulated.
    pub fn maybe_compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        if self.chunks.len() >= self.compact_after {
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
        write_durably(
            &self.dir,
            &format!("local-{name}"),
            &frame::encode(value.as_bytes()),
            0o600,
        )
    }
}
