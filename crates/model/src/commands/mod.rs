//! Typed commands: every change a person can make, validated before it touches the document.
//!
//! [`CommunityDoc::apply`] checks a command against the current document, writes only the
//! entity it touches, and commits one Automerge change. A refused command changes nothing.
//!
//! Commands are grouped by subject, each module owning its input types, its validation and
//! write, the operation its change label records and who may make it:
//! `community`, `members`, `events`, `notes`, `library` (resources), `themes`, `actions`,
//! `surveys`, `stories`, `access` (invites, joining, devices, removal) and `restore`
//! (deleting, undeleting, restoring from history). [`Command::rule`] names every command's
//! [`Rule`] in one match with no catch-all, so a new command does not compile until it has
//! an operation name and a [`Permission`].

use std::collections::BTreeMap;

use automerge::{ActorId, transaction::CommitOptions};

use crate::change_label::{ChangeLabel, Op, Subject, Verb};
use crate::doc::CommunityDoc;
use crate::error::{CommandError, EntityKind};
use crate::ids::{ActionId, EventId, MemberId, NoteId, ResourceId, ThemeId};
use crate::labels::RsvpAnswer;
use crate::permissions::Permission;
use crate::time::Timestamp;

mod access;
mod actions;
pub(crate) mod clean;
mod community;
mod events;
mod library;
mod members;
mod notes;
mod require;
mod restore;
mod stories;
mod surveys;
mod themes;

pub use access::MAX_INVITE_USES;
pub use actions::{ActionPatch, NewAction};
pub use clean::{MAX_LONG_TEXT_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS};
pub use community::CommunityPatch;
pub use events::{EventPatch, NewEvent};
pub use library::{NewResource, ResourcePatch};
pub use members::{MemberPatch, NewMember};
pub use notes::{NewNote, NotePatch};
pub use stories::NewStory;
pub use surveys::{NewQuestion, NewSurvey};
pub use themes::{NewTheme, ThemePatch};

/// Who is making a change, and when.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The member making the change (`None` only before the founder exists).
    pub by: Option<MemberId>,
    /// The time of the change.
    pub now: Timestamp,
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
        /// How many people may join with it (1 to [`MAX_INVITE_USES`]; a device-link
        /// ticket is always for one device).
        uses: u32,
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

/// What the model knows about a command before it runs: the operation its change label
/// records, and who may make it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule<'a> {
    /// The operation recorded in the change label (`note.add`).
    pub op: Op,
    /// Who may make the command.
    pub permission: Permission<'a>,
}

impl<'a> Rule<'a> {
    /// A rule for the operation `subject.verb`.
    pub(crate) const fn new(subject: Subject, verb: Verb, permission: Permission<'a>) -> Self {
        Self {
            op: Op::Known(subject, verb),
            permission,
        }
    }
}

impl Command {
    /// The command's operation and permission, decided by its subject's module.
    ///
    /// One arm per command and no catch-all: adding a command fails to compile until it is
    /// given a rule.
    pub fn rule(&self) -> Rule<'_> {
        match self {
            Self::UpdateCommunity(_) => community::EDIT,
            Self::AddMember(new) => members::add_rule(new),
            Self::ImportMembers(_) => members::IMPORT,
            Self::EditMember(id, patch) => members::edit_rule(id, patch),
            Self::RemoveMember { .. } => access::REMOVE,
            Self::AddEvent(_) => events::ADD,
            Self::EditEvent(..) => events::EDIT,
            Self::Rsvp { .. } => events::RSVP,
            Self::CheckIn { .. } => events::CHECK_IN,
            Self::RecordRound { .. } => events::ROUND,
            Self::AddNote(_) => notes::ADD,
            Self::EditNote(..) => notes::EDIT,
            Self::AddResource(_) => library::ADD,
            Self::EditResource(..) => library::EDIT,
            Self::AddTheme(_) => themes::ADD,
            Self::EditTheme(..) => themes::EDIT,
            Self::AddAction(_) => actions::ADD,
            Self::EditAction(..) => actions::EDIT,
            Self::AddSurvey(_) => surveys::ADD,
            Self::AnswerSurvey { .. } => surveys::ANSWER,
            Self::AddStory(_) => stories::ADD,
            Self::CreateInvite { for_member, .. } => {
                access::create_invite_rule(for_member.as_ref())
            }
            Self::RevokeInvite(key) => access::revoke_invite_rule(key),
            Self::Join { .. } => access::JOIN,
            Self::LinkDevice { member, .. } => access::link_device_rule(member),
            Self::UnlinkDevice { member, .. } => access::unlink_device_rule(member),
            Self::Delete(kind, id) => restore::delete_rule(*kind, id),
            Self::Restore(kind, _) => restore::undelete_rule(*kind),
            Self::RestoreAt { target, .. } => restore::restore_at_rule(target),
        }
    }

    /// The operation recorded in the change label (e.g. `note.add`).
    pub fn op(&self) -> Op {
        self.rule().op
    }

    /// Who may make this command (see [`crate::permissions::Permission`]).
    pub fn permission(&self) -> Permission<'_> {
        self.rule().permission
    }

    /// A short stable name for the command, recorded in the change message (e.g. `note.add`).
    pub fn op_name(&self) -> String {
        self.op().to_string()
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

impl CommunityDoc {
    /// Validates and applies one command as one Automerge change.
    ///
    /// Anonymous notes are written under a one-off random actor id, with no author, a change
    /// message naming only the operation and the note, no change time, and a creation time
    /// and id that carry only the hour, so the document records nothing that links them to
    /// the member or device that wrote them. Edits of an anonymous note are written the same
    /// way (one-off actor, no name, no time).
    pub fn apply(&mut self, ctx: &Ctx, command: Command) -> Result<Applied, CommandError> {
        crate::permissions::check(self, ctx.by.as_ref(), command.permission())?;
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
        let op = command.op();
        // An edit of an anonymous note (moving it into a theme, say) is as anonymous as the
        // note: signed, it would sit in History right under "Someone added the anonymous
        // note" and point at its author, who is often the first to touch it.
        let anonymous = match &command {
            Command::AddNote(n) => n.anonymous,
            Command::EditNote(id, _) => self
                .get::<crate::entities::Note>(id.as_str())
                .ok()
                .flatten()
                .is_some_and(|note| note.author.is_none()),
            _ => false,
        };
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
                        .with_message(ChangeLabel::new(None, op, &id).encode())
                        .with_time(0)
                } else {
                    CommitOptions::default()
                        .with_message(ChangeLabel::new(ctx.by.as_ref(), op, &id).encode())
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

    /// Writes the operations of a command (uncommitted); returns the id it touched (empty
    /// if it touched several).
    fn write(&mut self, ctx: &Ctx, command: Command) -> Result<String, CommandError> {
        match command {
            Command::UpdateCommunity(patch) => community::edit(self, patch),
            Command::AddMember(new) => members::add(self, ctx, new),
            Command::ImportMembers(list) => members::import(self, ctx, list),
            Command::EditMember(id, patch) => members::edit(self, id, patch),
            Command::RemoveMember { id, reason } => access::remove(self, ctx, id, reason),
            Command::AddEvent(new) => events::add(self, ctx, new),
            Command::EditEvent(id, patch) => events::edit(self, id, patch),
            Command::Rsvp {
                event,
                member,
                answer,
            } => events::rsvp(self, event, member, answer),
            Command::CheckIn {
                event,
                member,
                present,
            } => events::check_in(self, event, member, present),
            Command::RecordRound {
                event,
                round,
                groups,
            } => events::record_round(self, ctx, event, round, groups),
            Command::AddNote(new) => notes::add(self, ctx, new),
            Command::EditNote(id, patch) => notes::edit(self, id, patch),
            Command::AddResource(new) => library::add(self, ctx, new),
            Command::EditResource(id, patch) => library::edit(self, id, patch),
            Command::AddTheme(new) => themes::add(self, ctx, new),
            Command::EditTheme(id, patch) => themes::edit(self, id, patch),
            Command::AddAction(new) => actions::add(self, ctx, new),
            Command::EditAction(id, patch) => actions::edit(self, id, patch),
            Command::AddSurvey(new) => surveys::add(self, ctx, new),
            Command::AnswerSurvey {
                survey,
                member,
                answers,
            } => surveys::answer(self, ctx, survey, member, answers),
            Command::AddStory(new) => stories::add(self, ctx, new),
            Command::CreateInvite {
                public_key,
                expires_at,
                for_member,
                uses,
            } => access::create_invite(self, ctx, public_key, expires_at, for_member, uses),
            Command::RevokeInvite(key) => access::revoke_invite(self, ctx, key),
            Command::Join {
                invite,
                member,
                device,
                device_label,
            } => access::join(self, ctx, invite, member, device, device_label),
            Command::LinkDevice {
                member,
                device,
                label,
            } => access::link_device(self, ctx, member, device, label),
            Command::UnlinkDevice { member, device } => {
                access::unlink_device(self, ctx, member, device)
            }
            Command::Delete(kind, id) => restore::set_tombstone(self, kind, &id, true),
            Command::Restore(kind, id) => restore::set_tombstone(self, kind, &id, false),
            Command::RestoreAt { heads, target } => restore::restore_at(self, &heads, target),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::RestoreTarget;
    use crate::labels::{EventFormat, QuestionKind};

    fn new_member(id: &str) -> NewMember {
        NewMember {
            id: MemberId::new(id),
            name: "Sam".into(),
            organisation: None,
            roles: Vec::new(),
            focus: Vec::new(),
            contact: None,
        }
    }

    /// One of every command, with the operation name earlier builds recorded for it.
    fn every_command() -> Vec<(Command, &'static str)> {
        let sam = MemberId::new("sam");
        let at = Timestamp::from_millis(0);
        vec![
            (
                Command::UpdateCommunity(CommunityPatch::default()),
                "community.edit",
            ),
            (Command::AddMember(new_member("sam")), "member.add"),
            (
                Command::ImportMembers(vec![new_member("jo")]),
                "member.import",
            ),
            (
                Command::EditMember(sam.clone(), MemberPatch::default()),
                "member.edit",
            ),
            (
                Command::RemoveMember {
                    id: sam.clone(),
                    reason: None,
                },
                "member.remove",
            ),
            (
                Command::AddEvent(NewEvent {
                    id: EventId::new("e"),
                    title: "Hot seat".into(),
                    format: EventFormat::default(),
                    start: at,
                    end: None,
                    venue: None,
                    call_link: None,
                    topic: None,
                    agenda: String::new(),
                    facilitator: None,
                    note_taker: None,
                }),
                "event.add",
            ),
            (
                Command::EditEvent(EventId::new("e"), EventPatch::default()),
                "event.edit",
            ),
            (
                Command::Rsvp {
                    event: EventId::new("e"),
                    member: sam.clone(),
                    answer: None,
                },
                "event.rsvp",
            ),
            (
                Command::RecordRound {
                    event: EventId::new("e"),
                    round: 1,
                    groups: Vec::new(),
                },
                "event.round",
            ),
            (
                Command::CheckIn {
                    event: EventId::new("e"),
                    member: sam.clone(),
                    present: true,
                },
                "event.check-in",
            ),
            (
                Command::AddNote(NewNote {
                    id: NoteId::new("n"),
                    text: "hi".into(),
                    event: None,
                    theme: None,
                    position: None,
                    anonymous: false,
                }),
                "note.add",
            ),
            (
                Command::EditNote(NoteId::new("n"), NotePatch::default()),
                "note.edit",
            ),
            (
                Command::AddResource(NewResource {
                    id: ResourceId::new("r"),
                    title: "Guide".into(),
                    url: None,
                    description: String::new(),
                    tags: Vec::new(),
                    themes: Vec::new(),
                }),
                "resource.add",
            ),
            (
                Command::EditResource(ResourceId::new("r"), ResourcePatch::default()),
                "resource.edit",
            ),
            (
                Command::AddTheme(NewTheme {
                    id: ThemeId::new("t"),
                    name: "Care".into(),
                    description: String::new(),
                }),
                "theme.add",
            ),
            (
                Command::EditTheme(ThemeId::new("t"), ThemePatch::default()),
                "theme.edit",
            ),
            (
                Command::AddAction(NewAction {
                    id: ActionId::new("a"),
                    text: "Book a room".into(),
                    owner: None,
                    due: None,
                    event: None,
                    theme: None,
                }),
                "action.add",
            ),
            (
                Command::EditAction(ActionId::new("a"), ActionPatch::default()),
                "action.edit",
            ),
            (
                Command::AddSurvey(NewSurvey {
                    id: crate::SurveyId::new("s"),
                    title: "How was it?".into(),
                    description: String::new(),
                    questions: vec![NewQuestion {
                        text: "Rate it".into(),
                        kind: QuestionKind::Scale,
                        options: Vec::new(),
                    }],
                }),
                "survey.add",
            ),
            (
                Command::AnswerSurvey {
                    survey: crate::SurveyId::new("s"),
                    member: sam.clone(),
                    answers: BTreeMap::new(),
                },
                "survey.answer",
            ),
            (
                Command::AddStory(NewStory {
                    id: crate::StoryId::new("st"),
                    title: "We met".into(),
                    text: "And it helped".into(),
                    cycles: Vec::new(),
                    event: None,
                    resources: Vec::new(),
                }),
                "story.add",
            ),
            (
                Command::CreateInvite {
                    public_key: "k".into(),
                    expires_at: at,
                    for_member: None,
                    uses: 1,
                },
                "invite.create",
            ),
            (Command::RevokeInvite("k".into()), "invite.revoke"),
            (
                Command::Join {
                    invite: "k".into(),
                    member: new_member("jo"),
                    device: "d".into(),
                    device_label: "laptop".into(),
                },
                "member.join",
            ),
            (
                Command::LinkDevice {
                    member: sam.clone(),
                    device: "d".into(),
                    label: "l".into(),
                },
                "device.link",
            ),
            (
                Command::UnlinkDevice {
                    member: sam,
                    device: "d".into(),
                },
                "device.unlink",
            ),
            (Command::Delete(EntityKind::Note, "n".into()), "note.delete"),
            (
                Command::Delete(EntityKind::Story, "st".into()),
                "story.delete",
            ),
            (
                Command::Restore(EntityKind::Theme, "t".into()),
                "theme.restore",
            ),
            (
                Command::RestoreAt {
                    heads: Vec::new(),
                    target: RestoreTarget::Entity(EntityKind::Event, "e".into()),
                },
                "event.restore",
            ),
            (
                Command::RestoreAt {
                    heads: Vec::new(),
                    target: RestoreTarget::Section(EntityKind::Note),
                },
                "note.restore",
            ),
        ]
    }

    #[test]
    fn operation_names_are_those_earlier_builds_recorded() {
        for (command, name) in every_command() {
            assert_eq!(command.op_name(), name);
            assert_eq!(command.op(), Op::parse(name), "{name} reads back as known");
            assert!(matches!(command.op(), Op::Known(..)));
        }
    }

    #[test]
    fn only_the_restricted_commands_need_more_than_membership() {
        let sam = MemberId::new("sam");
        let restricted: Vec<String> = every_command()
            .into_iter()
            .filter(|(command, _)| {
                !matches!(
                    command.permission(),
                    Permission::AnyMember | Permission::MemberOrSelfAdding(_)
                )
            })
            .map(|(command, name)| {
                if let Permission::SelfOrSteward { member, .. } = command.permission() {
                    assert_eq!(member, &sam, "{name} concerns sam");
                }
                name.to_owned()
            })
            .collect();
        assert_eq!(
            restricted,
            [
                "member.remove",
                "invite.create",
                "invite.revoke",
                "device.link",
                "device.unlink",
                "note.delete",
                "note.restore",
            ]
        );
    }
}
