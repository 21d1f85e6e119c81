//! A deterministic many-peer simulator: real engines on memory storage, joined by a
//! simulated network with a simulated clock (seeded latency, broken connections, dials
//! that cross, partitions, restarts). The same seed gives the same run, event for event.
//!
//! What it models of the real network: a connection is an ordered, reliable stream (as a
//! QUIC stream is), so "loss" is a connection that breaks mid-way and "duplication" is two
//! connections between the same pair (both dialed at once); a dial reaches only a device that
//! is up, on the same side of every partition, and admitted by its gate, and only if the
//! dialer's transport was told the device's address (from a ticket, a connection, or a
//! member's address book: nobody finds anybody by id alone); every message passes the same
//! limits check as on a real connection.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::net::SocketAddr;
use std::time::Duration;

use commonroom_model::commands::{NewMember, NewNote};
use commonroom_model::{Command, CommunityId, MemberId, NoteId, Role, Timestamp};
use commonroom_proto::checked::{self, CheckedMessage};
use commonroom_proto::frame::JoinReply;
use commonroom_proto::{Frame, Ticket};

use crate::device::DeviceId;
use crate::engine::{Engine, EngineConfig};
use crate::io::{ConnId, Input, JoinFailure, Link, Outgoing, Output, Request, RequestId, Response};
use crate::storage::MemoryStorage;
use crate::time::Now;

/// How the simulated network behaves.
#[derive(Clone, Debug)]
pub struct NetModel {
    /// Shortest one-way delay.
    pub min_latency: Duration,
    /// Longest one-way delay.
    pub max_latency: Duration,
    /// Chance that a message breaks its connection instead of arriving (per message).
    pub break_chance: f64,
    /// Chance that a successful dial also opens a second connection (both sides dialing).
    pub duplicate_chance: f64,
    /// How long a dial to an unreachable device takes to fail.
    pub dial_timeout: Duration,
}

impl Default for NetModel {
    fn default() -> Self {
        Self {
            min_latency: Duration::from_millis(5),
            max_latency: Duration::from_millis(80),
            break_chance: 0.001,
            duplicate_chance: 0.05,
            dial_timeout: Duration::from_secs(2),
        }
    }
}

/// A small seeded generator (SplitMix64): the simulator's only source of chance.
#[derive(Clone, Debug)]
pub struct SimRng(u64);

impl SimRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        crate::engine::splitmix(&mut self.0)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with chance `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A duration between `lo` and `hi`.
    pub fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = hi.saturating_sub(lo).as_micros() as u64;
        lo + Duration::from_micros(if span == 0 { 0 } else { self.next_u64() % span })
    }
}

/// Something scheduled to happen to one peer.
#[derive(Debug)]
enum Happening {
    /// An input for the peer's engine.
    Input(Input),
    /// A frame arriving on a connection (checked on arrival, as a connection task does).
    Frame(ConnId, Outgoing),
    /// The peer's tick is due.
    Tick,
}

/// One end of a simulated connection.
#[derive(Clone, Copy, Debug)]
struct End {
    peer: usize,
    /// The other end's connection id (at the other peer).
    other: ConnId,
    other_peer: usize,
    /// When the last frame on this direction arrives (streams are ordered).
    last_arrival: Duration,
}

/// One simulated device.
pub struct SimPeer {
    /// Its engine (`None` while it is down).
    pub engine: Option<Engine<MemoryStorage>>,
    /// Its storage, which survives a restart.
    pub storage: MemoryStorage,
    /// Its device id.
    pub device: DeviceId,
    secret: [u8; 32],
    /// What its gate admits, per community.
    gates: BTreeMap<CommunityId, BTreeSet<DeviceId>>,
    /// Which side of the current partition it is on.
    pub side: u32,
    /// When its next tick is scheduled (to avoid scheduling the same tick twice).
    tick_at: Option<Duration>,
    /// Where it can be reached.
    pub addr: SocketAddr,
    /// The addresses its transport was told (forgotten when it stops, as a process's are).
    known: BTreeMap<DeviceId, Vec<SocketAddr>>,
}

/// Counts of what crossed the simulated network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Sync messages and snapshots delivered.
    pub messages: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// Connections opened.
    pub connections: u64,
    /// Connections broken by the network.
    pub broken: u64,
    /// Whole communities sent as one snapshot.
    pub snapshots: u64,
    /// Dials asked for, by the device dialed.
    pub dials_to: BTreeMap<usize, u64>,
    /// Dials that failed because the dialer knew no address for the device.
    pub dials_without_address: u64,
    /// Member address-book frames delivered.
    pub address_frames: u64,
}

/// The simulated world.
pub struct Sim {
    /// The devices.
    pub peers: Vec<SimPeer>,
    /// The network's behaviour.
    pub net: NetModel,
    rng: SimRng,
    clock: Duration,
    wall_origin: i64,
    queue: BinaryHeap<Reverse<(Duration, u64, usize)>>,
    happenings: BTreeMap<u64, Happening>,
    seq: u64,
    ends: BTreeMap<(usize, ConnId), End>,
    next_conn: ConnId,
    next_request: RequestId,
    answers: BTreeMap<(usize, RequestId), Result<Response, crate::EngineError>>,
    /// What crossed the network so far.
    pub traffic: Traffic,
}

/// Why a simulated run went wrong.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A request was answered with an error.
    #[error("peer {peer}: {error}")]
    Refused {
        /// The peer asked.
        peer: usize,
        /// Its answer.
        error: crate::EngineError,
    },
    /// A request got no answer within the simulated time allowed.
    #[error("peer {0} did not answer in time")]
    NoAnswer(usize),
    /// An answer of another kind than asked for.
    #[error("peer {0} answered with something unexpected")]
    Unexpected(usize),
    /// The peer is down.
    #[error("peer {0} is down")]
    Down(usize),
}

impl Sim {
    /// A world of `n` devices with nothing on them yet.
    pub fn new(n: usize, seed: u64, net: NetModel) -> Self {
        let mut rng = SimRng::new(seed);
        let peers = (0..n)
            .map(|i| {
                let mut secret = [0u8; 32];
                for chunk in secret.chunks_mut(8) {
                    chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
                }
                let device = DeviceId(commonroom_proto::invite::public_key_of(&secret));
                SimPeer {
                    engine: None,
                    storage: MemoryStorage::new(),
                    device,
                    secret,
                    gates: BTreeMap::new(),
                    side: 0,
                    tick_at: None,
                    addr: SocketAddr::from(([10, (i >> 8) as u8, i as u8, 1], 7000)),
                    known: BTreeMap::new(),
                }
            })
            .collect();
        let mut sim = Self {
            peers,
            net,
            rng,
            clock: Duration::ZERO,
            wall_origin: 1_780_000_000_000,
            queue: BinaryHeap::new(),
            happenings: BTreeMap::new(),
            seq: 0,
            ends: BTreeMap::new(),
            next_conn: 1,
            next_request: 1,
            answers: BTreeMap::new(),
            traffic: Traffic::default(),
        };
        for peer in 0..n {
            sim.start(peer);
        }
        sim
    }

    /// The simulated time now.
    pub fn clock(&self) -> Duration {
        self.clock
    }

    fn now(&self) -> Now {
        Now {
            elapsed: self.clock,
            wall: Timestamp::from_millis(self.wall_origin + self.clock.as_millis() as i64),
        }
    }

    fn schedule(&mut self, at: Duration, peer: usize, happening: Happening) {
        self.seq += 1;
        self.happenings.insert(self.seq, happening);
        self.queue.push(Reverse((at, self.seq, peer)));
    }

    /// Starts (or restarts) a device's engine from its storage.
    pub fn start(&mut self, peer: usize) {
        let config = EngineConfig {
            device: self.peers[peer].device,
            secret: self.peers[peer].secret,
            connect_to_peers: true,
            seed: self.rng.next_u64(),
        };
        let storage = self.peers[peer].storage.clone();
        let now = self.now();
        match Engine::new(storage, config, now) {
            Ok(mut engine) => {
                let outputs = engine.poll_outputs();
                self.peers[peer].engine = Some(engine);
                self.peers[peer].tick_at = None;
                self.carry_out(peer, outputs);
                // As the driver does: the engine hears how it is reached.
                let direct = vec![self.peers[peer].addr];
                self.deliver(
                    peer,
                    Input::Addresses {
                        direct,
                        relay: None,
                    },
                );
            }
            Err(error) => tracing::error!(peer, %error, "a simulated device could not start"),
        }
    }

    /// Stops a device as if its process was killed: its connections break; what it stored
    /// stays.
    pub fn stop(&mut self, peer: usize) {
        self.peers[peer].engine = None;
        self.peers[peer].gates.clear();
        self.peers[peer].known.clear();
        let mine: Vec<(usize, ConnId)> = self
            .ends
            .keys()
            .filter(|(p, _)| *p == peer)
            .copied()
            .collect();
        for key in mine {
            self.break_connection(key);
        }
    }

    /// Puts each device on a side: devices on different sides cannot reach each other, and
    /// connections between them break.
    pub fn partition(&mut self, sides: &[u32]) {
        for (peer, side) in sides.iter().enumerate() {
            self.peers[peer].side = *side;
        }
        let across: Vec<(usize, ConnId)> = self
            .ends
            .iter()
            .filter(|(_, e)| self.peers[e.peer].side != self.peers[e.other_peer].side)
            .map(|(k, _)| *k)
            .collect();
        for key in across {
            self.break_connection(key);
        }
    }

    /// Joins every side again.
    pub fn heal(&mut self) {
        for peer in &mut self.peers {
            peer.side = 0;
        }
    }

    fn break_connection(&mut self, key: (usize, ConnId)) {
        let Some(end) = self.ends.remove(&key) else {
            return;
        };
        self.ends.remove(&(end.other_peer, end.other));
        let now = self.clock;
        self.schedule(
            now,
            end.peer,
            Happening::Input(Input::Closed { conn: key.1 }),
        );
        self.schedule(
            now,
            end.other_peer,
            Happening::Input(Input::Closed { conn: end.other }),
        );
    }

    fn schedule_tick(&mut self, peer: usize) {
        let Some(engine) = &self.peers[peer].engine else {
            return;
        };
        let Some(due) = engine.next_tick() else {
            return;
        };
        // Like the real driver: never closer together than a few milliseconds.
        let at = due.max(self.clock + Duration::from_millis(20));
        if self.peers[peer]
            .tick_at
            .is_some_and(|t| t <= at && t >= self.clock)
        {
            return;
        }
        self.peers[peer].tick_at = Some(at);
        self.schedule(at, peer, Happening::Tick);
    }

    /// Asks a device something now; the answer comes back while the world runs.
    pub fn ask(&mut self, peer: usize, request: Request) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        self.deliver(peer, Input::Request { id, request });
        id
    }

    /// Asks and runs the world until the answer comes (at most `limit` simulated time).
    pub fn ask_and_wait(
        &mut self,
        peer: usize,
        request: Request,
        limit: Duration,
    ) -> Result<Response, SimError> {
        if self.peers[peer].engine.is_none() {
            return Err(SimError::Down(peer));
        }
        let id = self.ask(peer, request);
        let until = self.clock + limit;
        loop {
            if let Some(answer) = self.answers.remove(&(peer, id)) {
                return answer.map_err(|error| SimError::Refused { peer, error });
            }
            if !self.step_until(until) {
                return Err(SimError::NoAnswer(peer));
            }
        }
    }

    fn deliver(&mut self, peer: usize, input: Input) {
        let now = self.now();
        let Some(engine) = &mut self.peers[peer].engine else {
            return;
        };
        let outputs = engine.handle(input, now);
        self.carry_out(peer, outputs);
        self.schedule_tick(peer);
    }

    /// Runs one happening if one is due by `until`; false when none is.
    fn step_until(&mut self, until: Duration) -> bool {
        let Some(Reverse((at, seq, peer))) = self.queue.peek().copied() else {
            return false;
        };
        if at > until {
            return false;
        }
        self.queue.pop();
        self.clock = self.clock.max(at);
        let Some(happening) = self.happenings.remove(&seq) else {
            return true;
        };
        if self.peers[peer].engine.is_none() {
            return true;
        }
        match happening {
            Happening::Input(input) => self.deliver(peer, input),
            Happening::Tick => {
                if self.peers[peer].tick_at == Some(at) {
                    self.peers[peer].tick_at = None;
                    self.deliver(peer, Input::Tick);
                }
            }
            Happening::Frame(conn, frame) => {
                if !self.ends.contains_key(&(peer, conn)) {
                    return true;
                }
                let (len, input) = match frame {
                    Outgoing::Frame(Frame::Sync(bytes)) => {
                        let len = bytes.len();
                        match CheckedMessage::check(bytes) {
                            Ok(message) => (len, Input::Message { conn, message }),
                            Err(_) => return self.breach(peer, conn),
                        }
                    }
                    Outgoing::Snapshot(bytes) => {
                        if checked::document(&bytes).is_err() {
                            return self.breach(peer, conn);
                        }
                        let bytes = bytes.as_ref().clone();
                        (bytes.len(), Input::Snapshot { conn, bytes })
                    }
                    Outgoing::Frame(Frame::DocSync { doc, message }) => {
                        let len = message.len();
                        match CheckedMessage::check(message) {
                            Ok(message) => (len, Input::DocMessage { conn, doc, message }),
                            Err(_) => return self.breach(peer, conn),
                        }
                    }
                    Outgoing::Frame(Frame::DocSnapshot { doc, bytes }) => {
                        if checked::document(&bytes).is_err() {
                            return self.breach(peer, conn);
                        }
                        (
                            bytes.len(),
                            Input::DocSnapshot {
                                conn,
                                doc,
                                bytes,
                                loaded: None,
                            },
                        )
                    }
                    Outgoing::Frame(Frame::DocHeads(docs)) => {
                        self.deliver(peer, Input::DocHeads { conn, docs });
                        return true;
                    }
                    Outgoing::Frame(Frame::Addresses(devices)) => {
                        self.traffic.address_frames += 1;
                        self.deliver(peer, Input::PeerAddresses { conn, devices });
                        return true;
                    }
                    Outgoing::Frame(_) => return self.breach(peer, conn),
                };
                self.traffic.messages += 1;
                self.traffic.bytes += len as u64;
                if matches!(input, Input::Snapshot { .. }) {
                    self.traffic.snapshots += 1;
                }
                self.deliver(peer, input);
            }
        }
        true
    }

    fn breach(&mut self, peer: usize, conn: ConnId) -> bool {
        self.break_connection((peer, conn));
        true
    }

    /// Runs the world until nothing is left to happen before `until`.
    pub fn run_until(&mut self, until: Duration) {
        while self.step_until(until) {}
        self.clock = self.clock.max(until);
    }

    /// Runs until every device that is up holds the same heads for `community`, checking
    /// every `every` of simulated time, for at most `limit`; returns the time it took, or
    /// `None` if they never agreed.
    pub fn run_until_converged(
        &mut self,
        community: &CommunityId,
        every: Duration,
        limit: Duration,
    ) -> Option<Duration> {
        let start = self.clock;
        while self.clock < start + limit {
            let next = self.clock + every;
            self.run_until(next);
            if self.converged(community) {
                return Some(self.clock - start);
            }
        }
        None
    }

    /// Whether every device that is up has the same heads for `community`.
    pub fn converged(&mut self, community: &CommunityId) -> bool {
        let mut heads = None;
        for peer in &mut self.peers {
            let Some(engine) = &mut peer.engine else {
                continue;
            };
            let Some(doc) = engine.document(community) else {
                return false;
            };
            let mut mine = doc.heads();
            mine.sort();
            match &heads {
                None => heads = Some(mine),
                Some(h) if *h == mine => {}
                Some(_) => return false,
            }
        }
        true
    }

    /// Every up device's whole document state as JSON, for comparing.
    pub fn states(&mut self, community: &CommunityId) -> Vec<String> {
        self.peers
            .iter_mut()
            .filter_map(|p| p.engine.as_mut())
            .map(|engine| {
                engine.document(community).map_or_else(String::new, |doc| {
                    serde_json::to_string(&automerge::AutoSerde::from(&*doc.automerge_mut()))
                        .unwrap_or_default()
                })
            })
            .collect()
    }

    fn carry_out(&mut self, peer: usize, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Reply { id, result } => {
                    self.answers.insert((peer, id), result);
                }
                Output::Send { conn, frame } => {
                    let Some(end) = self.ends.get(&(peer, conn)).copied() else {
                        continue;
                    };
                    if self.rng.chance(self.net.break_chance) {
                        self.traffic.broken += 1;
                        self.break_connection((peer, conn));
                        continue;
                    }
                    let delay = self.rng.between(self.net.min_latency, self.net.max_latency);
                    let at = (self.clock + delay).max(end.last_arrival);
                    if let Some(e) = self.ends.get_mut(&(peer, conn)) {
                        e.last_arrival = at;
                    }
                    self.schedule(at, end.other_peer, Happening::Frame(end.other, frame));
                }
                Output::Close { conn, .. } => {
                    // Queued frames go first, then the other side hears the close.
                    if let Some(end) = self.ends.remove(&(peer, conn)) {
                        self.ends.remove(&(end.other_peer, end.other));
                        let at = end.last_arrival.max(self.clock) + self.net.min_latency;
                        self.schedule(
                            at,
                            end.other_peer,
                            Happening::Input(Input::Closed { conn: end.other }),
                        );
                    }
                }
                Output::Dial {
                    community,
                    peer: to,
                } => self.dial(peer, &community, to),
                Output::Join {
                    request,
                    candidates,
                    ticket,
                    join,
                } => self.join(peer, request, &candidates, ticket, join),
                Output::Learn {
                    peer: device,
                    addrs,
                    ..
                } => {
                    if !addrs.is_empty() {
                        self.peers[peer].known.insert(device, addrs);
                    }
                }
                Output::JoinAnswer { .. } | Output::Event(_) => {}
                Output::Gate { community, devices } => {
                    self.peers[peer]
                        .gates
                        .insert(community, devices.into_iter().collect());
                }
            }
        }
    }

    fn reachable(&self, from: usize, to: usize) -> bool {
        self.peers[to].engine.is_some() && self.peers[from].side == self.peers[to].side
    }

    fn dial(&mut self, from: usize, community: &CommunityId, to_device: DeviceId) {
        let to = self.peers.iter().position(|p| p.device == to_device);
        if let Some(to) = to {
            *self.traffic.dials_to.entry(to).or_default() += 1;
        }
        let addressed = to.is_some_and(|to| {
            self.peers[from]
                .known
                .get(&to_device)
                .is_some_and(|addrs| addrs.contains(&self.peers[to].addr))
        });
        if !addressed {
            self.traffic.dials_without_address += 1;
        }
        let admitted = to.is_some_and(|to| {
            addressed
                && self.reachable(from, to)
                && self.peers[to]
                    .gates
                    .get(community)
                    .is_some_and(|g| g.contains(&self.peers[from].device))
        });
        let (Some(to), true) = (to, admitted) else {
            let at = self.clock + self.net.dial_timeout;
            let failed = Input::DialFailed {
                community: community.clone(),
                peer: to_device,
            };
            self.schedule(at, from, Happening::Input(failed));
            return;
        };
        let copies = if self.rng.chance(self.net.duplicate_chance) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            // A handshake: a round trip before either side runs the connection.
            let rtt = self.rng.between(self.net.min_latency, self.net.max_latency) * 2;
            let at = self.clock + rtt;
            let (mine, theirs) = (self.next_conn, self.next_conn + 1);
            self.next_conn += 2;
            self.traffic.connections += 1;
            let end = |peer, other, other_peer| End {
                peer,
                other,
                other_peer,
                last_arrival: at,
            };
            self.ends.insert((from, mine), end(from, theirs, to));
            self.ends.insert((to, theirs), end(to, mine, from));
            // The acceptor hears the dialer's addresses in its hello; the dialer knows the
            // path it took.
            let link = |peer: usize, initiator| Link {
                community: community.clone(),
                peer: self.peers[peer].device,
                initiator,
                addrs: vec![self.peers[peer].addr],
                relay: None,
                shares_addresses: !initiator,
                shares_docs: !initiator,
                doc_snapshots: !initiator,
            };
            let accepted = Input::Connected {
                conn: theirs,
                link: link(from, false),
            };
            let dialed = Input::Connected {
                conn: mine,
                link: link(to, true),
            };
            self.schedule(at, to, Happening::Input(accepted));
            self.schedule(at, from, Happening::Input(dialed));
        }
    }

    /// Asks the candidates in turn, as the driver does: the first reachable one that
    /// admits the joiner answers; otherwise the first refusal, or that none was reachable.
    fn join(
        &mut self,
        from: usize,
        request: RequestId,
        candidates: &[DeviceId],
        ticket: Ticket,
        join: commonroom_proto::frame::JoinRequest,
    ) {
        let at = self.clock + self.net.max_latency * 2;
        let mut result = Err(JoinFailure::Unreachable(
            "no member named in the invite is reachable".into(),
        ));
        for candidate in candidates {
            let Some(to) = self.peers.iter().position(|p| p.device == *candidate) else {
                continue;
            };
            if !self.reachable(from, to) {
                continue;
            }
            let device = self.peers[from].device;
            let now = self.now();
            let outputs = self.peers[to].engine.as_mut().map(|engine| {
                engine.handle(
                    Input::JoinAsked {
                        join: request,
                        peer: device,
                        request: join.clone(),
                    },
                    now,
                )
            });
            let mut answer = Err(JoinFailure::Unreachable("no answer".into()));
            let mut rest = Vec::new();
            for output in outputs.into_iter().flatten() {
                match output {
                    Output::JoinAnswer { result, .. } => {
                        answer = result
                            .map(|member| {
                                (
                                    *candidate,
                                    JoinReply {
                                        member: member.to_string(),
                                    },
                                )
                            })
                            .map_err(JoinFailure::Refused);
                    }
                    other => rest.push(other),
                }
            }
            self.carry_out(to, rest);
            self.schedule_tick(to);
            let admitted = answer.is_ok();
            if admitted || matches!(result, Err(JoinFailure::Unreachable(_))) {
                result = answer;
            }
            if admitted {
                break;
            }
        }
        let answered = Input::JoinAnswered {
            request,
            ticket,
            result,
        };
        self.schedule(at, from, Happening::Input(answered));
    }

    /// Founds a community on device 0; returns its id.
    fn found_on_first(&mut self, limit: Duration) -> Result<CommunityId, SimError> {
        let created = self.ask_and_wait(
            0,
            Request::Create {
                name: "Simulated circle".into(),
                me: "Founder".into(),
            },
            limit,
        )?;
        match created {
            Response::Community(id) => Ok(id),
            _ => Err(SimError::Unexpected(0)),
        }
    }

    /// Founds a community on device 0 and has every other device join it with its own
    /// invite from device 0; returns the community's id.
    pub fn found_and_join_all(&mut self, limit: Duration) -> Result<CommunityId, SimError> {
        let community = self.found_on_first(limit)?;
        for peer in 1..self.peers.len() {
            let mut secret = [0u8; 32];
            for chunk in secret.chunks_mut(8) {
                chunk.copy_from_slice(&self.rng.next_u64().to_le_bytes());
            }
            let invited = self.ask_and_wait(
                0,
                Request::Invite {
                    community: community.clone(),
                    valid_for: Duration::from_secs(3600),
                    for_me: false,
                    uses: 1,
                    secret,
                },
                limit,
            )?;
            let Response::Ticket(ticket) = invited else {
                return Err(SimError::Unexpected(0));
            };
            let joined = self.ask_and_wait(
                peer,
                Request::Join {
                    ticket,
                    name: format!("Member {peer}"),
                    focus: Vec::new(),
                },
                limit,
            )?;
            if !matches!(joined, Response::Community(_)) {
                return Err(SimError::Unexpected(peer));
            }
        }
        Ok(community)
    }

    /// A community founded on device 0 with every other device already a member that has
    /// synced it once (as if each had joined earlier): written on device 0 (a member and a
    /// device link per device), then copied into every device's storage before it starts.
    /// Returns the community's id.
    pub fn community_of_all(&mut self, limit: Duration) -> Result<CommunityId, SimError> {
        let community = self.found_on_first(limit)?;
        let mut members = vec![None];
        for peer in 1..self.peers.len() {
            let add = self.new_member_command(&format!("Member {peer}"));
            let Command::AddMember(new) = &add else {
                return Err(SimError::Unexpected(0));
            };
            let member = new.id.clone();
            let link = Command::LinkDevice {
                member: member.clone(),
                device: self.peers[peer].device.to_string(),
                label: format!("Member {peer}'s device"),
            };
            for command in [add, link] {
                let request = Request::Apply {
                    community: community.clone(),
                    command,
                };
                self.ask_and_wait(0, request, limit)?;
            }
            members.push(Some(member));
        }
        let snapshot = {
            let engine = self.peers[0].engine.as_mut().ok_or(SimError::Down(0))?;
            let doc = engine.document(&community).ok_or(SimError::Unexpected(0))?;
            doc.save()
        };
        // Each joined through device 0, so each knows how to reach it, and only it.
        let mut through_first = crate::peers::KnownPeers::default();
        through_first.peers.insert(
            self.peers[0].device.to_string(),
            crate::peers::KnownPeer {
                addrs: vec![self.peers[0].addr],
                ..Default::default()
            },
        );
        let through_first = through_first.to_text();
        for (peer, member) in members.into_iter().enumerate().skip(1) {
            let Some(member) = member else { continue };
            let mut doc =
                automerge::AutoCommit::load(&snapshot).map_err(|_| SimError::Unexpected(peer))?;
            let storage = self.peers[peer].storage.clone();
            crate::storage::Storage::create(
                &storage,
                &community,
                &mut doc,
                &[
                    ("me", member.as_str()),
                    ("name", "Simulated circle"),
                    ("peers", &through_first),
                ],
            )
            .map_err(|e| SimError::Refused {
                peer,
                error: e.into(),
            })?;
            self.stop(peer);
            self.start(peer);
        }
        Ok(community)
    }

    /// Has a device add a note (a local edit), answered once durable.
    pub fn add_note(&mut self, peer: usize, community: &CommunityId, text: &str) -> RequestId {
        let millis = self.now().wall.millis() as u64;
        let id = NoteId::new(commonroom_model::ids::newest_first_id(
            millis,
            u128::from(self.rng.next_u64()),
        ));
        self.ask(
            peer,
            Request::Apply {
                community: community.clone(),
                command: Command::AddNote(NewNote {
                    id,
                    text: text.to_owned(),
                    event: None,
                    theme: None,
                    position: None,
                    anonymous: false,
                }),
            },
        )
    }

    /// The answer to a request, if it came.
    pub fn answer(
        &mut self,
        peer: usize,
        id: RequestId,
    ) -> Option<Result<Response, crate::EngineError>> {
        self.answers.remove(&(peer, id))
    }

    /// The member a device acts as.
    pub fn member_of(&mut self, peer: usize, community: &CommunityId) -> Option<MemberId> {
        let engine = self.peers[peer].engine.as_mut()?;
        let device = engine.device().to_string();
        engine.document(community)?.member_of_device(&device)
    }

    /// Adds a member directly (no device), to give a community some people.
    pub fn new_member_command(&mut self, name: &str) -> Command {
        let millis = self.now().wall.millis() as u64;
        Command::AddMember(NewMember {
            id: MemberId::new(commonroom_model::ids::newest_first_id(
                millis,
                u128::from(self.rng.next_u64()),
            )),
            name: name.to_owned(),
            organisation: None,
            roles: vec![Role::Member],
            focus: Vec::new(),
            contact: None,
        })
    }

    /// The seeded generator, for scenarios to draw from.
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }
}

/// What one run of [`scenario`] found.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Devices.
    pub peers: usize,
    /// Edits made (during partitions, on both sides).
    pub edits: usize,
    /// Simulated seconds from the last heal until every device held the same heads.
    pub seconds_to_converge: Option<f64>,
    /// Sync messages delivered per edit per device, after setup.
    pub messages_per_edit_per_peer: f64,
    /// Payload bytes delivered per edit per device, after setup.
    pub bytes_per_edit_per_peer: f64,
    /// Every device ended with identical heads.
    pub same_heads: bool,
    /// Every device ended with an identical document state.
    pub same_state: bool,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let converged = self
            .seconds_to_converge
            .map_or_else(|| "never".to_owned(), |s| format!("{s:.1} s"));
        write!(
            f,
            "peers {} | edits {} | converged in {} (simulated) | {:.1} messages and {:.0} bytes per edit per peer | identical heads: {} | identical state: {}",
            self.peers,
            self.edits,
            converged,
            self.messages_per_edit_per_peer,
            self.bytes_per_edit_per_peer,
            self.same_heads,
            self.same_state
        )
    }
}

/// The standard run: `peers` devices join one community; then `rounds` times the network
/// splits into random sides, edits are made on every side, a few devices restart, and the
/// network heals. Deterministic for a seed.
pub fn scenario(peers: usize, seed: u64, rounds: usize) -> Result<Summary, SimError> {
    let mut sim = Sim::new(peers, seed, NetModel::default());
    let limit = Duration::from_secs(600);
    let community = sim.community_of_all(limit)?;
    sim.run_until_converged(&community, Duration::from_secs(1), limit);
    let before = sim.traffic.clone();
    let mut edits = 0;
    let mut converged = None;
    for round in 0..rounds {
        let sides: Vec<u32> = (0..peers).map(|_| sim.rng().below(3) as u32).collect();
        sim.partition(&sides);
        let round_edits = peers.div_ceil(2).clamp(2, 20);
        for i in 0..round_edits {
            let author = sim.rng().below(peers);
            sim.add_note(author, &community, &format!("round {round}, note {i}"));
            edits += 1;
            let pause = Duration::from_millis(sim.rng().below(500) as u64);
            let until = sim.clock() + pause;
            sim.run_until(until);
        }
        // A few devices restart while split.
        for _ in 0..peers.div_ceil(20) {
            let who = sim.rng().below(peers);
            sim.stop(who);
            let until = sim.clock() + Duration::from_secs(3);
            sim.run_until(until);
            sim.start(who);
        }
        let until = sim.clock() + Duration::from_secs(10);
        sim.run_until(until);
        sim.heal();
        converged = sim.run_until_converged(&community, Duration::from_millis(250), limit);
    }
    let messages = sim.traffic.messages - before.messages;
    let bytes = sim.traffic.bytes - before.bytes;
    let per = (edits.max(1) * peers.max(1)) as f64;
    let same_heads = sim.converged(&community);
    let states = sim.states(&community);
    let same_state = states.windows(2).all(|w| w[0] == w[1]) && states.len() == peers;
    Ok(Summary {
        peers,
        edits,
        seconds_to_converge: converged.map(|d| d.as_secs_f64()),
        messages_per_edit_per_peer: messages as f64 / per,
        bytes_per_edit_per_peer: bytes as f64 / per,
        same_heads,
        same_state,
    })
}
