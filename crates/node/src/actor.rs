//! The actor: owns every open community and every sync session; the only writer of the data directory.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use commonroom_model::automerge::ChangeHash;
use commonroom_model::commands::NewMember;
use commonroom_model::entities::Invite;
use commonroom_model::history::{Activity, ActivityFilter, ActivityLog};
use commonroom_model::{
    Applied, Command, CommunityDoc, CommunityId, CommunityView, Ctx, MemberId, Role, Timestamp,
    Touched,
};
use commonroom_net::dial::{dial_join, dial_sync};
use commonroom_net::handlers::refuse;
use commonroom_net::{Bound, Gate, Inbound, NetError};
use commonroom_proto::checked::CheckedMessage;
use commonroom_proto::frame::{JoinReply, JoinRequest};
use commonroom_proto::{Frame, InviteKey, PROTOCOL_VERSION, SyncSession, Ticket, verify_join};
use commonroom_store::{CommunityStore, DataDir};
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{Endpoint, EndpointAddr, EndpointId, TransportAddr};
use tokio::sync::{OwnedSemaphorePermit, broadcast, mpsc, oneshot};

use crate::conn::{self, ConnId, OUTGOING_QUEUE, Outgoing, PeerShare};
use crate::error::NodeError;
use crate::event::Event;
use crate::found::{Founded, found_community};
use crate::handle::{NodeConfig, PeerInfo, SyncReport};
use crate::peers::KnownPeers;

type Reply<T> = oneshot::Sender<Result<T, NodeError>>;
type Dialed = Result<(Connection, SendStream, RecvStream), NetError>;

/// Messages to the actor, from handles and from the node's own tasks.
pub(crate) enum Msg {
    Create {
        name: String,
        me: String,
        reply: Reply<CommunityId>,
    },
    List {
        reply: Reply<Vec<(String, String)>>,
    },
    Apply {
        community: String,
        command: Command,
        reply: Reply<Applied>,
    },
    View {
        community: String,
        reply: Reply<Arc<CommunityView>>,
    },
    Me {
        community: String,
        reply: Reply<Option<MemberId>>,
    },
    History {
        community: String,
        filter: ActivityFilter,
        limit: usize,
        reply: Reply<Vec<Activity>>,
    },
    PointBefore {
        community: String,
        change: String,
        reply: Reply<Vec<ChangeHash>>,
    },
    Invite {
        community: String,
        valid_for: Duration,
        for_me: bool,
        reply: Reply<Ticket>,
    },
    Join {
        ticket: Ticket,
        name: String,
        focus: Vec<String>,
        reply: Reply<CommunityId>,
    },
    SyncNow {
        community: String,
        timeout: Duration,
        reply: Reply<SyncReport>,
    },
    Peers {
        community: String,
        reply: Reply<Vec<PeerInfo>>,
    },
    Addrs {
        reply: Reply<Vec<std::net::SocketAddr>>,
    },
    UntilOnline {
        limit: Duration,
        reply: Reply<()>,
    },
    Shutdown,
    /// A sync message that passed the limits on its connection's task; the permit holds
    /// its room among what that device has in flight until the actor is done with it.
    Incoming {
        id: ConnId,
        message: CheckedMessage,
        _permit: OwnedSemaphorePermit,
    },
    Snapshot {
        id: ConnId,
        bytes: Vec<u8>,
        _permit: OwnedSemaphorePermit,
    },
    Closed {
        id: ConnId,
    },
    Dialed {
        community: String,
        peer: EndpointId,
        result: Box<Dialed>,
    },
    JoinAnswered {
        ticket: Ticket,
        result: Result<JoinReply, NetError>,
        reply: Reply<CommunityId>,
    },
}

/// One community open on this device.
struct Open {
    doc: CommunityDoc,
    store: CommunityStore,
    me: Option<MemberId>,
    peers: KnownPeers,
    /// The known-peer list changed since it was last written.
    peers_dirty: bool,
    /// When the document last changed (compaction waits for a quiet moment).
    last_change: Instant,
    /// The community has arrived (its schema is readable); stays true once set.
    ready: bool,
    /// The heads the gate was last computed at, and when.
    gate_checked: (Vec<commonroom_model::automerge::ChangeHash>, Instant),
    /// The materialised view, once someone asked for it; kept current from what each
    /// change touched, so the window never waits for a whole-community read per change.
    view: Option<Arc<CommunityView>>,
    /// The activity feed, read whole the first time it is asked for and then only from
    /// the changes that arrived since.
    activity: ActivityLog,
    /// The whole community as handed to new members, shared by every connection that
    /// sends it (kept until the next compaction; sync sends what it lacks).
    snapshot: Option<Arc<Vec<u8>>>,
    /// The admitted devices as last written to the local `devices` file.
    remembered_devices: Option<String>,
}

impl Open {
    /// The materialised view, read whole the first time it is asked for.
    fn view(&mut self) -> Result<Arc<CommunityView>, NodeError> {
        if let Some(view) = &self.view {
            return Ok(Arc::clone(view));
        }
        let view = Arc::new(CommunityView::hydrate(&mut self.doc)?);
        self.view = Some(Arc::clone(&view));
        Ok(view)
    }

    /// Brings the materialised view up to date after a change (copying it first if a
    /// reader still holds the previous snapshot).
    fn refresh_view(&mut self, touched: &Touched) {
        if let Some(view) = &mut self.view
            && let Err(error) = Arc::make_mut(view).refresh(&mut self.doc, touched)
        {
            tracing::warn!(%error, "could not refresh the view; it will be read again");
            self.view = None;
        }
    }

    fn new(
        doc: CommunityDoc,
        mut store: CommunityStore,
        me: Option<MemberId>,
        peers: KnownPeers,
    ) -> Self {
        store.set_compact_on_persist(false);
        let ready = doc.is_ready();
        Self {
            doc,
            store,
            me,
            peers,
            peers_dirty: false,
            last_change: Instant::now(),
            ready,
            gate_checked: (Vec::new(), Instant::now()),
            view: None,
            activity: ActivityLog::default(),
            snapshot: None,
            remembered_devices: None,
        }
    }

    /// Writes down the admitted devices when they changed (a framed local file), so a copy
    /// of the document damaged on this disk still knows whom to ask.
    fn remember_devices(&mut self, admitted: &HashSet<EndpointId>) {
        let mut ids: Vec<String> = admitted.iter().map(hex).collect();
        ids.sort();
        let text = ids.join("\n");
        if self.remembered_devices.as_deref() == Some(text.as_str()) {
            return;
        }
        match self.store.write_local("devices", &text) {
            Ok(()) => self.remembered_devices = Some(text),
            Err(error) => tracing::warn!(%error, "could not remember the community's devices"),
        }
    }

    /// Who may help a community not readable here: the devices remembered and the peers known.
    fn recovery_peers(&mut self) -> Vec<EndpointId> {
        if self.remembered_devices.is_none() {
            self.remembered_devices = self.store.read_local("devices").ok().flatten();
        }
        self.remembered_devices
            .iter()
            .flat_map(|text| text.lines())
            .chain(self.peers.peers.keys().map(String::as_str))
            .filter_map(|id| id.trim().parse().ok())
            .collect()
    }

    /// The community for a new member, read or saved once and then shared.
    fn snapshot(&mut self) -> Arc<Vec<u8>> {
        if let Some(snapshot) = &self.snapshot {
            return Arc::clone(snapshot);
        }
        let bytes = match self.store.snapshot_bytes() {
            Ok(Some(stored)) => stored,
            _ => self.doc.save(),
        };
        let snapshot = Arc::new(bytes);
        self.snapshot = Some(Arc::clone(&snapshot));
        snapshot
    }

    /// Drops the changes made after `before` because they could not be saved, so that
    /// what this device holds is what is on its disk.
    fn forget_unsaved(&mut self, before: &[commonroom_model::automerge::ChangeHash]) {
        if let Err(rewind) = self.doc.rewind(before) {
            tracing::error!(%rewind, "unsaved changes could not be dropped");
        }
    }

    /// Makes changes just received from a peer durable: stored as the bytes came when
    /// everything before them was already on disk, otherwise by writing all that is missing.
    /// Notes a community that has just arrived whole.
    fn save_received(
        &mut self,
        everything_saved_before: bool,
        raw: &[u8],
    ) -> Result<(), commonroom_store::StoreError> {
        if everything_saved_before {
            self.store.persist_received(raw, self.doc.automerge_mut())?;
        } else {
            self.store.persist(self.doc.automerge_mut())?;
        }
        self.last_change = Instant::now();
        if !self.ready && self.doc.is_ready() {
            self.ready = true;
            if let Ok(c) = self.doc.community() {
                let _ = self.store.write_local("name", &c.name);
            }
        }
        Ok(())
    }

    /// Housekeeping when nothing is urgent: write the known-peer list, compact when quiet.
    fn housekeeping(&mut self) {
        if self.peers_dirty {
            self.peers_dirty = false;
            if let Err(e) = self.store.write_local("peers", &self.peers.to_text()) {
                tracing::warn!(error = %e, "could not save the known-peer list");
            }
        }
        if self.last_change.elapsed() >= QUIET_BEFORE_COMPACTING && self.store.chunk_count() > 0 {
            let chunks = self.store.chunk_count();
            if let Err(e) = self.store.maybe_compact(self.doc.automerge_mut()) {
                tracing::warn!(error = %e, "compaction failed; the chunks stay and will be retried");
            }
            if self.store.chunk_count() != chunks {
                self.snapshot = None;
            }
        }
    }
}

/// Bytes per change assumed when a message's size hints at how many changes it carries.
const LABEL_BYTES_PER_CHANGE: usize = 256;

/// How often the gate is recomputed from the document when it changed, whatever the change messages said.
const GATE_RECHECK: Duration = Duration::from_secs(5);

/// How long a community must be quiet before its chunks are compacted.
const QUIET_BEFORE_COMPACTING: Duration = Duration::from_secs(2);

/// Live connections one device may have per community: one each way while both dial at
/// once; a newer one lets the oldest go.
const MAX_CONNECTIONS_PER_PEER: usize = 2;

/// One live sync connection.
struct Live {
    community: String,
    peer: EndpointId,
    tx: mpsc::Sender<Outgoing>,
    /// What this device may cost, shared with its other connections.
    share: Arc<PeerShare>,
    /// The connection, to close it as a breach of the protocol.
    conn: Connection,
    /// The peer's first message has been looked at (for the snapshot shortcut).
    first_seen: bool,
    session: SyncSession,
    reported_in_sync: bool,
}

/// A sync connection that passed its handshake, to be run.
struct Established {
    community: String,
    peer: EndpointId,
    peer_addrs: Vec<std::net::SocketAddr>,
    peer_relay: Option<String>,
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
    /// We dialed (and so open the exchange).
    initiator: bool,
}

/// Reconnection state for one (community, peer).
struct Backoff {
    next: Instant,
    delay: Duration,
    in_flight: bool,
}

const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(60);
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);

struct Waiter<T> {
    community: String,
    deadline: Instant,
    reply: Reply<T>,
}

pub(crate) struct Actor {
    data: DataDir,
    bound: Bound,
    gate: Gate,
    own_id: EndpointId,
    secret: [u8; 32],
    connect_to_peers: bool,
    communities: HashMap<String, Open>,
    live: HashMap<ConnId, Live>,
    /// Each connected device's budget, kept while the node runs so reconnecting does not refill it.
    shares: HashMap<EndpointId, Arc<PeerShare>>,
    next_conn: ConnId,
    backoff: HashMap<(String, EndpointId), Backoff>,
    sync_waiters: Vec<Waiter<SyncReport>>,
    join_waiters: Vec<Waiter<CommunityId>>,
    tx: mpsc::Sender<Msg>,
    events: broadcast::Sender<Event>,
}

/// Binds on the port used last time when the caller did not fix one, so peers' remembered
/// addresses stay valid across restarts; falls back to any free port.
async fn bind_preferring_last_port(
    data: &DataDir,
    secret: [u8; 32],
    config: &commonroom_net::NetConfig,
) -> Result<Bound, NodeError> {
    use std::net::{Ipv4Addr, SocketAddr};
    let file = data.root().join("last-port");
    let wanted = config
        .bind
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
    let mut bound = None;
    if wanted.port() == 0
        && let Some(port) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| t.trim().parse::<u16>().ok())
    {
        let preferred = commonroom_net::NetConfig {
            bind: Some(SocketAddr::new(wanted.ip(), port)),
            ..config.clone()
        };
        bound = commonroom_net::bind(secret, &preferred).await.ok();
    }
    let bound = match bound {
        Some(bound) => bound,
        None => {
            commonroom_net::bind(
                secret,
                &commonroom_net::NetConfig {
                    bind: Some(wanted),
                    ..config.clone()
                },
            )
            .await?
        }
    };
    if let Some(port) = bound.endpoint.bound_sockets().first().map(|a| a.port()) {
        let _ = std::fs::write(&file, port.to_string());
    }
    Ok(bound)
}

/// What a panic said, for the log.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn hex(id: &EndpointId) -> String {
    id.to_string()
}

impl Actor {
    pub(crate) async fn start(
        config: &NodeConfig,
        tx: mpsc::Sender<Msg>,
        events: broadcast::Sender<Event>,
    ) -> Result<Self, NodeError> {
        let data = DataDir::open(&config.data_dir)?;
        let secret = data.device_secret()?;
        let bound = bind_preferring_last_port(&data, secret, &config.net).await?;
        let own_id = bound.endpoint.id();
        let mut actor = Self {
            data,
            bound,
            gate: Gate::new(),
            own_id,
            secret,
            connect_to_peers: config.connect_to_peers,
            communities: HashMap::new(),
            live: HashMap::new(),
            shares: HashMap::new(),
            next_conn: 1,
            backoff: HashMap::new(),
            sync_waiters: Vec::new(),
            join_waiters: Vec::new(),
            tx,
            events,
        };
        for id in actor.data.community_ids()? {
            match actor.load(&id) {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(community = %id, error = %e, "community could not be opened")
                }
            }
        }
        Ok(actor)
    }

    fn load(&mut self, id: &str) -> Result<(), NodeError> {
        let loaded = self.data.open_community(id)?;
        for problem in &loaded.problems {
            tracing::warn!("{problem}; the rest of the community loaded");
        }
        let doc = CommunityDoc::from_automerge_unchecked(loaded.doc).with_actor(self.actor_for(id));
        let me = loaded.store.read_local("me")?.map(MemberId::new);
        let peers = KnownPeers::parse(loaded.store.read_local("peers")?.as_deref());
        for (peer, known) in &peers.peers {
            if let Ok(peer) = peer.parse::<EndpointId>() {
                self.bound
                    .learn(peer, known.addrs.iter().copied(), known.relay.as_deref());
            }
        }
        self.communities
            .insert(id.to_owned(), Open::new(doc, loaded.store, me, peers));
        self.refresh_gate(id);
        Ok(())
    }

    /// This device's stable actor id in a community.
    fn actor_for(&self, community: &str) -> [u8; 16] {
        commonroom_proto::invite::actor_id(&self.secret, community)
    }

    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.bound.endpoint
    }

    pub(crate) fn gate(&self) -> Gate {
        self.gate.clone()
    }

    fn refresh_gate(&mut self, community: &str) {
        let Some(open) = self.communities.get_mut(community) else {
            return;
        };
        let mut admitted: HashSet<EndpointId> = open
            .doc
            .admitted_devices()
            .iter()
            .filter_map(|d| d.parse::<EndpointId>().ok())
            .collect();
        if open.ready {
            // Remembered apart from the document, for a day its copy here is damaged.
            open.remember_devices(&admitted);
        } else {
            // Not readable yet (a new member, or a copy damaged on this disk): the devices
            // remembered and the peers known are who can bring it back.
            admitted.extend(open.recovery_peers());
        }
        open.gate_checked = (open.doc.heads(), Instant::now());
        let ready = open.ready;
        // Close live connections of devices that are no longer admitted (removed members, unlinked devices).
        let revoked: Vec<ConnId> = self
            .live
            .iter()
            .filter(|(_, l)| l.community == community && ready && !admitted.contains(&l.peer))
            .map(|(id, _)| *id)
            .collect();
        for id in revoked {
            tracing::info!(
                community,
                "closing the connection of a device that is no longer admitted"
            );
            self.live.remove(&id);
        }
        self.gate.set(community, admitted);
    }

    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::Receiver<Msg>,
        mut inbound: mpsc::Receiver<Inbound>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(Msg::Shutdown) | None => break,
                    Some(msg) => self.handle(msg),
                },
                Some(conn) = inbound.recv() => self.inbound(conn),
                _ = tick.tick() => self.tick(),
            }
            self.check_waiters();
        }
        // Dropping the senders ends every connection task; the stores are durable already.
        self.live.clear();
        for open in self.communities.values_mut() {
            open.last_change = Instant::now() - QUIET_BEFORE_COMPACTING;
            open.housekeeping();
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Create { name, me, reply } => {
                let _ = reply.send(self.create(&name, &me));
            }
            Msg::List { reply } => {
                let mut list: Vec<(String, String)> = self
                    .communities
                    .iter()
                    .map(|(id, open)| {
                        let name = open
                            .doc
                            .community()
                            .map(|c| c.name)
                            .unwrap_or_else(|_| "(not yet received)".into());
                        (id.clone(), name)
                    })
                    .collect();
                list.sort();
                let _ = reply.send(Ok(list));
            }
            Msg::Apply {
                community,
                command,
                reply,
            } => {
                let _ = reply.send(self.apply(&community, command));
            }
            Msg::View { community, reply } => {
                let result = self.ready(&community).and_then(|open| open.view());
                let _ = reply.send(result);
            }
            Msg::Me { community, reply } => {
                let _ = reply.send(self.open(&community).map(|o| o.me.clone()));
            }
            Msg::History {
                community,
                filter,
                limit,
                reply,
            } => {
                let result = self.ready(&community).map(|open| {
                    open.activity.catch_up(&mut open.doc);
                    open.activity.query(&filter, limit)
                });
                let _ = reply.send(result);
            }
            Msg::PointBefore {
                community,
                change,
                reply,
            } => {
                let result = self.ready(&community).and_then(|open| {
                    open.activity.catch_up(&mut open.doc);
                    Ok(open.activity.find(&change)?.1)
                });
                let _ = reply.send(result);
            }
            Msg::Invite {
                community,
                valid_for,
                for_me,
                reply,
            } => {
                let _ = reply.send(self.invite(&community, valid_for, for_me));
            }
            Msg::Join {
                ticket,
                name,
                focus,
                reply,
            } => self.start_join(ticket, name, focus, reply),
            Msg::JoinAnswered {
                ticket,
                result,
                reply,
            } => self.join_answered(ticket, result, reply),
            Msg::SyncNow {
                community,
                timeout,
                reply,
            } => {
                if !self.communities.contains_key(&community) {
                    let _ = reply.send(Err(NodeError::UnknownCommunity(community)));
                    return;
                }
                for ((c, _), backoff) in self.backoff.iter_mut() {
                    if *c == community {
                        backoff.next = Instant::now();
                        backoff.delay = FIRST_RETRY;
                    }
                }
                self.dial_community(&community, true);
                self.sync_waiters.push(Waiter {
                    community,
                    deadline: Instant::now() + timeout,
                    reply,
                });
            }
            Msg::Peers { community, reply } => {
                let _ = reply.send(self.peers(&community));
            }
            Msg::Addrs { reply } => {
                let _ = reply.send(Ok(self.bound.direct_addrs()));
            }
            Msg::UntilOnline { limit, reply } => {
                let bound = self.bound.clone();
                tokio::spawn(async move {
                    bound.until_online(limit).await;
                    let _ = reply.send(Ok(()));
                });
            }
            Msg::Shutdown => {}
            Msg::Incoming { id, message, .. } => {
                self.guarded(id, |actor| actor.incoming(id, &message))
            }
            Msg::Snapshot { id, bytes, .. } => self.guarded(id, |actor| actor.snapshot(id, &bytes)),
            Msg::Closed { id } => {
                if let Some(live) = self.live.remove(&id) {
                    self.mark_retry(&live.community, live.peer, FIRST_RETRY);
                    let _ = self.events.send(Event::PeerOffline {
                        community: live.community,
                        peer: live.peer,
                    });
                }
            }
            Msg::Dialed {
                community,
                peer,
                result,
            } => {
                if let Some(b) = self.backoff.get_mut(&(community.clone(), peer)) {
                    b.in_flight = false;
                }
                match *result {
                    Ok((conn, send, recv)) => {
                        self.mark_retry(&community, peer, FIRST_RETRY);
                        self.register(Established {
                            community,
                            peer,
                            peer_addrs: Vec::new(),
                            peer_relay: None,
                            conn,
                            send,
                            recv,
                            initiator: true,
                        });
                    }
                    Err(e) => {
                        tracing::debug!(peer = %peer.fmt_short(), error = %e, "could not reach peer");
                        let delay = self
                            .backoff
                            .get(&(community.clone(), peer))
                            .map_or(FIRST_RETRY, |b| (b.delay * 2).min(MAX_RETRY));
                        self.mark_retry(&community, peer, delay);
                    }
                }
            }
        }
    }

    fn mark_retry(&mut self, community: &str, peer: EndpointId, delay: Duration) {
        let entry = self
            .backoff
            .entry((community.to_owned(), peer))
            .or_insert(Backoff {
                next: Instant::now(),
                delay,
                in_flight: false,
            });
        entry.delay = delay;
        entry.next = Instant::now() + delay;
    }

    fn open(&mut self, community: &str) -> Result<&mut Open, NodeError> {
        self.communities
            .get_mut(community)
            .ok_or_else(|| NodeError::UnknownCommunity(community.to_owned()))
    }

    fn ready(&mut self, community: &str) -> Result<&mut Open, NodeError> {
        let open = self.open(community)?;
        if !open.ready {
            return Err(NodeError::NotYetSynced(community.to_owned()));
        }
        Ok(open)
    }

    fn create(&mut self, name: &str, me: &str) -> Result<CommunityId, NodeError> {
        let Founded {
            id,
            doc,
            store,
            founder,
        } = found_community(&self.data, &self.secret, name, me)?;
        self.communities.insert(
            id.to_string(),
            Open::new(doc, store, Some(founder), KnownPeers::default()),
        );
        self.refresh_gate(id.as_str());
        let _ = self.events.send(Event::CommunityAdded {
            community: id.to_string(),
        });
        Ok(id)
    }

    /// Applies a local command: durable, then offered to every connected peer.
    fn apply(&mut self, community: &str, command: Command) -> Result<Applied, NodeError> {
        let open = self.ready(community)?;
        let ctx = Ctx {
            by: open.me.clone(),
            now: now(),
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
        open.last_change = Instant::now();
        self.after_change(community, &before, 1, false);
        Ok(applied)
    }

    /// After a durable change: refresh the gate if needed, tell observers, push to peers.
    fn after_change(
        &mut self,
        community: &str,
        before: &[commonroom_model::automerge::ChangeHash],
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
        let membership = touched.membership();
        let _ = self.events.send(Event::Changed {
            community: community.to_owned(),
            touched,
            remote,
        });
        // Pushed before the gate closes anyone: a removed member's device still receives
        // its removal (and says so to its person) before its connection is wound down.
        self.push(community);
        if membership {
            self.refresh_gate(community);
        }
    }

    /// Offers what each connected peer of `community` is missing.
    fn push(&mut self, community: &str) {
        let Some(open) = self.communities.get_mut(community) else {
            return;
        };
        let mut stuck = Vec::new();
        let mut failed = false;
        for (id, live) in self
            .live
            .iter_mut()
            .filter(|(_, l)| l.community == community)
        {
            // The time is charged to whoever caused the change (see `guarded`), never to
            // the peers it is offered to.
            let generated = std::panic::catch_unwind(AssertUnwindSafe(|| {
                live.session.generate(open.doc.automerge_mut())
            }));
            match generated {
                Ok(Some(bytes)) => {
                    if live
                        .tx
                        .try_send(Outgoing::Frame(Frame::Sync(bytes)))
                        .is_err()
                    {
                        tracing::warn!(
                            "a peer is not keeping up; closing its connection (it will resync on reconnect)"
                        );
                        stuck.push(*id);
                    }
                }
                Ok(None) => {}
                Err(panic) => {
                    tracing::error!(peer = %live.peer.fmt_short(), panic = %panic_text(&panic), "answering a peer failed inside Automerge; closing its connection");
                    stuck.push(*id);
                    failed = true;
                }
            }
        }
        for id in stuck {
            self.live.remove(&id);
        }
        if failed {
            self.reload(community);
        }
    }

    /// Runs the handling of a peer's message so that a panic inside it (Automerge trusts
    /// its input) costs that peer its connection, not the node: the community is read again
    /// from disk, where only what was durable counts. The time taken is charged to the peer.
    fn guarded(&mut self, id: ConnId, handle: impl FnOnce(&mut Self)) {
        let Some(live) = self.live.get(&id) else {
            return;
        };
        let (community, share, peer) = (live.community.clone(), Arc::clone(&live.share), live.peer);
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| handle(self)));
        share.charge_cpu(started.elapsed());
        if let Err(panic) = outcome {
            tracing::error!(peer = %peer.fmt_short(), community, panic = %panic_text(&panic), "a peer's message failed inside Automerge; closing its connection");
            self.breach(id);
            self.reload(&community);
        }
    }

    /// Lets go of a connection whose peer broke the protocol, saying so in the close.
    fn breach(&mut self, id: ConnId) {
        if let Some(live) = self.live.remove(&id) {
            live.conn
                .close(commonroom_net::close::PROTOCOL.into(), b"protocol error");
        }
    }

    /// Reads a community again from disk after a failure left its document in doubt; its
    /// connections are let go (they reconnect and sync from what is on disk).
    fn reload(&mut self, community: &str) {
        self.live.retain(|_, l| l.community != community);
        self.communities.remove(community);
        if let Err(error) = self.load(community) {
            tracing::error!(community, %error, "the community could not be read again after a failure");
        }
    }

    fn incoming(&mut self, id: ConnId, message: &CheckedMessage) {
        let Some(live) = self.live.get_mut(&id) else {
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
                // A new member: send the whole community in one piece; it answers with a fresh
                // opening once loaded, and sync goes on from there.
                let snapshot = open.snapshot();
                live.session = SyncSession::new();
                live.session.messages_out += 1;
                live.session.bytes_out += snapshot.len() as u64;
                if live.tx.try_send(Outgoing::Snapshot(snapshot)).is_err() {
                    self.live.remove(&id);
                }
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
                tracing::info!(peer = %live.peer.fmt_short(), error = %e, "closing connection after a bad sync message");
                if matches!(e, commonroom_proto::SessionError::Orphaned) {
                    // Only what was durable counts: drop what the message left half-applied.
                    open.forget_unsaved(&before);
                }
                self.breach(id);
                return;
            }
        };
        // Only changes that joined the history are saved: orphans stay in the session,
        // bounded, and never reach the disk.
        if received.changed {
            // Durable before it is relayed or reported: the received bytes are stored as they
            // came (no re-encoding); compaction turns them into a snapshot when quiet.
            if let Err(e) = open.save_received(everything_saved, &received.raw_changes) {
                tracing::error!(error = %e, "could not save changes from a peer");
                self.drop_unsaved(&community, &before, &e);
                self.live.remove(&id);
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
        self.note_sync_state(id);
    }

    /// Forgets received changes that could not be saved, so that what this device holds is
    /// what is on its disk (the peer sends them again on the next connection), and says so.
    fn drop_unsaved(
        &mut self,
        community: &str,
        before: &[commonroom_model::automerge::ChangeHash],
        error: &commonroom_store::StoreError,
    ) {
        if let Some(open) = self.communities.get_mut(community) {
            open.forget_unsaved(before);
        }
        let _ = self.events.send(Event::SaveFailed {
            community: community.to_owned(),
            error: error.to_string(),
        });
    }

    /// A whole community from a peer, for a device that does not have it yet.
    fn snapshot(&mut self, id: ConnId, bytes: &[u8]) {
        let Some(live) = self.live.get_mut(&id) else {
            return;
        };
        let community = live.community.clone();
        let Some(open) = self.communities.get_mut(&community) else {
            return;
        };
        if open.ready {
            // Only a device waiting for its first copy takes a snapshot.
            tracing::info!(peer = %live.peer.fmt_short(), "ignoring an unrequested snapshot");
            return;
        }
        let before = open.doc.heads();
        let everything_saved = open.store.has_saved(&before);
        let waiting_before = !open.doc.automerge_mut().get_missing_deps(&[]).is_empty();
        let loaded = open.doc.automerge_mut().load_incremental(bytes);
        let orphaned =
            !waiting_before && !open.doc.automerge_mut().get_missing_deps(&[]).is_empty();
        if loaded.is_err() || orphaned {
            tracing::info!(peer = %live.peer.fmt_short(), "closing connection after a bad snapshot");
            open.forget_unsaved(&before);
            self.breach(id);
            return;
        }
        if let Err(e) = open.save_received(everything_saved, bytes) {
            tracing::error!(error = %e, "could not save a community received from a peer");
            self.drop_unsaved(&community, &before, &e);
            self.live.remove(&id);
            return;
        }
        // Reopen the exchange from what we now have; the peer sends only what the snapshot lacked.
        live.session = SyncSession::new();
        live.session.messages_in += 1;
        live.session.bytes_in += bytes.len() as u64;
        if let Some(opening) = live.session.generate(open.doc.automerge_mut())
            && live
                .tx
                .try_send(Outgoing::Frame(Frame::Sync(opening)))
                .is_err()
        {
            self.live.remove(&id);
            return;
        }
        self.after_change(&community, &before, usize::MAX, true);
    }

    fn note_sync_state(&mut self, id: ConnId) {
        let Some(live) = self.live.get_mut(&id) else {
            return;
        };
        let Some(open) = self.communities.get_mut(&live.community) else {
            return;
        };
        let in_sync = live.session.in_sync(open.doc.automerge_mut());
        if in_sync && !live.reported_in_sync {
            live.reported_in_sync = true;
            let entry = open.peers.peers.entry(hex(&live.peer)).or_default();
            entry.last_sync = Some(now().millis());
            open.peers_dirty = true;
            let _ = self.events.send(Event::Synced {
                community: live.community.clone(),
                peer: live.peer,
            });
        } else if !in_sync {
            live.reported_in_sync = false;
        }
    }

    fn register(&mut self, established: Established) {
        let Established {
            community,
            peer,
            peer_addrs,
            peer_relay,
            conn,
            send,
            recv,
            initiator,
        } = established;
        let Some(open) = self.communities.get_mut(&community) else {
            conn.close(commonroom_net::close::REFUSED.into(), b"unknown community");
            return;
        };
        // What the peer said in its hello (a few usable ones); else what this connection
        // runs over.
        let paths = conn.paths();
        let mut addrs = commonroom_net::endpoint::usable_addrs(peer_addrs);
        if addrs.is_empty() {
            addrs = paths
                .iter()
                .filter_map(|p| match p.remote_addr() {
                    TransportAddr::Ip(a) => Some(*a),
                    _ => None,
                })
                .collect();
        }
        let relay = match peer_relay {
            Some(relay) => Some(relay),
            // Having dialed, a relay path leads to the peer's home relay (accepting, to our own).
            None if initiator => paths.iter().find_map(|p| match p.remote_addr() {
                TransportAddr::Relay(url) => Some(url.to_string()),
                _ => None,
            }),
            None => None,
        };
        let relay = self
            .bound
            .learn(peer, addrs.iter().copied(), relay.as_deref())
            .map(|url| url.to_string());
        let entry = open.peers.peers.entry(hex(&peer)).or_default();
        if !addrs.is_empty() {
            entry.addrs = addrs;
        }
        if relay.is_some() {
            entry.relay = relay;
        }
        entry.last_seen = Some(now().millis());
        open.peers_dirty = true;

        let id = self.next_conn;
        self.next_conn += 1;
        let (tx, rx) = mpsc::channel(OUTGOING_QUEUE);
        let mut session = SyncSession::new();
        // Only the side that dialed opens the exchange; if both did, each would answer the
        // other's opening and the bulk of the changes would cross the wire twice.
        if initiator && let Some(first) = session.generate(open.doc.automerge_mut()) {
            let _ = tx.try_send(Outgoing::Frame(Frame::Sync(first)));
        }
        // A device keeps at most a few connections per community: a newer one lets the
        // oldest go (its queued frames, a snapshot among them, go with it).
        let mut same: Vec<ConnId> = self
            .live
            .iter()
            .filter(|(_, l)| l.community == community && l.peer == peer)
            .map(|(id, _)| *id)
            .collect();
        same.sort_unstable();
        while same.len() >= MAX_CONNECTIONS_PER_PEER {
            let oldest = same.remove(0);
            tracing::info!(peer = %peer.fmt_short(), "a device opened another connection; letting its oldest go");
            self.live.remove(&oldest);
        }
        let share = Arc::clone(self.shares.entry(peer).or_insert_with(PeerShare::new));
        self.live.insert(
            id,
            Live {
                community: community.clone(),
                peer,
                tx,
                first_seen: false,
                session,
                reported_in_sync: false,
                share: Arc::clone(&share),
                conn: conn.clone(),
            },
        );
        tokio::spawn(conn::run(id, conn, send, recv, rx, self.tx.clone(), share));
        let _ = self.events.send(Event::PeerOnline { community, peer });
    }

    fn inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Sync {
                peer,
                community,
                peer_addrs,
                peer_relay,
                conn,
                send,
                recv,
            } => {
                self.register(Established {
                    community,
                    peer,
                    peer_addrs,
                    peer_relay,
                    conn,
                    send,
                    recv,
                    initiator: false,
                });
            }
            Inbound::Join {
                peer,
                request,
                conn,
                send,
            } => self.answer_join(peer, request, conn, send),
        }
    }

    /// The inviter's side of a join: check the proof and the invite, admit, answer.
    fn answer_join(
        &mut self,
        peer: EndpointId,
        request: JoinRequest,
        conn: Connection,
        mut send: SendStream,
    ) {
        let outcome = self.admit(peer, &request);
        if outcome.is_ok() {
            self.bound.learn(
                peer,
                request.addrs.iter().copied(),
                request.relay.as_deref(),
            );
        }
        tokio::spawn(async move {
            match outcome {
                Ok(member) => {
                    let frame = Frame::Joined(JoinReply {
                        member: member.to_string(),
                    });
                    let _ = commonroom_net::framed::write_frame(&mut send, &frame).await;
                    let _ = send.finish();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
                }
                Err(reason) => refuse(&conn, &mut send, &reason).await,
            }
        });
    }

    fn admit(&mut self, peer: EndpointId, request: &JoinRequest) -> Result<MemberId, String> {
        const UNKNOWN: &str = "this invite is not valid here (forged, or for another community)";
        let community = request.community.clone();
        let open = self.communities.get_mut(&community).ok_or(UNKNOWN)?;
        let invite = open
            .doc
            .get::<Invite>(&request.invite)
            .ok()
            .flatten()
            .ok_or(UNKNOWN)?;
        verify_join(
            &request.invite,
            &community,
            peer.as_bytes(),
            &request.signature,
        )
        .map_err(|e| e.to_string())?;
        let member = MemberId::generate();
        // The admission is written, and recorded, as this device's member's: never as the
        // invite's creator, whose name is only what the invite entity says.
        let ctx = Ctx {
            by: open.me.clone(),
            now: now(),
        };
        let command = Command::Join {
            invite: request.invite.clone(),
            member: NewMember {
                id: member.clone(),
                name: request.name.clone(),
                organisation: None,
                roles: vec![Role::Member],
                focus: request.focus.clone(),
                contact: None,
            },
            device: hex(&peer),
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
        open.store
            .persist(open.doc.automerge_mut())
            .map_err(|e| format!("the inviter could not save: {e}"))?;
        self.after_change(&community, &before, 1, false);
        tracing::info!(community, member = %member, "a new member joined with an invite");
        Ok(member)
    }

    /// Records an invite and returns its ticket: for a new member, or (`for_me`) for
    /// another device of this device's member.
    fn invite(
        &mut self,
        community: &str,
        valid_for: Duration,
        for_me: bool,
    ) -> Result<Ticket, NodeError> {
        let for_member = if for_me {
            Some(self.open(community)?.me.clone().ok_or_else(|| {
                NodeError::Unavailable(
                    "this device does not know who you are in that community".into(),
                )
            })?)
        } else {
            None
        };
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| NodeError::Unavailable(format!("no randomness for an invite: {e}")))?;
        let key = InviteKey::from_secret(&secret);
        let expires_at = Timestamp::from_millis(now().millis() + valid_for.as_millis() as i64);
        self.apply(
            community,
            Command::CreateInvite {
                public_key: key.public_hex(),
                expires_at,
                for_member,
            },
        )?;
        Ok(Ticket {
            community: community.to_owned(),
            inviter: *self.own_id.as_bytes(),
            addrs: self.bound.direct_addrs(),
            relay: self.bound.home_relay(),
            secret,
        })
    }

    fn start_join(
        &mut self,
        mut ticket: Ticket,
        name: String,
        focus: Vec<String>,
        reply: Reply<CommunityId>,
    ) {
        if self.communities.contains_key(&ticket.community) {
            let _ = reply.send(Err(NodeError::Unavailable(
                "this device is already in that community".into(),
            )));
            return;
        }
        let Ok(inviter) = EndpointId::from_bytes(&ticket.inviter) else {
            let _ = reply.send(Err(NodeError::Invite(
                commonroom_proto::InviteError::Damaged("bad inviter id"),
            )));
            return;
        };
        // Kept in the form understood, for the known-peer list once joined.
        ticket.relay = self
            .bound
            .learn(
                inviter,
                ticket.addrs.iter().copied(),
                ticket.relay.as_deref(),
            )
            .map(|url| url.to_string());
        let key = InviteKey::from_secret(&ticket.secret);
        let request = JoinRequest {
            version: PROTOCOL_VERSION,
            community: ticket.community.clone(),
            invite: key.public_hex(),
            signature: key.sign_join(&ticket.community, self.own_id.as_bytes()),
            name,
            focus,
            addrs: self.bound.direct_addrs(),
            relay: self.bound.home_relay(),
        };
        let bound = self.bound.clone();
        let tx = self.tx.clone();
        // Just learned from the ticket: its addresses and its relay.
        let addr = EndpointAddr::new(inviter);
        tokio::spawn(async move {
            let result = dial_join(&bound, addr, request).await;
            let _ = tx
                .send(Msg::JoinAnswered {
                    ticket,
                    result,
                    reply,
                })
                .await;
        });
    }

    fn join_answered(
        &mut self,
        ticket: Ticket,
        result: Result<JoinReply, NetError>,
        reply: Reply<CommunityId>,
    ) {
        let joined = match result {
            Ok(joined) => joined,
            Err(NetError::Refused(reason)) => {
                let _ = reply.send(Err(NodeError::Unavailable(format!(
                    "the invite was refused: {reason}"
                ))));
                return;
            }
            Err(NetError::Busy) => {
                let _ = reply.send(Err(NodeError::Unavailable(
                    "the inviter's Commonroom is busy with other newcomers right now; try again in a minute".into(),
                )));
                return;
            }
            Err(e) => {
                let _ = reply.send(Err(NodeError::Unavailable(format!(
                    "the inviter cannot be reached ({e}); ask them to open Commonroom, or for a fresh invite"
                ))));
                return;
            }
        };
        let Ok(inviter) = EndpointId::from_bytes(&ticket.inviter) else {
            let _ = reply.send(Err(NodeError::Invite(
                commonroom_proto::InviteError::Damaged("bad inviter id"),
            )));
            return;
        };
        let mut peers = KnownPeers::default();
        peers.peers.insert(
            hex(&inviter),
            crate::peers::KnownPeer {
                addrs: ticket.addrs.clone(),
                relay: ticket.relay.clone(),
                ..Default::default()
            },
        );
        // Who this device is and whom to ask for the community are stored with it, in one
        // step: a join cut short never leaves a community that knows no peer to sync with.
        let mut doc = CommunityDoc::awaiting_sync().with_actor(self.actor_for(&ticket.community));
        let store = match self.data.create_community_with(
            &ticket.community,
            doc.automerge_mut(),
            &[("me", &joined.member), ("peers", &peers.to_text())],
        ) {
            Ok(store) => store,
            Err(e) => {
                let _ = reply.send(Err(e.into()));
                return;
            }
        };
        let community = ticket.community.clone();
        self.communities.insert(
            community.clone(),
            Open::new(doc, store, Some(MemberId::new(joined.member)), peers),
        );
        self.refresh_gate(&community);
        let _ = self.events.send(Event::CommunityAdded {
            community: community.clone(),
        });
        self.join_waiters.push(Waiter {
            community: community.clone(),
            deadline: Instant::now() + JOIN_TIMEOUT,
            reply,
        });
        self.spawn_dial(&community, inviter);
    }

    /// Candidates to dial for a community: admitted devices, or known peers while the
    /// community has not arrived yet.
    fn dial_candidates(&self, community: &str) -> Vec<EndpointId> {
        if !self.communities.contains_key(community) {
            return Vec::new();
        }
        // The gate holds the admitted devices, and while the community is not readable
        // here, the devices remembered and the peers known.
        let mut peers = self.gate.devices(community);
        peers.sort();
        peers.retain(|p| *p != self.own_id);
        peers
    }

    fn connected(&self, community: &str, peer: &EndpointId) -> bool {
        self.live
            .values()
            .any(|l| l.community == community && l.peer == *peer)
    }

    fn dial_community(&mut self, community: &str, force: bool) {
        for peer in self.dial_candidates(community) {
            if self.connected(community, &peer) {
                continue;
            }
            let key = (community.to_owned(), peer);
            let due = self
                .backoff
                .get(&key)
                .is_none_or(|b| !b.in_flight && (force || b.next <= Instant::now()));
            if due {
                self.spawn_dial(community, peer);
            }
        }
    }

    fn spawn_dial(&mut self, community: &str, peer: EndpointId) {
        let entry = self
            .backoff
            .entry((community.to_owned(), peer))
            .or_insert(Backoff {
                next: Instant::now(),
                delay: FIRST_RETRY,
                in_flight: false,
            });
        if entry.in_flight {
            return;
        }
        entry.in_flight = true;
        let bound = self.bound.clone();
        let tx = self.tx.clone();
        let community = community.to_owned();
        tokio::spawn(async move {
            let own = bound.direct_addrs();
            let result = dial_sync(&bound, EndpointAddr::new(peer), &community, own).await;
            let _ = tx
                .send(Msg::Dialed {
                    community,
                    peer,
                    result: Box::new(result),
                })
                .await;
        });
    }

    fn tick(&mut self) {
        for open in self.communities.values_mut() {
            open.housekeeping();
        }
        // Backstop for mislabelled changes: recompute the gate now and then if anything changed.
        let stale: Vec<String> = self
            .communities
            .iter_mut()
            .filter(|(_, o)| o.ready && o.gate_checked.1.elapsed() >= GATE_RECHECK)
            .filter_map(|(id, o)| (o.doc.heads() != o.gate_checked.0).then(|| id.clone()))
            .collect();
        for community in stale {
            self.refresh_gate(&community);
        }
        if !self.connect_to_peers {
            return;
        }
        let ids: Vec<String> = self.communities.keys().cloned().collect();
        for community in ids {
            self.dial_community(&community, false);
        }
    }

    fn check_waiters(&mut self) {
        let now = Instant::now();
        let mut waiters = std::mem::take(&mut self.sync_waiters);
        waiters.retain_mut(|_| true);
        let mut keep = Vec::new();
        for waiter in waiters {
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
            let done = (!dialing && all_in_sync) || now >= waiter.deadline;
            if done {
                let mut synced: Vec<EndpointId> = lives
                    .iter()
                    .filter(|l| l.reported_in_sync)
                    .map(|l| l.peer)
                    .collect();
                synced.sort();
                synced.dedup();
                let _ = waiter.reply.send(Ok(SyncReport {
                    synced,
                    candidates: candidates.len(),
                }));
            } else {
                keep.push(waiter);
            }
        }
        self.sync_waiters = keep;

        let waiters = std::mem::take(&mut self.join_waiters);
        for waiter in waiters {
            let ready = self
                .communities
                .get(&waiter.community)
                .is_some_and(|o| o.ready);
            let in_sync = self
                .live
                .values()
                .any(|l| l.community == waiter.community && l.reported_in_sync);
            if ready && in_sync {
                let _ = waiter
                    .reply
                    .send(Ok(CommunityId::new(waiter.community.clone())));
            } else if now >= waiter.deadline {
                let _ = waiter.reply.send(Err(NodeError::Unavailable(
                    "you were admitted, but the community has not arrived yet; it will when the inviter is online".into(),
                )));
            } else {
                self.join_waiters.push(waiter);
            }
        }
    }

    fn peers(&mut self, community: &str) -> Result<Vec<PeerInfo>, NodeError> {
        let candidates: HashSet<EndpointId> = self.dial_candidates(community).into_iter().collect();
        let own_id = self.own_id;
        let open = self
            .communities
            .get(community)
            .ok_or_else(|| NodeError::UnknownCommunity(community.to_owned()))?;
        let mut ids: HashSet<EndpointId> = open
            .peers
            .peers
            .keys()
            .filter_map(|p| p.parse().ok())
            .collect();
        ids.extend(candidates);
        ids.remove(&own_id);
        let mut out = Vec::new();
        for endpoint in ids {
            let known = open
                .peers
                .peers
                .get(&hex(&endpoint))
                .cloned()
                .unwrap_or_default();
            let member = open.doc.member_of_device(&hex(&endpoint)).map(|m| {
                let name = open
                    .doc
                    .get::<commonroom_model::entities::Member>(m.as_str())
                    .ok()
                    .flatten()
                    .map(|mm| mm.name)
                    .unwrap_or_default();
                (m, name)
            });
            let mut online = false;
            let mut traffic = crate::handle::Traffic::default();
            let header = commonroom_proto::frame::HEADER_LEN as u64;
            for live in self
                .live
                .values()
                .filter(|l| l.community == community && l.peer == endpoint)
            {
                online = true;
                traffic.messages_out += live.session.messages_out;
                traffic.messages_in += live.session.messages_in;
                traffic.bytes_out += live.session.bytes_out + header * live.session.messages_out;
                traffic.bytes_in += live.session.bytes_in + header * live.session.messages_in;
            }
            out.push(PeerInfo {
                endpoint,
                member,
                online,
                last_sync: known.last_sync,
                addrs: known.addrs,
                relay: known.relay,
                traffic,
            });
        }
        out.sort_by_key(|p| (p.member.as_ref().map(|m| m.1.clone()), p.endpoint));
        Ok(out)
    }
}
