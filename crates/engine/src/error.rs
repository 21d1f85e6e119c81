//! Why a request to the engine failed.

/// Why a request failed, by kind: callers match on the variant, never on the words.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] commonroom_store::StoreError),
    /// A command was refused.
    #[error(transparent)]
    Command(#[from] commonroom_model::CommandError),
    /// The document could not be read.
    #[error(transparent)]
    Document(Box<commonroom_model::DocumentError>),
    /// An invite ticket is unusable.
    #[error(transparent)]
    Invite(#[from] commonroom_proto::InviteError),
    /// No community with this id is open here.
    #[error("no community {0} on this device")]
    UnknownCommunity(commonroom_model::CommunityId),
    /// The community has not arrived from its peers yet.
    #[error(
        "community {0} has not been received from its members yet; connect to a member and sync"
    )]
    NotYetSynced(commonroom_model::CommunityId),
    /// Joining a community this device is already in.
    #[error("this device is already in that community")]
    AlreadyMember,
    /// A device-link invite from a device that does not know its member.
    #[error("this device does not know who you are in that community")]
    MemberUnknown,
    /// The inviter's node refused the join.
    #[error("the invite was refused: {0}")]
    InviteRefused(String),
    /// The inviter's node had no room for another newcomer.
    #[error(
        "the inviter's Commonroom is busy with other newcomers right now; try again in a minute"
    )]
    InviterBusy,
    /// The inviter's node could not be reached.
    #[error(
        "the inviter cannot be reached ({0}); ask them to open Commonroom, or for a fresh invite"
    )]
    InviterUnreachable(String),
    /// Admitted, but the community did not arrive before the join gave up waiting.
    #[error(
        "you were admitted, but the community has not arrived yet; it will when the inviter is online"
    )]
    NotArrived,
    /// The engine stopped before answering.
    #[error("the Commonroom node has stopped")]
    Stopped,
}

impl From<commonroom_model::DocumentError> for EngineError {
    fn from(error: commonroom_model::DocumentError) -> Self {
        Self::Document(Box::new(error))
    }
}
