//! Conversations as the engine serves them: a conversation command written to the index
//! and a thread's document (durable, then offered to peers), the index and a thread read,
//! and what this device has read, kept on this device only (the local `read` setting,
//! never in a shared document).

use std::collections::BTreeMap;

use automerge::ChangeHash;
use commonroom_model::conversations::{
    self, ACTIVITY_STEP_MS, ConversationIndex, Converse, Conversed, DocKey, Docs, ThreadEntry,
    ThreadView,
};
use commonroom_model::{ChangeLabel, ChannelId, CommunityId, Ctx, MemberId, MessageId, ThreadId};
use serde::{Deserialize, Serialize};

use super::Engine;
use crate::error::EngineError;
use crate::io::Event;
use crate::storage::{CommunityStorage, Storage};

/// The local setting that holds what this device has read.
const READ_SETTING: &str = "read";

/// What this device has read of one thread: the thread's heads and last activity when it
/// was last shown.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct ReadMark {
    /// When it was shown (this device's clock, ms since the epoch). A thread whose listed
    /// last activity is more than [`ACTIVITY_STEP_MS`] older has nothing unread (the
    /// listing lags the newest message by at most that).
    pub(super) at: i64,
    /// The thread document's heads then (hex): messages in later changes are unread.
    pub(super) heads: Vec<String>,
}

/// What this device has read, per thread.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct ReadMarks {
    /// Threads quiet since before this time (when the device first kept track) count as read.
    since: i64,
    pub(super) threads: BTreeMap<String, ReadMark>,
}

impl ReadMarks {
    /// Nothing read yet, keeping track from `now` (ms since the epoch).
    fn since(now: i64) -> Self {
        Self {
            since: now,
            threads: BTreeMap::new(),
        }
    }
}

/// A thread as it is shown: its entry, its messages, and where the unread part starts.
#[derive(Clone, Debug)]
pub struct ThreadRead {
    /// The index entry (`None` while the thread's listing has not arrived).
    pub entry: Option<ThreadEntry>,
    /// Its messages.
    pub view: ThreadView,
    /// The first message this device had not shown before (the "new since you last
    /// looked" divider goes above it).
    pub first_unread: Option<MessageId>,
}

/// Unread messages of one thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ThreadUnread {
    /// Messages by others not yet shown on this device.
    pub messages: usize,
    /// Of those, the ones that mention this device's member.
    pub mentions: usize,
}

/// Unread counts of a community's conversations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Unread {
    /// Per thread with anything unread.
    pub threads: BTreeMap<ThreadId, ThreadUnread>,
    /// Per channel, the sum of its threads.
    pub channels: BTreeMap<ChannelId, ThreadUnread>,
    /// Channels whose notifications are muted on this device.
    pub muted: std::collections::BTreeSet<ChannelId>,
}

impl Unread {
    /// Unread messages in every channel.
    pub fn total(&self) -> usize {
        self.channels.values().map(|c| c.messages).sum()
    }
}

pub(super) fn hex_heads(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

fn parse_heads(heads: &[String]) -> Vec<ChangeHash> {
    heads.iter().filter_map(|h| h.parse().ok()).collect()
}

/// Messages added after `mark` (all of them without one) by someone other than `me`.
pub(super) fn messages_after(
    doc: &mut automerge::AutoCommit,
    mark: Option<&ReadMark>,
    me: Option<&MemberId>,
) -> Vec<MessageId> {
    let heads = mark.map(|m| parse_heads(&m.heads)).unwrap_or_default();
    // Heads this document does not have (a mark from before a reload): count from the start.
    let heads: Vec<ChangeHash> = heads
        .into_iter()
        .filter(|h| doc.get_change_by_hash(h).is_some())
        .collect();
    doc.get_changes(&heads)
        .into_iter()
        .filter_map(|change| ChangeLabel::decode(change.message()?))
        .filter(|label| label.op.to_string() == "message.add" && label.by.as_ref() != me)
        .filter_map(|label| label.id.map(MessageId::new))
        .collect()
}

/// The open community `id` among `communities` (a function, not a method, so the
/// engine's storage can be borrowed beside it).
pub(super) fn open_in<'a, C>(
    communities: &'a mut BTreeMap<CommunityId, crate::community::Open<C>>,
    id: &CommunityId,
) -> Result<&'a mut crate::community::Open<C>, EngineError> {
    communities
        .get_mut(id)
        .ok_or_else(|| EngineError::UnknownCommunity(id.clone()))
}

impl<S: Storage> Engine<S> {
    /// Applies a conversation command: each document it writes is durable before it is
    /// offered to peers; if one cannot be saved, none of its changes are kept.
    pub(super) fn converse(
        &mut self,
        community: &CommunityId,
        command: Converse,
    ) -> Result<Conversed, EngineError> {
        let actor = self.actor_for(community);
        let now = self.now;
        let open = open_in(&mut self.communities, community)?;
        if !open.ready {
            return Err(EngineError::NotYetSynced(community.clone()));
        }
        let ctx = Ctx {
            by: open.me.clone(),
            now: now.wall,
        };
        let index_key = DocKey::Conversations;
        let thread_key = command.thread().cloned().map(DocKey::Thread);
        open.sides
            .get(&self.storage, community, &index_key, actor)?;
        if let Some(key) = &thread_key {
            open.sides.get(&self.storage, community, key, actor)?;
        }
        let (index, thread) = open.sides.pair(&index_key, thread_key.as_ref());
        let Some(index) = index else {
            return Err(EngineError::NotYetSynced(community.clone()));
        };
        let index_before = index.doc.heads();
        let mut thread = thread;
        let thread_before = thread.as_mut().map(|t| t.doc.heads());
        let conversed = conversations::apply(
            Docs {
                community: &open.doc,
                index: &mut index.doc,
                thread: thread.map(|t| &mut t.doc),
            },
            &ctx,
            command,
        )?;
        for key in &conversed.wrote {
            if let Err(error) = open.sides.persist(&self.storage, community, key) {
                // Not saved, so not kept: neither document keeps any of it.
                open.sides.rewind(&index_key, &index_before);
                if let (Some(key), Some(before)) = (&thread_key, &thread_before) {
                    open.sides.rewind(key, before);
                }
                return Err(error.into());
            }
        }
        for key in &conversed.wrote {
            self.event(Event::Talked {
                community: community.clone(),
                doc: key.clone(),
                remote: false,
            });
            self.push_side(community, key);
        }
        Ok(conversed)
    }

    /// The conversation index.
    pub(super) fn conversation_index(
        &mut self,
        community: &CommunityId,
    ) -> Result<ConversationIndex, EngineError> {
        let actor = self.actor_for(community);
        self.ready(community)?;
        let open = open_in(&mut self.communities, community)?;
        Ok(open.sides.index(&self.storage, community, actor)?.clone())
    }

    /// What this device has read, as kept in its local setting (`None` if it has not
    /// begun keeping track, or the setting cannot be read).
    pub(super) fn read_marks(store: &impl CommunityStorage) -> Option<ReadMarks> {
        store
            .read_local(READ_SETTING)
            .ok()
            .flatten()
            .and_then(|text| serde_json::from_str(&text).ok())
    }

    /// One thread, with where its unread part starts; `mark_read` records it as shown.
    pub(super) fn thread_read(
        &mut self,
        community: &CommunityId,
        thread: &ThreadId,
        mark_read: bool,
    ) -> Result<ThreadRead, EngineError> {
        let index = self.conversation_index(community)?;
        let entry = index.thread(thread).cloned();
        let actor = self.actor_for(community);
        let wall = self.now.wall.millis();
        let open = open_in(&mut self.communities, community)?;
        let me = open.me.clone();
        let mut marks = Self::read_marks(&open.store).unwrap_or_else(|| ReadMarks::since(wall));
        let key = DocKey::Thread(thread.clone());
        // Not listed: it may still have arrived ahead of its listing (the heads of what is
        // stored are listed once, not per read).
        if entry.is_none()
            && !open.sides.is_open(&key)
            && !open
                .sides
                .all_heads(&self.storage, community)?
                .contains_key(&key)
        {
            return Err(commonroom_model::CommandError::NotFound {
                what: "thread",
                id: thread.to_string(),
            }
            .into());
        }
        let slot = open.sides.get(&self.storage, community, &key, actor)?;
        let view = ThreadView::read(&slot.doc).map_err(|e| EngineError::Document(Box::new(e)))?;
        let unread = messages_after(
            slot.doc.automerge_mut(),
            marks.threads.get(thread.as_str()),
            me.as_ref(),
        );
        let first_unread = view
            .messages
            .iter()
            .find(|m| unread.contains(&m.id))
            .map(|m| m.id.clone());
        if mark_read {
            let heads = slot.doc.heads();
            marks.threads.insert(
                thread.to_string(),
                ReadMark {
                    at: wall,
                    heads: hex_heads(&heads),
                },
            );
            let text = serde_json::to_string(&marks).unwrap_or_default();
            open.store.write_local(READ_SETTING, &text)?;
        }
        Ok(ThreadRead {
            entry,
            view,
            first_unread,
        })
    }

    /// Unread messages per thread and channel. A thread quiet since it was last shown (or
    /// since this device began keeping track) is not opened.
    pub(super) fn unread(&mut self, community: &CommunityId) -> Result<Unread, EngineError> {
        let index = self.conversation_index(community)?;
        let muted = self.muted(community)?;
        let actor = self.actor_for(community);
        let wall = self.now.wall.millis();
        let open = open_in(&mut self.communities, community)?;
        let me = open.me.clone();
        let kept = Self::read_marks(&open.store);
        let fresh = kept.is_none();
        let mut marks = kept.unwrap_or_else(|| ReadMarks::since(wall));
        if fresh {
            // From now on, what arrives is new; what was here before counts as read.
            open.store.write_local(
                READ_SETTING,
                &serde_json::to_string(&marks).unwrap_or_default(),
            )?;
        }
        let mut unread = Unread {
            muted,
            ..Unread::default()
        };
        for entry in &index.threads {
            let mark = marks.threads.get_mut(entry.id.as_str());
            let seen = mark.as_ref().map_or(marks.since, |m| m.at);
            if entry.last_activity.millis() + ACTIVITY_STEP_MS <= seen {
                continue;
            }
            let key = DocKey::Thread(entry.id.clone());
            let slot = open.sides.get(&self.storage, community, &key, actor)?;
            let ids = messages_after(slot.doc.automerge_mut(), mark.as_deref(), me.as_ref());
            if ids.is_empty() {
                continue;
            }
            let view =
                ThreadView::read(&slot.doc).map_err(|e| EngineError::Document(Box::new(e)))?;
            let mentions = me.as_ref().map_or(0, |me| {
                view.messages
                    .iter()
                    .filter(|m| ids.contains(&m.id) && m.mentions.contains(me))
                    .count()
            });
            let counts = ThreadUnread {
                messages: ids.len(),
                mentions,
            };
            unread.threads.insert(entry.id.clone(), counts);
            let channel = unread.channels.entry(entry.channel.clone()).or_default();
            channel.messages += counts.messages;
            channel.mentions += counts.mentions;
        }
        Ok(unread)
    }
}
