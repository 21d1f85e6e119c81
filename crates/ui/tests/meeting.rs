//! Running a meeting through the app: the sample's Hot Seat with check-in, two rapid
//! pairing rounds (one adjusted by a swap), and the summary for those who could not come.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use egui_kittest::kittest::Queryable;
use support::{Peer, click, open_sample, settle, shows, shows_part, type_into, wait_for};

#[test]
fn the_facilitator_pairs_people_and_shares_a_summary() {
    let peer = Peer::start();
    let mut app = peer.app();
    open_sample(&mut app);

    click(&mut app, "Events");
    // The next meeting's page lists the open actions to review.
    wait_for(&mut app, "the next meeting's page", |h| {
        shows(h, "Actions to review (3)")
    });
    app.get_by_label_contains("Hot Seat: a parent's journey through early help ·")
        .click();
    app.step();
    wait_for(&mut app, "the Hot Seat page", |h| {
        shows(h, "Propose round 1")
    });

    click(&mut app, "Propose round 1");
    wait_for(&mut app, "a proposal", |h| shows(h, "Record round 1"));
    // Swap two people in different groups before recording, as a facilitator would.
    let proposal = app
        .state_mut()
        .screens_mut()
        .events
        .proposal
        .clone()
        .unwrap()
        .1;
    let view = app.state().view().unwrap();
    let a = proposal[0][0].clone();
    let b = proposal[1][0].clone();
    for (combo, who) in [("Swap", &a), ("with", &b)] {
        app.get_by_role_and_label(egui::accesskit::Role::ComboBox, combo)
            .click();
        app.run_steps(3);
        app.get_all_by_label(view.member_name(who))
            .last()
            .unwrap()
            .click();
        app.run_steps(3);
        let chosen = app
            .get_by_role_and_label(egui::accesskit::Role::ComboBox, combo)
            .value();
        assert_eq!(
            chosen.as_deref(),
            Some(view.member_name(who)),
            "picked in {combo}"
        );
    }
    click(&mut app, "Swap them");
    let swapped = app
        .state_mut()
        .screens_mut()
        .events
        .proposal
        .clone()
        .unwrap()
        .1;
    assert_eq!(swapped[0][0], b, "the swap moved {b} into the first group");
    assert_eq!(swapped[1][0], a);
    click(&mut app, "Record round 1");
    wait_for(&mut app, "round 1 recorded", |h| shows_part(h, "Round 1: "));
    click(&mut app, "Propose round 2");
    click(&mut app, "Record round 2");
    wait_for(&mut app, "round 2 recorded", |h| shows_part(h, "Round 2: "));
    settle(&mut app);

    let view = app.state().view().unwrap();
    let event = view
        .events
        .values()
        .find(|e| e.title.starts_with("Hot Seat"))
        .unwrap();
    assert_eq!(event.rounds.len(), 2);
    let mut met = commonroom_model::pairing::Met::new();
    for round in event.rounds.values() {
        let placed: usize = round.groups.iter().map(Vec::len).sum();
        assert_eq!(
            placed,
            event.attendance.len(),
            "everyone checked in is paired"
        );
        let mut this = commonroom_model::pairing::Met::new();
        commonroom_model::pairing::add_groups(&mut this, &round.groups);
        assert!(
            this.is_disjoint(&met),
            "nobody meets the same partner twice"
        );
        met.extend(this);
    }

    click(&mut app, "Summary for those who could not come");
    wait_for(&mut app, "the summary window", |h| {
        shows(h, "📋 Copy for WhatsApp or email")
    });
    let summary = app
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Summary")
        .value()
        .unwrap();
    // Plain text a chat app shows as it is: no Markdown marks.
    assert!(summary.contains("6 people came."), "{summary}");
    assert!(summary.contains("• Round 2: "), "{summary}");
    assert!(summary.contains("Trust and stigma ("), "{summary}");
    assert!(
        !summary.contains("**") && !summary.contains('#'),
        "{summary}"
    );
    click(&mut app, "📋 Copy for WhatsApp or email");
    wait_for(&mut app, "the copy confirmed", |h| shows_part(h, "Copied"));

    app.key_press(egui::Key::Escape);
    app.step();
    assert!(
        !shows(&app, "📋 Copy for WhatsApp or email"),
        "Esc closes the summary"
    );

    // A new event starts from its format's agenda template and the rota's next facilitator.
    click(&mut app, "➕ New event");
    type_into(&mut app, "Title", "December Hot Seat");
    let agenda = app
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Agenda")
        .value()
        .unwrap();
    assert!(
        agenda.starts_with("1. Welcome and check-in round"),
        "{agenda}"
    );
    // The date is offered as people write it; once saved, the new event is the one shown
    // (not the sample's next meeting).
    let date = app
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Date (such as 14/1/2027)")
        .value()
        .unwrap();
    assert!(date.split('/').count() == 3, "{date}");
    click(&mut app, "Save event");
    wait_for(&mut app, "the saved event shown", |h| {
        shows(h, "December Hot Seat") && shows(h, "Will you come?")
    });
}

#[test]
fn surveys_stories_and_the_dashboard() {
    let peer = Peer::start();
    let mut app = peer.app();
    open_sample(&mut app);

    // Answer the training-needs survey; the results count the new answer.
    click(&mut app, "Surveys");
    wait_for(&mut app, "the survey", |h| {
        shows(h, "Training needs (4 answers)")
    });
    assert!(
        shows(&app, "SEND processes: 3"),
        "the chart's numbers are written out"
    );
    click(&mut app, "5");
    app.get_by_role_and_label(egui::accesskit::Role::CheckBox, "SEND processes")
        .click();
    app.step();
    click(&mut app, "Send my answers");
    wait_for(&mut app, "my answer counted", |h| {
        shows(h, "Training needs (5 answers)") && shows(h, "SEND processes: 4")
    });

    // Build a survey of our own.
    click(&mut app, "➕ New survey");
    type_into(&mut app, "Survey title", "Meeting feedback");
    type_into(&mut app, "Question 1", "How useful was tonight?");
    click(&mut app, "Save survey");
    wait_for(&mut app, "the new survey", |h| {
        shows(h, "Meeting feedback (0 answers)")
    });

    // Record a story.
    click(&mut app, "Stories");
    click(&mut app, "➕ Record a story");
    type_into(&mut app, "Story title", "A new referral route");
    type_into(
        &mut app,
        "What happened, and what difference it made",
        "Two services now share one form.",
    );
    click(&mut app, "Applied value");
    click(&mut app, "Save story");
    wait_for(&mut app, "the story", |h| shows(h, "A new referral route"));
    assert!(shows_part(&app, "applied: 2"), "the chart counts it");

    click(&mut app, "Dashboard");
    wait_for(&mut app, "the dashboard", |h| {
        shows(h, "Attendance over time")
    });
    assert!(shows_part(&app, "Finding the right door: 3"));
    assert!(shows(&app, "Training needs: 5 answers"));
}
