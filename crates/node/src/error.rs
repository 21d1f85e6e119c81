//! Errors a node reports to its callers.

use commonroom_engine::EngineError;

/// Why a node request failed: the node's own reasons, or the engine's by kind.
///
/// Callers match on the variant (and on [`NodeError::Engine`]'s [`EngineError`]), never on
/// the words.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The engine turned the request down or failed it (storage, a refused command, an
    /// unknown or not yet synced community, a refused join...), by kind.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Networking failed.
    #[error(transparent)]
    Net(#[from] commonroom_net::NetError),
    /// The request needs something this device does not have.
    #[error("{0}")]
    Unavailable(String),
    /// The node has stopped.
    #[error("the Commonroom node has stopped")]
    Stopped,
    /// The request needs the network, and was asked of the engine without one.
    #[error("this needs the network; it is carried out by a running node")]
    NeedsNetwork,
}

impl NodeError {
    /// The engine's reason, if the engine failed the request.
    pub fn engine(&self) -> Option<&EngineError> {
        match self {
            Self::Engine(error) => Some(error),
            _ => None,
        }
    }
}

impl From<commonroom_store::StoreError> for NodeError {
    fn from(error: commonroom_store::StoreError) -> Self {
        Self::Engine(EngineError::Store(error))
    }
}

impl From<commonroom_model::CommandError> for NodeError {
    fn from(error: commonroom_model::CommandError) -> Self {
        Self::Engine(EngineError::Command(error))
    }
}

impl From<commonroom_model::DocumentError> for NodeError {
    fn from(error: commonroom_model::DocumentError) -> Self {
        Self::Engine(EngineError::from(error))
    }
}

impl From<commonroom_proto::InviteError> for NodeError {
    fn from(error: commonroom_proto::InviteError) -> Self {
        Self::Engine(EngineError::Invite(error))
    }
}
