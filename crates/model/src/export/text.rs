//! Plain text for chat apps and email: no Markdown marks (WhatsApp shows `#` and `**` as
//! typed), WhatsApp's own `*bold*` for headings, and times in the reader's time zone.

use std::fmt::Write;

use chrono::TimeZone;

use crate::entities::Event;
use crate::export::summary::EventSummary;
use crate::view::CommunityView;

/// When an event is, in `tz`: "Tue 14 Jan 2027, 18:30–20:00".
pub fn when<Tz: TimeZone>(event: &Event, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let start = event.start.to_utc().with_timezone(tz);
    let mut text = start.format("%a %-d %b %Y, %H:%M").to_string();
    if let Some(end) = event.end {
        let end = end.to_utc().with_timezone(tz);
        if end.date_naive() == start.date_naive() {
            let _ = write!(text, "–{}", end.format("%H:%M"));
        } else {
            let _ = write!(text, " – {}", end.format("%a %-d %b %Y, %H:%M"));
        }
    }
    text
}

/// The summary of one event for members who could not come, as plain text to paste into
/// WhatsApp or an email, with times in `tz` (the reader's: pass `chrono::Local`). `None` if
/// there is no such live event.
pub fn event_summary<Tz: TimeZone>(
    view: &CommunityView,
    id: &crate::ids::EventId,
    tz: &Tz,
) -> Option<String>
where
    Tz::Offset: std::fmt::Display,
{
    let parts = EventSummary::of(view, id)?;
    let event = parts.event;
    let mut out = String::new();
    let _ = writeln!(out, "*{}*", event.title.trim());
    let mut line = format!("{} · {}", event.format.title(), when(event, tz));
    if let Some(venue) = &event.venue {
        let _ = write!(line, " · {venue}");
    }
    let _ = writeln!(out, "{line}\n");
    let _ = write!(out, "{}", parts.came_text());
    if let Some(facilitator) = parts.facilitator {
        let _ = write!(out, " Facilitated by {facilitator}.");
    }
    out.push_str("\n\n");
    if let Some((label, topic)) = parts.topic() {
        let _ = writeln!(out, "{label}: {topic}\n");
    }
    if !parts.summary.is_empty() {
        let _ = writeln!(out, "{}\n", parts.summary);
    }
    if !parts.themes.is_empty() {
        let _ = writeln!(out, "*What came up*");
        for (theme, texts) in &parts.themes {
            let _ = writeln!(out, "\n{theme} ({}):", texts.len());
            for text in texts {
                let _ = writeln!(out, "• {}", text.replace('\n', " "));
            }
        }
        out.push('\n');
    }
    if !parts.actions.is_empty() {
        let _ = writeln!(out, "*Actions*");
        for action in &parts.actions {
            let _ = writeln!(out, "• {} — {}", action.text, action.rest);
        }
        out.push('\n');
    }
    if !parts.rounds.is_empty() {
        let _ = writeln!(out, "*Rapid pairing*");
        for (number, groups) in &parts.rounds {
            let _ = writeln!(out, "• Round {number}: {groups}");
        }
        out.push('\n');
    }
    if let Some(next) = parts.next {
        let mut line = format!("Next: {}, {}", next.title.trim(), when(next, tz));
        if let Some(venue) = &next.venue {
            let _ = write!(line, ", {venue}");
        }
        let _ = writeln!(out, "{line}");
    }
    Some(out)
}
