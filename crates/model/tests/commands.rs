//! Commands: validation, effects, queries and concurrent-edit behaviour.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use commonroom_model::commands::{
    ActionPatch, EventPatch, MemberPatch, NewAction, NewEvent, NewMember, NewNote,
};
use commonroom_model::entities::{Event, Note};
use commonroom_model::{
    ActionId, Command, CommandError, CommunityView, Ctx, Day, EntityKind, EventFormat, EventId,
    MemberId, NoteId, ThemeId, Timestamp,
};

fn note(
    id: &str,
    text: &str,
    event: Option<&EventId>,
    theme: Option<&ThemeId>,
    anonymous: bool,
) -> Command {
    Command::AddNote(NewNote {
        id: NoteId::new(id),
        text: text.into(),
        event: event.cloned(),
        theme: theme.cloned(),
        position: None,
        anonymous,
    })
}

#[test]
fn refuses_bad_input_with_clear_errors() {
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 5);
    let empty = f
        .doc
        .apply(&c, note("n1", "   ", None, None, false))
        .unwrap_err();
    assert!(
        matches!(empty, CommandError::Invalid { field: "text", .. }),
        "{empty}"
    );

    let backwards = f
        .doc
        .apply(
            &c,
            Command::AddEvent(NewEvent {
                id: EventId::new("e2"),
                title: "Backwards".into(),
                format: EventFormat::Meeting,
                start: Timestamp::from_millis(common::T0 + 3_600_000),
                end: Some(Timestamp::from_millis(common::T0)),
                venue: None,
                call_link: None,
                topic: None,
                agenda: String::new(),
                facilitator: None,
                note_taker: None,
            }),
        )
        .unwrap_err();
    assert!(backwards.to_string().contains("ends"), "{backwards}");

    let unknown_event = f
        .doc
        .apply(
            &c,
            note("n2", "hi", Some(&EventId::new("nope")), None, false),
        )
        .unwrap_err();
    assert!(matches!(
        unknown_event,
        CommandError::Unknown {
            kind: EntityKind::Event,
            ..
        }
    ));
    let unknown_theme = f
        .doc
        .apply(
            &c,
            note("n3", "hi", None, Some(&ThemeId::new("nope")), false),
        )
        .unwrap_err();
    assert!(matches!(
        unknown_theme,
        CommandError::Unknown {
            kind: EntityKind::Theme,
            ..
        }
    ));

    let dup = f
        .doc
        .apply(
            &c,
            Command::AddMember(NewMember {
                id: f.member.clone(),
                name: "Again".into(),
                organisation: None,
                roles: vec![],
                focus: vec![],
                contact: None,
            }),
        )
        .unwrap_err();
    assert!(matches!(dup, CommandError::Duplicate { .. }));

    f.doc
        .apply(
            &c,
            Command::RemoveMember {
                id: f.member.clone(),
                reason: Some("left".into()),
            },
        )
        .unwrap();
    let removed_owner = f
        .doc
        .apply(
            &c,
            Command::AddAction(NewAction {
                id: ActionId::new("a1"),
                text: "Call the school".into(),
                owner: Some(f.member.clone()),
                due: None,
                event: None,
                theme: None,
            }),
        )
        .unwrap_err();
    assert!(
        matches!(removed_owner, CommandError::RemovedMember(_)),
        "{removed_owner}"
    );
    assert!(Day::parse("2026-13-01").is_err());
    assert!(Timestamp::parse_rfc3339("tomorrow").is_err());
}

#[test]
fn deleted_things_cannot_be_referenced_until_restored() {
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 5);
    f.doc
        .apply(&c, Command::Delete(EntityKind::Theme, f.theme.to_string()))
        .unwrap();
    let refused = f
        .doc
        .apply(&c, note("n1", "hi", None, Some(&f.theme), false))
        .unwrap_err();
    assert!(matches!(refused, CommandError::Deleted { .. }));
    f.doc
        .apply(&c, Command::Restore(EntityKind::Theme, f.theme.to_string()))
        .unwrap();
    f.doc
        .apply(&c, note("n1", "hi", None, Some(&f.theme), false))
        .unwrap();
}

#[test]
fn queries_answer_what_screens_need() {
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 5);
    f.doc
        .apply(
            &c,
            note("n1", "first", Some(&f.event), Some(&f.theme), false),
        )
        .unwrap();
    f.doc
        .apply(
            &common::ctx(&f.founder, 6),
            note("n2", "second", Some(&f.event), None, false),
        )
        .unwrap();
    f.doc
        .apply(&c, note("n3", "elsewhere", None, Some(&f.theme), false))
        .unwrap();
    f.doc
        .apply(&c, Command::Delete(EntityKind::Note, "n3".into()))
        .unwrap();
    for (id, owner, done) in [
        ("a1", &f.member, false),
        ("a2", &f.member, true),
        ("a3", &f.founder, false),
    ] {
        f.doc
            .apply(
                &c,
                Command::AddAction(NewAction {
                    id: ActionId::new(id),
                    text: format!("do {id}"),
                    owner: Some(owner.clone()),
                    due: Some(Day::parse("2026-12-10").unwrap()),
                    event: Some(f.event.clone()),
                    theme: None,
                }),
            )
            .unwrap();
        if done {
            f.doc
                .apply(
                    &c,
                    Command::EditAction(
                        ActionId::new(id),
                        ActionPatch {
                            done: Some(true),
                            ..Default::default()
                        },
                    ),
                )
                .unwrap();
        }
    }
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let by_event: Vec<&str> = view
        .notes_by_event(&f.event)
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(by_event, ["first", "second"]);
    let by_theme: Vec<&str> = view
        .notes_by_theme(&f.theme)
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(by_theme, ["first"], "deleted notes are not shown");
    let open = view.open_actions_by_owner();
    assert_eq!(open[&Some(f.member.clone())].len(), 1);
    assert_eq!(open[&Some(f.founder.clone())].len(), 1);
    assert_eq!(view.members_by_focus("HOUSING").len(), 1);
    assert_eq!(
        view.upcoming_events(Timestamp::from_millis(common::T0))
            .len(),
        1
    );
    assert_eq!(
        view.upcoming_events(Timestamp::from_millis(common::T0 + 30 * 86_400_000))
            .len(),
        0
    );
    assert_eq!(
        view.past_events(Timestamp::from_millis(common::T0 + 30 * 86_400_000))
            .len(),
        1
    );
}

#[test]
fn concurrent_agenda_edits_both_survive() {
    let mut f = common::fixture();
    let mut a = common::replica(&mut f.doc, 1);
    let mut b = common::replica(&mut f.doc, 2);
    let edit = |text: &str| {
        Command::EditEvent(
            f.event.clone(),
            EventPatch {
                agenda: Some(text.into()),
                ..Default::default()
            },
        )
    };
    a.apply(
        &common::ctx(&f.founder, 5),
        edit("1. Welcome and introductions\n2. Hot Seat"),
    )
    .unwrap();
    b.apply(
        &common::ctx(&f.member, 5),
        edit("1. Welcome\n2. Hot Seat\n3. Actions"),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    let event = a.get::<Event>(f.event.as_str()).unwrap().unwrap();
    assert_eq!(
        event.agenda.as_str(),
        "1. Welcome and introductions\n2. Hot Seat\n3. Actions"
    );
}

#[test]
fn concurrent_focus_additions_merge_as_a_set() {
    let mut f = common::fixture();
    let mut a = common::replica(&mut f.doc, 1);
    let mut b = common::replica(&mut f.doc, 2);
    let focus = |items: &[&str]| {
        Command::EditMember(
            f.member.clone(),
            MemberPatch {
                focus: Some(items.iter().map(|s| s.to_string()).collect()),
                ..Default::default()
            },
        )
    };
    a.apply(
        &common::ctx(&f.founder, 5),
        focus(&["housing", "early years", "SEND"]),
    )
    .unwrap();
    b.apply(
        &common::ctx(&f.member, 5),
        focus(&["housing", "early years", "fathers"]),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    let view = CommunityView::hydrate(&mut a).unwrap();
    let focus: Vec<&str> = view.members[&f.member]
        .focus
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(focus, ["SEND", "early years", "fathers", "housing"]);
}

#[test]
fn removal_survives_a_concurrent_edit_of_the_member() {
    let mut f = common::fixture();
    let mut a = common::replica(&mut f.doc, 1);
    let mut b = common::replica(&mut f.doc, 2);
    a.apply(
        &common::ctx(&f.founder, 5),
        Command::RemoveMember {
            id: f.member.clone(),
            reason: None,
        },
    )
    .unwrap();
    b.apply(
        &common::ctx(&f.member, 5),
        Command::EditMember(
            f.member.clone(),
            MemberPatch {
                name: Some("Sam L".into()),
                ..Default::default()
            },
        ),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    let view = CommunityView::hydrate(&mut a).unwrap();
    assert!(view.is_removed(&f.member));
    assert_eq!(view.members[&f.member].name, "Sam L");
    assert!(view.active_members().iter().all(|m| m.id != f.member));
}

#[test]
fn anonymous_notes_record_nothing_linking_them_to_their_author() {
    let mut f = common::fixture();
    let c = common::ctx(&f.member, 17);
    f.doc
        .apply(&c, note("named", "I wrote this", None, None, false))
        .unwrap();
    let anon_id = f
        .doc
        .apply(
            &c,
            note("anon", "Nobody knows I wrote this", None, None, true),
        )
        .unwrap()
        .id;
    f.doc
        .apply(&c, note("named-2", "Me again", None, None, false))
        .unwrap();

    assert_ne!(anon_id, "anon", "the model picks an anonymous note's id");
    assert!(f.doc.get::<Note>("anon").unwrap().is_none());
    let anon = f.doc.get::<Note>(&anon_id).unwrap().unwrap();
    assert_eq!(anon.author, None);
    assert_eq!(
        anon.created_at.millis() % 3_600_000,
        0,
        "creation time is coarsened to the hour"
    );
    assert_eq!(
        anon.id,
        NoteId::new(&anon_id),
        "the returned id names the stored note"
    );
    let id_time = ulid::Ulid::from_string(&anon_id).unwrap().timestamp_ms();
    assert_eq!(
        ((1 << 48) - 1 - id_time) % 3_600_000,
        0,
        "the id carries only the hour too"
    );

    let am = f.doc.automerge_mut();
    let changes = am.get_changes(&[]);
    let anon_change = changes
        .iter()
        .find(|ch| {
            let bytes = ch.raw_bytes();
            bytes
                .windows(b"Nobody knows".len())
                .any(|w| w == b"Nobody knows")
        })
        .expect("the anonymous note's change");
    let own_actor = am.get_actor().clone();
    let actor_changes = changes
        .iter()
        .filter(|ch| ch.actor_id() == anon_change.actor_id())
        .count();
    assert_eq!(
        actor_changes, 1,
        "the anonymous change's actor made no other change"
    );
    assert_ne!(anon_change.actor_id(), &own_actor);
    let label: serde_json::Value =
        serde_json::from_str(anon_change.message().expect("a label")).unwrap();
    assert_eq!(
        label,
        serde_json::json!({"by": null, "op": "note.add", "id": anon_id}),
        "the label names the operation and the note, never the author"
    );
    assert_eq!(anon_change.timestamp(), 0, "no change time");
    let member_bytes = f.member.as_str().as_bytes();
    assert!(
        !anon_change
            .raw_bytes()
            .windows(member_bytes.len())
            .any(|w| w == member_bytes),
        "the member's id appears nowhere in the anonymous change"
    );
}

#[test]
fn refused_commands_leave_the_document_untouched() {
    let mut f = common::fixture();
    let before = f.doc.heads();
    let err = f.doc.apply(
        &common::ctx(&f.founder, 5),
        Command::EditMember(MemberId::new("ghost"), MemberPatch::default()),
    );
    assert!(err.is_err());
    assert_eq!(f.doc.heads(), before);
}

#[test]
fn the_gate_admits_linked_devices_of_active_members_only() {
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 5);
    let (d1, d2, d3) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    assert!(
        f.doc.admitted_devices().is_empty(),
        "no devices, nobody admitted"
    );
    for (member, device) in [(&f.founder, &d1), (&f.member, &d2), (&f.member, &d3)] {
        f.doc
            .apply(
                &c,
                Command::LinkDevice {
                    member: member.clone(),
                    device: device.clone(),
                    label: "laptop".into(),
                },
            )
            .unwrap();
    }
    let all: Vec<String> = f.doc.admitted_devices().into_iter().collect();
    assert_eq!(all, [d1.clone(), d2.clone(), d3.clone()]);
    f.doc
        .apply(
            &c,
            Command::UnlinkDevice {
                member: f.member.clone(),
                device: d3.clone(),
            },
        )
        .unwrap();
    assert!(
        !f.doc.admitted_devices().contains(&d3),
        "an unlinked device is refused"
    );
    f.doc
        .apply(
            &c,
            Command::RemoveMember {
                id: f.member.clone(),
                reason: None,
            },
        )
        .unwrap();
    let left: Vec<String> = f.doc.admitted_devices().into_iter().collect();
    assert_eq!(left, [d1], "a removed member's devices are refused");
    let bad = f.doc.apply(
        &c,
        Command::LinkDevice {
            member: f.founder.clone(),
            device: "not-hex".into(),
            label: "x".into(),
        },
    );
    assert!(bad.is_err());
}

#[test]
fn invites_are_one_time_and_expire() {
    use commonroom_model::commands::NewMember;
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 5);
    let key = "d".repeat(64);
    let expires = Timestamp::from_millis(common::T0 + 60 * 60_000);
    f.doc
        .apply(
            &c,
            Command::CreateInvite {
                public_key: key.clone(),
                expires_at: expires,
                for_member: None,
                uses: 1,
            },
        )
        .unwrap();
    let join = |id: &str| Command::Join {
        invite: key.clone(),
        member: NewMember {
            id: MemberId::new(id),
            name: "Jo".into(),
            organisation: None,
            roles: vec![],
            focus: vec!["SEND".into()],
            contact: None,
        },
        device: "e".repeat(64),
        device_label: "Jo's laptop".into(),
    };
    let late = Ctx::clone(&common::ctx(&f.founder, 61));
    assert!(
        f.doc
            .apply(&late, join("jo"))
            .unwrap_err()
            .to_string()
            .contains("expired")
    );
    let before = f.doc.heads();
    f.doc.apply(&c, join("jo")).unwrap();
    let touched = f.doc.touched_since(&before);
    assert!(
        touched.membership() && touched.collections.contains("invites"),
        "{touched:?}"
    );
    assert!(f.doc.admitted_devices().contains(&"e".repeat(64)));
    assert!(
        f.doc
            .apply(&c, join("jo-2"))
            .unwrap_err()
            .to_string()
            .contains("already been used")
    );
}

#[test]
fn an_anonymous_note_does_not_depend_on_its_authors_unshared_changes() {
    let mut f = common::fixture();
    // Sam's laptop: a replica with its own actor, offline after the last sync.
    let mut sam = common::replica(&mut f.doc, 9);
    let shared_heads = sam.heads();
    let c = common::ctx(&f.member, 30);
    sam.apply(&c, note("sam-1", "Sam's own idea", None, None, false))
        .unwrap();
    let sams_change = sam.heads();
    let anon = sam
        .apply(
            &c,
            note("anon", "Nobody knows I wrote this", None, None, true),
        )
        .unwrap()
        .id;

    let am = sam.automerge_mut();
    let anon_change = am
        .get_changes(&[])
        .into_iter()
        .find(|ch| ch.raw_bytes().windows(12).any(|w| w == b"Nobody knows"))
        .expect("the anonymous change")
        .clone();
    let mut deps = anon_change.deps().to_vec();
    deps.sort();
    let mut expected = shared_heads.clone();
    expected.sort();
    assert_eq!(
        deps, expected,
        "the note depends only on what every synced peer had, not on Sam's unshared change"
    );
    assert!(!deps.contains(&sams_change[0]));

    // Both notes arrive and merge as usual.
    f.doc.merge(&mut sam).unwrap();
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    assert_eq!(view.notes[&NoteId::new(&anon)].author, None);
    assert_eq!(
        view.notes[&NoteId::new("sam-1")].author.as_ref(),
        Some(&f.member)
    );

    // A note on something only this device has yet must depend on it: it is still written.
    let mut sam = common::replica(&mut f.doc, 10);
    sam.apply(
        &c,
        Command::AddTheme(commonroom_model::commands::NewTheme {
            id: ThemeId::new("t-new"),
            name: "New".into(),
            description: String::new(),
        }),
    )
    .unwrap();
    let anon_2 = sam
        .apply(
            &c,
            note(
                "anon-2",
                "On the new theme",
                None,
                Some(&ThemeId::new("t-new")),
                true,
            ),
        )
        .unwrap()
        .id;
    let view = CommunityView::hydrate(&mut sam).unwrap();
    assert_eq!(
        view.notes[&NoteId::new(&anon_2)].theme,
        Some(ThemeId::new("t-new"))
    );
}
