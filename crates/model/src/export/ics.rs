//! iCalendar (RFC 5545) export of a community's events, for ordinary calendar programs.

use std::fmt::Write;

use crate::entities::Event;
use crate::time::Timestamp;
use crate::view::CommunityView;

/// All live events of the community as one `VCALENDAR`, with CRLF line ends and folded lines.
///
/// `stamp` is the DTSTAMP of every event (the time the export was made).
pub fn calendar(view: &CommunityView, stamp: Timestamp) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Commonroom//Commonroom//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", escape(&view.community.name)),
    ];
    for event in view.events_by_start() {
        event_lines(view, event, stamp, &mut lines);
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        out.push_str(&fold(&line));
    }
    out
}

fn event_lines(view: &CommunityView, event: &Event, stamp: Timestamp, lines: &mut Vec<String>) {
    lines.push("BEGIN:VEVENT".to_owned());
    lines.push(format!("UID:{}@commonroom", event.id));
    lines.push(format!("DTSTAMP:{}", utc(stamp)));
    lines.push(format!("CREATED:{}", utc(event.created_at)));
    lines.push(format!("DTSTART:{}", utc(event.start)));
    if let Some(end) = event.end {
        lines.push(format!("DTEND:{}", utc(end)));
    }
    lines.push(format!("SUMMARY:{}", escape(&event.title)));
    let location = event.venue.as_deref().or(event.call_link.as_deref());
    if let Some(location) = location {
        lines.push(format!("LOCATION:{}", escape(location)));
    }
    if let Some(link) = &event.call_link {
        lines.push(format!("URL:{}", link));
    }
    lines.push(format!("CATEGORIES:{}", escape(event.format.title())));
    let mut description = format!("Format: {}", event.format.title());
    if let Some(facilitator) = &event.facilitator {
        let _ = write!(
            description,
            "\nFacilitator: {}",
            view.member_name(facilitator)
        );
    }
    if let Some(link) = &event.call_link {
        let _ = write!(description, "\nJoin: {link}");
    }
    if !event.agenda.as_str().trim().is_empty() {
        let _ = write!(description, "\n\nAgenda:\n{}", event.agenda.as_str().trim());
    }
    lines.push(format!("DESCRIPTION:{}", escape(&description)));
    lines.push("END:VEVENT".to_owned());
}

/// A UTC date-time in iCalendar's basic form, e.g. `20261203T180000Z`.
fn utc(time: Timestamp) -> String {
    time.to_utc().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character, ending with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}
