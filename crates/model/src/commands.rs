//! Typed commands: every change a person can make, validated before it touches the document.
//!
//! [`CommunityDoc::apply`] checks a command against the current document, writes only the
//! entity it touches, and commits one Automerge change. A refused command changes nothing.

use std::collections::BTreeMap;

use automerge::{ActorId, transaction::CommitOptions};
use autosurgeon::Text;

use crate::doc::CommunityDoc;
use crate::entities::{
    Action, Device, Event, Invite, Member, Note, Position, Removal, Resource, Theme,
};
use crate::entity::Entity;
use crate::error::{CommandError, EntityKind};
use crate::ids::{ActionId, EventId, MemberId, NoteId, ResourceId, ThemeId};
use crate::labels::{EventFormat, Role, RsvpAnswer};
use crate::set::Set;
use crate::time::{Day, Timestamp};

/// Longest name or title accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest short text (a note, an action, a description) accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest long text (Terms of Reference, agenda, summary) accepted, in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 200_000;

/// Who is making a change, and when.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The member making the change (`None` only before the founder exists).
    pub by: Option<MemberId>,
    /// The time of the change.
    pub now: Timestamp,
}

/// Changes to the community record; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CommunityPatch {
    /// New name.
    pub name: Option<String>,
    /// New domain statement.
    pub domain: Option<String>,
    /// New Terms of Reference.
    pub terms: Option<String>,
    /// New facilitator rota.
    pub rota: Option<Vec<MemberId>>,
}

/// A member to add.
#[derive(Clone, Debug)]
pub struct NewMember {
    /// The new member's id.
    pub id: MemberId,
    /// Display name.
    pub name: String,
    /// Organisation.
    pub organisation: Option<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Focus areas.
    pub focus: Vec<String>,
    /// Contact details.
    pub contact: Option<String>,
}

/// Changes to a member; for optional fields `Some(None)` clears the value.
#[derive(Clone, Debug, Default)]
pub struct MemberPatch {
    /// New name.
    pub name: Option<String>,
    /// New organisation.
    pub organisation: Option<Option<String>>,
    /// New set of roles.
    pub roles: Option<Vec<Role>>,
    /// New set of focus areas.
    pub focus: Option<Vec<String>>,
    /// New contact details.
    pub contact: Option<Option<String>>,
    /// Share (or stop sharing) a lived-experience flag.
    pub lived_experience: Option<bool>,
}

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

/// A note to add.
#[derive(Clone, Debug)]
pub struct NewNote {
    /// The new note's id. An anonymous note gets one chosen by the model instead (carrying
    /// only the hour, see [`NoteId::anonymous`]); [`Applied::id`] names it.
    pub id: NoteId,
    /// What it says.
    pub text: String,
    /// The event it belongs to.
    pub event: Option<EventId>,
    /// The theme it is clustered into.
    pub theme: Option<ThemeId>,
    /// Where it sits on the board.
    pub position: Option<Position>,
    /// Write it without any link to its author (see [`CommunityDoc::apply`]).
    pub anonymous: bool,
}

/// Changes to a note.
#[derive(Clone, Debug, Default)]
pub struct NotePatch {
    /// New text.
    pub text: Option<String>,
    /// New event.
    pub event: Option<Option<EventId>>,
    /// New theme (drag into a cluster, or out of it).
    pub theme: Option<Option<ThemeId>>,
    /// New place on the board.
    pub position: Option<Option<Position>>,
}

/// A resource to add.
#[derive(Clone, Debug)]
pub struct NewResource {
    /// The new resource's id.
    pub id: ResourceId,
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Related themes.
    pub themes: Vec<ThemeId>,
}

/// Changes to a resource.
#[derive(Clone, Debug, Default)]
pub struct ResourcePatch {
    /// New title.
    pub title: Option<String>,
    /// New link.
    pub url: Option<Option<String>>,
    /// New description.
    pub description: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New related themes.
    pub themes: Option<Vec<ThemeId>>,
}

/// A theme to add.
#[derive(Clone, Debug)]
pub struct NewTheme {
    /// The new theme's id.
    pub id: ThemeId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

/// Changes to a theme.
#[derive(Clone, Debug, Default)]
pub struct ThemePatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

/// An action point to add.
#[derive(Clone, Debug)]
pub struct NewAction {
    /// The new action's id.
    pub id: ActionId,
    /// What needs doing.
    pub text: String,
    /// Who does it.
    pub owner: Option<MemberId>,
    /// When it is due.
    pub due: Option<Day>,
    /// The event it came from.
    pub event: Option<EventId>,
    /// The related theme.
    pub theme: Option<ThemeId>,
}

/// Changes to an action point.
#[derive(Clone, Debug, Default)]
pub struct ActionPatch {
    /// New text.
    pub text: Option<String>,
    /// New owner.
    pub owner: Option<Option<MemberId>>,
    /// New due date.
    pub due: Option<Option<Day>>,
    /// Done or not.
    pub done: Option<bool>,
}

/// A survey question to add.
#[derive(Clone, Debug)]
pub struct NewQuestion {
    /// The question.
    pub text: String,
    /// Its kind.
    pub kind: crate::QuestionKind,
    /// Options for a choice question.
    pub options: Vec<String>,
}

/// A survey to add.
#[derive(Clone, Debug)]
pub struct NewSurvey {
    /// The new survey's id.
    pub id: crate::SurveyId,
    /// Title.
    pub title: String,
    /// What it is for.
    pub description: String,
    /// The questions, in order.
    pub questions: Vec<NewQuestion>,
}

/// A value-creation story to add.
#[derive(Clone, Debug)]
pub struct NewStory {
    /// The new story's id.
    pub id: crate::StoryId,
    /// Title.
    pub title: String,
    /// The story.
    pub text: String,
    /// The cycles it reaches.
    pub cycles: Vec<crate::Cycle>,
    /// The event it started from.
    pub event: Option<EventId>,
    /// Resources it involved.
    pub resources: Vec<ResourceId>,
}

/// Every change a person can make to a community.
#[derive(Clone, Debug)]
pub enum Command {
    /// Edit the community record.
    UpdateCommunity(CommunityPatch),
    /// Add a member.
    AddMember(NewMember),
    /// Add several members in one change (an import: all or nothing).
    ImportMembers(Vec<NewMember>),
    /// Edit a member.
    EditMember(MemberId, MemberPatch),
    /// Remove a member from the community (an explicit, permanent removal record).
    RemoveMember {
        /// Who is removed.
        id: MemberId,
        /// Why, if given.
        reason: Option<String>,
    },
    /// Add an event.
    AddEvent(NewEvent),
    /// Edit an event.
    EditEvent(EventId, EventPatch),
    /// Answer an event's invitation (`None` withdraws the answer).
    Rsvp {
        /// The event.
        event: EventId,
        /// Who answers.
        member: MemberId,
        /// The answer.
        answer: Option<RsvpAnswer>,
    },
    /// Record a rapid-pairing round on an event (replacing that round if recorded before).
    RecordRound {
        /// The event.
        event: EventId,
        /// The round number, from 1.
        round: u32,
        /// The pairs (and at most one trio).
        groups: Vec<Vec<MemberId>>,
    },
    /// Check a member in at an event (or undo it).
    CheckIn {
        /// The event.
        event: EventId,
        /// Who is present.
        member: MemberId,
        /// Present or not.
        present: bool,
    },
    /// Add a note.
    AddNote(NewNote),
    /// Edit a note.
    EditNote(NoteId, NotePatch),
    /// Add a resource.
    AddResource(NewResource),
    /// Edit a resource.
    EditResource(ResourceId, ResourcePatch),
    /// Add a theme.
    AddTheme(NewTheme),
    /// Edit a theme.
    EditTheme(ThemeId, ThemePatch),
    /// Add an action point.
    AddAction(NewAction),
    /// Edit an action point.
    EditAction(ActionId, ActionPatch),
    /// Add a survey.
    AddSurvey(NewSurvey),
    /// Answer a survey as this member (replacing an earlier answer).
    AnswerSurvey {
        /// The survey.
        survey: crate::SurveyId,
        /// Who answers.
        member: MemberId,
        /// Answers keyed by question key ("001").
        answers: BTreeMap<String, crate::entities::Answer>,
    },
    /// Add a value-creation story.
    AddStory(NewStory),
    /// Record a new invite (its public key) with an expiry.
    CreateInvite {
        /// The invite's public key, hex.
        public_key: String,
        /// When it stops working.
        expires_at: Timestamp,
        /// For a device-link ticket, the member whose new device it admits.
        for_member: Option<MemberId>,
    },
    /// Withdraw an unused invite.
    RevokeInvite(String),
    /// Admit a joiner who proved an invite: adds the member with their device and marks the
    /// invite used, in one change. (The proof itself is checked by the network layer.)
    Join {
        /// The invite's public key, hex.
        invite: String,
        /// The new member.
        member: NewMember,
        /// The joiner's device endpoint id, hex.
        device: String,
        /// A label for the device.
        device_label: String,
    },
    /// Link a device (endpoint id, hex) to a member.
    LinkDevice {
        /// The member.
        member: MemberId,
        /// The device's endpoint id, hex.
        device: String,
        /// A label such as "Sam's laptop".
        label: String,
    },
    /// Unlink a lost or retired device.
    UnlinkDevice {
        /// The member.
        member: MemberId,
        /// The device's endpoint id, hex.
        device: String,
    },
    /// Delete (tombstone) an entity other than a member.
    Delete(EntityKind, String),
    /// Bring back a deleted entity.
    Restore(EntityKind, String),
    /// Make an entity, or a whole section, as it was at an earlier point of the history
    /// (`heads`), as a new change. Entities added since are kept.
    RestoreAt {
        /// The earlier point.
        heads: Vec<automerge::ChangeHash>,
        /// What to bring back.
        target: crate::history::RestoreTarget,
    },
}

impl Command {
    /// A short stable name for the command, recorded in the change message (e.g. `note.add`).
    pub fn op_name(&self) -> String {
        match self {
            Self::UpdateCommunity(_) => "community.edit".into(),
            Self::AddMember(_) => "member.add".into(),
            Self::ImportMembers(_) => "member.import".into(),
            Self::EditMember(..) => "member.edit".into(),
            Self::RemoveMember { .. } => "member.remove".into(),
            Self::AddEvent(_) => "event.add".into(),
            Self::EditEvent(..) => "event.edit".into(),
            Self::Rsvp { .. } => "event.rsvp".into(),
            Self::CheckIn { .. } => "event.check-in".into(),
            Self::RecordRound { .. } => "event.round".into(),
            Self::AddNote(_) => "note.add".into(),
            Self::EditNote(..) => "note.edit".into(),
            Self::AddResource(_) => "resource.add".into(),
            Self::EditResource(..) => "resource.edit".into(),
            Self::AddTheme(_) => "theme.add".into(),
            Self::EditTheme(..) => "theme.edit".into(),
            Self::AddAction(_) => "action.add".into(),
            Self::EditAction(..) => "action.edit".into(),
            Self::AddSurvey(_) => "survey.add".into(),
            Self::AnswerSurvey { .. } => "survey.answer".into(),
            Self::AddStory(_) => "story.add".into(),
            Self::CreateInvite { .. } => "invite.create".into(),
            Self::RevokeInvite(_) => "invite.revoke".into(),
            Self::Join { .. } => "member.join".into(),
            Self::LinkDevice { .. } => "device.link".into(),
            Self::UnlinkDevice { .. } => "device.unlink".into(),
            Self::Delete(kind, _) => format!("{kind}.delete"),
            Self::Restore(kind, _) => format!("{kind}.restore"),
            Self::RestoreAt { target, .. } => match target {
                crate::history::RestoreTarget::Entity(kind, _)
                | crate::history::RestoreTarget::Section(kind) => format!("{kind}.restore"),
            },
        }
    }
}

/// What an applied command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The id of the entity created or changed.
    pub id: String,
    /// Whether the document changed (an edit to identical values changes nothing).
    pub changed: bool,
}

/// The change message recorded with each commit: `{"by":MEMBER,"op":OP,"id":ID}` as JSON.
pub(crate) fn commit_message(by: Option<&MemberId>, op: &str) -> String {
    serde_json::json!({ "by": by.map(MemberId::as_str), "op": op }).to_string()
}

/// The change label `{"by","op","id"}`; a command touching several entities names none
/// (`"id": null`), so views re-read the whole collection.
fn commit_message_for(by: Option<&MemberId>, op: &str, id: &str) -> String {
    let id = (!id.is_empty()).then_some(id);
    serde_json::json!({ "by": by.map(MemberId::as_str), "op": op, "id": id }).to_string()
}

fn clean_name(field: &'static str, value: &str) -> Result<String, CommandError> {
    let cleaned = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        return Err(CommandError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    check_len(field, &cleaned, MAX_NAME_CHARS)?;
    Ok(cleaned)
}

fn clean_text(field: &'static str, value: &str, max: usize) -> Result<String, CommandError> {
    let cleaned = value.trim().to_owned();
    if cleaned.is_empty() {
        return Err(CommandError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    check_len(field, &cleaned, max)?;
    Ok(cleaned)
}

fn clean_optional(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, CommandError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_len(field, text, max)?;
            Ok(Some(text.to_owned()))
        }
    }
}

fn clean_long(field: &'static str, value: &str) -> Result<String, CommandError> {
    check_len(field, value, MAX_LONG_TEXT_CHARS)?;
    Ok(value.to_owned())
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), CommandError> {
    if value.chars().count() > max {
        return Err(CommandError::Invalid {
            field,
            reason: format!("is longer than {max} characters"),
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(CommandError::Invalid {
            field,
            reason: "contains control characters".into(),
        });
    }
    Ok(())
}

fn clean_url(value: Option<&str>) -> Result<Option<String>, CommandError> {
    let Some(url) = clean_optional("url", value, 2_000)? else {
        return Ok(None);
    };
    if url.chars().any(char::is_whitespace) || !url.contains(['.', ':']) {
        return Err(CommandError::Invalid {
            field: "url",
            reason: format!("{url:?} does not look like a link"),
        });
    }
    Ok(Some(url))
}

fn clean_tags(field: &'static str, tags: &[String]) -> Result<Set<String>, CommandError> {
    tags.iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| clean_name(field, t))
        .collect()
}

/// A device endpoint id or invite key: 64 lower-case hex characters.
fn check_device_id(field: &'static str, value: &str) -> Result<String, CommandError> {
    let value = value.trim().to_lowercase();
    if value.len() != 64 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CommandError::Invalid {
            field,
            reason: "is not a 64-character hex key".into(),
        });
    }
    Ok(value)
}

fn check_times(start: Timestamp, end: Option<Timestamp>) -> Result<(), CommandError> {
    match end {
        Some(end) if end < start => Err(CommandError::Invalid {
            field: "end",
            reason: format!("the event ends ({end}) before it starts ({start})"),
        }),
        _ => Ok(()),
    }
}

impl CommunityDoc {
    /// Validates and applies one command as one Automerge change.
    ///
    /// Anonymous notes are written under a one-off random actor id, with no author, a change
    /// message naming only the operation and the note, no change time, and a creation time
    /// and id that carry only the hour, so the document records nothing that links them to
    /// the member or device that wrote them.
    pub fn apply(&mut self, ctx: &Ctx, command: Command) -> Result<Applied, CommandError> {
        crate::permissions::check(self, ctx.by.as_ref(), &command)?;
        if matches!(&command, Command::AddNote(n) if n.anonymous) {
            // Written on a fork that lacks this device's own trailing changes, so the note's
            // dependencies do not point at a change only this device could have had.
            let base = self.heads_without_own_tail();
            if base != self.doc.get_heads()
                && let Ok(fork) = self.doc.fork_at(&base)
            {
                let mut fork = CommunityDoc { doc: fork };
                if let Ok(applied) = fork.apply_here(ctx, command.clone())
                    && let [change] = &fork.doc.get_changes(&base)[..]
                {
                    let change = (*change).clone();
                    self.doc
                        .apply_changes([change])
                        .map_err(|e| CommandError::from(crate::error::DocumentError::from(e)))?;
                    return Ok(applied);
                }
                // It needs this device's latest changes (say, a note on an event created
                // here and not yet shared): write it on the whole document instead.
            }
        }
        self.apply_here(ctx, command)
    }

    /// The heads with this device's own trailing changes peeled off: what anyone this
    /// device last synced with has too (as far as the document can tell).
    fn heads_without_own_tail(&mut self) -> Vec<automerge::ChangeHash> {
        let own = self.doc.get_actor().clone();
        let mut heads: Vec<automerge::ChangeHash> = self.doc.get_heads();
        // Bounded: each step removes one of this device's changes from the frontier.
        for _ in 0..10_000 {
            let Some(position) = heads.iter().position(|h| {
                self.doc
                    .get_change_by_hash(h)
                    .is_some_and(|c| c.actor_id() == &own)
            }) else {
                break;
            };
            let head = heads.swap_remove(position);
            let deps = self
                .doc
                .get_change_by_hash(&head)
                .map(|c| c.deps().to_vec())
                .unwrap_or_default();
            for dep in deps {
                if !heads.contains(&dep) {
                    heads.push(dep);
                }
            }
        }
        heads.sort();
        heads
    }

    /// Applies a command on this document as it stands (see [`Self::apply`]).
    fn apply_here(&mut self, ctx: &Ctx, command: Command) -> Result<Applied, CommandError> {
        let op = command.op_name();
        let anonymous = matches!(&command, Command::AddNote(n) if n.anonymous);
        // An anonymous note's operations must be written under a one-off actor from the start:
        // Automerge attributes a change to the actor current when its first operation is made.
        let own_actor = anonymous.then(|| {
            let own = self.doc.get_actor().clone();
            self.doc.set_actor(ActorId::random());
            own
        });
        let outcome = self.write(ctx, command);
        let result = match outcome {
            Ok(id) => {
                let options = if anonymous {
                    // Labelled with what it did and to which note (both public in the
                    // document anyway), never by whom or when.
                    CommitOptions::default()
                        .with_message(commit_message_for(None, &op, &id))
                        .with_time(0)
                } else {
                    CommitOptions::default()
                        .with_message(commit_message_for(ctx.by.as_ref(), &op, &id))
                        .with_time(ctx.now.millis())
                };
                let changed = self.doc.commit_with(options).is_some();
                Ok(Applied { id, changed })
            }
            Err(e) => {
                self.doc.rollback();
                Err(e)
            }
        };
        if let Some(own) = own_actor {
            self.doc.set_actor(own);
        }
        result
    }

    /// A new member record from validated input (not yet stored).
    fn new_member(&self, ctx: &Ctx, new: NewMember) -> Result<Member, CommandError> {
        self.require_new(EntityKind::Member, new.id.as_str())?;
        Ok(Member {
            name: clean_name("name", &new.name)?,
            organisation: clean_optional(
                "organisation",
                new.organisation.as_deref(),
                MAX_NAME_CHARS,
            )?,
            roles: new.roles.into_iter().collect(),
            focus: clean_tags("focus", &new.focus)?,
            lived_experience: false,
            contact: clean_optional("contact", new.contact.as_deref(), MAX_NAME_CHARS)?,
            joined_at: ctx.now,
            devices: Default::default(),
            created_by: ctx.by.clone(),
            id: new.id,
        })
    }

    fn require_active_member(&self, id: &MemberId) -> Result<Member, CommandError> {
        let member = self
            .get::<Member>(id.as_str())?
            .ok_or_else(|| CommandError::Unknown {
                kind: EntityKind::Member,
                id: id.to_string(),
            })?;
        if self.removal(id)?.is_some() {
            return Err(CommandError::RemovedMember(id.to_string()));
        }
        Ok(member)
    }

    fn require_optional_member(&self, id: Option<&MemberId>) -> Result<(), CommandError> {
        if let Some(id) = id {
            self.require_active_member(id)?;
        }
        Ok(())
    }

    fn require_live<T: Entity>(&self, id: &str) -> Result<T, CommandError> {
        let entity = self.get::<T>(id)?.ok_or_else(|| CommandError::Unknown {
            kind: T::KIND,
            id: id.to_owned(),
        })?;
        if entity.is_deleted() {
            return Err(CommandError::Deleted {
                kind: T::KIND,
                id: id.to_owned(),
            });
        }
        Ok(entity)
    }

    fn require_optional_live<T: Entity>(&self, id: Option<&str>) -> Result<(), CommandError> {
        if let Some(id) = id {
            self.require_live::<T>(id)?;
        }
        Ok(())
    }

    fn require_new(&self, kind: EntityKind, id: &str) -> Result<(), CommandError> {
        if id.trim().is_empty() {
            return Err(CommandError::Invalid {
                field: "id",
                reason: "must not be empty".into(),
            });
        }
        if self.contains(kind, id)? {
            return Err(CommandError::Duplicate {
                kind,
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Writes the operations of a command (uncommitted); returns the id it touched.
    fn write(&mut self, ctx: &Ctx, command: Command) -> Result<String, CommandError> {
        match command {
            Command::UpdateCommunity(patch) => {
                let mut community = self.community()?;
                if let Some(name) = patch.name {
                    community.name = clean_name("name", &name)?;
                }
                if let Some(domain) = patch.domain {
                    community.domain.update(clean_long("domain", &domain)?);
                }
                if let Some(terms) = patch.terms {
                    community.terms.update(clean_long("terms", &terms)?);
                }
                if let Some(rota) = patch.rota {
                    for member in &rota {
                        self.require_active_member(member)?;
                    }
                    community.rota = rota;
                }
                autosurgeon::reconcile_prop(
                    &mut self.doc,
                    automerge::ROOT,
                    "community",
                    &community,
                )
                .map_err(crate::error::DocumentError::from)?;
                Ok(community.id.to_string())
            }
            Command::AddMember(new) => {
                let member = self.new_member(ctx, new)?;
                self.put(&member)?;
                Ok(member.id.to_string())
            }
            Command::ImportMembers(list) => {
                // One change for the whole list: all of it lands, or (on any error) none.
                for new in list {
                    let member = self.new_member(ctx, new)?;
                    self.put(&member)?;
                }
                Ok(String::new())
            }
            Command::EditMember(id, patch) => {
                let mut member = self.require_active_member(&id)?;
                if let Some(name) = patch.name {
                    member.name = clean_name("name", &name)?;
                }
                if let Some(org) = patch.organisation {
                    member.organisation =
                        clean_optional("organisation", org.as_deref(), MAX_NAME_CHARS)?;
                }
                if let Some(roles) = patch.roles {
                    member.roles = roles.into_iter().collect();
                }
                if let Some(focus) = patch.focus {
                    member.focus = clean_tags("focus", &focus)?;
                }
                if let Some(contact) = patch.contact {
                    member.contact = clean_optional("contact", contact.as_deref(), MAX_NAME_CHARS)?;
                }
                if let Some(lived) = patch.lived_experience {
                    member.lived_experience = lived;
                }
                self.put(&member)?;
                Ok(id.to_string())
            }
            Command::RemoveMember { id, reason } => {
                self.require_active_member(&id)?;
                let removal = Removal {
                    by: ctx.by.clone(),
                    at: ctx.now,
                    reason: clean_optional("reason", reason.as_deref(), MAX_TEXT_CHARS)?,
                };
                self.put_removal(&id, &removal)?;
                Ok(id.to_string())
            }
            Command::AddEvent(new) => {
                self.require_new(EntityKind::Event, new.id.as_str())?;
                check_times(new.start, new.end)?;
                self.require_optional_member(new.facilitator.as_ref())?;
                self.require_optional_member(new.note_taker.as_ref())?;
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
                self.put(&event)?;
                Ok(event.id.to_string())
            }
            Command::EditEvent(id, patch) => {
                let mut event = self.require_live::<Event>(id.as_str())?;
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
                    self.require_optional_member(facilitator.as_ref())?;
                    event.facilitator = facilitator;
                }
                if let Some(note_taker) = patch.note_taker {
                    self.require_optional_member(note_taker.as_ref())?;
                    event.note_taker = note_taker;
                }
                self.put(&event)?;
                Ok(id.to_string())
            }
            Command::Rsvp {
                event,
                member,
                answer,
            } => {
                let mut stored = self.require_live::<Event>(event.as_str())?;
                self.require_active_member(&member)?;
                match answer {
                    Some(answer) => stored.rsvps.insert(member, answer),
                    None => stored.rsvps.remove(&member),
                };
                self.put(&stored)?;
                Ok(event.to_string())
            }
            Command::AddSurvey(new) => {
                self.require_new(EntityKind::Survey, new.id.as_str())?;
                if new.questions.is_empty() || new.questions.len() > 100 {
                    return Err(CommandError::Invalid {
                        field: "questions",
                        reason: "a survey has between 1 and 100 questions".into(),
                    });
                }
                let mut questions = BTreeMap::new();
                for (index, q) in new.questions.into_iter().enumerate() {
                    let mut options: Vec<String> = Vec::new();
                    for option in &q.options {
                        let option = clean_name("option", option)?;
                        if !options.contains(&option) {
                            options.push(option);
                        }
                    }
                    let choice = matches!(
                        q.kind,
                        crate::QuestionKind::Single | crate::QuestionKind::Multiple
                    );
                    if choice && options.len() < 2 {
                        return Err(CommandError::Invalid {
                            field: "options",
                            reason: format!("question {} needs at least two options", index + 1),
                        });
                    }
                    if matches!(q.kind, crate::QuestionKind::Other(_)) {
                        return Err(CommandError::Invalid {
                            field: "kind",
                            reason: "unknown question kind".into(),
                        });
                    }
                    questions.insert(
                        crate::entities::Round::key(index as u32 + 1),
                        crate::entities::Question {
                            text: clean_text("question", &q.text, MAX_TEXT_CHARS)?,
                            kind: q.kind,
                            options: if choice { options } else { Vec::new() },
                        },
                    );
                }
                let survey = crate::entities::Survey {
                    title: clean_name("title", &new.title)?,
                    description: clean_long("description", &new.description)?,
                    questions,
                    responses: BTreeMap::new(),
                    created_by: ctx.by.clone(),
                    created_at: ctx.now,
                    deleted: false,
                    id: new.id,
                };
                self.put(&survey)?;
                Ok(survey.id.to_string())
            }
            Command::AnswerSurvey {
                survey,
                member,
                answers,
            } => {
                let mut stored = self.require_live::<crate::entities::Survey>(survey.as_str())?;
                self.require_active_member(&member)?;
                let mut cleaned = BTreeMap::new();
                for (key, answer) in answers {
                    let question =
                        stored
                            .questions
                            .get(&key)
                            .ok_or_else(|| CommandError::Invalid {
                                field: "answers",
                                reason: format!("the survey has no question {key}"),
                            })?;
                    let ok = match question.kind {
                        crate::QuestionKind::Scale => {
                            answer.scale.is_some_and(|v| (1..=5).contains(&v))
                        }
                        crate::QuestionKind::Single => {
                            answer.choices.len() == 1
                                && question.options.contains(&answer.choices[0])
                        }
                        crate::QuestionKind::Multiple => {
                            answer.choices.iter().all(|c| question.options.contains(c))
                        }
                        crate::QuestionKind::Text | crate::QuestionKind::Other(_) => {
                            answer.text.as_ref().is_some_and(|t| {
                                !t.trim().is_empty() && t.chars().count() <= MAX_TEXT_CHARS
                            })
                        }
                    };
                    if !ok {
                        return Err(CommandError::Invalid {
                            field: "answers",
                            reason: format!(
                                "the answer to \"{}\" does not fit the question",
                                question.text
                            ),
                        });
                    }
                    cleaned.insert(key, answer);
                }
                stored.responses.insert(
                    member,
                    crate::entities::Response {
                        answers: cleaned,
                        at: ctx.now,
                    },
                );
                self.put(&stored)?;
                Ok(survey.to_string())
            }
            Command::AddStory(new) => {
                self.require_new(EntityKind::Story, new.id.as_str())?;
                self.require_optional_live::<Event>(new.event.as_ref().map(EventId::as_str))?;
                for resource in &new.resources {
                    self.require_live::<Resource>(resource.as_str())?;
                }
                let story = crate::entities::Story {
                    title: clean_name("title", &new.title)?,
                    text: clean_text("text", &new.text, MAX_LONG_TEXT_CHARS)?,
                    cycles: new.cycles.into_iter().collect(),
                    event: new.event,
                    resources: new.resources.into_iter().collect(),
                    author: ctx.by.clone(),
                    created_at: ctx.now,
                    deleted: false,
                    id: new.id,
                };
                self.put(&story)?;
                Ok(story.id.to_string())
            }
            Command::RecordRound {
                event,
                round,
                groups,
            } => {
                let mut stored = self.require_live::<Event>(event.as_str())?;
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
                        self.require_active_member(member)?;
                        if !seen.insert(member.clone()) {
                            return Err(CommandError::Invalid {
                                field: "groups",
                                reason: format!("{member} is in two groups"),
                            });
                        }
                    }
                }
                stored.rounds.insert(
                    crate::entities::Round::key(round),
                    crate::entities::Round {
                        groups,
                        recorded_by: ctx.by.clone(),
                        recorded_at: ctx.now,
                    },
                );
                self.put(&stored)?;
                Ok(event.to_string())
            }
            Command::CheckIn {
                event,
                member,
                present,
            } => {
                let mut stored = self.require_live::<Event>(event.as_str())?;
                self.require_active_member(&member)?;
                if present {
                    stored.attendance.insert(member);
                } else {
                    stored.attendance.remove(&member);
                }
                self.put(&stored)?;
                Ok(event.to_string())
            }
            Command::AddNote(new) => {
                const HOUR_MS: i64 = 3_600_000;
                let (id, created_at) = if new.anonymous {
                    // Only the hour: an exact time could be matched against who was typing.
                    let hour = ctx.now.millis().div_euclid(HOUR_MS) * HOUR_MS;
                    let id = NoteId::anonymous(u64::try_from(hour).unwrap_or(0));
                    (id, Timestamp::from_millis(hour))
                } else {
                    (new.id, ctx.now)
                };
                self.require_new(EntityKind::Note, id.as_str())?;
                self.require_optional_live::<Event>(new.event.as_ref().map(EventId::as_str))?;
                self.require_optional_live::<Theme>(new.theme.as_ref().map(ThemeId::as_str))?;
                let note = Note {
                    text: clean_text("text", &new.text, MAX_TEXT_CHARS)?,
                    author: if new.anonymous { None } else { ctx.by.clone() },
                    event: new.event,
                    theme: new.theme,
                    position: new.position,
                    created_at,
                    deleted: false,
                    id,
                };
                self.put(&note)?;
                Ok(note.id.to_string())
            }
            Command::EditNote(id, patch) => {
                let mut note = self.require_live::<Note>(id.as_str())?;
                if let Some(text) = patch.text {
                    note.text = clean_text("text", &text, MAX_TEXT_CHARS)?;
                }
                if let Some(event) = patch.event {
                    self.require_optional_live::<Event>(event.as_ref().map(EventId::as_str))?;
                    note.event = event;
                }
                if let Some(theme) = patch.theme {
                    self.require_optional_live::<Theme>(theme.as_ref().map(ThemeId::as_str))?;
                    note.theme = theme;
                }
                if let Some(position) = patch.position {
                    note.position = position;
                }
                self.put(&note)?;
                Ok(id.to_string())
            }
            Command::AddResource(new) => {
                self.require_new(EntityKind::Resource, new.id.as_str())?;
                for theme in &new.themes {
                    self.require_live::<Theme>(theme.as_str())?;
                }
                let resource = Resource {
                    title: clean_name("title", &new.title)?,
                    url: clean_url(new.url.as_deref())?,
                    description: new.description.trim().to_owned(),
                    tags: clean_tags("tag", &new.tags)?,
                    themes: new.themes.into_iter().collect(),
                    added_by: ctx.by.clone(),
                    created_at: ctx.now,
                    deleted: false,
                    id: new.id,
                };
                check_len("description", &resource.description, MAX_TEXT_CHARS)?;
                self.put(&resource)?;
                Ok(resource.id.to_string())
            }
            Command::EditResource(id, patch) => {
                let mut resource = self.require_live::<Resource>(id.as_str())?;
                if let Some(title) = patch.title {
                    resource.title = clean_name("title", &title)?;
                }
                if let Some(url) = patch.url {
                    resource.url = clean_url(url.as_deref())?;
                }
                if let Some(description) = patch.description {
                    check_len("description", description.trim(), MAX_TEXT_CHARS)?;
                    resource.description = description.trim().to_owned();
                }
                if let Some(tags) = patch.tags {
                    resource.tags = clean_tags("tag", &tags)?;
                }
                if let Some(themes) = patch.themes {
                    for theme in &themes {
                        self.require_live::<Theme>(theme.as_str())?;
                    }
                    resource.themes = themes.into_iter().collect();
                }
                self.put(&resource)?;
                Ok(id.to_string())
            }
            Command::AddTheme(new) => {
                self.require_new(EntityKind::Theme, new.id.as_str())?;
                let theme = Theme {
                    name: clean_name("name", &new.name)?,
                    description: new.description.trim().to_owned(),
                    created_by: ctx.by.clone(),
                    created_at: ctx.now,
                    deleted: false,
                    id: new.id,
                };
                check_len("description", &theme.description, MAX_TEXT_CHARS)?;
                self.put(&theme)?;
                Ok(theme.id.to_string())
            }
            Command::EditTheme(id, patch) => {
                let mut theme = self.require_live::<Theme>(id.as_str())?;
                if let Some(name) = patch.name {
                    theme.name = clean_name("name", &name)?;
                }
                if let Some(description) = patch.description {
                    check_len("description", description.trim(), MAX_TEXT_CHARS)?;
                    theme.description = description.trim().to_owned();
                }
                self.put(&theme)?;
                Ok(id.to_string())
            }
            Command::AddAction(new) => {
                self.require_new(EntityKind::Action, new.id.as_str())?;
                self.require_optional_member(new.owner.as_ref())?;
                self.require_optional_live::<Event>(new.event.as_ref().map(EventId::as_str))?;
                self.require_optional_live::<Theme>(new.theme.as_ref().map(ThemeId::as_str))?;
                let action = Action {
                    text: clean_text("text", &new.text, MAX_TEXT_CHARS)?,
                    owner: new.owner,
                    due: new.due,
                    done: false,
                    event: new.event,
                    theme: new.theme,
                    created_by: ctx.by.clone(),
                    created_at: ctx.now,
                    deleted: false,
                    id: new.id,
                };
                self.put(&action)?;
                Ok(action.id.to_string())
            }
            Command::EditAction(id, patch) => {
                let mut action = self.require_live::<Action>(id.as_str())?;
                if let Some(text) = patch.text {
                    action.text = clean_text("text", &text, MAX_TEXT_CHARS)?;
                }
                if let Some(owner) = patch.owner {
                    self.require_optional_member(owner.as_ref())?;
                    action.owner = owner;
                }
                if let Some(due) = patch.due {
                    action.due = due;
                }
                if let Some(done) = patch.done {
                    action.done = done;
                }
                self.put(&action)?;
                Ok(id.to_string())
            }
            Command::CreateInvite {
                public_key,
                expires_at,
                for_member,
            } => {
                if let Some(member) = &for_member {
                    self.require_active_member(member)?;
                }
                let key = check_device_id("invite", &public_key)?;
                self.require_new(EntityKind::Invite, &key)?;
                if expires_at <= ctx.now {
                    return Err(CommandError::Invalid {
                        field: "expiry",
                        reason: "is in the past".into(),
                    });
                }
                let invite = Invite {
                    id: key,
                    created_by: ctx.by.clone(),
                    created_at: ctx.now,
                    expires_at,
                    used_by: None,
                    used_at: None,
                    revoked: false,
                    for_member,
                };
                self.put(&invite)?;
                Ok(invite.id)
            }
            Command::RevokeInvite(key) => {
                let mut invite = self.usable_invite(&key, ctx.now)?;
                invite.revoked = true;
                self.put(&invite)?;
                Ok(key)
            }
            Command::Join {
                invite,
                member,
                device,
                device_label,
            } => {
                let mut stored = self.usable_invite(&invite, ctx.now)?;
                let device = check_device_id("device", &device)?;
                let member_id = match stored.for_member.clone() {
                    // A device-link ticket: the device joins an existing member.
                    Some(existing) => existing,
                    None => {
                        let id = member.id.clone();
                        self.write(ctx, Command::AddMember(member))?;
                        id
                    }
                };
                let mut added = self.require_active_member(&member_id)?;
                if stored.for_member.is_none() {
                    // Recorded as admitted by whoever writes this change, never by the name
                    // an invite carries: any member's device can write an invite entity
                    // naming someone else as its creator.
                    added.created_by = ctx.by.clone();
                }
                added.devices.insert(
                    device,
                    Device {
                        label: clean_name("device label", &device_label)?,
                        added_at: ctx.now,
                        unlinked_at: None,
                    },
                );
                self.put(&added)?;
                stored.used_by = Some(member_id.clone());
                stored.used_at = Some(ctx.now);
                self.put(&stored)?;
                Ok(member_id.to_string())
            }
            Command::LinkDevice {
                member,
                device,
                label,
            } => {
                let mut stored = self.require_active_member(&member)?;
                let device = check_device_id("device", &device)?;
                stored.devices.insert(
                    device,
                    Device {
                        label: clean_name("device label", &label)?,
                        added_at: ctx.now,
                        unlinked_at: None,
                    },
                );
                self.put(&stored)?;
                Ok(member.to_string())
            }
            Command::UnlinkDevice { member, device } => {
                let mut stored = self.require_active_member(&member)?;
                let entry =
                    stored
                        .devices
                        .get_mut(&device)
                        .ok_or_else(|| CommandError::Invalid {
                            field: "device",
                            reason: format!("{device} is not one of this member's devices"),
                        })?;
                entry.unlinked_at = Some(ctx.now);
                self.put(&stored)?;
                Ok(member.to_string())
            }
            Command::Delete(kind, id) => self.set_tombstone(kind, &id, true),
            Command::Restore(kind, id) => self.set_tombstone(kind, &id, false),
            Command::RestoreAt { heads, target } => self.restore_at(&heads, target),
        }
    }

    fn restore_at(
        &mut self,
        heads: &[automerge::ChangeHash],
        target: crate::history::RestoreTarget,
    ) -> Result<String, CommandError> {
        fn bring_back<T: Entity>(
            present: &mut CommunityDoc,
            past: &CommunityDoc,
            id: &str,
        ) -> Result<(), CommandError> {
            let then = past.get::<T>(id)?.ok_or_else(|| CommandError::Invalid {
                field: "restore",
                reason: format!("{} {id} did not exist at that point", T::KIND),
            })?;
            let now = present.get::<T>(id)?;
            present.put(&T::restored(then, now))?;
            Ok(())
        }
        fn bring_back_kind(
            present: &mut CommunityDoc,
            past: &CommunityDoc,
            kind: EntityKind,
            id: &str,
        ) -> Result<(), CommandError> {
            match kind {
                EntityKind::Invite => Err(CommandError::Invalid {
                    field: "kind",
                    reason: "invites are not restored; make a new one".into(),
                }),
                EntityKind::Member => bring_back::<Member>(present, past, id),
                EntityKind::Event => bring_back::<Event>(present, past, id),
                EntityKind::Note => bring_back::<Note>(present, past, id),
                EntityKind::Resource => bring_back::<Resource>(present, past, id),
                EntityKind::Theme => bring_back::<Theme>(present, past, id),
                EntityKind::Action => bring_back::<Action>(present, past, id),
                EntityKind::Survey => bring_back::<crate::entities::Survey>(present, past, id),
                EntityKind::Story => bring_back::<crate::entities::Story>(present, past, id),
            }
        }
        let past = self.at(heads)?;
        match target {
            crate::history::RestoreTarget::Entity(kind, id) => {
                bring_back_kind(self, &past, kind, &id)?;
                Ok(id)
            }
            crate::history::RestoreTarget::Section(kind) => {
                for id in past.ids(kind)? {
                    bring_back_kind(self, &past, kind, &id)?;
                }
                Ok(String::new())
            }
        }
    }

    fn usable_invite(&self, key: &str, now: Timestamp) -> Result<Invite, CommandError> {
        let invite = self
            .get::<Invite>(key)?
            .ok_or_else(|| CommandError::Unknown {
                kind: EntityKind::Invite,
                id: key.to_owned(),
            })?;
        if invite.revoked {
            return Err(CommandError::InviteUnusable("was withdrawn"));
        }
        if invite.used_by.is_some() {
            return Err(CommandError::InviteUnusable("has already been used"));
        }
        if invite.expires_at <= now {
            return Err(CommandError::InviteUnusable("has expired"));
        }
        Ok(invite)
    }

    fn set_tombstone(
        &mut self,
        kind: EntityKind,
        id: &str,
        deleted: bool,
    ) -> Result<String, CommandError> {
        fn flip<T: Entity>(
            doc: &mut CommunityDoc,
            id: &str,
            deleted: bool,
        ) -> Result<(), CommandError> {
            let mut entity = doc.get::<T>(id)?.ok_or_else(|| CommandError::Unknown {
                kind: T::KIND,
                id: id.to_owned(),
            })?;
            if deleted && entity.is_deleted() {
                return Err(CommandError::Deleted {
                    kind: T::KIND,
                    id: id.to_owned(),
                });
            }
            entity.set_deleted(deleted);
            doc.put(&entity)?;
            Ok(())
        }
        match kind {
            EntityKind::Member | EntityKind::Invite => {
                return Err(CommandError::Invalid {
                    field: "kind",
                    reason: format!("{kind}s are removed or revoked, not deleted"),
                });
            }
            EntityKind::Event => flip::<Event>(self, id, deleted)?,
            EntityKind::Note => flip::<Note>(self, id, deleted)?,
            EntityKind::Resource => flip::<Resource>(self, id, deleted)?,
            EntityKind::Theme => flip::<Theme>(self, id, deleted)?,
            EntityKind::Action => flip::<Action>(self, id, deleted)?,
            EntityKind::Survey => flip::<crate::entities::Survey>(self, id, deleted)?,
            EntityKind::Story => flip::<crate::entities::Story>(self, id, deleted)?,
        }
        Ok(id.to_owned())
    }
}
