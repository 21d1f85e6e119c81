//! Commonroom's engine: every decision a node makes, sans IO.
//!
//! [`Engine::handle`] takes an [`Input`] (a request, a connection event, a checked sync
//! message, a dial result, a tick) and the time ([`Now`]), and returns [`Output`]s (frames to
//! send, connections to close, devices to dial, gate updates, events, replies). A driver
//! carries them out: `commonroom-node` on iroh and tokio, the simulator in this crate's
//! tests on a simulated network. Storage sits behind the [`Storage`] trait: the data
//! directory, or memory (with a disk that can be made to fail).
//!
//! Architecture invariants:
//! - No tokio, no iroh, no clock, no randomness of its own, no unordered iteration: the
//!   same inputs at the same times give the same outputs.
//! - A change (local or from a peer) is durable before it is acknowledged or offered to
//!   peers; a change that cannot be saved is not kept.
//! - Peer bytes reach Automerge only as [`commonroom_proto::checked::CheckedMessage`]s, and
//!   a panic in handling one costs that peer its connection (the community is read again
//!   from storage), never the node.
//! - Live sync: every durable change is offered at once to every connected peer of its
//!   community; a sync session lives exactly as long as its connection.
//! - The gate is recomputed whenever a change touches members or removals (and, as a
//!   backstop, a while after any change); connections of devices it no longer admits are
//!   let go after the change that removed them was offered to them.

mod community;
mod device;
mod engine;
mod error;
mod found;
mod io;
mod peers;
mod sides;
#[cfg(feature = "sim")]
pub mod sim;
mod storage;
mod time;

pub use device::{BadDeviceId, DeviceId};
pub use engine::{
    Engine, EngineConfig, FIRST_RETRY, GATE_RECHECK, JOIN_TIMEOUT, MAX_CONNECTIONS_PER_PEER,
    MAX_NOTICES, MAX_RETRY, MAX_SIDE_SESSIONS, MESH_DEGREE, Notice, NoticeKind, SIDE_DOCS_AT_ONCE,
    ThreadRead, ThreadUnread, Unread,
};
pub use error::EngineError;
pub use found::{Founded, Founding, found_community};
pub use io::{
    Close, ConnId, Event, Input, JoinFailure, JoinId, Link, Outgoing, Output, PeerInfo, Request,
    RequestId, Response, SyncReport, Traffic,
};
pub use peers::{KnownPeer, KnownPeers};
pub use storage::{CommunityStorage, MemoryCommunity, MemoryStorage, Opened, Storage};
pub use time::Now;
