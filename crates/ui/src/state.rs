//! What the window knows about the node: the communities, their latest snapshots, peers,
//! and the state of pending work. Updated only from [`Update`]s, never by guessing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use commonroom_model::ThreadId;
use commonroom_model::conversations::ConversationIndex;
use commonroom_model::history::Activity;
use commonroom_model::{CommunityId, CommunityView, MemberId};
use commonroom_node::EngineError;
use commonroom_node::{Event, PeerInfo, ThreadRead, Unread};

use crate::bridge::{Bridge, Update};

/// How often the peer list is re-read while the window is open (last-sync times age).
const PEERS_EVERY: Duration = Duration::from_secs(5);

/// One community as the window knows it.
#[derive(Default)]
pub struct CommunityState {
    /// Its name.
    pub name: String,
    /// The latest snapshot, once read.
    pub view: Option<Arc<CommunityView>>,
    /// Why the snapshot could not be read, if it could not.
    pub view_error: Option<ViewProblem>,
    /// The member this device is.
    pub me: Option<MemberId>,
    /// Known peers (online or not).
    pub peers: Vec<PeerInfo>,
    /// A snapshot request is on its way.
    view_requested: bool,
    /// The community changed while a request was on its way: ask again when it lands.
    view_stale: bool,
    /// When the peers were last asked for.
    peers_asked: Option<Instant>,
}

impl CommunityState {
    /// Devices connected right now.
    pub fn online_peers(&self) -> usize {
        self.peers.iter().filter(|p| p.online).count()
    }
}

/// A community's conversations as the window last read them.
#[derive(Default)]
pub struct Talk {
    /// Channels and threads, once read (or why not).
    pub index: Option<Result<ConversationIndex, String>>,
    /// Unread counts on this device.
    pub unread: Unread,
    /// The thread shown, as last read.
    pub thread: Option<(ThreadId, Result<Box<ThreadRead>, String>)>,
    /// The thread on screen (re-read, and marked read, when it changes).
    pub shown: Option<ThreadId>,
    /// A read of the index is on its way; `stale`: ask again when it lands.
    requested: bool,
    stale: bool,
}

/// Why a community's snapshot could not be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewProblem {
    /// The community has not arrived from its members yet (a new member, waiting).
    NotArrived,
    /// Reading it failed, in words.
    Failed(String),
}

impl From<commonroom_node::NodeError> for ViewProblem {
    fn from(error: commonroom_node::NodeError) -> Self {
        match error {
            commonroom_node::NodeError::Engine(EngineError::NotYetSynced(_)) => Self::NotArrived,
            other => Self::Failed(other.to_string()),
        }
    }
}

/// A message for the person at the window.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// Something worked.
    Done(String),
    /// Something failed, and why.
    Failed(String),
}

/// Everything the window knows, fed by the bridge.
#[derive(Default)]
pub struct Data {
    /// Communities on this device by id.
    pub communities: BTreeMap<CommunityId, CommunityState>,
    /// The communities list has arrived at least once.
    pub listed: bool,
    /// Commands sent and not yet durable.
    pub pending_writes: usize,
    /// The last message to show.
    pub notice: Option<(Notice, Instant)>,
    /// Invite tickets made in this session, by community.
    pub tickets: BTreeMap<CommunityId, Result<String, String>>,
    /// Device-link tickets made in this session, by community.
    pub link_tickets: BTreeMap<CommunityId, Result<String, String>>,
    /// The last activity feed read, by community.
    pub history: BTreeMap<CommunityId, Result<Vec<Activity>, String>>,
    /// A start, join or sample is under way.
    pub opening: bool,
    /// The outcome of the last start, join or sample.
    pub opened: Option<Result<CommunityId, String>>,
    /// Typed text of failed changes, by community, until its screen takes it back.
    pub returned: BTreeMap<CommunityId, Vec<crate::here::Draft>>,
    /// An invite link opened from outside, for the window to show on the join screen.
    pub link: Option<String>,
    /// Conversations, by community (once the window has looked at them).
    pub talk: BTreeMap<CommunityId, Talk>,
}

impl Data {
    /// Folds in what the bridge delivered, and asks for what is now out of date.
    pub fn absorb(&mut self, updates: Vec<Update>, bridge: &Bridge) {
        for update in updates {
            self.absorb_one(update, bridge);
        }
    }

    fn absorb_one(&mut self, update: Update, bridge: &Bridge) {
        match update {
            Update::Communities(list) => {
                self.listed = true;
                for (id, name) in list {
                    let state = self.communities.entry(id).or_default();
                    state.name = name;
                }
            }
            Update::View(id, result) => {
                let state = self.communities.entry(id.clone()).or_default();
                state.view_requested = false;
                match result {
                    Ok(view) => {
                        state.name.clone_from(&view.community.name);
                        state.view = Some(view);
                        state.view_error = None;
                    }
                    Err(error) => state.view_error = Some(error),
                }
                if std::mem::take(&mut state.view_stale) {
                    self.refresh(&id, bridge);
                }
            }
            Update::Me(id, me) => self.communities.entry(id).or_default().me = me,
            Update::Peers(id, peers) => self.communities.entry(id).or_default().peers = peers,
            Update::Applied {
                community,
                what,
                result,
                draft,
            } => self.finished(community, what, result.map(drop), draft, "Not done"),
            Update::Opened(result) => {
                self.opening = false;
                if let Ok(id) = &result {
                    self.communities.entry(id.clone()).or_default();
                    self.load(id, bridge);
                    bridge.list();
                }
                self.opened = Some(result);
            }
            Update::Invite(id, ticket) => {
                self.tickets.insert(id, ticket);
            }
            Update::LinkTicket(id, ticket) => {
                self.link_tickets.insert(id, ticket);
            }
            Update::History(id, entries) => {
                self.history.insert(id, entries);
            }
            Update::Conversations(id, index) => {
                let talk = self.talk.entry(id.clone()).or_default();
                talk.requested = false;
                talk.index = Some(index);
                if std::mem::take(&mut talk.stale) {
                    self.refresh_talk(&id, bridge);
                }
            }
            Update::Unread(id, unread) => self.talk.entry(id).or_default().unread = unread,
            Update::Thread(id, thread, read) => {
                self.talk.entry(id.clone()).or_default().thread = Some((thread, read));
                // It was shown, so it is read: the counts change.
                self.refresh_talk(&id, bridge);
            }
            Update::Conversed {
                community,
                what,
                result,
                draft,
            } => self.finished(community, what, result.map(drop), draft, "Not sent"),
            Update::Node(event) => self.on_event(event, bridge),
            Update::Link(link) => self.link = Some(link),
            Update::Lagged => {
                bridge.list();
                let ids: Vec<CommunityId> = self.communities.keys().cloned().collect();
                for id in ids {
                    self.refresh(&id, bridge);
                }
            }
        }
    }

    fn on_event(&mut self, event: Event, bridge: &Bridge) {
        match event {
            Event::Changed { community, .. } => {
                if self
                    .communities
                    .get(&community)
                    .is_some_and(|c| c.view.is_some() || c.view_requested)
                {
                    self.refresh(&community, bridge);
                }
            }
            Event::CommunityAdded { community } => {
                self.communities.entry(community).or_default();
                bridge.list();
            }
            Event::SaveFailed { error, .. } => {
                self.say(Notice::Failed(format!(
                    "Changes from a peer could not be saved on this laptop ({error}); \
                     they will sync again once there is room"
                )));
            }
            Event::Talked { community, doc, .. } => {
                if !self.talk.contains_key(&community) {
                    // Nobody looked yet: read on first look.
                    return;
                }
                self.refresh_talk(&community, bridge);
                if let Some(talk) = self.talk.get(&community)
                    && let Some(shown) = &talk.shown
                    && doc.thread() == Some(shown)
                {
                    // On the screen now: read it again, and it is read.
                    bridge.thread(&community, shown, true);
                }
            }
            Event::PeerOnline { community, .. }
            | Event::PeerOffline { community, .. }
            | Event::Synced { community, .. } => {
                bridge.peers(&community);
                if let Some(state) = self.communities.get_mut(&community) {
                    state.peers_asked = Some(Instant::now());
                }
            }
        }
    }

    /// Asks for everything about a community the window is about to show.
    pub fn load(&mut self, id: &CommunityId, bridge: &Bridge) {
        bridge.me(id);
        bridge.peers(id);
        self.refresh(id, bridge);
    }

    /// Asks for the conversations of a community again, unless a read is on its way (then
    /// once more after it).
    pub fn refresh_talk(&mut self, id: &CommunityId, bridge: &Bridge) {
        let talk = self.talk.entry(id.clone()).or_default();
        if talk.requested {
            talk.stale = true;
        } else {
            talk.requested = true;
            bridge.conversations(id);
        }
    }

    /// Asks for a new snapshot, unless one is already on its way (then asks once more after).
    pub fn refresh(&mut self, id: &CommunityId, bridge: &Bridge) {
        let state = self.communities.entry(id.clone()).or_default();
        if state.view_requested {
            state.view_stale = true;
        } else {
            state.view_requested = true;
            bridge.view(id);
        }
    }

    /// Re-reads the peers of the shown community when their times have aged.
    pub fn tick(&mut self, shown: Option<&CommunityId>, bridge: &Bridge) {
        let Some(id) = shown else { return };
        if let Some(state) = self.communities.get_mut(id)
            && state
                .peers_asked
                .is_none_or(|at| at.elapsed() >= PEERS_EVERY)
        {
            state.peers_asked = Some(Instant::now());
            bridge.peers(id);
        }
    }

    /// Sends a command and counts it as pending until it is durable.
    pub fn apply(
        &mut self,
        bridge: &Bridge,
        community: &CommunityId,
        outgoing: crate::here::Outgoing,
    ) {
        self.pending_writes += 1;
        bridge.apply(community, outgoing);
    }

    /// Sends a conversation command, counted as a pending write until it is durable.
    pub fn converse(
        &mut self,
        bridge: &Bridge,
        community: &CommunityId,
        outgoing: crate::here::TalkOut,
    ) {
        self.pending_writes += 1;
        bridge.converse(community, outgoing);
    }

    /// A change the node finished: `what` names the success ("Note added"); a failure says
    /// only why (after `refused`), and what was typed goes back to its screen.
    fn finished(
        &mut self,
        community: CommunityId,
        what: String,
        result: Result<(), String>,
        draft: Option<crate::here::Draft>,
        refused: &str,
    ) {
        self.pending_writes = self.pending_writes.saturating_sub(1);
        match result {
            Ok(()) => self.say(Notice::Done(what)),
            Err(error) => {
                self.say(Notice::Failed(format!("{refused}: {error}")));
                if let Some(draft) = draft {
                    self.returned.entry(community).or_default().push(draft);
                }
            }
        }
    }

    /// Shows a message for a few seconds.
    pub fn say(&mut self, notice: Notice) {
        self.notice = Some((notice, Instant::now()));
    }
}
