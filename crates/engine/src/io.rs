//! What goes into the engine and what comes out: requests and their answers, connection
//! events, and the actions a driver carries out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use automerge::ChangeHash;
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::{Applied, Command, CommunityId, CommunityView, MemberId, Touched};
use commonroom_proto::checked::CheckedMessage;
use commonroom_proto::frame::{JoinReply, JoinRequest};
use commonroom_proto::{Frame, Ticket};

use crate::device::DeviceId;
use crate::error::EngineError;

/// A live connection, numbered by the driver (never reused while the engine runs).
pub type ConnId = u64;

/// A request, numbered by the driver; its answer comes back as [`Output::Reply`].
pub type RequestId = u64;

/// A join request from a would-be member, numbered by the driver until it is answered.
pub type JoinId = u64;

/// Something that happened, for the engine to act on.
#[derive(Debug)]
pub enum Input {
    /// A caller asks for something; answered by [`Output::Reply`] with the same id, at once
    /// or (a sync, a join) when it is done.
    Request {
        /// Its number.
        id: RequestId,
        /// What is asked.
        request: Request,
    },
    /// A sync connection passed its handshake (the gate admitted the peer, or we dialed it).
    Connected {
        /// The connection's number.
        conn: ConnId,
        /// Who and what it is for.
        link: Link,
    },
    /// A dial the engine asked for ([`Output::Dial`]) failed.
    DialFailed {
        /// The community.
        community: CommunityId,
        /// The device that could not be reached.
        peer: DeviceId,
    },
    /// A sync message from a connection, already checked against the protocol's limits.
    Message {
        /// The connection.
        conn: ConnId,
        /// The message.
        message: CheckedMessage,
    },
    /// A whole community from a connection (for a device that does not have it yet),
    /// already checked against the limits.
    Snapshot {
        /// The connection.
        conn: ConnId,
        /// The document's bytes.
        bytes: Vec<u8>,
    },
    /// A connection ended (either side, or it broke).
    Closed {
        /// The connection.
        conn: ConnId,
    },
    /// A would-be member asks to join with an invite.
    JoinAsked {
        /// The request's number, for the answer ([`Output::JoinAnswer`]).
        join: JoinId,
        /// The joiner's device (authenticated by the transport).
        peer: DeviceId,
        /// What it sent.
        request: JoinRequest,
    },
    /// A member's device answered a join this device asked for ([`Output::Join`]).
    JoinAnswered {
        /// The request that started the join.
        request: RequestId,
        /// The ticket it used.
        ticket: Ticket,
        /// The answer, and the device that gave it (one of the candidates).
        result: Result<(DeviceId, JoinReply), JoinFailure>,
    },
    /// A member told how to reach member devices ([`Frame::Addresses`]); the driver kept
    /// only usable addresses and relays.
    ///
    /// [`Frame::Addresses`]: commonroom_proto::Frame::Addresses
    PeerAddresses {
        /// The connection it came on.
        conn: ConnId,
        /// What it said.
        devices: Vec<commonroom_proto::frame::DeviceAddress>,
    },
    /// A sync message about one side document (a thread, the conversation index), already
    /// checked against the protocol's limits.
    DocMessage {
        /// The connection.
        conn: ConnId,
        /// The document's key as the peer wrote it (the engine reads it).
        doc: String,
        /// The message.
        message: CheckedMessage,
    },
    /// A whole side document from a peer, in answer to this device's first sync message
    /// about a document it lacked, already checked against the limits.
    DocSnapshot {
        /// The connection.
        conn: ConnId,
        /// The document's key as the peer wrote it (the engine reads it).
        doc: String,
        /// The saved document.
        bytes: Vec<u8>,
        /// The same bytes already loaded as a document, off the engine's thread (the
        /// transport may do this; the engine loads them itself otherwise).
        loaded: Option<Box<automerge::AutoCommit>>,
    },
    /// Which side documents a peer has, and their heads.
    DocHeads {
        /// The connection.
        conn: ConnId,
        /// The documents.
        docs: Vec<commonroom_proto::DocHeads>,
    },
    /// How peers can reach this device now (its direct addresses and home relay).
    Addresses {
        /// Direct addresses.
        direct: Vec<SocketAddr>,
        /// Home relay, if any.
        relay: Option<String>,
    },
    /// Time passed: due retries, deadlines and housekeeping.
    Tick,
    /// The node is stopping: write what is pending.
    Shutdown,
}

/// A sync connection: who is on the other end, for which community.
#[derive(Clone, Debug)]
pub struct Link {
    /// The community.
    pub community: CommunityId,
    /// The peer's device.
    pub peer: DeviceId,
    /// We dialed (and so open the exchange).
    pub initiator: bool,
    /// Addresses the peer is reachable at (from its hello, or the connection's own path).
    pub addrs: Vec<SocketAddr>,
    /// The peer's home relay, as understood by the driver.
    pub relay: Option<String>,
    /// The peer said (in its hello) that it takes the member address book; only the side
    /// that accepted can know this at the start.
    pub shares_addresses: bool,
    /// The peer said (in its hello) that it syncs side documents (conversations); only the
    /// side that accepted can know this at the start, and it sends its heads first.
    pub shares_docs: bool,
    /// The peer said (in its hello) that it takes whole side documents it lacks
    /// (`DocSnapshot`); only the side that accepted can know this, so only it sends them.
    pub doc_snapshots: bool,
}

/// Why a join this device asked for did not get an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinFailure {
    /// The inviter's node refused, with its reason.
    Refused(String),
    /// The inviter's node had no room for another newcomer.
    Busy,
    /// The inviter could not be reached, and why.
    Unreachable(String),
}

/// What a caller may ask of the engine.
#[derive(Debug)]
pub enum Request {
    /// Found a community with this device's member as founder.
    Create {
        /// The community's name.
        name: String,
        /// The founder's name.
        me: String,
    },
    /// The communities on this device: ids and names.
    List,
    /// Apply a command as this device's member; answered once it is durable.
    Apply {
        /// The community.
        community: CommunityId,
        /// The command.
        command: Command,
    },
    /// The whole community, kept current from each change.
    View {
        /// The community.
        community: CommunityId,
    },
    /// The member this device acts as.
    Me {
        /// The community.
        community: CommunityId,
    },
    /// The activity feed.
    History {
        /// The community.
        community: CommunityId,
        /// Which activities.
        filter: ActivityFilter,
        /// At most this many.
        limit: usize,
    },
    /// The heads just before a change (for restoring to it).
    PointBefore {
        /// The community.
        community: CommunityId,
        /// The change, by its hash or a prefix of it.
        change: String,
    },
    /// Record an invite and make its ticket.
    Invite {
        /// The community.
        community: CommunityId,
        /// How long it stays valid.
        valid_for: Duration,
        /// A device-link invite for this device's own member.
        for_me: bool,
        /// How many people may join with it (1 for a personal invite).
        uses: u32,
        /// The invite's secret: 32 random bytes from the driver's secure source.
        secret: [u8; 32],
    },
    /// Join a community with a ticket; answered once the community has arrived.
    Join {
        /// The ticket.
        ticket: Ticket,
        /// The joiner's name.
        name: String,
        /// Their focus areas.
        focus: Vec<String>,
    },
    /// Connect to every member device now and answer when in sync with all reached.
    SyncNow {
        /// The community.
        community: CommunityId,
        /// Give up waiting after this long.
        timeout: Duration,
    },
    /// Known peer devices of a community.
    Peers {
        /// The community.
        community: CommunityId,
    },
    /// Apply a conversation command as this device's member; answered once every document
    /// it writes is durable.
    Converse {
        /// The community.
        community: CommunityId,
        /// The command.
        command: commonroom_model::conversations::Converse,
    },
    /// The channels and the thread index.
    Conversations {
        /// The community.
        community: CommunityId,
    },
    /// One thread's messages.
    Thread {
        /// The community.
        community: CommunityId,
        /// The thread.
        thread: commonroom_model::ThreadId,
        /// Record it as read on this device (it is being shown).
        mark_read: bool,
    },
    /// Unread messages per thread and channel, on this device.
    Unread {
        /// The community.
        community: CommunityId,
    },
    /// What in a side document that just changed is news for this device's member
    /// (mentions, replies to them, answers to their questions) and not yet told; marks it
    /// told. Nothing from a channel muted on this device.
    Notices {
        /// The community.
        community: CommunityId,
        /// The document that changed.
        doc: commonroom_model::conversations::DocKey,
    },
    /// Mutes or unmutes a channel's notifications on this device.
    Mute {
        /// The community.
        community: CommunityId,
        /// The channel.
        channel: commonroom_model::ChannelId,
        /// Muted (true) or not.
        muted: bool,
    },
}

/// The answer to a [`Request`], in the variant of its kind.
#[derive(Debug)]
pub enum Response {
    /// A community created or joined.
    Community(CommunityId),
    /// Ids and names.
    List(Vec<(CommunityId, String)>),
    /// A command applied.
    Applied(Applied),
    /// The whole community.
    View(Arc<CommunityView>),
    /// This device's member.
    Me(Option<MemberId>),
    /// Activities.
    History(Vec<Activity>),
    /// Heads.
    Heads(Vec<ChangeHash>),
    /// A ticket (the driver adds this device's addresses if the engine knew none).
    Ticket(Ticket),
    /// What a sync achieved.
    Synced(SyncReport),
    /// Known peers.
    Peers(Vec<PeerInfo>),
    /// A conversation command applied.
    Conversed(commonroom_model::conversations::Conversed),
    /// Channels and threads.
    Conversations(commonroom_model::conversations::ConversationIndex),
    /// One thread.
    Thread(Box<crate::engine::ThreadRead>),
    /// Unread counts.
    Unread(crate::engine::Unread),
    /// Things to tell this device's member about.
    Notices(Vec<crate::engine::Notice>),
    /// The channels muted on this device.
    Muted(std::collections::BTreeSet<commonroom_model::ChannelId>),
}

/// What a `sync` achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    /// Devices this device ended in sync with.
    pub synced: Vec<DeviceId>,
    /// Member devices (other than ours) that could have been synced.
    pub candidates: usize,
}

/// A peer device as `peers` reports it.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    /// The device.
    pub device: DeviceId,
    /// The member it belongs to, and their name, if known.
    pub member: Option<(MemberId, String)>,
    /// Connected right now.
    pub online: bool,
    /// Last full sync (ms since the epoch).
    pub last_sync: Option<i64>,
    /// Addresses it was last seen at.
    pub addrs: Vec<SocketAddr>,
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

/// A frame for a peer: built for it, or a snapshot shared by every connection sending it.
#[derive(Clone, Debug)]
pub enum Outgoing {
    /// A frame.
    Frame(Frame),
    /// A whole community (one `Snapshot` frame), shared.
    Snapshot(Arc<Vec<u8>>),
}

/// How the engine lets go of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// Deliver what is queued (a removal among it), then close.
    Finish,
    /// The peer broke the protocol: close at once, saying so.
    Breach,
    /// Refused (a community this device does not hold).
    Refused,
}

/// Something for the driver to carry out, or to tell observers.
#[derive(Debug)]
pub enum Output {
    /// The answer to a request.
    Reply {
        /// The request.
        id: RequestId,
        /// Its answer.
        result: Result<Response, EngineError>,
    },
    /// Queue a frame on a connection. If the peer's queue is full, the driver closes the
    /// connection and reports [`Input::Closed`].
    Send {
        /// The connection.
        conn: ConnId,
        /// What to send.
        frame: Outgoing,
    },
    /// Let go of a connection (no [`Input::Closed`] is needed for it).
    Close {
        /// The connection.
        conn: ConnId,
        /// How.
        how: Close,
    },
    /// Dial a member's device for a community; answered by [`Input::Connected`] (initiator)
    /// or [`Input::DialFailed`].
    Dial {
        /// The community.
        community: CommunityId,
        /// The device.
        peer: DeviceId,
    },
    /// Ask to be let in; answered by [`Input::JoinAnswered`]. The driver asks the
    /// candidates in turn (the first it reaches first) until one admits this device, so
    /// only one can; it fills in this device's addresses and home relay.
    Join {
        /// The request that started it.
        request: RequestId,
        /// The member devices that may let this device in: the inviter, then the others
        /// the ticket names.
        candidates: Vec<DeviceId>,
        /// The ticket.
        ticket: Ticket,
        /// The signed request.
        join: JoinRequest,
    },
    /// Answer a would-be member: admitted as this member, or refused with a reason.
    JoinAnswer {
        /// The request.
        join: JoinId,
        /// The outcome.
        result: Result<MemberId, String>,
    },
    /// Remember how to reach a device (addresses, home relay) in the transport.
    Learn {
        /// The device.
        peer: DeviceId,
        /// Its addresses.
        addrs: Vec<SocketAddr>,
        /// Its home relay.
        relay: Option<String>,
    },
    /// The devices admitted to a community's sync changed: the acceptor's gate.
    Gate {
        /// The community.
        community: CommunityId,
        /// Every device the gate lets in.
        devices: Vec<DeviceId>,
    },
    /// Something observers may want to know.
    Event(Event),
}

/// Something that happened, for observers (the window, the command line).
#[derive(Clone, Debug)]
pub enum Event {
    /// A peer connected for a community.
    PeerOnline {
        /// The community.
        community: CommunityId,
        /// The peer's device.
        peer: DeviceId,
    },
    /// A peer's connection closed.
    PeerOffline {
        /// The community.
        community: CommunityId,
        /// The peer's device.
        peer: DeviceId,
    },
    /// This device and a peer have the same state of a community.
    Synced {
        /// The community.
        community: CommunityId,
        /// The peer's device.
        peer: DeviceId,
    },
    /// A community changed (locally or from a peer) and the change is durable.
    Changed {
        /// The community.
        community: CommunityId,
        /// What the change touched.
        touched: Touched,
        /// Whether it came from a peer.
        remote: bool,
    },
    /// A community was added to this device (created or joined).
    CommunityAdded {
        /// The community.
        community: CommunityId,
    },
    /// A side document (a thread, the conversation index) changed, durably.
    Talked {
        /// The community.
        community: CommunityId,
        /// Which document.
        doc: commonroom_model::conversations::DocKey,
        /// Whether it came from a peer.
        remote: bool,
    },
    /// Changes from a peer could not be saved (a full disk), so they were not kept; the
    /// peer sends them again once the connection is back.
    SaveFailed {
        /// The community.
        community: CommunityId,
        /// Why, in words.
        error: String,
    },
}
