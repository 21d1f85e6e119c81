//! [`SyncSession`]: the Automerge sync protocol with one peer, for one community.
//!
//! Every message is checked against hard limits ([`crate::checked`]) before Automerge sees
//! it. Changes whose parents have not arrived (orphans) never enter the document: the
//! session holds them, bounded in number, bytes and age, asks the peer for the missing
//! parents (Automerge's `need`), and applies them once those arrive. So the document never
//! waits for dependencies, and nothing a peer sends can stop compaction or be saved
//! without being part of the history.

use std::collections::{BTreeSet, HashSet};

use automerge::sync::{Message, MessageVersion, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};

use crate::checked::{CheckError, CheckedChunk, CheckedMessage};

/// Most orphan changes one session holds while it waits for their parents.
pub const MAX_HELD_CHANGES: usize = 1_024;
/// Most bytes of orphan changes one session holds.
pub const MAX_HELD_BYTES: usize = 8 * 1024 * 1024;
/// Messages an orphan may wait for its parents before it is dropped (the peer sends it
/// again on a later connection if it was real).
pub const MAX_HELD_AGE: u32 = 32;
/// Messages saying "I have nothing" a peer may send in one session while this side has
/// something: each makes this side send everything it has.
pub const MAX_EMPTY_OPENINGS: u32 = 1;

/// Why a sync message from a peer was rejected.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The bytes are beyond a limit or not a sync message at all.
    #[error("refused a sync message: {0}")]
    Refused(#[from] CheckError),
    /// The bytes passed the check but Automerge could not read them.
    #[error("not a valid sync message: {0}")]
    Decode(String),
    /// The message could not be applied to the document.
    #[error("the peer's changes could not be applied: {0}")]
    Apply(#[from] automerge::AutomergeError),
    /// The peer said "I have nothing" again and again, each time asking for everything.
    #[error("the peer asked for everything more than {MAX_EMPTY_OPENINGS} time(s) in one session")]
    RepeatedEmptyOpening,
    /// Applying left changes waiting for parents (only a crafted document can do that).
    #[error("the peer's changes left the document waiting for missing parents")]
    Orphaned,
}

/// What a received message brought.
#[derive(Debug)]
pub struct Received {
    /// Whether the document gained changes.
    pub changed: bool,
    /// The changes applied, concatenated as received (empty if none): exactly what the
    /// document gained, ready for `AutoCommit::load_incremental`, so they can be stored
    /// without re-encoding.
    pub raw_changes: Vec<u8>,
    /// How many chunks (changes, or whole documents) were applied.
    pub change_count: usize,
    /// Orphan changes held after this message, waiting for their parents.
    pub held: usize,
}

/// An orphan change held until its parents arrive.
#[derive(Debug)]
struct Held {
    hash: ChangeHash,
    deps: Vec<ChangeHash>,
    bytes: Vec<u8>,
    age: u32,
}

/// A chunk that may be applied, or held.
struct Candidate {
    /// `None` for a whole document (it depends on nothing).
    change: Option<(ChangeHash, Vec<ChangeHash>)>,
    bytes: Vec<u8>,
    age: u32,
}

/// Sync state with one peer over one connection. Create a new one for every connection.
#[derive(Debug)]
pub struct SyncSession {
    state: State,
    held: Vec<Held>,
    held_bytes: usize,
    /// Missing parents already asked for, so a standalone request is sent once.
    requested: BTreeSet<ChangeHash>,
    empty_openings: u32,
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
            held: Vec::new(),
            held_bytes: 0,
            requested: BTreeSet::new(),
            empty_openings: 0,
            messages_out: 0,
            messages_in: 0,
            bytes_out: 0,
            bytes_in: 0,
        }
    }

    /// The next message to send, if the peer may be missing something, we are missing
    /// something, or an orphan's parents are still to be asked for.
    pub fn generate(&mut self, doc: &mut AutoCommit) -> Option<Vec<u8>> {
        let missing = self.missing_parents(doc);
        let unrequested = missing.iter().any(|h| !self.requested.contains(h));
        let generated = doc.sync().generate_sync_message(&mut self.state);
        let message = match generated {
            Some(mut message) => {
                if !missing.is_empty() {
                    let mut need: BTreeSet<ChangeHash> = message.need.iter().copied().collect();
                    need.extend(missing.iter().copied());
                    message.need = need.into_iter().collect();
                }
                message
            }
            None if unrequested => {
                let mut heads = doc.get_heads();
                heads.sort();
                // No summary: the peer answers with exactly what is asked for.
                Message {
                    heads,
                    need: missing.iter().copied().collect(),
                    have: Vec::new(),
                    changes: automerge::sync::ChunkList::empty(),
                    flags: None,
                    version: MessageVersion::V1,
                }
            }
            None => return None,
        };
        self.requested.extend(missing);
        let bytes = message.encode();
        self.messages_out += 1;
        self.bytes_out += bytes.len() as u64;
        Some(bytes)
    }

    /// Parents of held orphans that neither the document nor the held changes have.
    fn missing_parents(&self, doc: &mut AutoCommit) -> BTreeSet<ChangeHash> {
        if self.held.is_empty() {
            return BTreeSet::new();
        }
        let held: HashSet<ChangeHash> = self.held.iter().map(|h| h.hash).collect();
        let deps: Vec<ChangeHash> = self
            .held
            .iter()
            .flat_map(|h| h.deps.iter().copied())
            .filter(|d| !held.contains(d))
            .collect();
        doc.get_missing_deps(&deps).into_iter().collect()
    }

    /// Checks and applies a message from the peer; returns whether the document gained changes.
    pub fn receive(&mut self, doc: &mut AutoCommit, bytes: &[u8]) -> Result<bool, SessionError> {
        Ok(self.receive_with_changes(doc, bytes)?.changed)
    }

    /// Checks and applies a message from the peer and also returns the changes it applied.
    pub fn receive_with_changes(
        &mut self,
        doc: &mut AutoCommit,
        bytes: &[u8],
    ) -> Result<Received, SessionError> {
        let message = CheckedMessage::check(bytes.to_vec())?;
        self.receive_checked(doc, &message)
    }

    /// Applies a message that passed the limits ([`CheckedMessage::check`]), holding back
    /// orphan changes; returns the changes it applied.
    pub fn receive_checked(
        &mut self,
        doc: &mut AutoCommit,
        message: &CheckedMessage,
    ) -> Result<Received, SessionError> {
        let bytes = message.bytes();
        let checked = message.checked();
        if checked.empty_heads && !doc.get_heads().is_empty() {
            self.empty_openings += 1;
            if self.empty_openings > MAX_EMPTY_OPENINGS {
                return Err(SessionError::RepeatedEmptyOpening);
            }
        }
        let mut decoded =
            Message::decode(bytes).map_err(|e| SessionError::Decode(e.to_string()))?;
        self.messages_in += 1;
        self.bytes_in += bytes.len() as u64;

        // Candidates: what was held (oldest first), then this message's chunks in order.
        let mut candidates: Vec<Candidate> = std::mem::take(&mut self.held)
            .into_iter()
            .map(|h| Candidate {
                change: Some((h.hash, h.deps)),
                bytes: h.bytes,
                age: h.age + 1,
            })
            .collect();
        self.held_bytes = 0;
        for chunk in &checked.chunks {
            let (change, at) = match chunk {
                CheckedChunk::Change { hash, deps, at } => (Some((*hash, deps.clone())), at),
                CheckedChunk::Document { at } => (None, at),
            };
            let Some(chunk_bytes) = bytes.get(at.clone()) else {
                return Err(SessionError::Decode("a chunk outside the message".into()));
            };
            candidates.push(Candidate {
                change,
                bytes: chunk_bytes.to_vec(),
                age: 0,
            });
        }
        let (apply, orphans) = split_appliable(doc, candidates);
        for orphan in orphans {
            self.hold(orphan);
        }

        let change_count = apply.len();
        let mut raw_changes = Vec::with_capacity(apply.iter().map(|c| c.len()).sum());
        for chunk in &apply {
            raw_changes.extend_from_slice(chunk);
        }
        decoded.changes = automerge::sync::ChunkList::from(apply);
        let before = doc.get_heads();
        // A document damaged on this disk may already wait for a change peers will send;
        // what matters is that this message adds no wait of its own.
        let waiting_before = !doc.get_missing_deps(&[]).is_empty();
        crate::receive::receive(doc, &mut self.state, decoded)?;
        if !raw_changes.is_empty() && !waiting_before && !doc.get_missing_deps(&[]).is_empty() {
            return Err(SessionError::Orphaned);
        }
        Ok(Received {
            changed: doc.get_heads() != before,
            raw_changes,
            change_count,
            held: self.held.len(),
        })
    }

    /// Keeps an orphan, within the bounds: one too old is dropped, and when the count or
    /// bytes are spent, newcomers are (a flood of orphans cannot push out the ones that
    /// came first, nearest their missing parent).
    fn hold(&mut self, orphan: Candidate) {
        let Some((hash, deps)) = orphan.change else {
            return;
        };
        if orphan.age > MAX_HELD_AGE
            || self.held.len() >= MAX_HELD_CHANGES
            || self.held_bytes + orphan.bytes.len() > MAX_HELD_BYTES
        {
            return;
        }
        self.held_bytes += orphan.bytes.len();
        self.held.push(Held {
            hash,
            deps,
            bytes: orphan.bytes,
            age: orphan.age,
        });
    }

    /// Orphan changes held, waiting for their parents.
    pub fn held(&self) -> usize {
        self.held.len()
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

/// Splits candidates into those whose parents are all present (in the document, or among
/// candidates applied before them) and orphans; changes the document already has are
/// dropped. Linear in the number of changes and parents, whatever order they came in.
fn split_appliable(
    doc: &mut AutoCommit,
    candidates: Vec<Candidate>,
) -> (Vec<Vec<u8>>, Vec<Candidate>) {
    use std::collections::HashMap;
    // One lookup for every hash and parent named: which of them the document lacks.
    let named: Vec<ChangeHash> = candidates
        .iter()
        .filter_map(|c| c.change.as_ref())
        .flat_map(|(hash, deps)| std::iter::once(*hash).chain(deps.iter().copied()))
        .collect();
    let lacking: HashSet<ChangeHash> = doc.get_missing_deps(&named).into_iter().collect();

    let mut apply = Vec::new();
    let mut pending: Vec<Option<Candidate>> = Vec::new();
    let mut seen: HashSet<ChangeHash> = HashSet::new();
    for candidate in candidates {
        match &candidate.change {
            None => apply.push(candidate.bytes),
            Some((hash, _)) if !lacking.contains(hash) => {} // already in the document
            Some((hash, _)) if !seen.insert(*hash) => {}     // a duplicate within the batch
            Some(_) => pending.push(Some(candidate)),
        }
    }
    // Kahn's algorithm over the pending changes: each waits for its lacking parents.
    let mut unmet: Vec<usize> = vec![0; pending.len()];
    let mut waiting: HashMap<ChangeHash, Vec<usize>> = HashMap::new();
    let mut ready: Vec<usize> = Vec::new();
    for (i, candidate) in pending.iter().enumerate() {
        let Some(Candidate {
            change: Some((_, deps)),
            ..
        }) = candidate
        else {
            continue;
        };
        let parents: HashSet<&ChangeHash> = deps.iter().filter(|d| lacking.contains(d)).collect();
        unmet[i] = parents.len();
        for parent in parents {
            waiting.entry(*parent).or_default().push(i);
        }
        if unmet[i] == 0 {
            ready.push(i);
        }
    }
    // Keep the order they came in among those ready together.
    ready.reverse();
    while let Some(i) = ready.pop() {
        let Some(candidate) = pending[i].take() else {
            continue;
        };
        if let Some((hash, _)) = &candidate.change
            && let Some(children) = waiting.remove(hash)
        {
            for child in children.into_iter().rev() {
                unmet[child] -= 1;
                if unmet[child] == 0 {
                    ready.push(child);
                }
            }
        }
        apply.push(candidate.bytes);
    }
    (apply, pending.into_iter().flatten().collect())
}
