//! The command-line interface (a stable contract: scripts and tests drive Commonroom through it).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use commonroom_model::EntityKind;

/// Commonroom: a local-first, peer-to-peer home for a community of practice.
///
/// With no command, the desktop app opens.
#[derive(Debug, Parser)]
#[command(name = "commonroom", version, about, long_about = None)]
pub struct Cli {
    /// The data directory (default: the platform's data directory).
    #[arg(long, global = true, env = "COMMONROOM_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Network settings for the desktop app (when no command is given).
    #[command(flatten)]
    pub net: NetArgs,

    /// What to do (with no command, the desktop app opens).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a community on this device; prints its id.
    Create {
        /// The community's name.
        name: String,
        /// Your name, as the founder and first facilitator.
        #[arg(long)]
        me: String,
        /// What the community is about.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Create the sample community (a family-support CoP with members, events, notes,
    /// themes and actions) to explore; prints its id.
    Sample {
        /// Your name in it.
        #[arg(long, default_value = "You")]
        me: String,
    },
    /// One line per community: id and name.
    List,
    /// Show a community (as Markdown, or as JSON with --json).
    Show {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Print the whole community as JSON in the stable schema.
        #[arg(long)]
        json: bool,
    },
    /// Edit the community's name, domain statement or Terms of Reference.
    Community {
        /// What to change.
        #[command(subcommand)]
        action: CommunityAction,
    },
    /// Members.
    Member {
        /// What to do.
        #[command(subcommand)]
        action: MemberAction,
    },
    /// Events.
    Event {
        /// What to do.
        #[command(subcommand)]
        action: EventAction,
    },
    /// Post-it notes.
    Note {
        /// What to do.
        #[command(subcommand)]
        action: EntityAction<NoteFields>,
    },
    /// Resources.
    Resource {
        /// What to do.
        #[command(subcommand)]
        action: EntityAction<ResourceFields>,
    },
    /// Themes.
    Theme {
        /// What to do.
        #[command(subcommand)]
        action: EntityAction<ThemeFields>,
    },
    /// Action points.
    Action {
        /// What to do.
        #[command(subcommand)]
        action: EntityAction<ActionFields>,
    },
    /// Surveys: add one, answer it, see the results.
    Survey {
        /// What to do.
        #[command(subcommand)]
        action: SurveyAction,
    },
    /// Value-creation stories.
    Story {
        /// What to do.
        #[command(subcommand)]
        action: StoryAction,
    },
    /// Conversation channels: list them, or add one (facilitators and core group).
    Channel {
        /// What to do.
        #[command(subcommand)]
        action: ChannelAction,
    },
    /// Conversations between meetings: questions and discussions, replies, reactions.
    Thread {
        /// What to do.
        #[command(subcommand)]
        action: ThreadAction,
    },
    /// Unread messages on this device, per channel and thread.
    Unread {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a community.
    Export {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// For CSV: which table (members, events, notes, resources, themes, actions).
        #[arg(long, default_value = "members")]
        table: String,
        /// For Markdown or text: only this event's summary, for those who could not come.
        #[arg(long, value_name = "EVENT")]
        event: Option<String>,
        /// For Markdown: the impact report for funders (reach, stories by cycle of value).
        #[arg(long, conflicts_with = "event")]
        impact: bool,
        /// For Markdown or text: the conversations since the last meeting (new threads,
        /// busy ones, questions waiting for an answer), for those who read nothing between.
        #[arg(long, conflicts_with_all = ["event", "impact"])]
        digest: bool,
        /// With --digest: since this date (YYYY-MM-DD) instead of the last meeting.
        #[arg(long, value_name = "DATE", requires = "digest")]
        since: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print an invite ticket (one line of text) for someone to join a community.
    Invite {
        /// Community id or a unique prefix of its name.
        community: String,
        /// How many days the invite stays valid.
        #[arg(long, default_value_t = 14)]
        days: u64,
        /// How many people may join with this one invite (a group, say a training cohort).
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// Print the invite as a message to send, saying in plain words what to do with it,
        /// with a `commonroom://join/...` link and the ticket.
        #[arg(long)]
        message: bool,
    },
    /// Join a community through the inviter's device; exits 0 once the community is stored here.
    Join {
        /// The invite: a ticket, a `commonroom://join/...` link, or the whole invite message.
        ticket: String,
        /// Your name, as the community will see it (with a device-link ticket: a name for
        /// this device, such as "Sam's phone").
        #[arg(long)]
        me: String,
        /// Your focus areas; repeat for several.
        #[arg(long = "focus")]
        focus: Vec<String>,
        #[command(flatten)]
        /// Network settings.
        net: NetArgs,
    },
    /// Open the app on the join screen with an invite link filled in; if the app already
    /// runs on this data directory, its window shows the link instead. (The desktop runs
    /// `commonroom LINK` when a `commonroom://` link is opened, which does the same.)
    #[command(hide = true)]
    Open {
        /// The `commonroom://join/...` link.
        link: String,
    },
    /// Run as a peer until interrupted, syncing every community live; prints `ready ENDPOINT_ID`.
    Serve {
        #[command(flatten)]
        /// Network settings.
        net: NetArgs,
    },
    /// Connect to known peers, sync, and exit; reports the peers synced.
    Sync {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        #[command(flatten)]
        /// Network settings.
        net: NetArgs,
    },
    /// Known peers of a community, online or not, with the last sync time.
    Peers {
        /// Community id or a unique prefix of its name.
        community: String,
    },
    /// Who changed what and when, newest first, from the community's own history.
    History {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Only this section (members, events, notes, resources, themes, actions, surveys, stories).
        #[arg(long, value_parser = parse_section)]
        section: Option<EntityKind>,
        /// Only this entity (needs --section).
        #[arg(long, requires = "section")]
        id: Option<String>,
        /// Only changes by this member (name or id).
        #[arg(long)]
        by: Option<String>,
        /// How many changes to show.
        #[arg(long, default_value_t = 30)]
        limit: usize,
    },
    /// Make one entity, or a whole section, as it was just before a change (written as a
    /// new change; history is never rewritten). Entities added since are kept.
    Restore {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The change (an id from `history`, at least 6 hex digits).
        #[arg(long, value_name = "CHANGE")]
        before: String,
        /// The section (members, events, notes, resources, themes, actions, surveys, stories).
        #[arg(long, value_parser = parse_section)]
        section: EntityKind,
        /// Only this entity; without it the whole section is restored.
        #[arg(long)]
        id: Option<String>,
    },
    /// Your devices: link another laptop, list them, unlink a lost one.
    Device {
        /// What to do.
        #[command(subcommand)]
        action: DeviceAction,
    },
    /// Invites: list the open ones, or withdraw one.
    Invites {
        /// What to do.
        #[command(subcommand)]
        action: InvitesAction,
    },
}

/// Reads a section name such as `notes` or `note`.
fn parse_section(text: &str) -> Result<EntityKind, String> {
    let wanted = text.trim().to_lowercase();
    EntityKind::RESTORABLE
        .into_iter()
        .find(|k| k.collection() == wanted || k.name() == wanted)
        .ok_or_else(|| {
            let names: Vec<&str> = EntityKind::RESTORABLE
                .iter()
                .map(|k| k.collection())
                .collect();
            format!("not a section; one of: {}", names.join(", "))
        })
}

/// Device commands.
#[derive(Debug, Subcommand)]
pub enum DeviceAction {
    /// Print a one-time ticket that links another device of yours: run
    /// `commonroom join TICKET --me "DEVICE NAME"` on it.
    Link {
        /// Community id or a unique prefix of its name.
        community: String,
        /// How many days the ticket stays valid.
        #[arg(long, default_value_t = 1)]
        days: u64,
    },
    /// The devices of a member (yours unless --member is given).
    List {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Whose devices (name or id).
        #[arg(long)]
        member: Option<String>,
    },
    /// Unlink a lost or retired device: it can no longer sync with anyone who has seen this.
    Unlink {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The device's endpoint id (or a unique prefix of it).
        device: String,
        /// Whose device (name or id; yours unless given).
        #[arg(long)]
        member: Option<String>,
    },
}

/// Invite management commands.
#[derive(Debug, Subcommand)]
pub enum InvitesAction {
    /// Invites and device-link tickets that can still be used.
    List {
        /// Community id or a unique prefix of its name.
        community: String,
    },
    /// Withdraw an unused invite so nobody can join with it.
    Revoke {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The invite id (or a unique prefix of it), from `invites list`.
        id: String,
    },
}

/// Network settings for commands that run a node.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Address to listen on, e.g. 0.0.0.0:4433 (default: all interfaces, the port used last time).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<std::net::SocketAddr>,
    /// Use no relay servers: local network and direct connections only.
    #[arg(long, conflicts_with = "relay")]
    pub no_relay: bool,
    /// Use this (self-hosted) iroh relay server.
    #[arg(long, value_name = "URL")]
    pub relay: Option<String>,
    /// Do not look for peers on the local network (mDNS).
    #[arg(long)]
    pub no_mdns: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// A readable overview.
    Markdown,
    /// Plain text for WhatsApp or email, times in this computer's time zone (with --event:
    /// one event's summary for those who could not come).
    Text,
    /// The stable JSON schema.
    Json,
    /// An iCalendar file of the events.
    Ics,
    /// One table as CSV.
    Csv,
}

/// Editing the community record.
#[derive(Debug, Subcommand)]
pub enum CommunityAction {
    /// Change the name, domain statement or Terms of Reference.
    Edit {
        /// Community id or a unique prefix of its name.
        community: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New domain statement.
        #[arg(long)]
        domain: Option<String>,
        /// New Terms of Reference.
        #[arg(long)]
        terms: Option<String>,
        /// Facilitator rota, in order (member names or ids).
        #[arg(long = "rota")]
        rota: Vec<String>,
    },
}

/// Add, edit, remove or restore an entity.
#[derive(Debug, Subcommand)]
pub enum EntityAction<F: Args> {
    /// Add one; prints its id once the change is durable on disk.
    Add {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The fields.
        #[command(flatten)]
        fields: F,
    },
    /// Change one (only the given fields change; an empty value clears an optional field).
    Edit {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The entity's id (or a unique prefix of it).
        id: String,
        /// The fields.
        #[command(flatten)]
        fields: F,
    },
    /// Remove one (for a member: removal from the community).
    Remove {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The entity's id (or a unique prefix of it).
        id: String,
    },
    /// Bring back a removed entity (not members).
    Restore {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The entity's id (or a unique prefix of it).
        id: String,
    },
}

/// Survey commands.
#[derive(Debug, Subcommand)]
pub enum SurveyAction {
    /// Add a survey; prints its id.
    Add {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
        /// A question as KIND:TEXT[:OPTION|OPTION...], KIND one of scale (1 to 5), single,
        /// multiple, text; repeat in order.
        #[arg(long = "question", required = true)]
        questions: Vec<String>,
    },
    /// Answer a survey (answering again replaces your answer).
    Answer {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The survey's id (or a unique prefix).
        survey: String,
        /// An answer as NUMBER=VALUE: 1=4 for a scale, 2=OPTION or 2=A|B for choices, 3=TEXT.
        #[arg(long = "answer", required = true)]
        answers: Vec<String>,
        /// Who answers (default: you).
        #[arg(long)]
        member: Option<String>,
    },
    /// Print a survey's results.
    Results {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The survey's id (or a unique prefix).
        survey: String,
    },
}

/// Channel commands.
#[derive(Debug, Subcommand)]
pub enum ChannelAction {
    /// Add a channel; prints its id.
    Add {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The channel's name.
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        about: String,
        /// Only facilitators and the core group start threads in it.
        #[arg(long)]
        stewards_only: bool,
    },
    /// List the channels.
    List {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Thread commands. A thread or message is named by its id or a unique prefix of it (a
/// thread also by its exact title).
#[derive(Debug, Subcommand)]
pub enum ThreadAction {
    /// Start a thread; prints its id (and, for a question, who might help, on stderr).
    Add {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The title.
        #[arg(long)]
        title: String,
        /// The opening message (`@Name` mentions a member).
        #[arg(long)]
        text: String,
        /// The channel (default: General).
        #[arg(long)]
        channel: Option<String>,
        /// A question (it can be marked answered) rather than a discussion.
        #[arg(long)]
        question: bool,
        /// A tag (helps find helpers); repeat for more.
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// List threads, pinned first, then the most recently active.
    List {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Only this channel's threads.
        #[arg(long)]
        channel: Option<String>,
        /// Only questions not yet answered.
        #[arg(long)]
        open_questions: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a thread (and mark it read on this device).
    Show {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The thread.
        thread: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reply in a thread; prints the message id.
    Reply {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The thread.
        thread: String,
        /// What to say (`@Name` mentions a member).
        #[arg(long)]
        text: String,
        /// The message this answers (quoted above the reply).
        #[arg(long, value_name = "MESSAGE")]
        reply_to: Option<String>,
    },
    /// React to a message (👍 ❤️ 🎉 🙏 💡 👀, or thumbs-up, heart, celebrate, thanks, idea, looking).
    React {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The message.
        message: String,
        /// The reaction.
        #[arg(long)]
        emoji: String,
        /// Take the reaction back.
        #[arg(long)]
        off: bool,
    },
    /// Mark a question answered by one of its messages.
    Answer {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The thread.
        thread: String,
        /// The answering message.
        #[arg(long)]
        message: String,
    },
    /// Edit your own message.
    Edit {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The message.
        message: String,
        /// The new text.
        #[arg(long)]
        text: String,
    },
    /// Delete your own message (a moderator may delete anyone's).
    Delete {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The message.
        message: String,
    },
    /// Pin a thread to the top of its channel (facilitators and core group).
    Pin {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The thread.
        thread: String,
        /// Unpin it.
        #[arg(long)]
        off: bool,
    },
    /// Bring a thread to a meeting: adds it to the agenda of the next meeting (or EVENT).
    Bring {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The thread.
        thread: String,
        /// The meeting (default: the next one).
        #[arg(long)]
        event: Option<String>,
    },
    /// Introduce two members to each other in a thread (facilitators and core group).
    Introduce {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The thread.
        thread: String,
        /// One member (name or id).
        #[arg(long)]
        first: String,
        /// The other member (name or id).
        #[arg(long)]
        second: String,
        /// Why they should talk.
        #[arg(long)]
        reason: String,
    },
}

/// Story commands.
#[derive(Debug, Subcommand)]
pub enum StoryAction {
    /// Record a value-creation story; prints its id.
    Add {
        /// Community id or a unique prefix of its name.
        community: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// The story.
        #[arg(long)]
        text: String,
        /// A cycle it reaches (immediate, potential, applied, realised, reframing); repeat.
        #[arg(long = "cycle")]
        cycles: Vec<String>,
        /// The event it started from.
        #[arg(long)]
        event: Option<String>,
    },
}

/// Members: the common actions plus importing a spreadsheet.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap derive"
)]
pub enum MemberAction {
    /// Add, edit, remove or restore a member.
    #[command(flatten)]
    Common(EntityAction<MemberFields>),
    /// Import members from a CSV file with a header row (name, organisation, roles, focus,
    /// contact; lists separated by ";"): all rows, or none if any row is bad.
    Import {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The CSV file.
        file: PathBuf,
    },
}

/// Events: the common actions plus RSVP, check-in and pairing.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap derive"
)]
pub enum EventAction {
    /// Add, edit, remove or restore an event.
    #[command(flatten)]
    Common(EntityAction<EventFields>),
    /// Answer an event's invitation.
    Rsvp {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The event's id.
        event: String,
        /// yes, maybe, no, or none to withdraw.
        #[arg(long)]
        answer: String,
        /// Who answers (default: you).
        #[arg(long)]
        member: Option<String>,
    },
    /// Propose rapid-pairing rounds for the people checked in (or who said yes), sharing
    /// focus areas and avoiding pairs who already met; prints one line per group.
    Pair {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The event's id.
        event: String,
        /// How many rounds to propose.
        #[arg(long, default_value_t = 1)]
        rounds: u32,
        /// Record the proposed rounds on the event (after any rounds recorded already).
        #[arg(long)]
        record: bool,
    },
    /// Check a member in at an event.
    CheckIn {
        /// Community id or a unique prefix of its name.
        community: String,
        /// The event's id.
        event: String,
        /// Who is present (default: you).
        #[arg(long)]
        member: Option<String>,
        /// Undo a check-in.
        #[arg(long)]
        undo: bool,
    },
}

/// Member fields.
#[derive(Debug, Args)]
pub struct MemberFields {
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Organisation.
    #[arg(long)]
    pub org: Option<String>,
    /// Role (facilitator, core-group, moderator, note-taker, member); repeat for several.
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// Focus area or interest; repeat for several.
    #[arg(long = "focus")]
    pub focus: Vec<String>,
    /// Contact details.
    #[arg(long)]
    pub contact: Option<String>,
}

/// Event fields.
#[derive(Debug, Args)]
pub struct EventFields {
    /// Title.
    #[arg(long)]
    pub title: Option<String>,
    /// Start, RFC 3339 (2026-12-03T18:00:00Z).
    #[arg(long)]
    pub start: Option<String>,
    /// End, RFC 3339.
    #[arg(long)]
    pub end: Option<String>,
    /// Format: meeting, peer-sharing, hot-seat, rapid-pairing, meetup, online-call.
    #[arg(long)]
    pub format: Option<String>,
    /// Venue.
    #[arg(long)]
    pub venue: Option<String>,
    /// Call link.
    #[arg(long)]
    pub link: Option<String>,
    /// Agenda.
    #[arg(long)]
    pub agenda: Option<String>,
    /// The Hot Seat topic, or the session's question.
    #[arg(long)]
    pub topic: Option<String>,
    /// Summary (after the event).
    #[arg(long)]
    pub summary: Option<String>,
    /// Facilitator (member name or id).
    #[arg(long)]
    pub facilitator: Option<String>,
    /// Note-taker (member name or id).
    #[arg(long)]
    pub note_taker: Option<String>,
}

/// Note fields.
#[derive(Debug, Args)]
pub struct NoteFields {
    /// What the note says.
    #[arg(long)]
    pub text: Option<String>,
    /// The event it was written at.
    #[arg(long)]
    pub event: Option<String>,
    /// The theme it belongs to.
    #[arg(long)]
    pub theme: Option<String>,
    /// Write it anonymously (no link to you in the document).
    #[arg(long)]
    pub anonymous: bool,
}

/// Resource fields.
#[derive(Debug, Args)]
pub struct ResourceFields {
    /// Title.
    #[arg(long)]
    pub title: Option<String>,
    /// Link.
    #[arg(long)]
    pub url: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Tag; repeat for several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Related theme (id or name); repeat for several.
    #[arg(long = "theme")]
    pub themes: Vec<String>,
}

/// Theme fields.
#[derive(Debug, Args)]
pub struct ThemeFields {
    /// Name.
    #[arg(long)]
    pub name: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
}

/// Action fields.
#[derive(Debug, Args)]
pub struct ActionFields {
    /// What needs doing.
    #[arg(long)]
    pub text: Option<String>,
    /// Who does it (member name or id).
    #[arg(long)]
    pub owner: Option<String>,
    /// Due date, YYYY-MM-DD.
    #[arg(long)]
    pub due: Option<String>,
    /// The event it came from.
    #[arg(long)]
    pub event: Option<String>,
    /// The related theme.
    #[arg(long)]
    pub theme: Option<String>,
    /// Mark it done.
    #[arg(long, conflicts_with = "not_done")]
    pub done: bool,
    /// Mark it not done.
    #[arg(long)]
    pub not_done: bool,
}

/// Reads the command line. A `commonroom:` link given with no command (as the desktop runs
/// `commonroom %u` for an opened link) is returned beside the parsed rest, as if it had
/// been `commonroom open LINK`; a link given to a command (such as `join`) is left to it.
pub fn parse(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    let link_at = args
        .iter()
        .skip(1)
        .position(|arg| arg.to_str().is_some_and(commonroom_proto::link::is_link));
    if let Some(index) = link_at.map(|i| i + 1) {
        let mut rest = args.clone();
        let link = rest.remove(index);
        if let Ok(mut cli) = Cli::try_parse_from(&rest)
            && cli.command.is_none()
        {
            cli.command = Some(Command::Open {
                link: link.to_string_lossy().into_owned(),
            });
            return Ok(cli);
        }
    }
    Cli::try_parse_from(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Cli, clap::Error> {
        parse(args.iter().map(Into::into).collect())
    }

    #[test]
    fn a_bare_link_opens_the_app_and_a_link_given_to_join_stays_there() {
        let link = "commonroom://join/commonroom1abc";
        let cli = parsed(&["commonroom", link]).unwrap();
        assert!(matches!(cli.command, Some(Command::Open { link: l }) if l == link));
        let cli = parsed(&["commonroom", "--data-dir", "/tmp/x", "--no-mdns", link]).unwrap();
        assert!(matches!(cli.command, Some(Command::Open { .. })));
        assert_eq!(cli.data_dir, Some(PathBuf::from("/tmp/x")));
        assert!(cli.net.no_mdns);
        let cli = parsed(&["commonroom", "join", link, "--me", "Sam"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Join { ticket, .. }) if ticket == link));
        assert!(parsed(&["commonroom", "list", link]).is_err());
        assert!(parsed(&["commonroom"]).unwrap().command.is_none());
        assert!(parsed(&["commonroom", "http://example.org"]).is_err());
    }
}
