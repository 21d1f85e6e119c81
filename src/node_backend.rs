//! Carrying out data commands through a running node (the app or `serve`).

use anyhow::Result;
use commonroom_model::automerge::ChangeHash;
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::{Applied, Command, CommunityId, CommunityView, MemberId};
use commonroom_node::NodeHandle;
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
    fn create(&mut self, name: &str, me: &str) -> Result<CommunityId> {
        Ok(self
            .runtime
            .block_on(self.node.create(name.to_owned(), me.to_owned()))?)
    }

    fn list(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self.runtime.block_on(self.node.list())?)
    }

    fn view(&mut self, community: &str) -> Result<CommunityView> {
        let view = self
            .runtime
            .block_on(self.node.view(community.to_owned()))?;
        Ok(std::sync::Arc::unwrap_or_clone(view))
    }

    fn me(&mut self, community: &str) -> Result<Option<MemberId>> {
        Ok(self.runtime.block_on(self.node.me(community.to_owned()))?)
    }

    fn apply(&mut self, community: &str, command: Command) -> Result<Applied> {
        Ok(self
            .runtime
            .block_on(self.node.apply(community.to_owned(), command))?)
    }

    fn history(
        &mut self,
        community: &str,
        filter: ActivityFilter,
        limit: usize,
    ) -> Result<Vec<Activity>> {
        Ok(self
            .runtime
            .block_on(self.node.history(community.to_owned(), filter, limit))?)
    }

    fn point_before(&mut self, community: &str, change: &str) -> Result<Vec<ChangeHash>> {
        Ok(self.runtime.block_on(
            self.node
                .point_before(community.to_owned(), change.to_owned()),
        )?)
    }
}
