//! CSV export of one table of a community (members, events, notes, resources, themes, actions).

use std::str::FromStr;

use crate::view::CommunityView;

/// Which table to export as CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Active members.
    Members,
    /// Live events.
    Events,
    /// Live notes.
    Notes,
    /// Live resources.
    Resources,
    /// Live themes.
    Themes,
    /// Live action points.
    Actions,
}

impl FromStr for Table {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_lowercase().as_str() {
            "members" => Ok(Self::Members),
            "events" => Ok(Self::Events),
            "notes" => Ok(Self::Notes),
            "resources" => Ok(Self::Resources),
            "themes" => Ok(Self::Themes),
            "actions" => Ok(Self::Actions),
            other => Err(format!(
                "{other:?} is not a table; use members, events, notes, resources, themes or actions"
            )),
        }
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join("; ")
}

/// The table as CSV text with a header row (RFC 4180 quoting).
pub fn table(view: &CommunityView, table: Table) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
    match table {
        Table::Members => {
            rows.push(
                [
                    "id",
                    "name",
                    "organisation",
                    "roles",
                    "focus",
                    "contact",
                    "joined",
                ]
                .map(String::from)
                .to_vec(),
            );
            for m in view.active_members() {
                rows.push(vec![
                    m.id.to_string(),
                    m.name.clone(),
                    opt(m.organisation.as_deref()),
                    join(m.roles.iter().map(|r| r.label())),
                    join(m.focus.iter().map(String::as_str)),
                    opt(m.contact.as_deref()),
                    m.joined_at.to_rfc3339(),
                ]);
            }
        }
        Table::Events => {
            rows.push(
                [
                    "id",
                    "title",
                    "format",
                    "start",
                    "end",
                    "venue",
                    "call_link",
                    "facilitator",
                    "going",
                    "attended",
                ]
                .map(String::from)
                .to_vec(),
            );
            for e in view.events_by_start() {
                rows.push(vec![
                    e.id.to_string(),
                    e.title.clone(),
                    e.format.label().to_owned(),
                    e.start.to_rfc3339(),
                    e.end.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    opt(e.venue.as_deref()),
                    opt(e.call_link.as_deref()),
                    e.facilitator
                        .as_ref()
                        .map(|f| view.member_name(f).to_owned())
                        .unwrap_or_default(),
                    e.rsvps
                        .values()
                        .filter(|a| **a == crate::RsvpAnswer::Yes)
                        .count()
                        .to_string(),
                    e.attendance.len().to_string(),
                ]);
            }
        }
        Table::Notes => {
            rows.push(
                ["id", "text", "author", "event", "theme", "created"]
                    .map(String::from)
                    .to_vec(),
            );
            for n in view.notes.values().filter(|n| !n.deleted) {
                rows.push(vec![
                    n.id.to_string(),
                    n.text.clone(),
                    n.author
                        .as_ref()
                        .map_or("anonymous".to_owned(), |a| view.member_name(a).to_owned()),
                    n.event
                        .as_ref()
                        .and_then(|e| view.events.get(e))
                        .map(|e| e.title.clone())
                        .unwrap_or_default(),
                    n.theme
                        .as_ref()
                        .and_then(|t| view.themes.get(t))
                        .map(|t| t.name.clone())
                        .unwrap_or_default(),
                    n.created_at.to_rfc3339(),
                ]);
            }
        }
        Table::Resources => {
            rows.push(
                ["id", "title", "url", "description", "tags"]
                    .map(String::from)
                    .to_vec(),
            );
            for r in view.live_resources() {
                rows.push(vec![
                    r.id.to_string(),
                    r.title.clone(),
                    opt(r.url.as_deref()),
                    r.description.clone(),
                    join(r.tags.iter().map(String::as_str)),
                ]);
            }
        }
        Table::Themes => {
            rows.push(
                ["id", "name", "description", "notes"]
                    .map(String::from)
                    .to_vec(),
            );
            for t in view.live_themes() {
                rows.push(vec![
                    t.id.to_string(),
                    t.name.clone(),
                    t.description.clone(),
                    view.notes_by_theme(&t.id).len().to_string(),
                ]);
            }
        }
        Table::Actions => {
            rows.push(
                ["id", "text", "owner", "due", "done"]
                    .map(String::from)
                    .to_vec(),
            );
            for a in view.actions.values().filter(|a| !a.deleted) {
                rows.push(vec![
                    a.id.to_string(),
                    a.text.clone(),
                    a.owner
                        .as_ref()
                        .map(|o| view.member_name(o).to_owned())
                        .unwrap_or_default(),
                    a.due.map(|d| d.to_string()).unwrap_or_default(),
                    if a.done { "yes" } else { "no" }.to_owned(),
                ]);
            }
        }
    }
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to an in-memory buffer cannot fail.
        let _ = writer.write_record(&row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
