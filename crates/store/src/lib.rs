//! Commonroom's durable storage: a locked data directory holding the device key and, per
//! community, a compacted snapshot plus a write-ahead change log.
//!
//! Architecture invariants:
//! - A change is acknowledged only once durable: appended to the change log as one checked
//!   record and `fdatasync`ed. Every other file (snapshots, settings, a new log) is written
//!   to a temporary name, fsynced, renamed into place, and the directory fsynced.
//! - Compaction removes a log only after a durable snapshot contains it and the next log
//!   exists, and never while the document waits for missing dependencies (those changes
//!   would not be in the snapshot).
//! - Loading never fails because of one bad file or record: a torn last record (a write
//!   never acknowledged) is dropped; a damaged file or record is reported with its name,
//!   moved to `quarantine/`, and the rest loads.
//! - One process at a time writes a data directory (an exclusive lock on `.lock`).

mod atomic;
mod community;
mod data_dir;
mod error;
mod frame;
mod log;

pub use community::{CommunityStore, DEFAULT_COMPACT_AFTER, LoadProblem, Loaded};
pub use data_dir::DataDir;
pub use error::StoreError;
pub use frame::{FRAME_HEADER_LEN, MAGIC};
pub use log::LOG_MAGIC;
