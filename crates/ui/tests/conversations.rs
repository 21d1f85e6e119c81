//! Conversations in two real windows on two real nodes: a question asked with a suggested
//! helper mentioned in one click, the unread badge in the other window, a reply, a
//! reaction, the question marked answered, and the badge clearing once the thread is shown.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use egui_kittest::kittest::Queryable;
use support::{Peer, click, shows, shows_part, start_community, type_into, wait_for};

#[test]
fn a_question_finds_its_helper_who_replies_and_the_answer_is_marked() {
    let alice = Peer::start();
    let bob = Peer::start();
    let mut a = alice.app();
    let mut b = bob.app();
    start_community(&mut a, "Kinship Carers", "Alice");

    click(&mut a, "✉ Invite");
    click(&mut a, "Create invite");
    wait_for(&mut a, "an invite", |h| shows(h, "📋 Copy invite"));
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
    wait_for(&mut b, "Bob's Home", |h| shows(h, "Welcome, Bob."));
    // Bob says what he knows about, in his own profile.
    click(&mut b, "Members");
    wait_for(&mut b, "Bob in the directory", |h| shows(h, "Bob (you)"));
    click(&mut b, "Bob (you)");
    click(&mut b, "✏ Edit profile");
    type_into(&mut b, "Focus areas (comma separated)", "school admissions");
    click(&mut b, "Save member");
    // Bob looks at the conversations once (nothing yet), then goes elsewhere.
    click(&mut b, "Conversations");
    wait_for(&mut b, "the empty General channel", |h| {
        shows(h, "Nothing here yet.")
    });
    click(&mut b, "Home");

    // Alice asks; Commonroom suggests Bob, and one click mentions him.
    click(&mut a, "Conversations");
    wait_for(&mut a, "Alice's conversations", |h| {
        shows(h, "➕ Ask a question")
    });
    click(&mut a, "➕ Ask a question");
    type_into(
        &mut a,
        "Title",
        "Which school will take a kinship child mid-year?",
    );
    type_into(
        &mut a,
        "Your message (@Name mentions someone)",
        "My grandson moves in next month; how do school admissions work mid-year?",
    );
    wait_for(&mut a, "Bob suggested as a helper", |h| {
        shows(h, "Mention Bob")
    });
    click(&mut a, "Mention Bob");
    click(&mut a, "Ask");
    wait_for(&mut a, "the question in the list", |h| {
        shows(h, "Which school will take a kinship child mid-year?")
    });

    // Bob's side bar says something is new; the thread is there, unread.
    wait_for(&mut b, "the unread badge in Bob's side bar", |h| {
        shows(h, "Conversations (1 new)")
    });
    click(&mut b, "Conversations (1 new)");
    wait_for(&mut b, "the question in Bob's list", |h| {
        shows(h, "Which school will take a kinship child mid-year?") && shows(h, "1 new message")
    });
    click(&mut b, "Which school will take a kinship child mid-year?");
    wait_for(&mut b, "the question with its divider", |h| {
        shows(h, "New since you last looked") && shows_part(h, "@Bob")
    });
    // Shown, so read: the badge clears.
    wait_for(&mut b, "the badge to clear", |h| {
        shows(h, "Conversations") && !shows(h, "Conversations (1 new)")
    });
    type_into(
        &mut b,
        "Your reply (@Name mentions someone)",
        "Ask the council's admissions team for an in-year place.",
    );
    click(&mut b, "Send");

    // Alice sees the reply live, reacts and marks it the answer.
    click(&mut a, "Which school will take a kinship child mid-year?");
    wait_for(&mut a, "Bob's reply in Alice's window", |h| {
        shows(h, "Ask the council's admissions team for an in-year place.")
    });
    // Each message has its own React button: Bob's reply is the last. (Activated as a
    // screen reader does: the thread scrolls to its newest message as replies arrive, so a
    // pointer aimed a frame earlier can land beside it.)
    a.get_all_by_label("React")
        .last()
        .unwrap()
        .click_accesskit();
    a.run_steps(2);
    wait_for(&mut a, "the reaction choices", |h| shows(h, "🙏 thanks"));
    a.get_by_label("🙏 thanks").click_accesskit();
    a.run_steps(2);
    wait_for(&mut a, "Alice's reaction", |h| shows(h, "🙏 1"));
    click(&mut a, "✔ Mark as the answer");
    wait_for(&mut a, "the answer marked", |h| {
        shows(h, "✔ Answered by Bob")
    });
    // And Bob sees his answer marked.
    wait_for(&mut b, "the answer marked in Bob's window", |h| {
        shows(h, "✔ Answered by Bob") && shows(h, "✔ the answer") && shows(h, "🙏 1")
    });

    // Bob adds to his answer: it shows changed, in both windows.
    click(&mut b, "Edit");
    type_into(&mut b, "Your message, changed:", " Ring them before 10.");
    click(&mut b, "Save the change");
    for (window, whose) in [(&mut b, "Bob's"), (&mut a, "Alice's")] {
        wait_for(
            window,
            &format!("the changed answer in {whose} window"),
            |h| shows_part(h, "Ring them before 10.") && shows_part(h, "· edited"),
        );
    }

    // Alice, a steward, adds a channel; Bob's window lists it too. Bob, a member, is not
    // offered the button.
    click(&mut a, "➕ Add a channel");
    type_into(&mut a, "Channel name", "Housing");
    type_into(&mut a, "What it is for", "Tenancies, repairs and moves");
    click(&mut a, "Add channel");
    wait_for(&mut a, "the new channel", |h| shows(h, "#Housing"));
    wait_for(&mut b, "the new channel in Bob's window", |h| {
        shows(h, "#Housing") && !shows(h, "➕ Add a channel")
    });

    // A meeting theme carries on between meetings: from the theme, one click opens a
    // discussion titled after it, and Bob sees it.
    click(&mut a, "Themes");
    click(&mut a, "➕ Add theme");
    type_into(&mut a, "Theme name", "School moves");
    click(&mut a, "Save theme");
    wait_for(&mut a, "the theme", |h| shows(h, "School moves · 0 notes"));
    click(&mut a, "School moves · 0 notes");
    click(&mut a, "Talk about this between meetings");
    wait_for(&mut a, "the discussion form from the theme", |h| {
        shows(h, "Carries on the meeting theme “School moves”.")
    });
    type_into(
        &mut a,
        "Your message (@Name mentions someone)",
        "What did we learn about mid-year moves?",
    );
    click(&mut a, "Post");
    wait_for(&mut b, "the theme's discussion in Bob's window", |h| {
        shows_part(h, "School moves")
    });
    // (Once the list has settled with the new thread at its top, so the click lands.)
    wait_for(&mut a, "the discussion in Alice's list", |h| {
        shows(h, "School moves")
    });
    click(&mut a, "Which school will take a kinship child mid-year?");
    wait_for(&mut a, "the answered question again", |h| {
        shows(h, "✔ Answered by Bob") && shows(h, "Save as a resource")
    });

    // What the conversation found is kept in one step, and Bob's profile says he helped.
    click(&mut a, "Save as a resource");
    click(&mut a, "Resources");
    wait_for(&mut a, "the answered question in the library", |h| {
        shows_part(h, "Which school will take a kinship child mid-year?")
    });
    click(&mut a, "Members");
    wait_for(&mut a, "Bob in Alice's directory", |h| shows_part(h, "Bob"));
    a.get_all_by_label_contains("Bob").next().unwrap().click();
    a.run_steps(2);
    wait_for(&mut a, "what Bob helped with", |h| {
        shows(
            h,
            "Answered 1 question: Which school will take a kinship child mid-year?",
        )
    });
}
