//! Keeping what a conversation found: an answered thread saved as a library resource or
//! recorded as a value-creation story, in one step.

use super::entities::ThreadEntry;
use super::read::ThreadView;
use crate::commands::{NewResource, NewStory};
use crate::ids::{MemberId, ResourceId, StoryId};

/// Most characters of a thread kept (a resource's description and a story's text hold
/// up to 10,000).
const KEPT_CHARS: usize = 9_000;

/// The thread as text: the opening message, then the answer if one is marked, else every
/// reply; each with who wrote it (`name` gives a member's name).
pub fn kept_text(
    entry: &ThreadEntry,
    thread: &ThreadView,
    name: impl Fn(&MemberId) -> String,
) -> String {
    let who = |by: Option<&MemberId>| by.map_or_else(|| "Someone".to_owned(), &name);
    let live: Vec<_> = thread.messages.iter().filter(|m| !m.deleted).collect();
    let mut text = String::new();
    if let Some(first) = live.first() {
        text.push_str(&format!(
            "{} asked: {}\n",
            who(first.by.as_ref()),
            first.text
        ));
    }
    let answer = entry
        .answer
        .as_ref()
        .and_then(|a| live.iter().find(|m| &m.id == a));
    match answer {
        Some(answer) => text.push_str(&format!(
            "\nAnswer from {}: {}\n",
            who(answer.by.as_ref()),
            answer.text
        )),
        None => {
            for reply in live.iter().skip(1) {
                text.push_str(&format!("\n{}: {}\n", who(reply.by.as_ref()), reply.text));
            }
        }
    }
    if text.chars().count() > KEPT_CHARS {
        text = text.chars().take(KEPT_CHARS).collect::<String>() + "…";
    }
    text.trim_end().to_owned()
}

/// The thread as a library resource (no link; its tags and theme carried over).
pub fn as_resource(
    entry: &ThreadEntry,
    thread: &ThreadView,
    name: impl Fn(&MemberId) -> String,
) -> NewResource {
    NewResource {
        id: ResourceId::generate(),
        title: entry.title.clone(),
        url: None,
        description: kept_text(entry, thread, name),
        tags: entry.tags.iter().cloned().collect(),
        themes: entry.theme.iter().cloned().collect(),
    }
}

/// The thread as a value-creation story (its cycles of value are for the teller to add).
pub fn as_story(
    entry: &ThreadEntry,
    thread: &ThreadView,
    name: impl Fn(&MemberId) -> String,
) -> NewStory {
    NewStory {
        id: StoryId::generate(),
        title: entry.title.clone(),
        text: kept_text(entry, thread, name),
        cycles: Vec::new(),
        event: entry.agenda.clone(),
        resources: Vec::new(),
    }
}
