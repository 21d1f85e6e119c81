//! Where commands are carried out: directly on the data directory, or by a running node.
//! [`Target`] resolves names and id prefixes against a community for the command builders.

use std::cell::{OnceCell, RefCell};

use anyhow::{Result, anyhow, bail};
use commonroom_model::automerge::ChangeHash;
use commonroom_model::conversations::{ConversationIndex, Converse, Conversed};
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::{
    Applied, Command, CommunityId, CommunityView, EntityKind, MemberId, ThemeId, ThreadId,
};
use commonroom_node::{ThreadRead, Unread};

/// What the command line needs from whoever holds the data directory.
pub trait Backend {
    /// Creates a community with `me` as founder; returns its id.
    fn create(&mut self, name: &str, me: &str) -> Result<CommunityId>;
    /// Ids and names of the communities.
    fn list(&mut self) -> Result<Vec<(CommunityId, String)>>;
    /// A whole-community snapshot.
    fn view(&mut self, community: &CommunityId) -> Result<CommunityView>;
    /// The member this device acts as.
    fn me(&mut self, community: &CommunityId) -> Result<Option<MemberId>>;
    /// Applies a command; returns once it is durable.
    fn apply(&mut self, community: &CommunityId, command: Command) -> Result<Applied>;
    /// The activity feed, newest first.
    fn history(
        &mut self,
        community: &CommunityId,
        filter: ActivityFilter,
        limit: usize,
    ) -> Result<Vec<Activity>>;
    /// The point just before a change given by a prefix of its hash.
    fn point_before(&mut self, community: &CommunityId, change: &str) -> Result<Vec<ChangeHash>>;
    /// Applies a conversation command; returns once durable.
    fn converse(&mut self, community: &CommunityId, command: Converse) -> Result<Conversed>;
    /// The channels and the thread index.
    fn conversations(&mut self, community: &CommunityId) -> Result<ConversationIndex>;
    /// One thread; `mark_read` records it as read on this device.
    fn thread(
        &mut self,
        community: &CommunityId,
        thread: &ThreadId,
        mark_read: bool,
    ) -> Result<ThreadRead>;
    /// Unread messages on this device.
    fn unread(&mut self, community: &CommunityId) -> Result<Unread>;

    /// Finds a community by id or by a unique, case-insensitive prefix of its name: where
    /// what the user typed becomes a [`CommunityId`].
    fn resolve(&mut self, query: &str) -> Result<CommunityId> {
        let communities = self.list()?;
        if let Some((id, _)) = communities.iter().find(|(id, _)| id.as_str() == query) {
            return Ok(id.clone());
        }
        let wanted = query.trim().to_lowercase();
        let matches: Vec<&(CommunityId, String)> = communities
            .iter()
            .filter(|(_, name)| name.to_lowercase().starts_with(&wanted))
            .collect();
        match matches.as_slice() {
            [(id, _)] => Ok(id.clone()),
            [] => bail!("no community matches {query:?} (see `commonroom list`)"),
            many => {
                if let Some((id, _)) = many.iter().find(|(_, name)| name.to_lowercase() == wanted) {
                    return Ok(id.clone());
                }
                let names: Vec<&str> = many.iter().map(|(_, n)| n.as_str()).collect();
                bail!(
                    "{query:?} matches several communities: {}",
                    names.join(", ")
                )
            }
        }
    }
}

/// One community on a backend, with lazy lookups for resolving what the user typed.
pub struct Target<'a> {
    backend: RefCell<&'a mut dyn Backend>,
    /// The community id.
    pub id: CommunityId,
    view: OnceCell<CommunityView>,
}

impl<'a> Target<'a> {
    /// Resolves `query` to a community on `backend`.
    pub fn open(backend: &'a mut dyn Backend, query: &str) -> Result<Self> {
        let id = backend.resolve(query)?;
        Ok(Self {
            backend: RefCell::new(backend),
            id,
            view: OnceCell::new(),
        })
    }

    /// The community as it is now (read once per command).
    pub fn view(&self) -> Result<&CommunityView> {
        if let Some(view) = self.view.get() {
            return Ok(view);
        }
        let view = self.backend.borrow_mut().view(&self.id)?;
        Ok(self.view.get_or_init(|| view))
    }

    /// Applies a command; returns once it is durable.
    pub fn apply(&self, command: Command) -> Result<Applied> {
        self.backend.borrow_mut().apply(&self.id, command)
    }

    /// The activity feed, newest first.
    pub fn history(&self, filter: ActivityFilter, limit: usize) -> Result<Vec<Activity>> {
        self.backend.borrow_mut().history(&self.id, filter, limit)
    }

    /// The point just before a change given by a prefix of its hash.
    pub fn point_before(&self, change: &str) -> Result<Vec<ChangeHash>> {
        self.backend.borrow_mut().point_before(&self.id, change)
    }

    /// The member this device acts as, or a clear error.
    pub fn require_me(&self) -> Result<MemberId> {
        self.backend
            .borrow_mut()
            .me(&self.id)?
            .ok_or_else(|| anyhow!("this device has no member in the community; pass --member"))
    }

    fn ids(&self, kind: EntityKind) -> Result<Vec<String>> {
        let v = self.view()?;
        Ok(match kind {
            EntityKind::Member => v.members.keys().map(|k| k.to_string()).collect(),
            EntityKind::Event => v.events.keys().map(|k| k.to_string()).collect(),
            EntityKind::Note => v.notes.keys().map(|k| k.to_string()).collect(),
            EntityKind::Resource => v.resources.keys().map(|k| k.to_string()).collect(),
            EntityKind::Theme => v.themes.keys().map(|k| k.to_string()).collect(),
            EntityKind::Action => v.actions.keys().map(|k| k.to_string()).collect(),
            EntityKind::Survey => v.surveys.keys().map(|k| k.to_string()).collect(),
            EntityKind::Story => v.stories.keys().map(|k| k.to_string()).collect(),
            EntityKind::Invite => Vec::new(),
        })
    }

    /// Finds an entity id by exact id or unique id prefix.
    pub fn resolve_id(&self, kind: EntityKind, query: &str) -> Result<String> {
        let query = query.trim();
        if query.is_empty() {
            bail!("an empty {kind} id was given");
        }
        unique_prefix(self.ids(kind)?.iter(), query, kind.name())
    }

    /// Applies a conversation command; returns once durable.
    pub fn converse(&self, command: Converse) -> Result<Conversed> {
        self.backend.borrow_mut().converse(&self.id, command)
    }

    /// The channels and the thread index.
    pub fn conversations(&self) -> Result<ConversationIndex> {
        self.backend.borrow_mut().conversations(&self.id)
    }

    /// One thread; `mark_read` records it as read on this device.
    pub fn thread(&self, thread: &ThreadId, mark_read: bool) -> Result<ThreadRead> {
        self.backend
            .borrow_mut()
            .thread(&self.id, thread, mark_read)
    }

    /// Unread messages on this device.
    pub fn unread(&self) -> Result<Unread> {
        self.backend.borrow_mut().unread(&self.id)
    }

    /// Finds a member by id, unique id prefix, or exact (case-insensitive) name.
    pub fn resolve_member(&self, query: &str) -> Result<MemberId> {
        if let Ok(id) = self.resolve_id(EntityKind::Member, query) {
            return Ok(MemberId::new(id));
        }
        let wanted = query.trim().to_lowercase();
        let found: Vec<&MemberId> = self
            .view()?
            .members
            .values()
            .filter(|m| m.name.to_lowercase() == wanted)
            .map(|m| &m.id)
            .collect();
        match found.as_slice() {
            [m] => Ok((*m).clone()),
            [] => bail!("no member named or with id {query:?}"),
            _ => bail!("several members are named {query:?}; use the member id"),
        }
    }

    /// Finds a live theme by id, unique id prefix, or exact (case-insensitive) name.
    pub fn resolve_theme(&self, query: &str) -> Result<ThemeId> {
        if let Ok(id) = self.resolve_id(EntityKind::Theme, query) {
            return Ok(ThemeId::new(id));
        }
        let wanted = query.trim().to_lowercase();
        let found: Vec<&ThemeId> = self
            .view()?
            .themes
            .values()
            .filter(|t| !t.deleted && t.name.to_lowercase() == wanted)
            .map(|t| &t.id)
            .collect();
        match found.as_slice() {
            [t] => Ok((*t).clone()),
            [] => bail!("no theme named or with id {query:?}"),
            _ => bail!("several themes are named {query:?}; use the theme id"),
        }
    }
}

/// The one of `ids` equal to `query`, or else the only one starting with it; `what` names
/// the kind of id in the error ("note", "device", "invite").
pub fn unique_prefix<'a>(
    ids: impl Iterator<Item = &'a String>,
    query: &str,
    what: &str,
) -> Result<String> {
    let query = query.trim();
    let mut matches = Vec::new();
    for id in ids {
        if id == query {
            return Ok(id.clone());
        }
        if id.starts_with(query) {
            matches.push(id);
        }
    }
    match matches.as_slice() {
        [id] => Ok((*id).clone()),
        [] => Err(anyhow!("no {what} with id {query}")),
        _ => bail!("{query:?} matches several {what} ids; give more of the id"),
    }
}
