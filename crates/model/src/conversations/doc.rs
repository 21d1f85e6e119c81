//! [`SideDoc`]: one of a community's documents beside the community document (the
//! conversation index or one thread), with its deterministic first change.
//!
//! Architecture invariant: every side document starts with the same *genesis* change on
//! every device, written by a fixed actor at time zero with fixed content, so it has the
//! same hash everywhere. Any device may therefore create a side document before it has
//! received it (to reply to a thread whose messages have not arrived yet) without two
//! devices ever creating competing root maps: both genesis changes are one change.

use std::sync::OnceLock;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use autosurgeon::{Hydrate, Reconcile, hydrate_prop, reconcile_prop};

use super::entities::Channel;
use super::key::DocKey;
use crate::change_label::{ChangeLabel, Op};
use crate::error::DocumentError;
use crate::ids::{ChannelId, MemberId};
use crate::time::Timestamp;

/// The actor of every genesis change (and of nothing else).
const GENESIS_ACTOR: [u8; 16] = *b"commonroom-first";

/// The message of every genesis change.
const GENESIS_MESSAGE: &str = r#"{"by":null,"op":"doc.genesis"}"#;

/// The schema of side documents this build reads and writes.
const SIDE_SCHEMA: u64 = 1;

/// The channel every community has, where any member starts threads.
pub const GENERAL: &str = "general";
/// The channel where only facilitators and the core group start threads.
pub const ANNOUNCEMENTS: &str = "announcements";

/// Root maps of the conversation index.
pub(crate) const CHANNELS: &str = "channels";
pub(crate) const THREADS: &str = "threads";
/// Root map of a thread document.
pub(crate) const MESSAGES: &str = "messages";

/// The two channels every community starts with.
fn first_channels() -> [Channel; 2] {
    let channel = |id: &str, name: &str, about: &str, stewards_only| Channel {
        id: ChannelId::new(id),
        name: name.to_owned(),
        about: about.to_owned(),
        stewards_only,
        created_by: None,
        created_at: Timestamp::from_millis(0),
        deleted: false,
    };
    [
        channel(
            GENERAL,
            "General",
            "Questions, ideas and news from anyone in the community.",
            false,
        ),
        channel(
            ANNOUNCEMENTS,
            "Announcements",
            "News from the facilitators and the core group.",
            true,
        ),
    ]
}

/// One side document of a community.
pub struct SideDoc {
    key: DocKey,
    doc: AutoCommit,
}

impl std::fmt::Debug for SideDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SideDoc")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl SideDoc {
    /// The genesis change of the document `key` names, alone in a document: identical,
    /// byte for byte and hash for hash, on every device.
    pub fn genesis_automerge(key: &DocKey) -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.set_actor(ActorId::from(GENESIS_ACTOR.to_vec()));
        // The ops below cannot fail on a fresh document; an error would only mean a
        // different (still valid) genesis, never a panic.
        let _ = doc.put(ROOT, "schema", SIDE_SCHEMA);
        match key {
            DocKey::Conversations => {
                if let Ok(channels) = doc.put_object(ROOT, CHANNELS, ObjType::Map) {
                    for channel in first_channels() {
                        let _ = reconcile_prop(&mut doc, &channels, channel.id.as_str(), &channel);
                    }
                }
                let _ = doc.put_object(ROOT, THREADS, ObjType::Map);
            }
            DocKey::Thread(_) => {
                let _ = doc.put_object(ROOT, MESSAGES, ObjType::Map);
            }
        }
        doc.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(GENESIS_MESSAGE.to_owned())
                .with_time(0),
        );
        doc
    }

    /// A new side document holding only its genesis, written on from now on as `actor`.
    pub fn new(key: DocKey, actor: Option<[u8; 16]>) -> Self {
        let mut doc = Self::genesis_automerge(&key);
        doc.set_actor(actor.map_or_else(ActorId::random, |a| ActorId::from(a.to_vec())));
        Self { key, doc }
    }

    /// Wraps a stored or received document; one that does not have its genesis yet
    /// (nothing arrived) gets it, so it can be written to at once.
    pub fn from_automerge(key: DocKey, mut doc: AutoCommit, actor: Option<[u8; 16]>) -> Self {
        if let Some(actor) = actor {
            doc.set_actor(ActorId::from(actor.to_vec()));
        }
        let mut this = Self { key, doc };
        this.ensure_genesis();
        this
    }

    /// The genesis of the document `key` names, as its changes (one), made once per kind:
    /// every thread has the same.
    fn genesis_changes(key: &DocKey) -> &'static [automerge::Change] {
        static INDEX: OnceLock<Vec<automerge::Change>> = OnceLock::new();
        static THREAD: OnceLock<Vec<automerge::Change>> = OnceLock::new();
        let cell = match key {
            DocKey::Conversations => &INDEX,
            DocKey::Thread(_) => &THREAD,
        };
        cell.get_or_init(|| Self::genesis_automerge(key).get_changes(&[]))
    }

    /// Adds the genesis change if the document lacks it (a document received before its
    /// first change, or stored empty).
    pub fn ensure_genesis(&mut self) {
        let genesis = Self::genesis_changes(&self.key);
        let missing = genesis
            .iter()
            .any(|c| self.doc.get_change_by_hash(&c.hash()).is_none());
        if missing {
            let _ = self.doc.apply_changes(genesis.iter().cloned());
        }
    }

    /// Whether the document holds its genesis and nothing else (started here, nothing
    /// written or received yet).
    pub fn is_genesis_only(&mut self) -> bool {
        let genesis: Vec<ChangeHash> = Self::genesis_changes(&self.key)
            .iter()
            .map(automerge::Change::hash)
            .collect();
        self.doc.get_heads() == genesis
    }

    /// Which document this is.
    pub fn key(&self) -> &DocKey {
        &self.key
    }

    /// The Automerge document underneath (for sync and storage).
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// The Automerge document underneath, read-only.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// The document's heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    fn map(&self, name: &'static str) -> Result<ObjId, DocumentError> {
        match self.doc.get(ROOT, name)? {
            Some((automerge::Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(DocumentError::Missing(name)),
        }
    }

    /// One entry of a root map, or `None`.
    pub(crate) fn get<T: Hydrate>(
        &self,
        map: &'static str,
        id: &str,
    ) -> Result<Option<T>, DocumentError> {
        let obj = self.map(map)?;
        if self.doc.get(&obj, id)?.is_none() {
            return Ok(None);
        }
        Ok(Some(hydrate_prop(&self.doc, &obj, id)?))
    }

    /// Every readable entry of a root map, in key order (one a newer build wrote in a
    /// shape this one cannot read is skipped).
    pub(crate) fn all<T: Hydrate>(&self, map: &'static str) -> Result<Vec<T>, DocumentError> {
        let obj = self.map(map)?;
        Ok(self
            .doc
            .keys(&obj)
            .filter_map(|key| hydrate_prop::<_, T, _, _>(&self.doc, &obj, key.as_str()).ok())
            .collect())
    }

    /// Writes one entry under its key (uncommitted until [`SideDoc::commit`]).
    pub(crate) fn put<T: Reconcile>(
        &mut self,
        map: &'static str,
        id: &str,
        value: &T,
    ) -> Result<(), DocumentError> {
        let obj = self.map(map)?;
        reconcile_prop(&mut self.doc, &obj, id, value)?;
        Ok(())
    }

    /// Commits what was written as one change labelled `op` on `id` by `by`.
    pub(crate) fn commit(&mut self, by: Option<&MemberId>, op: &str, id: &str, at: Timestamp) {
        let label = ChangeLabel::new(by, Op::Other(op.to_owned()), id).encode();
        self.doc.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(label)
                .with_time(at.millis()),
        );
    }

    /// Drops what was written since the last commit.
    pub(crate) fn rollback(&mut self) {
        self.doc.rollback();
    }

    /// Goes back to `heads`, forgetting every change after them (a change that could not
    /// be saved is not kept).
    pub fn rewind(&mut self, heads: &[ChangeHash]) {
        if let Ok(forked) = self.doc.fork_at(heads) {
            let actor = self.doc.get_actor().clone();
            self.doc = forked.with_actor(actor);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use crate::ids::ThreadId;

    #[test]
    fn genesis_is_one_change_everywhere() {
        let thread = DocKey::Thread(ThreadId::new("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
        for key in [DocKey::Conversations, thread] {
            let mut a = SideDoc::new(key.clone(), Some([1; 16]));
            let mut b = SideDoc::new(key.clone(), Some([2; 16]));
            assert_eq!(a.heads(), b.heads());
            assert_eq!(a.automerge_mut().get_changes(&[]).len(), 1);
            // A document received empty gets the same genesis.
            let mut c = SideDoc::from_automerge(key, AutoCommit::new(), Some([3; 16]));
            assert_eq!(c.heads(), a.heads());
            let before = a.heads();
            a.automerge_mut().merge(b.automerge_mut()).unwrap();
            assert_eq!(a.heads(), before, "the two geneses are one change");
        }
        // Pinned: a different genesis would make old and new devices create competing maps.
        let mut index = SideDoc::new(DocKey::Conversations, None);
        assert_eq!(
            index.heads()[0].to_string(),
            "a80378676ee7759c88a37c351393b1fafdf6f6cfec8ab748e4073c660cadd17a"
        );
        let mut thread = SideDoc::new(DocKey::Thread(ThreadId::generate()), None);
        assert_eq!(
            thread.heads()[0].to_string(),
            "2b8cd7b2d5a8838dfbe9e4dde4f60714ad7debebaca9b0d46da7478d317249c4"
        );
    }
}
