//! Commonroom's durable storage: a locked data directory holding the device key and, per
//! community, a compacted snapshot plus incremental change chunks.
//!
//! Architecture invariants:
//! - Every file is written to a temporary name, fsynced, renamed into place, and then the
//!   directory is fsynced. A write call returns only once its data is durable.
//! - Compaction deletes a chunk only after a durable snapshot contains it, and never while
//!   the document waits for missing dependencies (those changes would not be in the snapshot).
//! - Loading never fails because of one bad file: a corrupt or truncated file is reported
//!   with its name, moved to `quarantine/`, and the rest loads.
//! - One process at a time writes a data directory (an exclusive lock on `.lock`).

mod atomic;
mod community;
mod data_dir;
mod error;
mod frame;

pub use community::{CommunityStore, DEFAULT_COMPACT_AFTER, LoadProblem, Loaded};
pub use data_dir::DataDir;
pub use error::StoreError;
pub use frame::{FRAME_HEADER_LEN, MAGIC};
