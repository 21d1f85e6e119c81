//! What a summary of one event says, gathered once for every way of writing it out
//! (Markdown in [`super::markdown`], plain text for chat apps in [`super::text`]).

use std::collections::BTreeMap;

use crate::entities::Event;
use crate::ids::EventId;
use crate::view::CommunityView;

/// One action agreed at the event, as a summary lists it.
#[derive(Debug)]
pub struct SummaryAction {
    /// What is to be done.
    pub text: String,
    /// Who, by when, and whether it is done, in words ("Sam, by 2027-01-14 (done)").
    pub rest: String,
}

/// The parts of an event's summary for members who could not come.
#[derive(Debug)]
pub struct EventSummary<'a> {
    /// The event.
    pub event: &'a Event,
    /// How many people checked in.
    pub came: usize,
    /// Who facilitated, by name.
    pub facilitator: Option<&'a str>,
    /// The facilitator's written summary (trimmed; empty if none).
    pub summary: &'a str,
    /// The notes by theme name, themes by name first, then "Other notes".
    pub themes: Vec<(String, Vec<&'a str>)>,
    /// The actions agreed, open ones first, by due date.
    pub actions: Vec<SummaryAction>,
    /// Pairing rounds: the round's number and its groups in words.
    pub rounds: Vec<(String, String)>,
    /// The next event after this one.
    pub next: Option<&'a Event>,
}

impl<'a> EventSummary<'a> {
    /// Gathers the summary of event `id`; `None` if there is no such live event.
    pub fn of(view: &'a CommunityView, id: &EventId) -> Option<Self> {
        let event = view.events.get(id).filter(|e| !e.deleted)?;
        let mut by_theme: BTreeMap<String, Vec<&'a str>> = BTreeMap::new();
        for note in view.notes_by_event(&event.id) {
            let theme = note
                .theme
                .as_ref()
                .and_then(|t| view.themes.get(t))
                .filter(|t| !t.deleted)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            by_theme.entry(theme).or_default().push(&note.text);
        }
        let mut themes: Vec<(String, Vec<&str>)> = by_theme.into_iter().collect();
        themes.sort_by_key(|(theme, _)| (theme.is_empty(), theme.to_lowercase()));
        for (theme, _) in &mut themes {
            if theme.is_empty() {
                "Other notes".clone_into(theme);
            }
        }
        let mut actions: Vec<&crate::entities::Action> = view
            .actions
            .values()
            .filter(|a| !a.deleted && a.event.as_ref() == Some(&event.id))
            .collect();
        actions.sort_by_key(|a| (a.done, a.due, a.created_at));
        let actions = actions
            .into_iter()
            .map(|a| {
                let owner = a
                    .owner
                    .as_ref()
                    .map_or("no owner yet", |o| view.member_name(o));
                let due = a.due.map(|d| format!(", by {d}")).unwrap_or_default();
                let done = if a.done { " (done)" } else { "" };
                SummaryAction {
                    text: a.text.clone(),
                    rest: format!("{owner}{due}{done}"),
                }
            })
            .collect();
        let rounds = event
            .rounds
            .iter()
            .map(|(number, round)| {
                (
                    number.trim_start_matches('0').to_owned(),
                    crate::pairing::describe(view, &round.groups),
                )
            })
            .collect();
        let next = view
            .events_by_start()
            .into_iter()
            .find(|e| e.start > event.start && e.id != event.id);
        Some(Self {
            event,
            came: event.attendance.len(),
            facilitator: event.facilitator.as_ref().map(|f| view.member_name(f)),
            summary: event.summary.as_str().trim(),
            themes,
            actions,
            rounds,
            next,
        })
    }

    /// "5 people came." or "1 person came."
    pub fn came_text(&self) -> String {
        let who = if self.came == 1 { "person" } else { "people" };
        format!("{} {who} came.", self.came)
    }

    /// The topic with its label ("Hot Seat topic" for a Hot Seat), if there is one.
    pub fn topic(&self) -> Option<(&'static str, &'a str)> {
        let label = if self.event.format == crate::EventFormat::HotSeat {
            "Hot Seat topic"
        } else {
            "Topic"
        };
        self.event.topic.as_deref().map(|t| (label, t))
    }
}
