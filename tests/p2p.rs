//! Real `commonroom` processes syncing over loopback (relays and mDNS off): serve, the
//! control socket, invite and join, live edits, and a node killed mid-sync.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{LOOPBACK as NET, Serve, bin, eventually, note_texts, ok, run, show};

#[test]
fn two_processes_invite_join_and_sync_live() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let id = ok(a.path(), &["create", "Family Support CoP", "--me", "Alex"]);
    ok(
        a.path(),
        &["note", "add", "family", "--text", "written before serving"],
    );
    let serve_a = Serve::start(a.path());
    // Commands on a served directory go through the control socket.
    ok(
        a.path(),
        &["note", "add", "family", "--text", "written while serving"],
    );
    let ticket = ok(a.path(), &["invite", "family"]);
    assert!(ticket.starts_with("commonroom1"));

    let joined = ok(
        b.path(),
        &[
            "join", &ticket, "--me", "Sam", "--focus", "housing", NET[0], NET[1], NET[2], NET[3],
        ],
    );
    assert_eq!(joined, id);
    assert_eq!(
        note_texts(b.path(), &id),
        note_texts(a.path(), &id),
        "the joiner has the whole community"
    );
    let v = show(b.path(), &id);
    assert!(
        v["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "Sam" && m["focus"][0] == "housing")
    );

    // The invite is spent.
    let c = tempfile::tempdir().unwrap();
    let again = run(
        c.path(),
        &[
            "join", &ticket, "--me", "Cai", NET[0], NET[1], NET[2], NET[3],
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already been used"));

    // Apart, then live: B edits offline, then serves; both sides converge and stay live.
    ok(b.path(), &["note", "add", &id, "--text", "Sam, offline"]);
    let serve_b = Serve::start(b.path());
    eventually(
        "B's offline note reaches A",
        Duration::from_secs(60),
        || note_texts(a.path(), &id).contains(&"Sam, offline".to_string()),
    );
    ok(a.path(), &["note", "add", &id, "--text", "Alex, live"]);
    eventually("A's live note reaches B", Duration::from_secs(60), || {
        note_texts(b.path(), &id).contains(&"Alex, live".to_string())
    });
    let peers = ok(a.path(), &["peers", &id]);
    assert!(peers.contains("Sam") && peers.contains("online"), "{peers}");
    let synced = ok(b.path(), &["sync", &id, "--timeout", "10"]);
    assert!(synced.contains("synced with 1 of 1"), "{synced}");
    assert_eq!(show(a.path(), &id)["heads"], show(b.path(), &id)["heads"]);
    // B's laptop goes away without a word (killed: no goodbye reaches A). A counts B as
    // gone once the connection has been silent for 12 s (the last path a few seconds
    // later), not after QUIC's default 30 s.
    serve_b.kill();
    let took = eventually("A sees that B is gone", Duration::from_secs(25), || {
        ok(a.path(), &["peers", &id]).contains("offline")
    });
    println!("A saw B gone after {took:?}");
    drop(serve_a);
}

#[test]
fn a_node_killed_mid_sync_loses_nothing_and_finishes_after_restart() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let id = ok(a.path(), &["create", "Big CoP", "--me", "Alex"]);
    // A sizeable history so the first sync takes a while.
    for i in 0..150 {
        ok(
            a.path(),
            &[
                "note",
                "add",
                &id,
                "--text",
                &format!("note {i}: {}", "waiting lists are long ".repeat(8)),
            ],
        );
    }
    let serve_a = Serve::start(a.path());
    let expected = note_texts(a.path(), &id);

    let mut killed_at_least_once = false;
    for delay_ms in [30u64, 120, 400] {
        if b.path().join("communities").join(&id).exists() {
            break;
        }
        let ticket = ok(a.path(), &["invite", &id]);
        let mut join = Command::new(bin())
            .arg("--data-dir")
            .arg(b.path())
            .args(["join", &ticket, "--me", "Sam"])
            .args(&NET[..4])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if join.try_wait().unwrap().is_none() {
            killed_at_least_once = true;
        }
        join.kill().unwrap();
        join.wait().unwrap();
    }
    assert!(
        killed_at_least_once,
        "the joiner was killed while still working"
    );
    // Also kill the serving side once, mid-whatever, and restart it.
    serve_a.kill();
    let _serve_a = Serve::start(a.path());
    assert_eq!(
        note_texts(a.path(), &id),
        expected,
        "the killed server lost nothing"
    );

    if !b.path().join("communities").join(&id).exists() {
        // Killed before the inviter answered: join again, as a person would.
        let ticket = ok(a.path(), &["invite", &id]);
        ok(
            b.path(),
            &[
                "join", &ticket, "--me", "Sam", NET[0], NET[1], NET[2], NET[3],
            ],
        );
    }
    let _serve_b = Serve::start(b.path());
    eventually(
        "B completes the sync after restarts",
        Duration::from_secs(90),
        || {
            run(b.path(), &["show", &id, "--json"]).status.success()
                && note_texts(b.path(), &id) == expected
        },
    );
}

#[test]
fn a_second_device_links_as_the_same_member_and_a_lost_one_is_unlinked() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let id = ok(a.path(), &["create", "Family Support CoP", "--me", "Alex"]);
    let serve_a = Serve::start(a.path());
    let ticket = ok(a.path(), &["device", "link", "family"]);
    let listed = ok(a.path(), &["invites", "list", "family"]);
    assert!(listed.contains("links a device of Alex"), "{listed}");
    let joined = ok(
        b.path(),
        &[
            "join",
            &ticket,
            "--me",
            "Alex's laptop",
            NET[0],
            NET[1],
            NET[2],
            NET[3],
        ],
    );
    assert_eq!(joined, id);
    let members = show(b.path(), &id)["members"].as_array().unwrap().len();
    assert_eq!(members, 1, "no new member: the laptop is Alex");
    let devices = ok(a.path(), &["device", "list", "family"]);
    assert!(devices.contains("Alex's laptop"), "{devices}");
    // The laptop writes as Alex.
    ok(b.path(), &["note", "add", &id, "--text", "from the laptop"]);
    let history = ok(b.path(), &["history", &id, "--limit", "1"]);
    assert!(history.contains("Alex added the note"), "{history}");
    // The ticket was one-time; it is no longer listed as open.
    assert!(!ok(a.path(), &["invites", "list", "family"]).contains("links a device"));

    // The laptop is lost: Alex unlinks it, and it can no longer sync.
    let laptop = devices
        .lines()
        .find(|l| l.contains("Alex's laptop"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    ok(a.path(), &["device", "unlink", "family", &laptop[..10]]);
    let refused = run(
        b.path(),
        &[
            "sync",
            &id,
            "--timeout",
            "5",
            NET[0],
            NET[1],
            NET[2],
            NET[3],
        ],
    );
    assert!(
        !refused.status.success(),
        "an unlinked device syncs with nobody"
    );
    drop(serve_a);
}

#[test]
fn a_group_invite_is_honoured_by_a_member_while_the_inviter_is_away() {
    let dirs: Vec<_> = (0..6).map(|_| tempfile::tempdir().unwrap()).collect();
    let (a, b) = (dirs[0].path(), dirs[1].path());
    let id = ok(a, &["create", "Peer Support Circle", "--me", "Alex"]);
    let serve_a = Serve::start(a);
    let ticket = ok(a, &["invite", &id]);
    ok(
        b,
        &[
            "join", &ticket, "--me", "Bea", NET[0], NET[1], NET[2], NET[3],
        ],
    );
    let _serve_b = Serve::start(b);
    eventually("Bea is online with Alex", Duration::from_secs(60), || {
        ok(a, &["peers", &id]).contains("online")
    });

    // One invite for a group of three, made while Bea is online: it names her too.
    let group = ok(a, &["invite", &id, "--uses", "3", "--days", "7"]);
    let decoded = commonroom_proto::Ticket::decode(&group).unwrap();
    assert_eq!(decoded.others.len(), 1, "the ticket names Bea's device");
    eventually(
        "Bea's copy has the group invite",
        Duration::from_secs(60),
        || ok(b, &["invites", "list", &id]).contains("3 of 3 places left"),
    );
    serve_a.kill();

    // Alex is away: Bea's node lets the three in.
    for (dir, name) in [
        (dirs[2].path(), "Cai"),
        (dirs[3].path(), "Dev"),
        (dirs[4].path(), "Eli"),
    ] {
        let joined = ok(
            dir,
            &["join", &group, "--me", name, NET[0], NET[1], NET[2], NET[3]],
        );
        assert_eq!(joined, id, "{name} joined");
        let names: Vec<String> = show(dir, &id)["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(names.contains(&name.to_owned()), "{names:?}");
    }
    // A fourth use is refused, in plain words.
    let fourth = run(
        dirs[5].path(),
        &[
            "join", &group, "--me", "Fay", NET[0], NET[1], NET[2], NET[3],
        ],
    );
    assert!(!fourth.status.success());
    let said = String::from_utf8_lossy(&fourth.stderr);
    assert!(
        said.contains("used by as many people as it was for"),
        "{said}"
    );
    assert!(!ok(b, &["invites", "list", &id]).contains("places left"));
}
