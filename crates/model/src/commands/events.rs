//! Events: adding and editing them, invitations answered, check-ins and pairing rounds.

use autosurgeon::Text;

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Event, Round};
use crate::error::{CommandError, EntityKind};
use crate::ids::{EventId, MemberId};
use crate::labels::{EventFormat, RsvpAnswer};
use crate::permissions::Permission;
use crate::set::Set;
use crate::time::Timestamp;

use super::clean::{
    MAX_NAME_CHARS, MAX_TEXT_CHARS, check_times, clean_long, clean_name, clean_optional, clean_url,
};
use super::{Ctx, Rule};

/// An event to add.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// The new event's id.
    pub id: EventId,
    /// Title.
    pub title: String,
    /// Format.
    pub format: EventFormat,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Option<Timestamp>,
    /// Venue.
    pub venue: Option<String>,
    /// Call link.
    pub call_link: Option<String>,
    /// The Hot Seat topic or the session's question.
    pub topic: Option<String>,
    /// Agenda.
    pub agenda: String,
    /// Facilitator.
    pub facilitator: Option<MemberId>,
    /// Note-taker.
    pub note_taker: Option<MemberId>,
}

/// Changes to an event; for optional fields `Some(None)` clears the value.
#[derive(Clone, Debug, Default)]
pub struct EventPatch {
    /// New title.
    pub title: Option<String>,
    /// New format.
    pub format: Option<EventFormat>,
    /// New start.
    pub start: Option<Timestamp>,
    /// New end.
    pub end: Option<Option<Timestamp>>,
    /// New venue.
    pub venue: Option<Option<String>>,
    /// New call link.
    pub call_link: Option<Option<String>>,
    /// New topic.
    pub topic: Option<Option<String>>,
    /// New agenda text.
    pub agenda: Option<String>,
    /// New summary text.
    pub summary: Option<String>,
    /// New facilitator.
    pub facilitator: Option<Option<MemberId>>,
    /// New note-taker.
    pub note_taker: Option<Option<MemberId>>,
}

/// `event.add`: any member may add an event.
pub(super) const ADD: Rule<'static> = Rule::new(Subject::Event, Verb::Add, Permission::AnyMember);
/// `event.edit`: any member may edit an event.
pub(super) const EDIT: Rule<'static> = Rule::new(Subject::Event, Verb::Edit, Permission::AnyMember);
/// `event.rsvp`: any member may record an answer to an invitation.
pub(super) const RSVP: Rule<'static> = Rule::new(Subject::Event, Verb::Rsvp, Permission::AnyMember);
/// `event.check-in`: any member may check people in.
pub(super) const CHECK_IN: Rule<'static> =
    Rule::new(Subject::Event, Verb::CheckIn, Permission::AnyMember);
/// `event.round`: any member may record a pairing round.
pub(super) const ROUND: Rule<'static> =
    Rule::new(Subject::Event, Verb::Round, Permission::AnyMember);

/// Adds an event.
pub(super) fn add(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    new: NewEvent,
) -> Result<String, CommandError> {
    doc.require_new(EntityKind::Event, new.id.as_str())?;
    check_times(new.start, new.end)?;
    doc.require_optional_member(new.facilitator.as_ref())?;
    doc.require_optional_member(new.note_taker.as_ref())?;
    let event = Event {
        title: clean_name("title", &new.title)?,
        format: new.format,
        start: new.start,
        end: new.end,
        venue: clean_optional("venue", new.venue.as_deref(), MAX_NAME_CHARS)?,
        call_link: clean_url(new.call_link.as_deref())?,
        topic: clean_optional("topic", new.topic.as_deref(), MAX_TEXT_CHARS)?,
        rounds: Default::default(),
        agenda: Text::with_value(clean_long("agenda", &new.agenda)?),
        facilitator: new.facilitator,
        note_taker: new.note_taker,
        rsvps: Default::default(),
        attendance: Set::new(),
        summary: Text::with_value(""),
        created_by: ctx.by.clone(),
        created_at: ctx.now,
        deleted: false,
        id: new.id,
    };
    doc.put(&event)?;
    Ok(event.id.to_string())
}

/// Edits an event that is not deleted.
pub(super) fn edit(
    doc: &mut CommunityDoc,
    id: EventId,
    patch: EventPatch,
) -> Result<String, CommandError> {
    let mut event = doc.require_live::<Event>(id.as_str())?;
    if let Some(title) = patch.title {
        event.title = clean_name("title", &title)?;
    }
    if let Some(format) = patch.format {
        event.format = format;
    }
    if let Some(start) = patch.start {
        event.start = start;
    }
    if let Some(end) = patch.end {
        event.end = end;
    }
    check_times(event.start, event.end)?;
    if let Some(venue) = patch.venue {
        event.venue = clean_optional("venue", venue.as_deref(), MAX_NAME_CHARS)?;
    }
    if let Some(link) = patch.call_link {
        event.call_link = clean_url(link.as_deref())?;
    }
    if let Some(topic) = patch.topic {
        event.topic = clean_optional("topic", topic.as_deref(), MAX_TEXT_CHARS)?;
    }
    if let Some(agenda) = patch.agenda {
        event.agenda.update(clean_long("agenda", &agenda)?);
    }
    if let Some(summary) = patch.summary {
        event.summary.update(clean_long("summary", &summary)?);
    }
    if let Some(facilitator) = patch.facilitator {
        doc.require_optional_member(facilitator.as_ref())?;
        event.facilitator = facilitator;
    }
    if let Some(note_taker) = patch.note_taker {
        doc.require_optional_member(note_taker.as_ref())?;
        event.note_taker = note_taker;
    }
    doc.put(&event)?;
    Ok(id.to_string())
}

/// Records (or withdraws) a member's answer to an event's invitation.
pub(super) fn rsvp(
    doc: &mut CommunityDoc,
    event: EventId,
    member: MemberId,
    answer: Option<RsvpAnswer>,
) -> Result<String, CommandError> {
    let mut stored = doc.require_live::<Event>(event.as_str())?;
    doc.require_active_member(&member)?;
    match answer {
        Some(answer) => stored.rsvps.insert(member, answer),
        None => stored.rsvps.remove(&member),
    };
    doc.put(&stored)?;
    Ok(event.to_string())
}

/// Records a pairing round (replacing that round if recorded before).
pub(super) fn record_round(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    event: EventId,
    round: u32,
    groups: Vec<Vec<MemberId>>,
) -> Result<String, CommandError> {
    let mut stored = doc.require_live::<Event>(event.as_str())?;
    if round == 0 || round > 999 {
        return Err(CommandError::Invalid {
            field: "round",
            reason: "must be between 1 and 999".into(),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for group in &groups {
        if group.len() < 2 || group.len() > 3 {
            return Err(CommandError::Invalid {
                field: "groups",
                reason: "each group is a pair or a trio".into(),
            });
        }
        for member in group {
            doc.require_active_member(member)?;
            if !seen.insert(member.clone()) {
                return Err(CommandError::Invalid {
                    field: "groups",
                    reason: format!("{member} is in two groups"),
                });
            }
        }
    }
    stored.rounds.insert(
        Round::key(round),
        Round {
            groups,
            recorded_by: ctx.by.clone(),
            recorded_at: ctx.now,
        },
    );
    doc.put(&stored)?;
    Ok(event.to_string())
}

/// Checks a member in at an event (or undoes it).
pub(super) fn check_in(
    doc: &mut CommunityDoc,
    event: EventId,
    member: MemberId,
    present: bool,
) -> Result<String, CommandError> {
    let mut stored = doc.require_live::<Event>(event.as_str())?;
    doc.require_active_member(&member)?;
    if present {
        stored.attendance.insert(member);
    } else {
        stored.attendance.remove(&member);
    }
    doc.put(&stored)?;
    Ok(event.to_string())
}
