//! Conversations between real `commonroom` processes on loopback (relays and mDNS off): a
//! question asked on A reaches B live, B replies, A marks it answered, C (away meanwhile)
//! gets all of it when it is back; a member removed while away gets no conversation
//! written after the removal.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::path::Path;
use std::time::Duration;

use support::{LOOPBACK as NET, Serve, eventually, ok, run};

const WAIT: Duration = Duration::from_secs(60);

fn join(inviter: &Path, joiner: &Path, community: &str, name: &str) {
    let ticket = ok(inviter, &["invite", community]);
    ok(
        joiner,
        &[
            "join", &ticket, "--me", name, NET[0], NET[1], NET[2], NET[3],
        ],
    );
}

fn threads(dir: &Path, community: &str) -> serde_json::Value {
    serde_json::from_str(&ok(dir, &["thread", "list", community, "--json"])).unwrap()
}

fn thread_json(dir: &Path, community: &str, thread: &str) -> Option<serde_json::Value> {
    let out = run(dir, &["thread", "show", community, thread, "--json"]);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

fn texts(thread: &serde_json::Value) -> Vec<String> {
    thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_question_reaches_members_live_and_an_absent_member_gets_it_all_on_return() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (a, b, c) = (a.path(), b.path(), c.path());
    let id = ok(a, &["create", "Carers CoP", "--me", "Alex"]);
    let _serve_a = Serve::start(a);
    join(a, b, &id, "Bea");
    join(a, c, &id, "Cai");
    let serve_b = Serve::start(b);
    let serve_c = Serve::start(c);
    // B starts keeping track of what it has read: nothing yet.
    assert_eq!(ok(b, &["unread", &id]), "nothing unread");

    // Asked on A; B sees it live, unread until B is shown it.
    let question = ok(
        a,
        &[
            "thread",
            "add",
            &id,
            "--title",
            "Respite care funding",
            "--text",
            "Has anyone got respite funding from the council?",
            "--question",
            "--tag",
            "respite",
        ],
    );
    let took = eventually("B has A's question, unread", WAIT, || {
        let unread: serde_json::Value =
            serde_json::from_str(&ok(b, &["unread", &id, "--json"])).unwrap();
        unread["threads"][&question]["messages"] == 1
    });
    println!("the question reached B in {took:?}");
    // Showing it marks it read (on B only), below a "new" divider the first time.
    let shown = ok(b, &["thread", "show", &id, &question]);
    assert!(
        shown.contains("--- new since you last looked ---"),
        "{shown}"
    );
    assert!(
        shown.contains("Has anyone got respite funding from the council?"),
        "{shown}"
    );
    assert_eq!(ok(b, &["unread", &id]), "nothing unread");
    let again = ok(b, &["thread", "show", &id, &question]);
    assert!(!again.contains("new since you last looked"), "{again}");
    // C has it too, then goes away.
    eventually("C has A's question", WAIT, || {
        thread_json(c, &id, &question).is_some()
    });
    serve_c.kill();

    // B replies; A sees the reply live and marks it the answer.
    let reply = ok(
        b,
        &[
            "thread",
            "reply",
            &id,
            &question,
            "--text",
            "Yes: ask for a carer's assessment first.",
        ],
    );
    eventually("A has B's reply", WAIT, || {
        thread_json(a, &id, &question).is_some_and(|t| texts(&t).len() == 2)
    });
    ok(a, &["thread", "react", &id, &reply, "--emoji", "🙏"]);
    ok(
        a,
        &["thread", "answer", &id, &question, "--message", &reply],
    );
    let listed = threads(a, &id);
    assert_eq!(listed[0]["answer"], reply.as_str(), "{listed}");
    // A discussion started by B while C is away.
    let chat = ok(
        b,
        &[
            "thread",
            "add",
            &id,
            "--title",
            "Meeting venue",
            "--text",
            "The library again?",
        ],
    );
    eventually("A has B's discussion", WAIT, || {
        threads(a, &id).as_array().unwrap().len() == 2
    });

    // C comes back and gets all of it: the answer, the reaction, the new thread.
    let _serve_c = Serve::start(c);
    let took = eventually("C has everything on return", WAIT, || {
        let listed = threads(c, &id);
        let answered = listed
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == question.as_str() && t["answer"] == reply.as_str());
        let reacted = thread_json(c, &id, &question).is_some_and(|t| {
            texts(&t).len() == 2 && t["messages"][1]["reactions"]["🙏"].as_array().is_some()
        });
        answered && reacted && thread_json(c, &id, &chat).is_some()
    });
    println!("C caught up in {took:?}");
    // Open questions: none left on C.
    let open: serde_json::Value = serde_json::from_str(&ok(
        c,
        &["thread", "list", &id, "--open-questions", "--json"],
    ))
    .unwrap();
    assert_eq!(open.as_array().unwrap().len(), 0, "{open}");
    // Nothing of the conversations is in the community document.
    let show = ok(c, &["show", &id, "--json"]);
    assert!(
        !show.contains("carer's assessment"),
        "a message leaked into the community document"
    );
    drop(serve_b);
}

#[test]
fn a_removed_member_gets_no_conversation_written_after_the_removal() {
    let (a, d) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, d) = (a.path(), d.path());
    let id = ok(a, &["create", "Moderated CoP", "--me", "Alex"]);
    let _serve_a = Serve::start(a);
    join(a, d, &id, "Dee");
    let serve_d = Serve::start(d);
    // While a member, Dee gets threads (so the check below can fail).
    let before = ok(
        a,
        &[
            "thread",
            "add",
            &id,
            "--title",
            "Before",
            "--text",
            "Dee is still here",
        ],
    );
    eventually("Dee has the first thread", WAIT, || {
        thread_json(d, &id, &before).is_some()
    });
    serve_d.kill();

    let dee = serde_json::from_str::<serde_json::Value>(&ok(a, &["show", &id, "--json"])).unwrap()
        ["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Dee")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(a, &["member", "remove", &id, &dee]);
    let after = ok(
        a,
        &[
            "thread",
            "add",
            &id,
            "--title",
            "After",
            "--text",
            "not for Dee",
        ],
    );
    ok(
        a,
        &[
            "thread",
            "reply",
            &id,
            &before,
            "--text",
            "also not for Dee",
        ],
    );

    let _serve_d = Serve::start(d);
    let synced = run(d, &["sync", &id, "--timeout", "5"]);
    assert!(!synced.status.success(), "the removed member synced");
    let listed = threads(d, &id);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        texts(&thread_json(d, &id, &before).unwrap()),
        ["Dee is still here"]
    );
    assert!(thread_json(d, &id, &after).is_none());
    let docs = d.join("communities").join(&id).join("docs");
    assert!(!docs.join(format!("thread-{after}")).exists());
}
