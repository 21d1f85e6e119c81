//! Commonroom's network layer over iroh (QUIC): the endpoint with the device's key, one
//! protocol handler per versioned ALPN, the membership gate, and framed streams.
//!
//! Architecture invariants:
//! - The gate fails closed: a community the gate has no entry for admits nobody, and an
//!   unknown peer is refused before any byte of document data is sent.
//! - Every read of peer bytes goes through [`framed::read_frame`], which checks the announced
//!   length against the hard limit before allocating, and every handshake read has a timeout.
//! - This crate knows nothing of documents: accepted connections are handed to the node.

pub mod config;
pub mod dial;
pub mod endpoint;
pub mod framed;
pub mod gate;
pub mod handlers;
pub mod limits;

pub use config::{NetConfig, RelayChoice};
pub use endpoint::{Bound, bind};
pub use gate::Gate;
pub use handlers::{Inbound, JoinHandler, SyncHandler};
pub use iroh::{EndpointAddr, EndpointId};
pub use limits::{JoinLimit, StrangerLimit};

/// Why a network operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The endpoint could not be bound.
    #[error("cannot start networking: {0}")]
    Bind(String),
    /// The peer could not be reached.
    #[error("cannot reach the peer: {0}")]
    Connect(String),
    /// The peer did not answer in time.
    #[error("the peer did not answer within {0} seconds")]
    Timeout(u64),
    /// The connection failed.
    #[error("connection lost: {0}")]
    Connection(String),
    /// The peer sent bytes that are not a valid frame.
    #[error("the peer broke the protocol: {0}")]
    Protocol(String),
    /// The peer refused us.
    #[error("refused by the peer: {0}")]
    Refused(String),
    /// The peer turned us away because it is handling as many newcomers as it takes at once.
    #[error("the peer is busy with other connections")]
    Busy,
}

/// QUIC close codes used by Commonroom.
pub mod close {
    /// Normal end.
    pub const DONE: u32 = 0;
    /// Refused (not a member, unknown community, bad invite).
    pub const REFUSED: u32 = 1;
    /// The peer broke the protocol (bad frame, oversized frame, timeout).
    pub const PROTOCOL: u32 = 2;
    /// The node is shutting down.
    pub const SHUTDOWN: u32 = 3;
    /// Too many newcomers at once; try again shortly.
    pub const BUSY: u32 = 4;
    /// Too many connections from this device; an older one was let go.
    pub const REPLACED: u32 = 5;

    /// Whether `conn` was closed by the peer because it was busy ([`BUSY`]).
    pub fn was_busy(conn: &iroh::endpoint::Connection) -> bool {
        matches!(
            conn.close_reason(),
            Some(iroh::endpoint::ConnectionError::ApplicationClosed(close))
                if close.error_code == BUSY.into()
        )
    }
}
