//! Notes: the post-its of a session, named or anonymous, clustered into themes.

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Event, Note, Position, Theme};
use crate::error::{CommandError, EntityKind};
use crate::ids::{EventId, NoteId, ThemeId};
use crate::permissions::Permission;
use crate::time::Timestamp;

use super::clean::{MAX_TEXT_CHARS, clean_text};
use super::{Ctx, Rule};

/// A note to add.
#[derive(Clone, Debug)]
pub struct NewNote {
    /// The new note's id. An anonymous note gets one chosen by the model instead (carrying
    /// only the hour, see [`NoteId::anonymous`]); [`Applied::id`](super::Applied::id) names it.
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

/// `note.add`: any member may add a note.
pub(super) const ADD: Rule<'static> = Rule::new(Subject::Note, Verb::Add, Permission::AnyMember);
/// `note.edit`: any member may edit a note (move it, cluster it, fix its text).
pub(super) const EDIT: Rule<'static> = Rule::new(Subject::Note, Verb::Edit, Permission::AnyMember);

/// Who may hide (delete) a note: its author or a moderator.
pub(super) fn hide_permission(note: &str) -> Permission<'_> {
    Permission::NoteAuthorOrModerator {
        note,
        refused: "only the note's author or a moderator can hide a note",
    }
}

/// Adds a note; an anonymous one gets an id and a creation time carrying only the hour.
pub(super) fn add(doc: &mut CommunityDoc, ctx: &Ctx, new: NewNote) -> Result<String, CommandError> {
    const HOUR_MS: i64 = 3_600_000;
    let (id, created_at) = if new.anonymous {
        // Only the hour: an exact time could be matched against who was typing.
        let hour = ctx.now.millis().div_euclid(HOUR_MS) * HOUR_MS;
        let id = NoteId::anonymous(u64::try_from(hour).unwrap_or(0));
        (id, Timestamp::from_millis(hour))
    } else {
        (new.id, ctx.now)
    };
    doc.require_new(EntityKind::Note, id.as_str())?;
    doc.require_optional_live::<Event>(new.event.as_ref().map(EventId::as_str))?;
    doc.require_optional_live::<Theme>(new.theme.as_ref().map(ThemeId::as_str))?;
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
    doc.put(&note)?;
    Ok(note.id.to_string())
}

/// Edits a note that is not deleted.
pub(super) fn edit(
    doc: &mut CommunityDoc,
    id: NoteId,
    patch: NotePatch,
) -> Result<String, CommandError> {
    let mut note = doc.require_live::<Note>(id.as_str())?;
    if let Some(text) = patch.text {
        note.text = clean_text("text", &text, MAX_TEXT_CHARS)?;
    }
    if let Some(event) = patch.event {
        doc.require_optional_live::<Event>(event.as_ref().map(EventId::as_str))?;
        note.event = event;
    }
    if let Some(theme) = patch.theme {
        doc.require_optional_live::<Theme>(theme.as_ref().map(ThemeId::as_str))?;
        note.theme = theme;
    }
    if let Some(position) = patch.position {
        note.position = position;
    }
    doc.put(&note)?;
    Ok(id.to_string())
}
