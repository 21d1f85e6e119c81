//! A deterministic synthetic community for benchmarks and tests.
//!
//! The default is "five years of a 200-member CoP": 200 members, 120 events, 10,000 notes,
//! 1,000 resources and 2,000 actions (plus 40 themes), each entity committed as its own
//! change by one of the members' devices, as real use would.

use automerge::ActorId;

use crate::commands::{NewAction, NewEvent, NewMember, NewNote, NewResource, NewTheme};
use crate::entities::Position;
use crate::{
    ActionId, Command, CommunityDoc, CommunityId, Ctx, Day, EventFormat, EventId, MemberId, NoteId,
    ResourceId, Role, ThemeId, Timestamp,
};

/// How big a community to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Members (the first is the founder).
    pub members: usize,
    /// Events, spread evenly over the years.
    pub events: usize,
    /// Notes, spread over the events.
    pub notes: usize,
    /// Resources.
    pub resources: usize,
    /// Themes.
    pub themes: usize,
    /// Action points.
    pub actions: usize,
    /// Seed for every random choice.
    pub seed: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            members: 200,
            events: 120,
            notes: 10_000,
            resources: 1_000,
            themes: 40,
            actions: 2_000,
            seed: 42,
        }
    }
}

impl Spec {
    /// A small community for tests: 12 members, 6 events, 60 notes.
    pub fn small() -> Self {
        Self {
            members: 12,
            events: 6,
            notes: 60,
            resources: 10,
            themes: 5,
            actions: 12,
            seed: 7,
        }
    }

    /// Total number of commands (changes) the generator makes.
    pub fn changes(&self) -> usize {
        1 + self.members + self.events + self.notes + self.resources + self.themes + self.actions
    }
}

/// A small deterministic pseudo-random generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An id like the app's for something created at `time`, with random low bits.
    pub fn ulid(&mut self, time: Timestamp) -> String {
        let random = (u128::from(self.next_u64()) << 16) ^ u128::from(self.next_u64() & 0xFFFF);
        crate::ids::newest_first_id(time.millis().max(0) as u64, random)
    }
}

const FIRST: &[&str] = &[
    "Alex", "Sam", "Priya", "Jo", "Mohammed", "Aisha", "Chris", "Dee", "Ellis", "Fatima", "Gareth",
    "Hana", "Imran", "Jess", "Kwame", "Lou", "Maya", "Nia", "Owen", "Pat", "Rhys", "Sian", "Tariq",
    "Una",
];
const LAST: &[&str] = &[
    "Ahmed", "Baker", "Clarke", "Davies", "Evans", "Farah", "Green", "Hughes", "Iqbal", "Jones",
    "Khan", "Lewis", "Morgan", "Nowak", "Owens", "Patel", "Roberts", "Shah", "Taylor", "Walker",
];
const ORGS: &[&str] = &[
    "Stoke-on-Trent City Council",
    "Family Hub North",
    "Keele University",
    "Lancaster University",
    "Citizens Advice",
    "Home-Start",
    "NHS Midlands",
    "Parents' Forum",
    "Barnardo's",
    "Independent",
];
const FOCUS: &[&str] = &[
    "early years",
    "housing",
    "mental health",
    "SEND",
    "youth work",
    "domestic abuse",
    "debt advice",
    "school readiness",
    "fathers",
    "kinship care",
    "neurodiversity",
    "digital inclusion",
    "evaluation",
    "co-production",
    "food poverty",
    "transitions",
];
const WORDS: &[&str] = &[
    "families",
    "waiting",
    "lists",
    "trust",
    "referrals",
    "outreach",
    "language",
    "peer",
    "support",
    "funding",
    "volunteers",
    "schools",
    "drop-in",
    "evening",
    "childcare",
    "transport",
    "barriers",
    "listening",
    "stigma",
    "partnership",
    "evidence",
    "practice",
    "young",
    "parents",
    "health",
    "visitors",
    "housing",
    "benefits",
    "confidence",
    "follow-up",
    "training",
    "community",
    "safe",
    "space",
    "local",
];
const THEMES: &[&str] = &[
    "Access to services",
    "Trust and relationships",
    "Funding and sustainability",
    "Workforce wellbeing",
    "Housing pressures",
    "Digital inclusion",
    "Co-production with families",
    "Evidence and evaluation",
];

fn sentence(rng: &mut Rng, min: usize, max: usize) -> String {
    let n = min + rng.below(max - min + 1);
    let words: Vec<&str> = (0..n).map(|_| *rng.pick(WORDS)).collect();
    let mut text = words.join(" ");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text
}

const DAY_MS: i64 = 86_400_000;
/// 2021-11-01T00:00:00Z: the generated community's first day.
const START_MS: i64 = 1_635_724_800_000;

/// Generates a community. Deterministic for a given spec.
pub fn generate(spec: &Spec) -> CommunityDoc {
    try_generate(spec).unwrap_or_else(|e| panic!("the generator made an invalid command: {e}"))
}

fn try_generate(spec: &Spec) -> Result<CommunityDoc, crate::CommandError> {
    let mut rng = Rng::new(spec.seed);
    let span_ms = 5 * 365 * DAY_MS;
    let mut clock = Timestamp::from_millis(START_MS);
    let founder = MemberId::new(rng.ulid(clock));
    let community_id = CommunityId::new(rng.ulid(clock));
    let mut doc = crate::start_community(
        community_id,
        "Family Support CoP",
        "Alex Morgan",
        founder.clone(),
        None,
        clock,
    )?;
    let actor_of = |member: usize, seed: u64| {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..].copy_from_slice(&(member as u64).to_le_bytes());
        ActorId::from(bytes.to_vec())
    };
    let total = spec.changes() as i64;
    let step = (span_ms / total.max(1)).max(1);
    let mut members = vec![founder];
    let mut events: Vec<(EventId, Timestamp)> = Vec::new();
    let mut themes: Vec<ThemeId> = Vec::new();

    // Interleave entity kinds over five years the way a community grows.
    let mut plan: Vec<u8> = Vec::with_capacity(spec.changes());
    plan.extend(std::iter::repeat_n(0u8, spec.members.saturating_sub(1)));
    plan.extend(std::iter::repeat_n(1u8, spec.events));
    plan.extend(std::iter::repeat_n(2u8, spec.notes));
    plan.extend(std::iter::repeat_n(3u8, spec.resources));
    plan.extend(std::iter::repeat_n(4u8, spec.themes));
    plan.extend(std::iter::repeat_n(5u8, spec.actions));
    for i in (1..plan.len()).rev() {
        let j = rng.below(i + 1);
        plan.swap(i, j);
    }
    // References to events and themes are left out until some exist.
    for kind in plan {
        clock = Timestamp::from_millis(clock.millis() + step);
        let author_index = rng.below(members.len());
        let author = members[author_index].clone();
        doc.automerge_mut()
            .set_actor(actor_of(author_index, spec.seed));
        let ctx = Ctx {
            by: Some(author.clone()),
            now: clock,
        };
        let command = match kind {
            0 => {
                let id = MemberId::new(rng.ulid(clock));
                let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
                let mut roles = vec![Role::Member];
                match rng.below(10) {
                    0 => roles.push(Role::CoreGroup),
                    1 => roles.push(Role::NoteTaker),
                    2 => roles.push(Role::Facilitator),
                    _ => {}
                }
                let focus = (0..1 + rng.below(3))
                    .map(|_| rng.pick(FOCUS).to_string())
                    .collect();
                members.push(id.clone());
                Command::AddMember(NewMember {
                    id,
                    name,
                    organisation: Some(rng.pick(ORGS).to_string()),
                    roles,
                    focus,
                    contact: None,
                })
            }
            1 => {
                let id = EventId::new(rng.ulid(clock));
                let start =
                    Timestamp::from_millis(clock.millis() + (7 + rng.below(21) as i64) * DAY_MS);
                events.push((id.clone(), start));
                Command::AddEvent(NewEvent {
                    id,
                    title: format!(
                        "{} — {}",
                        rng.pick(EventFormat::ALL).title(),
                        sentence(&mut rng, 2, 4)
                    ),
                    format: rng.pick(EventFormat::ALL).clone(),
                    start,
                    end: Some(Timestamp::from_millis(start.millis() + 2 * 3_600_000)),
                    venue: Some("Community Hall, Hanley".into()),
                    call_link: None,
                    topic: None,
                    agenda: format!("1. Welcome\n2. {}\n3. Actions", sentence(&mut rng, 3, 8)),
                    facilitator: Some(author.clone()),
                    note_taker: None,
                })
            }
            2 => Command::AddNote(NewNote {
                id: NoteId::new(rng.ulid(clock)),
                text: sentence(&mut rng, 4, 16),
                event: (!events.is_empty()).then(|| rng.pick(&events).0.clone()),
                theme: (!themes.is_empty() && rng.below(2) == 0).then(|| rng.pick(&themes).clone()),
                position: Some(Position {
                    x: rng.below(1200) as f64,
                    y: rng.below(800) as f64,
                }),
                anonymous: false,
            }),
            3 => Command::AddResource(NewResource {
                id: ResourceId::new(rng.ulid(clock)),
                title: sentence(&mut rng, 2, 6),
                url: Some(format!(
                    "https://example.org/resources/{}",
                    rng.below(100_000)
                )),
                description: sentence(&mut rng, 6, 20),
                tags: (0..rng.below(3))
                    .map(|_| rng.pick(FOCUS).to_string())
                    .collect(),
                themes: Vec::new(),
            }),
            4 => {
                let id = ThemeId::new(rng.ulid(clock));
                themes.push(id.clone());
                let base = rng.pick(THEMES);
                Command::AddTheme(NewTheme {
                    id,
                    name: format!("{base} {}", themes.len()),
                    description: sentence(&mut rng, 6, 14),
                })
            }
            _ => Command::AddAction(NewAction {
                id: ActionId::new(rng.ulid(clock)),
                text: sentence(&mut rng, 4, 10),
                owner: Some(rng.pick(&members).clone()),
                due: Day::parse(
                    &(clock.to_utc() + chrono::Duration::days(14))
                        .format("%Y-%m-%d")
                        .to_string(),
                )
                .ok(),
                event: (!events.is_empty()).then(|| rng.pick(&events).0.clone()),
                theme: None,
            }),
        };
        doc.apply(&ctx, command)?;
    }
    Ok(doc)
}
