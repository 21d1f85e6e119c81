//! A Markdown overview of a community that reads well to a person (for email, WhatsApp, funders).

use std::fmt::Write;

use crate::entities::Event;
use crate::export::summary::EventSummary;
use crate::time::Timestamp;
use crate::view::CommunityView;

/// Escapes characters that Markdown would otherwise treat as formatting in inline text.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

fn when(event: &Event) -> String {
    let start = event.start.to_utc();
    let mut text = start.format("%a %-d %b %Y, %H:%M").to_string();
    if let Some(end) = event.end {
        let end = end.to_utc();
        if end.date_naive() == start.date_naive() {
            let _ = write!(text, "–{}", end.format("%H:%M"));
        } else {
            let _ = write!(text, " – {}", end.format("%a %-d %b %Y, %H:%M"));
        }
    }
    text.push_str(" UTC");
    text
}

fn event_line(view: &CommunityView, event: &Event) -> String {
    let mut line = format!(
        "- **{}** — {} ({})",
        inline(&event.title),
        when(event),
        event.format.title()
    );
    if let Some(venue) = &event.venue {
        let _ = write!(line, ", {}", inline(venue));
    }
    if let Some(link) = &event.call_link {
        let _ = write!(line, ", <{link}>");
    }
    if let Some(f) = &event.facilitator {
        let _ = write!(line, "; facilitated by {}", inline(view.member_name(f)));
    }
    line
}

/// The whole community as a Markdown document; `now` splits upcoming from past events.
pub fn overview(view: &CommunityView, now: Timestamp) -> String {
    let mut md = String::new();
    let c = &view.community;
    let _ = writeln!(md, "# {}\n", inline(&c.name));
    if !c.domain.as_str().trim().is_empty() {
        let _ = writeln!(md, "{}\n", c.domain.as_str().trim());
    }
    if !c.terms.as_str().trim().is_empty() {
        let _ = writeln!(md, "## Terms of Reference\n\n{}\n", c.terms.as_str().trim());
    }

    let members = view.active_members();
    let _ = writeln!(md, "## Members ({})\n", members.len());
    for m in &members {
        let mut line = format!("- **{}**", inline(&m.name));
        if let Some(org) = &m.organisation {
            let _ = write!(line, ", {}", inline(org));
        }
        let roles: Vec<&str> = m
            .roles
            .iter()
            .map(|r| r.label())
            .filter(|r| *r != "member")
            .collect();
        if !roles.is_empty() {
            let _ = write!(line, " — {}", roles.join(", "));
        }
        if !m.focus.is_empty() {
            let focus: Vec<String> = m.focus.iter().map(|f| inline(f)).collect();
            let _ = write!(line, " (focus: {})", focus.join(", "));
        }
        let _ = writeln!(md, "{line}");
    }
    md.push('\n');

    let upcoming = view.upcoming_events(now);
    if !upcoming.is_empty() {
        let _ = writeln!(md, "## Upcoming events\n");
        if let Some(next) = view.next_facilitator(now) {
            let _ = writeln!(
                md,
                "Next to facilitate: {}\n",
                inline(view.member_name(next))
            );
        }
        for e in upcoming {
            let _ = writeln!(md, "{}", event_line(view, e));
        }
        md.push('\n');
    }
    let past = view.past_events(now);
    if !past.is_empty() {
        let _ = writeln!(md, "## Past events\n");
        for e in past {
            let _ = writeln!(md, "{}", event_line(view, e));
            if !e.attendance.is_empty() {
                let _ = writeln!(md, "  - {} attended", e.attendance.len());
            }
            let summary = e.summary.as_str().trim();
            if !summary.is_empty() {
                for line in summary.lines() {
                    let _ = writeln!(md, "  > {line}");
                }
            }
        }
        md.push('\n');
    }

    let themes = view.live_themes();
    if !themes.is_empty() {
        let _ = writeln!(md, "## Themes\n");
        for t in themes {
            let notes = view.notes_by_theme(&t.id);
            let count = match notes.len() {
                1 => "1 note".to_owned(),
                n => format!("{n} notes"),
            };
            let _ = writeln!(md, "### {} ({count})\n", inline(&t.name));
            if !t.description.is_empty() {
                let _ = writeln!(md, "{}\n", t.description);
            }
            for n in notes {
                let _ = writeln!(md, "- {}", inline(&n.text));
            }
            md.push('\n');
        }
    }

    let open = view.open_actions();
    if !open.is_empty() {
        let _ = writeln!(md, "## Open actions\n");
        for a in open {
            let mut line = format!("- [ ] {}", inline(&a.text));
            if let Some(owner) = &a.owner {
                let _ = write!(line, " — {}", inline(view.member_name(owner)));
            }
            if let Some(due) = a.due {
                let _ = write!(line, " (due {due})");
            }
            let _ = writeln!(md, "{line}");
        }
        md.push('\n');
    }

    let resources = view.live_resources();
    if !resources.is_empty() {
        let _ = writeln!(md, "## Resources\n");
        for r in resources {
            let title = inline(&r.title);
            let mut line = match &r.url {
                Some(url) => format!("- [{title}]({url})"),
                None => format!("- {title}"),
            };
            if !r.description.is_empty() {
                let _ = write!(line, " — {}", inline(&r.description));
            }
            let _ = writeln!(md, "{line}");
        }
        md.push('\n');
    }
    let trimmed = md.trim_end().len();
    md.truncate(trimmed);
    md.push('\n');
    md
}

/// A short Markdown summary of one event for members who could not come: when and where
/// (in UTC), how many came, the Hot Seat topic, the themes with their notes, the actions
/// with owners, the pairing rounds, and the next event. `None` if there is no such live
/// event. For chat apps, [`super::text::event_summary`] gives plain text in local time.
pub fn event_summary(view: &CommunityView, id: &crate::ids::EventId) -> Option<String> {
    let parts = EventSummary::of(view, id)?;
    let event = parts.event;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", inline(&event.title));
    let mut line = format!("{} · {}", event.format.title(), when(event));
    if let Some(venue) = &event.venue {
        let _ = write!(line, " · {}", inline(venue));
    }
    let _ = writeln!(md, "{line}\n");
    let _ = writeln!(
        md,
        "**{}**{}\n",
        parts.came_text(),
        parts
            .facilitator
            .map(|f| format!(" Facilitated by {}.", inline(f)))
            .unwrap_or_default()
    );
    if let Some((label, topic)) = parts.topic() {
        let _ = writeln!(md, "**{label}:** {}\n", inline(topic));
    }
    if !parts.summary.is_empty() {
        let _ = writeln!(md, "{}\n", parts.summary);
    }
    if !parts.themes.is_empty() {
        let _ = writeln!(md, "## What came up\n");
        for (theme, texts) in &parts.themes {
            let _ = writeln!(md, "### {} ({})\n", inline(theme), texts.len());
            for text in texts {
                let _ = writeln!(md, "- {}", inline(text));
            }
            md.push('\n');
        }
    }
    if !parts.actions.is_empty() {
        let _ = writeln!(md, "## Actions\n");
        for action in &parts.actions {
            let _ = writeln!(md, "- {} — {}", inline(&action.text), inline(&action.rest));
        }
        md.push('\n');
    }
    if !parts.rounds.is_empty() {
        let _ = writeln!(md, "## Rapid pairing\n");
        for (number, groups) in &parts.rounds {
            let _ = writeln!(md, "- Round {number}: {}", inline(groups));
        }
        md.push('\n');
    }
    if let Some(next) = parts.next {
        let _ = writeln!(
            md,
            "**Next:** {}",
            event_line(view, next).trim_start_matches("- ")
        );
    }
    Some(md)
}
