//! The window's line to the node: commands go out as tasks on the tokio runtime, answers and
//! node events come back through one bounded channel, each followed by a repaint request.
//!
//! Architecture invariant: nothing here blocks the UI thread. Every call returns at once;
//! its answer arrives later as an [`Update`] drained at the start of a frame.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use commonroom_model::ThreadId;
use commonroom_model::conversations::{ConversationIndex, Conversed};
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::{Applied, CommunityId, CommunityView, MemberId};
use commonroom_node::{Event, NodeHandle, PeerInfo, ThreadRead, Unread};
use tokio::sync::{broadcast, mpsc};

/// How many answers and events may wait for the next frame before senders wait.
const CHANNEL_CAPACITY: usize = 1024;

/// How many days an invite made from the window stays valid, unless the person chooses.
pub const INVITE_DAYS: u64 = 7;

/// How long a device-link ticket made in the window stays valid.
pub const LINK_VALID_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// How many changes the History screen lists at most.
pub const HISTORY_LIMIT: usize = 500;

/// Something the node answered or reported.
#[derive(Debug)]
pub enum Update {
    /// The communities on this device (id, name).
    Communities(Vec<(CommunityId, String)>),
    /// A fresh snapshot of a community.
    View(
        CommunityId,
        Result<Arc<CommunityView>, crate::state::ViewProblem>,
    ),
    /// Which member this device is in a community.
    Me(CommunityId, Option<MemberId>),
    /// The known peers of a community.
    Peers(CommunityId, Vec<PeerInfo>),
    /// A command finished (the string names what was done, for messages).
    Applied {
        /// The community.
        community: CommunityId,
        /// What was asked, in words.
        what: String,
        /// The outcome.
        result: Result<Applied, String>,
        /// The typed text it was made from, to give back if it failed.
        draft: Option<crate::here::Draft>,
    },
    /// A community was started, joined or filled with the sample (its id), or why not.
    Opened(Result<CommunityId, String>),
    /// An invite ticket for a community, or why none could be made.
    Invite(CommunityId, Result<String, String>),
    /// A device-link ticket for this device's member in a community, as text.
    LinkTicket(CommunityId, Result<String, String>),
    /// A community's activity feed, newest first.
    History(CommunityId, Result<Vec<Activity>, String>),
    /// A community's channels and thread index, or why they could not be read.
    Conversations(CommunityId, Result<ConversationIndex, String>),
    /// Unread counts on this device.
    Unread(CommunityId, Unread),
    /// One thread, as shown (and marked read if asked), or why it could not be read.
    Thread(CommunityId, ThreadId, Result<Box<ThreadRead>, String>),
    /// A conversation command finished.
    Conversed {
        /// The community.
        community: CommunityId,
        /// What was asked, in words.
        what: String,
        /// The outcome.
        result: Result<Conversed, String>,
        /// The typed text it was made from, to give back if it failed.
        draft: Option<crate::here::Draft>,
    },
    /// Something happened in the node.
    Node(Event),
    /// Events were dropped because the window fell behind: re-read everything.
    Lagged,
    /// An invite link was opened while the window runs (handed over by a second launch):
    /// show the join screen with it filled in.
    Link(String),
}

/// Wakes the window when an update arrives (once the window's context is known).
#[derive(Clone, Default)]
struct Repaint(Arc<OnceLock<egui::Context>>);

impl Repaint {
    fn request(&self) {
        if let Some(ctx) = self.0.get() {
            ctx.request_repaint();
        }
    }
}

/// The window's handle on the node and the runtime it runs on.
pub struct Bridge {
    node: NodeHandle,
    runtime: tokio::runtime::Handle,
    repaint: Repaint,
    tx: mpsc::Sender<Update>,
    rx: mpsc::Receiver<Update>,
    notifier: crate::notify::Notifier,
}

impl Bridge {
    /// Connects to a running node and starts forwarding its events to the window.
    pub fn new(node: NodeHandle, runtime: tokio::runtime::Handle) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let notifier = crate::notify::Notifier::start(node.clone(), &runtime);
        let bridge = Self {
            notifier,
            node,
            runtime,
            repaint: Repaint::default(),
            tx,
            rx,
        };
        bridge.forward_events();
        bridge
    }

    fn forward_events(&self) {
        let mut events = self.node.subscribe();
        let tx = self.tx.clone();
        let repaint = self.repaint.clone();
        self.runtime.spawn(async move {
            loop {
                let update = match events.recv().await {
                    Ok(event) => Update::Node(event),
                    Err(broadcast::error::RecvError::Lagged(_)) => Update::Lagged,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if tx.send(update).await.is_err() {
                    break;
                }
                repaint.request();
            }
        });
    }

    /// Delivers invite links handed to this process (by a second launch, through the
    /// control socket) to the window as [`Update::Link`], waking it for each.
    pub fn forward_links(&self, mut links: mpsc::Receiver<String>) {
        let tx = self.tx.clone();
        let repaint = self.repaint.clone();
        self.runtime.spawn(async move {
            while let Some(link) = links.recv().await {
                if tx.send(Update::Link(link)).await.is_err() {
                    break;
                }
                repaint.request();
            }
        });
    }

    /// This device's endpoint id (hex), as members' device lists show it.
    pub fn device_id(&self) -> String {
        self.node.endpoint_id().to_string()
    }

    /// The window to wake when updates arrive (the first context given is kept).
    pub fn set_repaint(&self, ctx: &egui::Context) {
        let _ = self.repaint.0.set(ctx.clone());
    }

    /// Tells whether the window is in front (desktop notifications only when it is not).
    pub fn set_focused(&self, focused: bool) {
        self.notifier.set_focused(focused);
    }

    /// Mutes or unmutes a channel's notifications on this device, then reads the unread
    /// counts (which say what is muted) again.
    pub fn mute(&self, community: &CommunityId, channel: commonroom_model::ChannelId, muted: bool) {
        let community = community.clone();
        self.spawn(|node| async move {
            if let Err(error) = node.mute(community.clone(), channel, muted).await {
                tracing::warn!(%error, "could not change a channel's notifications");
            }
            let unread = node.unread(community.clone()).await.unwrap_or_default();
            Update::Unread(community, unread)
        });
    }

    /// Answers and events that arrived since the last call.
    pub fn drain(&mut self) -> Vec<Update> {
        let mut out = Vec::new();
        while let Ok(update) = self.rx.try_recv() {
            out.push(update);
        }
        out
    }

    /// Runs `work` on the runtime and delivers its update.
    fn spawn<F>(&self, work: impl FnOnce(NodeHandle) -> F)
    where
        F: Future<Output = Update> + Send + 'static,
    {
        let tx = self.tx.clone();
        let repaint = self.repaint.clone();
        let work = work(self.node.clone());
        self.runtime.spawn(async move {
            let update = work.await;
            if tx.send(update).await.is_ok() {
                repaint.request();
            }
        });
    }

    /// Asks for the list of communities.
    pub fn list(&self) {
        self.spawn(
            |node| async move { Update::Communities(node.list().await.unwrap_or_default()) },
        );
    }

    /// Asks for a community's snapshot and this device's member in it.
    pub fn view(&self, community: &CommunityId) {
        let community = community.clone();
        self.spawn(|node| async move {
            let view = node
                .view(community.clone())
                .await
                .map_err(crate::state::ViewProblem::from);
            Update::View(community, view)
        });
    }

    /// Asks which member this device is in a community.
    pub fn me(&self, community: &CommunityId) {
        let community = community.clone();
        self.spawn(|node| async move {
            let me = node.me(community.clone()).await.ok().flatten();
            Update::Me(community, me)
        });
    }

    /// Asks for a community's known peers.
    pub fn peers(&self, community: &CommunityId) {
        let community = community.clone();
        self.spawn(|node| async move {
            let peers = node.peers(community.clone()).await.unwrap_or_default();
            Update::Peers(community, peers)
        });
    }

    /// Applies a command (`what` describes it in words for the status line).
    pub fn apply(&self, community: &CommunityId, outgoing: crate::here::Outgoing) {
        let community = community.clone();
        let crate::here::Outgoing {
            what,
            command,
            draft,
        } = outgoing;
        self.spawn(|node| async move {
            let result = node
                .apply(community.clone(), command)
                .await
                .map_err(|e| e.to_string());
            Update::Applied {
                community,
                what,
                result,
                draft,
            }
        });
    }

    /// Starts a community with this device's member as founder.
    pub fn create(&self, name: String, me: String) {
        self.spawn(|node| async move {
            Update::Opened(node.create(name, me).await.map_err(|e| e.to_string()))
        });
    }

    /// Starts the sample community and fills it (see [`commonroom_model::sample`]).
    pub fn create_sample(&self, me: String) {
        self.spawn(|node| async move {
            let name = commonroom_model::sample::SAMPLE_NAME.to_owned();
            let result = async {
                let id = node.create(name, me).await?;
                if let Some(founder) = node.me(id.clone()).await? {
                    let now = commonroom_model::Timestamp::now();
                    for command in commonroom_model::sample::sample_commands(&founder, now) {
                        node.apply(id.clone(), command).await?;
                    }
                    for command in commonroom_model::sample::sample_conversations() {
                        node.converse(id.clone(), command).await?;
                    }
                }
                Ok::<_, commonroom_node::NodeError>(id)
            }
            .await;
            Update::Opened(result.map_err(|e| e.to_string()))
        });
    }

    /// Joins a community with an invite: a ticket, a `commonroom://` link or a whole invite
    /// message (checked here first, for a clear message).
    pub fn join(&self, ticket: &str, me: String) {
        let ticket = commonroom_proto::read_invite(ticket);
        self.spawn(|node| async move {
            let result = match ticket {
                Err(error) => Err(format!("This invite is not valid: {error}")),
                Ok(ticket) => node
                    .join(ticket, me, Vec::new())
                    .await
                    .map_err(|e| e.to_string()),
            };
            Update::Opened(result)
        });
    }

    /// Makes an invite ticket for a community, valid for `days`, for up to `people`.
    pub fn invite(&self, community: &CommunityId, days: u64, people: u32) {
        let community = community.clone();
        let valid_for = Duration::from_secs(days.max(1) * 24 * 60 * 60);
        self.spawn(|node| async move {
            let ticket = node
                .invite_group(community.clone(), valid_for, people)
                .await
                .map(|t| t.encode())
                .map_err(|e| e.to_string());
            Update::Invite(community, ticket)
        });
    }

    /// Asks for a device-link ticket for this device's member.
    pub fn link_ticket(&self, community: &CommunityId) {
        let community = community.clone();
        self.spawn(|node| async move {
            let ticket = node
                .link_device_ticket(community.clone(), LINK_VALID_FOR)
                .await
                .map(|t| t.encode())
                .map_err(|e| e.to_string());
            Update::LinkTicket(community, ticket)
        });
    }

    /// Asks for the newest [`HISTORY_LIMIT`] changes that pass `filter`.
    pub fn history(&self, community: &CommunityId, filter: ActivityFilter) {
        let community = community.clone();
        self.spawn(|node| async move {
            let entries = node
                .history(community.clone(), filter, HISTORY_LIMIT)
                .await
                .map_err(|e| e.to_string());
            Update::History(community, entries)
        });
    }

    /// Asks for a community's channels and thread index, and its unread counts.
    pub fn conversations(&self, community: &CommunityId) {
        let id = community.clone();
        self.spawn(|node| async move {
            let index = node
                .conversations(id.clone())
                .await
                .map_err(|e| e.to_string());
            Update::Conversations(id, index)
        });
        let community = community.clone();
        self.spawn(|node| async move {
            let unread = node.unread(community.clone()).await.unwrap_or_default();
            Update::Unread(community, unread)
        });
    }

    /// Asks for one thread; `mark_read` when it is on the screen.
    pub fn thread(&self, community: &CommunityId, thread: &ThreadId, mark_read: bool) {
        let (community, thread) = (community.clone(), thread.clone());
        self.spawn(|node| async move {
            let read = node
                .thread(community.clone(), thread.clone(), mark_read)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            Update::Thread(community, thread, read)
        });
    }

    /// Applies a conversation command (`what` describes it for the status line).
    pub fn converse(&self, community: &CommunityId, outgoing: crate::here::TalkOut) {
        let community = community.clone();
        let crate::here::TalkOut {
            what,
            command,
            draft,
        } = outgoing;
        self.spawn(|node| async move {
            let result = node
                .converse(community.clone(), command)
                .await
                .map_err(|e| e.to_string());
            Update::Conversed {
                community,
                what,
                result,
                draft,
            }
        });
    }
}
