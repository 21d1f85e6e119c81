//! The facilitation toolkit in the model: recorded pairing rounds, the fair facilitator
//! rota, agenda templates, and the summary for those who could not come.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use commonroom_model::commands::{
    CommunityPatch, EventPatch, NewAction, NewEvent, NewMember, NewNote,
};
use commonroom_model::export::markdown::event_summary;
use commonroom_model::pairing::{attendees, focus_of, met_pairs, propose_round};
use commonroom_model::{
    ActionId, Command, CommunityView, Day, EventFormat, EventId, MemberId, NoteId, Role,
    RsvpAnswer, Timestamp,
};

fn add_member(f: &mut common::Fixture, id: &str, name: &str) -> MemberId {
    let id = MemberId::new(id);
    f.doc
        .apply(
            &common::ctx(&f.founder, 4),
            Command::AddMember(NewMember {
                id: id.clone(),
                name: name.into(),
                organisation: None,
                roles: vec![Role::Member],
                focus: vec!["housing".into()],
                contact: None,
            }),
        )
        .unwrap();
    id
}

#[test]
fn pairing_rounds_are_recorded_and_remembered() {
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 20);
    let extra = add_member(&mut f, "member-kim", "Kim");
    let extra2 = add_member(&mut f, "member-lou", "Lou");
    for m in [&f.founder, &f.member, &extra, &extra2] {
        f.doc
            .apply(
                &c,
                Command::CheckIn {
                    event: f.event.clone(),
                    member: m.clone(),
                    present: true,
                },
            )
            .unwrap();
    }
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let people = attendees(&view, &f.event);
    assert_eq!(people.len(), 4);
    let round = propose_round(&people, &focus_of(&view), &met_pairs(&view));
    f.doc
        .apply(
            &c,
            Command::RecordRound {
                event: f.event.clone(),
                round: 1,
                groups: round.clone(),
            },
        )
        .unwrap();
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let met = met_pairs(&view);
    assert_eq!(met.len(), 2, "two pairs met");
    let second = propose_round(&people, &focus_of(&view), &met);
    for group in &second {
        assert!(
            !round.contains(group),
            "round 2 gives everyone a new partner: {second:?}"
        );
    }

    // Bad rounds are refused and change nothing.
    let heads = f.doc.heads();
    for groups in [
        vec![vec![f.founder.clone()]],
        vec![
            vec![f.founder.clone(), f.member.clone()],
            vec![f.member.clone(), extra.clone()],
        ],
        vec![vec![f.founder.clone(), MemberId::new("ghost")]],
    ] {
        assert!(
            f.doc
                .apply(
                    &c,
                    Command::RecordRound {
                        event: f.event.clone(),
                        round: 2,
                        groups
                    }
                )
                .is_err()
        );
    }
    assert!(
        f.doc
            .apply(
                &c,
                Command::RecordRound {
                    event: f.event.clone(),
                    round: 0,
                    groups: vec![]
                }
            )
            .is_err()
    );
    assert_eq!(f.doc.heads(), heads);
}

#[test]
fn the_rota_turns_fairly() {
    let mut f = common::fixture();
    let kim = add_member(&mut f, "member-kim", "Kim");
    let c = common::ctx(&f.founder, 30);
    f.doc
        .apply(
            &c,
            Command::UpdateCommunity(CommunityPatch {
                rota: Some(vec![f.founder.clone(), f.member.clone(), kim.clone()]),
                ..Default::default()
            }),
        )
        .unwrap();
    let event_start = |days: i64| Timestamp::from_millis(common::T0 + days * 86_400_000);
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    // Before the first event happened, nobody facilitated: the rota's first.
    assert_eq!(view.next_facilitator(event_start(1)), Some(&f.founder));
    // After the founder facilitated the fixture's event, Sam (never facilitated) is next.
    assert_eq!(view.next_facilitator(event_start(11)), Some(&f.member));
    f.doc
        .apply(
            &c,
            Command::AddEvent(NewEvent {
                id: EventId::new("event-2"),
                title: "Next".into(),
                format: EventFormat::Meeting,
                start: event_start(40),
                end: None,
                venue: None,
                call_link: None,
                topic: None,
                agenda: String::new(),
                facilitator: Some(f.member.clone()),
                note_taker: None,
            }),
        )
        .unwrap();
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    assert_eq!(
        view.next_facilitator(event_start(41)),
        Some(&kim),
        "Kim never facilitated"
    );
    // Once everyone had a turn, whoever went longest ago.
    f.doc
        .apply(
            &c,
            Command::EditEvent(
                EventId::new("event-2"),
                EventPatch {
                    facilitator: Some(Some(kim.clone())),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    assert_eq!(view.next_facilitator(event_start(41)), Some(&f.member));
}

#[test]
fn every_format_has_an_agenda_template() {
    for format in EventFormat::ALL {
        assert!(format.agenda_template().len() > 20, "{format}");
    }
    assert!(EventFormat::HotSeat.agenda_template().contains("Hot Seat"));
}

#[test]
fn the_summary_tells_those_who_could_not_come() {
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 30);
    f.doc
        .apply(
            &c,
            Command::EditEvent(
                f.event.clone(),
                EventPatch {
                    topic: Some(Some("Getting a SEND assessment".into())),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    for m in [&f.founder, &f.member] {
        f.doc
            .apply(
                &c,
                Command::CheckIn {
                    event: f.event.clone(),
                    member: m.clone(),
                    present: true,
                },
            )
            .unwrap();
        f.doc
            .apply(
                &c,
                Command::Rsvp {
                    event: f.event.clone(),
                    member: m.clone(),
                    answer: Some(RsvpAnswer::Yes),
                },
            )
            .unwrap();
    }
    for (id, text, theme) in [
        ("n1", "Waiting lists are long", Some(f.theme.clone())),
        ("n2", "Bus fares", None),
    ] {
        f.doc
            .apply(
                &c,
                Command::AddNote(NewNote {
                    id: NoteId::new(id),
                    text: text.into(),
                    event: Some(f.event.clone()),
                    theme,
                    position: None,
                    anonymous: id == "n2",
                }),
            )
            .unwrap();
    }
    f.doc
        .apply(
            &c,
            Command::AddAction(NewAction {
                id: ActionId::new("a1"),
                text: "Write to the council".into(),
                owner: Some(f.member.clone()),
                due: Some(Day::parse("2026-12-10").unwrap()),
                event: Some(f.event.clone()),
                theme: None,
            }),
        )
        .unwrap();
    f.doc
        .apply(
            &c,
            Command::AddEvent(NewEvent {
                id: EventId::new("event-2"),
                title: "January meeting".into(),
                format: EventFormat::Meeting,
                start: Timestamp::from_millis(common::T0 + 40 * 86_400_000),
                end: None,
                venue: None,
                call_link: None,
                topic: None,
                agenda: String::new(),
                facilitator: None,
                note_taker: None,
            }),
        )
        .unwrap();
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let md = event_summary(&view, &f.event).unwrap();
    assert!(md.starts_with("# Monthly meeting\n"), "{md}");
    assert!(
        md.contains("**2 people came.** Facilitated by Alex."),
        "{md}"
    );
    assert!(
        md.contains("**Hot Seat topic:** Getting a SEND assessment"),
        "{md}"
    );
    assert!(
        md.contains("### Housing (1)\n\n- Waiting lists are long"),
        "{md}"
    );
    assert!(md.contains("### Other notes (1)\n\n- Bus fares"), "{md}");
    assert!(
        md.contains("- Write to the council — Sam, by 2026-12-10"),
        "{md}"
    );
    assert!(md.contains("**Next:** **January meeting**"), "{md}");
    assert!(event_summary(&view, &EventId::new("nope")).is_none());

    // The same as plain text for WhatsApp or email, in the reader's time zone.
    let an_hour_east = chrono::FixedOffset::east_opt(3600).unwrap();
    let text =
        commonroom_model::export::text::event_summary(&view, &f.event, &an_hour_east).unwrap();
    assert!(!text.contains('#') && !text.contains("**"), "{text}");
    assert!(text.starts_with("*Monthly meeting*\n"), "{text}");
    assert!(
        text.contains("2 people came. Facilitated by Alex."),
        "{text}"
    );
    assert!(
        text.contains("Hot Seat topic: Getting a SEND assessment"),
        "{text}"
    );
    assert!(
        text.contains("Housing (1):\n• Waiting lists are long"),
        "{text}"
    );
    assert!(
        text.contains("• Write to the council — Sam, by 2026-12-10"),
        "{text}"
    );
    assert!(text.contains("Next: January meeting"), "{text}");
    let start = view.events[&f.event].start.to_utc();
    let local = start
        .with_timezone(&an_hour_east)
        .format("%H:%M")
        .to_string();
    let utc = start.format("%H:%M").to_string();
    assert_ne!(local, utc);
    assert!(text.contains(&local) && !text.contains("UTC"), "{text}");
    assert!(md.contains(utc.as_str()) && md.contains("UTC"), "{md}");
}

#[test]
fn members_import_from_a_spreadsheet_all_or_nothing() {
    use commonroom_model::import::members_from_csv;
    let mut f = common::fixture();
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let good = "Name,Organisation,Roles,Focus,Email,joined\n\
                Priya Shah,Young Carers Project,facilitator; core-group,SEND; young carers,priya@example.org,x\n\
                ,,,,\n\
                \"Okafor, Sam\",,,parenting,,\n";
    let members = members_from_csv(good, &view).unwrap();
    assert_eq!(members.len(), 2, "the empty row is skipped");
    assert_eq!(members[0].name, "Priya Shah");
    assert_eq!(members[0].roles, vec![Role::Facilitator, Role::CoreGroup]);
    assert_eq!(
        members[0].focus,
        vec!["SEND".to_owned(), "young carers".to_owned()]
    );
    assert_eq!(members[0].contact.as_deref(), Some("priya@example.org"));
    assert_eq!(members[1].name, "Okafor, Sam");
    assert_eq!(members[1].roles, vec![Role::Member], "member by default");

    let heads = f.doc.heads();
    f.doc
        .apply(
            &common::ctx(&f.founder, 50),
            Command::ImportMembers(members),
        )
        .unwrap();
    assert_eq!(
        f.doc.automerge_mut().get_changes(&heads).len(),
        1,
        "one change for the whole import"
    );
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    assert_eq!(view.active_members().len(), 4);

    let bad = "name,role\nKim,member\n,member\nSam,boss\nkim,\nLou,\n";
    let errors = members_from_csv(bad, &view).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "line 3: the name is empty".to_owned(),
            "line 4: Sam is already a member (or appears twice in the file); role \"boss\" is not one of: facilitator, core-group, moderator, note-taker, member".to_owned(),
            "line 5: kim is already a member (or appears twice in the file)".to_owned(),
        ]
    );
    let errors = members_from_csv("nom,org\nKim,x\n", &view).unwrap_err();
    assert_eq!(errors[0].line, 1);
    let errors = members_from_csv("name,roles\nKim,boss\n", &view).unwrap_err();
    assert!(
        errors[0].reason.contains("\"boss\" is not one of"),
        "{errors:?}"
    );
}

#[test]
fn survey_answers_merge_and_tally() {
    use commonroom_model::commands::{NewQuestion, NewSurvey};
    use commonroom_model::entities::Answer;
    use commonroom_model::insight::{Tally, survey_results};
    use commonroom_model::{QuestionKind, SurveyId};
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 40);
    let id = SurveyId::new("s1");
    f.doc
        .apply(
            &c,
            Command::AddSurvey(NewSurvey {
                id: id.clone(),
                title: "Training needs".into(),
                description: String::new(),
                questions: vec![
                    NewQuestion {
                        text: "Confidence?".into(),
                        kind: QuestionKind::Scale,
                        options: vec![],
                    },
                    NewQuestion {
                        text: "Which?".into(),
                        kind: QuestionKind::Single,
                        options: vec!["A".into(), "B".into()],
                    },
                    NewQuestion {
                        text: "Else?".into(),
                        kind: QuestionKind::Text,
                        options: vec![],
                    },
                ],
            }),
        )
        .unwrap();
    // A choice question needs options; an answer must fit its question.
    assert!(
        f.doc
            .apply(
                &c,
                Command::AddSurvey(NewSurvey {
                    id: SurveyId::new("s2"),
                    title: "x".into(),
                    description: String::new(),
                    questions: vec![NewQuestion {
                        text: "?".into(),
                        kind: QuestionKind::Single,
                        options: vec!["only".into()]
                    }]
                })
            )
            .is_err()
    );
    let answers = |scale: i64, choice: &str| {
        std::collections::BTreeMap::from([
            (
                "001".to_owned(),
                Answer {
                    scale: Some(scale),
                    ..Default::default()
                },
            ),
            (
                "002".to_owned(),
                Answer {
                    choices: vec![choice.to_owned()],
                    ..Default::default()
                },
            ),
        ])
    };
    assert!(
        f.doc
            .apply(
                &c,
                Command::AnswerSurvey {
                    survey: id.clone(),
                    member: f.member.clone(),
                    answers: answers(9, "A")
                }
            )
            .is_err()
    );
    assert!(
        f.doc
            .apply(
                &c,
                Command::AnswerSurvey {
                    survey: id.clone(),
                    member: f.member.clone(),
                    answers: answers(3, "C")
                }
            )
            .is_err()
    );

    // Two members answer on two replicas, offline; both answers survive the merge.
    let mut other = common::replica(&mut f.doc, 9);
    f.doc
        .apply(
            &c,
            Command::AnswerSurvey {
                survey: id.clone(),
                member: f.founder.clone(),
                answers: answers(4, "A"),
            },
        )
        .unwrap();
    other
        .apply(
            &common::ctx(&f.member, 41),
            Command::AnswerSurvey {
                survey: id.clone(),
                member: f.member.clone(),
                answers: answers(2, "A"),
            },
        )
        .unwrap();
    f.doc.merge(&mut other).unwrap();
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let survey = &view.surveys[&id];
    assert_eq!(survey.responses.len(), 2);
    let results = survey_results(survey);
    assert_eq!(
        results[0].1,
        Tally::Scale {
            counts: [0, 1, 0, 1, 0],
            mean: Some(3.0)
        }
    );
    assert_eq!(
        results[1].1,
        Tally::Choices(vec![("A".into(), 2), ("B".into(), 0)])
    );
    assert_eq!(results[2].1, Tally::Texts(vec![]));
}

#[test]
fn stories_and_the_impact_report() {
    use commonroom_model::commands::NewStory;
    use commonroom_model::insight::{impact_report, stories_by_cycle_and_year};
    use commonroom_model::{Cycle, StoryId};
    let mut f = common::fixture();
    let c = common::ctx(&f.member, 40);
    f.doc
        .apply(
            &c,
            Command::AddStory(NewStory {
                id: StoryId::new("st1"),
                title: "One named contact".into(),
                text: "We gave each family one contact.".into(),
                cycles: vec![Cycle::Applied, Cycle::Realised],
                event: Some(f.event.clone()),
                resources: vec![],
            }),
        )
        .unwrap();
    assert!(
        f.doc
            .apply(
                &c,
                Command::AddStory(NewStory {
                    id: StoryId::new("st2"),
                    title: "x".into(),
                    text: "y".into(),
                    cycles: vec![],
                    event: Some(EventId::new("nope")),
                    resources: vec![]
                })
            )
            .is_err()
    );
    let view = CommunityView::hydrate(&mut f.doc).unwrap();
    let by_year = stories_by_cycle_and_year(&view);
    assert_eq!(by_year.len(), 1);
    assert_eq!(by_year[0].1, vec![0, 0, 1, 1, 0]);
    let report = impact_report(&view, Timestamp::from_millis(common::T0 + 20 * 86_400_000));
    assert!(report.contains("## Value created (1 stories)"), "{report}");
    assert!(report.contains("### Applied value (1)\n\n- **One named contact** (Sam): We gave each family one contact."), "{report}");
    assert!(report.contains("### Reframing value (0)"), "{report}");
}
