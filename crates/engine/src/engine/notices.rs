//! What deserves a desktop notification on this device: a new message that mentions this
//! device's member, answers one of their messages or replies in a thread they started, and
//! an answer marked on one of their questions; nothing from a channel muted here. Each is
//! told once (the local `told` setting keeps how far each thread was told, and which
//! answers were), and only while it is unread. Muting is the local `muted` setting. Both
//! stay on this device, like what it has read.

use std::collections::{BTreeMap, BTreeSet};

use commonroom_model::conversations::{DocKey, ThreadEntry, ThreadView};
use commonroom_model::entities::Member;
use commonroom_model::{ChannelId, CommunityId, MemberId, ThreadId};
use serde::{Deserialize, Serialize};

use super::Engine;
use super::talk::{ReadMark, hex_heads, messages_after, open_in};
use crate::error::EngineError;
use crate::storage::{CommunityStorage, Storage};

/// The local setting: how far each thread was told, and the answers told.
const TOLD_SETTING: &str = "told";
/// The local setting: channels muted on this device.
const MUTED_SETTING: &str = "muted";
/// Most notices from one document at once (a sync that brings hundreds is summed up).
pub const MAX_NOTICES: usize = 50;
/// Longest excerpt of a message in a notice, in characters.
const EXCERPT_CHARS: usize = 140;

/// Why a message is worth telling this device's member about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NoticeKind {
    /// It mentions them.
    Mention,
    /// It answers one of their messages, or replies in a thread they started.
    Reply,
    /// It was marked as the answer to their question.
    Answer,
}

/// One thing to tell this device's member about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Why.
    pub kind: NoticeKind,
    /// The thread it is in.
    pub thread: ThreadId,
    /// The thread's title.
    pub title: String,
    /// Who wrote the message (their name), if known.
    pub by: Option<String>,
    /// The start of the message.
    pub excerpt: String,
}

/// What was already told, per thread and per answer.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Told {
    /// Per thread: its heads when last told about.
    threads: BTreeMap<String, ReadMark>,
    /// Answers told ("thread/message"); `None` until first looked at (answers marked
    /// before then are not news).
    answers: Option<BTreeSet<String>>,
}

fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let cut: String = line.chars().take(EXCERPT_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

fn read_setting<T: for<'de> Deserialize<'de>>(
    store: &impl CommunityStorage,
    name: &str,
) -> Option<T> {
    store
        .read_local(name)
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok())
}

impl<S: Storage> Engine<S> {
    /// Channels muted on this device.
    pub(super) fn muted(
        &mut self,
        community: &CommunityId,
    ) -> Result<BTreeSet<ChannelId>, EngineError> {
        let open = open_in(&mut self.communities, community)?;
        Ok(read_setting(&open.store, MUTED_SETTING).unwrap_or_default())
    }

    /// Mutes or unmutes notifications from a channel on this device; the muted channels.
    pub(super) fn mute(
        &mut self,
        community: &CommunityId,
        channel: ChannelId,
        muted: bool,
    ) -> Result<BTreeSet<ChannelId>, EngineError> {
        let mut list = self.muted(community)?;
        if muted {
            list.insert(channel);
        } else {
            list.remove(&channel);
        }
        let open = open_in(&mut self.communities, community)?;
        open.store.write_local(
            MUTED_SETTING,
            &serde_json::to_string(&list).unwrap_or_default(),
        )?;
        Ok(list)
    }

    /// What in `doc` (just changed) is news for this device's member and not yet told;
    /// marks it told.
    pub(super) fn notices(
        &mut self,
        community: &CommunityId,
        doc: &DocKey,
    ) -> Result<Vec<Notice>, EngineError> {
        let muted = self.muted(community)?;
        let index = self.conversation_index(community)?;
        let actor = self.actor_for(community);
        let open = open_in(&mut self.communities, community)?;
        let Some(me) = open.me.clone() else {
            return Ok(Vec::new());
        };
        let name = |id: &Option<MemberId>| {
            id.as_ref()
                .and_then(|id| open.doc.get::<Member>(id.as_str()).ok().flatten())
                .map(|m| m.name)
        };
        let mut told: Told = read_setting(&open.store, TOLD_SETTING).unwrap_or_default();
        let mut notices = Vec::new();
        match doc {
            DocKey::Conversations => {
                let first_look = told.answers.is_none();
                let answers = told.answers.get_or_insert_with(BTreeSet::new);
                for entry in index.threads.iter().filter(|t| {
                    t.created_by.as_ref() == Some(&me)
                        && t.answered_by.is_some()
                        && t.answered_by.as_ref() != Some(&me)
                        && !muted.contains(&t.channel)
                }) {
                    let Some(answer) = &entry.answer else {
                        continue;
                    };
                    if answers.insert(format!("{}/{answer}", entry.id)) && !first_look {
                        let key = DocKey::Thread(entry.id.clone());
                        let text = open
                            .sides
                            .get(&self.storage, community, &key, actor)
                            .ok()
                            .and_then(|slot| ThreadView::read(&slot.doc).ok())
                            .and_then(|view| view.messages.into_iter().find(|m| &m.id == answer))
                            .map(|m| excerpt(&m.text))
                            .unwrap_or_default();
                        notices.push(Notice {
                            kind: NoticeKind::Answer,
                            thread: entry.id.clone(),
                            title: entry.title.clone(),
                            by: name(&entry.answered_by),
                            excerpt: text,
                        });
                    }
                }
            }
            DocKey::Thread(thread) => {
                let Some(entry) = index.thread(thread) else {
                    return Ok(Vec::new());
                };
                let read = super::Engine::<S>::read_marks(&open.store);
                let slot = open.sides.get(&self.storage, community, doc, actor)?;
                let unread: BTreeSet<_> = messages_after(
                    slot.doc.automerge_mut(),
                    read.as_ref().and_then(|r| r.threads.get(thread.as_str())),
                    Some(&me),
                )
                .into_iter()
                .collect();
                let fresh: BTreeSet<_> = messages_after(
                    slot.doc.automerge_mut(),
                    told.threads.get(thread.as_str()),
                    Some(&me),
                )
                .into_iter()
                .filter(|id| unread.contains(id))
                .collect();
                let heads = slot.doc.heads();
                let view =
                    ThreadView::read(&slot.doc).map_err(|e| EngineError::Document(Box::new(e)))?;
                // Muted: marked told all the same, so unmuting does not bring it back.
                let fresh = if muted.contains(&entry.channel) {
                    BTreeSet::new()
                } else {
                    fresh
                };
                notices = thread_notices(entry, &view, &fresh, &me)
                    .into_iter()
                    .map(|(kind, m)| Notice {
                        kind,
                        thread: thread.clone(),
                        title: entry.title.clone(),
                        by: name(&m.by),
                        excerpt: excerpt(&m.text),
                    })
                    .collect();
                told.threads.insert(
                    thread.to_string(),
                    ReadMark {
                        at: self.now.wall.millis(),
                        heads: hex_heads(&heads),
                    },
                );
            }
        }
        open.store.write_local(
            TOLD_SETTING,
            &serde_json::to_string(&told).unwrap_or_default(),
        )?;
        notices.truncate(MAX_NOTICES);
        Ok(notices)
    }
}

/// The messages among `fresh` that concern `me`, each with why, in thread order.
fn thread_notices<'a>(
    entry: &ThreadEntry,
    view: &'a ThreadView,
    fresh: &BTreeSet<commonroom_model::MessageId>,
    me: &MemberId,
) -> Vec<(NoticeKind, &'a commonroom_model::conversations::Message)> {
    let mine: BTreeSet<_> = view
        .messages
        .iter()
        .filter(|m| m.by.as_ref() == Some(me))
        .map(|m| &m.id)
        .collect();
    view.messages
        .iter()
        .filter(|m| fresh.contains(&m.id) && !m.deleted)
        .filter_map(|m| {
            let kind = if m.mentions.contains(me) {
                NoticeKind::Mention
            } else if m.reply_to.as_ref().is_some_and(|to| mine.contains(to))
                || entry.created_by.as_ref() == Some(me)
            {
                NoticeKind::Reply
            } else {
                return None;
            };
            Some((kind, m))
        })
        .collect()
}
