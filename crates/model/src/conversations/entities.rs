//! What conversations are made of: channels and the thread index (in the conversation
//! index document), and messages (each thread in its own document).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use crate::ids::{ChannelId, EventId, MemberId, MessageId, ThemeId, ThreadId};
use crate::set::Set;
use crate::time::Timestamp;

fn is_false(value: &bool) -> bool {
    !*value
}

/// The reactions a message can get: a small fixed set, each with the word a screen
/// reader says and the command line accepts.
pub const REACTIONS: [(&str, &str); 6] = [
    ("👍", "thumbs-up"),
    ("❤️", "heart"),
    ("🎉", "celebrate"),
    ("🙏", "thanks"),
    ("💡", "idea"),
    ("👀", "looking"),
];

/// The reaction named by its emoji or its word (`👍` or `thumbs-up`), as its emoji.
pub fn reaction(name: &str) -> Option<&'static str> {
    let name = name.trim();
    REACTIONS
        .iter()
        .find(|(emoji, word)| *emoji == name || word.eq_ignore_ascii_case(name))
        .map(|(emoji, _)| *emoji)
}

/// A channel: a place for threads on one broad subject.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Channel {
    /// The channel's id (`general` and `announcements` for the two every community has).
    pub id: ChannelId,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub about: String,
    /// Only facilitators and the core group start threads here (members still reply).
    #[serde(skip_serializing_if = "is_false")]
    pub stewards_only: bool,
    /// Who added it (`None` for the two every community starts with).
    pub created_by: Option<MemberId>,
    /// When.
    pub created_at: Timestamp,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// One thread as the index lists it: enough to show and order threads without opening
/// their documents.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct ThreadEntry {
    /// The thread's id (its document is `thread-<id>`).
    pub id: ThreadId,
    /// The channel it is in.
    pub channel: ChannelId,
    /// Its title.
    pub title: String,
    /// A question (it can be marked answered), or a discussion.
    #[serde(skip_serializing_if = "is_false")]
    pub question: bool,
    /// Tags the asker picked (they help find helpers).
    pub tags: Set<String>,
    /// Who started it.
    pub created_by: Option<MemberId>,
    /// When.
    pub created_at: Timestamp,
    /// The time of its newest message, within [`super::commands::ACTIVITY_STEP_MS`] (a
    /// reply sooner after it does not move it; newest wins when two replies cross).
    pub last_activity: Timestamp,
    /// The message that answered the question, once marked.
    pub answer: Option<MessageId>,
    /// Who wrote that answer (for "what each person has helped with").
    pub answered_by: Option<MemberId>,
    /// Pinned to the top of its channel by a steward.
    #[serde(skip_serializing_if = "is_false")]
    pub pinned: bool,
    /// Put on this event's agenda ("bring to the next meeting").
    pub agenda: Option<EventId>,
    /// Opened from this theme of a meeting.
    pub theme: Option<ThemeId>,
    /// Tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}

impl ThreadEntry {
    /// A question not yet marked answered.
    pub fn is_open_question(&self) -> bool {
        self.question && self.answer.is_none() && !self.deleted
    }
}

/// A facilitator's introduction of two members to each other.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Introduction {
    /// One of the two.
    pub first: MemberId,
    /// The other.
    pub second: MemberId,
}

/// One message of a thread (the first one is the thread's opening post).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Message {
    /// The message's id.
    pub id: MessageId,
    /// Its thread.
    pub thread: ThreadId,
    /// Who wrote it.
    pub by: Option<MemberId>,
    /// What it says (empty once deleted).
    pub text: String,
    /// The message it answers, quoted above it.
    pub reply_to: Option<MessageId>,
    /// Members it mentions (`@Name`).
    pub mentions: Set<MemberId>,
    /// Reactions: emoji to who reacted so.
    pub reactions: BTreeMap<String, Set<MemberId>>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it was last edited, if it was.
    pub edited_at: Option<Timestamp>,
    /// When this message introduces two members, which two.
    pub introduces: Option<Introduction>,
    /// Tombstone: the text is gone, the place in the thread stays.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
}
