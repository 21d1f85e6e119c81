//! What the window knows about the node: the communities, their latest snapshots, peers,
//! and the state of pending work. Updated only from [`Update`]s, never by guessing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use commonroom_model::history::Activity;
use commonroom_model::{CommunityId, CommunityView, MemberId};
use commonroom_node::EngineError;
use commonroom_node::{Event, PeerInfo};

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
            } => {
                self.pending_writes = self.pending_writes.saturating_sub(1);
                match result {
                    Ok(_) => self.say(Notice::Done(what)),
                    Err(error) => {
                        // `what` names the success ("Note added"); a failure says only why.
                        self.say(Notice::Failed(format!("Not done: {error}")));
                        if let Some(draft) = draft {
                            self.returned.entry(community).or_default().push(draft);
                        }
                    }
                }
            }
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
            // The window has no conversations screen yet; the command line reads them.
            Event::Talked { .. } => {}
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

    /// Shows a message for a few seconds.
    pub fn say(&mut self, notice: Notice) {
        self.notice = Some((notice, Instant::now()));
    }
}
