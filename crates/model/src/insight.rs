//! What a community can learn about itself: survey results, stories by cycle of value,
//! attendance and theme counts for the dashboard, and the impact report for funders.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::entities::{Question, Story, Survey};
use crate::labels::{Cycle, QuestionKind};
use crate::time::Timestamp;
use crate::view::CommunityView;

/// The tally of one survey question.
#[derive(Clone, Debug, PartialEq)]
pub enum Tally {
    /// How many chose each point of the scale (index 0 is 1), and the mean.
    Scale {
        /// Counts for 1 to 5.
        counts: [usize; 5],
        /// The mean answer, if anyone answered.
        mean: Option<f64>,
    },
    /// How many chose each option, in the question's order.
    Choices(Vec<(String, usize)>),
    /// The free-text answers, oldest first.
    Texts(Vec<String>),
}

/// Every question of a survey with its tally, in order.
pub fn survey_results(survey: &Survey) -> Vec<(&Question, Tally)> {
    let mut responses: Vec<&crate::entities::Response> = survey.responses.values().collect();
    responses.sort_by_key(|r| r.at);
    survey
        .questions
        .iter()
        .map(|(key, question)| {
            let answers = responses.iter().filter_map(|r| r.answers.get(key));
            let tally = match question.kind {
                QuestionKind::Scale => {
                    let mut counts = [0; 5];
                    let mut sum = 0;
                    let mut n = 0;
                    for value in answers.filter_map(|a| a.scale) {
                        if let Some(slot) = usize::try_from(value - 1)
                            .ok()
                            .and_then(|i| counts.get_mut(i))
                        {
                            *slot += 1;
                            sum += value;
                            n += 1;
                        }
                    }
                    Tally::Scale {
                        counts,
                        mean: (n > 0).then(|| sum as f64 / n as f64),
                    }
                }
                QuestionKind::Single | QuestionKind::Multiple => {
                    let mut counts: Vec<(String, usize)> =
                        question.options.iter().map(|o| (o.clone(), 0)).collect();
                    for choice in answers.flat_map(|a| a.choices.iter()) {
                        if let Some(entry) = counts.iter_mut().find(|(o, _)| o == choice) {
                            entry.1 += 1;
                        }
                    }
                    Tally::Choices(counts)
                }
                QuestionKind::Text | QuestionKind::Other(_) => {
                    Tally::Texts(answers.filter_map(|a| a.text.clone()).collect())
                }
            };
            (question, tally)
        })
        .collect()
}

/// Live stories, newest first.
pub fn stories(view: &CommunityView) -> Vec<&Story> {
    let mut stories: Vec<&Story> = view.stories.values().filter(|s| !s.deleted).collect();
    stories.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    stories
}

/// How many stories reach each cycle, per calendar year: `(year, counts in Cycle::ALL order)`.
pub fn stories_by_cycle_and_year(view: &CommunityView) -> Vec<(i32, Vec<usize>)> {
    let mut years: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for story in stories(view) {
        use chrono::Datelike;
        let year = story.created_at.to_utc().year();
        let counts = years
            .entry(year)
            .or_insert_with(|| vec![0; Cycle::ALL.len()]);
        for (index, cycle) in Cycle::ALL.iter().enumerate() {
            if story.cycles.contains(cycle) {
                counts[index] += 1;
            }
        }
    }
    years.into_iter().collect()
}

/// Attendance per past event, oldest first: `(start, title, checked in)`.
pub fn attendance_over_time(
    view: &CommunityView,
    now: Timestamp,
) -> Vec<(Timestamp, String, usize)> {
    let mut events: Vec<(Timestamp, String, usize)> = view
        .past_events(now)
        .into_iter()
        .map(|e| (e.start, e.title.clone(), e.attendance.len()))
        .collect();
    events.reverse();
    events
}

/// Members who came to at least one event or wrote a named note in the `days` before `now`.
pub fn active_members(view: &CommunityView, now: Timestamp, days: i64) -> usize {
    let since = Timestamp::from_millis(now.millis() - days * 86_400_000);
    let mut active = std::collections::BTreeSet::new();
    for event in view
        .events
        .values()
        .filter(|e| !e.deleted && e.start >= since && e.start <= now)
    {
        active.extend(event.attendance.iter());
    }
    for note in view
        .notes
        .values()
        .filter(|n| !n.deleted && n.created_at >= since)
    {
        if let Some(author) = &note.author {
            active.insert(author);
        }
    }
    active.retain(|m| !view.is_removed(m));
    active.len()
}

/// Live themes with their number of notes, most notes first.
pub fn themes_by_notes(view: &CommunityView) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = view
        .live_themes()
        .into_iter()
        .map(|t| (t.name.clone(), view.notes_by_theme(&t.id).len()))
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// The impact report for funders (Markdown): reach, activity, stories by cycle of value
/// with the stories themselves, and the themes the community worked on.
pub fn impact_report(view: &CommunityView, now: Timestamp) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {}: impact report\n", view.community.name);
    let domain = view.community.domain.as_str().trim();
    if !domain.is_empty() {
        let _ = writeln!(md, "{domain}\n");
    }
    let past = attendance_over_time(view, now);
    let attendances: usize = past.iter().map(|(_, _, n)| n).sum();
    let _ = writeln!(md, "## Reach\n");
    let _ = writeln!(md, "- {} members", view.active_members().len());
    let _ = writeln!(
        md,
        "- {} active in the last 90 days",
        active_members(view, now, 90)
    );
    let _ = writeln!(
        md,
        "- {} events held, {attendances} attendances",
        past.len()
    );
    let open = view.open_actions().len();
    let done = view
        .actions
        .values()
        .filter(|a| !a.deleted && a.done)
        .count();
    let _ = writeln!(md, "- {done} actions completed, {open} open\n");

    let stories = stories(view);
    let _ = writeln!(md, "## Value created ({} stories)\n", stories.len());
    for cycle in Cycle::ALL {
        let reaching: Vec<&&Story> = stories
            .iter()
            .filter(|s| s.cycles.contains(cycle))
            .collect();
        let _ = writeln!(md, "### {} ({})\n", cycle.title(), reaching.len());
        for story in reaching {
            let by = story
                .author
                .as_ref()
                .map(|a| view.member_name(a))
                .unwrap_or("a member");
            let _ = writeln!(
                md,
                "- **{}** ({by}): {}",
                story.title,
                story.text.replace('\n', " ")
            );
        }
        md.push('\n');
    }
    let themes = themes_by_notes(view);
    if !themes.is_empty() {
        let _ = writeln!(md, "## What members worked on\n");
        for (name, notes) in themes.iter().take(10) {
            let _ = writeln!(md, "- {name}: {notes} notes");
        }
    }
    md
}
