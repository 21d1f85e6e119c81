//! Two real nodes on loopback, each with the real app: one invites through its UI, the
//! other joins through its UI, and a change made in one window appears in the other.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use egui_kittest::kittest::Queryable;
use support::{Peer, click, shows, start_community, type_into, wait_for};

#[test]
fn a_change_in_one_window_appears_in_the_other() {
    let alice = Peer::start();
    let bob = Peer::start();
    let mut a = alice.app();
    let mut b = bob.app();

    start_community(&mut a, "Kinship Carers", "Alice");

    click(&mut a, "✉ Invite");
    click(&mut a, "Create invite");
    wait_for(&mut a, "an invite", |h| shows(h, "📋 Copy invite"));
    // The whole message, as it would be pasted from WhatsApp.
    let ticket = a
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Invite message")
        .value()
        .unwrap();
    a.key_press(egui::Key::Escape);
    a.step();

    wait_for(&mut b, "the first-run page", |h| {
        shows(h, "Join with an invite")
    });
    click(&mut b, "Join with an invite");
    type_into(&mut b, "Invite", &ticket);
    type_into(&mut b, "Your name", "Bob");
    click(&mut b, "Join community");
    wait_for(&mut b, "Bob's Home in the joined community", |h| {
        shows(h, "Welcome, Bob.") && shows(h, "Kinship Carers")
    });

    // Alice adds a note in her window; it appears on Bob's board.
    click(&mut a, "Notes");
    type_into(&mut a, "New note", "Schools don't know about kinship care");
    click(&mut a, "Add note");
    click(&mut b, "Notes");
    click(&mut b, "Board for");
    wait_for(&mut b, "the board choice", |h| shows(h, "all notes"));
    click(&mut b, "all notes");
    wait_for(&mut b, "Alice's note in Bob's window", |h| {
        shows(h, "Schools don't know about kinship care")
    });

    // Bob adds a member in his window; it appears in Alice's directory, and she sees him online.
    click(&mut b, "Members");
    click(&mut b, "➕ Add member");
    type_into(&mut b, "Name", "Chidi Obi");
    click(&mut b, "Save member");
    click(&mut a, "Members");
    wait_for(&mut a, "Bob's new member in Alice's window", |h| {
        shows(h, "Chidi Obi")
    });
    wait_for(&mut a, "Bob online in Alice's status bar", |h| {
        shows(h, "Live with 1 other device: changes travel at once")
    });

    // Alice builds a survey; Bob answers it in his window; Alice's chart counts it.
    click(&mut a, "Surveys");
    click(&mut a, "➕ New survey");
    type_into(&mut a, "Survey title", "Training needs");
    type_into(&mut a, "Question 1", "How confident are you?");
    click(&mut a, "Save survey");
    wait_for(&mut a, "Alice's survey", |h| {
        shows(h, "Training needs (0 answers)")
    });
    click(&mut b, "Surveys");
    wait_for(&mut b, "the survey in Bob's window", |h| {
        shows(h, "Training needs (0 answers)")
    });
    click(&mut b, "4");
    click(&mut b, "Send my answers");
    wait_for(&mut a, "Bob's answer in Alice's chart", |h| {
        shows(h, "Training needs (1 answer)") && shows(h, "4: 1")
    });
}
