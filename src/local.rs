//! Carrying out commands directly on a data directory (when no node is running on it).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use commonroom_model::{
    Applied, Command, CommunityDoc, CommunityId, CommunityView, Ctx, EntityKind, MemberId,
    Timestamp, entities::Member,
};
use commonroom_store::{CommunityStore, DataDir};

/// An open, locked data directory.
pub struct Local {
    dir: DataDir,
}

/// One community opened for reading and writing.
pub struct Session {
    /// The document.
    pub doc: CommunityDoc,
    store: CommunityStore,
    /// The member this device acts as in the community.
    pub me: Option<MemberId>,
}

impl Local {
    /// Opens and locks the data directory.
    pub fn open(path: &Path) -> Result<Self> {
        let dir = DataDir::open(path)?;
        Ok(Self { dir })
    }

    /// Creates a community with `me` as its founder; returns its id.
    pub fn create(&self, name: &str, me: &str, domain: Option<&str>) -> Result<CommunityId> {
        let id = CommunityId::generate();
        let founder = MemberId::generate();
        let now = Timestamp::now();
        let mut doc =
            commonroom_model::start_community(id.clone(), name, me, founder.clone(), now)?
                .with_fresh_actor();
        if let Some(domain) = domain {
            doc.apply(
                &Ctx {
                    by: Some(founder.clone()),
                    now,
                },
                Command::UpdateCommunity(commonroom_model::commands::CommunityPatch {
                    domain: Some(domain.to_owned()),
                    ..Default::default()
                }),
            )?;
        }
        let store = self
            .dir
            .create_community(id.as_str(), doc.automerge_mut())?;
        store.write_local("me", founder.as_str())?;
        store.write_local("name", &doc.community()?.name)?;
        Ok(id)
    }

    /// Ids and names of the stored communities.
    pub fn list(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for id in self.dir.community_ids()? {
            let name = match self.cached_name(&id) {
                Some(name) => name,
                None => self.open_community(&id)?.doc.community()?.name,
            };
            out.push((id, name));
        }
        Ok(out)
    }

    fn cached_name(&self, id: &str) -> Option<String> {
        let path = self
            .dir
            .root()
            .join("communities")
            .join(id)
            .join("local-name");
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// Finds a community by id or by a unique, case-insensitive prefix of its name.
    pub fn resolve(&self, query: &str) -> Result<String> {
        let communities = self.list()?;
        if let Some((id, _)) = communities.iter().find(|(id, _)| id == query) {
            return Ok(id.clone());
        }
        let wanted = query.trim().to_lowercase();
        let matches: Vec<&(String, String)> = communities
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

    /// Opens a community by id; damaged files are reported on stderr and set aside.
    pub fn open_community(&self, id: &str) -> Result<Session> {
        let loaded = self.dir.open_community(id)?;
        for problem in &loaded.problems {
            eprintln!("warning: {problem}; the rest of the community loaded");
        }
        let doc = CommunityDoc::from_automerge(loaded.doc)
            .with_context(|| format!("community {id} cannot be read"))?
            .with_fresh_actor();
        let me = loaded.store.read_local("me")?.map(MemberId::new);
        if let Ok(community) = doc.community()
            && self.cached_name(id).as_deref() != Some(community.name.as_str())
        {
            loaded.store.write_local("name", &community.name)?;
        }
        Ok(Session {
            doc,
            store: loaded.store,
            me,
        })
    }
}

impl Session {
    /// Applies a command as this device's member; returns once the change is durable on disk.
    pub fn apply(&mut self, command: Command) -> Result<Applied> {
        let ctx = Ctx {
            by: self.me.clone(),
            now: Timestamp::now(),
        };
        let applied = self.doc.apply(&ctx, command)?;
        self.store.persist(self.doc.automerge_mut())?;
        if let Ok(community) = self.doc.community() {
            self.store.write_local("name", &community.name)?;
        }
        Ok(applied)
    }

    /// The whole community as a snapshot.
    pub fn view(&mut self) -> Result<CommunityView> {
        Ok(CommunityView::hydrate(&mut self.doc)?)
    }

    /// Finds an entity id by exact id or unique id prefix.
    pub fn resolve_id(&self, kind: EntityKind, query: &str) -> Result<String> {
        let query = query.trim();
        if query.is_empty() {
            bail!("an empty {kind} id was given");
        }
        if self.doc.contains(kind, query)? {
            return Ok(query.to_owned());
        }
        let ids = self.ids(kind)?;
        let matches: Vec<&String> = ids.iter().filter(|id| id.starts_with(query)).collect();
        match matches.as_slice() {
            [id] => Ok((*id).clone()),
            [] => Err(anyhow!("no {kind} with id {query}")),
            _ => bail!("{query:?} matches several {kind} ids; give more of the id"),
        }
    }

    fn ids(&self, kind: EntityKind) -> Result<Vec<String>> {
        use commonroom_model::entities::{Action, Event, Note, Resource, Theme};
        fn ids_of<T: commonroom_model::entity::Entity>(doc: &CommunityDoc) -> Result<Vec<String>> {
            Ok(doc
                .all::<T>()?
                .0
                .iter()
                .map(|e| e.entity_id().to_owned())
                .collect())
        }
        match kind {
            EntityKind::Member => ids_of::<Member>(&self.doc),
            EntityKind::Event => ids_of::<Event>(&self.doc),
            EntityKind::Note => ids_of::<Note>(&self.doc),
            EntityKind::Resource => ids_of::<Resource>(&self.doc),
            EntityKind::Theme => ids_of::<Theme>(&self.doc),
            EntityKind::Action => ids_of::<Action>(&self.doc),
            EntityKind::Invite => ids_of::<commonroom_model::entities::Invite>(&self.doc),
        }
    }

    /// Finds a member by id, unique id prefix, or exact (case-insensitive) name.
    pub fn resolve_member(&self, query: &str) -> Result<MemberId> {
        if let Ok(id) = self.resolve_id(EntityKind::Member, query) {
            return Ok(MemberId::new(id));
        }
        let wanted = query.trim().to_lowercase();
        let (members, _) = self.doc.all::<Member>()?;
        let matches: Vec<&Member> = members
            .iter()
            .filter(|m| m.name.to_lowercase() == wanted)
            .collect();
        match matches.as_slice() {
            [m] => Ok(m.id.clone()),
            [] => bail!("no member named or with id {query:?}"),
            _ => bail!("several members are named {query:?}; use the member id"),
        }
    }

    /// The member this device acts as, or a clear error.
    pub fn require_me(&self) -> Result<MemberId> {
        self.me
            .clone()
            .ok_or_else(|| anyhow!("this device has no member in the community; pass --member"))
    }
}
