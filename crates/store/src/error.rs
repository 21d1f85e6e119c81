//! Storage errors, each naming the file or directory involved.

use std::path::PathBuf;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system error on a named path.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("writing", "reading", ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process holds the data directory.
    #[error("the data directory {} is in use by another Commonroom process{}", .0.display(), holder_words(.1))]
    Locked(PathBuf, Option<String>),
    /// A file's contents are damaged.
    #[error("{path} is damaged: {reason}")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The device key is gone while communities are stored: a new one would be a new device.
    #[error(
        "this data directory holds communities but its device key {0} is missing; a new key would make this a new device that no community admits. Put device.key back from a backup, or join your communities again with fresh invites in a new data directory"
    )]
    MissingDeviceKey(PathBuf),
    /// No community with this id is stored here.
    #[error("no community {0} is stored in this data directory")]
    UnknownCommunity(String),
    /// A community with this id is already stored here.
    #[error("community {0} is already stored in this data directory")]
    CommunityExists(String),
    /// An id that cannot be used as a directory name.
    #[error("{0:?} is not a valid community id")]
    InvalidId(String),
    /// Nothing readable is left of a community's data.
    #[error("no readable data is left for community {id} in {path}")]
    NothingReadable {
        /// The community.
        id: String,
        /// Its directory.
        path: PathBuf,
    },
}

/// The holder of a locked data directory, as words for the error.
fn holder_words(holder: &Option<String>) -> String {
    holder
        .as_deref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default()
}

impl StoreError {
    /// Wraps an IO error with the action and path it happened on.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
