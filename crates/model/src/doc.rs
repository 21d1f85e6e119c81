//! [`CommunityDoc`]: one community's Automerge document and typed access to it.

use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, transaction::Transactable,
};
use autosurgeon::{Reconcile, hydrate_prop, reconcile_prop};

use crate::change_label::{ChangeLabel, Op, Subject, Verb};
use crate::entities::{Community, Removal};
use crate::entity::Entity;
use crate::error::{DocumentError, EntityKind};
use crate::ids::{CommunityId, MemberId};

/// The newest document schema this build reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

/// Root keys of the collections every community document has from its first change.
///
/// Architecture invariant: only the founder's first change creates these maps. Every
/// other replica starts from an empty document and receives them through sync, so two
/// devices never create competing maps under the same key (which would hide one of them).
pub const COLLECTIONS: &[&str] = &[
    "members",
    "removals",
    "events",
    "notes",
    "resources",
    "themes",
    "actions",
    "invites",
    "surveys",
    "stories",
];

/// Above this many new changes, [`CommunityDoc::touched_since`] reports [`Touched::unknown`].
pub const MAX_LABELLED_CHANGES: usize = 256;

/// What a batch of changes touched: root collections and `(collection, id)` entities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Root keys touched (`members`, `notes`, `community`...).
    pub collections: std::collections::BTreeSet<String>,
    /// Entities touched, as `(collection, id)`.
    pub entities: std::collections::BTreeSet<(String, String)>,
    /// Some change did not say what it touched (another program, or an older one):
    /// anything may have changed.
    pub unknown: bool,
}

impl Touched {
    /// Whether membership (members, their devices, removals) may have changed.
    pub fn membership(&self) -> bool {
        self.unknown
            || self.collections.contains("members")
            || self.collections.contains("removals")
    }

    /// Everything may have changed (a first sync, a large batch).
    pub fn everything() -> Self {
        Self {
            unknown: true,
            ..Self::default()
        }
    }

    /// Whether nothing was touched.
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty()
    }
}

/// One community's Automerge document.
///
/// Reads hydrate single entities by key; writes reconcile single entities under their key.
/// Nothing here hydrates or reconciles the whole community per change.
pub struct CommunityDoc {
    pub(crate) doc: AutoCommit,
}

impl std::fmt::Debug for CommunityDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommunityDoc").finish_non_exhaustive()
    }
}

impl CommunityDoc {
    /// Starts a brand-new community document holding `community` and the empty collections.
    ///
    /// The caller adds the founder with a normal `AddMember` command afterwards.
    pub fn create(community: &Community) -> Result<Self, DocumentError> {
        Self::create_as(community, None)
    }

    /// [`CommunityDoc::create`] written under `actor` (the founding device's stable actor),
    /// or a random one.
    pub fn create_as(
        community: &Community,
        actor: Option<[u8; 16]>,
    ) -> Result<Self, DocumentError> {
        let mut doc = AutoCommit::new();
        if let Some(actor) = actor {
            doc.set_actor(ActorId::from(actor.to_vec()));
        }
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        for key in COLLECTIONS {
            doc.put_object(ROOT, *key, ObjType::Map)?;
        }
        reconcile_prop(&mut doc, ROOT, "community", community)?;
        doc.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(
                    ChangeLabel::new(community.created_by.as_ref(), Op::FOUNDING, "").encode(),
                )
                .with_time(community.created_at.millis()),
        );
        Ok(Self { doc })
    }

    /// Wraps a loaded or synced document, checking that it is a community this build understands.
    pub fn from_automerge(doc: AutoCommit) -> Result<Self, DocumentError> {
        let this = Self { doc };
        this.check_schema()?;
        Ok(this)
    }

    /// An empty document for a community this device has joined but not yet received.
    ///
    /// Reads fail with [`DocumentError::Missing`] and commands are refused until sync
    /// brings the founder's first change; see [`CommunityDoc::is_ready`].
    pub fn awaiting_sync() -> Self {
        Self {
            doc: AutoCommit::new(),
        }
    }

    /// Wraps a document without checking it (it may still be waiting for its first sync).
    pub fn from_automerge_unchecked(doc: AutoCommit) -> Self {
        Self { doc }
    }

    /// Whether the document holds a community this build can read.
    pub fn is_ready(&self) -> bool {
        self.check_schema().is_ok()
    }

    /// Starts tracking which entities change, from the current state on (see [`CommunityDoc::take_changes`]).
    pub fn track_changes(&mut self) {
        self.doc.update_diff_cursor();
    }

    /// The collections and entities changed since the last call (or since [`CommunityDoc::track_changes`]),
    /// from Automerge patches: cheap, proportional to what changed.
    pub fn take_changes(&mut self) -> Touched {
        let mut touched = Touched::default();
        for patch in self.doc.diff_incremental() {
            let root_key = match patch.path.first() {
                Some((_, automerge::Prop::Map(key))) => Some(key.clone()),
                Some(_) => None,
                None => match &patch.action {
                    automerge::PatchAction::PutMap { key, .. }
                    | automerge::PatchAction::DeleteMap { key } => Some(key.clone()),
                    _ => None,
                },
            };
            let Some(root_key) = root_key else { continue };
            let entity = match (patch.path.get(1), &patch.action) {
                (Some((_, automerge::Prop::Map(id))), _) => Some(id.clone()),
                (
                    None,
                    automerge::PatchAction::PutMap { key, .. }
                    | automerge::PatchAction::DeleteMap { key },
                ) if !patch.path.is_empty() => Some(key.clone()),
                _ => None,
            };
            if let Some(id) = entity {
                touched.entities.insert((root_key.clone(), id));
            }
            touched.collections.insert(root_key);
        }
        touched
    }

    /// What the changes after `before` touched, read from their change messages: cheap,
    /// proportional to the number of new changes. A change without a readable message
    /// sets [`Touched::unknown`]. (Messages are written by the sender, so a dishonest peer
    /// can mislabel a change; callers that enforce rules also re-check periodically.)
    pub fn touched_since(&mut self, before: &[ChangeHash]) -> Touched {
        let mut touched = Touched::default();
        let changes = self.doc.get_changes(before);
        if changes.len() > MAX_LABELLED_CHANGES {
            // A large batch (a first sync, a long absence): reading every label costs more
            // than treating everything as changed.
            touched.unknown = true;
            return touched;
        }
        for change in changes {
            let Some(label) = ChangeLabel::of(&change) else {
                touched.unknown = true;
                continue;
            };
            let Some(collection) = label.op.collection() else {
                touched.unknown = true;
                continue;
            };
            match label.op {
                // A removal is written under its own root key; a join uses up its invite.
                Op::Known(Subject::Member, Verb::Remove) => {
                    touched.collections.insert("removals".into());
                }
                Op::Known(Subject::Member, Verb::Join) => {
                    touched.collections.insert("invites".into());
                }
                _ => {}
            }
            touched.collections.insert(collection.into());
            if let Some(id) = label.id {
                touched.entities.insert((collection.into(), id));
            }
        }
        touched
    }

    /// Loads a document from saved bytes (a full save, possibly followed by incremental chunks).
    pub fn load(bytes: &[u8]) -> Result<Self, DocumentError> {
        Self::from_automerge(AutoCommit::load(bytes)?)
    }

    fn check_schema(&self) -> Result<(), DocumentError> {
        match self.doc.get(ROOT, "schema")? {
            Some((automerge::Value::Scalar(s), _)) => {
                let found = s.as_u64().unwrap_or(0);
                if found > SCHEMA_VERSION {
                    return Err(DocumentError::SchemaTooNew {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
            }
            _ => return Err(DocumentError::Missing("schema version")),
        }
        for key in COLLECTIONS.iter().take(7) {
            self.collection_obj(key)?;
        }
        self.community()?;
        Ok(())
    }

    /// Sets this replica's actor id (a device's stable id in this community).
    ///
    /// Architecture invariant: a device writes a community under one stable actor, and a
    /// change is durable locally before it is sent, so a crash can never make the device
    /// reuse a sequence number a peer has already seen.
    pub fn with_actor(mut self, actor: [u8; 16]) -> Self {
        self.doc.set_actor(ActorId::from(actor.to_vec()));
        self
    }

    /// Gives this replica a fresh random actor id (tests and generated communities).
    pub fn with_fresh_actor(mut self) -> Self {
        self.doc.set_actor(ActorId::random());
        self
    }

    /// The underlying Automerge document (for sync and storage).
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// Mutable access to the underlying Automerge document (for sync and storage).
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Unwraps the Automerge document.
    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// The current heads (hashes of the newest changes).
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The community record.
    pub fn community(&self) -> Result<Community, DocumentError> {
        if self.doc.get(ROOT, "community")?.is_none() {
            return Err(DocumentError::Missing("community record"));
        }
        Ok(hydrate_prop(&self.doc, ROOT, "community")?)
    }

    /// The community's id.
    pub fn id(&self) -> Result<CommunityId, DocumentError> {
        Ok(self.community()?.id)
    }

    /// The object id of a root collection map.
    pub(crate) fn collection_obj(&self, key: &'static str) -> Result<ObjId, DocumentError> {
        match self.doc.get(ROOT, key)? {
            Some((automerge::Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(DocumentError::Missing(key)),
        }
    }

    /// One entity by id, or `None` if there is none (deleted entities are returned, flagged).
    pub fn get<T: Entity>(&self, id: &str) -> Result<Option<T>, DocumentError> {
        let obj = self.collection_obj(T::KIND.collection())?;
        if self.doc.get(&obj, id)?.is_none() {
            return Ok(None);
        }
        Ok(Some(hydrate_prop(&self.doc, &obj, id)?))
    }

    /// Every entity of a kind that can be read, in id order, and how many could not be read.
    ///
    /// An entity a peer wrote in a shape this build cannot read is skipped, not fatal.
    pub fn all<T: Entity>(&self) -> Result<(Vec<T>, usize), DocumentError> {
        let obj = self.collection_obj(T::KIND.collection())?;
        let mut items = Vec::new();
        let mut unreadable = 0;
        for key in self.doc.keys(&obj) {
            match hydrate_prop::<_, T, _, _>(&self.doc, &obj, key.as_str()) {
                Ok(item) => items.push(item),
                Err(_) => unreadable += 1,
            }
        }
        Ok((items, unreadable))
    }

    /// Writes one entity under its key (only that entity is reconciled).
    ///
    /// A new entity is written as one batch (its map and every field in one splice of the
    /// document's operations, instead of a seek and a splice per field); an existing one is
    /// reconciled field by field, so concurrent edits to other fields merge.
    pub(crate) fn put<T: Entity>(&mut self, entity: &T) -> Result<(), DocumentError> {
        let collection = T::KIND.collection();
        let obj = self.collection_obj(collection)?;
        let key = entity.entity_id();
        if self.doc.get(&obj, key)?.is_none() {
            reconcile_prop(&mut self.doc, ROOT, collection, NewEntry { key, entity })?;
        } else {
            reconcile_prop(&mut self.doc, &obj, key, entity)?;
        }
        Ok(())
    }

    /// The removal record of a member, if they were removed.
    pub fn removal(&self, member: &MemberId) -> Result<Option<Removal>, DocumentError> {
        let obj = self.collection_obj("removals")?;
        if self.doc.get(&obj, member.as_str())?.is_none() {
            return Ok(None);
        }
        Ok(Some(hydrate_prop(&self.doc, &obj, member.as_str())?))
    }

    /// Records a member's removal.
    pub(crate) fn put_removal(
        &mut self,
        member: &MemberId,
        removal: &Removal,
    ) -> Result<(), DocumentError> {
        let obj = self.collection_obj("removals")?;
        reconcile_prop(&mut self.doc, &obj, member.as_str(), removal)?;
        Ok(())
    }

    /// Every removal record, keyed by member id.
    pub fn removals(&self) -> Result<std::collections::BTreeMap<MemberId, Removal>, DocumentError> {
        let obj = self.collection_obj("removals")?;
        let mut out = std::collections::BTreeMap::new();
        for key in self.doc.keys(&obj) {
            if let Ok(removal) = hydrate_prop::<_, Removal, _, _>(&self.doc, &obj, key.as_str()) {
                out.insert(MemberId::new(key), removal);
            }
        }
        Ok(out)
    }

    /// Whether an entity of `kind` with this id exists (deleted or not).
    pub fn contains(&self, kind: EntityKind, id: &str) -> Result<bool, DocumentError> {
        let obj = self.collection_obj(kind.collection())?;
        Ok(self.doc.get(&obj, id)?.is_some())
    }

    /// Endpoint ids (hex) of the linked devices of members who have not been removed: the
    /// only peers that may sync this community. Empty (admitting nobody) if unreadable.
    pub fn admitted_devices(&self) -> std::collections::BTreeSet<String> {
        // Read only what the gate needs (device keys and their unlink marks), without
        // hydrating whole members: this runs whenever membership may have changed.
        let mut admitted = std::collections::BTreeSet::new();
        let (Ok(members), Ok(removals)) = (
            self.collection_obj("members"),
            self.collection_obj("removals"),
        ) else {
            return admitted;
        };
        let object = |parent: &ObjId, key: &str| match self.doc.get(parent, key) {
            Ok(Some((automerge::Value::Object(ObjType::Map), obj))) => Some(obj),
            _ => None,
        };
        for member in self.doc.keys(&members) {
            if matches!(self.doc.get(&removals, member.as_str()), Ok(Some(_))) {
                continue;
            }
            let Some(member_obj) = object(&members, &member) else {
                continue;
            };
            let Some(devices) = object(&member_obj, "devices") else {
                continue;
            };
            for device in self.doc.keys(&devices) {
                let Some(device_obj) = object(&devices, &device) else {
                    continue;
                };
                let unlinked = matches!(
                    self.doc.get(&device_obj, "unlinked_at"),
                    Ok(Some((automerge::Value::Scalar(v), _))) if !v.is_null()
                );
                if !unlinked {
                    admitted.insert(device);
                }
            }
        }
        admitted
    }

    /// The member a device belongs to, if any (removed members included).
    pub fn member_of_device(&self, device: &str) -> Option<MemberId> {
        let (members, _) = self.all::<crate::entities::Member>().ok()?;
        members
            .into_iter()
            .find(|m| m.devices.contains_key(device))
            .map(|m| m.id)
    }

    /// Merges every change of `other` into this document.
    pub fn merge(&mut self, other: &mut CommunityDoc) -> Result<(), DocumentError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// A full, compacted save of the document.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes made after `heads`, in Automerge's incremental format.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }
}

/// A collection map with one entity to add under `key` (reconciling it reuses the
/// collection and puts only that entry).
struct NewEntry<'a, T> {
    key: &'a str,
    entity: &'a T,
}

impl<T: Reconcile> Reconcile for NewEntry<'_, T> {
    type Key<'k> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        use autosurgeon::reconcile::MapReconciler;
        let mut map = reconciler.map()?;
        map.put(self.key, Fresh(self.entity))
    }
}

/// An entity known to be absent from its collection: its key never matches what is there,
/// so autosurgeon creates it in one batch.
struct Fresh<'a, T>(&'a T);

impl<T: Reconcile> Reconcile for Fresh<'_, T> {
    type Key<'k> = ();

    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.0.reconcile(reconciler)
    }

    fn key(&self) -> autosurgeon::reconcile::LoadKey<Self::Key<'_>> {
        autosurgeon::reconcile::LoadKey::Found(())
    }

    fn hydrate_key<'k, D: autosurgeon::ReadDoc>(
        _doc: &D,
        _obj: &automerge::ObjId,
        _prop: autosurgeon::Prop<'_>,
    ) -> Result<autosurgeon::reconcile::LoadKey<Self::Key<'k>>, autosurgeon::ReconcileError> {
        Ok(autosurgeon::reconcile::LoadKey::KeyNotFound)
    }
}
