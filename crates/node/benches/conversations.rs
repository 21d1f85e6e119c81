//! What conversations cost the rest of the community: posting one message, and opening the
//! community cold, in a community with 50,000 messages in 2,000 threads against one with
//! 100 messages in 4 threads (posting) and one with no conversation at all (opening), each
//! measured in the same run on real data directories.
//!
//! Run: `cargo bench -p commonroom-node --bench conversations` (a minute or two after the
//! build). Targets (issue: conversations): posting at most 1.2x the small community's
//! cost; opening at most 1.1x the community without conversations.
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::path::Path;
use std::time::{Duration, Instant};

use commonroom_model::conversations::{
    self, Converse, DocKey, Docs, GENERAL, NewReply, NewThread, SideDoc,
};
use commonroom_model::{
    ChannelId, CommunityDoc, CommunityId, Ctx, MemberId, MessageId, ThreadId, Timestamp,
};
use commonroom_node::{Offline, Request, Response};
use commonroom_store::DataDir;

const POSTS: usize = 200;
const OPENS: usize = 7;

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
    let Response::Me(Some(me)) = offline
        .ask(Request::Me {
            community: id.clone(),
        })
        .unwrap()
    else {
        panic!("no member")
    };
    (id, me)
}

/// Writes `threads` threads of `per_thread` messages (the opening one included) into the
/// community's side documents, as members posting one message at a time would have: each
/// reply a change to its thread and to the index's last activity.
fn talk(dir: &Path, id: &CommunityId, me: &MemberId, threads: usize, per_thread: usize) {
    let data = DataDir::open(dir).unwrap();
    let community =
        CommunityDoc::from_automerge(data.open_community(id.as_str()).unwrap().doc).unwrap();
    let mut index = SideDoc::new(DocKey::Conversations, Some([9; 16]));
    let start = Timestamp::now().millis() - 400 * 86_400_000;
    for t in 0..threads {
        let thread = ThreadId::generate();
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

fn main() {
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
