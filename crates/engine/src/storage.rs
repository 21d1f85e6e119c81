//! Where the engine keeps communities: a small trait, with the data directory for real
//! nodes and memory for tests and the simulator (with a disk that can be made to fail).
//!
//! The contract, whatever the backend: a write returns only once it is durable; what a
//! community reopens with after a restart is exactly what was written before it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use automerge::{AutoCommit, ChangeHash};
use commonroom_model::CommunityId;
use commonroom_store::{CommunityStore, DataDir, StoreError};

/// A community read back from storage.
pub struct Opened<C> {
    /// Its storage, to write further changes through.
    pub store: C,
    /// The document as stored.
    pub doc: AutoCommit,
    /// Damaged pieces that were set aside (the rest loaded), in words.
    pub problems: Vec<String>,
}

/// The set of communities on one device.
pub trait Storage {
    /// One community's storage.
    type Community: CommunityStorage;

    /// The ids of the communities stored.
    fn community_ids(&self) -> Result<Vec<CommunityId>, StoreError>;

    /// Reads a community back.
    fn open(&self, id: &CommunityId) -> Result<Opened<Self::Community>, StoreError>;

    /// Stores a new community whole (document and local settings) in one step: it appears
    /// complete or not at all.
    fn create(
        &self,
        id: &CommunityId,
        doc: &mut AutoCommit,
        locals: &[(&str, &str)],
    ) -> Result<Self::Community, StoreError>;

    /// The keys of a community's stored side documents (conversations), sorted.
    fn side_keys(&self, id: &CommunityId) -> Result<Vec<String>, StoreError>;

    /// Reads a side document back; `None` if none was ever stored under `key`.
    fn open_side(
        &self,
        id: &CommunityId,
        key: &str,
    ) -> Result<Option<Opened<Self::Community>>, StoreError>;

    /// Stores a new side document; durable when this returns.
    fn create_side(
        &self,
        id: &CommunityId,
        key: &str,
        doc: &mut AutoCommit,
    ) -> Result<Self::Community, StoreError>;
}

/// One community's durable changes and device-local settings.
pub trait CommunityStorage {
    /// Writes every change of `doc` not yet stored; durable when this returns.
    fn persist(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError>;

    /// Stores changes exactly as a peer sent them (valid only when everything before them
    /// is stored, see [`CommunityStorage::has_saved`]); durable when this returns.
    fn persist_received(&mut self, raw: &[u8], doc: &mut AutoCommit) -> Result<(), StoreError>;

    /// Whether every change up to `heads` is stored.
    fn has_saved(&self, heads: &[ChangeHash]) -> bool;

    /// The whole community as last compacted, to hand to a new member (sync sends the rest).
    fn snapshot_bytes(&self) -> Result<Option<Vec<u8>>, StoreError>;

    /// Folds stored changes into one snapshot if enough have gathered.
    fn maybe_compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError>;

    /// How many stored pieces compaction would fold (zero: nothing to do).
    fn pieces(&self) -> usize;

    /// Reads a device-local setting (never synced).
    fn read_local(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Writes a device-local setting durably.
    fn write_local(&mut self, name: &str, value: &str) -> Result<(), StoreError>;
}

impl Storage for DataDir {
    type Community = CommunityStore;

    fn community_ids(&self) -> Result<Vec<CommunityId>, StoreError> {
        Ok(DataDir::community_ids(self)?
            .into_iter()
            .map(CommunityId::from)
            .collect())
    }

    fn open(&self, id: &CommunityId) -> Result<Opened<CommunityStore>, StoreError> {
        let loaded = self.open_community(id.as_str())?;
        let mut store = loaded.store;
        // A running node compacts when a community is quiet, off the path of live edits.
        store.set_compact_on_persist(false);
        Ok(Opened {
            store,
            doc: loaded.doc,
            problems: loaded.problems.iter().map(ToString::to_string).collect(),
        })
    }

    fn create(
        &self,
        id: &CommunityId,
        doc: &mut AutoCommit,
        locals: &[(&str, &str)],
    ) -> Result<CommunityStore, StoreError> {
        let mut store = self.create_community_with(id.as_str(), doc, locals)?;
        store.set_compact_on_persist(false);
        Ok(store)
    }

    fn side_keys(&self, id: &CommunityId) -> Result<Vec<String>, StoreError> {
        self.side_doc_keys(id.as_str())
    }

    fn open_side(
        &self,
        id: &CommunityId,
        key: &str,
    ) -> Result<Option<Opened<CommunityStore>>, StoreError> {
        Ok(self.open_side_doc(id.as_str(), key)?.map(|loaded| {
            let mut store = loaded.store;
            store.set_compact_on_persist(false);
            Opened {
                store,
                doc: loaded.doc,
                problems: loaded.problems.iter().map(ToString::to_string).collect(),
            }
        }))
    }

    fn create_side(
        &self,
        id: &CommunityId,
        key: &str,
        doc: &mut AutoCommit,
    ) -> Result<CommunityStore, StoreError> {
        let mut store = self.create_side_doc(id.as_str(), key, doc)?;
        store.set_compact_on_persist(false);
        Ok(store)
    }
}

impl CommunityStorage for CommunityStore {
    fn persist(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        CommunityStore::persist(self, doc).map(|_| ())
    }

    fn persist_received(&mut self, raw: &[u8], doc: &mut AutoCommit) -> Result<(), StoreError> {
        CommunityStore::persist_received(self, raw, doc)
    }

    fn has_saved(&self, heads: &[ChangeHash]) -> bool {
        CommunityStore::has_saved(self, heads)
    }

    fn snapshot_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        CommunityStore::snapshot_bytes(self)
    }

    fn maybe_compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        CommunityStore::maybe_compact(self, doc)
    }

    fn pieces(&self) -> usize {
        self.pending_writes()
    }

    fn read_local(&self, name: &str) -> Result<Option<String>, StoreError> {
        CommunityStore::read_local(self, name)
    }

    fn write_local(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        CommunityStore::write_local(self, name, value)
    }
}

/// A side document is kept in memory like a community, under `<community>/docs/<key>`
/// (no community id contains a slash).
const SIDE_SEPARATOR: &str = "/docs/";

fn side_slot(id: &CommunityId, key: &str) -> CommunityId {
    CommunityId::new(format!("{id}{SIDE_SEPARATOR}{key}"))
}

/// What one community holds in memory: what survives a simulated restart.
#[derive(Clone, Debug, Default)]
struct Kept {
    snapshot: Vec<u8>,
    chunks: Vec<Vec<u8>>,
    locals: BTreeMap<String, String>,
}

/// Storage in memory, shared by clones (a "restart" opens the same memory again). Writes
/// fail while [`MemoryStorage::set_failing`] is on, as a full disk would.
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    inner: Arc<Mutex<MemoryInner>>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    communities: BTreeMap<CommunityId, Kept>,
    failing: bool,
}

impl MemoryStorage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every write fail (true) or succeed again (false).
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// Total bytes stored for a community (snapshot and chunks).
    pub fn stored_bytes(&self, id: &CommunityId) -> usize {
        self.lock().communities.get(id).map_or(0, |k| {
            k.snapshot.len() + k.chunks.iter().map(Vec::len).sum::<usize>()
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        match self.inner.lock() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// The error a failing memory disk gives: the one a full disk gives.
fn disk_full(id: &str) -> StoreError {
    StoreError::Io {
        action: "writing",
        path: format!("memory/{id}").into(),
        source: std::io::Error::from(std::io::ErrorKind::StorageFull),
    }
}

impl Storage for MemoryStorage {
    type Community = MemoryCommunity;

    fn community_ids(&self) -> Result<Vec<CommunityId>, StoreError> {
        Ok(self
            .lock()
            .communities
            .keys()
            .filter(|id| !id.as_str().contains(SIDE_SEPARATOR))
            .cloned()
            .collect())
    }

    fn side_keys(&self, id: &CommunityId) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{id}{SIDE_SEPARATOR}");
        Ok(self
            .lock()
            .communities
            .keys()
            .filter_map(|k| k.as_str().strip_prefix(&prefix).map(str::to_owned))
            .collect())
    }

    fn open_side(
        &self,
        id: &CommunityId,
        key: &str,
    ) -> Result<Option<Opened<MemoryCommunity>>, StoreError> {
        let slot = side_slot(id, key);
        if !self.lock().communities.contains_key(&slot) {
            return Ok(None);
        }
        self.open(&slot).map(Some)
    }

    fn create_side(
        &self,
        id: &CommunityId,
        key: &str,
        doc: &mut AutoCommit,
    ) -> Result<MemoryCommunity, StoreError> {
        self.create(&side_slot(id, key), doc, &[])
    }

    fn open(&self, id: &CommunityId) -> Result<Opened<MemoryCommunity>, StoreError> {
        let kept = self
            .lock()
            .communities
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::UnknownCommunity(id.to_string()))?;
        let corrupt = |reason: automerge::AutomergeError| StoreError::Corrupt {
            path: format!("memory/{id}").into(),
            reason: reason.to_string(),
        };
        let mut doc = AutoCommit::load(&kept.snapshot).map_err(corrupt)?;
        for chunk in &kept.chunks {
            doc.load_incremental(chunk).map_err(corrupt)?;
        }
        let saved_heads = doc.get_heads();
        Ok(Opened {
            store: MemoryCommunity {
                id: id.clone(),
                storage: self.clone(),
                saved_heads,
            },
            doc,
            problems: Vec::new(),
        })
    }

    fn create(
        &self,
        id: &CommunityId,
        doc: &mut AutoCommit,
        locals: &[(&str, &str)],
    ) -> Result<MemoryCommunity, StoreError> {
        let mut inner = self.lock();
        if inner.failing {
            return Err(disk_full(id.as_str()));
        }
        if inner.communities.contains_key(id) {
            return Err(StoreError::CommunityExists(id.to_string()));
        }
        let kept = Kept {
            snapshot: doc.save(),
            chunks: Vec::new(),
            locals: locals
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        inner.communities.insert(id.clone(), kept);
        Ok(MemoryCommunity {
            id: id.clone(),
            storage: self.clone(),
            saved_heads: doc.get_heads(),
        })
    }
}

/// One community in [`MemoryStorage`].
#[derive(Debug)]
pub struct MemoryCommunity {
    id: CommunityId,
    storage: MemoryStorage,
    saved_heads: Vec<ChangeHash>,
}

/// Chunks gathered before a memory community compacts.
const MEMORY_COMPACT_AFTER: usize = 64;

impl MemoryCommunity {
    fn write(&mut self, f: impl FnOnce(&mut Kept)) -> Result<(), StoreError> {
        let mut inner = self.storage.lock();
        if inner.failing {
            return Err(disk_full(self.id.as_str()));
        }
        let kept = inner.communities.entry(self.id.clone()).or_default();
        f(kept);
        Ok(())
    }
}

impl CommunityStorage for MemoryCommunity {
    fn persist(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        let bytes = doc.save_after(&self.saved_heads);
        if bytes.is_empty() {
            return Ok(());
        }
        self.write(|kept| kept.chunks.push(bytes))?;
        self.saved_heads = doc.get_heads();
        Ok(())
    }

    fn persist_received(&mut self, raw: &[u8], doc: &mut AutoCommit) -> Result<(), StoreError> {
        if raw.is_empty() {
            return Ok(());
        }
        self.write(|kept| kept.chunks.push(raw.to_vec()))?;
        self.saved_heads = doc.get_heads();
        Ok(())
    }

    fn has_saved(&self, heads: &[ChangeHash]) -> bool {
        let mut a = self.saved_heads.clone();
        let mut b = heads.to_vec();
        a.sort();
        b.sort();
        a == b
    }

    fn snapshot_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .storage
            .lock()
            .communities
            .get(&self.id)
            .map(|k| k.snapshot.clone()))
    }

    fn maybe_compact(&mut self, doc: &mut AutoCommit) -> Result<(), StoreError> {
        if self.pieces() < MEMORY_COMPACT_AFTER || !doc.get_missing_deps(&[]).is_empty() {
            return Ok(());
        }
        let snapshot = doc.save();
        self.write(|kept| {
            kept.snapshot = snapshot;
            kept.chunks.clear();
        })?;
        self.saved_heads = doc.get_heads();
        Ok(())
    }

    fn pieces(&self) -> usize {
        self.storage
            .lock()
            .communities
            .get(&self.id)
            .map_or(0, |k| k.chunks.len())
    }

    fn read_local(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .storage
            .lock()
            .communities
            .get(&self.id)
            .and_then(|k| k.locals.get(name).cloned()))
    }

    fn write_local(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.write(|kept| {
            kept.locals.insert(name, value);
        })
    }
}
