//! [`Node`] and its cheap, cloneable [`NodeHandle`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use commonroom_model::automerge::ChangeHash;
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::{Applied, Command, CommunityId, CommunityView, MemberId};
use commonroom_net::{Inbound, JoinHandler, NetConfig, SyncHandler};
use commonroom_proto::{ALPN_JOIN, ALPN_SYNC, Ticket};
use iroh::EndpointId;
use iroh::protocol::Router;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::actor::{Actor, Msg};
use crate::error::NodeError;
use crate::event::Event;

/// How a node is started.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The data directory (locked for the node's lifetime).
    pub data_dir: PathBuf,
    /// Network settings.
    pub net: NetConfig,
    /// Connect to known member devices by itself and keep reconnecting (off for one-shot commands that only answer).
    pub connect_to_peers: bool,
}

impl NodeConfig {
    /// A node on `data_dir` bound to loopback with relays and mDNS off, connecting to its
    /// peers by itself: what tests and benchmarks use.
    pub fn loopback(data_dir: &std::path::Path) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            net: NetConfig::loopback(),
            connect_to_peers: true,
        }
    }
}

/// A peer device as `peers` reports it.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    /// The device's endpoint id.
    pub endpoint: EndpointId,
    /// The member it belongs to, and their name, if known.
    pub member: Option<(MemberId, String)>,
    /// Connected right now.
    pub online: bool,
    /// Last full sync (ms since the epoch).
    pub last_sync: Option<i64>,
    /// Addresses it was last seen at.
    pub addrs: Vec<std::net::SocketAddr>,
    /// Its home relay, if known.
    pub relay: Option<String>,
    /// Traffic of the live sync sessions with this device (zero when offline).
    pub traffic: Traffic,
}

/// Sync messages and payload bytes exchanged over live sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages sent.
    pub messages_out: u64,
    /// Messages received.
    pub messages_in: u64,
    /// Bytes sent on the wire, frame headers included.
    pub bytes_out: u64,
    /// Bytes received on the wire, frame headers included.
    pub bytes_in: u64,
}

/// What a `sync` achieved.
#[derive(Clone, Debug)]
pub struct SyncReport {
    /// Devices we ended in sync with.
    pub synced: Vec<EndpointId>,
    /// Member devices (other than ours) that could have been synced.
    pub candidates: usize,
}

/// A running node: the actor, the router and the endpoint.
pub struct Node {
    handle: NodeHandle,
    router: Router,
    actor: tokio::task::JoinHandle<()>,
}

/// Talks to a running node. Cheap to clone; every method is a message to the actor.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    tx: mpsc::Sender<Msg>,
    events: broadcast::Sender<Event>,
    endpoint_id: EndpointId,
}

impl Node {
    /// Opens the data directory, binds the endpoint and starts the actor. Needs a tokio runtime.
    pub async fn start(config: NodeConfig) -> Result<Self, NodeError> {
        let (tx, rx) = mpsc::channel(4096);
        let (events, _) = broadcast::channel(1024);
        let (inbound_tx, inbound_rx) = mpsc::channel::<Inbound>(64);
        let actor = Actor::start(&config, tx.clone(), events.clone()).await?;
        let endpoint = actor.endpoint().clone();
        let strangers = commonroom_net::StrangerLimit::default();
        let router = Router::builder(endpoint.clone())
            .accept(
                ALPN_SYNC,
                SyncHandler::new(actor.gate(), strangers, inbound_tx.clone()),
            )
            .accept(
                ALPN_JOIN,
                JoinHandler::new(commonroom_net::JoinLimit::default(), inbound_tx),
            )
            .spawn();
        let endpoint_id = endpoint.id();
        let task = watch_core(
            tokio::spawn(actor.run(rx, inbound_rx)),
            exit_on_core_failure,
        );
        Ok(Self {
            handle: NodeHandle {
                tx,
                events,
                endpoint_id,
            },
            router,
            actor: task,
        })
    }

    /// A handle to the node.
    pub fn handle(&self) -> NodeHandle {
        self.handle.clone()
    }

    /// Stops accepting, closes connections, and waits for the actor to finish its writes.
    pub async fn shutdown(self) {
        let _ = self.handle.tx.send(Msg::Shutdown).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.actor).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), self.router.shutdown()).await;
    }
}

impl NodeHandle {
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, NodeError>>) -> Msg,
    ) -> Result<T, NodeError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| NodeError::Stopped)?;
        answer.await.map_err(|_| NodeError::Stopped)?
    }

    /// This device's endpoint id.
    pub fn endpoint_id(&self) -> EndpointId {
        self.endpoint_id
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Creates a community with this device's member as founder.
    pub async fn create(&self, name: String, me: String) -> Result<CommunityId, NodeError> {
        self.ask(|reply| Msg::Create { name, me, reply }).await
    }

    /// Ids and names of the communities on this device.
    pub async fn list(&self) -> Result<Vec<(String, String)>, NodeError> {
        self.ask(|reply| Msg::List { reply }).await
    }

    /// Applies a command as this device's member; returns once it is durable (and offered to peers).
    pub async fn apply(&self, community: String, command: Command) -> Result<Applied, NodeError> {
        self.ask(|reply| Msg::Apply {
            community,
            command,
            reply,
        })
        .await
    }

    /// A snapshot of a whole community. The node keeps it current as changes arrive, so
    /// asking again after an [`Event::Changed`] is cheap (the first ask reads everything).
    pub async fn view(&self, community: String) -> Result<Arc<CommunityView>, NodeError> {
        self.ask(|reply| Msg::View { community, reply }).await
    }

    /// The member this device acts as in a community.
    pub async fn me(&self, community: String) -> Result<Option<MemberId>, NodeError> {
        self.ask(|reply| Msg::Me { community, reply }).await
    }

    /// The community's activity feed (newest first, at most `limit` changes).
    pub async fn history(
        &self,
        community: String,
        filter: ActivityFilter,
        limit: usize,
    ) -> Result<Vec<Activity>, NodeError> {
        self.ask(|reply| Msg::History {
            community,
            filter,
            limit,
            reply,
        })
        .await
    }

    /// The point just before a change (given by its hash or a unique prefix of at least 6
    /// hex digits): what [`Command::RestoreAt`] restores to.
    pub async fn point_before(
        &self,
        community: String,
        change: String,
    ) -> Result<Vec<ChangeHash>, NodeError> {
        self.ask(|reply| Msg::PointBefore {
            community,
            change,
            reply,
        })
        .await
    }

    /// Records a new invite (valid for `valid_for`) and returns its ticket.
    pub async fn invite(
        &self,
        community: String,
        valid_for: Duration,
    ) -> Result<Ticket, NodeError> {
        self.ticket(community, valid_for, false).await
    }

    /// Records a device-link ticket (valid for `valid_for`): another device of this
    /// device's member joins with it and acts as the same member.
    pub async fn link_device_ticket(
        &self,
        community: String,
        valid_for: Duration,
    ) -> Result<Ticket, NodeError> {
        self.ticket(community, valid_for, true).await
    }

    async fn ticket(
        &self,
        community: String,
        valid_for: Duration,
        for_me: bool,
    ) -> Result<Ticket, NodeError> {
        self.ask(|reply| Msg::Invite {
            community,
            valid_for,
            for_me,
            reply,
        })
        .await
    }

    /// Joins a community with a ticket; returns once the whole community is stored here.
    pub async fn join(
        &self,
        ticket: Ticket,
        name: String,
        focus: Vec<String>,
    ) -> Result<CommunityId, NodeError> {
        self.ask(|reply| Msg::Join {
            ticket,
            name,
            focus,
            reply,
        })
        .await
    }

    /// Connects to every member device it can and syncs, until in sync or `timeout`.
    pub async fn sync_now(
        &self,
        community: String,
        timeout: Duration,
    ) -> Result<SyncReport, NodeError> {
        self.ask(|reply| Msg::SyncNow {
            community,
            timeout,
            reply,
        })
        .await
    }

    /// Known peers of a community, online or not.
    pub async fn peers(&self, community: String) -> Result<Vec<PeerInfo>, NodeError> {
        self.ask(|reply| Msg::Peers { community, reply }).await
    }

    /// Where this node can be reached (direct addresses).
    pub async fn addrs(&self) -> Result<Vec<std::net::SocketAddr>, NodeError> {
        self.ask(|reply| Msg::Addrs { reply }).await
    }

    /// Waits (at most `limit`) until the node is connected to its home relay, so that an
    /// invite made right after start names it; returns at once with relays off.
    pub async fn until_online(&self, limit: Duration) -> Result<(), NodeError> {
        self.ask(|reply| Msg::UntilOnline { limit, reply }).await
    }
}

/// Exit status of a process whose node core stopped unexpectedly.
pub const EXIT_CORE_FAILED: i32 = 70;

/// Watches the node's core: if it stops by a panic, `on_failure` is told why. Returns a
/// task that ends when the core ends normally.
///
/// A node whose core died must not stay half alive: the process would keep its window or
/// its `serve` open while nothing syncs, and the data directory's lock, released with the
/// core, would let other processes write behind its back.
pub fn watch_core(
    core: tokio::task::JoinHandle<()>,
    on_failure: impl FnOnce(String) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = core.await
            && error.is_panic()
        {
            let panic = error.into_panic();
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "an unexpected error".to_owned());
            on_failure(text);
        }
    })
}

/// What a process does when its node's core fails: says so in plain words and exits.
fn exit_on_core_failure(why: String) {
    tracing::error!(%why, "the node's core stopped");
    eprintln!(
        "Commonroom stopped: its core failed ({why}). Everything saved before is safe on disk; \
         start Commonroom again."
    );
    std::process::exit(EXIT_CORE_FAILED);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_core_that_panics_is_reported_and_one_that_ends_is_not() {
        let (tx, rx) = std::sync::mpsc::channel();
        let failing = tokio::spawn(async { panic!("bloom filter with no bits") });
        watch_core(failing, move |why| {
            let _ = tx.send(why);
        })
        .await
        .ok();
        assert_eq!(rx.recv().ok().as_deref(), Some("bloom filter with no bits"));

        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let fine = tokio::spawn(async {});
        watch_core(fine, move |why| {
            let _ = tx.send(why);
        })
        .await
        .ok();
        assert!(rx.try_recv().is_err());
    }
}
