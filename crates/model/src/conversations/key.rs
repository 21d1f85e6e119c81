//! [`DocKey`]: which of a community's documents a piece of sync or storage is about.

use crate::ids::ThreadId;

/// The longest document key on the wire or on disk.
pub const MAX_DOC_KEY_LEN: usize = 40;

/// One of a community's documents other than the community document itself: the
/// conversation index (channels and the list of threads) or one thread's messages.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKey {
    /// Channels and the thread index.
    Conversations,
    /// One thread's messages.
    Thread(ThreadId),
}

/// Why a document key from a peer or a directory name is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not the name of a community document")]
pub struct BadDocKey(pub String);

impl DocKey {
    /// The key as written on the wire and as a directory name: `conversations` or
    /// `thread-<ULID>`.
    pub fn encode(&self) -> String {
        match self {
            Self::Conversations => "conversations".to_owned(),
            Self::Thread(id) => format!("thread-{id}"),
        }
    }

    /// Reads a key written by [`DocKey::encode`]: only those two shapes, a thread id being
    /// 26 characters of Crockford base32, so a peer cannot name a path or an odd file.
    pub fn parse(text: &str) -> Result<Self, BadDocKey> {
        if text == "conversations" {
            return Ok(Self::Conversations);
        }
        let bad = || BadDocKey(text.chars().take(MAX_DOC_KEY_LEN).collect());
        let id = text.strip_prefix("thread-").ok_or_else(bad)?;
        let crockford =
            |c: char| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c));
        if id.len() == 26 && id.chars().all(crockford) {
            Ok(Self::Thread(ThreadId::new(id)))
        } else {
            Err(bad())
        }
    }

    /// The thread this key names, if it names one.
    pub fn thread(&self) -> Option<&ThreadId> {
        match self {
            Self::Thread(id) => Some(id),
            Self::Conversations => None,
        }
    }
}

impl std::fmt::Display for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn keys_round_trip_and_nothing_else_reads() {
        let thread = DocKey::Thread(ThreadId::generate());
        assert_eq!(DocKey::parse(&thread.encode()).unwrap(), thread);
        assert_eq!(
            DocKey::parse("conversations").unwrap(),
            DocKey::Conversations
        );
        for bad in [
            "",
            "thread-",
            "thread-../../etc/passwd",
            "thread-01ARZ3NDEKTSV4RRFFQ69G5FAVX",
            "thread-01arz3ndektsv4rrffq69g5fav",
            "Conversations",
            "members",
        ] {
            assert!(DocKey::parse(bad).is_err(), "{bad} read as a key");
        }
    }
}
