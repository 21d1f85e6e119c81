//! The real app, headless, driven through its accessibility labels like a person with a
//! screen reader would: first run, members, events, RSVP, notes, themes, search, invites,
//! several communities.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use commonroom_ui::{Prefs, Tab};
use egui_kittest::kittest::Queryable;
use support::{Peer, click, settle, shows, shows_part, start_community, type_into, wait_for};

#[test]
fn a_new_user_starts_a_community_and_runs_a_meeting() {
    let peer = Peer::start();
    let mut app = peer.app();
    wait_for(&mut app, "the first-run page", |h| {
        shows(h, "Start a community")
    });
    assert!(shows(&app, "Join with an invite"));
    assert!(shows(&app, "Explore a sample community"));

    click(&mut app, "Start a community");
    type_into(&mut app, "Community name", "Carers Circle");
    type_into(&mut app, "Your name", "Jo");
    click(&mut app, "Create community");
    wait_for(&mut app, "the new community's Home", |h| {
        shows(h, "Welcome, Jo.")
    });

    // Members: add one, find them with the search box.
    click(&mut app, "Members");
    click(&mut app, "➕ Add member");
    type_into(&mut app, "Name", "Ravi Patel");
    type_into(&mut app, "Organisation", "Carers Hub");
    type_into(
        &mut app,
        "Focus areas (comma separated)",
        "respite, benefits",
    );
    click(&mut app, "Save member");
    wait_for(&mut app, "the member in the directory", |h| {
        shows(h, "Ravi Patel · Carers Hub")
    });
    assert!(shows(&app, "Jo (you)"));
    type_into(&mut app, "Search members", "ravi");
    wait_for(&mut app, "the search to filter", |h| {
        !shows(h, "Jo (you)") && shows(h, "Ravi Patel · Carers Hub")
    });
    click(&mut app, "Ravi Patel · Carers Hub");
    assert!(shows(&app, "Focus areas: benefits, respite"));

    // Events: create one, RSVP, check someone in.
    click(&mut app, "Events");
    click(&mut app, "➕ New event");
    type_into(&mut app, "Title", "Monthly circle");
    click(&mut app, "Save event");
    wait_for(&mut app, "the event in the list", |h| {
        shows_part(h, "Monthly circle · Meeting")
    });
    app.get_by_label_contains("Monthly circle · Meeting")
        .click();
    app.step();
    wait_for(&mut app, "the event page", |h| shows(h, "Yes, I'll come"));
    click(&mut app, "Yes, I'll come");
    wait_for(&mut app, "the RSVP to count", |h| {
        shows(h, "RSVPs: 1 yes, 0 maybe, 0 no")
    });

    // Notes on the event's board, one anonymous; a theme to cluster them into.
    click(&mut app, "Themes");
    click(&mut app, "➕ Add theme");
    type_into(&mut app, "Theme name", "Respite");
    click(&mut app, "Save theme");
    wait_for(&mut app, "the theme", |h| shows(h, "Respite · 0 notes"));
    click(&mut app, "Notes");
    type_into(&mut app, "New note", "Nobody covers weekends");
    click(&mut app, "Add note");
    click(&mut app, "Anonymous");
    type_into(&mut app, "New note", "I am close to burning out");
    click(&mut app, "Add note");
    wait_for(&mut app, "both notes on the board", |h| {
        shows(h, "Nobody covers weekends") && shows(h, "I am close to burning out")
    });
    settle(&mut app);
    let view = app.state().view().unwrap();
    let anonymous = view
        .notes
        .values()
        .find(|n| n.text == "I am close to burning out")
        .unwrap();
    assert_eq!(anonymous.author, None, "an anonymous note names nobody");
    let event = view.events.values().next().unwrap();
    assert_eq!(anonymous.event.as_ref(), Some(&event.id));

    // Cluster a note into the theme through its menu (the accessible way to drag).
    app.get_all_by_label("Options").next().unwrap().click();
    app.step();
    app.step();
    click(&mut app, "Move to theme");
    app.get_all_by_label("Respite").last().unwrap().click();
    app.step();
    wait_for(&mut app, "the theme's section to hold a note", |h| {
        shows(h, "Respite (1)")
    });

    // And drag the other note into the theme with the pointer.
    let moved = |h: &egui_kittest::Harness<'_, commonroom_ui::CommonroomApp>, text: &str| {
        h.state()
            .view()
            .unwrap()
            .notes
            .values()
            .any(|n| n.text == text && n.theme.is_some())
    };
    let other = if moved(&app, "I am close to burning out") {
        "Nobody covers weekends"
    } else {
        "I am close to burning out"
    };
    let from = app.get_by_label(other).rect().center();
    let to = app.get_by_label("Respite (1)").rect().center();
    app.hover_at(from);
    app.step();
    app.drag_at(from);
    app.step();
    for step in 1..=10 {
        app.hover_at(from.lerp(to, step as f32 / 10.0));
        app.step();
    }

    app.drop_at(to);
    app.step();
    wait_for(&mut app, "the dragged note in the theme", |h| {
        shows(h, "Respite (2)") && moved(h, other)
    });

    // Search everything with Ctrl+K.
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    app.step();
    type_into(&mut app, "Search for", "weekends");
    // A note's hit says which meeting it came from; Enter opens the one the arrows are on.
    wait_for(&mut app, "a search hit", |h| {
        shows_part(h, "Note · Nobody covers weekends — from Monthly circle")
    });
    app.key_press(egui::Key::ArrowDown);
    app.step();
    app.key_press(egui::Key::Enter);
    app.step();
    app.step();
    assert_eq!(app.state().prefs().tab, Tab::Notes);
    assert_eq!(
        app.state()
            .screens()
            .notes
            .focus
            .as_ref()
            .map(|n| { app.state().view().unwrap().notes[n].text.clone() }),
        Some("Nobody covers weekends".to_owned()),
        "the note opened from search is the one outlined"
    );
    // Ctrl+K again: the last query is there, selected, ready to be typed over.
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    app.step();
    app.step();
    app.get_by_role_and_label(egui::accesskit::Role::TextInput, "Search for")
        .type_text("respite");
    app.step();
    let query = app
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Search for")
        .value()
        .unwrap();
    assert_eq!(query, "respite", "the old query was replaced");
    app.key_press(egui::Key::Escape);
    app.step();

    // The invite dialog makes no invite until asked; then a message a person understands,
    // with the ticket in it, and its QR code.
    click(&mut app, "✉ Invite");
    wait_for(&mut app, "the invite dialog", |h| shows(h, "Create invite"));
    assert!(!shows(&app, "📋 Copy invite"), "nothing made on opening");
    click(&mut app, "Create invite");
    wait_for(&mut app, "an invite", |h| {
        shows(h, "📋 Copy invite") && shows(h, "Invite QR code")
    });
    let message = app
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Invite message")
        .value()
        .unwrap();
    assert!(
        message.contains("invites you to") && message.contains("Join with an invite"),
        "{message}"
    );
    // It says in plain words what to do with it, and holds a link and the ticket.
    assert!(
        message.contains("open this link: commonroom://join/commonroom1"),
        "{message}"
    );
    let ticket = commonroom_proto::read_invite(&message).expect("the ticket is in it");
    assert_eq!(ticket.community, app.state().current().unwrap().to_string());
    click(&mut app, "📋 Copy invite");
    wait_for(&mut app, "the copy confirmed", |h| shows_part(h, "Copied"));
}

#[test]
fn the_sample_community_opens_and_communities_switch() {
    let peer = Peer::start();
    let mut app = peer.app();
    wait_for(&mut app, "the first-run page", |h| {
        shows(h, "Explore a sample community")
    });
    click(&mut app, "Explore a sample community");
    // The sample asks a name first, as starting a community does: others will see it.
    wait_for(&mut app, "the name asked for", |h| {
        shows_part(h, "Type your name, as the others will see it")
    });
    type_into(&mut app, "Your name", "Robin");
    app.key_press(egui::Key::Enter);
    wait_for(&mut app, "the sample's Home", |h| {
        shows(h, "Family Support Network (sample)") && shows(h, "What we are about")
    });
    assert!(
        shows_part(&app, "Robin"),
        "the sample greets the person by name"
    );
    wait_for(&mut app, "the sample to be filled", |h| {
        !h.state().data().opening
    });
    let sample = app.state().current().unwrap().to_owned();
    wait_for(&mut app, "the sample's upcoming events", |h| {
        shows_part(h, "Rapid pairing: who knows what")
    });
    // The rota's next facilitator: the sample's past meetings were facilitated by others.
    assert!(
        shows_part(&app, "Next to facilitate: "),
        "Home names who facilitates next"
    );

    // Appearance: the theme flips, text grows, and both are remembered preferences.
    let (now, next) = if shows(&app, "Dark theme") {
        ("Dark theme", "Light theme")
    } else {
        ("Light theme", "Dark theme")
    };
    click(&mut app, now);
    assert!(shows(&app, next), "the theme switched");
    let zoom = app.state().prefs().zoom;
    click(&mut app, "Larger text");
    assert!(app.state().prefs().zoom > zoom, "text grew");
    click(&mut app, "Smaller text");

    click(&mut app, "Members");
    wait_for(&mut app, "the sample's members", |h| {
        shows(h, "Amira Khan · Children's Centre North")
    });

    // A second community, then back to the sample with the switcher.
    click(&mut app, "➕ Start or join another");
    click(&mut app, "Start a community");
    type_into(&mut app, "Community name", "Second circle");
    type_into(&mut app, "Your name", "Jo");
    click(&mut app, "Create community");
    wait_for(&mut app, "the second community", |h| {
        shows(h, "Second circle") && shows(h, "Welcome, Jo.")
    });
    assert_ne!(app.state().current().unwrap(), &sample);
    app.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Community")
        .click();
    app.step();
    app.step();
    app.get_all_by_label("Family Support Network (sample)")
        .last()
        .unwrap()
        .click();
    wait_for(&mut app, "the switch back", |h| {
        h.state().current() == Some(&sample)
    });
}

#[test]
fn a_refused_note_or_form_keeps_what_was_typed() {
    let peer = Peer::start();
    let mut app = peer.app();
    start_community(&mut app, "Carers Circle", "Jo");
    click(&mut app, "Notes");

    // Pasted minutes, far over a note's limit: refused, and the text is not lost.
    let minutes = "Minutes of the circle. ".repeat(440);
    type_into(&mut app, "New note", &minutes);
    let in_box = |h: &egui_kittest::Harness<'_, commonroom_ui::CommonroomApp>| {
        h.get_by_role_and_label(egui::accesskit::Role::TextInput, "New note")
            .value()
            .unwrap_or_default()
    };
    click(&mut app, "Add note");
    wait_for(&mut app, "the text back in the box", |h| {
        in_box(h) == minutes.trim()
    });
    assert!(shows_part(
        &app,
        "Not done: The text is longer than 10,000 characters."
    ));
    assert!(
        app.state().view().unwrap().notes.is_empty(),
        "nothing was kept"
    );

    // Rewritten shorter, it is saved and the box empties.
    app.get_by_role_and_label(egui::accesskit::Role::TextInput, "New note")
        .focus();
    app.step();
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    app.step();
    app.get_by_role_and_label(egui::accesskit::Role::TextInput, "New note")
        .type_text("Minutes of the circle.");
    app.step();
    click(&mut app, "Add note");
    wait_for(&mut app, "the note on the board", |h| {
        shows(h, "Minutes of the circle.")
    });
    let texts: Vec<String> = app
        .state()
        .view()
        .unwrap()
        .notes
        .values()
        .map(|n| n.text.clone())
        .collect();
    assert_eq!(texts, ["Minutes of the circle."]);
    assert_eq!(in_box(&app), "");

    // A whole form comes back too: a resource whose link is not a link.
    click(&mut app, "Resources");
    click(&mut app, "➕ Add resource");
    type_into(&mut app, "Title", "Carers hub leaflet");
    type_into(&mut app, "Link", "the leaflet on the fridge");
    type_into(&mut app, "Description", "Opening hours and who to ask");
    click(&mut app, "Save resource");
    let field = |h: &egui_kittest::Harness<'_, commonroom_ui::CommonroomApp>, label: &str| {
        h.query_by_role_and_label(egui::accesskit::Role::TextInput, label)
            .or_else(|| h.query_by_role_and_label(egui::accesskit::Role::MultilineTextInput, label))
            .and_then(|n| n.value())
            .unwrap_or_default()
    };
    wait_for(&mut app, "the form back as it was", |h| {
        field(h, "Title") == "Carers hub leaflet"
    });
    assert!(shows_part(&app, "is not a web address"));
    assert_eq!(field(&app, "Link"), "the leaflet on the fridge");
    assert_eq!(field(&app, "Description"), "Opening hours and who to ask");
    assert!(app.state().view().unwrap().resources.is_empty());

    // And a removal's reason: the confirmation opens again with it.
    click(&mut app, "Cancel");
    click(&mut app, "Members");
    click(&mut app, "➕ Add member");
    type_into(&mut app, "Name", "Ravi Patel");
    click(&mut app, "Save member");
    wait_for(&mut app, "the new member", |h| shows(h, "Ravi Patel"));
    click(&mut app, "Ravi Patel");
    click(&mut app, "Remove from the community");
    let reason = "Moved away. ".repeat(1_000);
    type_into(&mut app, "Reason (optional, members see it)", &reason);
    click(&mut app, "Remove");
    wait_for(&mut app, "the reason back", |h| {
        field(h, "Reason (optional, members see it)") == reason
    });
    assert!(shows_part(&app, "Not done: The reason is longer than"));
    assert!(app.state().view().unwrap().removals.is_empty());
}

#[test]
fn a_bad_invite_gets_a_clear_error() {
    let peer = Peer::start();
    let mut app = peer.app();
    wait_for(&mut app, "the first-run page", |h| {
        shows(h, "Join with an invite")
    });
    click(&mut app, "Join with an invite");
    type_into(&mut app, "Invite", "not-a-ticket");
    type_into(&mut app, "Your name", "Sam");
    click(&mut app, "Join community");
    wait_for(&mut app, "the error", |h| {
        shows_part(h, "This invite is not valid")
    });
    assert!(app.state().current().is_none(), "nothing was joined");
}

#[test]
fn joining_when_the_inviter_is_gone_says_so_and_keeps_nothing() {
    let inviter = Peer::start();
    let handle = inviter.handle();
    let ticket = inviter.runtime.block_on(async {
        let id = handle
            .create("Gone circle".into(), "Ann".into())
            .await
            .unwrap();
        handle
            .invite(id, std::time::Duration::from_secs(3600))
            .await
            .unwrap()
            .encode()
    });
    drop(inviter);

    let joiner = Peer::start();
    let mut app = joiner.app();
    wait_for(&mut app, "the first-run page", |h| {
        shows(h, "Join with an invite")
    });
    click(&mut app, "Join with an invite");
    type_into(&mut app, "Invite", &ticket);
    type_into(&mut app, "Your name", "Sam");
    click(&mut app, "Join community");
    assert!(
        shows(&app, "Reaching the person who invited you…"),
        "progress is shown while joining"
    );
    wait_for(&mut app, "the could-not-reach error", |h| {
        shows_part(h, "the inviter cannot be reached")
    });
    assert!(app.state().current().is_none(), "nothing was joined");
    assert!(app.state().data().communities.is_empty());
}

#[test]
fn members_are_imported_from_pasted_spreadsheet_rows() {
    let peer = Peer::start();
    let mut app = peer.app();
    start_community(&mut app, "Food Network", "Jo");
    click(&mut app, "Members");

    click(&mut app, "Import from a spreadsheet");
    type_into(
        &mut app,
        "Rows to import",
        "name\troles\nLena\tmember\n\tmember\nOmar\tboss\n",
    );
    click(&mut app, "Import members");
    assert!(shows(
        &app,
        "Nothing was imported. Fix these lines and try again:"
    ));
    assert!(shows(&app, "line 3: the name is empty"));
    assert!(shows_part(&app, "line 4: role \"boss\""));

    app.get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Rows to import")
        .focus();
    app.step();
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    app.step();
    app.get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Rows to import")
        .type_text(
            "name\torganisation\tfocus\nLena\tFood Bank\tfood poverty; debt advice\nOmar\t\t\n",
        );
    app.step();
    click(&mut app, "Import members");
    wait_for(&mut app, "the imported members", |h| {
        shows(h, "Lena · Food Bank") && shows(h, "Omar")
    });
}

#[test]
fn an_opened_invite_link_shows_the_join_screen_filled_in() {
    let inviter = Peer::start();
    let handle = inviter.handle();
    let ticket = inviter.runtime.block_on(async {
        let id = handle
            .create("Link circle".into(), "Ann".into())
            .await
            .unwrap();
        handle
            .invite(id, std::time::Duration::from_secs(3600))
            .await
            .unwrap()
    });
    let peer = Peer::start();
    let mut app = peer.app();
    start_community(&mut app, "Carers Circle", "Jo");

    // Over a community that is open, as when a second launch hands a link over.
    app.state_mut().open_link(&ticket.link());
    wait_for(&mut app, "the join screen", |h| shows(h, "Join community"));
    let invite = |h: &egui_kittest::Harness<'_, commonroom_ui::CommonroomApp>| {
        h.get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Invite")
            .value()
            .unwrap()
    };
    assert_eq!(invite(&app), ticket.encode());
    assert!(
        shows(&app, "Cancel"),
        "the community is still there to go back to"
    );

    // A damaged link: the text as it came, and why it cannot be used.
    app.state_mut()
        .open_link("commonroom://join/commonroom1nonsense");
    app.step();
    assert_eq!(invite(&app), "commonroom://join/commonroom1nonsense");
    assert!(shows_part(
        &app,
        "This invite link could not be read: the invite text is damaged"
    ));
    app.state_mut().open_link("commonroom://settings");
    app.step();
    assert!(shows_part(&app, "does not hold an invite"));
}

#[test]
fn the_about_box_tells_the_version_and_folders() {
    let peer = Peer::start();
    let about = commonroom_ui::About {
        version: "9.8.7".into(),
        data_dir: peer.dir.path().to_path_buf(),
        log_dir: Some(peer.dir.path().join("logs")),
    };
    let mut app = peer.app_set_up(Prefs::default(), egui::vec2(1200.0, 800.0), |app| {
        app.with_about(about)
    });
    wait_for(&mut app, "the first-run page", |h| {
        shows(h, "Start a community")
    });
    click(&mut app, "ℹ About");
    wait_for(&mut app, "the About box", |h| shows(h, "About Commonroom"));
    assert!(shows(&app, "Commonroom 9.8.7"));
    let folder = |h: &egui_kittest::Harness<'_, commonroom_ui::CommonroomApp>, label: &str| {
        h.get_by_role_and_label(egui::accesskit::Role::TextInput, label)
            .value()
            .unwrap()
    };
    assert_eq!(
        folder(&app, "Data folder"),
        peer.dir.path().display().to_string()
    );
    assert_eq!(
        folder(&app, "Log folder"),
        peer.dir.path().join("logs").display().to_string()
    );
    assert!(shows(&app, "Show log folder"));
    app.key_press(egui::Key::Escape);
    app.step();
    assert!(!shows(&app, "About Commonroom"));
}
