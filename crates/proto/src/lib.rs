//! Commonroom's wire protocol, without IO: frames with hard size limits, the per-peer sync
//! session over `automerge::sync`, and invite tickets and links.
//!
//! Architecture invariants:
//! - Nothing here reads a socket, spawns a task or looks at a clock: the network layer feeds
//!   bytes in and sends the bytes that come out.
//! - Every decode of peer bytes returns an error, never panics, and checks a length against
//!   its hard limit before allocating for it.
//! - A sync session's state is created fresh for every connection (Automerge sync state is
//!   never reused across reconnects).

pub mod checked;
pub mod frame;
pub mod invite;
pub mod link;
pub mod receive;
pub mod session;

pub use checked::{CheckError, Checked, CheckedChunk};
pub use frame::{
    ALPN_JOIN, ALPN_SYNC, DocHeads, Frame, FrameError, Header, MAX_CONTROL_LEN, MAX_SYNC_LEN,
    Opening, PROTOCOL_VERSION,
};
pub use invite::{InviteError, InviteKey, Ticket, public_key_of, verify_join};
pub use link::{LINK_PREFIX, LinkError, read_invite, ticket_from_link};
pub use session::{Received, SessionError, SyncSession};
