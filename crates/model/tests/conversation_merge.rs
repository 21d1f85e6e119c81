//! Property tests of conversations: three replicas start threads, reply, react, edit and
//! mark answers concurrently, syncing one document at a time between random pairs (so a
//! reply can arrive before its thread is listed); once everything is exchanged, every
//! document has identical heads on every replica and reads the same.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeMap;

use commonroom_model::automerge::ChangeHash;
use commonroom_model::conversations::{
    self, ConversationIndex, Converse, DocKey, Docs, NewReply, NewThread, SideDoc, ThreadView,
};
use commonroom_model::{ChannelId, CommunityDoc, MemberId, MessageId, ThreadId};
use proptest::prelude::*;

use common::{ctx, fixture};

/// One replica: its own copy of every side document it has.
struct Replica {
    me: MemberId,
    docs: BTreeMap<DocKey, SideDoc>,
    /// The index as read at some heads, brought up to date by `refresh` after each step.
    kept: Option<(Vec<ChangeHash>, ConversationIndex)>,
}

impl Replica {
    fn new(me: MemberId, actor: u8) -> Self {
        let mut docs = BTreeMap::new();
        docs.insert(
            DocKey::Conversations,
            SideDoc::new(DocKey::Conversations, Some([actor; 16])),
        );
        Self {
            me,
            docs,
            kept: None,
        }
    }

    /// The index read afresh, and the one kept from an earlier read brought up to date.
    fn refreshed(&mut self) -> (ConversationIndex, ConversationIndex) {
        let doc = self.docs.get_mut(&DocKey::Conversations).unwrap();
        let fresh = ConversationIndex::read(doc).unwrap();
        let (since, mut kept) = match self.kept.take() {
            Some(kept) => kept,
            None => (doc.heads(), fresh.clone()),
        };
        kept.refresh(doc, &since).unwrap();
        self.kept = Some((doc.heads(), kept.clone()));
        (fresh, kept)
    }

    fn doc(&mut self, key: &DocKey, actor: u8) -> &mut SideDoc {
        self.docs
            .entry(key.clone())
            .or_insert_with(|| SideDoc::new(key.clone(), Some([actor; 16])))
    }

    fn index(&self) -> ConversationIndex {
        ConversationIndex::read(&self.docs[&DocKey::Conversations]).unwrap()
    }

    /// Runs a command as this replica's member; a refusal (a thread not listed here yet, a
    /// message not arrived) is fine, a panic is not.
    fn run(&mut self, community: &CommunityDoc, actor: u8, minute: i64, command: Converse) {
        let thread_key = command.thread().cloned().map(DocKey::Thread);
        if let Some(key) = &thread_key {
            self.doc(key, actor);
        }
        let mut index = self.docs.remove(&DocKey::Conversations).unwrap();
        let mut thread = thread_key.as_ref().and_then(|k| self.docs.remove(k));
        let _ = conversations::apply(
            Docs {
                community,
                index: &mut index,
                thread: thread.as_mut(),
            },
            &ctx(&self.me, minute),
            command,
        );
        self.docs.insert(DocKey::Conversations, index);
        if let (Some(key), Some(doc)) = (thread_key, thread) {
            self.docs.insert(key, doc);
        }
    }
}

/// Sends one document from replica `from` to `to` (as a sync would: all it has).
fn send(replicas: &mut [Replica], from: usize, to: usize, key: &DocKey, actor: u8) {
    if from == to {
        return;
    }
    let Some(mut source) = replicas[from].docs.remove(key) else {
        return;
    };
    replicas[to]
        .doc(key, actor)
        .automerge_mut()
        .merge(source.automerge_mut())
        .unwrap();
    replicas[from].docs.insert(key.clone(), source);
}

#[derive(Clone, Debug)]
enum Step {
    Ask {
        by: usize,
        question: bool,
    },
    Reply {
        by: usize,
        thread: usize,
        quote: bool,
    },
    React {
        by: usize,
        thread: usize,
    },
    Edit {
        by: usize,
        thread: usize,
    },
    Answer {
        by: usize,
        thread: usize,
    },
    /// Send one document (the index when `doc` is 0, else a thread) between two replicas.
    Send {
        from: usize,
        to: usize,
        doc: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..3, any::<bool>()).prop_map(|(by, question)| Step::Ask { by, question }),
        (0usize..3, 0usize..8, any::<bool>()).prop_map(|(by, thread, quote)| Step::Reply {
            by,
            thread,
            quote
        }),
        (0usize..3, 0usize..8).prop_map(|(by, thread)| Step::React { by, thread }),
        (0usize..3, 0usize..8).prop_map(|(by, thread)| Step::Edit { by, thread }),
        (0usize..3, 0usize..8).prop_map(|(by, thread)| Step::Answer { by, thread }),
        (0usize..3, 0usize..3, 0usize..9).prop_map(|(from, to, doc)| Step::Send { from, to, doc }),
    ]
}

/// Three members of one community (the community document is shared: members only).
fn three() -> (CommunityDoc, Vec<MemberId>) {
    let mut f = fixture();
    let third = MemberId::new("member-kim");
    f.doc
        .apply(
            &ctx(&f.founder, 3),
            commonroom_model::Command::AddMember(commonroom_model::commands::NewMember {
                id: third.clone(),
                name: "Kim".into(),
                organisation: None,
                roles: vec![commonroom_model::Role::Member],
                focus: vec![],
                contact: None,
            }),
        )
        .unwrap();
    (f.doc, vec![f.founder, f.member, third])
}

fn last_message(replica: &Replica, thread: &ThreadId) -> Option<MessageId> {
    let doc = replica.docs.get(&DocKey::Thread(thread.clone()))?;
    ThreadView::read(doc)
        .ok()?
        .messages
        .last()
        .map(|m| m.id.clone())
}

fn own_message(replica: &Replica, thread: &ThreadId) -> Option<MessageId> {
    let doc = replica.docs.get(&DocKey::Thread(thread.clone()))?;
    let view = ThreadView::read(doc).ok()?;
    view.messages
        .iter()
        .rev()
        .find(|m| m.by.as_ref() == Some(&replica.me) && !m.deleted)
        .map(|m| m.id.clone())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn replicas_converge_whatever_arrives_first(steps in proptest::collection::vec(step(), 1..60)) {
        let (community, members) = three();
        let mut replicas: Vec<Replica> = members
            .iter()
            .enumerate()
            .map(|(i, m)| Replica::new(m.clone(), i as u8 + 1))
            .collect();
        let mut threads: Vec<ThreadId> = Vec::new();
        for (n, step) in steps.into_iter().enumerate() {
            let minute = 10 + n as i64;
            match step {
                Step::Ask { by, question } => {
                    let id = ThreadId::new(format!("T{n:025}"));
                    threads.push(id.clone());
                    replicas[by].run(&community, by as u8 + 1, minute, Converse::StartThread(NewThread {
                        id,
                        first: MessageId::new(format!("m{n}")),
                        channel: ChannelId::new(conversations::GENERAL),
                        title: format!("thread {n}"),
                        text: "who can help?".into(),
                        question,
                        tags: vec![],
                        mentions: vec![],
                        theme: None,
                    }));
                }
                Step::Reply { by, thread, quote } => {
                    let Some(thread) = threads.get(thread % threads.len().max(1)).cloned() else { continue };
                    let reply_to = if quote { last_message(&replicas[by], &thread) } else { None };
                    replicas[by].run(&community, by as u8 + 1, minute, Converse::Reply(NewReply {
                        id: MessageId::new(format!("m{n}")),
                        thread,
                        text: format!("reply {n}"),
                        reply_to,
                        mentions: vec![],
                    }));
                }
                Step::React { by, thread } => {
                    let Some(thread) = threads.get(thread % threads.len().max(1)).cloned() else { continue };
                    let Some(message) = last_message(&replicas[by], &thread) else { continue };
                    replicas[by].run(&community, by as u8 + 1, minute, Converse::React {
                        thread, message, emoji: "👍".into(), on: n % 3 != 0,
                    });
                }
                Step::Edit { by, thread } => {
                    let Some(thread) = threads.get(thread % threads.len().max(1)).cloned() else { continue };
                    let Some(message) = own_message(&replicas[by], &thread) else { continue };
                    replicas[by].run(&community, by as u8 + 1, minute, Converse::Edit {
                        thread, message, text: format!("edited {n}"),
                    });
                }
                Step::Answer { by, thread } => {
                    let Some(thread) = threads.get(thread % threads.len().max(1)).cloned() else { continue };
                    let answer = last_message(&replicas[by], &thread);
                    replicas[by].run(&community, by as u8 + 1, minute, Converse::MarkAnswered { thread, answer });
                }
                Step::Send { from, to, doc } => {
                    let key = if doc == 0 {
                        Some(DocKey::Conversations)
                    } else {
                        threads.get((doc - 1) % threads.len().max(1)).cloned().map(DocKey::Thread)
                    };
                    if let Some(key) = key {
                        send(&mut replicas, from, to, &key, to as u8 + 1);
                    }
                }
            }
            // An index read earlier and brought up to date reads as a fresh read does.
            for replica in &mut replicas {
                let (fresh, kept) = replica.refreshed();
                prop_assert_eq!(fresh, kept);
            }
        }
        // Everything exchanged, every way.
        let keys: Vec<DocKey> = replicas.iter().flat_map(|r| r.docs.keys().cloned()).collect();
        for key in &keys {
            for from in 0..3 {
                for to in 0..3 {
                    send(&mut replicas, from, to, key, to as u8 + 1);
                }
            }
        }
        for key in &keys {
            let heads: Vec<_> = replicas.iter_mut().map(|r| r.docs.get_mut(key).unwrap().heads()).collect();
            prop_assert_eq!(&heads[0], &heads[1], "{} differs", key);
            prop_assert_eq!(&heads[1], &heads[2], "{} differs", key);
        }
        let index = replicas[0].index();
        prop_assert_eq!(&index, &replicas[1].index());
        prop_assert_eq!(&index, &replicas[2].index());
        // Every thread started is listed, with every message written into it, on every replica.
        for thread in &index.threads {
            let views: Vec<ThreadView> = replicas
                .iter()
                .map(|r| ThreadView::read(&r.docs[&DocKey::Thread(thread.id.clone())]).unwrap())
                .collect();
            prop_assert!(!views[0].messages.is_empty());
            prop_assert_eq!(&views[0], &views[1]);
            prop_assert_eq!(&views[1], &views[2]);
        }
    }
}

/// A reply that arrives before its thread is listed is kept, and shown once it is; a
/// replica that had the listing but not the messages could reply, and both replies stay.
#[test]
fn a_reply_before_its_thread_is_kept_and_shown_when_the_thread_arrives() {
    let (community, members) = three();
    let mut replicas: Vec<Replica> = members
        .iter()
        .enumerate()
        .map(|(i, m)| Replica::new(m.clone(), i as u8 + 1))
        .collect();
    let thread = ThreadId::new("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    let key = DocKey::Thread(thread.clone());
    replicas[0].run(
        &community,
        1,
        10,
        Converse::StartThread(NewThread {
            id: thread.clone(),
            first: MessageId::new("first"),
            channel: ChannelId::new(conversations::GENERAL),
            title: "Funding".into(),
            text: "Any leads?".into(),
            question: true,
            tags: vec![],
            mentions: vec![],
            theme: None,
        }),
    );
    // B gets the listing only (not the messages) and replies: its thread document starts
    // from the shared genesis.
    send(&mut replicas, 0, 1, &DocKey::Conversations, 2);
    replicas[1].run(
        &community,
        2,
        11,
        Converse::Reply(NewReply {
            id: MessageId::new("b-reply"),
            thread: thread.clone(),
            text: "Try the lottery fund".into(),
            reply_to: None,
            mentions: vec![],
        }),
    );
    // C gets B's reply (thread document) before any listing: kept, not listed yet.
    send(&mut replicas, 1, 2, &key, 3);
    assert!(replicas[2].index().thread(&thread).is_none());
    let held = ThreadView::read(&replicas[2].docs[&key]).unwrap();
    assert_eq!(held.messages.len(), 1);
    // The listing and A's opening arrive: C shows the thread with both messages.
    send(&mut replicas, 0, 2, &DocKey::Conversations, 3);
    send(&mut replicas, 0, 2, &key, 3);
    assert!(replicas[2].index().thread(&thread).is_some());
    let shown = ThreadView::read(&replicas[2].docs[&key]).unwrap();
    let texts: Vec<&str> = shown.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Any leads?", "Try the lottery fund"]);
}
