//! Helpers shared by the model's tests.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
#![allow(dead_code, missing_docs)]

use commonroom_model::commands::{NewEvent, NewMember, NewTheme};
use commonroom_model::{
    Command, CommunityDoc, CommunityId, Ctx, EventFormat, EventId, MemberId, Role, ThemeId,
    Timestamp,
};

pub const T0: i64 = 1_790_000_000_000;

pub fn ctx(by: &MemberId, minutes: i64) -> Ctx {
    Ctx {
        by: Some(by.clone()),
        now: Timestamp::from_millis(T0 + minutes * 60_000),
    }
}

/// A community with a founder, one more member, one event and one theme.
pub struct Fixture {
    pub doc: CommunityDoc,
    pub founder: MemberId,
    pub member: MemberId,
    pub event: EventId,
    pub theme: ThemeId,
}

pub fn fixture() -> Fixture {
    let founder = MemberId::new("founder");
    let mut doc = commonroom_model::start_community(
        CommunityId::new("community"),
        "Family Support CoP",
        "Alex",
        founder.clone(),
        None,
        Timestamp::from_millis(T0),
    )
    .unwrap();
    let member = MemberId::new("member-sam");
    doc.apply(
        &ctx(&founder, 1),
        Command::AddMember(NewMember {
            id: member.clone(),
            name: "Sam".into(),
            organisation: Some("Council".into()),
            roles: vec![Role::Member],
            focus: vec!["housing".into(), "early years".into()],
            contact: None,
        }),
    )
    .unwrap();
    let event = EventId::new("event-1");
    doc.apply(
        &ctx(&founder, 2),
        Command::AddEvent(NewEvent {
            id: event.clone(),
            title: "Monthly meeting".into(),
            format: EventFormat::HotSeat,
            start: Timestamp::from_millis(T0 + 10 * 86_400_000),
            end: Some(Timestamp::from_millis(T0 + 10 * 86_400_000 + 7_200_000)),
            venue: Some("Hall".into()),
            call_link: None,
            topic: None,
            agenda: "1. Welcome\n2. Hot Seat".into(),
            facilitator: Some(founder.clone()),
            note_taker: None,
        }),
    )
    .unwrap();
    let theme = ThemeId::new("theme-1");
    doc.apply(
        &ctx(&founder, 3),
        Command::AddTheme(NewTheme {
            id: theme.clone(),
            name: "Housing".into(),
            description: String::new(),
        }),
    )
    .unwrap();
    Fixture {
        doc,
        founder,
        member,
        event,
        theme,
    }
}

/// An independent copy of a document with its own actor.
pub fn replica(doc: &mut CommunityDoc, actor: u8) -> CommunityDoc {
    let bytes = doc.save();
    let mut copy = CommunityDoc::load(&bytes).unwrap();
    copy.automerge_mut()
        .set_actor(commonroom_model::automerge::ActorId::from(vec![actor; 16]));
    copy
}

/// Every order in which three replicas' changes can be delivered.
pub const ORDERS: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];
