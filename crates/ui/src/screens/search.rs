//! The global search (Ctrl+K) over members, resources, events, notes and actions.

use egui::{Context, Ui};

use crate::here::Here;
use crate::tabs::Tab;
use crate::widgets::matches;

/// How many results are listed.
const MAX_RESULTS: usize = 40;

/// The search dialog's state.
#[derive(Default)]
pub struct Search {
    /// What is typed.
    pub query: String,
    /// Put the cursor in the box on the next frame, with what was typed before selected
    /// (typing replaces it; the arrows keep it).
    pub focus: bool,
    /// The result the arrow keys are on; Enter opens it.
    pub selected: usize,
}

/// One search hit.
struct Hit {
    tab: Tab,
    id: String,
    kind: &'static str,
    text: String,
}

fn hits(here: &Here<'_>, query: &str) -> Vec<Hit> {
    let view = here.view;
    let mut out = Vec::new();
    let mut add = |tab, id: String, kind, text: String| {
        if out.len() < MAX_RESULTS {
            out.push(Hit {
                tab,
                id,
                kind,
                text,
            });
        }
    };
    for m in view.active_members() {
        let focus: Vec<&str> = m.focus.iter().map(String::as_str).collect();
        let haystack = format!(
            "{} {} {}",
            m.name,
            m.organisation.as_deref().unwrap_or(""),
            focus.join(" ")
        );
        if matches(&haystack, query) {
            add(Tab::Members, m.id.to_string(), "Member", m.name.clone());
        }
    }
    for r in view.live_resources() {
        let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
        if matches(
            &format!("{} {} {}", r.title, r.description, tags.join(" ")),
            query,
        ) {
            add(
                Tab::Resources,
                r.id.to_string(),
                "Resource",
                r.title.clone(),
            );
        }
    }
    for e in view.events_by_start() {
        if matches(
            &format!("{} {}", e.title, e.venue.as_deref().unwrap_or("")),
            query,
        ) {
            add(Tab::Events, e.id.to_string(), "Event", e.title.clone());
        }
    }
    for t in view.live_themes() {
        if matches(&format!("{} {}", t.name, t.description), query) {
            add(Tab::Themes, t.id.to_string(), "Theme", t.name.clone());
        }
    }
    for a in view.actions.values().filter(|a| !a.deleted) {
        if matches(&a.text, query) {
            add(Tab::Actions, a.id.to_string(), "Action", a.text.clone());
        }
    }
    for n in view.notes.values().filter(|n| !n.deleted) {
        if matches(&n.text, query) {
            // Which meeting it came from, so two notes that read alike can be told apart.
            let from = n
                .event
                .as_ref()
                .and_then(|e| view.events.get(e))
                .map(|e| {
                    let day = e.start.to_utc().with_timezone(&chrono::Local);
                    format!(" — from {}, {}", e.title, day.format("%-d %b %Y"))
                })
                .unwrap_or_default();
            add(
                Tab::Notes,
                format!("{}{}", super::NOTE_PREFIX, n.id),
                "Note",
                format!("{}{from}", n.text),
            );
        }
    }
    out
}

/// Draws the search dialog; returns whether it stays open.
pub fn search_ui(ctx: &Context, search: &mut Search, here: &mut Here<'_>) -> bool {
    let mut open = true;
    let mut chosen = None;
    egui::Window::new("Search")
        .collapsible(false)
        .default_width(460.0)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .open(&mut open)
        .show(ctx, |ui: &mut Ui| {
            let label = ui.label("Search for");
            let before = search.query.clone();
            let mut output = egui::TextEdit::singleline(&mut search.query)
                .hint_text("members, resources, events, notes, actions…")
                .desired_width(f32::INFINITY)
                .show(ui);
            let response = output.response.response.clone().labelled_by(label.id);
            if std::mem::take(&mut search.focus) {
                response.request_focus();
                // What was searched last is selected, ready to be typed over.
                let all = egui::text::CCursorRange::two(
                    egui::text::CCursor::new(0),
                    egui::text::CCursor::new(search.query.chars().count()),
                );
                output.state.cursor.set_char_range(Some(all));
                output.state.store(ui.ctx(), response.id);
            }
            if search.query != before {
                search.selected = 0;
            }
            if search.query.trim().is_empty() {
                ui.weak("Type to search everything in this community.");
                return;
            }
            let found = hits(here, search.query.trim());
            if found.is_empty() {
                ui.weak("Nothing found.");
                return;
            }
            let (down, up) = ui.input_mut(|i| {
                (
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                )
            });
            if down {
                search.selected = (search.selected + 1).min(found.len() - 1);
            }
            if up {
                search.selected = search.selected.saturating_sub(1);
            }
            search.selected = search.selected.min(found.len() - 1);
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.weak("Arrow keys to choose, Enter to open");
            egui::ScrollArea::vertical()
                .max_height(360.0)
                .show(ui, |ui| {
                    for (index, hit) in found.iter().enumerate() {
                        let on = index == search.selected;
                        let row = ui.selectable_label(on, format!("{} · {}", hit.kind, hit.text));
                        if on && (down || up) {
                            row.scroll_to_me(None);
                        }
                        if row.clicked() || (enter && on) {
                            chosen = Some((hit.tab, hit.id.clone()));
                        }
                    }
                });
        });
    if let Some((tab, id)) = chosen {
        here.go(tab, (!id.is_empty()).then_some(id));
        return false;
    }
    open
}
