//! The stable JSON form of a community (`commonroom show --json`, `export --format json`).
//!
//! Schema (version 1; documented in `docs/json-schema.md`): an object with `schema`, `id`,
//! `community`, then one array per collection (`members`, `events`, `notes`, `resources`,
//! `themes`, `actions`), each sorted by id and holding live entities only, then `heads`
//! (sorted hex change hashes). Times are RFC 3339 UTC strings; dates are `YYYY-MM-DD`.

use serde::Serialize;

use crate::conversations::ConversationIndex;
use crate::entities::{Action, Community, Event, Member, Note, Removal, Resource, Theme};
use crate::view::CommunityView;

/// A member as exported: the stored record plus whether they were removed.
#[derive(Serialize)]
struct ExportedMember<'a> {
    #[serde(flatten)]
    member: &'a Member,
    removed: Option<&'a Removal>,
}

#[derive(Serialize)]
struct Export<'a> {
    schema: u64,
    id: &'a str,
    community: &'a Community,
    members: Vec<ExportedMember<'a>>,
    events: Vec<&'a Event>,
    notes: Vec<&'a Note>,
    resources: Vec<&'a Resource>,
    themes: Vec<&'a Theme>,
    actions: Vec<&'a Action>,
    surveys: Vec<&'a crate::entities::Survey>,
    stories: Vec<&'a crate::entities::Story>,
    heads: Vec<String>,
}

/// The community as a JSON value in the stable schema.
pub fn to_value(view: &CommunityView) -> serde_json::Value {
    let export = Export {
        schema: crate::SCHEMA_VERSION,
        id: view.community.id.as_str(),
        community: &view.community,
        members: view
            .members
            .values()
            .map(|member| ExportedMember {
                member,
                removed: view.removals.get(&member.id),
            })
            .collect(),
        events: view.events.values().filter(|e| !e.deleted).collect(),
        notes: view.notes.values().filter(|n| !n.deleted).collect(),
        resources: view.resources.values().filter(|r| !r.deleted).collect(),
        themes: view.themes.values().filter(|t| !t.deleted).collect(),
        actions: view.actions.values().filter(|a| !a.deleted).collect(),
        surveys: view.surveys.values().filter(|s| !s.deleted).collect(),
        stories: view.stories.values().filter(|s| !s.deleted).collect(),
        heads: view.heads.iter().map(|h| h.to_string()).collect(),
    };
    // Serialising plain structs of strings, numbers and maps with string keys cannot fail.
    serde_json::to_value(export).unwrap_or(serde_json::Value::Null)
}

/// The community as pretty-printed JSON text.
pub fn to_string(view: &CommunityView) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(view)).unwrap_or_default();
    text.push('\n');
    text
}

/// The community with its conversation index (`channels`, `threads`: each thread's
/// entry, not its messages, which live in their own documents) as pretty-printed JSON.
pub fn with_conversations(view: &CommunityView, index: &ConversationIndex) -> String {
    let mut value = to_value(view);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "channels".into(),
            serde_json::to_value(&index.channels).unwrap_or_default(),
        );
        map.insert(
            "threads".into(),
            serde_json::to_value(&index.threads).unwrap_or_default(),
        );
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
