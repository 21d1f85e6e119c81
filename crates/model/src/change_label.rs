//! The label every Commonroom change carries in its message: who made it, what was done and
//! to which entity, as JSON (`{"by":MEMBER,"id":ID,"op":OP}`).
//!
//! One type writes it (when a command commits, see [`crate::Command::op`]) and reads it (the
//! activity feed, what a batch of changes touched), so the two cannot drift apart.
//!
//! The wire format is fixed: a label written now is byte-for-byte what earlier builds wrote,
//! and every label earlier (or later) builds wrote still reads. An operation this build does
//! not know, from a newer version, is kept as its text ([`Op::Other`]).

use crate::error::EntityKind;
use crate::ids::MemberId;

/// What a change is about: the first part of an operation name (`note` in `note.add`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The community record.
    Community,
    /// A member (or the member directory).
    Member,
    /// A member's devices.
    Device,
    /// An event.
    Event,
    /// A note.
    Note,
    /// A resource in the library.
    Resource,
    /// A theme.
    Theme,
    /// An action point.
    Action,
    /// An invite.
    Invite,
    /// A survey.
    Survey,
    /// A value-creation story.
    Story,
}

impl Subject {
    /// Every subject.
    pub const ALL: [Subject; 11] = [
        Self::Community,
        Self::Member,
        Self::Device,
        Self::Event,
        Self::Note,
        Self::Resource,
        Self::Theme,
        Self::Action,
        Self::Invite,
        Self::Survey,
        Self::Story,
    ];

    /// The name written in operation names (`note`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::Member => "member",
            Self::Device => "device",
            Self::Event => "event",
            Self::Note => "note",
            Self::Resource => "resource",
            Self::Theme => "theme",
            Self::Action => "action",
            Self::Invite => "invite",
            Self::Survey => "survey",
            Self::Story => "story",
        }
    }

    /// The subject written as `name`, if this build knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The root collection of the document a change about this subject touches (devices
    /// live on their member, so `device` → `members`).
    pub fn collection(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::Member | Self::Device => EntityKind::Member.collection(),
            Self::Event => EntityKind::Event.collection(),
            Self::Note => EntityKind::Note.collection(),
            Self::Resource => EntityKind::Resource.collection(),
            Self::Theme => EntityKind::Theme.collection(),
            Self::Action => EntityKind::Action.collection(),
            Self::Invite => EntityKind::Invite.collection(),
            Self::Survey => EntityKind::Survey.collection(),
            Self::Story => EntityKind::Story.collection(),
        }
    }
}

impl From<EntityKind> for Subject {
    fn from(kind: EntityKind) -> Self {
        match kind {
            EntityKind::Member => Self::Member,
            EntityKind::Event => Self::Event,
            EntityKind::Note => Self::Note,
            EntityKind::Resource => Self::Resource,
            EntityKind::Theme => Self::Theme,
            EntityKind::Action => Self::Action,
            EntityKind::Invite => Self::Invite,
            EntityKind::Survey => Self::Survey,
            EntityKind::Story => Self::Story,
        }
    }
}

/// What was done: the second part of an operation name (`add` in `note.add`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// Created (the community itself, an invite).
    Create,
    /// Added.
    Add,
    /// Imported several at once.
    Import,
    /// Edited.
    Edit,
    /// Removed (a member).
    Remove,
    /// Joined with an invite.
    Join,
    /// Answered an event's invitation.
    Rsvp,
    /// Checked someone in at an event.
    CheckIn,
    /// Recorded a pairing round.
    Round,
    /// Answered a survey.
    Answer,
    /// Linked a device.
    Link,
    /// Unlinked a device.
    Unlink,
    /// Withdrew (an invite).
    Revoke,
    /// Deleted (tombstoned).
    Delete,
    /// Restored (from a tombstone, or from history).
    Restore,
}

impl Verb {
    /// Every verb.
    pub const ALL: [Verb; 15] = [
        Self::Create,
        Self::Add,
        Self::Import,
        Self::Edit,
        Self::Remove,
        Self::Join,
        Self::Rsvp,
        Self::CheckIn,
        Self::Round,
        Self::Answer,
        Self::Link,
        Self::Unlink,
        Self::Revoke,
        Self::Delete,
        Self::Restore,
    ];

    /// The name written in operation names (`check-in`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Add => "add",
            Self::Import => "import",
            Self::Edit => "edit",
            Self::Remove => "remove",
            Self::Join => "join",
            Self::Rsvp => "rsvp",
            Self::CheckIn => "check-in",
            Self::Round => "round",
            Self::Answer => "answer",
            Self::Link => "link",
            Self::Unlink => "unlink",
            Self::Revoke => "revoke",
            Self::Delete => "delete",
            Self::Restore => "restore",
        }
    }

    /// The verb written as `name`, if this build knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// How the activity feed says it ("Sam *added* the note ...").
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Create => "created",
            Self::Add => "added",
            Self::Import => "imported",
            Self::Edit => "edited",
            Self::Remove => "removed",
            Self::Join => "joined with an invite, as",
            Self::Rsvp => "answered the invitation to",
            Self::CheckIn => "checked someone in at",
            Self::Round => "recorded a pairing round at",
            Self::Answer => "answered",
            Self::Link => "linked a device to",
            Self::Unlink => "unlinked a device from",
            Self::Revoke => "withdrew",
            Self::Delete => "deleted",
            Self::Restore => "restored",
        }
    }

    /// Whether a change with this verb brings something new into being (so it has no earlier
    /// state to restore).
    pub fn creates(self) -> bool {
        matches!(self, Self::Add | Self::Create | Self::Import)
    }
}

/// What a change did, as recorded in its label (`note.add`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// An operation this build knows.
    Known(Subject, Verb),
    /// An operation this build does not know (written by a newer version, or another
    /// program), kept exactly as written. [`Op::parse`] only gives this for such text.
    Other(String),
}

impl Op {
    /// The founding change's operation (`community.create`).
    pub const FOUNDING: Op = Op::Known(Subject::Community, Verb::Create);

    /// Reads an operation name; text this build does not know is kept as [`Op::Other`].
    pub fn parse(text: &str) -> Self {
        text.split_once('.')
            .and_then(|(subject, verb)| {
                Some(Self::Known(
                    Subject::from_name(subject)?,
                    Verb::from_name(verb)?,
                ))
            })
            .unwrap_or_else(|| Self::Other(text.to_owned()))
    }

    /// The subject, if this build knows it (also for an unknown verb on a known subject).
    pub fn subject(&self) -> Option<Subject> {
        match self {
            Self::Known(subject, _) => Some(*subject),
            Self::Other(_) => Subject::from_name(self.subject_name()),
        }
    }

    /// The verb, if this build knows it (also for a known verb on an unknown subject).
    pub fn verb(&self) -> Option<Verb> {
        match self {
            Self::Known(_, verb) => Some(*verb),
            Self::Other(_) => Verb::from_name(self.verb_name()),
        }
    }

    /// The subject as written: the text before the first `.` (all of it if there is none).
    pub fn subject_name(&self) -> &str {
        match self {
            Self::Known(subject, _) => subject.name(),
            Self::Other(text) => text.split_once('.').map_or(text.as_str(), |(s, _)| s),
        }
    }

    /// The verb as written: the text after the first `.` (empty if there is none).
    pub fn verb_name(&self) -> &str {
        match self {
            Self::Known(_, verb) => verb.name(),
            Self::Other(text) => text.split_once('.').map_or("", |(_, v)| v),
        }
    }

    /// The root collection the change touched (`note.add` → `notes`), if the subject is known.
    pub fn collection(&self) -> Option<&'static str> {
        self.subject().map(Subject::collection)
    }

    /// Whether the change created what it names (so there is no earlier state of it).
    pub fn creates(&self) -> bool {
        match self {
            Self::Known(Subject::Member, Verb::Join) => true,
            Self::Known(_, verb) => verb.creates(),
            // As earlier builds judged it: by the last part of the name.
            Self::Other(text) => text
                .rsplit_once('.')
                .and_then(|(_, last)| Verb::from_name(last))
                .is_some_and(Verb::creates),
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Known(subject, verb) => write!(f, "{}.{}", subject.name(), verb.name()),
            Self::Other(text) => f.write_str(text),
        }
    }
}

/// The label of one change: who made it, what was done, and which entity it touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeLabel {
    /// The member the writing device says made it (`None` for anonymous notes, and for a
    /// founding written before the founder existed).
    pub by: Option<MemberId>,
    /// What was done.
    pub op: Op,
    /// The entity touched; `None` for a change touching several (an import, a section
    /// restore), so views re-read the whole collection.
    pub id: Option<String>,
}

impl ChangeLabel {
    /// A label; an empty `id` means the change names no single entity.
    pub fn new(by: Option<&MemberId>, op: Op, id: &str) -> Self {
        Self {
            by: by.cloned(),
            op,
            id: (!id.is_empty()).then(|| id.to_owned()),
        }
    }

    /// The change message: `{"by":MEMBER,"id":ID,"op":OP}` as compact JSON (keys in that
    /// order, `null` for a missing member or id). The founding label has never carried an
    /// `id` key and still does not, so a founding gives the same change as before.
    pub fn encode(&self) -> String {
        let by = self.by.as_ref().map(MemberId::as_str);
        let op = self.op.to_string();
        if self.op == Op::FOUNDING {
            serde_json::json!({ "by": by, "op": op }).to_string()
        } else {
            serde_json::json!({ "by": by, "op": op, "id": self.id }).to_string()
        }
    }

    /// Reads a change message. `None` if it is not a Commonroom label (not JSON, or no
    /// operation); a member or id that is not text is read as absent.
    pub fn decode(message: &str) -> Option<Self> {
        let value = serde_json::from_str::<serde_json::Value>(message).ok()?;
        let text = |key: &str| value.get(key).and_then(|v| v.as_str());
        Some(Self {
            op: Op::parse(text("op")?),
            by: text("by").map(MemberId::new),
            id: text("id").map(str::to_owned),
        })
    }

    /// Reads the label of an Automerge change, if it carries one.
    pub fn of(change: &automerge::Change) -> Option<Self> {
        change.message().and_then(Self::decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The change message as `commands.rs` wrote it before [`ChangeLabel`] existed.
    fn old_commit_message_for(by: Option<&MemberId>, op: &str, id: &str) -> String {
        let id = (!id.is_empty()).then_some(id);
        serde_json::json!({ "by": by.map(MemberId::as_str), "op": op, "id": id }).to_string()
    }

    /// The founding message as `commands.rs` wrote it before [`ChangeLabel`] existed.
    fn old_commit_message(by: Option<&MemberId>, op: &str) -> String {
        serde_json::json!({ "by": by.map(MemberId::as_str), "op": op }).to_string()
    }

    #[test]
    fn encodes_byte_for_byte_as_before() {
        let sam = MemberId::new("01SAM");
        let cases: &[(Option<&MemberId>, Op, &str)] = &[
            (Some(&sam), Op::Known(Subject::Note, Verb::Add), "01NOTE"),
            (None, Op::Known(Subject::Note, Verb::Add), "anon-1"),
            (Some(&sam), Op::Known(Subject::Member, Verb::Import), ""),
            (Some(&sam), Op::Known(Subject::Event, Verb::CheckIn), "01EV"),
            (
                Some(&sam),
                Op::Known(Subject::Device, Verb::Unlink),
                "01SAM",
            ),
            (Some(&sam), Op::Known(Subject::Theme, Verb::Restore), ""),
        ];
        for (by, op, id) in cases {
            let label = ChangeLabel::new(*by, op.clone(), id);
            assert_eq!(
                label.encode(),
                old_commit_message_for(*by, &op.to_string(), id)
            );
            assert_eq!(ChangeLabel::decode(&label.encode()), Some(label));
        }
        assert_eq!(
            ChangeLabel::new(Some(&sam), Op::Known(Subject::Note, Verb::Add), "01NOTE").encode(),
            r#"{"by":"01SAM","id":"01NOTE","op":"note.add"}"#
        );
        assert_eq!(
            ChangeLabel::new(None, Op::Known(Subject::Member, Verb::Import), "").encode(),
            r#"{"by":null,"id":null,"op":"member.import"}"#
        );
        let founding = ChangeLabel::new(Some(&sam), Op::FOUNDING, "");
        assert_eq!(
            founding.encode(),
            old_commit_message(Some(&sam), "community.create")
        );
        assert_eq!(
            founding.encode(),
            r#"{"by":"01SAM","op":"community.create"}"#
        );
        assert_eq!(ChangeLabel::decode(&founding.encode()), Some(founding));
    }

    #[test]
    fn reads_old_and_foreign_messages() {
        let label = ChangeLabel::decode(r#"{"by":"01SAM","op":"member.remove","id":"01MO"}"#)
            .expect("a label");
        assert_eq!(label.by, Some(MemberId::new("01SAM")));
        assert_eq!(label.op, Op::Known(Subject::Member, Verb::Remove));
        assert_eq!(label.id.as_deref(), Some("01MO"));

        let newer = ChangeLabel::decode(r#"{"by":null,"id":null,"op":"note.pin"}"#).unwrap();
        assert_eq!(newer.op, Op::Other("note.pin".into()));
        assert_eq!(newer.op.to_string(), "note.pin");
        assert_eq!(newer.op.collection(), Some("notes"));
        assert_eq!(newer.op.verb(), None);
        assert_eq!(
            newer.encode(),
            r#"{"by":null,"id":null,"op":"note.pin"}"#,
            "an unknown operation is kept as written"
        );
        assert_eq!(Op::parse("gadget").subject_name(), "gadget");
        assert_eq!(Op::parse("gadget").verb_name(), "");
        assert!(Op::parse("gadget.add").creates());
        assert!(Op::parse("member.join").creates());
        assert!(!Op::parse("note.edit").creates());

        assert_eq!(ChangeLabel::decode("not json"), None);
        assert_eq!(ChangeLabel::decode(r#"{"by":"01SAM"}"#), None);
    }

    #[test]
    fn every_name_reads_back() {
        for subject in Subject::ALL {
            assert_eq!(Subject::from_name(subject.name()), Some(subject));
        }
        for verb in Verb::ALL {
            assert_eq!(Verb::from_name(verb.name()), Some(verb));
        }
        for kind in EntityKind::RESTORABLE {
            assert_eq!(Subject::from(kind).name(), kind.name());
        }
    }
}
