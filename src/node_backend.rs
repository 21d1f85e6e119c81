//! Carrying out data commands through a running node (the app or `serve`).

use anyhow::Result;
use commonroom_model::automerge::ChangeHash;
use commonroom_model::conversations::{ConversationIndex, Converse, Conversed};
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::{Applied, Command, CommunityId, CommunityView, MemberId, ThreadId};
use commonroom_node::{NodeHandle, ThreadRead, Unread};
use tokio::runtime::Handle;

use crate::backend::Backend;

/// A [`Backend`] that asks the node; must be used from a blocking thread of the node's runtime.
pub struct NodeBackend {
    node: NodeHandle,
    runtime: Handle,
}

impl NodeBackend {
    /// A backend over `node`, blocking on `runtime` for each request.
    pub fn new(node: NodeHandle, runtime: Handle) -> Self {
        Self { node, runtime }
    }
}

impl Backend for NodeBackend {
    fn converse(&mut self, community: &CommunityId, command: Converse) -> Result<Conversed> {
        Ok(self
            .runtime
            .block_on(self.node.converse(community.clone(), command))?)
    }

    fn conversations(&mut self, community: &CommunityId) -> Result<ConversationIndex> {
        Ok(self
            .runtime
            .block_on(self.node.conversations(community.clone()))?)
    }

    fn thread(
        &mut self,
        community: &CommunityId,
        thread: &ThreadId,
        mark_read: bool,
    ) -> Result<ThreadRead> {
        Ok(self.runtime.block_on(
            self.node
                .thread(community.clone(), thread.clone(), mark_read),
        )?)
    }

    fn unread(&mut self, community: &CommunityId) -> Result<Unread> {
        Ok(self.runtime.block_on(self.node.unread(community.clone()))?)
    }

    fn create(&mut self, name: &str, me: &str) -> Result<CommunityId> {
        Ok(self
            .runtime
            .block_on(self.node.create(name.to_owned(), me.to_owned()))?)
    }

    fn list(&mut self) -> Result<Vec<(CommunityId, String)>> {
        Ok(self.runtime.block_on(self.node.list())?)
    }

    fn view(&mut self, community: &CommunityId) -> Result<CommunityView> {
        let view = self.runtime.block_on(self.node.view(community.clone()))?;
        Ok(std::sync::Arc::unwrap_or_clone(view))
    }

    fn me(&mut self, community: &CommunityId) -> Result<Option<MemberId>> {
        Ok(self.runtime.block_on(self.node.me(community.clone()))?)
    }

    fn apply(&mut self, community: &CommunityId, command: Command) -> Result<Applied> {
        Ok(self
            .runtime
            .block_on(self.node.apply(community.clone(), command))?)
    }

    fn history(
        &mut self,
        community: &CommunityId,
        filter: ActivityFilter,
        limit: usize,
    ) -> Result<Vec<Activity>> {
        Ok(self
            .runtime
            .block_on(self.node.history(community.clone(), filter, limit))?)
    }

    fn point_before(&mut self, community: &CommunityId, change: &str) -> Result<Vec<ChangeHash>> {
        Ok(self
            .runtime
            .block_on(self.node.point_before(community.clone(), change.to_owned()))?)
    }
}
