//! Themes: the clusters notes, resources and actions are gathered under.

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::Theme;
use crate::error::{CommandError, EntityKind};
use crate::ids::ThemeId;
use crate::permissions::Permission;

use super::clean::{MAX_TEXT_CHARS, check_len, clean_name};
use super::{Ctx, Rule};

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

/// `theme.add`: any member may add a theme.
pub(super) const ADD: Rule<'static> = Rule::new(Subject::Theme, Verb::Add, Permission::AnyMember);
/// `theme.edit`: any member may edit a theme.
pub(super) const EDIT: Rule<'static> = Rule::new(Subject::Theme, Verb::Edit, Permission::AnyMember);

/// Adds a theme.
pub(super) fn add(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    new: NewTheme,
) -> Result<String, CommandError> {
    doc.require_new(EntityKind::Theme, new.id.as_str())?;
    let theme = Theme {
        name: clean_name("name", &new.name)?,
        description: new.description.trim().to_owned(),
        created_by: ctx.by.clone(),
        created_at: ctx.now,
        deleted: false,
        id: new.id,
    };
    check_len("description", &theme.description, MAX_TEXT_CHARS)?;
    doc.put(&theme)?;
    Ok(theme.id.to_string())
}

/// Edits a theme that is not deleted.
pub(super) fn edit(
    doc: &mut CommunityDoc,
    id: ThemeId,
    patch: ThemePatch,
) -> Result<String, CommandError> {
    let mut theme = doc.require_live::<Theme>(id.as_str())?;
    if let Some(name) = patch.name {
        theme.name = clean_name("name", &name)?;
    }
    if let Some(description) = patch.description {
        check_len("description", description.trim(), MAX_TEXT_CHARS)?;
        theme.description = description.trim().to_owned();
    }
    doc.put(&theme)?;
    Ok(id.to_string())
}
