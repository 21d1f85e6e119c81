//! Property tests: replicas applying random commands concurrently converge when merged in any
//! order, and no command panics, whatever its input.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use commonroom_model::commands::{
    ActionPatch, CommunityPatch, EventPatch, MemberPatch, NewAction, NewNote, NewTheme, NotePatch,
};
use commonroom_model::{
    ActionId, Command, CommunityDoc, CommunityView, EntityKind, EventId, MemberId, NoteId,
    RsvpAnswer, ThemeId, export,
};
use proptest::prelude::*;

/// One random operation, with indices into the entities known to the replica.
#[derive(Clone, Debug)]
struct Op {
    kind: u8,
    target: usize,
    other: usize,
    text: String,
}

fn op() -> impl Strategy<Value = Op> {
    (0u8..14, 0usize..8, 0usize..8, "[a-z ]{0,10}").prop_map(|(kind, target, other, text)| Op {
        kind,
        target,
        other,
        text,
    })
}

/// Entities a replica knows about (shared ones plus those it created).
struct Known {
    members: Vec<MemberId>,
    events: Vec<EventId>,
    themes: Vec<ThemeId>,
    notes: Vec<NoteId>,
    actions: Vec<ActionId>,
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

fn command(op: &Op, known: &mut Known, replica: usize, n: usize) -> Option<Command> {
    let fresh = |prefix: &str| format!("{prefix}-r{replica}-{n}");
    Some(match op.kind {
        0 => {
            let id = NoteId::new(fresh("note"));
            known.notes.push(id.clone());
            Command::AddNote(NewNote {
                id,
                text: format!("note {}", op.text),
                event: pick(&known.events, op.target),
                theme: pick(&known.themes, op.other),
                position: None,
                anonymous: op.other.is_multiple_of(3),
            })
        }
        1 => Command::EditNote(
            pick(&known.notes, op.target)?,
            NotePatch {
                text: Some(op.text.clone()),
                theme: Some(pick(&known.themes, op.other)),
                ..Default::default()
            },
        ),
        2 => Command::Delete(EntityKind::Note, pick(&known.notes, op.target)?.to_string()),
        3 => Command::Restore(EntityKind::Note, pick(&known.notes, op.target)?.to_string()),
        4 => {
            let id = ThemeId::new(fresh("theme"));
            known.themes.push(id.clone());
            Command::AddTheme(NewTheme {
                id,
                name: format!("Theme {}", op.text),
                description: op.text.clone(),
            })
        }
        5 => Command::EditEvent(
            pick(&known.events, op.target)?,
            EventPatch {
                agenda: Some(format!("1. Welcome {}\n2. Hot Seat", op.text)),
                ..Default::default()
            },
        ),
        6 => Command::Rsvp {
            event: pick(&known.events, op.target)?,
            member: pick(&known.members, op.other)?,
            answer: [Some(RsvpAnswer::Yes), Some(RsvpAnswer::No), None][op.other % 3].clone(),
        },
        7 => Command::CheckIn {
            event: pick(&known.events, op.target)?,
            member: pick(&known.members, op.other)?,
            present: op.other.is_multiple_of(2),
        },
        8 => Command::EditMember(
            pick(&known.members, op.target)?,
            MemberPatch {
                focus: Some(vec![op.text.clone(), "housing".into()]),
                ..Default::default()
            },
        ),
        9 => {
            let id = ActionId::new(fresh("action"));
            known.actions.push(id.clone());
            Command::AddAction(NewAction {
                id,
                text: format!("action {}", op.text),
                owner: pick(&known.members, op.other),
                due: None,
                event: pick(&known.events, op.target),
                theme: None,
            })
        }
        10 => Command::EditAction(
            pick(&known.actions, op.target)?,
            ActionPatch {
                done: Some(op.other.is_multiple_of(2)),
                ..Default::default()
            },
        ),
        11 => Command::RemoveMember {
            id: pick(&known.members, op.target)?,
            reason: None,
        },
        12 => Command::UpdateCommunity(CommunityPatch {
            terms: Some(format!("We meet monthly. {}", op.text)),
            ..Default::default()
        }),
        _ => Command::Delete(
            EntityKind::Theme,
            pick(&known.themes, op.target)?.to_string(),
        ),
    })
}

fn run_ops(doc: &mut CommunityDoc, ops: &[Op], replica: usize, f: &common::Fixture) {
    let mut known = Known {
        members: vec![f.founder.clone(), f.member.clone()],
        events: vec![f.event.clone()],
        themes: vec![f.theme.clone()],
        notes: Vec::new(),
        actions: Vec::new(),
    };
    for (n, op) in ops.iter().enumerate() {
        if let Some(cmd) = command(op, &mut known, replica, n) {
            // Refusals (a deleted theme, a removed member...) are fine; panics are not.
            let _ = doc.apply(&common::ctx(&f.founder, 10 + n as i64), cmd);
        }
    }
}

fn state(doc: &mut CommunityDoc) -> serde_json::Value {
    let view = CommunityView::hydrate(doc).expect("a merged document hydrates");
    assert_eq!(view.unreadable, 0, "every entity is readable after a merge");
    export::json::to_value(&view)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn three_replicas_converge_in_every_merge_order(
        ops in proptest::array::uniform3(proptest::collection::vec(op(), 0..14)),
        midway_sync in any::<bool>(),
    ) {
        let mut f = common::fixture();
        let mut replicas: Vec<CommunityDoc> = (0..3).map(|i| common::replica(&mut f.doc, i as u8 + 1)).collect();
        let half: Vec<usize> = ops.iter().map(|o| o.len() / 2).collect();
        for (i, replica) in replicas.iter_mut().enumerate() {
            run_ops(replica, &ops[i][..half[i]], i, &f);
        }
        if midway_sync {
            // Replica 0 and 1 meet halfway through; 2 stays away.
            let (a, b) = replicas.split_at_mut(1);
            a[0].merge(&mut b[0]).unwrap();
            b[0].merge(&mut a[0]).unwrap();
        }
        for (i, replica) in replicas.iter_mut().enumerate() {
            run_ops(replica, &ops[i][half[i]..], i, &f);
        }
        let mut results = Vec::new();
        for order in common::ORDERS {
            let mut merged = common::replica(&mut replicas[order[0]], 9);
            for &next in &order[1..] {
                let mut other = common::replica(&mut replicas[next], 10);
                merged.merge(&mut other).unwrap();
            }
            results.push(state(&mut merged));
        }
        for result in &results[1..] {
            prop_assert_eq!(result, &results[0]);
        }
    }

    #[test]
    fn no_command_panics_on_any_text(
        text in any::<String>(),
        other in any::<String>(),
        start in any::<i64>(),
        end in proptest::option::of(any::<i64>()),
        kind in 0u8..6,
    ) {
        use commonroom_model::commands::{NewEvent, NewMember, NewResource};
        let mut f = common::fixture();
        let ctx = common::ctx(&f.founder, 5);
        let cmd = match kind {
            0 => Command::AddMember(NewMember {
                id: MemberId::new(other.clone()), name: text.clone(), organisation: Some(other.clone()),
                roles: vec![], focus: vec![text.clone(), other.clone()], contact: Some(text.clone()),
            }),
            1 => Command::AddEvent(NewEvent {
                id: EventId::new(other.clone()), title: text.clone(), format: Default::default(),
                start: commonroom_model::Timestamp::from_millis(start),
                end: end.map(commonroom_model::Timestamp::from_millis), venue: Some(other.clone()),
                call_link: Some(text.clone()), agenda: other.clone(), facilitator: None, note_taker: None,
                topic: None,
            }),
            2 => Command::AddNote(NewNote {
                id: NoteId::new(other.clone()), text: text.clone(), event: Some(EventId::new(other.clone())),
                theme: None, position: None, anonymous: start % 2 == 0,
            }),
            3 => Command::AddResource(NewResource {
                id: commonroom_model::ResourceId::new(other.clone()), title: text.clone(), url: Some(other.clone()),
                description: text.clone(), tags: vec![other.clone()], themes: vec![],
            }),
            4 => Command::EditEvent(f.event.clone(), EventPatch {
                agenda: Some(text.clone()), summary: Some(other.clone()), title: Some(text.clone()),
                ..Default::default()
            }),
            _ => Command::UpdateCommunity(CommunityPatch {
                name: Some(text.clone()), domain: Some(other.clone()), terms: Some(text.clone()), rota: None,
            }),
        };
        let before = state(&mut f.doc);
        match f.doc.apply(&ctx, cmd) {
            Ok(_) => {
                // Whatever was accepted can be read back and exported.
                let view = CommunityView::hydrate(&mut f.doc).unwrap();
                let _ = export::markdown::overview(&view, ctx.now);
                let _ = export::ics::calendar(&view, ctx.now);
            }
            Err(_) => prop_assert_eq!(state(&mut f.doc), before, "a refused command changes nothing"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn an_incrementally_refreshed_view_matches_a_full_read(
        local in proptest::collection::vec(op(), 0..24),
        remote in proptest::collection::vec(op(), 0..12),
    ) {
        let mut f = common::fixture();
        let mut other = common::replica(&mut f.doc, 7);
        let mut view = CommunityView::hydrate(&mut f.doc).unwrap();
        let mut known = Known {
            members: vec![f.founder.clone(), f.member.clone()],
            events: vec![f.event.clone()],
            themes: vec![f.theme.clone()],
            notes: Vec::new(),
            actions: Vec::new(),
        };
        for (n, op) in local.iter().enumerate() {
            let Some(cmd) = command(op, &mut known, 0, n) else { continue };
            let before = f.doc.heads();
            let _ = f.doc.apply(&common::ctx(&f.founder, 10 + n as i64), cmd);
            let touched = f.doc.touched_since(&before);
            view.refresh(&mut f.doc, &touched).unwrap();
            prop_assert_eq!(export::json::to_value(&view), state(&mut f.doc));
        }
        // Changes arriving from a peer are refreshed the same way.
        run_ops(&mut other, &remote, 1, &f);
        let before = f.doc.heads();
        f.doc.merge(&mut other).unwrap();
        let touched = f.doc.touched_since(&before);
        view.refresh(&mut f.doc, &touched).unwrap();
        prop_assert_eq!(export::json::to_value(&view), state(&mut f.doc));
    }
}
