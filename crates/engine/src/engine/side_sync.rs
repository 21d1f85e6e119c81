//! Side documents (conversations) over a community's sync connection: after the community
//! document is in sync, the side that accepted tells the other the heads of every side
//! document it has (the conversation index first, then threads most recently active
//! first); the dialer answers with its own; each side then syncs the documents whose heads
//! differ, a few at a time in that order, so a new member has the newest threads first.
//! Changes made or received later are offered at once, as for the community document.
//!
//! A document the peer did not name (it has none of it) goes whole: the first sync message
//! the peer sends about it is answered with a `DocSnapshot` (the saved document, loaded in
//! one step instead of applying each change), and sync goes on from there. Only the side
//! that accepted knows the dialer takes snapshots (its hello says so), so only it sends
//! them; a dialer lacking documents is the usual case (a new member dials to join).
//!
//! Everything here happens on a connection the gate accepted: a stranger or a removed
//! member never gets a byte of any side document.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::panic::AssertUnwindSafe;

use automerge::AutoCommit;
use automerge::ChangeHash;
use commonroom_model::CommunityId;
use commonroom_model::conversations::{DocKey, SideDoc};
use commonroom_proto::checked::CheckedMessage;
use commonroom_proto::frame::{DocHeads, MAX_DOC_HEADS_PER_FRAME, MAX_HEADS_PER_DOC};
use commonroom_proto::{Frame, SyncSession};

use super::{Engine, panic_text};
use crate::io::{Close, ConnId, Event, Outgoing, Output};
use crate::storage::Storage;

/// Side documents synced at once on one connection: a new member receives the community
/// document and then the this many most recently active threads before the rest.
pub const SIDE_DOCS_AT_ONCE: usize = 20;

/// Most side-document sessions one connection may open; a peer naming more is in breach.
pub const MAX_SIDE_SESSIONS: usize = 20_000;

/// One connection's side-document sync.
#[derive(Default)]
pub(super) struct SideSessions {
    /// The peer syncs side documents (its hello said so, or it sent heads).
    pub(super) shares: bool,
    /// The peer takes whole documents it lacks (its hello said so).
    snapshots: bool,
    /// The peer's heads arrived: a document it did not name is one it lacks.
    heard: bool,
    /// The documents the peer named in its heads.
    named: BTreeSet<DocKey>,
    /// This device's heads went to the peer; changes are offered as they come from then on.
    heads_sent: bool,
    sessions: BTreeMap<DocKey, SyncSession>,
    /// Documents with an exchange under way (not yet seen in sync).
    busy: BTreeSet<DocKey>,
    /// Documents to sync when fewer are busy, in the order to sync them.
    queue: VecDeque<DocKey>,
}

impl SideSessions {
    /// A connection's side sync, the peer having said whether it syncs side documents and
    /// takes whole documents it lacks.
    pub(super) fn new(shares: bool, snapshots: bool) -> Self {
        Self {
            shares,
            snapshots,
            ..Self::default()
        }
    }

    /// Whether the peer is asking about `key` for the first time without having named it,
    /// and takes a whole document in answer.
    fn lacks(&self, key: &DocKey) -> bool {
        self.snapshots
            && self.heard
            && !self.named.contains(key)
            && !self.sessions.contains_key(key)
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

impl<S: Storage> Engine<S> {
    /// Tells the peer which side documents this device has, once per connection: the side
    /// that accepted does so when the community is first in sync, the dialer in answer.
    pub(super) fn offer_side_heads(&mut self, conn: ConnId) {
        let Some(live) = self.live.get(&conn) else {
            return;
        };
        if !live.docs.shares || live.docs.heads_sent {
            return;
        }
        let community = live.community.clone();
        let docs = self.side_heads_in_order(&community);
        if let Some(live) = self.live.get_mut(&conn) {
            live.docs.heads_sent = true;
        }
        for chunk in docs.chunks(MAX_DOC_HEADS_PER_FRAME) {
            self.out.push(Output::Send {
                conn,
                frame: Outgoing::Frame(Frame::DocHeads(chunk.to_vec())),
            });
        }
        if docs.is_empty() {
            // Say so even with nothing: the dialer answers a heads frame with its own.
            self.out.push(Output::Send {
                conn,
                frame: Outgoing::Frame(Frame::DocHeads(Vec::new())),
            });
        }
    }

    /// Every side document's heads: the conversation index first, then threads most
    /// recently active first, then any others.
    fn side_heads_in_order(&mut self, community: &CommunityId) -> Vec<DocHeads> {
        let actor = self.actor_for(community);
        let Some(open) = self.communities.get_mut(community) else {
            return Vec::new();
        };
        let mut known = match open.sides.all_heads(&self.storage, community) {
            Ok(known) => known.clone(),
            Err(error) => {
                tracing::warn!(%error, "the conversations could not be listed");
                return Vec::new();
            }
        };
        let mut order = Vec::new();
        if known.contains_key(&DocKey::Conversations) {
            order.push(DocKey::Conversations);
            if let Ok(index) = open.sides.index(&self.storage, community, actor) {
                order.extend(index.threads.iter().map(|t| DocKey::Thread(t.id.clone())));
            }
        }
        let mut list = Vec::new();
        for key in order {
            if let Some(heads) = known.remove(&key) {
                list.push((key, heads));
            }
        }
        list.extend(known);
        list.into_iter()
            .map(|(key, heads)| DocHeads {
                doc: key.encode(),
                heads: heads.iter().take(MAX_HEADS_PER_DOC).map(|h| h.0).collect(),
            })
            .collect()
    }

    /// The peer's heads: sync every document whose heads differ from ours (or that one
    /// side lacks), in the order the peer named them.
    pub(super) fn side_heads_heard(&mut self, conn: ConnId, docs: Vec<DocHeads>) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        live.docs.shares = true;
        let community = live.community.clone();
        self.offer_side_heads(conn);
        let Some(open) = self.communities.get_mut(&community) else {
            return;
        };
        if !open.ready {
            return;
        }
        let ours = match open.sides.all_heads(&self.storage, &community) {
            Ok(known) => known.clone(),
            Err(error) => {
                tracing::warn!(%error, "the conversations could not be listed");
                return;
            }
        };
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        live.docs.heard = true;
        for entry in docs {
            // A kind of document a newer build keeps: not ours to sync.
            let Ok(key) = DocKey::parse(&entry.doc) else {
                continue;
            };
            if live.docs.named.len() < MAX_SIDE_SESSIONS {
                live.docs.named.insert(key.clone());
            }
            let theirs = sorted(entry.heads.into_iter().map(ChangeHash).collect());
            let mine = sorted(ours.get(&key).cloned().unwrap_or_default());
            let differs = if theirs.len() == MAX_HEADS_PER_DOC {
                // A cut list: sync to be sure.
                true
            } else {
                theirs != mine
            };
            if differs && !live.docs.sessions.contains_key(&key) && !live.docs.queue.contains(&key)
            {
                live.docs.queue.push_back(key);
            }
        }
        self.start_queued_sides(conn);
    }

    /// Starts queued documents while fewer than [`SIDE_DOCS_AT_ONCE`] are busy.
    fn start_queued_sides(&mut self, conn: ConnId) {
        loop {
            let Some(live) = self.live.get_mut(&conn) else {
                return;
            };
            if live.docs.busy.len() >= SIDE_DOCS_AT_ONCE {
                return;
            }
            let Some(key) = live.docs.queue.pop_front() else {
                return;
            };
            if live.docs.sessions.contains_key(&key) {
                continue;
            }
            live.docs.sessions.insert(key.clone(), SyncSession::new());
            live.docs.busy.insert(key.clone());
            self.send_side(conn, &key);
        }
    }

    /// Sends what the session for `key` on `conn` has to say, if anything.
    fn send_side(&mut self, conn: ConnId, key: &DocKey) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        let community = live.community.clone();
        let actor = commonroom_proto::invite::actor_id(&self.secret, community.as_str());
        let Some(open) = self.communities.get_mut(&community) else {
            return;
        };
        let Some(session) = live.docs.sessions.get_mut(key) else {
            return;
        };
        let slot = match open.sides.get(&self.storage, &community, key, actor) {
            Ok(slot) => slot,
            Err(error) => {
                tracing::warn!(doc = %key, %error, "a conversation could not be read");
                return;
            }
        };
        let generated = std::panic::catch_unwind(AssertUnwindSafe(|| {
            session.generate(slot.doc.automerge_mut())
        }));
        match generated {
            Ok(Some(message)) => self.out.push(Output::Send {
                conn,
                frame: Outgoing::Frame(Frame::DocSync {
                    doc: key.encode(),
                    message,
                }),
            }),
            Ok(None) => {}
            Err(panic) => {
                tracing::error!(panic = %panic_text(&panic), "answering a peer about a conversation failed inside Automerge; closing its connection");
                self.let_go(conn, Close::Breach);
            }
        }
    }

    /// Offers a side document that changed (here or from a peer) to every connection of
    /// the community that syncs side documents.
    pub(super) fn push_side(&mut self, community: &CommunityId, key: &DocKey) {
        let conns: Vec<ConnId> = self
            .live
            .iter()
            .filter(|(_, l)| l.community == *community && l.docs.shares && l.docs.heads_sent)
            .map(|(id, _)| *id)
            .collect();
        for conn in conns {
            let Some(live) = self.live.get_mut(&conn) else {
                continue;
            };
            if live.docs.sessions.contains_key(key) {
                live.docs.busy.insert(key.clone());
                self.send_side(conn, key);
            } else if !live.docs.queue.contains(key) {
                live.docs.queue.push_back(key.clone());
                self.start_queued_sides(conn);
            }
        }
    }

    /// A sync message about a side document: applied, saved, offered on, answered.
    pub(super) fn side_message(&mut self, conn: ConnId, doc: &str, message: &CheckedMessage) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        let Ok(key) = DocKey::parse(doc) else {
            // Only keys of kinds this build knows are ever offered to a peer.
            tracing::info!(peer = %live.peer.short(), "a sync message about an unknown document; closing the connection");
            self.let_go(conn, Close::Breach);
            return;
        };
        live.docs.shares = true;
        let community = live.community.clone();
        let peer = live.peer;
        if !live.docs.sessions.contains_key(&key) && live.docs.sessions.len() >= MAX_SIDE_SESSIONS {
            tracing::info!(peer = %peer.short(), "a peer opened too many conversations at once; closing the connection");
            self.let_go(conn, Close::Breach);
            return;
        }
        let actor = commonroom_proto::invite::actor_id(&self.secret, community.as_str());
        let Some(open) = self.communities.get_mut(&community) else {
            return;
        };
        if !open.ready {
            return;
        }
        if live.docs.lacks(&key) {
            let stored = match open.sides.all_heads(&self.storage, &community) {
                Ok(known) => known.contains_key(&key),
                Err(_) => false,
            };
            if stored {
                match open.sides.whole(&self.storage, &community, &key, actor) {
                    Ok(bytes) => {
                        // The peer opens afresh once it has loaded it.
                        live.docs.sessions.insert(key.clone(), SyncSession::new());
                        self.out.push(Output::Send {
                            conn,
                            frame: Outgoing::Frame(Frame::DocSnapshot {
                                doc: key.encode(),
                                bytes,
                            }),
                        });
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(doc = %key, %error, "a conversation could not be read whole; syncing it change by change");
                    }
                }
            }
        }
        let session = live
            .docs
            .sessions
            .entry(key.clone())
            .or_insert_with(SyncSession::new);
        live.docs.busy.insert(key.clone());
        let slot = match open.sides.get(&self.storage, &community, &key, actor) {
            Ok(slot) => slot,
            Err(error) => {
                tracing::warn!(doc = %key, %error, "a conversation could not be read");
                self.let_go(conn, Close::Finish);
                return;
            }
        };
        let before = slot.doc.heads();
        let received = match session.receive_checked(slot.doc.automerge_mut(), message) {
            Ok(received) => received,
            Err(error) => {
                tracing::info!(peer = %peer.short(), %error, "closing connection after a bad conversation sync message");
                if matches!(error, commonroom_proto::SessionError::Orphaned) {
                    slot.doc.rewind(&before);
                }
                self.let_go(conn, Close::Breach);
                return;
            }
        };
        let in_sync = session.in_sync(slot.doc.automerge_mut()) && session.held() == 0;
        if received.changed {
            if !self.keep_from_peer(conn, &community, &key, &before) {
                return;
            }
            // Answers this peer and passes the news on to the others.
            self.push_side(&community, &key);
        } else {
            self.send_side(conn, &key);
        }
        if in_sync && let Some(live) = self.live.get_mut(&conn) {
            live.docs.busy.remove(&key);
            self.start_queued_sides(conn);
        }
    }

    /// A whole side document the peer sent in answer to this device's first message about
    /// it: loaded, saved, then synced on from what it holds now.
    pub(super) fn side_snapshot(
        &mut self,
        conn: ConnId,
        doc: &str,
        bytes: &[u8],
        loaded: Option<AutoCommit>,
    ) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        let Ok(key) = DocKey::parse(doc) else {
            tracing::info!(peer = %live.peer.short(), "a snapshot of an unknown document; closing the connection");
            self.let_go(conn, Close::Breach);
            return;
        };
        if !live.docs.sessions.contains_key(&key) {
            // Only a document this device asked about is taken whole.
            tracing::info!(peer = %live.peer.short(), doc = %key, "ignoring an unrequested conversation snapshot");
            return;
        }
        let community = live.community.clone();
        let peer = live.peer;
        let actor = commonroom_proto::invite::actor_id(&self.secret, community.as_str());
        let Some(open) = self.communities.get_mut(&community) else {
            return;
        };
        let slot = match open.sides.get(&self.storage, &community, &key, actor) {
            Ok(slot) => slot,
            Err(error) => {
                tracing::warn!(doc = %key, %error, "a conversation could not be read");
                self.let_go(conn, Close::Finish);
                return;
            }
        };
        let before = slot.doc.heads();
        let loaded = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if slot.doc.is_genesis_only() {
                // Nothing here yet: load it as a whole document, many times faster than
                // applying its changes to the genesis one by one.
                return match loaded.map_or_else(|| AutoCommit::load(bytes), Ok) {
                    Ok(doc) => {
                        slot.doc = SideDoc::from_automerge(key.clone(), doc, Some(actor));
                        true
                    }
                    Err(_) => false,
                };
            }
            let doc = slot.doc.automerge_mut();
            let waiting_before = !doc.get_missing_deps(&[]).is_empty();
            let loaded = doc.load_incremental(bytes);
            let orphaned = !waiting_before && !doc.get_missing_deps(&[]).is_empty();
            loaded.is_ok() && !orphaned
        }));
        if !matches!(loaded, Ok(true)) {
            tracing::info!(peer = %peer.short(), doc = %key, "closing connection after a bad conversation snapshot");
            slot.doc.rewind(&before);
            self.let_go(conn, Close::Breach);
            return;
        }
        if slot.doc.heads() != before && !self.keep_from_peer(conn, &community, &key, &before) {
            return;
        }
        if let Some(live) = self.live.get_mut(&conn) {
            live.docs.sessions.insert(key.clone(), SyncSession::new());
            live.docs.busy.insert(key.clone());
        }
        // Opens afresh with this peer (it sends only what the snapshot lacked) and offers
        // the news to the others.
        self.push_side(&community, &key);
    }

    /// Makes what a peer sent of `key` durable and tells of it; if it cannot be saved it is
    /// not kept (the document goes back to `before`) and the connection is let go. Whether
    /// it was kept.
    fn keep_from_peer(
        &mut self,
        conn: ConnId,
        community: &CommunityId,
        key: &DocKey,
        before: &[ChangeHash],
    ) -> bool {
        let Some(open) = self.communities.get_mut(community) else {
            return false;
        };
        if let Err(error) = open.sides.persist(&self.storage, community, key) {
            tracing::error!(%error, "could not save a conversation from a peer");
            open.sides.rewind(key, before);
            self.event(Event::SaveFailed {
                community: community.clone(),
                error: error.to_string(),
            });
            self.let_go(conn, Close::Finish);
            return false;
        }
        self.event(Event::Talked {
            community: community.clone(),
            doc: key.clone(),
            remote: true,
        });
        true
    }
}
