//! Reading conversations: the index in the order people want it, a thread's messages,
//! who could help with a question, and `@Name` mentions in typed text.

use std::collections::BTreeSet;

use automerge::{ChangeHash, PatchAction, Prop};
use serde::Serialize;

use super::doc::{ANNOUNCEMENTS, CHANNELS, GENERAL, MESSAGES, SideDoc, THREADS};
use super::entities::{Channel, Message, ThreadEntry};
use crate::entities::Member;
use crate::error::DocumentError;
use crate::ids::{ChannelId, MemberId, MessageId, ThreadId};
use crate::view::CommunityView;

/// Channels and threads as the index lists them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConversationIndex {
    /// Live channels: General, Announcements, then the others by name.
    pub channels: Vec<Channel>,
    /// Live threads: pinned first, then the most recently active first.
    pub threads: Vec<ThreadEntry>,
}

impl ConversationIndex {
    /// Reads the index document.
    pub fn read(index: &SideDoc) -> Result<Self, DocumentError> {
        let channels = Self::read_channels(index)?;
        let threads: Vec<ThreadEntry> = index
            .all::<ThreadEntry>(THREADS)?
            .into_iter()
            .filter(|t| !t.deleted)
            .collect();
        let mut read = Self { channels, threads };
        read.sort_threads();
        Ok(read)
    }

    /// Brings an index read when the document's heads were `since` up to its heads now,
    /// reading again only the threads the changes in between touched (a busy index has
    /// thousands of threads; reading them all takes hundreds of milliseconds). Gives the
    /// same as [`ConversationIndex::read`].
    pub fn refresh(
        &mut self,
        index: &mut SideDoc,
        since: &[ChangeHash],
    ) -> Result<(), DocumentError> {
        let now = index.heads();
        if now == since {
            return Ok(());
        }
        let patches = index.automerge_mut().diff(since, &now);
        let mut touched = BTreeSet::new();
        let mut channels = false;
        for patch in &patches {
            match patch.path.first().map(|(_, prop)| prop) {
                Some(Prop::Map(map)) if map == THREADS => {
                    let key = match (patch.path.get(1), &patch.action) {
                        (Some((_, Prop::Map(key))), _)
                        | (
                            None,
                            PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key },
                        ) => key.clone(),
                        _ => continue,
                    };
                    touched.insert(key);
                }
                Some(Prop::Map(map)) if map == CHANNELS => channels = true,
                Some(_) => {}
                // The root itself changed (a whole map replaced): read everything again.
                None => {
                    *self = Self::read(index)?;
                    return Ok(());
                }
            }
        }
        if channels {
            self.channels = Self::read_channels(index)?;
        }
        if !touched.is_empty() {
            self.threads.retain(|t| !touched.contains(t.id.as_str()));
            for key in &touched {
                // One a newer build wrote in a shape this one cannot read is left out, as
                // in a whole read.
                if let Ok(Some(entry)) = index.get::<ThreadEntry>(THREADS, key)
                    && !entry.deleted
                {
                    self.threads.push(entry);
                }
            }
            self.sort_threads();
        }
        Ok(())
    }

    /// Live channels: General, Announcements, then the others by name.
    fn read_channels(index: &SideDoc) -> Result<Vec<Channel>, DocumentError> {
        let mut channels: Vec<Channel> = index
            .all::<Channel>(CHANNELS)?
            .into_iter()
            .filter(|c| !c.deleted)
            .collect();
        let rank = |c: &Channel| match c.id.as_str() {
            GENERAL => 0,
            ANNOUNCEMENTS => 1,
            _ => 2,
        };
        channels.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok(channels)
    }

    /// Pinned first, then the most recently active first.
    fn sort_threads(&mut self) {
        self.threads.sort_by(|a, b| {
            b.pinned
                .cmp(&a.pinned)
                .then(b.last_activity.cmp(&a.last_activity))
                .then_with(|| a.id.cmp(&b.id))
        });
    }

    /// The channel called `name` (any case) or with that id.
    pub fn channel(&self, name_or_id: &str) -> Option<&Channel> {
        let wanted = name_or_id.trim().trim_start_matches('#');
        self.channels
            .iter()
            .find(|c| c.id.as_str() == wanted || c.name.eq_ignore_ascii_case(wanted))
    }

    /// One thread's entry.
    pub fn thread(&self, id: &ThreadId) -> Option<&ThreadEntry> {
        self.threads.iter().find(|t| &t.id == id)
    }

    /// The threads of a channel, in index order.
    pub fn in_channel<'a>(
        &'a self,
        channel: &'a ChannelId,
    ) -> impl Iterator<Item = &'a ThreadEntry> {
        self.threads.iter().filter(move |t| &t.channel == channel)
    }

    /// Questions not yet marked answered, the most recently active first.
    pub fn open_questions(&self) -> impl Iterator<Item = &ThreadEntry> {
        self.threads.iter().filter(|t| t.is_open_question())
    }

    /// Questions a member's message answered.
    pub fn helped_with<'a>(
        &'a self,
        member: &'a MemberId,
    ) -> impl Iterator<Item = &'a ThreadEntry> {
        self.threads
            .iter()
            .filter(move |t| t.answer.is_some() && t.answered_by.as_ref() == Some(member))
    }
}

/// One thread's messages, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ThreadView {
    /// Every message, deleted ones included (shown as deleted, keeping their place).
    pub messages: Vec<Message>,
}

impl ThreadView {
    /// Reads a thread document.
    pub fn read(doc: &SideDoc) -> Result<Self, DocumentError> {
        let mut messages = doc.all::<Message>(MESSAGES)?;
        messages.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(Self { messages })
    }

    /// One message.
    pub fn message(&self, id: &MessageId) -> Option<&Message> {
        self.messages.iter().find(|m| &m.id == id)
    }

    /// The opening message (the oldest).
    pub fn opening(&self) -> Option<&Message> {
        self.messages.first()
    }
}

/// A member who might help with a question, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Helper {
    /// The member.
    pub member: MemberId,
    /// Their name.
    pub name: String,
    /// The focus areas of theirs that match the question.
    pub matched: Vec<String>,
    /// How many questions they have helped answer before.
    pub answered: usize,
}

/// Most helpers suggested for one question.
pub const MAX_HELPERS: usize = 5;

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .collect()
}

/// Members whose focus areas match a question's words or tags: a focus area matches when
/// it equals a tag or every word of it (of three letters or more) is in the question. The
/// asker and removed members are left out; those with more matches, then more answers
/// given before, come first.
pub fn suggest_helpers(
    view: &CommunityView,
    index: Option<&ConversationIndex>,
    asker: Option<&MemberId>,
    text: &str,
    tags: &[String],
) -> Vec<Helper> {
    let said = words(text);
    let tags: BTreeSet<String> = tags
        .iter()
        .map(|t| t.trim().trim_start_matches('#').to_lowercase())
        .collect();
    let mut helpers: Vec<Helper> = view
        .members
        .values()
        .filter(|m| Some(&m.id) != asker && !view.is_removed(&m.id))
        .filter_map(|m| {
            let matched: Vec<String> = m
                .focus
                .iter()
                .filter(|focus| {
                    let lower = focus.to_lowercase();
                    let focus_words = words(&lower);
                    tags.contains(&lower)
                        || (!focus_words.is_empty() && focus_words.iter().all(|w| said.contains(w)))
                })
                .cloned()
                .collect();
            (!matched.is_empty()).then(|| Helper {
                member: m.id.clone(),
                name: m.name.clone(),
                matched,
                answered: index.map_or(0, |i| i.helped_with(&m.id).count()),
            })
        })
        .collect();
    helpers.sort_by(|a, b| {
        b.matched
            .len()
            .cmp(&a.matched.len())
            .then(b.answered.cmp(&a.answered))
            .then_with(|| a.name.cmp(&b.name))
    });
    helpers.truncate(MAX_HELPERS);
    helpers
}

/// The members a text mentions as `@Name` (the longest name that follows an `@` wins, so
/// "@Sam Lee" is Sam Lee, not Sam), in the order they appear, each once.
pub fn mentions_in<'a>(text: &str, members: impl IntoIterator<Item = &'a Member>) -> Vec<MemberId> {
    let mut by_length: Vec<&Member> = members.into_iter().collect();
    by_length.sort_by_key(|m| std::cmp::Reverse(m.name.chars().count()));
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let rest = &text[at + 1..];
        let hit = by_length.iter().find(|m| {
            let name = m.name.as_str();
            rest.get(..name.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(name))
                && rest[name.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric())
        });
        if let Some(member) = hit
            && !found.contains(&member.id)
        {
            found.push(member.id.clone());
        }
    }
    found
}
