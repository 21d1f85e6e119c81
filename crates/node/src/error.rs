//! Errors a node reports to its callers.

/// Why a node request failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] commonroom_store::StoreError),
    /// A command was refused.
    #[error(transparent)]
    Command(#[from] commonroom_model::CommandError),
    /// The document could not be read.
    #[error(transparent)]
    Document(Box<commonroom_model::DocumentError>),
    /// Networking failed.
    #[error(transparent)]
    Net(#[from] commonroom_net::NetError),
    /// An invite ticket is unusable.
    #[error(transparent)]
    Invite(#[from] commonroom_proto::InviteError),
    /// No community with this id is open on this node.
    #[error("no community {0} on this device")]
    UnknownCommunity(String),
    /// The community has not arrived from its peers yet.
    #[error(
        "community {0} has not been received from its members yet; connect to a member and sync"
    )]
    NotYetSynced(String),
    /// The request needs something this device does not have.
    #[error("{0}")]
    Unavailable(String),
    /// The node has stopped.
    #[error("the Commonroom node has stopped")]
    Stopped,
    /// The request needs the network, and was asked of the engine without one.
    #[error("this needs the network; it is carried out by a running node")]
    NeedsNetwork,
    /// A request the engine turned down, by kind (a join refused, an inviter unreachable...).
    #[error(transparent)]
    Engine(commonroom_engine::EngineError),
}

impl From<commonroom_engine::EngineError> for NodeError {
    fn from(error: commonroom_engine::EngineError) -> Self {
        use commonroom_engine::EngineError as E;
        match error {
            E::Store(e) => Self::Store(e),
            E::Command(e) => Self::Command(e),
            E::Document(e) => Self::Document(e),
            E::Invite(e) => Self::Invite(e),
            E::UnknownCommunity(id) => Self::UnknownCommunity(id),
            E::NotYetSynced(id) => Self::NotYetSynced(id),
            E::Stopped => Self::Stopped,
            other => Self::Engine(other),
        }
    }
}

impl From<commonroom_model::DocumentError> for NodeError {
    fn from(error: commonroom_model::DocumentError) -> Self {
        Self::Document(Box::new(error))
    }
}
