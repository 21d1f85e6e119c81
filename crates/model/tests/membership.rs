//! Roles, removal under concurrency, device links, and history with restore.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use commonroom_model::automerge::{Change, ChangeHash, ROOT, ReadDoc, transaction::Transactable};
use commonroom_model::commands::{EventPatch, MemberPatch, NewMember, NewNote};
use commonroom_model::history::{ActivityFilter, RestoreTarget};
use commonroom_model::{
    Command, CommandError, CommunityDoc, CommunityView, EntityKind, MemberId, NoteId, Role,
    Timestamp,
};
use proptest::prelude::*;

fn add_member(doc: &mut CommunityDoc, by: &MemberId, id: &str, role: Role) -> MemberId {
    let member = MemberId::new(id);
    doc.apply(
        &common::ctx(by, 4),
        Command::AddMember(NewMember {
            id: member.clone(),
            name: id.to_uppercase(),
            organisation: None,
            roles: vec![role],
            focus: vec![],
            contact: None,
        }),
    )
    .unwrap();
    member
}

fn link(doc: &mut CommunityDoc, by: &MemberId, member: &MemberId, device: char) -> String {
    let device = device.to_string().repeat(64);
    doc.apply(
        &common::ctx(by, 5),
        Command::LinkDevice {
            member: member.clone(),
            device: device.clone(),
            label: "laptop".into(),
        },
    )
    .unwrap();
    device
}

fn changes_since(doc: &mut CommunityDoc, heads: &[ChangeHash]) -> Vec<Change> {
    doc.automerge_mut().get_changes(heads)
}

fn not_allowed(result: Result<commonroom_model::Applied, CommandError>) -> bool {
    matches!(result, Err(CommandError::NotAllowed(_)))
}

/// Three replicas act at once: A removes Mo and B; B tries to bring Mo back (a new device,
/// a steward role) and removes A; the founder edits Mo's profile. Delivered to three
/// replicas in every order, all converge to the documented outcome: every removal stands
/// (removal records are never undone by an edit), so Mo, A and B are all out, none of
/// their devices is admitted, and the founder carries on.
#[test]
fn concurrent_removal_and_re_add_converge_in_every_delivery_order() {
    let mut f = common::fixture();
    let founder = f.founder.clone();
    let a = add_member(&mut f.doc, &founder, "alice", Role::CoreGroup);
    let b = add_member(&mut f.doc, &founder, "bilal", Role::Facilitator);
    let mo = add_member(&mut f.doc, &founder, "mo", Role::Member);
    let founder_device = link(&mut f.doc, &founder, &founder, 'f');
    link(&mut f.doc, &founder, &a, 'a');
    link(&mut f.doc, &founder, &b, 'b');
    link(&mut f.doc, &founder, &mo, 'c');
    let base = f.doc.heads();

    let mut on_a = common::replica(&mut f.doc, 1);
    let remove = |id: &MemberId| Command::RemoveMember {
        id: id.clone(),
        reason: Some("left".into()),
    };
    on_a.apply(&common::ctx(&a, 10), remove(&mo)).unwrap();
    on_a.apply(&common::ctx(&a, 10), remove(&b)).unwrap();

    let mut on_b = common::replica(&mut f.doc, 2);
    link(&mut on_b, &b, &mo, 'd');
    on_b.apply(
        &common::ctx(&b, 11),
        Command::EditMember(
            mo.clone(),
            MemberPatch {
                roles: Some(vec![Role::Facilitator]),
                ..Default::default()
            },
        ),
    )
    .unwrap();
    on_b.apply(&common::ctx(&b, 11), remove(&a)).unwrap();

    let mut on_founder = common::replica(&mut f.doc, 3);
    on_founder
        .apply(
            &common::ctx(&founder, 12),
            Command::EditMember(
                mo.clone(),
                MemberPatch {
                    name: Some("Mo Ahmed".into()),
                    ..Default::default()
                },
            ),
        )
        .unwrap();

    let batches = [
        changes_since(&mut on_a, &base),
        changes_since(&mut on_b, &base),
        changes_since(&mut on_founder, &base),
    ];
    let mut outcomes = Vec::new();
    for order in common::ORDERS {
        let mut replica = common::replica(&mut f.doc, 9);
        for &i in &order {
            replica
                .automerge_mut()
                .apply_changes(batches[i].clone())
                .unwrap();
        }
        let removed: Vec<MemberId> = replica.removals().unwrap().into_keys().collect();
        assert_eq!(
            removed,
            [a.clone(), b.clone(), mo.clone()],
            "order {order:?}"
        );
        let admitted: Vec<String> = replica.admitted_devices().into_iter().collect();
        assert_eq!(
            admitted,
            std::slice::from_ref(&founder_device),
            "order {order:?}"
        );
        for gone in [&a, &b, &mo] {
            assert!(
                not_allowed(replica.apply(
                    &common::ctx(gone, 20),
                    Command::UpdateCommunity(Default::default())
                )),
                "a removed member cannot write (order {order:?})"
            );
        }
        let mut heads = replica.heads();
        heads.sort();
        let view = CommunityView::hydrate(&mut replica).unwrap();
        assert_eq!(
            view.members[&mo].name, "Mo Ahmed",
            "concurrent edits still merge"
        );
        outcomes.push((heads, commonroom_model::export::json::to_value(&view)));
    }
    for outcome in &outcomes[1..] {
        assert_eq!(
            outcome, &outcomes[0],
            "every delivery order gives one state"
        );
    }
    // The founder, still a steward, carries on: the community is not locked.
    let mut replica = common::replica(&mut f.doc, 9);
    for batch in &batches {
        replica
            .automerge_mut()
            .apply_changes(batch.clone())
            .unwrap();
    }
    add_member(&mut replica, &founder, "new-steward", Role::Facilitator);
}

#[test]
fn roles_decide_who_may_manage_membership_and_hide_notes() {
    let mut f = common::fixture();
    let founder = f.founder.clone();
    let sam = f.member.clone();
    let moderator = add_member(&mut f.doc, &founder, "mod", Role::Moderator);
    let as_sam = common::ctx(&sam, 6);
    let invite = |for_member: Option<MemberId>| Command::CreateInvite {
        public_key: "d".repeat(64),
        expires_at: Timestamp::from_millis(common::T0 + 86_400_000),
        for_member,
        uses: 1,
    };
    assert!(not_allowed(f.doc.apply(&as_sam, invite(None))));
    assert!(not_allowed(
        f.doc.apply(&as_sam, invite(Some(founder.clone())))
    ));
    f.doc.apply(&as_sam, invite(Some(sam.clone()))).unwrap();
    assert!(not_allowed(f.doc.apply(
        &as_sam,
        Command::RemoveMember {
            id: moderator.clone(),
            reason: None
        }
    )));
    let promote = Command::EditMember(
        sam.clone(),
        MemberPatch {
            roles: Some(vec![Role::Facilitator]),
            ..Default::default()
        },
    );
    assert!(not_allowed(f.doc.apply(&as_sam, promote.clone())));
    // Editing one's profile without touching roles is fine.
    f.doc
        .apply(
            &as_sam,
            Command::EditMember(
                sam.clone(),
                MemberPatch {
                    roles: Some(vec![Role::Member]),
                    contact: Some(Some("sam@example.org".into())),
                    ..Default::default()
                },
            ),
        )
        .unwrap();

    let note = |id: &str| {
        Command::AddNote(NewNote {
            id: NoteId::new(id),
            text: "A note".into(),
            event: None,
            theme: None,
            position: None,
            anonymous: false,
        })
    };
    f.doc
        .apply(&common::ctx(&founder, 7), note("by-founder"))
        .unwrap();
    f.doc.apply(&as_sam, note("by-sam")).unwrap();
    let hide = |id: &str| Command::Delete(EntityKind::Note, id.into());
    assert!(not_allowed(f.doc.apply(&as_sam, hide("by-founder"))));
    f.doc.apply(&as_sam, hide("by-sam")).unwrap();
    f.doc
        .apply(&common::ctx(&moderator, 8), hide("by-founder"))
        .unwrap();

    f.doc.apply(&common::ctx(&founder, 9), promote).unwrap();
    f.doc
        .apply(
            &common::ctx(&sam, 10),
            Command::RemoveMember {
                id: moderator.clone(),
                reason: None,
            },
        )
        .unwrap();
    let refused = f
        .doc
        .apply(&common::ctx(&moderator, 11), note("late"))
        .unwrap_err();
    assert!(
        refused.to_string().contains("you were removed"),
        "{refused}"
    );
}

#[test]
fn a_device_link_ticket_adds_a_device_to_its_member_and_no_member() {
    let mut f = common::fixture();
    let sam = f.member.clone();
    let key = "d".repeat(64);
    f.doc
        .apply(
            &common::ctx(&sam, 6),
            Command::CreateInvite {
                public_key: key.clone(),
                expires_at: Timestamp::from_millis(common::T0 + 86_400_000),
                for_member: Some(sam.clone()),
                uses: 1,
            },
        )
        .unwrap();
    let members_before = f
        .doc
        .all::<commonroom_model::entities::Member>()
        .unwrap()
        .0
        .len();
    let join = Command::Join {
        invite: key.clone(),
        member: NewMember {
            id: MemberId::new("ignored"),
            name: "ignored".into(),
            organisation: None,
            roles: vec![],
            focus: vec![],
            contact: None,
        },
        device: "e".repeat(64),
        device_label: "Sam's phone".into(),
    };
    let applied = f.doc.apply(&common::ctx(&sam, 7), join.clone()).unwrap();
    assert_eq!(applied.id, sam.as_str());
    let (members, _) = f.doc.all::<commonroom_model::entities::Member>().unwrap();
    assert_eq!(members.len(), members_before, "no member is added");
    let stored = f
        .doc
        .get::<commonroom_model::entities::Member>(sam.as_str())
        .unwrap()
        .unwrap();
    assert_eq!(stored.devices["e".repeat(64).as_str()].label, "Sam's phone");
    assert!(f.doc.admitted_devices().contains(&"e".repeat(64)));
    assert!(
        f.doc.apply(&common::ctx(&sam, 8), join).is_err(),
        "one use only"
    );
}

#[test]
fn a_joiner_is_recorded_as_admitted_by_whoever_wrote_the_admission_not_by_the_invites_claim() {
    let mut f = common::fixture();
    let key = "f".repeat(64);
    // An invite entity naming the founder as its creator, as any member's modified client
    // could write one.
    f.doc
        .apply(
            &common::ctx(&f.founder, 6),
            Command::CreateInvite {
                public_key: key.clone(),
                expires_at: Timestamp::from_millis(common::T0 + 86_400_000),
                for_member: None,
                uses: 1,
            },
        )
        .unwrap();
    // Sam's device admits the joiner: the new member is recorded as Sam's doing.
    let joiner = MemberId::new("member-joiner");
    f.doc
        .apply(
            &common::ctx(&f.member, 7),
            Command::Join {
                invite: key,
                member: NewMember {
                    id: joiner.clone(),
                    name: "Jo".into(),
                    organisation: None,
                    roles: vec![Role::Member],
                    focus: vec![],
                    contact: None,
                },
                device: "a".repeat(64),
                device_label: "Jo's device".into(),
            },
        )
        .unwrap();
    let stored = f
        .doc
        .get::<commonroom_model::entities::Member>(joiner.as_str())
        .unwrap()
        .unwrap();
    assert_eq!(stored.created_by, Some(f.member.clone()));
}

/// Notes as they stand, deleted ones included, for exact comparison.
fn notes_of(doc: &mut CommunityDoc) -> serde_json::Value {
    let view = CommunityView::hydrate(doc).unwrap();
    serde_json::to_value(&view.notes).unwrap()
}

#[test]
fn a_member_wipes_all_notes_and_a_facilitator_restores_them_exactly() {
    let mut f = common::fixture();
    let founder = f.founder.clone();
    let sam = f.member.clone();
    for i in 0..30 {
        let by = if i % 3 == 0 { &sam } else { &founder };
        f.doc
            .apply(
                &common::ctx(by, 10 + i),
                Command::AddNote(NewNote {
                    id: NoteId::new(format!("note-{i:02}")),
                    text: format!("What we learned, number {i}"),
                    event: Some(f.event.clone()),
                    theme: (i % 2 == 0).then(|| f.theme.clone()),
                    position: None,
                    anonymous: i % 5 == 0,
                }),
            )
            .unwrap();
    }
    let before = notes_of(&mut f.doc);
    let event_before =
        serde_json::to_value(CommunityView::hydrate(&mut f.doc).unwrap().events[&f.event].clone())
            .unwrap();

    // Sam's modified client wipes everything: his own notes through commands, the rest by
    // writing straight into the document, plus the meeting's agenda.
    let mut vandal = common::replica(&mut f.doc, 2);
    let vandal_start = vandal.heads();
    for i in (0..30).step_by(3) {
        if i % 5 != 0 {
            vandal
                .apply(
                    &common::ctx(&sam, 100),
                    Command::Delete(EntityKind::Note, format!("note-{i:02}")),
                )
                .unwrap();
        }
    }
    {
        let doc = vandal.automerge_mut();
        let (_, notes) = doc.get(ROOT, "notes").unwrap().unwrap();
        let keys: Vec<String> = doc.keys(&notes).collect();
        for key in keys.iter().skip(5) {
            doc.delete(&notes, key.as_str()).unwrap();
        }
        for key in keys.iter().take(5) {
            let (_, note) = doc.get(&notes, key.as_str()).unwrap().unwrap();
            doc.put(&note, "text", "spam").unwrap();
        }
        doc.commit();
    }
    vandal
        .apply(
            &common::ctx(&sam, 101),
            Command::EditEvent(
                f.event.clone(),
                EventPatch {
                    agenda: Some("nothing".into()),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    // Meanwhile the facilitator adds a note of their own.
    let mut facilitator = common::replica(&mut f.doc, 3);
    facilitator
        .apply(
            &common::ctx(&founder, 102),
            Command::AddNote(NewNote {
                id: NoteId::new("note-new"),
                text: "Added while Sam was at it".into(),
                event: None,
                theme: None,
                position: None,
                anonymous: false,
            }),
        )
        .unwrap();
    facilitator.merge(&mut vandal).unwrap();
    let wiped = notes_of(&mut facilitator);
    assert_eq!(
        wiped.as_object().unwrap().len(),
        30 - 25 + 1,
        "the wipe arrived"
    );

    // The feed shows Sam's changes; the first one marks the point to go back to.
    let feed = facilitator.activity(
        &ActivityFilter {
            by: Some(sam.clone()),
            ..Default::default()
        },
        100,
    );
    assert!(feed.iter().any(|a| a.op.as_deref() == Some("note.delete")));
    let first_vandal_change = changes_since(&mut vandal, &vandal_start)[0].hash();
    let point = facilitator.before(&first_vandal_change).unwrap();
    assert_eq!(point, vandal_start);

    // Sam may not restore a whole section; the facilitator may.
    assert!(not_allowed(facilitator.apply(
        &common::ctx(&sam, 103),
        Command::RestoreAt {
            heads: point.clone(),
            target: RestoreTarget::Section(EntityKind::Note),
        }
    )));
    let heads_before_restore = facilitator.heads();
    facilitator
        .apply(
            &common::ctx(&founder, 104),
            Command::RestoreAt {
                heads: point.clone(),
                target: RestoreTarget::Section(EntityKind::Note),
            },
        )
        .unwrap();
    facilitator
        .apply(
            &common::ctx(&founder, 104),
            Command::RestoreAt {
                heads: point.clone(),
                target: RestoreTarget::Entity(EntityKind::Event, f.event.to_string()),
            },
        )
        .unwrap();
    let mut restored = notes_of(&mut facilitator);
    let added = restored.as_object_mut().unwrap().remove("note-new");
    assert!(added.is_some(), "a note added since is kept");
    assert_eq!(restored, before, "every note is exactly as it was");
    let event_after = serde_json::to_value(
        CommunityView::hydrate(&mut facilitator).unwrap().events[&f.event].clone(),
    )
    .unwrap();
    assert_eq!(event_after, event_before);
    assert!(
        changes_since(&mut facilitator, &heads_before_restore).len() == 2,
        "restoring wrote new changes, one per restore"
    );
    assert!(
        facilitator.at(&vandal.heads()).is_ok(),
        "history still holds the vandalised state"
    );

    // The restore reaches the vandal's replica like any change.
    vandal.merge(&mut facilitator).unwrap();
    let mut on_vandal = notes_of(&mut vandal);
    on_vandal.as_object_mut().unwrap().remove("note-new");
    assert_eq!(on_vandal, before);
}

#[test]
fn the_activity_feed_names_who_did_what_newest_first() {
    let mut f = common::fixture();
    let sam = f.member.clone();
    f.doc
        .apply(
            &common::ctx(&sam, 20),
            Command::EditEvent(
                f.event.clone(),
                EventPatch {
                    title: Some("Renamed".into()),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    let all = f.doc.activity(&ActivityFilter::default(), 3);
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].op.as_deref(), Some("event.edit"));
    assert_eq!(all[0].by.as_ref(), Some(&sam));
    assert_eq!(all[0].id.as_deref(), Some(f.event.as_str()));
    assert_eq!(all[0].at, Some(common::ctx(&sam, 20).now));
    let event_history = f.doc.activity(
        &ActivityFilter::entity(EntityKind::Event, f.event.as_str()),
        50,
    );
    let ops: Vec<_> = event_history.iter().filter_map(|a| a.op.clone()).collect();
    assert_eq!(ops, ["event.edit", "event.add"]);
    let change = f.doc.find_change(&all[0].change[..10]).unwrap();
    assert_eq!(change.to_string(), all[0].change);
    assert!(f.doc.find_change("zz").is_err());
    assert!(f.doc.find_change("000000").is_err());
}

#[test]
fn an_anonymous_note_shows_in_history_and_refreshes_alone_without_naming_anyone() {
    let mut f = common::fixture();
    let before = f.doc.heads();
    let id = f
        .doc
        .apply(
            &common::ctx(&f.member, 20),
            Command::AddNote(NewNote {
                id: NoteId::generate(),
                text: "The referral form scares people off".into(),
                event: None,
                theme: None,
                position: None,
                anonymous: true,
            }),
        )
        .unwrap()
        .id;
    // Views re-read only that note, not the whole community.
    let touched = f.doc.touched_since(&before);
    assert!(!touched.unknown, "the change is labelled");
    assert!(touched.entities.contains(&("notes".to_owned(), id.clone())));
    let entry = f.doc.activity(&ActivityFilter::default(), 1).remove(0);
    assert_eq!(entry.by, None);
    assert_eq!(entry.at, None, "no change time");
    assert_eq!(entry.id.as_deref(), Some(id.as_str()));
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    assert_eq!(
        commonroom_model::history::describe(&view, &entry),
        "Someone added the anonymous note \"The referral form scares people off\""
    );
    assert_eq!(commonroom_model::history::breaks_rules(&view, &entry), None);
    let by_author = ActivityFilter {
        by: Some(f.member.clone()),
        ..Default::default()
    };
    let mine = f.doc.activity(&by_author, 50);
    assert!(
        mine.iter().all(|a| a.id.as_deref() != Some(id.as_str())),
        "the note is not in its author's activity"
    );

    // Its author moves it into a theme: that edit is as anonymous as the note, so History
    // does not name the author right under it.
    let own_actor = f.doc.automerge_mut().get_actor().clone();
    f.doc
        .apply(
            &common::ctx(&f.member, 19),
            Command::EditNote(
                NoteId::new(&id),
                commonroom_model::commands::NotePatch {
                    text: Some("The referral form scares families off".into()),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    let entry = f.doc.activity(&ActivityFilter::default(), 1).remove(0);
    assert_eq!((entry.by.as_ref(), entry.at), (None, None));
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let said = commonroom_model::history::describe(&view, &entry);
    assert!(said.starts_with("Someone edited the note"), "{said}");
    let changes = f.doc.automerge_mut().get_changes(&[]);
    let last = changes.last().unwrap();
    assert_ne!(last.actor_id(), &own_actor, "written under a one-off actor");
    let mine = f.doc.activity(&by_author, 50);
    assert!(mine.iter().all(|a| a.id.as_deref() != Some(id.as_str())));
    // A named note's edits stay named.
    assert!(
        f.doc
            .activity(&ActivityFilter::default(), 50)
            .iter()
            .any(|a| a.by.is_some())
    );
}

/// One step of the text-history property test.
#[derive(Clone, Debug)]
enum Step {
    /// A replica rewrites the agenda (an in-place diff of the text).
    Edit { replica: usize, text: String },
    /// Two replicas exchange everything.
    Merge { a: usize, b: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..3, "[a-c ]{0,12}").prop_map(|(replica, text)| Step::Edit { replica, text }),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Step::Merge { a, b }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Historical reads (the base of restore) on documents with interleaved text edits and
    /// merges: every earlier point reads back exactly as that replica saw it, and never
    /// panics.
    #[test]
    fn earlier_points_read_back_exactly_after_interleaved_text_edits(
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        let mut f = common::fixture();
        let event = f.event.clone();
        let founder = f.founder.clone();
        let mut replicas: Vec<CommunityDoc> =
            (0..3).map(|i| common::replica(&mut f.doc, i as u8 + 1)).collect();
        let mut seen: Vec<(Vec<ChangeHash>, String)> = Vec::new();
        for (n, step) in steps.iter().enumerate() {
            match step {
                Step::Edit { replica, text } => {
                    let _ = replicas[*replica].apply(
                        &common::ctx(&founder, 10 + n as i64),
                        Command::EditEvent(event.clone(), EventPatch {
                            agenda: Some(text.clone()),
                            ..Default::default()
                        }),
                    );
                    let doc = &mut replicas[*replica];
                    let agenda = doc
                        .get::<commonroom_model::entities::Event>(event.as_str())
                        .unwrap()
                        .unwrap()
                        .agenda
                        .as_str()
                        .to_owned();
                    seen.push((doc.heads(), agenda));
                }
                Step::Merge { a, b } if a != b => {
                    let mut other = common::replica(&mut replicas[*b], 7);
                    replicas[*a].merge(&mut other).unwrap();
                }
                Step::Merge { .. } => {}
            }
        }
        let mut all = common::replica(&mut replicas[0], 8);
        for replica in replicas.iter_mut().skip(1) {
            let mut other = common::replica(replica, 9);
            all.merge(&mut other).unwrap();
        }
        for (heads, agenda) in &seen {
            let past = all.at(heads).unwrap();
            let then = past
                .get::<commonroom_model::entities::Event>(event.as_str())
                .unwrap()
                .unwrap();
            prop_assert_eq!(then.agenda.as_str(), agenda.as_str());
        }
        // Restoring the event to each point gives that agenda back, on top of the merge.
        if let Some((heads, agenda)) = seen.first() {
            all.apply(
                &common::ctx(&founder, 500),
                Command::RestoreAt {
                    heads: heads.clone(),
                    target: RestoreTarget::Entity(EntityKind::Event, event.to_string()),
                },
            ).unwrap();
            let now = all.get::<commonroom_model::entities::Event>(event.as_str()).unwrap().unwrap();
            prop_assert_eq!(now.agenda.as_str(), agenda.as_str());
        }
    }
}

#[test]
fn a_point_that_is_not_in_the_history_is_a_clear_error() {
    let mut f = common::fixture();
    let mut other = common::fixture();
    other
        .doc
        .apply(
            &common::ctx(&other.founder, 50),
            Command::UpdateCommunity(commonroom_model::commands::CommunityPatch {
                terms: Some("x".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    let foreign = other.doc.heads();
    let err = f
        .doc
        .apply(
            &common::ctx(&f.founder, 51),
            Command::RestoreAt {
                heads: foreign,
                target: RestoreTarget::Section(EntityKind::Note),
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("no change"), "{err}");
}

#[test]
fn with_no_steward_left_every_member_may_act_as_one() {
    let mut f = common::fixture();
    let founder = f.founder.clone();
    let sam = f.member.clone();
    let invite = Command::CreateInvite {
        public_key: "d".repeat(64),
        expires_at: Timestamp::from_millis(common::T0 + 86_400_000),
        for_member: None,
        uses: 1,
    };
    assert!(not_allowed(
        f.doc.apply(&common::ctx(&sam, 6), invite.clone())
    ));
    // The only steward steps down (drops their own facilitator role).
    f.doc
        .apply(
            &common::ctx(&founder, 7),
            Command::EditMember(
                founder.clone(),
                MemberPatch {
                    roles: Some(vec![Role::Member]),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    f.doc.apply(&common::ctx(&sam, 8), invite).unwrap();
}

/// A modified client writes a removal in the name of a plain member, straight into the
/// document. Every node merges it (replicas must converge), and History flags it.
#[test]
fn history_flags_a_change_the_role_rules_would_have_refused() {
    use commonroom_model::automerge::transaction::CommitOptions;
    use commonroom_model::history::breaks_rules;
    let mut f = common::fixture();
    let sam = f.member.clone();
    let mo = add_member(&mut f.doc, &f.founder.clone(), "mo", Role::Member);
    {
        let doc = f.doc.automerge_mut();
        let (_, removals) = doc.get(ROOT, "removals").unwrap().unwrap();
        let record = doc
            .put_object(
                &removals,
                mo.as_str(),
                commonroom_model::automerge::ObjType::Map,
            )
            .unwrap();
        doc.put(&record, "by", sam.as_str()).unwrap();
        doc.put(&record, "at", common::T0 + 60_000).unwrap();
        doc.put(
            &record,
            "reason",
            commonroom_model::automerge::ScalarValue::Null,
        )
        .unwrap();
        doc.commit_with(CommitOptions::default().with_message(format!(
            r#"{{"by":"{sam}","op":"member.remove","id":"{mo}"}}"#
        )));
    }
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    assert!(
        view.is_removed(&mo),
        "the removal is merged like any change"
    );
    let feed = f.doc.activity(&ActivityFilter::default(), 10);
    let why = breaks_rules(&view, &feed[0]).expect("the removal is flagged");
    assert!(why.contains("remove members"), "{why}");
    assert!(
        feed[1..]
            .iter()
            .all(|entry| breaks_rules(&view, entry).is_none()),
        "honest changes are not flagged"
    );
}

/// A join with `invite` for a new member called `name` from device `device` (a hex char).
fn join_with(invite: &str, name: &str, device: char) -> Command {
    Command::Join {
        invite: invite.to_owned(),
        member: NewMember {
            id: MemberId::new(format!("member-{name}")),
            name: name.into(),
            organisation: None,
            roles: vec![Role::Member],
            focus: vec![],
            contact: None,
        },
        device: device.to_string().repeat(64),
        device_label: format!("{name}'s laptop"),
    }
}

#[test]
fn a_group_invite_lets_in_as_many_as_it_is_for_even_when_two_members_admit_at_once() {
    let mut f = common::fixture();
    let key = "a".repeat(64);
    let group = |uses| Command::CreateInvite {
        public_key: key.clone(),
        expires_at: Timestamp::from_millis(common::T0 + 7 * 86_400_000),
        for_member: None,
        uses,
    };
    for refused in [0, commonroom_model::commands::MAX_INVITE_USES + 1] {
        let err = f
            .doc
            .apply(&common::ctx(&f.founder, 5), group(refused))
            .unwrap_err();
        assert!(err.to_string().contains("between 1 and 100"), "{err}");
    }
    f.doc.apply(&common::ctx(&f.founder, 6), group(3)).unwrap();
    // Two members' devices admit a joiner each at the same time, then their copies merge.
    let sam = f.member.clone();
    let mut other = common::replica(&mut f.doc, 9);
    f.doc
        .apply(&common::ctx(&f.founder, 7), join_with(&key, "Ana", 'b'))
        .unwrap();
    other
        .apply(&common::ctx(&sam, 7), join_with(&key, "Ben", 'c'))
        .unwrap();
    f.doc.merge(&mut other).unwrap();
    let invite = f
        .doc
        .get::<commonroom_model::entities::Invite>(&key)
        .unwrap()
        .unwrap();
    assert_eq!(invite.times_used(), 2, "both admissions are kept");
    assert_eq!(invite.uses_left(), 1);
    f.doc
        .apply(&common::ctx(&sam, 8), join_with(&key, "Cai", 'd'))
        .unwrap();
    let err = f
        .doc
        .apply(&common::ctx(&sam, 9), join_with(&key, "Dee", 'e'))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("used by as many people as it was for"),
        "{err}"
    );
    let admitted = f.doc.admitted_devices();
    for device in ['b', 'c', 'd'] {
        assert!(admitted.contains(&device.to_string().repeat(64)));
    }
    assert!(!admitted.contains(&"e".repeat(64)));
    // A personal invite is still used up by one.
    let one = "9".repeat(64);
    f.doc
        .apply(
            &common::ctx(&f.founder, 10),
            Command::CreateInvite {
                public_key: one.clone(),
                expires_at: Timestamp::from_millis(common::T0 + 86_400_000),
                for_member: None,
                uses: 1,
            },
        )
        .unwrap();
    f.doc
        .apply(&common::ctx(&sam, 11), join_with(&one, "Eve", 'f'))
        .unwrap();
    let err = f
        .doc
        .apply(&common::ctx(&sam, 12), join_with(&one, "Fin", '8'))
        .unwrap_err();
    assert!(err.to_string().contains("already been used"), "{err}");
}
