//! Membership and history in the window: restoring from the History screen, roles deciding
//! what is offered, removal seen by the removed member, and linking a second device.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use support::{
    Peer, click, open_sample, settle, shows, shows_part, start_community, type_into, wait_for,
};

fn live_notes(h: &egui_kittest::Harness<'_, commonroom_ui::CommonroomApp>) -> usize {
    h.state()
        .view()
        .map_or(0, |v| v.notes.values().filter(|n| !n.deleted).count())
}

#[test]
fn notes_removed_by_mistake_come_back_from_the_history_screen() {
    let peer = Peer::start();
    let mut app = peer.app();
    open_sample(&mut app);
    let before = live_notes(&app);
    click(&mut app, "Notes");
    for gone in 1..=2 {
        app.get_all_by_label("Options").next().unwrap().click();
        app.step();
        app.step();
        let remove = if shows(&app, "Remove note") {
            "Remove note"
        } else {
            "Hide note (moderator)"
        };
        click(&mut app, remove);
        settle(&mut app);
        // The board shows the removal only once the new snapshot arrives, after the write.
        wait_for(&mut app, "the note gone from the board", |h| {
            live_notes(h) == before - gone
        });
    }

    click(&mut app, "History");
    wait_for(&mut app, "the removals in the feed", |h| {
        shows_part(h, "(and 1 more like it)")
    });
    app.get_all_by_label("Restore all notes")
        .next()
        .unwrap()
        .click();
    app.step();
    app.step();
    assert!(shows_part(&app, "Bring back every one of the notes"));
    click(&mut app, "Restore");
    settle(&mut app);
    wait_for(&mut app, "the notes back", |h| live_notes(h) == before);
    wait_for(&mut app, "the restore in the feed", |h| {
        shows_part(h, "restored notes")
    });

    // Each item leads to its own history: an event's page opens the feed of that event.
    click(&mut app, "Events");
    wait_for(&mut app, "an event's page", |h| shows(h, "✏ Edit event"));
    // The page's own button (the side bar's screen of the same name comes first).
    app.get_all_by_label("History").last().unwrap().click();
    app.step();
    app.step();
    wait_for(&mut app, "the event's own history", |h| {
        shows(h, "Show the whole section") && shows_part(h, "added the event")
    });
    assert!(
        !shows_part(&app, "restored notes"),
        "only that event's changes"
    );
}

#[test]
fn roles_removal_and_a_second_device_across_three_windows() {
    let alice = Peer::start();
    let bob = Peer::start();
    let mut a = alice.app();
    let mut b = bob.app();
    start_community(&mut a, "Young Carers Network", "Alice");
    let id = a.state().current().unwrap().to_owned();
    let ticket = alice
        .runtime
        .block_on(alice.handle().invite(id.clone(), Duration::from_secs(3600)))
        .unwrap();
    bob.runtime
        .block_on(bob.handle().join(ticket, "Bob".into(), vec![]))
        .unwrap();
    wait_for(&mut b, "Bob's Home", |h| shows(h, "Welcome, Bob."));

    // Bob is a member: he is not offered invites or roles, and is told whom to ask.
    click(&mut b, "✉ Invite");
    wait_for(&mut b, "the explanation", |h| {
        shows_part(h, "Only facilitators and core-group members invite people")
            && shows_part(h, "Ask Alice")
    });
    assert!(!shows(&b, "📋 Copy invite"));
    b.key_press(egui::Key::Escape);
    b.step();

    // Alice links a second device from her profile; it joins as Alice.
    click(&mut a, "Members");
    wait_for(&mut a, "Alice in the list", |h| shows(h, "Alice (you)"));
    click(&mut a, "Alice (you)");
    click(&mut a, "Link another device");
    wait_for(&mut a, "a device-link ticket", |h| {
        shows(h, "📋 Copy invite")
    });
    let link = a
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Invite ticket")
        .value()
        .unwrap();
    let laptop = Peer::start();
    let mut l = laptop.app();
    wait_for(&mut l, "the first-run page", |h| {
        shows(h, "Join with an invite")
    });
    click(&mut l, "Join with an invite");
    type_into(&mut l, "Invite", &link);
    type_into(&mut l, "Your name", "Alice's laptop");
    click(&mut l, "Join community");
    wait_for(&mut l, "the second device acting as Alice", |h| {
        shows(h, "Welcome, Alice.") && shows(h, "Young Carers Network")
    });
    click(&mut a, "Done");
    wait_for(&mut a, "the new device on Alice's profile", |h| {
        shows_part(h, "Alice's laptop (")
    });
    let members = a.state().view().unwrap().members.len();
    assert_eq!(members, 2, "linking a device adds no member");
    // The laptop in use is marked, and only the other device can be unlinked from here.
    assert!(shows(&a, "this laptop"));
    assert_eq!(a.query_all_by_label("Unlink").count(), 1);

    // Alice, a facilitator, makes invites when she asks, for whom and as long as she
    // chooses, and withdraws one.
    click(&mut a, "✉ Invite");
    wait_for(&mut a, "the dialog", |h| shows(h, "Open invites (0)"));
    click(&mut a, "Create invite");
    wait_for(&mut a, "an invite", |h| {
        shows(h, "📋 Copy invite") && shows(h, "Open invites (1)")
    });
    a.get_by_role_and_label(egui::accesskit::Role::ComboBox, "For")
        .click();
    a.step();
    a.step();
    click(&mut a, "up to 5 people");
    a.get_by_role_and_label(egui::accesskit::Role::ComboBox, "valid for")
        .click();
    a.step();
    a.step();
    click(&mut a, "1 day");
    assert!(shows(&a, "Open invites (1)"), "choosing makes nothing");
    click(&mut a, "Create invite");
    wait_for(&mut a, "a second invite, for a group, for one day", |h| {
        shows(h, "📋 Copy invite")
            && shows(h, "Open invites (2)")
            && shows_part(h, "5 of 5 places left")
    });
    let message = a
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Invite message")
        .value()
        .unwrap();
    assert!(message.contains("up to 5 people, for 1 day"), "{message}");
    a.get_all_by_label("Withdraw")
        .next()
        .unwrap()
        .click_accesskit();
    a.step();
    settle(&mut a);
    wait_for(&mut a, "one invite withdrawn", |h| {
        shows(h, "Open invites (1)")
    });
    a.key_press(egui::Key::Escape);
    a.step();

    // Alice removes Bob, giving a reason; Bob's window says so plainly.
    click(&mut a, "Bob");
    click(&mut a, "Remove from the community");
    type_into(&mut a, "Reason (optional, members see it)", "moved away");
    click(&mut a, "Remove");
    settle(&mut a);
    wait_for(&mut b, "Bob told he was removed", |h| {
        shows_part(h, "You were removed from Young Carers Network by Alice")
            && shows_part(h, "Reason given: moved away")
    });
    // Bob's window no longer offers what it would refuse, and says why; his status bar
    // promises no sync.
    click(&mut b, "Notes");
    wait_for(&mut b, "why there is no note box", |h| {
        shows_part(
            h,
            "You were removed from this community, so you can read its notes",
        )
    });
    assert!(b.query_by_label("New note").is_none());
    assert!(shows_part(&b, "this copy no longer syncs"));
}
