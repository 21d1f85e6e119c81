//! "Explore a sample community": a small, realistic family-support community of practice
//! (after the Stoke-on-Trent guide's case study) so a newcomer sees the app at work at once.

use crate::commands::{
    CommunityPatch, NewAction, NewEvent, NewMember, NewNote, NewResource, NewTheme,
};
use crate::{
    ActionId, Command, Day, EventFormat, EventId, MemberId, NoteId, ResourceId, Role, RsvpAnswer,
    ThemeId, Timestamp,
};

/// The sample community's name.
pub const SAMPLE_NAME: &str = "Family Support Network (sample)";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A sample member: name, organisation, roles, focus areas.
type Person = (
    &'static str,
    Option<&'static str>,
    &'static [Role],
    &'static [&'static str],
);

/// The commands that fill a freshly started community with the sample's members, events,
/// notes, themes, resources and actions. `founder` is the member who started it (made a
/// facilitator); times are relative to `now` so there are past and upcoming meetings.
pub fn sample_commands(founder: &MemberId, now: Timestamp) -> Vec<Command> {
    let mut out = Vec::new();
    out.push(Command::UpdateCommunity(CommunityPatch {
        domain: Some(
            "Improving support for families in our city: practitioners, volunteers and parents \
             with lived experience learning together how to make services easier to reach."
                .into(),
        ),
        terms: Some(
            "1. We meet monthly, in person or online, and keep a WhatsApp group between meetings.\n\
             2. Facilitation rotates among volunteers; each meeting has a note-taker.\n\
             3. Everyone's experience counts: lived experience is as valued as job titles.\n\
             4. What is shared in the room stays in the room unless the speaker agrees.\n\
             5. A core group of four steers the community and reviews these terms yearly."
                .into(),
        ),
        ..Default::default()
    }));
    out.push(Command::EditMember(
        founder.clone(),
        crate::commands::MemberPatch {
            roles: Some(vec![Role::Facilitator, Role::CoreGroup]),
            focus: Some(vec!["early help".into(), "housing".into()]),
            ..Default::default()
        },
    ));
    let people: [Person; 7] = [
        (
            "Amira Khan",
            Some("Children's Centre North"),
            &[Role::CoreGroup, Role::NoteTaker],
            &["early help", "mental health"],
        ),
        (
            "Dave Holloway",
            Some("Citizens Advice"),
            &[Role::Member],
            &["debt advice", "housing"],
        ),
        (
            "Grace Mensah",
            None,
            &[Role::Member],
            &["parenting", "mental health"],
        ),
        (
            "Tom Baker",
            Some("City Council Family Hub"),
            &[Role::CoreGroup, Role::Facilitator],
            &["early help", "SEND"],
        ),
        (
            "Priya Shah",
            Some("Young Carers Project"),
            &[Role::Moderator],
            &["young carers", "SEND"],
        ),
        (
            "Lena Kowalski",
            Some("Food Bank"),
            &[Role::Member],
            &["food poverty", "debt advice"],
        ),
        (
            "Sam Okafor",
            None,
            &[Role::Member, Role::NoteTaker],
            &["parenting", "housing"],
        ),
    ];
    let mut members = vec![founder.clone()];
    for (name, org, roles, focus) in people {
        let id = MemberId::generate();
        members.push(id.clone());
        out.push(Command::AddMember(NewMember {
            id,
            name: name.into(),
            organisation: org.map(Into::into),
            roles: roles.to_vec(),
            focus: focus.iter().map(|f| (*f).to_owned()).collect(),
            contact: None,
        }));
    }
    // Three volunteers take turns facilitating: the founder, Tom and Amira.
    out.push(Command::UpdateCommunity(CommunityPatch {
        rota: Some(
            [0, 4, 1]
                .iter()
                .filter_map(|i| members.get(*i).cloned())
                .collect(),
        ),
        ..Default::default()
    }));
    if let Some(grace) = members.get(3) {
        out.push(Command::EditMember(
            grace.clone(),
            crate::commands::MemberPatch {
                lived_experience: Some(true),
                ..Default::default()
            },
        ));
    }

    let themes = [
        (
            "Waiting lists",
            "Families wait months for assessments and support.",
        ),
        (
            "Finding the right door",
            "Parents do not know which service to ask, and are passed around.",
        ),
        (
            "Trust and stigma",
            "Fear of judgement keeps families from asking for help early.",
        ),
    ];
    let theme_ids: Vec<ThemeId> = themes.iter().map(|_| ThemeId::generate()).collect();
    for ((name, description), id) in themes.iter().zip(&theme_ids) {
        out.push(Command::AddTheme(NewTheme {
            id: id.clone(),
            name: (*name).into(),
            description: (*description).into(),
        }));
    }

    let at = |days: i64, hour: i64| {
        let midnight = now.millis() - now.millis().rem_euclid(DAY_MS);
        Timestamp::from_millis(midnight + days * DAY_MS + hour * 60 * 60 * 1000)
    };
    let events = [
        (
            "Monthly meeting: front doors",
            EventFormat::Meeting,
            -35,
            "Community House, Room 2",
            "1. Welcome and check-in\n2. What stops families asking for help?\n3. Post-its: one barrier each\n4. Cluster into themes\n5. Actions",
        ),
        (
            "Hot Seat: a parent's journey through early help",
            EventFormat::HotSeat,
            -7,
            "Children's Centre North",
            "1. Welcome\n2. Grace presents her family's journey (10 min)\n3. Questions from the group (20 min)\n4. Advice round\n5. Actions and summary",
        ),
        (
            "Rapid pairing: who knows what",
            EventFormat::RapidPairing,
            14,
            "Online (link in the WhatsApp group)",
            "1. Welcome\n2. Three rounds of 7-minute pairs\n3. What did you learn?\n4. Next steps",
        ),
        (
            "Summer meetup in the park",
            EventFormat::Meetup,
            42,
            "Hanley Park pavilion",
            "Informal: bring food to share, children welcome.",
        ),
    ];
    let event_ids: Vec<EventId> = events.iter().map(|_| EventId::generate()).collect();
    for ((title, format, days, venue, agenda), id) in events.iter().zip(&event_ids) {
        out.push(Command::AddEvent(NewEvent {
            id: id.clone(),
            title: (*title).into(),
            format: format.clone(),
            start: at(*days, 18),
            end: Some(at(*days, 20)),
            venue: Some((*venue).into()),
            call_link: None,
            topic: None,
            agenda: (*agenda).into(),
            facilitator: members
                .get((*days).unsigned_abs() as usize % members.len())
                .cloned(),
            note_taker: members.get(1).cloned(),
        }));
    }
    // Who came to the past meetings, and who is coming to the next ones.
    for (event, attendees) in event_ids
        .iter()
        .take(2)
        .zip([&[0, 1, 2, 3, 4, 6][..], &[0, 1, 3, 4, 5, 7]])
    {
        for &who in attendees {
            if let Some(member) = members.get(who) {
                out.push(Command::Rsvp {
                    event: event.clone(),
                    member: member.clone(),
                    answer: Some(RsvpAnswer::Yes),
                });
                out.push(Command::CheckIn {
                    event: event.clone(),
                    member: member.clone(),
                    present: true,
                });
            }
        }
    }
    if let Some(next) = event_ids.get(2) {
        for (who, answer) in [
            (1, RsvpAnswer::Yes),
            (2, RsvpAnswer::Maybe),
            (4, RsvpAnswer::Yes),
            (5, RsvpAnswer::No),
        ] {
            if let Some(member) = members.get(who) {
                out.push(Command::Rsvp {
                    event: next.clone(),
                    member: member.clone(),
                    answer: Some(answer),
                });
            }
        }
    }

    let notes: [(usize, Option<usize>, &str, bool); 12] = [
        (0, Some(0), "Eight months for a SEND assessment", false),
        (
            0,
            Some(0),
            "Nothing happens while you wait, so things get worse",
            true,
        ),
        (
            0,
            Some(1),
            "I was sent to four services before anyone helped",
            true,
        ),
        (
            0,
            Some(1),
            "Staff don't know what other services offer",
            false,
        ),
        (
            0,
            Some(2),
            "Worried social care will get involved if I ask",
            true,
        ),
        (0, Some(2), "Dads feel the centres are not for them", false),
        (0, None, "Bus fares make drop-ins hard to reach", false),
        (
            1,
            Some(1),
            "One named contact made all the difference",
            false,
        ),
        (1, Some(2), "Being believed the first time", true),
        (
            1,
            Some(0),
            "Peer support while waiting kept us going",
            false,
        ),
        (1, None, "Could the food bank host a drop-in?", false),
        (
            1,
            None,
            "Share the service map in the WhatsApp group",
            false,
        ),
    ];
    for (event, theme, text, anonymous) in notes {
        out.push(Command::AddNote(NewNote {
            id: NoteId::generate(),
            text: text.into(),
            event: event_ids.get(event).cloned(),
            theme: theme.and_then(|t| theme_ids.get(t).cloned()),
            position: None,
            anonymous,
        }));
    }

    let resources = [
        (
            "Family Hub service map",
            Some("https://example.org/family-hub-map"),
            "Who offers what, where and when, across the city.",
            &["directory", "early help"][..],
            Some(1),
        ),
        (
            "Community of Practice Guide",
            None,
            "How to start and run a CoP in the voluntary sector: domain, community, practice.",
            &["guide"][..],
            None,
        ),
        (
            "Talking about money worries with families",
            Some("https://example.org/money-worries"),
            "A short training module from Citizens Advice.",
            &["training", "debt advice"][..],
            Some(2),
        ),
    ];
    for (title, url, description, tags, theme) in resources {
        out.push(Command::AddResource(NewResource {
            id: ResourceId::generate(),
            title: title.into(),
            url: url.map(Into::into),
            description: description.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            themes: theme
                .and_then(|t: usize| theme_ids.get(t).cloned())
                .into_iter()
                .collect(),
        }));
    }

    let day = |days: i64| Day::from_timestamp(at(days, 12));
    let actions = [
        (
            "Ask the Family Hub for an up-to-date service map",
            Some(4),
            Some(7),
            Some(1),
            false,
        ),
        (
            "Draft a one-page 'which door?' guide for parents",
            Some(1),
            Some(21),
            Some(1),
            false,
        ),
        (
            "Invite a dads' group to the next meetup",
            Some(7),
            Some(35),
            Some(2),
            false,
        ),
        (
            "Write up the Hot Seat summary for those who missed it",
            Some(2),
            Some(-2),
            None,
            true,
        ),
    ];
    for (text, owner, due, theme, done) in actions {
        let id = ActionId::generate();
        out.push(Command::AddAction(NewAction {
            id: id.clone(),
            text: text.into(),
            owner: owner.and_then(|o| members.get(o).cloned()),
            due: due.map(day),
            event: event_ids.get(1).cloned(),
            theme: theme.and_then(|t| theme_ids.get(t).cloned()),
        }));
        if done {
            out.push(Command::EditAction(
                id,
                crate::commands::ActionPatch {
                    done: Some(true),
                    ..Default::default()
                },
            ));
        }
    }
    // A training-needs survey (as in the Stoke-on-Trent guide) with a few answers.
    let survey = crate::SurveyId::generate();
    out.push(Command::AddSurvey(crate::commands::NewSurvey {
        id: survey.clone(),
        title: "Training needs".into(),
        description: "What would help you support families better?".into(),
        questions: vec![
            crate::commands::NewQuestion {
                text: "How confident are you referring a family to another service?".into(),
                kind: crate::QuestionKind::Scale,
                options: Vec::new(),
            },
            crate::commands::NewQuestion {
                text: "Which training would you come to?".into(),
                kind: crate::QuestionKind::Multiple,
                options: vec![
                    "Safeguarding refresher".into(),
                    "Money and debt advice".into(),
                    "SEND processes".into(),
                    "Trauma-informed practice".into(),
                ],
            },
            crate::commands::NewQuestion {
                text: "Anything else?".into(),
                kind: crate::QuestionKind::Text,
                options: Vec::new(),
            },
        ],
    }));
    let answer = |scale: i64, choices: &[&str], text: Option<&str>| {
        let mut answers = std::collections::BTreeMap::new();
        answers.insert(
            "001".to_owned(),
            crate::entities::Answer {
                scale: Some(scale),
                ..Default::default()
            },
        );
        answers.insert(
            "002".to_owned(),
            crate::entities::Answer {
                choices: choices.iter().map(|c| (*c).to_owned()).collect(),
                ..Default::default()
            },
        );
        if let Some(text) = text {
            answers.insert(
                "003".to_owned(),
                crate::entities::Answer {
                    text: Some(text.into()),
                    ..Default::default()
                },
            );
        }
        answers
    };
    for (who, scale, choices, text) in [
        (
            1,
            4,
            &["SEND processes", "Trauma-informed practice"][..],
            None,
        ),
        (
            2,
            2,
            &["Money and debt advice"][..],
            Some("Evening sessions please"),
        ),
        (4, 3, &["SEND processes"][..], None),
        (
            5,
            5,
            &["Safeguarding refresher", "SEND processes"][..],
            None,
        ),
    ] {
        if let Some(member) = members.get(who) {
            out.push(Command::AnswerSurvey {
                survey: survey.clone(),
                member: member.clone(),
                answers: answer(scale, choices, text),
            });
        }
    }

    // Value-creation stories.
    for (title, text, cycles, event) in [
        (
            "Met the Family Hub duty worker",
            "At the front-doors meeting I met Tom, and now I know who to call on a Monday morning.",
            &[crate::Cycle::Immediate, crate::Cycle::Potential][..],
            Some(0),
        ),
        (
            "One named contact",
            "After the Hot Seat we gave every family in our drop-in one named contact. Fewer families are passed around.",
            &[crate::Cycle::Applied, crate::Cycle::Realised][..],
            Some(1),
        ),
        (
            "Parents as experts",
            "Hearing Grace's journey changed how our team thinks about 'hard to reach' families: we were the hard-to-reach ones.",
            &[crate::Cycle::Reframing][..],
            Some(1),
        ),
    ] {
        out.push(Command::AddStory(crate::commands::NewStory {
            id: crate::StoryId::generate(),
            title: title.into(),
            text: text.into(),
            cycles: cycles.to_vec(),
            event: event.and_then(|e: usize| event_ids.get(e).cloned()),
            resources: Vec::new(),
        }));
    }
    out
}

/// The sample community's first conversations, started by the founder: a question that
/// members with the right focus areas could answer, a discussion, and an announcement.
pub fn sample_conversations() -> Vec<crate::conversations::Converse> {
    use crate::conversations::{ANNOUNCEMENTS, Converse, GENERAL, NewThread};
    use crate::ids::{ChannelId, MessageId, ThreadId};
    let thread = |channel: &str, title: &str, text: &str, question: bool, tags: &[&str]| {
        Converse::StartThread(NewThread {
            id: ThreadId::generate(),
            first: MessageId::generate(),
            channel: ChannelId::new(channel),
            title: title.to_owned(),
            text: text.to_owned(),
            question,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            mentions: Vec::new(),
            theme: None,
        })
    };
    vec![
        thread(
            ANNOUNCEMENTS,
            "Next meeting: the venue has changed",
            "We meet in the Community Room at the library this month; the entrance is round the back.",
            false,
            &[],
        ),
        thread(
            GENERAL,
            "Ideas for the summer holiday programme",
            "What worked for families last summer? Anything we should not repeat?",
            false,
            &[],
        ),
        thread(
            GENERAL,
            "A family facing eviction: who can help with the housing debt?",
            "A mum I support has rent arrears and a notice to quit. Who knows the quickest route to debt advice and emergency housing help?",
            true,
            &["housing", "debt advice"],
        ),
    ]
}
