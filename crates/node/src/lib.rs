//! The Commonroom engine: one actor owns every open community (document, store, sync
//! sessions); a cheap, cloneable [`NodeHandle`] sends it requests and receives [`Event`]s.
//!
//! Architecture invariants:
//! - Only the actor touches documents and stores; everything else asks it through the handle.
//! - A change (local or from a peer) is durable on disk before it is acknowledged or relayed.
//! - Live sync: every change is offered at once to every connected peer of its community;
//!   nothing polls for data. A sync session lives exactly as long as its connection.
//! - The gate is recomputed whenever a change touches members or removals.

mod actor;
mod conn;
mod error;
mod event;
mod found;
#[cfg(feature = "generate")]
mod generated;
mod handle;
mod peers;

pub use commonroom_net::{NetConfig, RelayChoice};
pub use error::NodeError;
pub use event::Event;
pub use found::{Founded, found_community};
#[cfg(feature = "generate")]
pub use generated::install_generated;
pub use handle::{Node, NodeConfig, NodeHandle, PeerInfo, SyncReport, Traffic};
