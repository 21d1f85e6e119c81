//! [`Converse`]: every change a person makes to the community's conversations, validated
//! against the community document (who may do what) and written to the conversation index
//! and one thread's document.

use super::doc::{CHANNELS, MESSAGES, SideDoc, THREADS};
use super::entities::{Channel, Introduction, Message, ThreadEntry, reaction};
use super::key::DocKey;
use crate::commands::Ctx;
use crate::commands::clean::{MAX_NAME_CHARS, MAX_TEXT_CHARS, check_len, clean_name, clean_text};
use crate::doc::CommunityDoc;
use crate::entities::{Event, Theme};
use crate::error::CommandError;
use crate::ids::{ChannelId, EventId, MemberId, MessageId, ThemeId, ThreadId};
use crate::permissions::{Permission, check};
use crate::set::Set;

/// Most members one message mentions.
pub const MAX_MENTIONS: usize = 50;
/// Most tags one question carries.
pub const MAX_TAGS: usize = 10;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 60;
/// How far a thread's listed last activity lags its newest message at most: a reply moves it
/// only when it comes this long after it, so a lively exchange writes the conversation
/// index about once in ten minutes instead of with every reply (the index is what a new
/// member loads first). The thread's own messages always carry their exact times.
pub const ACTIVITY_STEP_MS: i64 = 10 * 60_000;
/// Longest message, in characters (a longer paste is refused whole and stays in its box).
pub const MAX_MESSAGE_CHARS: usize = MAX_TEXT_CHARS;

/// A channel to add.
#[derive(Clone, Debug)]
pub struct NewChannel {
    /// Its id.
    pub id: ChannelId,
    /// Its name (unique among the community's channels, whatever the case).
    pub name: String,
    /// What it is for.
    pub about: String,
    /// Only stewards start threads in it.
    pub stewards_only: bool,
}

/// A thread to start, with its opening message.
#[derive(Clone, Debug)]
pub struct NewThread {
    /// The thread's id.
    pub id: ThreadId,
    /// Its opening message's id.
    pub first: MessageId,
    /// The channel.
    pub channel: ChannelId,
    /// The title.
    pub title: String,
    /// The opening message.
    pub text: String,
    /// A question rather than a discussion.
    pub question: bool,
    /// Tags (for finding helpers).
    pub tags: Vec<String>,
    /// Members mentioned in the opening message.
    pub mentions: Vec<MemberId>,
    /// The meeting theme it continues, if it was opened from one.
    pub theme: Option<ThemeId>,
}

/// A reply to a thread.
#[derive(Clone, Debug)]
pub struct NewReply {
    /// The reply's id.
    pub id: MessageId,
    /// The thread.
    pub thread: ThreadId,
    /// What it says.
    pub text: String,
    /// The message it answers (quoted), if any.
    pub reply_to: Option<MessageId>,
    /// Members mentioned.
    pub mentions: Vec<MemberId>,
}

/// A facilitator's introduction of two members, posted in a thread.
#[derive(Clone, Debug)]
pub struct NewIntroduction {
    /// The message's id.
    pub id: MessageId,
    /// The thread it is posted in.
    pub thread: ThreadId,
    /// One member.
    pub first: MemberId,
    /// The other.
    pub second: MemberId,
    /// Why they should talk.
    pub reason: String,
}

/// Every change a person can make to the conversations.
#[derive(Clone, Debug)]
pub enum Converse {
    /// A steward adds a channel.
    AddChannel(NewChannel),
    /// Start a thread (a discussion or a question).
    StartThread(NewThread),
    /// Reply in a thread.
    Reply(NewReply),
    /// Add (`on`) or take back a reaction.
    React {
        /// The thread.
        thread: ThreadId,
        /// The message.
        message: MessageId,
        /// The reaction, as its emoji or its word (see [`super::entities::REACTIONS`]).
        emoji: String,
        /// Add it, or take it back.
        on: bool,
    },
    /// Edit one's own message.
    Edit {
        /// The thread.
        thread: ThreadId,
        /// The message.
        message: MessageId,
        /// The new text.
        text: String,
    },
    /// Delete one's own message (a moderator may delete anyone's).
    Delete {
        /// The thread.
        thread: ThreadId,
        /// The message.
        message: MessageId,
    },
    /// Mark a question answered by one of its messages, or open again (`None`).
    MarkAnswered {
        /// The thread.
        thread: ThreadId,
        /// The answering message.
        answer: Option<MessageId>,
    },
    /// A steward pins a thread to the top of its channel, or unpins it.
    Pin {
        /// The thread.
        thread: ThreadId,
        /// Pinned or not.
        pinned: bool,
    },
    /// A facilitator introduces two members.
    Introduce(NewIntroduction),
    /// Put a thread on a meeting's agenda (the event's agenda is written by the caller as
    /// a community command; this records it on the thread).
    BringToMeeting {
        /// The thread.
        thread: ThreadId,
        /// The meeting.
        event: EventId,
    },
}

impl Converse {
    /// The thread whose document this command writes, if it writes one.
    pub fn thread(&self) -> Option<&ThreadId> {
        match self {
            Self::AddChannel(_) => None,
            Self::StartThread(new) => Some(&new.id),
            Self::Reply(reply) => Some(&reply.thread),
            Self::Introduce(intro) => Some(&intro.thread),
            Self::React { thread, .. }
            | Self::Edit { thread, .. }
            | Self::Delete { thread, .. }
            | Self::MarkAnswered { thread, .. }
            | Self::Pin { thread, .. }
            | Self::BringToMeeting { thread, .. } => Some(thread),
        }
    }

    /// Whether the command needs the thread's messages (not only its index entry).
    pub fn reads_messages(&self) -> bool {
        !matches!(
            self,
            Self::AddChannel(_) | Self::Pin { .. } | Self::BringToMeeting { .. }
        )
    }
}

/// The documents a conversation command reads and writes.
pub struct Docs<'a> {
    /// The community document (members and roles; read only).
    pub community: &'a CommunityDoc,
    /// The conversation index.
    pub index: &'a mut SideDoc,
    /// The thread's document, when the command has a thread.
    pub thread: Option<&'a mut SideDoc>,
}

/// What a conversation command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversed {
    /// The id of what it made or changed (a thread, a message, a channel).
    pub id: String,
    /// The documents it wrote, each with one new change.
    pub wrote: Vec<DocKey>,
}

fn not_found(what: &'static str, id: &str) -> CommandError {
    CommandError::NotFound {
        what,
        id: id.to_owned(),
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> CommandError {
    CommandError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A message's text: trimmed, not empty, at most [`MAX_MESSAGE_CHARS`].
fn clean_message(text: &str) -> Result<String, CommandError> {
    clean_text("message", text, MAX_MESSAGE_CHARS)
}

/// Mentioned members: each a member not removed, at most [`MAX_MENTIONS`].
fn clean_mentions(
    community: &CommunityDoc,
    mentions: &[MemberId],
) -> Result<Set<MemberId>, CommandError> {
    if mentions.len() > MAX_MENTIONS {
        return Err(invalid(
            "mentions",
            format!("name more than {MAX_MENTIONS} people"),
        ));
    }
    let mut set = Set::new();
    for member in mentions {
        community.require_active_member(member)?;
        set.insert(member.clone());
    }
    Ok(set)
}

fn clean_tags(tags: &[String]) -> Result<Set<String>, CommandError> {
    let mut set = Set::new();
    for tag in tags {
        let tag = clean_name("tag", tag.trim_start_matches('#'))?.to_lowercase();
        check_len("tag", &tag, MAX_TAG_CHARS)?;
        set.insert(tag);
    }
    if set.len() > MAX_TAGS {
        return Err(invalid("tags", format!("are more than {MAX_TAGS}")));
    }
    Ok(set)
}

fn entry(index: &SideDoc, thread: &ThreadId) -> Result<ThreadEntry, CommandError> {
    match index.get::<ThreadEntry>(THREADS, thread.as_str())? {
        Some(entry) if !entry.deleted => Ok(entry),
        _ => Err(not_found("thread", thread.as_str())),
    }
}

fn message(doc: &SideDoc, id: &MessageId) -> Result<Message, CommandError> {
    doc.get::<Message>(MESSAGES, id.as_str())?
        .ok_or_else(|| not_found("message", id.as_str()))
}

fn live_message(doc: &SideDoc, id: &MessageId) -> Result<Message, CommandError> {
    let found = message(doc, id)?;
    if found.deleted {
        return Err(invalid(
            "message",
            "was deleted, so it can no longer be replied to, reacted to or edited",
        ));
    }
    Ok(found)
}

/// Applies a conversation command: validated first, then one change to each document
/// written. A refused command changes nothing.
pub fn apply(docs: Docs<'_>, ctx: &Ctx, command: Converse) -> Result<Conversed, CommandError> {
    let Docs {
        community,
        index,
        thread,
    } = docs;
    let by = ctx.by.as_ref();
    check(community, by, Permission::AnyMember)?;
    let needs_thread = command.thread().is_some() && command.reads_messages();
    let mut thread_doc = match (thread, needs_thread) {
        (Some(doc), true) => Some(doc),
        (None, true) => {
            return Err(not_found(
                "thread",
                command.thread().map_or("", ThreadId::as_str),
            ));
        }
        (_, false) => None,
    };
    let result = write(community, index, thread_doc.as_deref_mut(), ctx, command);
    if result.is_err() {
        index.rollback();
        if let Some(doc) = thread_doc {
            doc.rollback();
        }
    }
    result
}

fn write(
    community: &CommunityDoc,
    index: &mut SideDoc,
    mut thread_doc: Option<&mut SideDoc>,
    ctx: &Ctx,
    command: Converse,
) -> Result<Conversed, CommandError> {
    let by = ctx.by.as_ref();
    let now = ctx.now;
    let index_key = DocKey::Conversations;
    match command {
        Converse::AddChannel(new) => {
            check(
                community,
                by,
                Permission::Steward("only facilitators and the core group can add channels"),
            )?;
            let name = clean_name("channel name", &new.name)?;
            let taken = index
                .all::<Channel>(CHANNELS)?
                .into_iter()
                .any(|c| !c.deleted && c.name.eq_ignore_ascii_case(&name));
            if taken {
                return Err(invalid(
                    "channel name",
                    format!("\"{name}\" is already taken"),
                ));
            }
            if index.get::<Channel>(CHANNELS, new.id.as_str())?.is_some() {
                return Err(invalid("channel", "already exists"));
            }
            let about = new.about.trim().to_owned();
            check_len("description", &about, MAX_TEXT_CHARS)?;
            let channel = Channel {
                id: new.id.clone(),
                name,
                about,
                stewards_only: new.stewards_only,
                created_by: by.cloned(),
                created_at: now,
                deleted: false,
            };
            index.put(CHANNELS, new.id.as_str(), &channel)?;
            index.commit(by, "channel.add", new.id.as_str(), now);
            Ok(Conversed {
                id: new.id.to_string(),
                wrote: vec![index_key],
            })
        }
        Converse::StartThread(new) => {
            let channel = index
                .get::<Channel>(CHANNELS, new.channel.as_str())?
                .filter(|c| !c.deleted)
                .ok_or_else(|| not_found("channel", new.channel.as_str()))?;
            if channel.stewards_only {
                check(
                    community,
                    by,
                    Permission::Steward(
                        "only facilitators and the core group start threads in this channel; you can reply to them",
                    ),
                )?;
            }
            let title = clean_name("title", &new.title)?;
            check_len("title", &title, MAX_NAME_CHARS)?;
            let text = clean_message(&new.text)?;
            let mentions = clean_mentions(community, &new.mentions)?;
            let tags = clean_tags(&new.tags)?;
            if let Some(theme) = &new.theme {
                community.require_optional_live::<Theme>(Some(theme.as_str()))?;
            }
            if index
                .get::<ThreadEntry>(THREADS, new.id.as_str())?
                .is_some()
            {
                return Err(invalid("thread", "already exists"));
            }
            let doc = thread_doc
                .as_deref_mut()
                .ok_or_else(|| not_found("thread", new.id.as_str()))?;
            let first = Message {
                id: new.first.clone(),
                thread: new.id.clone(),
                by: by.cloned(),
                text,
                reply_to: None,
                mentions,
                reactions: Default::default(),
                created_at: now,
                edited_at: None,
                introduces: None,
                deleted: false,
            };
            let entry = ThreadEntry {
                id: new.id.clone(),
                channel: new.channel,
                title,
                question: new.question,
                tags,
                created_by: by.cloned(),
                created_at: now,
                last_activity: now,
                answer: None,
                answered_by: None,
                pinned: false,
                agenda: None,
                theme: new.theme,
                deleted: false,
            };
            doc.put(MESSAGES, new.first.as_str(), &first)?;
            index.put(THREADS, new.id.as_str(), &entry)?;
            doc.commit(by, "message.add", new.first.as_str(), now);
            index.commit(by, "thread.start", new.id.as_str(), now);
            Ok(Conversed {
                id: new.id.to_string(),
                wrote: vec![index_key, DocKey::Thread(new.id)],
            })
        }
        Converse::Reply(reply) => {
            let doc = thread_doc.ok_or_else(|| not_found("thread", reply.thread.as_str()))?;
            let entry = entry(index, &reply.thread)?;
            let text = clean_message(&reply.text)?;
            let mentions = clean_mentions(community, &reply.mentions)?;
            if let Some(quoted) = &reply.reply_to {
                live_message(doc, quoted)?;
            }
            post(
                doc,
                index,
                entry,
                by,
                now,
                Message {
                    id: reply.id,
                    thread: reply.thread,
                    by: by.cloned(),
                    text,
                    reply_to: reply.reply_to,
                    mentions,
                    reactions: Default::default(),
                    created_at: now,
                    edited_at: None,
                    introduces: None,
                    deleted: false,
                },
            )
        }
        Converse::Introduce(intro) => {
            check(
                community,
                by,
                Permission::Steward(
                    "only facilitators and the core group introduce members to each other",
                ),
            )?;
            if intro.first == intro.second {
                return Err(invalid("introduction", "needs two different members"));
            }
            let doc = thread_doc.ok_or_else(|| not_found("thread", intro.thread.as_str()))?;
            let entry = entry(index, &intro.thread)?;
            let reason = clean_message(&intro.reason)?;
            let name = |id: &MemberId| -> Result<String, CommandError> {
                Ok(community.require_active_member(id)?.name)
            };
            let (first, second) = (name(&intro.first)?, name(&intro.second)?);
            let text = format!("@{first}, meet @{second}: {reason}");
            check_len("message", &text, MAX_MESSAGE_CHARS)?;
            let mentions: Set<MemberId> = [intro.first.clone(), intro.second.clone()]
                .into_iter()
                .collect();
            post(
                doc,
                index,
                entry,
                by,
                now,
                Message {
                    id: intro.id,
                    thread: intro.thread,
                    by: by.cloned(),
                    text,
                    reply_to: None,
                    mentions,
                    reactions: Default::default(),
                    created_at: now,
                    edited_at: None,
                    introduces: Some(Introduction {
                        first: intro.first,
                        second: intro.second,
                    }),
                    deleted: false,
                },
            )
        }
        Converse::React {
            thread,
            message: id,
            emoji,
            on,
        } => {
            let doc = thread_doc.ok_or_else(|| not_found("thread", thread.as_str()))?;
            let emoji = reaction(&emoji).ok_or_else(|| {
                invalid(
                    "reaction",
                    format!(
                        "must be one of {}",
                        super::entities::REACTIONS
                            .iter()
                            .map(|(e, w)| format!("{e} ({w})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let mut found = live_message(doc, &id)?;
            let me = by
                .cloned()
                .ok_or_else(|| invalid("reaction", "needs a member"))?;
            let who = found.reactions.entry(emoji.to_owned()).or_default();
            let changed = if on { who.insert(me) } else { who.remove(&me) };
            if who.is_empty() {
                found.reactions.remove(emoji);
            }
            if changed {
                doc.put(MESSAGES, id.as_str(), &found)?;
                doc.commit(by, "message.react", id.as_str(), now);
            }
            Ok(Conversed {
                id: id.to_string(),
                wrote: if changed {
                    vec![DocKey::Thread(thread)]
                } else {
                    Vec::new()
                },
            })
        }
        Converse::Edit {
            thread,
            message: id,
            text,
        } => {
            let doc = thread_doc.ok_or_else(|| not_found("thread", thread.as_str()))?;
            let mut found = live_message(doc, &id)?;
            if found.by.as_ref() != by {
                return Err(CommandError::NotAllowed(
                    "you can only edit your own messages",
                ));
            }
            found.text = clean_message(&text)?;
            found.edited_at = Some(now);
            doc.put(MESSAGES, id.as_str(), &found)?;
            doc.commit(by, "message.edit", id.as_str(), now);
            Ok(Conversed {
                id: id.to_string(),
                wrote: vec![DocKey::Thread(thread)],
            })
        }
        Converse::Delete {
            thread,
            message: id,
        } => {
            let doc = thread_doc.ok_or_else(|| not_found("thread", thread.as_str()))?;
            let mut found = message(doc, &id)?;
            if found.by.as_ref() != by {
                check(
                    community,
                    by,
                    Permission::Moderator("only the message's author or a moderator can delete it"),
                )?;
            }
            if found.deleted {
                return Ok(Conversed {
                    id: id.to_string(),
                    wrote: Vec::new(),
                });
            }
            found.deleted = true;
            found.text = String::new();
            found.reactions.clear();
            doc.put(MESSAGES, id.as_str(), &found)?;
            doc.commit(by, "message.delete", id.as_str(), now);
            let mut wrote = vec![DocKey::Thread(thread.clone())];
            // An answer that is deleted no longer answers.
            if let Ok(mut entry) = entry(index, &thread)
                && entry.answer.as_ref() == Some(&id)
            {
                entry.answer = None;
                entry.answered_by = None;
                index.put(THREADS, thread.as_str(), &entry)?;
                index.commit(by, "thread.reopen", thread.as_str(), now);
                wrote.insert(0, index_key);
            }
            Ok(Conversed {
                id: id.to_string(),
                wrote,
            })
        }
        Converse::MarkAnswered { thread, answer } => {
            let doc = thread_doc.ok_or_else(|| not_found("thread", thread.as_str()))?;
            let mut entry = entry(index, &thread)?;
            if !entry.question {
                return Err(invalid(
                    "thread",
                    "is a discussion, not a question, so it cannot be answered",
                ));
            }
            if entry.created_by.as_ref() != by {
                check(
                    community,
                    by,
                    Permission::Moderator(
                        "only the person who asked, or a moderator, can mark a question answered",
                    ),
                )?;
            }
            match &answer {
                Some(id) => {
                    let found = live_message(doc, id)?;
                    entry.answered_by = found.by;
                }
                None => entry.answered_by = None,
            }
            entry.answer = answer;
            index.put(THREADS, thread.as_str(), &entry)?;
            let op = if entry.answer.is_some() {
                "thread.answer"
            } else {
                "thread.reopen"
            };
            index.commit(by, op, thread.as_str(), now);
            Ok(Conversed {
                id: thread.to_string(),
                wrote: vec![index_key],
            })
        }
        Converse::Pin { thread, pinned } => {
            check(
                community,
                by,
                Permission::Steward("only facilitators and the core group can pin threads"),
            )?;
            let mut entry = entry(index, &thread)?;
            entry.pinned = pinned;
            index.put(THREADS, thread.as_str(), &entry)?;
            index.commit(
                by,
                if pinned { "thread.pin" } else { "thread.unpin" },
                thread.as_str(),
                now,
            );
            Ok(Conversed {
                id: thread.to_string(),
                wrote: vec![index_key],
            })
        }
        Converse::BringToMeeting { thread, event } => {
            community.require_optional_live::<Event>(Some(event.as_str()))?;
            let mut entry = entry(index, &thread)?;
            entry.agenda = Some(event);
            index.put(THREADS, thread.as_str(), &entry)?;
            index.commit(by, "thread.agenda", thread.as_str(), now);
            Ok(Conversed {
                id: thread.to_string(),
                wrote: vec![index_key],
            })
        }
    }
}

/// Adds a message to its thread and moves the thread's last activity on.
fn post(
    doc: &mut SideDoc,
    index: &mut SideDoc,
    mut entry: ThreadEntry,
    by: Option<&MemberId>,
    now: crate::time::Timestamp,
    message: Message,
) -> Result<Conversed, CommandError> {
    if doc.get::<Message>(MESSAGES, message.id.as_str())?.is_some() {
        return Err(invalid("message", "already exists"));
    }
    let id = message.id.clone();
    let thread = message.thread.clone();
    doc.put(MESSAGES, id.as_str(), &message)?;
    let mut wrote = vec![DocKey::Thread(thread.clone())];
    if now.millis() >= entry.last_activity.millis() + ACTIVITY_STEP_MS {
        entry.last_activity = now;
        index.put(THREADS, thread.as_str(), &entry)?;
        index.commit(by, "thread.activity", thread.as_str(), now);
        wrote.insert(0, DocKey::Conversations);
    }
    doc.commit(by, "message.add", id.as_str(), now);
    Ok(Conversed {
        id: id.to_string(),
        wrote,
    })
}
