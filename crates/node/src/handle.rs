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

use commonroom_engine::{EngineError, Request, Response};

use crate::driver::{Driver, Msg, endpoint_of};
use crate::error::NodeError;
use commonroom_engine::Event;

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

pub use commonroom_engine::Traffic;

impl PeerInfo {
    fn from_engine(info: commonroom_engine::PeerInfo) -> Option<Self> {
        Some(Self {
            endpoint: endpoint_of(info.device)?,
            member: info.member,
            online: info.online,
            last_sync: info.last_sync,
            addrs: info.addrs,
            relay: info.relay,
            traffic: info.traffic,
        })
    }
}

/// What a `sync` achieved.
#[derive(Clone, Debug)]
pub struct SyncReport {
    /// Devices we ended in sync with.
    pub synced: Vec<EndpointId>,
    /// Member devices (other than ours) that could have been synced.
    pub candidates: usize,
}

/// A running node: the driver running the engine, the router and the endpoint.
pub struct Node {
    handle: NodeHandle,
    router: Router,
    driver: tokio::task::JoinHandle<()>,
}

/// Talks to a running node. Cheap to clone; every method is a message to the driver.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    tx: mpsc::Sender<Msg>,
    events: broadcast::Sender<Event>,
    endpoint_id: EndpointId,
}

impl Node {
    /// Opens the data directory, binds the endpoint and starts the engine on its driver. Needs a tokio runtime.
    pub async fn start(config: NodeConfig) -> Result<Self, NodeError> {
        let data = commonroom_store::DataDir::open(&config.data_dir)?;
        Self::start_on(config, data).await
    }

    /// [`Node::start`] on a data directory this process has already opened (and locked).
    pub async fn start_on(
        config: NodeConfig,
        data: commonroom_store::DataDir,
    ) -> Result<Self, NodeError> {
        let (tx, rx) = mpsc::channel(4096);
        let (events, _) = broadcast::channel(1024);
        let (inbound_tx, inbound_rx) = mpsc::channel::<Inbound>(64);
        let driver = Driver::start(&config, data, tx.clone(), events.clone()).await?;
        let endpoint = driver.endpoint().clone();
        let strangers = commonroom_net::StrangerLimit::default();
        let router = Router::builder(endpoint.clone())
            .accept(
                ALPN_SYNC,
                SyncHandler::new(driver.gate(), strangers, inbound_tx.clone()),
            )
            .accept(
                ALPN_JOIN,
                JoinHandler::new(commonroom_net::JoinLimit::default(), inbound_tx),
            )
            .spawn();
        let endpoint_id = endpoint.id();
        let task = watch_core(
            tokio::spawn(driver.run(rx, inbound_rx)),
            exit_on_core_failure,
        );
        Ok(Self {
            handle: NodeHandle {
                tx,
                events,
                endpoint_id,
            },
            router,
            driver: task,
        })
    }

    /// A handle to the node.
    pub fn handle(&self) -> NodeHandle {
        self.handle.clone()
    }

    /// Stops accepting, closes connections, and waits for the engine to finish its writes.
    pub async fn shutdown(self) {
        let _ = self.handle.tx.send(Msg::Shutdown).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.driver).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), self.router.shutdown()).await;
    }
}

impl NodeHandle {
    /// Asks the engine and picks the answer of the kind asked for.
    async fn ask<T: Send + 'static>(
        &self,
        request: Request,
        pick: fn(Response) -> Option<T>,
    ) -> Result<T, NodeError> {
        let (reply, answer) = oneshot::channel::<Result<T, NodeError>>();
        let reply = Box::new(move |result: Result<Response, EngineError>| {
            let picked = result
                .map_err(NodeError::from)
                .and_then(|response| pick(response).ok_or(NodeError::Stopped));
            let _ = reply.send(picked);
        });
        self.tx
            .send(Msg::Ask { request, reply })
            .await
            .map_err(|_| NodeError::Stopped)?;
        answer.await.map_err(|_| NodeError::Stopped)?
    }

    /// Asks the driver itself (not the engine).
    async fn ask_driver<T>(
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
        self.ask(Request::Create { name, me }, |r| match r {
            Response::Community(id) => Some(id),
            _ => None,
        })
        .await
    }

    /// Ids and names of the communities on this device.
    pub async fn list(&self) -> Result<Vec<(CommunityId, String)>, NodeError> {
        self.ask(Request::List, |r| match r {
            Response::List(list) => Some(list),
            _ => None,
        })
        .await
    }

    /// Applies a command as this device's member; returns once it is durable (and offered to peers).
    pub async fn apply(
        &self,
        community: CommunityId,
        command: Command,
    ) -> Result<Applied, NodeError> {
        self.ask(Request::Apply { community, command }, |r| match r {
            Response::Applied(applied) => Some(applied),
            _ => None,
        })
        .await
    }

    /// A snapshot of a whole community. The node keeps it current as changes arrive, so
    /// asking again after an [`Event::Changed`] is cheap (the first ask reads everything).
    pub async fn view(&self, community: CommunityId) -> Result<Arc<CommunityView>, NodeError> {
        self.ask(Request::View { community }, |r| match r {
            Response::View(view) => Some(view),
            _ => None,
        })
        .await
    }

    /// The member this device acts as in a community.
    pub async fn me(&self, community: CommunityId) -> Result<Option<MemberId>, NodeError> {
        self.ask(Request::Me { community }, |r| match r {
            Response::Me(me) => Some(me),
            _ => None,
        })
        .await
    }

    /// The community's activity feed (newest first, at most `limit` changes).
    pub async fn history(
        &self,
        community: CommunityId,
        filter: ActivityFilter,
        limit: usize,
    ) -> Result<Vec<Activity>, NodeError> {
        let request = Request::History {
            community,
            filter,
            limit,
        };
        self.ask(request, |r| match r {
            Response::History(activities) => Some(activities),
            _ => None,
        })
        .await
    }

    /// The point just before a change (given by its hash or a unique prefix of at least 6
    /// hex digits): what [`Command::RestoreAt`] restores to.
    pub async fn point_before(
        &self,
        community: CommunityId,
        change: String,
    ) -> Result<Vec<ChangeHash>, NodeError> {
        self.ask(Request::PointBefore { community, change }, |r| match r {
            Response::Heads(heads) => Some(heads),
            _ => None,
        })
        .await
    }

    /// Records a new invite (valid for `valid_for`) and returns its ticket.
    pub async fn invite(
        &self,
        community: CommunityId,
        valid_for: Duration,
    ) -> Result<Ticket, NodeError> {
        self.ticket(community, valid_for, false, 1).await
    }

    /// Records an invite for a group: up to `uses` people may join with the same ticket
    /// while it is valid. Any member's node that is online can let them in.
    pub async fn invite_group(
        &self,
        community: CommunityId,
        valid_for: Duration,
        uses: u32,
    ) -> Result<Ticket, NodeError> {
        self.ticket(community, valid_for, false, uses).await
    }

    /// Records a device-link ticket (valid for `valid_for`): another device of this
    /// device's member joins with it and acts as the same member.
    pub async fn link_device_ticket(
        &self,
        community: CommunityId,
        valid_for: Duration,
    ) -> Result<Ticket, NodeError> {
        self.ticket(community, valid_for, true, 1).await
    }

    async fn ticket(
        &self,
        community: CommunityId,
        valid_for: Duration,
        for_me: bool,
        uses: u32,
    ) -> Result<Ticket, NodeError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| NodeError::Unavailable(format!("no randomness for an invite: {e}")))?;
        let request = Request::Invite {
            community,
            valid_for,
            for_me,
            uses,
            secret,
        };
        self.ask(request, |r| match r {
            Response::Ticket(ticket) => Some(ticket),
            _ => None,
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
        let request = Request::Join {
            ticket,
            name,
            focus,
        };
        self.ask(request, |r| match r {
            Response::Community(id) => Some(id),
            _ => None,
        })
        .await
    }

    /// Connects to every member device it can and syncs, until in sync or `timeout`.
    pub async fn sync_now(
        &self,
        community: CommunityId,
        timeout: Duration,
    ) -> Result<SyncReport, NodeError> {
        let report = self
            .ask(Request::SyncNow { community, timeout }, |r| match r {
                Response::Synced(report) => Some(report),
                _ => None,
            })
            .await?;
        Ok(SyncReport {
            synced: report.synced.into_iter().filter_map(endpoint_of).collect(),
            candidates: report.candidates,
        })
    }

    /// Known peers of a community, online or not.
    pub async fn peers(&self, community: CommunityId) -> Result<Vec<PeerInfo>, NodeError> {
        let peers = self
            .ask(Request::Peers { community }, |r| match r {
                Response::Peers(peers) => Some(peers),
                _ => None,
            })
            .await?;
        Ok(peers
            .into_iter()
            .filter_map(PeerInfo::from_engine)
            .collect())
    }

    /// Applies a conversation command (a thread, a reply, a reaction...); answered once
    /// durable, and offered to connected members at once.
    pub async fn converse(
        &self,
        community: CommunityId,
        command: commonroom_model::conversations::Converse,
    ) -> Result<commonroom_model::conversations::Conversed, NodeError> {
        self.ask(Request::Converse { community, command }, |r| match r {
            Response::Conversed(done) => Some(done),
            _ => None,
        })
        .await
    }

    /// The channels and the thread index.
    pub async fn conversations(
        &self,
        community: CommunityId,
    ) -> Result<commonroom_model::conversations::ConversationIndex, NodeError> {
        self.ask(Request::Conversations { community }, |r| match r {
            Response::Conversations(index) => Some(index),
            _ => None,
        })
        .await
    }

    /// One thread's messages; `mark_read` when it is being shown to the person.
    pub async fn thread(
        &self,
        community: CommunityId,
        thread: commonroom_model::ThreadId,
        mark_read: bool,
    ) -> Result<commonroom_engine::ThreadRead, NodeError> {
        let request = Request::Thread {
            community,
            thread,
            mark_read,
        };
        let read = self
            .ask(request, |r| match r {
                Response::Thread(read) => Some(read),
                _ => None,
            })
            .await?;
        Ok(*read)
    }

    /// Unread messages on this device, per thread and channel.
    pub async fn unread(
        &self,
        community: CommunityId,
    ) -> Result<commonroom_engine::Unread, NodeError> {
        self.ask(Request::Unread { community }, |r| match r {
            Response::Unread(unread) => Some(unread),
            _ => None,
        })
        .await
    }

    /// What in a side document that just changed is news for this device's member
    /// (mentions, replies to them, answers to their questions), marked told.
    pub async fn notices(
        &self,
        community: CommunityId,
        doc: commonroom_model::conversations::DocKey,
    ) -> Result<Vec<commonroom_engine::Notice>, NodeError> {
        self.ask(Request::Notices { community, doc }, |r| match r {
            Response::Notices(notices) => Some(notices),
            _ => None,
        })
        .await
    }

    /// Mutes or unmutes a channel's notifications on this device; the channels muted.
    pub async fn mute(
        &self,
        community: CommunityId,
        channel: commonroom_model::ChannelId,
        muted: bool,
    ) -> Result<std::collections::BTreeSet<commonroom_model::ChannelId>, NodeError> {
        let request = Request::Mute {
            community,
            channel,
            muted,
        };
        self.ask(request, |r| match r {
            Response::Muted(muted) => Some(muted),
            _ => None,
        })
        .await
    }

    /// Where this node can be reached (direct addresses).
    pub async fn addrs(&self) -> Result<Vec<std::net::SocketAddr>, NodeError> {
        self.ask_driver(|reply| Msg::Addrs { reply }).await
    }

    /// Waits (at most `limit`) until the node is connected to its home relay, so that an
    /// invite made right after start names it; returns at once with relays off.
    pub async fn until_online(&self, limit: Duration) -> Result<(), NodeError> {
        self.ask_driver(|reply| Msg::UntilOnline { limit, reply })
            .await
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
