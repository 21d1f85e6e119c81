//! The entities of a community as stored in its Automerge document.
//!
//! Every entity lives in a map keyed by its id (never in a list by position), records who
//! created it and when, and is deleted by a tombstone flag so history can bring it back.
//! Long, collaboratively edited texts are Automerge text ([`autosurgeon::Text`]).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::{Serialize, Serializer};

use crate::ids::{
    ActionId, CommunityId, EventId, MemberId, NoteId, ResourceId, StoryId, SurveyId, ThemeId,
};
use crate::labels::{Cycle, EventFormat, QuestionKind, Role, RsvpAnswer};
use crate::set::Set;
use crate::time::{Day, Timestamp};

/// Serialises Automerge text as a plain JSON string.
pub(crate) fn text_as_str<S: Serializer>(text: &Text, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(text.as_str())
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The community itself: what it is about and how it works.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Community {
    /// The community's id (also the id of its document).
    pub id: CommunityId,
    /// Its name, e.g. "Family Support CoP".
    pub name: String,
    /// The domain statement: what the community is about.
    #[serde(serialize_with = "text_as_str")]
    pub domain: Text,
    /// The Terms of Reference.
    #[serde(serialize_with = "text_as_str")]
    pub terms: Text,
    /// Volunteers who take turns facilitating, in rota order.
    pub rota: Vec<MemberId>,
    /// Who started the community.
    pub created_by: Option<MemberId>,
    /// When it was started.
    pub created_at: Timestamp,
}

/// A person in the community.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Member {
    /// The member's id.
    pub id: MemberId,
    /// Display name.
    pub name: String,
    /// Organisation, if they give one.
    pub organisation: Option<String>,
    /// Roles in the community.
    pub roles: Set<Role>,
    /// Focus areas and interests (free text tags).
    pub focus: Set<String>,
    /// Self-declared lived experience; only ever set by the member, and only if they choose to share it.
    #[serde(skip_serializing_if = "is_false")]
    pub lived_experience: bool,
    /// How to reach them (email, phone), if they share it.
    pub contact: Option<String>,
    /// When they joined.
    pub joined_at: Timestamp,
    /// Their devices, keyed by the device's endpoint id.
    pub devices: BTreeMap<String, Device>,
    /// Who added them (None for the founder).
    pub created_by: Option<MemberId>,
}

/// One device (laptop) of a member, identified by its iroh endpoint id.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Device {
    /// A label such as "Sam's laptop".
    pub label: String,
    /// When the device was linked.
    pub added_at: Timestamp,
    /// Set when the device was unlinked (lost or retired).
    pub unlinked_at: Option<Timestamp>,
}

/// The explicit record that a member was removed from the community.
///
/// It lives apart from the member entry, so a concurrent edit or re-add of the member
/// cannot undo it.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Removal {
    /// Who removed them.
    pub by: Option<MemberId>,
    /// When.
    pub at: Timestamp,
    /// Why, if a reason was given.
    pub reason: Option<String>,
}

/// A shared resource: a link, a document, a guide.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Resource {
    /// The resource's id.
    pub id: ResourceId,
    /// Title.
    pub title: String,
    /// Where it lives, if it is a link.
    pub url: Option<String>,
    /// What it is and why it is useful.
    pub description: String,
    /// Free-text tags.
    pub tags: Set<String>,
    /// Themes it relates to.
    pub themes: Set<ThemeId>,
    /// Who added it.
    pub added_by: Option<MemberId>,
    /// When it was added.
    pub created_at: Timestamp,
    /// Tombstone: deleted resources stay in the document so history can restore them.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// A meeting, call, meetup or other gathering.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Event {
    /// The event's id.
    pub id: EventId,
    /// Title.
    pub title: String,
    /// Format (meeting, Hot Seat, rapid pairing...).
    pub format: EventFormat,
    /// Start time.
    pub start: Timestamp,
    /// End time, if known.
    pub end: Option<Timestamp>,
    /// Where it happens.
    pub venue: Option<String>,
    /// Link to the call, for online events.
    pub call_link: Option<String>,
    /// The agenda (collaboratively edited).
    #[serde(serialize_with = "text_as_str")]
    pub agenda: Text,
    /// Who facilitates.
    pub facilitator: Option<MemberId>,
    /// Who takes notes.
    pub note_taker: Option<MemberId>,
    /// Answers to the invitation, keyed by member id.
    pub rsvps: BTreeMap<MemberId, RsvpAnswer>,
    /// Members checked in at the event.
    pub attendance: Set<MemberId>,
    /// The summary written afterwards (collaboratively edited).
    #[serde(serialize_with = "text_as_str")]
    pub summary: Text,
    /// The Hot Seat topic, or the question a session is about.
    #[autosurgeon(missing = "Default::default")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Rapid-pairing rounds, keyed by round number written with three digits ("001").
    #[autosurgeon(missing = "Default::default")]
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rounds: BTreeMap<String, Round>,
    /// Who created it.
    pub created_by: Option<MemberId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// One rapid-pairing round as the facilitator recorded it.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Round {
    /// The pairs (and at most one trio) who talked.
    pub groups: Vec<Vec<MemberId>>,
    /// Who recorded it.
    pub recorded_by: Option<MemberId>,
    /// When.
    pub recorded_at: Timestamp,
}

impl Round {
    /// The key of round `number` (1-based) in [`Event::rounds`].
    pub fn key(number: u32) -> String {
        format!("{number:03}")
    }
}

/// A post-it note, usually written during an event.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Note {
    /// The note's id.
    pub id: NoteId,
    /// What it says.
    pub text: String,
    /// Who wrote it; `None` for an anonymous note.
    pub author: Option<MemberId>,
    /// The event it was written at.
    pub event: Option<EventId>,
    /// The theme cluster it belongs to.
    pub theme: Option<ThemeId>,
    /// Where it sits on the board.
    pub position: Option<Position>,
    /// When it was written.
    pub created_at: Timestamp,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// A place on the post-it board, in board units.
#[derive(Clone, Copy, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Position {
    /// Horizontal.
    pub x: f64,
    /// Vertical.
    pub y: f64,
}

/// A theme: a cluster of notes that persists and evolves across meetings.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Theme {
    /// The theme's id.
    pub id: ThemeId,
    /// Name.
    pub name: String,
    /// What the theme covers.
    pub description: String,
    /// Who created it.
    pub created_by: Option<MemberId>,
    /// When.
    pub created_at: Timestamp,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// An action point, usually agreed at a meeting.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Action {
    /// The action's id.
    pub id: ActionId,
    /// What needs doing.
    pub text: String,
    /// Who is doing it.
    pub owner: Option<MemberId>,
    /// When it is due.
    pub due: Option<Day>,
    /// Whether it is done.
    pub done: bool,
    /// The event it came from.
    pub event: Option<EventId>,
    /// The theme it relates to.
    pub theme: Option<ThemeId>,
    /// Who recorded it.
    pub created_by: Option<MemberId>,
    /// When.
    pub created_at: Timestamp,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// An invite: the public half of the secret carried by the ticket. Any member's device can
/// check a joiner's proof against it and let them in, up to its number of uses.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Invite {
    /// The invite's public key (hex); also its id.
    pub id: String,
    /// Who made it.
    pub created_by: Option<MemberId>,
    /// When.
    pub created_at: Timestamp,
    /// After this it is refused.
    pub expires_at: Timestamp,
    /// The member who first joined with it (kept so releases before group invites still
    /// see a used invite as used).
    pub used_by: Option<MemberId>,
    /// When it was first used.
    pub used_at: Option<Timestamp>,
    /// How many people may join with it: 1 for a personal invite, more for a group.
    #[autosurgeon(missing = "one_use")]
    pub uses: u32,
    /// Everyone who joined with it (member id to when), one entry per use, so admissions
    /// written on different members' devices at the same time are all kept.
    #[autosurgeon(missing = "Default::default")]
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub joined: BTreeMap<String, Timestamp>,
    /// Withdrawn before use.
    pub revoked: bool,
    /// For a device-link ticket: the member whose new device it admits (no new member is
    /// added). `None` for an invitation to a new member.
    #[autosurgeon(missing = "Default::default")]
    pub for_member: Option<MemberId>,
}

/// The number of uses of an invite written before group invites.
fn one_use() -> u32 {
    1
}

impl Invite {
    /// How many people have joined with it.
    pub fn times_used(&self) -> u32 {
        let recorded = u32::try_from(self.joined.len()).unwrap_or(u32::MAX);
        if recorded == 0 && self.used_by.is_some() {
            1
        } else {
            recorded
        }
    }

    /// How many more people may join with it.
    pub fn uses_left(&self) -> u32 {
        self.uses.max(1).saturating_sub(self.times_used())
    }

    /// Whether someone could still join with it at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        !self.revoked && self.uses_left() > 0 && self.expires_at > now
    }
}

/// A short survey (a training-needs survey, meeting feedback) that members answer offline.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Survey {
    /// The survey's id.
    pub id: SurveyId,
    /// Title.
    pub title: String,
    /// What it is for.
    pub description: String,
    /// Questions keyed by their number written with three digits ("001").
    pub questions: BTreeMap<String, Question>,
    /// Answers, one per member (answering again replaces one's own).
    pub responses: BTreeMap<MemberId, Response>,
    /// Who created it.
    pub created_by: Option<MemberId>,
    /// When.
    pub created_at: Timestamp,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// One survey question.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Question {
    /// The question.
    pub text: String,
    /// Scale, single or multiple choice, or free text.
    pub kind: QuestionKind,
    /// The options of a choice question.
    pub options: Vec<String>,
}

/// One member's answers to a survey.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Response {
    /// Answers keyed like the questions.
    pub answers: BTreeMap<String, Answer>,
    /// When they answered.
    pub at: Timestamp,
}

/// An answer to one question (only the part matching its kind is set).
#[derive(Clone, Debug, Default, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Answer {
    /// A scale answer, 1 to 5.
    pub scale: Option<i64>,
    /// The chosen options.
    pub choices: Vec<String>,
    /// A free-text answer.
    pub text: Option<String>,
}

/// A value-creation story: what a member got out of the community, tagged with the cycles
/// of value it reaches, for the community's own reflection and for funders.
#[derive(Clone, Debug, Reconcile, Hydrate, Serialize)]
pub struct Story {
    /// The story's id.
    pub id: StoryId,
    /// A title.
    pub title: String,
    /// The story.
    pub text: String,
    /// The cycles it reaches.
    pub cycles: Set<Cycle>,
    /// The event it started from.
    pub event: Option<EventId>,
    /// Resources it involved.
    pub resources: Set<ResourceId>,
    /// Who told it.
    pub author: Option<MemberId>,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}
