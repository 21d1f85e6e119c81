//! Value-creation stories: what taking part made possible, and which cycles it reached.

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Event, Resource, Story};
use crate::error::{CommandError, EntityKind};
use crate::ids::{EventId, ResourceId, StoryId};
use crate::labels::Cycle;
use crate::permissions::Permission;

use super::clean::{MAX_LONG_TEXT_CHARS, clean_name, clean_text};
use super::{Ctx, Rule};

/// A value-creation story to add.
#[derive(Clone, Debug)]
pub struct NewStory {
    /// The new story's id.
    pub id: StoryId,
    /// Title.
    pub title: String,
    /// The story.
    pub text: String,
    /// The cycles it reaches.
    pub cycles: Vec<Cycle>,
    /// The event it started from.
    pub event: Option<EventId>,
    /// Resources it involved.
    pub resources: Vec<ResourceId>,
}

/// `story.add`: any member may add a story.
pub(super) const ADD: Rule<'static> = Rule::new(Subject::Story, Verb::Add, Permission::AnyMember);

/// Adds a story.
pub(super) fn add(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    new: NewStory,
) -> Result<String, CommandError> {
    doc.require_new(EntityKind::Story, new.id.as_str())?;
    doc.require_optional_live::<Event>(new.event.as_ref().map(EventId::as_str))?;
    for resource in &new.resources {
        doc.require_live::<Resource>(resource.as_str())?;
    }
    let story = Story {
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
    doc.put(&story)?;
    Ok(story.id.to_string())
}
