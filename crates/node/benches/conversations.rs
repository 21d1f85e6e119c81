//! What conversations cost the rest of the community: posting one message, and opening the
//! community cold, in a community with 50,000 messages in 2,000 threads against one with
//! 100 messages in 4 threads (posting) and one with no conversation at all (opening), each
//! measured in the same run on real data directories.
//!
//! A third part measures a new member's first usable state over real iroh between two
//! processes: the generated five-year community with those 50,000 messages, until the new
//! member holds the community document, the conversation index and the 20 most recently
//! active threads, against the same community with no conversation, until it holds the
//! community document.
//!
//! Run: `cargo bench -p commonroom-node --bench conversations` (a few minutes after the
//! build). Targets (issue: conversations): posting at most 1.2x the small community's
//! cost; opening at most 1.1x the community without conversations; the first usable state
//! at most 1.3x.
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use commonroom_model::conversations::{
    self, Converse, DocKey, Docs, GENERAL, NewReply, NewThread, SideDoc,
};
use commonroom_model::generate::Spec;
use commonroom_model::{
    ChannelId, CommunityDoc, CommunityId, Ctx, MemberId, MessageId, ThreadId, Timestamp,
};
use commonroom_node::{Event, Node, NodeConfig, NodeHandle, Offline, Request, Response};
use commonroom_store::DataDir;

const POSTS: usize = 200;
const OPENS: usize = 7;
/// New members timed per community in the first-usable-state part; medians are compared.
const JOINS: usize = 5;
/// Set in the child process that serves a community to the joining members.
const CHILD: &str = "COMMONROOM_BENCH_SERVE_DIR";
/// The most recently active threads a new member needs before the screen is usable.
const NEWEST: usize = 20;

/// A community founded in `dir`; returns its id and the founder.
fn found(dir: &Path) -> (CommunityId, MemberId) {
    let mut offline = Offline::open(DataDir::open(dir).unwrap()).unwrap();
    let Response::Community(id) = offline
        .ask(Request::Create {
            name: "Bench CoP".into(),
            me: "Ana".into(),
        })
        .unwrap()
    else {
        panic!("not founded")
    };
    drop(offline);
    let me = founder(dir, &id);
    (id, me)
}

/// The member this device is in the community `id` of `dir` (its founder, here).
fn founder(dir: &Path, id: &CommunityId) -> MemberId {
    let mut offline = Offline::open(DataDir::open(dir).unwrap()).unwrap();
    let Response::Me(Some(me)) = offline
        .ask(Request::Me {
            community: id.clone(),
        })
        .unwrap()
    else {
        panic!("no member")
    };
    me
}

/// Writes `threads` threads of `per_thread` messages (the opening one included) into the
/// community's side documents, as members posting one message at a time would have: each
/// reply a change to its thread and to the index's last activity. Returns the threads,
/// most recently active first.
fn talk(
    dir: &Path,
    id: &CommunityId,
    me: &MemberId,
    threads: usize,
    per_thread: usize,
) -> Vec<ThreadId> {
    let data = DataDir::open(dir).unwrap();
    let community =
        CommunityDoc::from_automerge(data.open_community(id.as_str()).unwrap().doc).unwrap();
    let mut index = SideDoc::new(DocKey::Conversations, Some([9; 16]));
    let start = Timestamp::now().millis() - 400 * 86_400_000;
    let mut made = Vec::with_capacity(threads);
    for t in 0..threads {
        let thread = ThreadId::generate();
        made.push(thread.clone());
        let key = DocKey::Thread(thread.clone());
        let mut doc = SideDoc::new(key.clone(), Some([9; 16]));
        for m in 0..per_thread {
            let at = start + ((t * per_thread + m) as i64) * 60_000;
            let ctx = Ctx {
                by: Some(me.clone()),
                now: Timestamp::from_millis(at),
            };
            let command = if m == 0 {
                Converse::StartThread(NewThread {
                    id: thread.clone(),
                    first: MessageId::generate(),
                    channel: ChannelId::new(GENERAL),
                    title: format!("Question {t}: who knows about benefits appeals?"),
                    text: "We have a family who needs help with an appeal; has anyone done one?"
                        .into(),
                    question: t % 2 == 0,
                    tags: vec!["benefits".into()],
                    mentions: vec![],
                    theme: None,
                })
            } else {
                Converse::Reply(NewReply {
                    id: MessageId::generate(),
                    thread: thread.clone(),
                    text: format!(
                        "Reply {m}: the council's welfare rights team helped us last time."
                    ),
                    reply_to: None,
                    mentions: vec![],
                })
            };
            conversations::apply(
                Docs {
                    community: &community,
                    index: &mut index,
                    thread: Some(&mut doc),
                },
                &ctx,
                command,
            )
            .unwrap();
        }
        data.create_side_doc(id.as_str(), &key.encode(), doc.automerge_mut())
            .unwrap();
    }
    data.create_side_doc(id.as_str(), "conversations", index.automerge_mut())
        .unwrap();
    made.reverse();
    made
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median time to post one reply, durably, to the most recently active thread.
fn post(dir: &Path, id: &CommunityId) -> Duration {
    let mut offline = Offline::open(DataDir::open(dir).unwrap()).unwrap();
    let Response::Conversations(index) = offline
        .ask(Request::Conversations {
            community: id.clone(),
        })
        .unwrap()
    else {
        panic!("no index")
    };
    let thread = index.threads[0].id.clone();
    let mut times = Vec::with_capacity(POSTS);
    for n in 0..POSTS {
        let command = Converse::Reply(NewReply {
            id: MessageId::generate(),
            thread: thread.clone(),
            text: format!("timed reply {n}"),
            reply_to: None,
            mentions: vec![],
        });
        let started = Instant::now();
        offline
            .ask(Request::Converse {
                community: id.clone(),
                command,
            })
            .unwrap();
        times.push(started.elapsed());
    }
    median(times)
}

/// The median time to open the data directory and have the community ready to show.
fn open(dir: &Path, id: &CommunityId) -> Duration {
    let mut times = Vec::with_capacity(OPENS);
    for _ in 0..OPENS {
        let started = Instant::now();
        let mut offline = Offline::open(DataDir::open(dir).unwrap()).unwrap();
        let Response::View(_) = offline
            .ask(Request::View {
                community: id.clone(),
            })
            .unwrap()
        else {
            panic!("no view")
        };
        times.push(started.elapsed());
        drop(offline);
    }
    median(times)
}

/// Whether the new member holds the conversation index with every thread and each of the
/// `pending` threads with all its messages; those complete are taken out of `pending`.
async fn usable(
    handle: &NodeHandle,
    id: &CommunityId,
    threads: usize,
    per_thread: usize,
    pending: &mut BTreeSet<ThreadId>,
) -> bool {
    for thread in pending.clone() {
        // Not found until its listing or its messages arrive.
        if let Ok(read) = handle.thread(id.clone(), thread.clone(), false).await
            && read.view.messages.len() == per_thread
        {
            pending.remove(&thread);
        }
    }
    let index = handle.conversations(id.clone()).await.unwrap();
    pending.is_empty() && index.threads.len() == threads
}

/// New members join the community served from `dir` by another process, one at a time
/// (a first, untimed join warms the server the way a running node is warm); each is timed
/// from the join until it holds the community document and, when `newest` is not empty,
/// the conversation index with `threads` threads and each of `newest` with `per_thread`
/// messages.
fn first_usable(
    dir: &Path,
    threads: usize,
    newest: &[ThreadId],
    per_thread: usize,
) -> Vec<Duration> {
    let mut server = Process::new(std::env::current_exe().unwrap())
        .env(CHILD, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let tickets: Vec<commonroom_proto::Ticket> = (0..=JOINS)
        .map(|_| commonroom_proto::Ticket::decode(lines.next().unwrap().unwrap().trim()).unwrap())
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let times = runtime.block_on(async {
        let mut times = Vec::new();
        for ticket in tickets {
            let joiner = tempfile::tempdir().unwrap();
            let node = Node::start(NodeConfig::loopback(joiner.path()))
                .await
                .unwrap();
            let handle = node.handle();
            let mut events = handle.subscribe();
            let mut pending: BTreeSet<ThreadId> = newest.iter().cloned().collect();
            let started = Instant::now();
            let id = handle
                .join(ticket, "Newcomer".into(), vec![])
                .await
                .unwrap();
            let mut took = started.elapsed();
            if !newest.is_empty() {
                // Timed by the node's own word that each document is stored, so requests
                // waiting behind the sync of the other 1,980 threads do not count.
                let mut waiting: BTreeSet<DocKey> =
                    newest.iter().cloned().map(DocKey::Thread).collect();
                waiting.insert(DocKey::Conversations);
                let deadline = started + Duration::from_secs(300);
                while !waiting.is_empty() {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(left, events.recv()).await {
                        Ok(Ok(Event::Talked { doc, .. })) => {
                            waiting.remove(&doc);
                        }
                        Ok(Ok(_)) => {}
                        Ok(Err(missed)) => panic!("events were missed ({missed}); no measure"),
                        Err(_) => panic!("the newest threads never arrived"),
                    }
                }
                took = started.elapsed();
                // What arrived is whole (checked after the clock stopped).
                assert!(
                    usable(&handle, &id, threads, per_thread, &mut pending).await,
                    "the newest threads arrived incomplete"
                );
            }
            times.push(took);
            node.shutdown().await;
        }
        times.remove(0);
        times
    });
    drop(server.stdin.take());
    let _ = server.wait();
    times
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD) {
        support::serve_invites(&dir, JOINS + 1);
        return;
    }
    if !std::env::args().any(|arg| arg == "first-usable") {
        posting_and_opening();
    }
    first_usable_state();
}

/// Posting one message and opening the community, with and without conversations.
fn posting_and_opening() {
    let (big, small, none) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let started = Instant::now();
    let (big_id, me) = found(big.path());
    talk(big.path(), &big_id, &me, 2_000, 25);
    println!(
        "wrote 50,000 messages in 2,000 threads in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (small_id, me) = found(small.path());
    talk(small.path(), &small_id, &me, 4, 25);
    let (none_id, _) = found(none.path());

    // Warm the page cache and the first-connection listing alike for both.
    open(big.path(), &big_id);
    open(none.path(), &none_id);
    let open_big = open(big.path(), &big_id);
    let open_none = open(none.path(), &none_id);
    println!(
        "open cold: {:.2} ms with 50,000 messages, {:.2} ms with none: ratio {:.2} (target <= 1.1)",
        ms(open_big),
        ms(open_none),
        ms(open_big) / ms(open_none)
    );
    let post_small = post(small.path(), &small_id);
    let post_big = post(big.path(), &big_id);
    println!(
        "post one message: median {:.3} ms with 50,000 messages, {:.3} ms with 100: ratio {:.2} (target <= 1.2)",
        ms(post_big),
        ms(post_small),
        ms(post_big) / ms(post_small)
    );
}

/// A new member's first usable state, the five-year community with and without the 50,000
/// messages (`cargo bench -p commonroom-node --bench conversations -- first-usable` runs
/// only this part).
fn first_usable_state() {
    let spec = Spec::default();
    let (talking, quiet) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let talking_id = commonroom_node::install_generated(talking.path(), &spec);
    let founder = founder(talking.path(), &talking_id);
    let threads = talk(talking.path(), &talking_id, &founder, 2_000, 25);
    commonroom_node::install_generated(quiet.path(), &spec);
    let with = first_usable(talking.path(), 2_000, &threads[..NEWEST], 25);
    let without = first_usable(quiet.path(), 0, &[], 0);
    let list = |times: &[Duration]| {
        times
            .iter()
            .map(|t| format!("{:.0}", ms(*t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "new member's first usable state over iroh between two processes: median {:.0} ms with 50,000 messages ({} ms; community, index and the {NEWEST} newest threads), {:.0} ms with none ({} ms): ratio {:.2} (target <= 1.3)",
        ms(median(with.clone())),
        list(&with),
        ms(median(without.clone())),
        list(&without),
        ms(median(with)) / ms(median(without))
    );
}
