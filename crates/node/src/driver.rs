//! The driver: runs the [`Engine`] on tokio and iroh. It owns the endpoint, the
//! connection tasks and the timers, feeds the engine what happens, and carries out what the
//! engine decides. It decides nothing itself.

use commonroom_model::automerge::AutoCommit;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use commonroom_engine::{
    Close, ConnId, DeviceId, Engine, EngineConfig, EngineError, Event, Input, JoinFailure, JoinId,
    Link, Now, Outgoing, Output, Request, RequestId, Response,
};
use commonroom_model::{CommunityId, Timestamp};
use commonroom_net::dial::{dial_join_any, dial_sync};
use commonroom_net::handlers::refuse;
use commonroom_net::{Bound, Gate, Inbound, NetError};
use commonroom_proto::checked::CheckedMessage;
use commonroom_proto::frame::JoinReply;
use commonroom_proto::{Frame, Ticket};
use commonroom_store::DataDir;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{Endpoint, EndpointAddr, EndpointId, TransportAddr};
use tokio::sync::{OwnedSemaphorePermit, broadcast, mpsc, oneshot};

use crate::conn::{self, OUTGOING_QUEUE, PeerShare};
use crate::error::NodeError;
use crate::handle::NodeConfig;

type Dialed = Result<(Connection, SendStream, RecvStream), NetError>;

/// Hands an engine's answer back to whoever asked.
pub(crate) type Replier = Box<dyn FnOnce(Result<Response, EngineError>) + Send>;

/// Ticks never come closer together than this, whatever the engine asks.
const MIN_TICK_GAP: Duration = Duration::from_millis(20);

/// Messages to the driver, from handles and from the node's own tasks.
pub(crate) enum Msg {
    /// A request for the engine.
    Ask {
        request: Request,
        reply: Replier,
    },
    /// This node's direct addresses.
    Addrs {
        reply: oneshot::Sender<Result<Vec<std::net::SocketAddr>, NodeError>>,
    },
    /// Wait until connected to the home relay.
    UntilOnline {
        limit: Duration,
        reply: oneshot::Sender<Result<(), NodeError>>,
    },
    Shutdown,
    /// A sync message that passed the limits on its connection's task; the permit holds
    /// its room among what that device has in flight until the engine is done with it.
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
    /// A sync message about a side document, checked like [`Msg::Incoming`].
    DocIncoming {
        id: ConnId,
        doc: String,
        message: CheckedMessage,
        _permit: OwnedSemaphorePermit,
    },
    /// A whole side document, checked like [`Msg::Snapshot`].
    DocSnapshot {
        id: ConnId,
        doc: String,
        bytes: Vec<u8>,
        loaded: Option<Box<AutoCommit>>,
        _permit: OwnedSemaphorePermit,
    },
    /// The side documents a peer has.
    DocHeads {
        id: ConnId,
        docs: Vec<commonroom_proto::DocHeads>,
    },
    Closed {
        id: ConnId,
    },
    /// A member's address book, cut to what the transport can use.
    Addresses {
        id: ConnId,
        devices: Vec<commonroom_proto::frame::DeviceAddress>,
    },
    Dialed {
        community: CommunityId,
        peer: DeviceId,
        result: Box<Dialed>,
    },
    JoinAnswered {
        request: RequestId,
        ticket: Ticket,
        result: Result<(DeviceId, JoinReply), NetError>,
    },
}

/// One live connection's IO.
struct ConnIo {
    tx: mpsc::Sender<Outgoing>,
    conn: Connection,
    /// What this device may cost, shared with its other connections.
    share: Arc<PeerShare>,
}

/// A join request waiting for the engine's answer.
struct PendingJoin {
    conn: Connection,
    send: SendStream,
}

pub(crate) struct Driver {
    engine: Engine<DataDir>,
    bound: Bound,
    gate: Gate,
    started: Instant,
    conns: HashMap<ConnId, ConnIo>,
    /// Each connected device's budget, kept while the node runs so reconnecting does not refill it.
    shares: HashMap<EndpointId, Arc<PeerShare>>,
    joins: HashMap<JoinId, PendingJoin>,
    pending: HashMap<RequestId, Replier>,
    next_id: u64,
    /// The addresses last told to the engine.
    told: (Vec<std::net::SocketAddr>, Option<String>),
    last_tick: Instant,
    /// Free memory to give back after a large read.
    give_back: crate::memory::GiveBack,
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

/// The transport's id of an engine device (`None` for bytes that are not a public key,
/// which no real peer has).
pub(crate) fn endpoint_of(device: DeviceId) -> Option<EndpointId> {
    EndpointId::from_bytes(device.as_bytes()).ok()
}

/// The engine's id of a transport endpoint.
pub(crate) fn device_of(endpoint: EndpointId) -> DeviceId {
    DeviceId(*endpoint.as_bytes())
}

/// A fresh seed for the ids the engine makes.
pub(crate) fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

impl Driver {
    pub(crate) async fn start(
        config: &NodeConfig,
        data: DataDir,
        tx: mpsc::Sender<Msg>,
        events: broadcast::Sender<Event>,
    ) -> Result<Self, NodeError> {
        let secret = data.device_secret()?;
        let bound = bind_preferring_last_port(&data, secret, &config.net).await?;
        let started = Instant::now();
        let engine_config = EngineConfig {
            device: device_of(bound.endpoint.id()),
            secret,
            connect_to_peers: config.connect_to_peers,
            seed: seed(),
        };
        let now = Now {
            elapsed: Duration::ZERO,
            wall: Timestamp::now(),
        };
        let engine = Engine::new(data, engine_config, now)?;
        let mut driver = Self {
            engine,
            bound,
            gate: Gate::new(),
            started,
            conns: HashMap::new(),
            shares: HashMap::new(),
            joins: HashMap::new(),
            pending: HashMap::new(),
            next_id: 1,
            told: (Vec::new(), None),
            last_tick: started,
            give_back: crate::memory::GiveBack::default(),
            tx,
            events,
        };
        // The gates and the peers to learn, before anyone can connect.
        let first = driver.engine.poll_outputs();
        driver.carry_out(first);
        Ok(driver)
    }

    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.bound.endpoint
    }

    pub(crate) fn gate(&self) -> Gate {
        self.gate.clone()
    }

    fn now(&self) -> Now {
        Now {
            elapsed: self.started.elapsed(),
            wall: Timestamp::now(),
        }
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::Receiver<Msg>,
        mut inbound: mpsc::Receiver<Inbound>,
    ) {
        loop {
            // Sleep until the engine next has something to do; an idle node does not wake.
            let wake = self
                .engine
                .next_tick()
                .map(|due| (self.started + due).max(self.last_tick + MIN_TICK_GAP));
            let give_back = self.give_back.wake_at();
            let sleep = async {
                match wake.into_iter().chain(give_back).min() {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(Msg::Shutdown) | None => break,
                    Some(msg) => self.handle(msg),
                },
                Some(conn) = inbound.recv() => self.inbound(conn),
                () = sleep => {
                    let now = Instant::now();
                    if wake.is_some_and(|at| at <= now) {
                        self.last_tick = now;
                        self.feed(Input::Tick);
                    }
                }
            }
            self.give_back.maybe_now(Instant::now());
        }
        // Every connection finishes; the stores are durable already.
        self.feed(Input::Shutdown);
        self.conns.clear();
    }

    /// Gives the engine one input and carries out what it decides.
    fn feed(&mut self, input: Input) {
        let outputs = self.engine.handle(input, self.now());
        self.carry_out(outputs);
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Ask { request, reply } => {
                // Only an invite and a join name this device's addresses.
                if matches!(request, Request::Invite { .. } | Request::Join { .. }) {
                    self.tell_addresses();
                }
                let request = match request {
                    Request::Join {
                        mut ticket,
                        name,
                        focus,
                    } => {
                        // Kept in the form the transport understood, for the known-peer list.
                        if let Ok(inviter) = EndpointId::from_bytes(&ticket.inviter) {
                            ticket.relay = self
                                .bound
                                .learn(
                                    inviter,
                                    ticket.addrs.iter().copied(),
                                    ticket.relay.as_deref(),
                                )
                                .map(|url| url.to_string());
                        } else {
                            reply(Err(EngineError::Invite(
                                commonroom_proto::InviteError::Damaged("bad inviter id"),
                            )));
                            return;
                        }
                        Request::Join {
                            ticket,
                            name,
                            focus,
                        }
                    }
                    other => other,
                };
                let id = self.next_id();
                self.pending.insert(id, reply);
                self.feed(Input::Request { id, request });
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
                self.charged(id, Input::Message { conn: id, message })
            }
            Msg::Snapshot { id, bytes, .. } => {
                self.charged(id, Input::Snapshot { conn: id, bytes })
            }
            Msg::Addresses { id, devices } => {
                self.charged(id, Input::PeerAddresses { conn: id, devices })
            }
            Msg::DocIncoming {
                id, doc, message, ..
            } => self.charged(
                id,
                Input::DocMessage {
                    conn: id,
                    doc,
                    message,
                },
            ),
            Msg::DocSnapshot {
                id,
                doc,
                bytes,
                loaded,
                ..
            } => self.charged(
                id,
                Input::DocSnapshot {
                    conn: id,
                    doc,
                    bytes,
                    loaded,
                },
            ),
            Msg::DocHeads { id, docs } => self.charged(id, Input::DocHeads { conn: id, docs }),
            Msg::Closed { id } => {
                if self.conns.remove(&id).is_some() {
                    self.feed(Input::Closed { conn: id });
                }
            }
            Msg::Dialed {
                community,
                peer,
                result,
            } => match *result {
                Ok((conn, send, recv)) => {
                    let link = Link {
                        community,
                        peer,
                        initiator: true,
                        addrs: Vec::new(),
                        relay: None,
                        shares_addresses: false,
                        shares_docs: false,
                        doc_snapshots: false,
                    };
                    self.establish(link, conn, send, recv);
                }
                Err(e) => {
                    tracing::debug!(peer = %peer.short(), error = %e, "could not reach peer");
                    self.feed(Input::DialFailed { community, peer });
                }
            },
            Msg::JoinAnswered {
                request,
                ticket,
                result,
            } => {
                let result = result.map_err(|e| match e {
                    NetError::Refused(reason) => JoinFailure::Refused(reason),
                    NetError::Busy => JoinFailure::Busy,
                    other => JoinFailure::Unreachable(other.to_string()),
                });
                self.feed(Input::JoinAnswered {
                    request,
                    ticket,
                    result,
                });
            }
        }
    }

    /// Tells the engine how peers reach this device, when that changed.
    fn tell_addresses(&mut self) {
        let now = (self.bound.direct_addrs(), self.bound.home_relay());
        if now != self.told {
            self.told = now.clone();
            self.feed(Input::Addresses {
                direct: now.0,
                relay: now.1,
            });
        }
    }

    /// Feeds a peer's message, charging the time the engine took to that device.
    fn charged(&mut self, id: ConnId, input: Input) {
        let Some(share) = self.conns.get(&id).map(|c| Arc::clone(&c.share)) else {
            return;
        };
        let started = Instant::now();
        self.feed(input);
        share.charge_cpu(started.elapsed());
    }

    /// A sync connection that passed its handshake: its task runs, and the engine is told.
    fn establish(&mut self, mut link: Link, conn: Connection, send: SendStream, recv: RecvStream) {
        let Some(peer) = endpoint_of(link.peer) else {
            return;
        };
        // What the peer said in its hello (a few usable ones); else what this connection
        // runs over.
        let paths = conn.paths();
        let mut addrs = commonroom_net::endpoint::usable_addrs(std::mem::take(&mut link.addrs));
        if addrs.is_empty() {
            addrs = paths
                .iter()
                .filter_map(|p| match p.remote_addr() {
                    TransportAddr::Ip(a) => Some(*a),
                    _ => None,
                })
                .collect();
        }
        let relay = match link.relay.take() {
            Some(relay) => Some(relay),
            // Having dialed, a relay path leads to the peer's home relay (accepting, to our own).
            None if link.initiator => paths.iter().find_map(|p| match p.remote_addr() {
                TransportAddr::Relay(url) => Some(url.to_string()),
                _ => None,
            }),
            None => None,
        };
        link.relay = self
            .bound
            .learn(peer, addrs.iter().copied(), relay.as_deref())
            .map(|url| url.to_string());
        link.addrs = addrs;

        let id = self.next_id();
        let (tx, rx) = mpsc::channel(OUTGOING_QUEUE);
        let share = Arc::clone(self.shares.entry(peer).or_insert_with(PeerShare::new));
        self.conns.insert(
            id,
            ConnIo {
                tx,
                conn: conn.clone(),
                share: Arc::clone(&share),
            },
        );
        tokio::spawn(conn::run(id, conn, send, recv, rx, self.tx.clone(), share));
        // The book this device gives its peers names its own ways in as they are now.
        self.tell_addresses();
        self.feed(Input::Connected { conn: id, link });
    }

    fn inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Sync {
                peer,
                community,
                peer_addrs,
                peer_relay,
                shares_addresses,
                shares_docs,
                doc_snapshots,
                conn,
                send,
                recv,
            } => {
                let link = Link {
                    // The community a peer asked for, as it named it (the gate admitted it).
                    community: CommunityId::from(community),
                    peer: device_of(peer),
                    initiator: false,
                    addrs: peer_addrs,
                    relay: peer_relay,
                    shares_addresses,
                    shares_docs,
                    doc_snapshots,
                };
                self.establish(link, conn, send, recv);
            }
            Inbound::Join {
                peer,
                request,
                conn,
                send,
            } => {
                let join = self.next_id();
                self.joins.insert(join, PendingJoin { conn, send });
                self.feed(Input::JoinAsked {
                    join,
                    peer: device_of(peer),
                    request,
                });
            }
        }
    }

    /// Carries out the engine's decisions, feeding back what they lead to (a peer whose
    /// queue is full is let go, and the engine told).
    fn carry_out(&mut self, outputs: Vec<Output>) {
        let mut queue = std::collections::VecDeque::from(outputs);
        while let Some(output) = queue.pop_front() {
            if let Some(input) = self.carry_out_one(output) {
                let more = self.engine.handle(input, self.now());
                queue.extend(more);
            }
        }
    }

    /// Carries out one decision; returns what the engine must hear at once because of it
    /// (a connection that had to be let go, a dial that cannot be made).
    fn carry_out_one(&mut self, output: Output) -> Option<Input> {
        match output {
            Output::Reply { id, result } => {
                if matches!(
                    result,
                    Ok(Response::View(_) | Response::History(_) | Response::Heads(_))
                ) {
                    self.give_back.after_large_read();
                }
                if let Some(reply) = self.pending.remove(&id) {
                    reply(result);
                }
            }
            Output::Send { conn, frame } => {
                let io = self.conns.get(&conn)?;
                if io.tx.try_send(frame).is_err() {
                    tracing::warn!(
                        "a peer is not keeping up; closing its connection (it will resync on reconnect)"
                    );
                    self.conns.remove(&conn);
                    return Some(Input::Closed { conn });
                }
            }
            Output::Close { conn, how } => {
                let io = self.conns.remove(&conn)?;
                match how {
                    // Dropping the sender lets the task deliver what is queued, then close.
                    Close::Finish => {}
                    Close::Breach => io
                        .conn
                        .close(commonroom_net::close::PROTOCOL.into(), b"protocol error"),
                    Close::Refused => io
                        .conn
                        .close(commonroom_net::close::REFUSED.into(), b"unknown community"),
                }
            }
            Output::Dial { community, peer } => {
                let Some(endpoint) = endpoint_of(peer) else {
                    // Not a device key (a damaged device entry): nothing to dial.
                    return Some(Input::DialFailed { community, peer });
                };
                let bound = self.bound.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let own = bound.direct_addrs();
                    let result =
                        dial_sync(&bound, EndpointAddr::new(endpoint), community.as_str(), own)
                            .await;
                    let _ = tx
                        .send(Msg::Dialed {
                            community,
                            peer,
                            result: Box::new(result),
                        })
                        .await;
                });
            }
            Output::Join {
                request,
                candidates,
                ticket,
                mut join,
            } => {
                join.addrs = self.bound.direct_addrs();
                join.relay = self.bound.home_relay();
                let tx = self.tx.clone();
                let bound = self.bound.clone();
                // Not device keys (a damaged ticket) cannot be dialed.
                let candidates: Vec<DeviceId> = candidates
                    .into_iter()
                    .filter(|c| endpoint_of(*c).is_some())
                    .collect();
                tokio::spawn(async move {
                    let addrs = candidates
                        .iter()
                        .filter_map(|c| endpoint_of(*c))
                        .map(EndpointAddr::new)
                        .collect();
                    let result = dial_join_any(&bound, addrs, join)
                        .await
                        .map(|(index, reply)| (candidates[index], reply));
                    let _ = tx
                        .send(Msg::JoinAnswered {
                            request,
                            ticket,
                            result,
                        })
                        .await;
                });
            }
            Output::JoinAnswer { join, result } => {
                let PendingJoin { conn, mut send } = self.joins.remove(&join)?;
                tokio::spawn(async move {
                    match result {
                        Ok(member) => {
                            let frame = Frame::Joined(JoinReply {
                                member: member.to_string(),
                            });
                            let _ = commonroom_net::framed::write_frame(&mut send, &frame).await;
                            let _ = send.finish();
                            let _ =
                                tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
                        }
                        Err(reason) => refuse(&conn, &mut send, &reason).await,
                    }
                });
            }
            Output::Learn { peer, addrs, relay } => {
                if let Some(peer) = endpoint_of(peer) {
                    self.bound.learn(peer, addrs, relay.as_deref());
                }
            }
            Output::Gate { community, devices } => {
                let devices = devices.into_iter().filter_map(endpoint_of).collect();
                self.gate.set(community.as_str(), devices);
            }
            Output::Event(event) => {
                let _ = self.events.send(event);
            }
        }
        None
    }
}
