//! Carrying out commands on a data directory no node is running on: the node's engine,
//! in this process ([`commonroom_node::Offline`]), so there is one implementation of
//! opening, applying, storing and compacting.

use std::sync::Arc;

use anyhow::Result;
use commonroom_model::automerge::ChangeHash;
use commonroom_model::conversations::{ConversationIndex, Converse, Conversed};
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::{Applied, Command, CommunityId, CommunityView, MemberId, ThreadId};
use commonroom_node::{Offline, Request, Response, ThreadRead, Unread};
use commonroom_store::DataDir;

use crate::backend::Backend;

/// An open, locked data directory.
pub struct Local {
    engine: Offline,
}

impl Local {
    /// Carries out commands on a data directory this process holds.
    pub fn on(dir: DataDir) -> Result<Self> {
        Ok(Self {
            engine: Offline::open(dir)?,
        })
    }
}

/// An answer of another kind than the one asked for (a fault in the engine).
fn unexpected(response: Response) -> anyhow::Error {
    anyhow::anyhow!("the engine answered with {response:?}")
}

impl Backend for Local {
    fn converse(&mut self, community: &CommunityId, command: Converse) -> Result<Conversed> {
        match self.engine.ask(Request::Converse {
            community: community.clone(),
            command,
        })? {
            Response::Conversed(done) => Ok(done),
            other => Err(unexpected(other)),
        }
    }

    fn conversations(&mut self, community: &CommunityId) -> Result<ConversationIndex> {
        match self.engine.ask(Request::Conversations {
            community: community.clone(),
        })? {
            Response::Conversations(index) => Ok(index),
            other => Err(unexpected(other)),
        }
    }

    fn thread(
        &mut self,
        community: &CommunityId,
        thread: &ThreadId,
        mark_read: bool,
    ) -> Result<ThreadRead> {
        match self.engine.ask(Request::Thread {
            community: community.clone(),
            thread: thread.clone(),
            mark_read,
        })? {
            Response::Thread(read) => Ok(*read),
            other => Err(unexpected(other)),
        }
    }

    fn unread(&mut self, community: &CommunityId) -> Result<Unread> {
        match self.engine.ask(Request::Unread {
            community: community.clone(),
        })? {
            Response::Unread(unread) => Ok(unread),
            other => Err(unexpected(other)),
        }
    }

    fn create(&mut self, name: &str, me: &str) -> Result<CommunityId> {
        match self.engine.ask(Request::Create {
            name: name.to_owned(),
            me: me.to_owned(),
        })? {
            Response::Community(id) => Ok(id),
            other => Err(unexpected(other)),
        }
    }

    fn list(&mut self) -> Result<Vec<(CommunityId, String)>> {
        match self.engine.ask(Request::List)? {
            Response::List(list) => Ok(list),
            other => Err(unexpected(other)),
        }
    }

    fn view(&mut self, community: &CommunityId) -> Result<CommunityView> {
        match self.engine.ask(Request::View {
            community: community.clone(),
        })? {
            Response::View(view) => Ok(Arc::unwrap_or_clone(view)),
            other => Err(unexpected(other)),
        }
    }

    fn me(&mut self, community: &CommunityId) -> Result<Option<MemberId>> {
        match self.engine.ask(Request::Me {
            community: community.clone(),
        })? {
            Response::Me(me) => Ok(me),
            other => Err(unexpected(other)),
        }
    }

    fn apply(&mut self, community: &CommunityId, command: Command) -> Result<Applied> {
        match self.engine.ask(Request::Apply {
            community: community.clone(),
            command,
        })? {
            Response::Applied(applied) => Ok(applied),
            other => Err(unexpected(other)),
        }
    }

    fn history(
        &mut self,
        community: &CommunityId,
        filter: ActivityFilter,
        limit: usize,
    ) -> Result<Vec<Activity>> {
        match self.engine.ask(Request::History {
            community: community.clone(),
            filter,
            limit,
        })? {
            Response::History(history) => Ok(history),
            other => Err(unexpected(other)),
        }
    }

    fn point_before(&mut self, community: &CommunityId, change: &str) -> Result<Vec<ChangeHash>> {
        match self.engine.ask(Request::PointBefore {
            community: community.clone(),
            change: change.to_owned(),
        })? {
            Response::Heads(heads) => Ok(heads),
            other => Err(unexpected(other)),
        }
    }
}
