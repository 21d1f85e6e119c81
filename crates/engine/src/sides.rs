//! A community's side documents (conversations) as the engine holds them: each opened from
//! its own storage the first time it is needed, written through that storage, and the heads
//! of every stored one known for sync, without keeping them all open.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use commonroom_model::CommunityId;
use commonroom_model::conversations::{ConversationIndex, DocKey, SideDoc};
use commonroom_store::StoreError;

use crate::error::EngineError;
use crate::storage::{CommunityStorage, Storage};

/// One open side document and its storage (none until its first durable write: a document
/// made from its genesis to reply or to sync into is stored only once it holds something).
pub(crate) struct SideSlot<C> {
    pub(crate) doc: SideDoc,
    store: Option<C>,
}

/// The side documents of one community.
pub(crate) struct Sides<C> {
    open: BTreeMap<DocKey, SideSlot<C>>,
    /// Heads of every side document this device has, once first listed (kept current from
    /// then on), so a connection can say what it has without opening every thread.
    heads: Option<BTreeMap<DocKey, Vec<ChangeHash>>>,
    /// The conversation index as last read, and the heads it was read at.
    index: Option<(Vec<ChangeHash>, ConversationIndex)>,
}

impl<C: CommunityStorage> Default for Sides<C> {
    fn default() -> Self {
        Self {
            open: BTreeMap::new(),
            heads: None,
            index: None,
        }
    }
}

impl<C: CommunityStorage> Sides<C> {
    /// The document `key`: open already, read from storage, or started from its genesis.
    pub(crate) fn get<S: Storage<Community = C>>(
        &mut self,
        storage: &S,
        community: &CommunityId,
        key: &DocKey,
        actor: [u8; 16],
    ) -> Result<&mut SideSlot<C>, StoreError> {
        if !self.open.contains_key(key) {
            let slot = match storage.open_side(community, &key.encode())? {
                Some(opened) => {
                    for problem in &opened.problems {
                        tracing::warn!("{problem}; the rest of the conversation loaded");
                    }
                    SideSlot {
                        doc: SideDoc::from_automerge(key.clone(), opened.doc, Some(actor)),
                        store: Some(opened.store),
                    }
                }
                None => SideSlot {
                    doc: SideDoc::new(key.clone(), Some(actor)),
                    store: None,
                },
            };
            self.open.insert(key.clone(), slot);
        }
        self.open
            .get_mut(key)
            .ok_or_else(|| StoreError::InvalidId(key.encode()))
    }

    /// The whole document `key`, saved, for a peer that has none of it: the stored
    /// snapshot when nothing was written since, otherwise saved afresh.
    pub(crate) fn whole<S: Storage<Community = C>>(
        &mut self,
        storage: &S,
        community: &CommunityId,
        key: &DocKey,
        actor: [u8; 16],
    ) -> Result<Vec<u8>, StoreError> {
        let slot = self.get(storage, community, key, actor)?;
        if let Some(store) = &slot.store
            && store.pieces() == 0
            && let Some(bytes) = store.snapshot_bytes()?
        {
            return Ok(bytes);
        }
        Ok(slot.doc.automerge_mut().save())
    }

    /// The conversation index, read whole once and from then on brought up to date from
    /// the changes since (a whole read of thousands of threads takes a long while).
    pub(crate) fn index<S: Storage<Community = C>>(
        &mut self,
        storage: &S,
        community: &CommunityId,
        actor: [u8; 16],
    ) -> Result<&ConversationIndex, EngineError> {
        let cached = self.index.take();
        let slot = self.get(storage, community, &DocKey::Conversations, actor)?;
        let doc = &mut slot.doc;
        let kept = match cached {
            // Only from heads the document still has (a write that failed is rewound).
            Some((since, mut index))
                if since
                    .iter()
                    .all(|h| doc.automerge_mut().get_change_by_hash(h).is_some()) =>
            {
                index.refresh(doc, &since).map(|()| index)
            }
            _ => ConversationIndex::read(doc),
        };
        let index = kept.map_err(|e| EngineError::Document(Box::new(e)))?;
        let heads = doc.heads();
        Ok(&self.index.insert((heads, index)).1)
    }

    /// Two open documents at once (the index and a thread), mutably.
    pub(crate) fn pair(
        &mut self,
        a: &DocKey,
        b: Option<&DocKey>,
    ) -> (Option<&mut SideSlot<C>>, Option<&mut SideSlot<C>>) {
        let (mut first, mut second) = (None, None);
        for (key, slot) in &mut self.open {
            if key == a {
                first = Some(slot);
            } else if Some(key) == b {
                second = Some(slot);
            }
        }
        (first, second)
    }

    /// Whether `key` is open (read or started) right now.
    pub(crate) fn is_open(&self, key: &DocKey) -> bool {
        self.open.contains_key(key)
    }

    /// Writes what `key` holds and its storage lacks; durable when this returns. The
    /// heads the device is known to have move on with it.
    pub(crate) fn persist<S: Storage<Community = C>>(
        &mut self,
        storage: &S,
        community: &CommunityId,
        key: &DocKey,
    ) -> Result<(), StoreError> {
        let Some(slot) = self.open.get_mut(key) else {
            return Ok(());
        };
        match &mut slot.store {
            Some(store) => store.persist(slot.doc.automerge_mut())?,
            None => {
                let store =
                    storage.create_side(community, &key.encode(), slot.doc.automerge_mut())?;
                slot.store = Some(store);
            }
        }
        let heads = slot.doc.heads();
        if let Some(known) = &mut self.heads {
            known.insert(key.clone(), heads);
        }
        Ok(())
    }

    /// Forgets what `key` gained after `heads` (it could not be saved, so it is not kept).
    pub(crate) fn rewind(&mut self, key: &DocKey, heads: &[ChangeHash]) {
        if let Some(slot) = self.open.get_mut(key) {
            slot.doc.rewind(heads);
        }
    }

    /// The heads of every side document this device has, listing storage the first time
    /// (each stored document is read once for its heads; those not open are let go again).
    pub(crate) fn all_heads<S: Storage<Community = C>>(
        &mut self,
        storage: &S,
        community: &CommunityId,
    ) -> Result<&BTreeMap<DocKey, Vec<ChangeHash>>, StoreError> {
        if self.heads.is_none() {
            let mut known = BTreeMap::new();
            for name in storage.side_keys(community)? {
                let Ok(key) = DocKey::parse(&name) else {
                    tracing::warn!(name, "ignoring a folder that is not a conversation");
                    continue;
                };
                if let Some(slot) = self.open.get_mut(&key) {
                    known.insert(key, slot.doc.heads());
                    continue;
                }
                match storage.open_side(community, &name) {
                    Ok(Some(mut opened)) => {
                        known.insert(key, opened.doc.get_heads());
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(name, %error, "a conversation could not be read"),
                }
            }
            // Documents started here but not yet stored hold only their genesis: nothing
            // to offer.
            self.heads = Some(known);
        }
        Ok(self.heads.get_or_insert_with(BTreeMap::new))
    }

    /// Folds each open document's stored pieces into one snapshot when enough gathered.
    pub(crate) fn compact(&mut self) {
        for (key, slot) in &mut self.open {
            if let Some(store) = &mut slot.store
                && store.pieces() > 0
                && let Err(error) = store.maybe_compact(slot.doc.automerge_mut())
            {
                tracing::warn!(doc = %key, %error, "a conversation could not be compacted");
            }
        }
    }
}
