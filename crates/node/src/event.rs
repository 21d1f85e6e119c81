//! What the node tells its observers (the window, the command line).

use commonroom_model::Touched;
use iroh::EndpointId;

/// Something that happened in the node.
#[derive(Clone, Debug)]
pub enum Event {
    /// A peer connected for a community.
    PeerOnline {
        /// The community.
        community: String,
        /// The peer's device.
        peer: EndpointId,
    },
    /// A peer's connection closed.
    PeerOffline {
        /// The community.
        community: String,
        /// The peer's device.
        peer: EndpointId,
    },
    /// This device and a peer have the same state of a community.
    Synced {
        /// The community.
        community: String,
        /// The peer's device.
        peer: EndpointId,
    },
    /// A community changed (locally or from a peer) and the change is durable.
    Changed {
        /// The community.
        community: String,
        /// What the change touched.
        touched: Touched,
        /// Whether it came from a peer.
        remote: bool,
    },
    /// A community was added to this device (created or joined).
    CommunityAdded {
        /// The community.
        community: String,
    },
    /// Changes from a peer could not be saved on this device (a full disk), so they were
    /// not kept; the peer sends them again once the connection is back.
    SaveFailed {
        /// The community.
        community: String,
        /// Why, in words.
        error: String,
    },
}

impl Event {
    /// The engine's event in the node's terms (`None` for a device that is not a valid
    /// endpoint key, which no real peer has).
    pub(crate) fn from_engine(event: commonroom_engine::Event) -> Option<Self> {
        use commonroom_engine::Event as E;
        let endpoint = crate::driver::endpoint_of;
        Some(match event {
            E::PeerOnline { community, peer } => Self::PeerOnline {
                community,
                peer: endpoint(peer)?,
            },
            E::PeerOffline { community, peer } => Self::PeerOffline {
                community,
                peer: endpoint(peer)?,
            },
            E::Synced { community, peer } => Self::Synced {
                community,
                peer: endpoint(peer)?,
            },
            E::Changed {
                community,
                touched,
                remote,
            } => Self::Changed {
                community,
                touched,
                remote,
            },
            E::CommunityAdded { community } => Self::CommunityAdded { community },
            E::SaveFailed { community, error } => Self::SaveFailed { community, error },
        })
    }
}
