//! The library: resources (links, documents) with tags and related themes.

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Resource, Theme};
use crate::error::{CommandError, EntityKind};
use crate::ids::{ResourceId, ThemeId};
use crate::permissions::Permission;

use super::clean::{MAX_TEXT_CHARS, check_len, clean_name, clean_tags, clean_url};
use super::{Ctx, Rule};

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

/// `resource.add`: any member may add a resource.
pub(super) const ADD: Rule<'static> =
    Rule::new(Subject::Resource, Verb::Add, Permission::AnyMember);
/// `resource.edit`: any member may edit a resource.
pub(super) const EDIT: Rule<'static> =
    Rule::new(Subject::Resource, Verb::Edit, Permission::AnyMember);

/// Adds a resource.
pub(super) fn add(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    new: NewResource,
) -> Result<String, CommandError> {
    doc.require_new(EntityKind::Resource, new.id.as_str())?;
    for theme in &new.themes {
        doc.require_live::<Theme>(theme.as_str())?;
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
    doc.put(&resource)?;
    Ok(resource.id.to_string())
}

/// Edits a resource that is not deleted.
pub(super) fn edit(
    doc: &mut CommunityDoc,
    id: ResourceId,
    patch: ResourcePatch,
) -> Result<String, CommandError> {
    let mut resource = doc.require_live::<Resource>(id.as_str())?;
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
            doc.require_live::<Theme>(theme.as_str())?;
        }
        resource.themes = themes.into_iter().collect();
    }
    doc.put(&resource)?;
    Ok(id.to_string())
}
