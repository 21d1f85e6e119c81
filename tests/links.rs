//! Invite links from the command line, with real processes on loopback: `invite --message`
//! says what to do and holds a `commonroom://` link; `join` takes the link or the whole
//! message; a link opened while `serve` (no window) runs on the directory is refused in
//! plain words; `--version`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use support::{LOOPBACK as NET, Serve, ok, run};

#[test]
fn an_invite_message_holds_a_link_that_joins() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let id = ok(a.path(), &["create", "Kinship Carers", "--me", "Ann"]);
    let _serve = Serve::start(a.path());
    let message = ok(a.path(), &["invite", "kinship", "--days", "3", "--message"]);
    assert!(message.starts_with("You are invited to join \"Kinship Carers\" on Commonroom."));
    assert!(message.contains("for 3 days"), "{message}");
    let link = message
        .lines()
        .find_map(|line| line.strip_prefix("If Commonroom is installed, open this link: "))
        .unwrap();
    assert!(link.starts_with("commonroom://join/commonroom1"), "{link}");

    let joined = ok(
        b.path(),
        &["join", link, "--me", "Sam", NET[0], NET[1], NET[2], NET[3]],
    );
    assert_eq!(joined, id);
    // The whole message, pasted as it came.
    let message = ok(a.path(), &["invite", "kinship", "--message"]);
    let joined = ok(
        c.path(),
        &[
            "join", &message, "--me", "Cai", NET[0], NET[1], NET[2], NET[3],
        ],
    );
    assert_eq!(joined, id);
}

#[test]
fn bad_links_and_a_window_less_node_get_plain_errors() {
    let a = tempfile::tempdir().unwrap();
    ok(a.path(), &["create", "Kinship Carers", "--me", "Ann"]);
    for (link, says) in [
        (
            "commonroom://join/commonroom1zz",
            "the invite text is damaged",
        ),
        ("commonroom://join/hello", "this is not a Commonroom invite"),
        ("commonroom://settings", "does not hold an invite"),
        ("commonroom://join/%zz", "broken %-escapes"),
    ] {
        let out = run(
            a.path(),
            &["join", link, "--me", "Sam", NET[0], NET[1], NET[2], NET[3]],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{link}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{link}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

    // `serve` has no window to show a link in: the second launch says so and fails.
    let _serve = Serve::start(a.path());
    let ticket = ok(a.path(), &["invite", "kinship"]);
    let out = run(a.path(), &[&format!("commonroom://join/{ticket}")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("without a window"), "{stderr}");
}

#[test]
fn version_is_printed() {
    let a = tempfile::tempdir().unwrap();
    let version = ok(a.path(), &["--version"]);
    assert_eq!(version, format!("commonroom {}", env!("CARGO_PKG_VERSION")));
}
