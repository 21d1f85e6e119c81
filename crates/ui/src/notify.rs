//! Desktop notifications: when a sync brings a mention of this member, a reply to them or an
//! answer to their question and the window is not in front, one notification tells of it.
//! Several arriving together (a laptop back from a week away) make one notification, not
//! one each. A muted channel tells nothing (the node leaves it out). A machine with no
//! notification service does without: the failure is logged, never shown.
//!
//! Architecture invariant: the UI thread never waits for the notification service; the
//! batching is [`Batch`], plain data tested on its own, and delivery runs on a blocking task.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use commonroom_node::{Event, NodeHandle, Notice, NoticeKind};
use tokio::sync::broadcast;

/// How long a batch waits for more after the last arrival.
pub const QUIET: Duration = Duration::from_secs(2);
/// How long a batch waits at most after its first arrival.
pub const MOST_WAIT: Duration = Duration::from_secs(10);
/// How many notices a notification lists by name before "and N more".
const LISTED: usize = 3;

/// One desktop notification, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The first line.
    pub summary: String,
    /// The text under it.
    pub body: String,
}

/// Notices gathered until quiet for [`QUIET`] (or [`MOST_WAIT`] after the first).
#[derive(Debug, Default)]
pub struct Batch {
    notices: Vec<Notice>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Batch {
    /// Adds what arrived at `now`.
    pub fn add(&mut self, notices: Vec<Notice>, now: Instant) {
        if notices.is_empty() {
            return;
        }
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.notices.extend(notices);
    }

    /// When the batch is to be told, if it holds anything.
    pub fn due_at(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + QUIET).min(first + MOST_WAIT))
    }

    /// The notification for everything gathered, if it is due at `now`; the batch empties.
    pub fn take_due(&mut self, now: Instant, community: &str) -> Option<Message> {
        if self.due_at()? > now {
            return None;
        }
        let notices = std::mem::take(&mut self.notices);
        self.first = None;
        self.last = None;
        message(&notices, community)
    }
}

fn who(notice: &Notice) -> &str {
    notice.by.as_deref().unwrap_or("Someone")
}

/// The words of one notification for `notices` from `community`.
pub fn message(notices: &[Notice], community: &str) -> Option<Message> {
    match notices {
        [] => None,
        [one] => {
            let summary = match one.kind {
                NoticeKind::Mention => format!("{} mentioned you in “{}”", who(one), one.title),
                NoticeKind::Reply => format!("{} replied in “{}”", who(one), one.title),
                NoticeKind::Answer => {
                    format!("{} answered your question “{}”", who(one), one.title)
                }
            };
            Some(Message {
                summary,
                body: one.excerpt.clone(),
            })
        }
        many => {
            let mut lines: Vec<String> = many
                .iter()
                .take(LISTED)
                .map(|n| format!("{} in “{}”: {}", who(n), n.title, n.excerpt))
                .collect();
            if many.len() > LISTED {
                lines.push(format!("and {} more", many.len() - LISTED));
            }
            Some(Message {
                summary: format!("{} new messages for you in {community}", many.len()),
                body: lines.join("\n"),
            })
        }
    }
}

/// Shows `message` on the desktop, on a blocking task; no service means no notification.
fn show(message: Message) {
    tokio::task::spawn_blocking(move || {
        let shown = notify_rust::Notification::new()
            .appname("Commonroom")
            .summary(&message.summary)
            .body(&message.body)
            .icon("commonroom")
            .show();
        if let Err(error) = shown {
            tracing::debug!(%error, "no desktop notification (no notification service?)");
        }
    });
}

/// Watches the node for news while the window is not in front, and tells it.
pub struct Notifier {
    focused: Arc<AtomicBool>,
}

impl Notifier {
    /// Starts watching `node` on `runtime`.
    pub fn start(node: NodeHandle, runtime: &tokio::runtime::Handle) -> Self {
        let focused = Arc::new(AtomicBool::new(true));
        let events = node.subscribe();
        runtime.spawn(watch(node, events, Arc::clone(&focused)));
        Self { focused }
    }

    /// Tells whether the window is in front now (called every frame).
    pub fn set_focused(&self, focused: bool) {
        self.focused.store(focused, Ordering::Relaxed);
    }
}

async fn watch(node: NodeHandle, mut events: broadcast::Receiver<Event>, focused: Arc<AtomicBool>) {
    let mut batch = Batch::default();
    let mut community = None;
    loop {
        let wait = batch.due_at().map_or(Duration::from_secs(3600), |at| {
            at.saturating_duration_since(Instant::now())
        });
        tokio::select! {
            event = events.recv() => match event {
                Ok(Event::Talked { community: id, doc, remote: true }) => {
                    // Asked even when in front, so what was on screen is not told later.
                    let Ok(notices) = node.notices(id.clone(), doc).await else {
                        continue;
                    };
                    if !focused.load(Ordering::Relaxed) {
                        batch.add(notices, Instant::now());
                        community = Some(id);
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = tokio::time::sleep(wait) => {
                let name = match &community {
                    Some(id) => node
                        .list()
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .find(|(c, _)| c == id)
                        .map_or_else(|| "Commonroom".to_owned(), |(_, name)| name),
                    None => "Commonroom".to_owned(),
                };
                if let Some(message) = batch.take_due(Instant::now(), &name) {
                    show(message);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonroom_model::ThreadId;

    fn notice(kind: NoticeKind, by: &str, title: &str) -> Notice {
        Notice {
            kind,
            thread: ThreadId::new("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
            title: title.into(),
            by: Some(by.into()),
            excerpt: "Try the council's welfare rights team".into(),
        }
    }

    #[test]
    fn one_notice_says_who_and_why() {
        let m = message(
            &[notice(NoticeKind::Answer, "Ana", "Benefits appeal")],
            "Family Hub",
        )
        .unwrap();
        assert_eq!(m.summary, "Ana answered your question “Benefits appeal”");
        assert_eq!(m.body, "Try the council's welfare rights team");
        let m = message(&[notice(NoticeKind::Mention, "Bo", "Rota")], "Family Hub").unwrap();
        assert_eq!(m.summary, "Bo mentioned you in “Rota”");
    }

    #[test]
    fn many_arriving_together_make_one_notification_when_quiet() {
        let start = Instant::now();
        let mut batch = Batch::default();
        assert_eq!(batch.due_at(), None);
        for (i, by) in ["Ana", "Bo", "Cy", "Di", "Ed"].iter().enumerate() {
            let at = start + Duration::from_millis(300 * i as u64);
            batch.add(vec![notice(NoticeKind::Reply, by, "Rota")], at);
            assert_eq!(batch.take_due(at, "Family Hub"), None, "told before quiet");
        }
        let last = start + Duration::from_millis(1200);
        assert_eq!(batch.due_at(), Some(last + QUIET));
        let m = batch.take_due(last + QUIET, "Family Hub").unwrap();
        assert_eq!(m.summary, "5 new messages for you in Family Hub");
        assert!(m.body.ends_with("and 2 more"), "{}", m.body);
        assert_eq!(batch.due_at(), None, "emptied");
    }

    #[test]
    fn a_steady_trickle_is_told_after_the_longest_wait() {
        let start = Instant::now();
        let mut batch = Batch::default();
        for i in 0..30 {
            batch.add(
                vec![notice(NoticeKind::Reply, "Ana", "Rota")],
                start + Duration::from_secs(i),
            );
        }
        assert_eq!(batch.due_at(), Some(start + MOST_WAIT));
    }
}
