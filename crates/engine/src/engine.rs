//! The engine: every decision of a node, as `handle(input, now) -> outputs`.
//!
//! It owns the open communities, their sync sessions, the gate, back-off, admission and
//! the waiting requests; it reads no clock, opens no socket and spawns nothing. Maps are
//! ordered (`BTreeMap`), so the same inputs at the same times give the same outputs.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use automerge::ChangeHash;
use commonroom_model::commands::NewMember;
use commonroom_model::entities::{Invite, Member};
use commonroom_model::{
    Applied, Command, CommunityDoc, CommunityId, Ctx, MemberId, Role, Timestamp, Touched,
};
use commonroom_proto::checked::CheckedMessage;
use commonroom_proto::frame::{JoinReply, JoinRequest};
use commonroom_proto::invite::{MAX_TICKET_PEERS, TicketPeer};
use commonroom_proto::{Frame, InviteKey, PROTOCOL_VERSION, SyncSession, Ticket, verify_join};

use crate::community::Open;
use crate::device::DeviceId;
use crate::error::EngineError;
use crate::found::{Founded, Founding, found_community};
use crate::io::{
    Close, ConnId, Event, Input, JoinFailure, JoinId, Link, Outgoing, Output, PeerInfo, Request,
    RequestId, Response, SyncReport, Traffic,
};
use crate::peers::{KnownPeer, KnownPeers};
use crate::storage::{CommunityStorage, Storage};
use crate::time::Now;

mod notices;
mod reach;
mod side_sync;
mod talk;

pub use notices::{MAX_NOTICES, Notice, NoticeKind};
pub use side_sync::{MAX_SIDE_SESSIONS, SIDE_DOCS_AT_ONCE};
pub use talk::{ThreadRead, ThreadUnread, Unread};

/// Bytes per change assumed when a message's size hints at how many changes it carries.
const LABEL_BYTES_PER_CHANGE: usize = 256;

/// How long after a change the gate is recomputed from the document whatever the change
/// messages said (a backstop for mislabelled changes).
pub const GATE_RECHECK: Duration = Duration::from_secs(5);

/// Live connections one device may have per community: one each way while both dial at
/// once; a newer one lets the oldest go.
pub const MAX_CONNECTIONS_PER_PEER: usize = 2;

/// How many peers a device keeps connected per community by dialing: a community of up to
/// this many other devices is a full mesh; a larger one is a random mesh of this degree
/// (plus whoever dials in), and changes travel on by relay. Each device dials its own
/// random choice, ranked by a key drawn at start, so the mesh is connected with
/// overwhelming probability and no device is everyone's hub.
pub const MESH_DEGREE: usize = 8;

/// The first retry after a dial fails or a connection ends.
pub const FIRST_RETRY: Duration = Duration::from_millis(500);

/// Retries back off (doubling) up to this.
pub const MAX_RETRY: Duration = Duration::from_secs(60);

/// How long a join waits for the community to arrive once admitted.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(60);

/// How an engine starts.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// This device.
    pub device: DeviceId,
    /// This device's secret key (stable actor ids, founding).
    pub secret: [u8; 32],
    /// Dial member devices by itself and keep reconnecting (off for one-shot commands).
    pub connect_to_peers: bool,
    /// Seeds the ids the engine makes (members admitted, communities founded).
    pub seed: u64,
}

/// One live sync connection.
struct Live {
    community: CommunityId,
    peer: DeviceId,
    /// The peer's first message has been looked at (for the snapshot shortcut).
    first_seen: bool,
    session: SyncSession,
    reported_in_sync: bool,
    /// The peer takes member address books (its hello said so, or it sent one).
    shares_addresses: bool,
    /// This device's address book went to the peer; changes follow it.
    book_sent: bool,
    /// Side documents (conversations) synced on this connection.
    docs: side_sync::SideSessions,
}

/// Reconnection state for one (community, peer).
#[derive(Clone, Copy, Debug)]
struct Backoff {
    next: Duration,
    delay: Duration,
    in_flight: bool,
}

/// A request answered later.
struct Waiter {
    request: RequestId,
    community: CommunityId,
    deadline: Duration,
}

/// Ids for what the engine creates: time-ordered like every id, with bits from a seeded
/// generator (ids need to be unique, not secret).
struct IdSource(u64);

/// One step of SplitMix64: the engine's and the simulator's only source of chance.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl IdSource {
    fn next_bits(&mut self) -> u128 {
        (u128::from(splitmix(&mut self.0)) << 64) | u128::from(splitmix(&mut self.0))
    }

    fn id(&mut self, at: Timestamp) -> String {
        let millis = u64::try_from(at.millis()).unwrap_or(0);
        commonroom_model::ids::newest_first_id(millis, self.next_bits())
    }
}

/// Every decision of a node, driven by [`Input`]s and the time.
pub struct Engine<S: Storage> {
    storage: S,
    device: DeviceId,
    secret: [u8; 32],
    connect_to_peers: bool,
    communities: BTreeMap<CommunityId, Open<S::Community>>,
    live: BTreeMap<ConnId, Live>,
    /// Live connections counted per community and peer (kept with `live`).
    linked: BTreeMap<CommunityId, BTreeMap<DeviceId, usize>>,
    /// Ranks dial candidates: each device prefers its own random subset of the others.
    mesh_key: u64,
    backoff: BTreeMap<(CommunityId, DeviceId), Backoff>,
    /// What each community's gate admits, as last given to the driver.
    gates: BTreeMap<CommunityId, BTreeSet<DeviceId>>,
    sync_waiters: Vec<Waiter>,
    join_waiters: Vec<Waiter>,
    /// How peers reach this device, as the driver last said.
    direct: Vec<SocketAddr>,
    relay: Option<String>,
    ids: IdSource,
    now: Now,
    out: Vec<Output>,
}

/// What a panic said, for the log.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

impl<S: Storage> Engine<S> {
    /// Opens every community in `storage`; what the driver must do first (the gates, the
    /// peers to learn) waits in [`Engine::poll_outputs`].
    pub fn new(storage: S, config: EngineConfig, now: Now) -> Result<Self, EngineError> {
        let mut engine = Self {
            storage,
            device: config.device,
            secret: config.secret,
            connect_to_peers: config.connect_to_peers,
            communities: BTreeMap::new(),
            live: BTreeMap::new(),
            linked: BTreeMap::new(),
            mesh_key: config.seed ^ 0x6d65_7368_6b65_7921,
            backoff: BTreeMap::new(),
            gates: BTreeMap::new(),
            sync_waiters: Vec::new(),
            join_waiters: Vec::new(),
            direct: Vec::new(),
            relay: None,
            ids: IdSource(config.seed),
            now,
            out: Vec::new(),
        };
        for id in engine.storage.community_ids()? {
            if let Err(error) = engine.load(&id) {
                tracing::warn!(community = %id, %error, "community could not be opened");
            }
        }
        Ok(engine)
    }

    /// This device.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// The storage the engine writes to.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The communities open, by id.
    pub fn community_ids(&self) -> impl Iterator<Item = &CommunityId> {
        self.communities.keys()
    }

    /// A community's document (for tests and the simulator to compare states).
    pub fn document(&mut self, community: &CommunityId) -> Option<&mut CommunityDoc> {
        self.communities.get_mut(community).map(|o| &mut o.doc)
    }

    /// Live connections, as (connection, community, peer).
    pub fn connections(&self) -> impl Iterator<Item = (ConnId, &CommunityId, DeviceId)> {
        self.live.iter().map(|(id, l)| (*id, &l.community, l.peer))
    }

    /// Outputs waiting since the last call (those of [`Engine::new`]).
    pub fn poll_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// Handles one input at `now` and returns what to do.
    pub fn handle(&mut self, input: Input, now: Now) -> Vec<Output> {
        self.now = now;
        match input {
            Input::Request { id, request } => self.request(id, request),
            Input::Connected { conn, link } => self.connected(conn, link),
            Input::DialFailed { community, peer } => {
                tracing::debug!(peer = %peer.short(), "could not reach peer");
                self.dial_ended(&community, peer);
                let delay = self
                    .backoff
                    .get(&(community.clone(), peer))
                    .map_or(FIRST_RETRY, |b| (b.delay * 2).min(MAX_RETRY));
                self.mark_retry(&community, peer, delay);
            }
            Input::Message { conn, message } => {
                self.guarded(conn, |engine| engine.incoming(conn, &message))
            }
            Input::Snapshot { conn, bytes } => {
                self.guarded(conn, |engine| engine.snapshot_received(conn, &bytes))
            }
            Input::Closed { conn } => {
                if let Some(live) = self.remove_live(conn) {
                    self.mark_retry(&live.community, live.peer, FIRST_RETRY);
                    self.event(Event::PeerOffline {
                        community: live.community,
                        peer: live.peer,
                    });
                }
            }
            Input::JoinAsked {
                join,
                peer,
                request,
            } => self.answer_join(join, peer, &request),
            Input::JoinAnswered {
                request,
                ticket,
                result,
            } => self.join_answered(request, ticket, result),
            Input::PeerAddresses { conn, devices } => self.peer_addresses(conn, devices),
            Input::DocMessage { conn, doc, message } => {
                self.guarded(conn, |engine| engine.side_message(conn, &doc, &message))
            }
            Input::DocSnapshot {
                conn,
                doc,
                bytes,
                loaded,
            } => self.guarded(conn, |engine| {
                engine.side_snapshot(conn, &doc, &bytes, loaded.map(|doc| *doc))
            }),
            Input::DocHeads { conn, docs } => {
                self.guarded(conn, |engine| engine.side_heads_heard(conn, docs))
            }
            Input::Addresses { direct, relay } => {
                let changed = direct != self.direct || relay != self.relay;
                self.direct = direct;
                self.relay = relay;
                if changed {
                    self.own_addresses_changed();
                }
            }
            Input::Tick => self.tick(),
            Input::Shutdown => {
                let ids: Vec<ConnId> = self.live.keys().copied().collect();
                for id in ids {
                    self.let_go(id, Close::Finish);
                }
                let now = self.now.elapsed;
                for open in self.communities.values_mut() {
                    open.housekeeping(now, true);
                }
            }
        }
        self.check_waiters();
        std::mem::take(&mut self.out)
    }

    /// When the engine next wants an [`Input::Tick`] (monotonic time), if it waits for
    /// nothing but inputs. An idle node with every peer connected or backed off sleeps.
    pub fn next_tick(&self) -> Option<Duration> {
        let mut next: Option<Duration> = None;
        let mut at = |t: Duration| next = Some(next.map_or(t, |n| n.min(t)));
        for open in self.communities.values() {
            if let Some(due) = open.housekeeping_due() {
                at(due);
            }
            if open.ready && open.gate_stale {
                at(open.gate_checked + GATE_RECHECK);
            }
        }
        for waiter in self.sync_waiters.iter().chain(&self.join_waiters) {
            at(waiter.deadline);
        }
        if self.connect_to_peers {
            for (community, devices) in &self.gates {
                // A device with no room in its mesh dials no one, so waits for no retry.
                if !self.communities.contains_key(community) || self.dial_room(community) == 0 {
                    continue;
                }
                for peer in devices.iter().filter(|p| **p != self.device) {
                    if self.is_connected(community, peer) {
                        continue;
                    }
                    match self.backoff.get(&(community.clone(), *peer)) {
                        Some(b) if b.in_flight => {}
                        Some(b) => at(b.next),
                        None => at(Duration::ZERO),
                    }
                }
            }
        }
        next
    }

    fn event(&mut self, event: Event) {
        self.out.push(Output::Event(event));
    }

    fn reply(&mut self, id: RequestId, result: Result<Response, EngineError>) {
        self.out.push(Output::Reply { id, result });
    }

    fn load(&mut self, id: &CommunityId) -> Result<(), EngineError> {
        let opened = self.storage.open(id)?;
        for problem in &opened.problems {
            tracing::warn!("{problem}; the rest of the community loaded");
        }
        let doc = CommunityDoc::from_automerge_unchecked(opened.doc).with_actor(self.actor_for(id));
        let me = opened.store.read_local("me")?.map(MemberId::new);
        let peers = KnownPeers::parse(opened.store.read_local("peers")?.as_deref());
        for (peer, known) in &peers.peers {
            if let Ok(peer) = peer.parse::<DeviceId>() {
                self.out.push(Output::Learn {
                    peer,
                    addrs: known.addrs.clone(),
                    relay: known.relay.clone(),
                });
            }
        }
        let open = Open::new(doc, opened.store, me, peers, self.now.elapsed);
        self.communities.insert(id.to_owned(), open);
        self.refresh_gate(id);
        Ok(())
    }

    /// This device's stable actor id in a community.
    fn actor_for(&self, community: &CommunityId) -> [u8; 16] {
        commonroom_proto::invite::actor_id(&self.secret, community.as_str())
    }

    fn refresh_gate(&mut self, community: &CommunityId) {
        let Some(open) = self.communities.get_mut(community) else {
            return;
        };
        let mut admitted: BTreeSet<DeviceId> = open
            .doc
            .admitted_devices()
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect();
        if open.ready {
            // Remembered apart from the document, for a day its copy here is damaged.
            open.remember_devices(&admitted);
        } else {
            // Not readable yet (a new member, or a copy damaged on this disk): the devices
            // remembered and the peers known are who can bring it back.
            admitted.extend(open.recovery_peers());
        }
        open.gate_stale = false;
        open.gate_checked = self.now.elapsed;
        let ready = open.ready;
        // Let go of devices that are no longer admitted (removed members, unlinked devices).
        let revoked: Vec<ConnId> = self
            .live
            .iter()
            .filter(|(_, l)| l.community == *community && ready && !admitted.contains(&l.peer))
            .map(|(id, _)| *id)
            .collect();
        for id in revoked {
            tracing::info!(
                community = community.as_str(),
                "closing the connection of a device that is no longer admitted"
            );
            self.let_go(id, Close::Finish);
        }
        if self.gates.get(community) != Some(&admitted) {
            self.out.push(Output::Gate {
                community: community.clone(),
                devices: admitted.iter().copied().collect(),
            });
            self.gates.insert(community.clone(), admitted);
        }
    }

    fn let_go(&mut self, conn: ConnId, how: Close) {
        if self.remove_live(conn).is_some() {
            self.out.push(Output::Close { conn, how });
        }
    }

    fn remove_live(&mut self, conn: ConnId) -> Option<Live> {
        let live = self.live.remove(&conn)?;
        if let Some(peers) = self.linked.get_mut(&live.community)
            && let Some(count) = peers.get_mut(&live.peer)
        {
            *count -= 1;
            if *count == 0 {
                peers.remove(&live.peer);
            }
        }
        Some(live)
    }

    fn insert_live(&mut self, conn: ConnId, live: Live) {
        *self
            .linked
            .entry(live.community.clone())
            .or_default()
            .entry(live.peer)
            .or_default() += 1;
        self.live.insert(conn, live);
    }

    /// Distinct peers connected for a community.
    fn linked_peers(&self, community: &CommunityId) -> usize {
        self.linked.get(community).map_or(0, BTreeMap::len)
    }

    /// This device's preference for dialing `peer` (lower first).
    fn mesh_rank(&self, peer: &DeviceId) -> u64 {
        let mut h = self.mesh_key;
        for chunk in peer.as_bytes().chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h ^= u64::from_le_bytes(word);
            h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^= h >> 31;
        }
        h
    }

    fn request(&mut self, id: RequestId, request: Request) {
        let result = match request {
            Request::Create { name, me } => self.create(&name, &me).map(Response::Community),
            Request::List => Ok(Response::List(
                self.communities
                    .iter()
                    .map(|(id, open)| (id.clone(), open.name()))
                    .collect(),
            )),
            Request::Apply { community, command } => {
                self.apply(&community, command).map(Response::Applied)
            }
            Request::View { community } => self
                .ready(&community)
                .and_then(|open| open.view())
                .map(Response::View),
            Request::Me { community } => self.open(&community).map(|o| Response::Me(o.me.clone())),
            Request::History {
                community,
                filter,
                limit,
            } => self.ready(&community).map(|open| {
                open.activity.catch_up(&mut open.doc);
                Response::History(open.activity.query(&filter, limit))
            }),
            Request::PointBefore { community, change } => self.ready(&community).and_then(|open| {
                open.activity.catch_up(&mut open.doc);
                Ok(Response::Heads(open.activity.find(&change)?.1))
            }),
            Request::Invite {
                community,
                valid_for,
                for_me,
                uses,
                secret,
            } => self
                .invite(&community, valid_for, for_me, uses, secret)
                .map(Response::Ticket),
            Request::Join {
                ticket,
                name,
                focus,
            } => match self.start_join(id, ticket, name, focus) {
                Ok(()) => return,
                Err(e) => Err(e),
            },
            Request::SyncNow { community, timeout } => {
                if !self.communities.contains_key(&community) {
                    Err(EngineError::UnknownCommunity(community))
                } else {
                    let now = self.now.elapsed;
                    for ((c, _), backoff) in self.backoff.iter_mut() {
                        if *c == community {
                            backoff.next = now;
                            backoff.delay = FIRST_RETRY;
                        }
                    }
                    self.dial_community(&community, true);
                    self.sync_waiters.push(Waiter {
                        request: id,
                        community,
                        deadline: now + timeout,
                    });
                    return;
                }
            }
            Request::Peers { community } => self.peers(&community).map(Response::Peers),
            Request::Converse { community, command } => {
                self.converse(&community, command).map(Response::Conversed)
            }
            Request::Conversations { community } => self
                .conversation_index(&community)
                .map(Response::Conversations),
            Request::Thread {
                community,
                thread,
                mark_read,
            } => self
                .thread_read(&community, &thread, mark_read)
                .map(|read| Response::Thread(Box::new(read))),
            Request::Unread { community } => self.unread(&community).map(Response::Unread),
            Request::Notices { community, doc } => {
                self.notices(&community, &doc).map(Response::Notices)
            }
            Request::Mute {
                community,
                channel,
                muted,
            } => self.mute(&community, channel, muted).map(Response::Muted),
        };
        self.reply(id, result);
    }

    /// The back-off state of a (community, peer), created due now with `delay`.
    fn backoff_entry(
        &mut self,
        community: &CommunityId,
        peer: DeviceId,
        delay: Duration,
    ) -> &mut Backoff {
        let now = self.now.elapsed;
        self.backoff
            .entry((community.clone(), peer))
            .or_insert(Backoff {
                next: now,
                delay,
                in_flight: false,
            })
    }

    fn mark_retry(&mut self, community: &CommunityId, peer: DeviceId, delay: Duration) {
        let next = self.now.elapsed + delay;
        let entry = self.backoff_entry(community, peer, delay);
        entry.delay = delay;
        entry.next = next;
    }

    fn dial_ended(&mut self, community: &CommunityId, peer: DeviceId) {
        if let Some(b) = self.backoff.get_mut(&(community.clone(), peer)) {
            b.in_flight = false;
        }
    }

    fn open(&mut self, community: &CommunityId) -> Result<&mut Open<S::Community>, EngineError> {
        self.communities
            .get_mut(community)
            .ok_or_else(|| EngineError::UnknownCommunity(community.clone()))
    }

    fn ready(&mut self, community: &CommunityId) -> Result<&mut Open<S::Community>, EngineError> {
        let open = self.open(community)?;
        if !open.ready {
            return Err(EngineError::NotYetSynced(community.clone()));
        }
        Ok(open)
    }

    fn create(&mut self, name: &str, me: &str) -> Result<CommunityId, EngineError> {
        let at = self.now.wall;
        let founding = Founding {
            id: CommunityId::new(self.ids.id(at)),
            founder: MemberId::new(self.ids.id(at)),
            at,
        };
        let Founded {
            id,
            doc,
            store,
            founder,
        } = found_community(&self.storage, &self.secret, self.device, name, me, founding)?;
        let open = Open::new(
            doc,
            store,
            Some(founder),
            KnownPeers::default(),
            self.now.elapsed,
        );
        self.communities.insert(id.clone(), open);
        self.refresh_gate(&id);
        self.event(Event::CommunityAdded {
            community: id.clone(),
        });
        Ok(id)
    }

    /// Applies a local command: durable, then offered to every connected peer.
    fn apply(&mut self, community: &CommunityId, command: Command) -> Result<Applied, EngineError> {
        let now = self.now;
        let open = self.ready(community)?;
        let ctx = Ctx {
            by: open.me.clone(),
            now: now.wall,
        };
        let before = open.doc.heads();
        let applied = open.doc.apply(&ctx, command)?;
        // Durable before it is offered to peers: with a stable actor id, a change a peer saw
        // but this device lost would make the device reuse its sequence number.
        if let Err(error) = open.store.persist(open.doc.automerge_mut()) {
            // Not saved, so not kept: the person is told, and nothing shows or sends a
            // change that a restart would lose.
            open.forget_unsaved(&before);
            return Err(error.into());
        }
        open.last_change = now.elapsed;
        self.after_change(community, &before, 1, false);
        Ok(applied)
    }

    /// After a durable change: refresh the gate if needed, tell observers, push to peers.
    fn after_change(
        &mut self,
        community: &CommunityId,
        before: &[ChangeHash],
        new_changes: usize,
        remote: bool,
    ) {
        let Some(open) = self.communities.get_mut(community) else {
            return;
        };
        // A first sync or a large batch (which may arrive as one compressed document chunk):
        // reading every change's label would cost more than treating everything as changed.
        let touched =
            if before.is_empty() || new_changes > commonroom_model::doc::MAX_LABELLED_CHANGES {
                Touched::everything()
            } else {
                open.doc.touched_since(before)
            };
        if touched.collections.contains("community")
            && let Ok(c) = open.doc.community()
        {
            let _ = open.store.write_local("name", &c.name);
        }
        open.refresh_view(&touched);
        open.gate_stale = true;
        let membership = touched.membership();
        self.event(Event::Changed {
            community: community.clone(),
            touched,
            remote,
        });
        // Pushed before the gate closes anyone: a removed member's device still receives
        // its removal (and says so to its person) before its connection is let go.
        self.push(community);
        if membership {
            self.refresh_gate(community);
        }
    }

    /// Offers what each connected peer of `community` is missing.
    fn push(&mut self, community: &CommunityId) {
        let Some(open) = self.communities.get_mut(community) else {
            return;
        };
        let mut broken = Vec::new();
        for (id, live) in self
            .live
            .iter_mut()
            .filter(|(_, l)| l.community == *community)
        {
            let generated = std::panic::catch_unwind(AssertUnwindSafe(|| {
                live.session.generate(open.doc.automerge_mut())
            }));
            match generated {
                Ok(Some(bytes)) => self.out.push(Output::Send {
                    conn: *id,
                    frame: Outgoing::Frame(Frame::Sync(bytes)),
                }),
                Ok(None) => {}
                Err(panic) => {
                    tracing::error!(peer = %live.peer.short(), panic = %panic_text(&panic), "answering a peer failed inside Automerge; closing its connection");
                    broken.push(*id);
                }
            }
        }
        let failed = !broken.is_empty();
        for id in broken {
            self.let_go(id, Close::Finish);
        }
        if failed {
            self.reload(community);
        }
    }

    /// Runs the handling of a peer's message so that a panic inside it (Automerge trusts
    /// its input) costs that peer its connection, not the node: the community is read
    /// again from storage, where only what was durable counts.
    fn guarded(&mut self, conn: ConnId, handle: impl FnOnce(&mut Self)) {
        let Some(live) = self.live.get(&conn) else {
            return;
        };
        let (community, peer) = (live.community.clone(), live.peer);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| handle(self)));
        if let Err(panic) = outcome {
            tracing::error!(peer = %peer.short(), community = community.as_str(), panic = %panic_text(&panic), "a peer's message failed inside Automerge; closing its connection");
            self.let_go(conn, Close::Breach);
            self.reload(&community);
        }
    }

    /// Reads a community again from storage after a failure left its document in doubt;
    /// its connections are let go (they reconnect and sync from what is stored).
    fn reload(&mut self, community: &CommunityId) {
        let ids: Vec<ConnId> = self
            .live
            .iter()
            .filter(|(_, l)| l.community == *community)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.let_go(id, Close::Finish);
        }
        self.communities.remove(community);
        if let Err(error) = self.load(community) {
            tracing::error!(community = community.as_str(), %error, "the community could not be read again after a failure");
            // Gone from this device until the next start: no gate, no dials, no timers.
            self.gates.remove(community);
            self.backoff.retain(|(c, _), _| c != community);
            self.out.push(Output::Gate {
                community: community.clone(),
                devices: Vec::new(),
            });
        }
    }

    fn incoming(&mut self, conn: ConnId, message: &CheckedMessage) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        let community = live.community.clone();
        let Some(open) = self.communities.get_mut(&community) else {
            return;
        };
        if !live.first_seen {
            live.first_seen = true;
            let checked = message.checked();
            if open.ready && checked.empty_heads && checked.chunks.is_empty() {
                // A new member: send the whole community in one piece; it answers with a
                // fresh opening once loaded, and sync goes on from there.
                let snapshot = open.snapshot();
                live.session = SyncSession::new();
                live.session.messages_out += 1;
                live.session.bytes_out += snapshot.len() as u64;
                self.out.push(Output::Send {
                    conn,
                    frame: Outgoing::Snapshot(snapshot),
                });
                return;
            }
        }
        let before = open.doc.heads();
        let everything_saved = open.store.has_saved(&before);
        let received = match live
            .session
            .receive_checked(open.doc.automerge_mut(), message)
        {
            Ok(received) => received,
            Err(e) => {
                tracing::info!(peer = %live.peer.short(), error = %e, "closing connection after a bad sync message");
                if matches!(e, commonroom_proto::SessionError::Orphaned) {
                    // Only what was durable counts: drop what the message left half-applied.
                    open.forget_unsaved(&before);
                }
                self.let_go(conn, Close::Breach);
                return;
            }
        };
        // Only changes that joined the history are saved: orphans stay in the session,
        // bounded, and never reach storage.
        if received.changed {
            // Durable before it is relayed or reported: the received bytes are stored as
            // they came (no re-encoding); compaction folds them when quiet.
            let now = self.now.elapsed;
            if let Err(e) = open.save_received(everything_saved, &received.raw_changes, now) {
                tracing::error!(error = %e, "could not save changes from a peer");
                self.drop_unsaved(&community, &before, &e);
                self.let_go(conn, Close::Finish);
                return;
            }
            // A community arriving whole touches members, so `after_change` computes the gate.
            self.after_change(
                &community,
                &before,
                received
                    .change_count
                    .max(received.raw_changes.len() / LABEL_BYTES_PER_CHANGE),
                true,
            );
        } else {
            self.push(&community);
        }
        self.note_sync_state(conn);
    }

    /// Forgets received changes that could not be saved, so that what this device holds
    /// is what is stored (the peer sends them again on the next connection), and says so.
    fn drop_unsaved(
        &mut self,
        community: &CommunityId,
        before: &[ChangeHash],
        error: &commonroom_store::StoreError,
    ) {
        if let Some(open) = self.communities.get_mut(community) {
            open.forget_unsaved(before);
        }
        self.event(Event::SaveFailed {
            community: community.clone(),
            error: error.to_string(),
        });
    }

    /// A whole community from a peer, for a device that does not have it yet.
    fn snapshot_received(&mut self, conn: ConnId, bytes: &[u8]) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        let community = live.community.clone();
        let Some(open) = self.communities.get_mut(&community) else {
            return;
        };
        if open.ready {
            // Only a device waiting for its first copy takes a snapshot.
            tracing::info!(peer = %live.peer.short(), "ignoring an unrequested snapshot");
            return;
        }
        let before = open.doc.heads();
        let everything_saved = open.store.has_saved(&before);
        let waiting_before = !open.doc.automerge_mut().get_missing_deps(&[]).is_empty();
        let loaded = open.doc.automerge_mut().load_incremental(bytes);
        let orphaned =
            !waiting_before && !open.doc.automerge_mut().get_missing_deps(&[]).is_empty();
        if loaded.is_err() || orphaned {
            tracing::info!(peer = %live.peer.short(), "closing connection after a bad snapshot");
            open.forget_unsaved(&before);
            self.let_go(conn, Close::Breach);
            return;
        }
        if let Err(e) = open.save_received(everything_saved, bytes, self.now.elapsed) {
            tracing::error!(error = %e, "could not save a community received from a peer");
            self.drop_unsaved(&community, &before, &e);
            self.let_go(conn, Close::Finish);
            return;
        }
        // Reopen the exchange from what we now have; the peer sends only what the snapshot lacked.
        live.session = SyncSession::new();
        live.session.messages_in += 1;
        live.session.bytes_in += bytes.len() as u64;
        if let Some(opening) = live.session.generate(open.doc.automerge_mut()) {
            self.out.push(Output::Send {
                conn,
                frame: Outgoing::Frame(Frame::Sync(opening)),
            });
        }
        self.after_change(&community, &before, usize::MAX, true);
    }

    fn note_sync_state(&mut self, conn: ConnId) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        let Some(open) = self.communities.get_mut(&live.community) else {
            return;
        };
        let in_sync = live.session.in_sync(open.doc.automerge_mut());
        if in_sync && !live.reported_in_sync {
            live.reported_in_sync = true;
            let entry = open.peers.peers.entry(live.peer.to_string()).or_default();
            entry.last_sync = Some(self.now.wall.millis());
            open.peers_dirty = true;
            let event = Event::Synced {
                community: live.community.clone(),
                peer: live.peer,
            };
            self.event(event);
            self.offer_book(conn);
            self.offer_side_heads(conn);
        } else if !in_sync {
            live.reported_in_sync = false;
        }
    }

    fn connected(&mut self, conn: ConnId, link: Link) {
        let Link {
            community,
            peer,
            initiator,
            addrs,
            relay,
            shares_addresses,
            shares_docs,
            doc_snapshots,
        } = link;
        if initiator {
            self.dial_ended(&community, peer);
            self.mark_retry(&community, peer, FIRST_RETRY);
        }
        let wall = self.now.wall.millis();
        let Some(open) = self.communities.get_mut(&community) else {
            self.out.push(Output::Close {
                conn,
                how: Close::Refused,
            });
            return;
        };
        let entry = open.peers.peers.entry(peer.to_string()).or_default();
        // The peer's hello is its own word; having dialed, only the path the connection took
        // is known, which is kept when nothing better is (the peer's book says more).
        let first_hand = !initiator || !entry.reachable();
        let changed = first_hand && entry.hear(addrs, relay, wall);
        entry.last_seen = Some(wall);
        open.peers_dirty = true;

        let mut session = SyncSession::new();
        // Only the side that dialed opens the exchange; if both did, each would answer the
        // other's opening and the bulk of the changes would cross the wire twice.
        if initiator && let Some(first) = session.generate(open.doc.automerge_mut()) {
            self.out.push(Output::Send {
                conn,
                frame: Outgoing::Frame(Frame::Sync(first)),
            });
        }
        // A device keeps at most a few connections per community: a newer one lets the
        // oldest go (its queued frames, a snapshot among them, go with it).
        let mut same: Vec<ConnId> = self
            .live
            .iter()
            .filter(|(_, l)| l.community == community && l.peer == peer)
            .map(|(id, _)| *id)
            .collect();
        while same.len() >= MAX_CONNECTIONS_PER_PEER {
            let oldest = same.remove(0);
            tracing::info!(peer = %peer.short(), "a device opened another connection; letting its oldest go");
            self.let_go(oldest, Close::Finish);
        }
        self.insert_live(
            conn,
            Live {
                community: community.clone(),
                peer,
                first_seen: false,
                session,
                reported_in_sync: false,
                shares_addresses,
                book_sent: false,
                docs: side_sync::SideSessions::new(shares_docs, doc_snapshots),
            },
        );
        if changed
            && self.vouched_for(&community, &peer)
            && let Some(entry) = self.entry_for(&community, peer)
        {
            self.pass_on(&community, &[entry], Some(conn), Some(peer));
        }
        self.event(Event::PeerOnline { community, peer });
    }

    /// The inviter's side of a join: check the proof and the invite, admit, answer.
    fn answer_join(&mut self, join: JoinId, peer: DeviceId, request: &JoinRequest) {
        let result = self.admit(peer, request);
        if result.is_ok() {
            self.out.push(Output::Learn {
                peer,
                addrs: request.addrs.clone(),
                relay: request.relay.clone(),
            });
        }
        self.out.push(Output::JoinAnswer { join, result });
    }

    fn admit(&mut self, peer: DeviceId, request: &JoinRequest) -> Result<MemberId, String> {
        const UNKNOWN: &str = "this invite is not valid here (forged, or for another community)";
        // The community as the joiner named it: an id from the wire, checked below.
        let community = CommunityId::from(request.community.as_str());
        let member = MemberId::new(self.ids.id(self.now.wall));
        let now = self.now;
        let open = self.communities.get_mut(&community).ok_or(UNKNOWN)?;
        let invite = open
            .doc
            .get::<Invite>(&request.invite)
            .ok()
            .flatten()
            .ok_or(UNKNOWN)?;
        verify_join(
            &request.invite,
            community.as_str(),
            peer.as_bytes(),
            &request.signature,
        )
        .map_err(|e| e.to_string())?;
        // The admission is written, and recorded, as this device's member's: never as the
        // invite's creator, whose name is only what the invite entity says.
        let ctx = Ctx {
            by: open.me.clone(),
            now: now.wall,
        };
        let command = Command::Join {
            invite: request.invite.clone(),
            member: NewMember {
                id: member,
                name: request.name.clone(),
                organisation: None,
                roles: vec![Role::Member],
                focus: request.focus.clone(),
                contact: None,
            },
            device: peer.to_string(),
            device_label: if invite.for_member.is_some() {
                // A device-link ticket: the joiner names the device itself.
                request.name.trim().to_owned()
            } else {
                format!("{}'s device", request.name.trim())
            },
        };
        let before = open.doc.heads();
        let applied = open.doc.apply(&ctx, command).map_err(|e| e.to_string())?;
        let member = MemberId::new(applied.id);
        if let Err(e) = open.store.persist(open.doc.automerge_mut()) {
            open.forget_unsaved(&before);
            return Err(format!("the inviter could not save: {e}"));
        }
        open.last_change = now.elapsed;
        self.after_change(&community, &before, 1, false);
        tracing::info!(community = community.as_str(), member = %member, "a new member joined with an invite");
        Ok(member)
    }

    /// Records an invite and returns its ticket: for a new member, or (`for_me`) for
    /// another device of this device's member.
    fn invite(
        &mut self,
        community: &CommunityId,
        valid_for: Duration,
        for_me: bool,
        uses: u32,
        secret: [u8; 32],
    ) -> Result<Ticket, EngineError> {
        let for_member = if for_me {
            Some(
                self.open(community)?
                    .me
                    .clone()
                    .ok_or(EngineError::MemberUnknown)?,
            )
        } else {
            None
        };
        let key = InviteKey::from_secret(&secret);
        let expires_at = Timestamp::from_millis(
            self.now.wall.millis() + i64::try_from(valid_for.as_millis()).unwrap_or(i64::MAX),
        );
        self.apply(
            community,
            Command::CreateInvite {
                public_key: key.public_hex(),
                expires_at,
                for_member,
                uses,
            },
        )?;
        Ok(Ticket {
            community: community.to_string(),
            inviter: *self.device.as_bytes(),
            addrs: self.direct.clone(),
            relay: self.relay.clone(),
            secret,
            others: self.ticket_peers(community),
        })
    }

    /// Other member devices a ticket names, who can let the joiner in while this device is
    /// away: those connected now first, then those seen most recently, each with a way in.
    fn ticket_peers(&self, community: &CommunityId) -> Vec<TicketPeer> {
        let Some(open) = self.communities.get(community) else {
            return Vec::new();
        };
        let mut known: Vec<(bool, i64, DeviceId, &KnownPeer)> = open
            .peers
            .peers
            .iter()
            .filter_map(|(id, known)| Some((id.parse::<DeviceId>().ok()?, known)))
            .filter(|(device, known)| {
                *device != self.device && known.reachable() && self.vouched_for(community, device)
            })
            .map(|(device, known)| {
                let online = self.is_connected(community, &device);
                (online, known.last_seen.unwrap_or(0), device, known)
            })
            .collect();
        known.sort_by_key(|k| std::cmp::Reverse((k.0, k.1)));
        known
            .into_iter()
            .take(MAX_TICKET_PEERS)
            .map(|(_, _, device, known)| TicketPeer {
                id: *device.as_bytes(),
                addrs: known.addrs.clone(),
                relay: known.relay.clone(),
            })
            .collect()
    }

    fn start_join(
        &mut self,
        request: RequestId,
        ticket: Ticket,
        name: String,
        focus: Vec<String>,
    ) -> Result<(), EngineError> {
        if self
            .communities
            .contains_key(&CommunityId::from(ticket.community.as_str()))
        {
            return Err(EngineError::AlreadyMember);
        }
        let inviter = DeviceId(ticket.inviter);
        let mut candidates = vec![inviter];
        self.out.push(Output::Learn {
            peer: inviter,
            addrs: ticket.addrs.clone(),
            relay: ticket.relay.clone(),
        });
        for other in &ticket.others {
            let device = DeviceId(other.id);
            if candidates.contains(&device) || device == self.device {
                continue;
            }
            candidates.push(device);
            self.out.push(Output::Learn {
                peer: device,
                addrs: other.addrs.clone(),
                relay: other.relay.clone(),
            });
        }
        let key = InviteKey::from_secret(&ticket.secret);
        let join = JoinRequest {
            version: PROTOCOL_VERSION,
            community: ticket.community.clone(),
            invite: key.public_hex(),
            signature: key.sign_join(&ticket.community, self.device.as_bytes()),
            name,
            focus,
            addrs: self.direct.clone(),
            relay: self.relay.clone(),
        };
        self.out.push(Output::Join {
            request,
            candidates,
            ticket,
            join,
        });
        Ok(())
    }

    fn join_answered(
        &mut self,
        request: RequestId,
        ticket: Ticket,
        result: Result<(DeviceId, JoinReply), JoinFailure>,
    ) {
        let (admitted_by, joined) = match result {
            Ok(answer) => answer,
            Err(failure) => {
                let error = match failure {
                    JoinFailure::Refused(reason) => EngineError::InviteRefused(reason),
                    JoinFailure::Busy => EngineError::InviterBusy,
                    JoinFailure::Unreachable(why) => EngineError::InviterUnreachable(why),
                };
                self.reply(request, Err(error));
                return;
            }
        };
        // Everyone the ticket names is a member to sync with; the one who let this device
        // in is dialed first.
        let mut peers = KnownPeers::default();
        let named = std::iter::once((ticket.inviter, &ticket.addrs, &ticket.relay)).chain(
            ticket
                .others
                .iter()
                .map(|other| (other.id, &other.addrs, &other.relay)),
        );
        for (id, addrs, relay) in named {
            if DeviceId(id) == self.device {
                continue;
            }
            peers.peers.insert(
                DeviceId(id).to_string(),
                KnownPeer {
                    addrs: addrs.clone(),
                    relay: relay.clone(),
                    ..Default::default()
                },
            );
        }
        // The community the ticket names (the edge where its text becomes an id).
        let community = CommunityId::from(ticket.community.as_str());
        // Who this device is and whom to ask for the community are stored with it, in one
        // step: a join cut short never leaves a community that knows no peer to sync with.
        let mut doc = CommunityDoc::awaiting_sync().with_actor(self.actor_for(&community));
        let store = match self.storage.create(
            &community,
            doc.automerge_mut(),
            &[("me", &joined.member), ("peers", &peers.to_text())],
        ) {
            Ok(store) => store,
            Err(e) => {
                self.reply(request, Err(e.into()));
                return;
            }
        };
        let open = Open::new(
            doc,
            store,
            Some(MemberId::new(joined.member)),
            peers,
            self.now.elapsed,
        );
        self.communities.insert(community.clone(), open);
        self.refresh_gate(&community);
        self.event(Event::CommunityAdded {
            community: community.clone(),
        });
        self.join_waiters.push(Waiter {
            request,
            community: community.clone(),
            deadline: self.now.elapsed + JOIN_TIMEOUT,
        });
        self.dial(&community, admitted_by);
    }

    /// Devices to dial for a community: those its gate admits (which, while the community
    /// has not arrived, are the devices remembered and the peers known), other than this one.
    fn dial_candidates(&self, community: &CommunityId) -> Vec<DeviceId> {
        if !self.communities.contains_key(community) {
            return Vec::new();
        }
        self.gates
            .get(community)
            .map(|devices| {
                devices
                    .iter()
                    .copied()
                    .filter(|p| *p != self.device)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn is_connected(&self, community: &CommunityId, peer: &DeviceId) -> bool {
        self.linked
            .get(community)
            .is_some_and(|peers| peers.contains_key(peer))
    }

    /// How many more peers a community may dial now: the mesh degree, less the peers
    /// connected and the dials under way to peers not connected.
    fn dial_room(&self, community: &CommunityId) -> usize {
        let in_flight = self
            .backoff
            .range((community.clone(), DeviceId([0; 32]))..)
            .take_while(|((c, _), _)| c == community)
            .filter(|((_, peer), b)| b.in_flight && !self.is_connected(community, peer))
            .count();
        MESH_DEGREE.saturating_sub(self.linked_peers(community) + in_flight)
    }

    /// Dials the devices of a community that are due: up to [`MESH_DEGREE`] peers in the
    /// order this device prefers, or (`force`, a sync asked for) every one not connected.
    fn dial_community(&mut self, community: &CommunityId, force: bool) {
        let now = self.now.elapsed;
        let mut candidates = self.dial_candidates(community);
        let mut room = if force {
            usize::MAX
        } else {
            self.dial_room(community)
        };
        candidates.sort_by_key(|p| self.mesh_rank(p));
        for peer in candidates {
            if room == 0 {
                break;
            }
            if self.is_connected(community, &peer) {
                continue;
            }
            let due = self
                .backoff
                .get(&(community.clone(), peer))
                .is_none_or(|b| !b.in_flight && (force || b.next <= now));
            if due {
                self.dial(community, peer);
                room -= 1;
            }
        }
    }

    fn dial(&mut self, community: &CommunityId, peer: DeviceId) {
        let entry = self.backoff_entry(community, peer, FIRST_RETRY);
        if entry.in_flight {
            return;
        }
        entry.in_flight = true;
        self.out.push(Output::Dial {
            community: community.clone(),
            peer,
        });
    }

    fn tick(&mut self) {
        let now = self.now.elapsed;
        for open in self.communities.values_mut() {
            open.housekeeping(now, false);
        }
        // Backstop for mislabelled changes: recompute the gate a while after a change.
        let stale: Vec<CommunityId> = self
            .communities
            .iter()
            .filter(|(_, o)| o.ready && o.gate_stale && now >= o.gate_checked + GATE_RECHECK)
            .map(|(id, _)| id.clone())
            .collect();
        for community in stale {
            self.refresh_gate(&community);
        }
        if !self.connect_to_peers {
            return;
        }
        let ids: Vec<CommunityId> = self.communities.keys().cloned().collect();
        for community in ids {
            self.dial_community(&community, false);
        }
    }

    fn check_waiters(&mut self) {
        let now = self.now.elapsed;
        for waiter in std::mem::take(&mut self.sync_waiters) {
            let candidates = self.dial_candidates(&waiter.community);
            let dialing = candidates.iter().any(|p| {
                self.backoff
                    .get(&(waiter.community.clone(), *p))
                    .is_some_and(|b| b.in_flight)
            });
            let lives: Vec<&Live> = self
                .live
                .values()
                .filter(|l| l.community == waiter.community)
                .collect();
            let all_in_sync = lives.iter().all(|l| l.reported_in_sync);
            if (!dialing && all_in_sync) || now >= waiter.deadline {
                let synced: BTreeSet<DeviceId> = lives
                    .iter()
                    .filter(|l| l.reported_in_sync)
                    .map(|l| l.peer)
                    .collect();
                let report = SyncReport {
                    synced: synced.into_iter().collect(),
                    candidates: candidates.len(),
                };
                self.reply(waiter.request, Ok(Response::Synced(report)));
            } else {
                self.sync_waiters.push(waiter);
            }
        }
        for waiter in std::mem::take(&mut self.join_waiters) {
            let ready = self
                .communities
                .get(&waiter.community)
                .is_some_and(|o| o.ready);
            let in_sync = self
                .live
                .values()
                .any(|l| l.community == waiter.community && l.reported_in_sync);
            if ready && in_sync {
                let id = waiter.community.clone();
                self.reply(waiter.request, Ok(Response::Community(id)));
            } else if now >= waiter.deadline {
                self.reply(waiter.request, Err(EngineError::NotArrived));
            } else {
                self.join_waiters.push(waiter);
            }
        }
    }

    fn peers(&mut self, community: &CommunityId) -> Result<Vec<PeerInfo>, EngineError> {
        let mut ids: BTreeSet<DeviceId> = self.dial_candidates(community).into_iter().collect();
        let open = self
            .communities
            .get(community)
            .ok_or_else(|| EngineError::UnknownCommunity(community.clone()))?;
        ids.extend(
            open.peers
                .peers
                .keys()
                .filter_map(|p| p.parse::<DeviceId>().ok()),
        );
        ids.remove(&self.device);
        let header = commonroom_proto::frame::HEADER_LEN as u64;
        let mut out = Vec::new();
        for device in ids {
            let known = open
                .peers
                .peers
                .get(&device.to_string())
                .cloned()
                .unwrap_or_default();
            let member = open.doc.member_of_device(&device.to_string()).map(|m| {
                let name = open
                    .doc
                    .get::<Member>(m.as_str())
                    .ok()
                    .flatten()
                    .map(|member| member.name)
                    .unwrap_or_default();
                (m, name)
            });
            let mut online = false;
            let mut traffic = Traffic::default();
            for live in self
                .live
                .values()
                .filter(|l| l.community == *community && l.peer == device)
            {
                online = true;
                traffic.messages_out += live.session.messages_out;
                traffic.messages_in += live.session.messages_in;
                traffic.bytes_out += live.session.bytes_out + header * live.session.messages_out;
                traffic.bytes_in += live.session.bytes_in + header * live.session.messages_in;
            }
            out.push(PeerInfo {
                device,
                member,
                online,
                last_sync: known.last_sync,
                addrs: known.addrs,
                relay: known.relay,
                traffic,
            });
        }
        out.sort_by_key(|p| (p.member.as_ref().map(|m| m.1.clone()), p.device));
        Ok(out)
    }
}
