//! "Since the last meeting": new threads, busy ones and questions still waiting for an
//! answer, for members who read nothing in between, as Markdown or as plain text for chat
//! apps and email.

use std::fmt::Write;

use chrono::TimeZone;

use crate::conversations::{ConversationIndex, ThreadEntry};
use crate::ids::{ChannelId, MemberId};
use crate::time::Timestamp;
use crate::view::CommunityView;

/// How far back a digest looks when the community has not met yet: 30 days.
const NO_MEETING_LOOKBACK_MS: i64 = 30 * 86_400_000;

/// What a digest lists, gathered once for both forms.
#[derive(Debug)]
pub struct Digest<'a> {
    /// The community's name.
    pub community: &'a str,
    /// From when.
    pub since: Timestamp,
    /// The meeting it counts from, if it counts from one.
    pub meeting: Option<&'a str>,
    /// Threads started since then, newest first.
    pub new: Vec<&'a ThreadEntry>,
    /// Older threads with new messages since then.
    pub busy: Vec<&'a ThreadEntry>,
    /// Questions not answered yet (whenever asked), oldest first.
    pub open: Vec<&'a ThreadEntry>,
    view: &'a CommunityView,
    index: &'a ConversationIndex,
}

impl<'a> Digest<'a> {
    /// The digest since `since`, or since the start of the last meeting before `now` (30
    /// days when there was none).
    pub fn gather(
        view: &'a CommunityView,
        index: &'a ConversationIndex,
        since: Option<Timestamp>,
        now: Timestamp,
    ) -> Self {
        let last_meeting = view
            .events
            .values()
            .filter(|e| !e.deleted && e.start < now)
            .max_by_key(|e| e.start);
        let (since, meeting) = match since {
            Some(since) => (since, None),
            None => match last_meeting {
                Some(event) => (event.start, Some(event.title.as_str())),
                None => (
                    Timestamp::from_millis(now.millis() - NO_MEETING_LOOKBACK_MS),
                    None,
                ),
            },
        };
        let new: Vec<&ThreadEntry> = index
            .threads
            .iter()
            .filter(|t| t.created_at >= since)
            .collect();
        let busy = index
            .threads
            .iter()
            .filter(|t| t.created_at < since && t.last_activity >= since)
            .collect();
        let mut open: Vec<&ThreadEntry> = index.open_questions().collect();
        open.sort_by_key(|t| t.created_at);
        Self {
            community: view.community.name.as_str(),
            since,
            meeting,
            new,
            busy,
            open,
            view,
            index,
        }
    }

    /// Nothing new and nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.busy.is_empty() && self.open.is_empty()
    }

    fn name(&self, member: Option<&MemberId>) -> String {
        member
            .and_then(|m| self.view.members.get(m))
            .map_or_else(|| "someone".to_owned(), |m| m.name.clone())
    }

    fn channel(&self, id: &ChannelId) -> String {
        self.index
            .channels
            .iter()
            .find(|c| &c.id == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    }

    fn line(&self, thread: &ThreadEntry) -> String {
        let kind = match (thread.question, thread.answer.is_some()) {
            (true, true) => ", answered",
            (true, false) => ", a question",
            (false, _) => "",
        };
        format!(
            "{} (#{}, {}{kind})",
            thread.title,
            self.channel(&thread.channel),
            self.name(thread.created_by.as_ref())
        )
    }

    fn heading<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let date = self.since.to_utc().with_timezone(tz).format("%a %-d %b %Y");
        match self.meeting {
            Some(meeting) => format!("since {meeting} ({date})"),
            None => format!("since {date}"),
        }
    }

    /// The digest as Markdown, dates in `tz`.
    pub fn markdown<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        self.render(
            tz,
            Marks {
                title: ("# ", ""),
                section: ("## ", "\n"),
                bullet: "- ",
            },
        )
    }

    /// The digest as plain text for WhatsApp or an email (WhatsApp's `*bold*` headings),
    /// dates in `tz`.
    pub fn text<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        self.render(
            tz,
            Marks {
                title: ("*", "*"),
                section: ("*", "*"),
                bullet: "• ",
            },
        )
    }

    fn render<Tz: TimeZone>(&self, tz: &Tz, marks: Marks) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let (open, close) = marks.title;
        let mut out = format!(
            "{open}{}: conversations {}{close}\n\n",
            self.community,
            self.heading(tz)
        );
        if self.is_empty() {
            out.push_str("Nothing new, and no question is waiting for an answer.\n");
            return out;
        }
        for (title, threads) in [
            ("New threads", &self.new),
            ("Busy threads", &self.busy),
            ("Questions waiting for an answer", &self.open),
        ] {
            if threads.is_empty() {
                continue;
            }
            let (open, close) = marks.section;
            let _ = writeln!(out, "{open}{title}{close}");
            for thread in threads.iter() {
                let _ = writeln!(out, "{}{}", marks.bullet, self.line(thread));
            }
            out.push('\n');
        }
        out
    }
}

/// How a form marks a title, a section heading and a list item.
struct Marks {
    title: (&'static str, &'static str),
    section: (&'static str, &'static str),
    bullet: &'static str,
}
