//! Rapid pairing (after the IGL format): given who is in the room, propose pairs (and one
//! trio when the number is odd) who share focus areas, avoiding people who already talked
//! in earlier rounds or events. Deterministic: the same people and history give the same
//! proposal on every laptop.
//!
//! The search first looks for a round with no repeated pair at all (a depth-first search
//! over partners, most shared focus areas first, within a step budget); only if none exists
//! (or the budget runs out) does it fall back to the fewest repeats, greedily.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::MemberId;
use crate::view::CommunityView;

/// Steps the no-repeat search may take before falling back (bounds the work on large rooms).
const SEARCH_BUDGET: usize = 200_000;

/// Two members who already talked, in a canonical order.
pub type Met = BTreeSet<(MemberId, MemberId)>;

fn pair_key(a: &MemberId, b: &MemberId) -> (MemberId, MemberId) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// Every pair of members who were in one group in a recorded round of any live event.
pub fn met_pairs(view: &CommunityView) -> Met {
    let mut met = Met::new();
    for event in view.events.values().filter(|e| !e.deleted) {
        for round in event.rounds.values() {
            add_groups(&mut met, &round.groups);
        }
    }
    met
}

/// Adds every pair inside `groups` to `met`.
pub fn add_groups(met: &mut Met, groups: &[Vec<MemberId>]) {
    for group in groups {
        for (i, a) in group.iter().enumerate() {
            for b in &group[i + 1..] {
                met.insert(pair_key(a, b));
            }
        }
    }
}

/// Who is in the room for an event: those checked in, or (before check-in) those who said yes.
pub fn attendees(view: &CommunityView, event: &crate::ids::EventId) -> Vec<MemberId> {
    let Some(event) = view.events.get(event) else {
        return Vec::new();
    };
    let mut people: Vec<MemberId> = if event.attendance.is_empty() {
        event
            .rsvps
            .iter()
            .filter(|(_, a)| **a == crate::RsvpAnswer::Yes)
            .map(|(m, _)| m.clone())
            .collect()
    } else {
        event.attendance.iter().cloned().collect()
    };
    people.retain(|m| view.members.contains_key(m) && !view.is_removed(m));
    people
}

/// The proposal machinery for one room.
struct Room<'a> {
    people: Vec<MemberId>,
    shared: Vec<Vec<usize>>,
    met: &'a Met,
    steps: usize,
}

impl Room<'_> {
    fn met(&self, a: usize, b: usize) -> bool {
        self.met
            .contains(&pair_key(&self.people[a], &self.people[b]))
    }

    /// Partners for `a` among `free`, best first: not met, most shared focus, then order.
    fn candidates(&self, a: usize, free: &[usize], allow_repeats: bool) -> Vec<usize> {
        let mut out: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&b| b != a && (allow_repeats || !self.met(a, b)))
            .collect();
        out.sort_by_key(|&b| (self.met(a, b), std::cmp::Reverse(self.shared[a][b]), b));
        out
    }

    /// Depth-first search for a round without repeats.
    fn search(&mut self, free: &mut Vec<usize>, groups: &mut Vec<Vec<usize>>) -> bool {
        self.steps += 1;
        if self.steps > SEARCH_BUDGET {
            return false;
        }
        match free.len() {
            0 => return true,
            3 => {
                let (a, b, c) = (free[0], free[1], free[2]);
                if self.met(a, b) || self.met(a, c) || self.met(b, c) {
                    return false;
                }
                groups.push(vec![a, b, c]);
                free.clear();
                return true;
            }
            _ => {}
        }
        let a = free[0];
        let candidates = self.candidates(a, free, false);
        for &b in &candidates {
            let saved = free.clone();
            free.retain(|&x| x != a && x != b);
            groups.push(vec![a, b]);
            if self.search(free, groups) {
                return true;
            }
            groups.pop();
            *free = saved;
        }
        // With an odd number left, the trio may have to include `a`.
        if free.len() % 2 == 1 {
            for (i, &b) in candidates.iter().enumerate() {
                for &c in &candidates[i + 1..] {
                    if self.met(b, c) {
                        continue;
                    }
                    let saved = free.clone();
                    free.retain(|&x| x != a && x != b && x != c);
                    groups.push(vec![a, b, c]);
                    if self.search(free, groups) {
                        return true;
                    }
                    groups.pop();
                    *free = saved;
                }
            }
        }
        false
    }

    /// The fewest repeats, greedily (used when no round without repeats exists).
    fn greedy(&self) -> Vec<Vec<usize>> {
        let mut free: Vec<usize> = (0..self.people.len()).collect();
        let mut groups = Vec::new();
        while free.len() > 3 || free.len() == 2 {
            let a = free[0];
            let b = self.candidates(a, &free, true)[0];
            free.retain(|&x| x != a && x != b);
            groups.push(vec![a, b]);
        }
        if free.len() == 3 {
            groups.push(free);
        }
        groups
    }
}

/// Proposes one round for `people` (order and duplicates do not matter): pairs, plus one
/// trio when the number is odd; a single person gets a group of one. `focus` gives each
/// member's focus areas; `met` the pairs who already talked.
pub fn propose_round(
    people: &[MemberId],
    focus: &BTreeMap<MemberId, BTreeSet<String>>,
    met: &Met,
) -> Vec<Vec<MemberId>> {
    let mut people: Vec<MemberId> = people.to_vec();
    people.sort();
    people.dedup();
    if people.len() < 2 {
        return people.into_iter().map(|p| vec![p]).collect();
    }
    let empty = BTreeSet::new();
    let shared: Vec<Vec<usize>> = people
        .iter()
        .map(|a| {
            let fa = focus.get(a).unwrap_or(&empty);
            people
                .iter()
                .map(|b| fa.intersection(focus.get(b).unwrap_or(&empty)).count())
                .collect()
        })
        .collect();
    let mut room = Room {
        people,
        shared,
        met,
        steps: 0,
    };
    let mut free: Vec<usize> = (0..room.people.len()).collect();
    let mut groups = Vec::new();
    let found = room.search(&mut free, &mut groups);
    let groups = if found { groups } else { room.greedy() };
    groups
        .into_iter()
        .map(|g| g.into_iter().map(|i| room.people[i].clone()).collect())
        .collect()
}

/// Proposes `rounds` rounds in a row, each avoiding the pairs of the ones before.
pub fn propose_rounds(
    people: &[MemberId],
    focus: &BTreeMap<MemberId, BTreeSet<String>>,
    met: &Met,
    rounds: usize,
) -> Vec<Vec<Vec<MemberId>>> {
    let mut met = met.clone();
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let round = propose_round(people, focus, &met);
        add_groups(&mut met, &round);
        out.push(round);
    }
    out
}

/// Every member's focus areas, for [`propose_round`].
pub fn focus_of(view: &CommunityView) -> BTreeMap<MemberId, BTreeSet<String>> {
    view.members
        .iter()
        .map(|(id, m)| (id.clone(), m.focus.iter().cloned().collect()))
        .collect()
}

/// Swaps two members between (or within) groups, as a facilitator adjusting a proposal.
pub fn swap(groups: &mut [Vec<MemberId>], a: &MemberId, b: &MemberId) {
    for group in groups.iter_mut() {
        for member in group.iter_mut() {
            if member == a {
                *member = b.clone();
            } else if member == b {
                *member = a.clone();
            }
        }
    }
}

/// Groups in words, by member name: "Ann & Bo; Cy & Di & Ed".
pub fn describe(view: &CommunityView, groups: &[Vec<MemberId>]) -> String {
    groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|m| view.member_name(m))
                .collect::<Vec<_>>()
                .join(" & ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}
