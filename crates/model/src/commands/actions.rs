//! Action points: what needs doing, by whom and when.

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Action, Event, Theme};
use crate::error::{CommandError, EntityKind};
use crate::ids::{ActionId, EventId, MemberId, ThemeId};
use crate::permissions::Permission;
use crate::time::Day;

use super::clean::{MAX_TEXT_CHARS, clean_text};
use super::{Ctx, Rule};

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

/// `action.add`: any member may add an action point.
pub(super) const ADD: Rule<'static> = Rule::new(Subject::Action, Verb::Add, Permission::AnyMember);
/// `action.edit`: any member may edit an action point (or tick it off).
pub(super) const EDIT: Rule<'static> =
    Rule::new(Subject::Action, Verb::Edit, Permission::AnyMember);

/// Adds an action point.
pub(super) fn add(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    new: NewAction,
) -> Result<String, CommandError> {
    doc.require_new(EntityKind::Action, new.id.as_str())?;
    doc.require_optional_member(new.owner.as_ref())?;
    doc.require_optional_live::<Event>(new.event.as_ref().map(EventId::as_str))?;
    doc.require_optional_live::<Theme>(new.theme.as_ref().map(ThemeId::as_str))?;
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
    doc.put(&action)?;
    Ok(action.id.to_string())
}

/// Edits an action point that is not deleted.
pub(super) fn edit(
    doc: &mut CommunityDoc,
    id: ActionId,
    patch: ActionPatch,
) -> Result<String, CommandError> {
    let mut action = doc.require_live::<Action>(id.as_str())?;
    if let Some(text) = patch.text {
        action.text = clean_text("text", &text, MAX_TEXT_CHARS)?;
    }
    if let Some(owner) = patch.owner {
        doc.require_optional_member(owner.as_ref())?;
        action.owner = owner;
    }
    if let Some(due) = patch.due {
        action.due = due;
    }
    if let Some(done) = patch.done {
        action.done = done;
    }
    doc.put(&action)?;
    Ok(id.to_string())
}
