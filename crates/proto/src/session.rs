//! [`SyncSession`]: the Automerge sync protocol with one peer, for one community.

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};

/// Why a sync message from a peer was rejected.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The bytes are not an Automerge sync message.
    #[error("not a valid sync message: {0}")]
    Decode(String),
    /// The message could not be applied to the document.
    #[error("the peer's changes could not be applied: {0}")]
    Apply(#[from] automerge::AutomergeError),
}

/// What a received message brought.
#[derive(Debug)]
pub struct Received {
    /// Whether the document gained changes.
    pub changed: bool,
    /// The changes the message carried, concatenated (empty if none).
    pub raw_changes: Vec<u8>,
    /// How many changes (or change chunks) the message carried.
    pub change_count: usize,
}

/// Sync state with one peer over one connection. Create a new one for every connection.
#[derive(Debug)]
pub struct SyncSession {
    state: State,
    /// Messages sent in this session.
    pub messages_out: u64,
    /// Messages received in this session.
    pub messages_in: u64,
    /// Payload bytes sent.
    pub bytes_out: u64,
    /// Payload bytes received.
    pub bytes_in: u64,
}

impl Default for SyncSession {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncSession {
    /// A fresh session (no shared history assumed).
    pub fn new() -> Self {
        Self {
            state: State::new(),
            messages_out: 0,
            messages_in: 0,
            bytes_out: 0,
            bytes_in: 0,
        }
    }

    /// The next message to send, if the peer may be missing something or we are missing something.
    pub fn generate(&mut self, doc: &mut AutoCommit) -> Option<Vec<u8>> {
        let message = doc.sync().generate_sync_message(&mut self.state)?;
        let bytes = message.encode();
        self.messages_out += 1;
        self.bytes_out += bytes.len() as u64;
        Some(bytes)
    }

    /// Applies a message from the peer; returns whether the document gained changes.
    pub fn receive(&mut self, doc: &mut AutoCommit, bytes: &[u8]) -> Result<bool, SessionError> {
        Ok(self.receive_with_changes(doc, bytes)?.changed)
    }

    /// Applies a message from the peer and also returns the changes it carried, as bytes
    /// `AutoCommit::load_incremental` accepts, so they can be stored without re-encoding.
    pub fn receive_with_changes(
        &mut self,
        doc: &mut AutoCommit,
        bytes: &[u8],
    ) -> Result<Received, SessionError> {
        let message = Message::decode(bytes).map_err(|e| SessionError::Decode(e.to_string()))?;
        self.messages_in += 1;
        self.bytes_in += bytes.len() as u64;
        let change_count = message.changes.len();
        let mut raw_changes = Vec::with_capacity(message.changes.iter().map(<[u8]>::len).sum());
        for chunk in message.changes.iter() {
            raw_changes.extend_from_slice(chunk);
        }
        let before = doc.get_heads();
        crate::receive::receive(doc, &mut self.state, message)?;
        Ok(Received {
            changed: doc.get_heads() != before,
            raw_changes,
            change_count,
        })
    }

    /// Whether a sync message comes from a peer that has no changes at all (a new member).
    pub fn from_empty_peer(bytes: &[u8]) -> bool {
        Message::decode(bytes).is_ok_and(|m| m.heads.is_empty() && m.changes.is_empty())
    }

    /// Whether both sides are known to have the same heads.
    pub fn in_sync(&self, doc: &mut AutoCommit) -> bool {
        let mut ours = doc.get_heads();
        let mut theirs = self.state.their_heads.clone().unwrap_or_default();
        ours.sort();
        theirs.sort();
        !ours.is_empty() && ours == theirs
    }
}
