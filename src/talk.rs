//! The `channel`, `thread` and `unread` commands: conversations between meetings.

use std::io::Write;

use anyhow::{Result, bail};
use commonroom_model::commands::EventPatch;
use commonroom_model::conversations::{
    ConversationIndex, Converse, Message, NewChannel, NewIntroduction, NewReply, NewThread,
    ThreadEntry, mentions_in, suggest_helpers,
};
use commonroom_model::{ChannelId, EventId, MessageId, ThreadId, Timestamp};

use crate::backend::{Backend, Target, unique_prefix};
use crate::cli::{ChannelAction, ThreadAction};

/// When, in this computer's time zone, as a person reads it.
fn when(at: Timestamp) -> String {
    at.to_utc()
        .with_timezone(&chrono::Local)
        .format("%a %-d %b %H:%M")
        .to_string()
}

/// The thread named by its id, a unique prefix of it, or its exact title.
fn resolve_thread(index: &ConversationIndex, query: &str) -> Result<ThreadEntry> {
    let query = query.trim();
    let ids: Vec<String> = index.threads.iter().map(|t| t.id.to_string()).collect();
    if let Ok(id) = unique_prefix(ids.iter(), query, "thread")
        && let Some(entry) = index.threads.iter().find(|t| t.id.as_str() == id)
    {
        return Ok(entry.clone());
    }
    let titled: Vec<&ThreadEntry> = index
        .threads
        .iter()
        .filter(|t| t.title.eq_ignore_ascii_case(query))
        .collect();
    match titled.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("no thread with the id or title {query:?} (see `commonroom thread list`)"),
        _ => bail!("several threads are titled {query:?}; use the thread id"),
    }
}

/// Carries out the command `make` builds for the message named by `query` (id or prefix).
fn on_message(
    backend: &mut dyn Backend,
    community: &str,
    query: &str,
    make: impl FnOnce(ThreadId, MessageId) -> Converse,
) -> Result<()> {
    let session = Target::open(backend, community)?;
    let (thread, message) = resolve_message(&session, query)?;
    session.converse(make(thread, message.id))?;
    Ok(())
}

/// A message of `thread` named by its id or a unique prefix of it.
fn message_in(session: &Target<'_>, thread: &ThreadId, query: &str) -> Result<MessageId> {
    let read = session.thread(thread, false)?;
    let ids: Vec<String> = read
        .view
        .messages
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    Ok(MessageId::new(unique_prefix(ids.iter(), query, "message")?))
}

/// The message named by its id or a unique prefix, searching the most recently active
/// threads first; with its thread.
fn resolve_message(session: &Target<'_>, query: &str) -> Result<(ThreadId, Message)> {
    let index = session.conversations()?;
    let query = query.trim();
    if query.is_empty() {
        bail!("which message? Give its id (shown by `commonroom thread show`)");
    }
    let mut found = Vec::new();
    for entry in &index.threads {
        let read = session.thread(&entry.id, false)?;
        found.extend(
            read.view
                .messages
                .into_iter()
                .filter(|m| m.id.as_str().starts_with(query))
                .map(|m| (entry.id.clone(), m)),
        );
        if found.iter().any(|(_, m)| m.id.as_str() == query) {
            found.retain(|(_, m)| m.id.as_str() == query);
            break;
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("no message with the id {query:?} in this community"),
        _ => bail!("{query:?} is the start of several message ids; give more of it"),
    }
}

/// The next meeting that has not started yet.
fn next_meeting(view: &commonroom_model::CommunityView, now: Timestamp) -> Option<EventId> {
    view.events
        .values()
        .filter(|e| !e.deleted && e.start > now)
        .min_by_key(|e| e.start)
        .map(|e| e.id.clone())
}

fn channel_name(index: &ConversationIndex, id: &ChannelId) -> String {
    index
        .channels
        .iter()
        .find(|c| &c.id == id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

/// Runs a `channel` command.
pub fn channel(
    backend: &mut dyn Backend,
    action: ChannelAction,
    out: &mut dyn Write,
) -> Result<()> {
    match action {
        ChannelAction::Add {
            community,
            name,
            about,
            stewards_only,
        } => {
            let session = Target::open(backend, &community)?;
            let done = session.converse(Converse::AddChannel(NewChannel {
                id: ChannelId::generate(),
                name,
                about,
                stewards_only,
            }))?;
            writeln!(out, "{}", done.id)?;
        }
        ChannelAction::List { community, json } => {
            let session = Target::open(backend, &community)?;
            let index = session.conversations()?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&index.channels)?)?;
            } else {
                for channel in &index.channels {
                    let threads = index.in_channel(&channel.id).count();
                    let who = if channel.stewards_only {
                        " (facilitators and core group post)"
                    } else {
                        ""
                    };
                    writeln!(
                        out,
                        "{}  {}{who}  {threads} threads",
                        channel.id, channel.name
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// Runs a `thread` command.
pub fn thread(backend: &mut dyn Backend, action: ThreadAction, out: &mut dyn Write) -> Result<()> {
    match action {
        ThreadAction::Add {
            community,
            title,
            text,
            channel,
            question,
            tags,
        } => {
            let session = Target::open(backend, &community)?;
            let index = session.conversations()?;
            let channel = match channel {
                Some(name) => match index.channel(&name) {
                    Some(c) => c.id.clone(),
                    None => bail!("no channel called {name:?} (see `commonroom channel list`)"),
                },
                None => ChannelId::new(commonroom_model::conversations::GENERAL),
            };
            let view = session.view()?;
            let mentions = mentions_in(&text, view.members.values());
            let done = session.converse(Converse::StartThread(NewThread {
                id: ThreadId::generate(),
                first: MessageId::generate(),
                channel,
                title,
                text: text.clone(),
                question,
                tags: tags.clone(),
                mentions,
                theme: None,
            }))?;
            writeln!(out, "{}", done.id)?;
            if question {
                let me = session.require_me().ok();
                let helpers = suggest_helpers(view, Some(&index), me.as_ref(), &text, &tags);
                for helper in helpers {
                    eprintln!(
                        "might help: {} ({})",
                        helper.name,
                        helper.matched.join(", ")
                    );
                }
            }
        }
        ThreadAction::List {
            community,
            channel,
            open_questions,
            json,
        } => {
            let session = Target::open(backend, &community)?;
            let index = session.conversations()?;
            let channel = match channel {
                Some(name) => match index.channel(&name) {
                    Some(c) => Some(c.id.clone()),
                    None => bail!("no channel called {name:?} (see `commonroom channel list`)"),
                },
                None => None,
            };
            let threads: Vec<&ThreadEntry> = index
                .threads
                .iter()
                .filter(|t| channel.as_ref().is_none_or(|c| &t.channel == c))
                .filter(|t| !open_questions || t.is_open_question())
                .collect();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&threads)?)?;
            } else if threads.is_empty() {
                writeln!(out, "no threads")?;
            } else {
                for t in threads {
                    let kind = match (t.question, t.answer.is_some()) {
                        (true, true) => "answered question",
                        (true, false) => "open question",
                        (false, _) => "discussion",
                    };
                    let pin = if t.pinned { "pinned · " } else { "" };
                    writeln!(
                        out,
                        "{}  #{}  {}  ({pin}{kind}, last {})",
                        t.id,
                        channel_name(&index, &t.channel),
                        t.title,
                        when(t.last_activity)
                    )?;
                }
            }
        }
        ThreadAction::Show {
            community,
            thread,
            json,
        } => {
            let session = Target::open(backend, &community)?;
            let index = session.conversations()?;
            let entry = resolve_thread(&index, &thread)?;
            let read = session.thread(&entry.id, true)?;
            if json {
                let value = serde_json::json!({
                    "thread": entry,
                    "messages": read.view.messages,
                    "first_unread": read.first_unread,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
                return Ok(());
            }
            let view = session.view()?;
            let name = |id: Option<&commonroom_model::MemberId>| {
                id.and_then(|id| view.members.get(id))
                    .map_or_else(|| "someone".to_owned(), |m| m.name.clone())
            };
            let kind = if entry.question {
                "Question"
            } else {
                "Discussion"
            };
            writeln!(
                out,
                "{kind}: {}  (#{})",
                entry.title,
                channel_name(&index, &entry.channel)
            )?;
            if entry.question {
                match &entry.answer {
                    Some(answer) => writeln!(
                        out,
                        "Answered by {} (message {answer})",
                        name(entry.answered_by.as_ref())
                    )?,
                    None => writeln!(out, "Not answered yet")?,
                }
            }
            for message in &read.view.messages {
                if read.first_unread.as_ref() == Some(&message.id) {
                    writeln!(out, "--- new since you last looked ---")?;
                }
                writeln!(out)?;
                if let Some(quoted) = message.reply_to.as_ref().and_then(|q| read.view.message(q)) {
                    let text: String = quoted.text.chars().take(80).collect();
                    writeln!(out, "  > {}: {text}", name(quoted.by.as_ref()))?;
                }
                let edited = if message.edited_at.is_some() {
                    " (edited)"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{} · {}{edited} · {}",
                    name(message.by.as_ref()),
                    when(message.created_at),
                    message.id
                )?;
                if message.deleted {
                    writeln!(out, "  (message deleted)")?;
                } else {
                    for line in message.text.lines() {
                        writeln!(out, "  {line}")?;
                    }
                }
                if !message.reactions.is_empty() {
                    let reactions: Vec<String> = message
                        .reactions
                        .iter()
                        .map(|(emoji, who)| format!("{emoji} {}", who.len()))
                        .collect();
                    writeln!(out, "  {}", reactions.join("  "))?;
                }
            }
        }
        ThreadAction::Reply {
            community,
            thread,
            text,
            reply_to,
        } => {
            let session = Target::open(backend, &community)?;
            let index = session.conversations()?;
            let entry = resolve_thread(&index, &thread)?;
            let reply_to = match reply_to {
                Some(query) => {
                    let read = session.thread(&entry.id, false)?;
                    let ids: Vec<String> = read
                        .view
                        .messages
                        .iter()
                        .map(|m| m.id.to_string())
                        .collect();
                    Some(MessageId::new(unique_prefix(
                        ids.iter(),
                        &query,
                        "message",
                    )?))
                }
                None => None,
            };
            let mentions = mentions_in(&text, session.view()?.members.values());
            let done = session.converse(Converse::Reply(NewReply {
                id: MessageId::generate(),
                thread: entry.id,
                text,
                reply_to,
                mentions,
            }))?;
            writeln!(out, "{}", done.id)?;
        }
        ThreadAction::React {
            community,
            message,
            emoji,
            off,
        } => {
            on_message(backend, &community, &message, |thread, message| {
                Converse::React {
                    thread,
                    message,
                    emoji,
                    on: !off,
                }
            })?;
        }
        ThreadAction::Answer {
            community,
            thread,
            message,
        } => {
            let session = Target::open(backend, &community)?;
            let index = session.conversations()?;
            let entry = resolve_thread(&index, &thread)?;
            let answer = message_in(&session, &entry.id, &message)?;
            session.converse(Converse::MarkAnswered {
                thread: entry.id,
                answer: Some(answer),
            })?;
        }
        ThreadAction::Edit {
            community,
            message,
            text,
        } => {
            on_message(backend, &community, &message, |thread, message| {
                Converse::Edit {
                    thread,
                    message,
                    text,
                }
            })?;
        }
        ThreadAction::Delete { community, message } => {
            on_message(backend, &community, &message, |thread, message| {
                Converse::Delete { thread, message }
            })?;
        }
        ThreadAction::Pin {
            community,
            thread,
            off,
        } => {
            let session = Target::open(backend, &community)?;
            let entry = resolve_thread(&session.conversations()?, &thread)?;
            session.converse(Converse::Pin {
                thread: entry.id,
                pinned: !off,
            })?;
        }
        ThreadAction::Bring {
            community,
            thread,
            event,
        } => {
            let session = Target::open(backend, &community)?;
            let index = session.conversations()?;
            let entry = resolve_thread(&index, &thread)?;
            let view = session.view()?;
            let event = match event {
                Some(query) => {
                    EventId::new(session.resolve_id(commonroom_model::EntityKind::Event, &query)?)
                }
                None => match next_meeting(view, Timestamp::now()) {
                    Some(id) => id,
                    None => bail!(
                        "no meeting is planned yet: add one with `commonroom event add`, or name one with --event"
                    ),
                },
            };
            let Some(meeting) = view.events.get(&event) else {
                bail!("no meeting with the id {event}");
            };
            let title = meeting.title.clone();
            let mut agenda = meeting.agenda.as_str().trim_end().to_owned();
            if !agenda.is_empty() {
                agenda.push('\n');
            }
            agenda.push_str(&format!(
                "- {} (from the conversation in #{})",
                entry.title,
                channel_name(&index, &entry.channel)
            ));
            session.apply(commonroom_model::Command::EditEvent(
                event.clone(),
                EventPatch {
                    agenda: Some(agenda),
                    ..EventPatch::default()
                },
            ))?;
            session.converse(Converse::BringToMeeting {
                thread: entry.id,
                event,
            })?;
            writeln!(out, "on the agenda of {title}")?;
        }
        ThreadAction::Introduce {
            community,
            thread,
            first,
            second,
            reason,
        } => {
            let session = Target::open(backend, &community)?;
            let entry = resolve_thread(&session.conversations()?, &thread)?;
            let done = session.converse(Converse::Introduce(NewIntroduction {
                id: MessageId::generate(),
                thread: entry.id,
                first: session.resolve_member(&first)?,
                second: session.resolve_member(&second)?,
                reason,
            }))?;
            writeln!(out, "{}", done.id)?;
        }
    }
    Ok(())
}

/// Runs the `unread` command.
pub fn unread(
    backend: &mut dyn Backend,
    community: &str,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let session = Target::open(backend, community)?;
    let unread = session.unread()?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&unread)?)?;
        return Ok(());
    }
    if unread.threads.is_empty() {
        writeln!(out, "nothing unread")?;
        return Ok(());
    }
    let index = session.conversations()?;
    for (channel, counts) in &unread.channels {
        writeln!(
            out,
            "#{}: {} unread",
            channel_name(&index, channel),
            counts.messages
        )?;
        for entry in index.in_channel(channel) {
            if let Some(t) = unread.threads.get(&entry.id) {
                let mentions = if t.mentions > 0 {
                    format!(", {} mention you", t.mentions)
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "  {}  {}: {}{mentions}",
                    entry.id, entry.title, t.messages
                )?;
            }
        }
    }
    Ok(())
}
