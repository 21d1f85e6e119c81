//! Carrying out commands directly on a data directory (when no node is running on it).

use std::collections::HashMap;

use anyhow::{Context, Result};
use commonroom_model::automerge::ChangeHash;
use commonroom_model::history::{Activity, ActivityFilter, ActivityLog};
use commonroom_model::{
    Applied, Command, CommunityDoc, CommunityId, CommunityView, Ctx, MemberId, Timestamp,
};
use commonroom_store::{CommunityStore, DataDir};

use crate::backend::Backend;

/// An open, locked data directory.
pub struct Local {
    dir: DataDir,
    open: HashMap<String, Session>,
}

/// One community opened for reading and writing.
struct Session {
    doc: CommunityDoc,
    store: CommunityStore,
    me: Option<MemberId>,
}

impl Local {
    /// Carries out commands on a data directory this process holds.
    pub fn on(dir: DataDir) -> Self {
        Self {
            dir,
            open: HashMap::new(),
        }
    }

    fn cached_name(&self, id: &str) -> Option<String> {
        self.dir.read_local(id, "name").ok().flatten()
    }

    fn session(&mut self, id: &str) -> Result<&mut Session> {
        if !self.open.contains_key(id) {
            let loaded = self.dir.open_community(id)?;
            for problem in &loaded.problems {
                eprintln!("warning: {problem}; the rest of the community loaded");
            }
            let doc = CommunityDoc::from_automerge(loaded.doc)
                .with_context(|| format!("community {id} cannot be read"))?
                .with_actor(commonroom_proto::invite::actor_id(
                    &self.dir.device_secret()?,
                    id,
                ));
            let me = loaded.store.read_local("me")?.map(MemberId::new);
            if let Ok(community) = doc.community()
                && self.cached_name(id).as_deref() != Some(community.name.as_str())
            {
                loaded.store.write_local("name", &community.name)?;
            }
            self.open.insert(
                id.to_owned(),
                Session {
                    doc,
                    store: loaded.store,
                    me,
                },
            );
        }
        self.open.get_mut(id).context("community just opened")
    }
}

impl Backend for Local {
    fn create(&mut self, name: &str, me: &str) -> Result<CommunityId> {
        let secret = self.dir.device_secret()?;
        Ok(commonroom_node::found_community(&self.dir, &secret, name, me)?.id)
    }

    fn list(&mut self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for id in self.dir.community_ids()? {
            let name = match self.cached_name(&id) {
                Some(name) => name,
                None => self.session(&id)?.doc.community()?.name,
            };
            out.push((id, name));
        }
        Ok(out)
    }

    fn view(&mut self, community: &str) -> Result<CommunityView> {
        Ok(CommunityView::hydrate(&mut self.session(community)?.doc)?)
    }

    fn me(&mut self, community: &str) -> Result<Option<MemberId>> {
        Ok(self.session(community)?.me.clone())
    }

    fn apply(&mut self, community: &str, command: Command) -> Result<Applied> {
        let session = self.session(community)?;
        let ctx = Ctx {
            by: session.me.clone(),
            now: Timestamp::now(),
        };
        let applied = session.doc.apply(&ctx, command)?;
        session.store.persist(session.doc.automerge_mut())?;
        if let Ok(c) = session.doc.community() {
            session.store.write_local("name", &c.name)?;
        }
        Ok(applied)
    }

    fn history(
        &mut self,
        community: &str,
        filter: ActivityFilter,
        limit: usize,
    ) -> Result<Vec<Activity>> {
        Ok(self.session(community)?.doc.activity(&filter, limit))
    }

    fn point_before(&mut self, community: &str, change: &str) -> Result<Vec<ChangeHash>> {
        let mut log = ActivityLog::default();
        log.catch_up(&mut self.session(community)?.doc);
        Ok(log.find(change)?.1)
    }
}
