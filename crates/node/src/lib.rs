//! The Commonroom node: the sans-IO [`commonroom_engine::Engine`] driven on tokio and iroh
//! by one task (`driver.rs`), with one task per live connection (`conn.rs`); a cheap,
//! cloneable [`NodeHandle`] sends it requests and receives [`Event`]s.
//!
//! Architecture invariants:
//! - Only the engine touches documents and stores, and only the driver task runs it;
//!   everything else asks through the handle.
//! - The driver decides nothing: what to send, close, dial or answer comes from the engine.
//! - Peer bytes are paid for and checked on the connection's task before the engine sees them.

mod conn;
mod driver;
mod error;
#[cfg(feature = "generate")]
mod generated;
mod handle;
mod memory;
mod offline;

pub use commonroom_engine::{
    DeviceId, EngineError, Event, Notice, NoticeKind, ThreadRead, ThreadUnread, Traffic, Unread,
};
pub use commonroom_engine::{Request, Response};
pub use commonroom_net::{NetConfig, RelayChoice};
pub use error::NodeError;
#[cfg(feature = "generate")]
pub use generated::install_generated;
pub use handle::{Node, NodeConfig, NodeHandle, PeerInfo, SyncReport};
pub use offline::Offline;
