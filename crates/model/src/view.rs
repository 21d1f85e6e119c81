//! [`CommunityView`]: a read-only snapshot of a whole community, and the queries screens need.

use std::collections::BTreeMap;

use automerge::ChangeHash;

use crate::doc::{CommunityDoc, Touched};
use crate::entities::{
    Action, Community, Event, Invite, Member, Note, Removal, Resource, Story, Survey, Theme,
};
use crate::entity::Entity;
use crate::error::DocumentError;
use crate::ids::{ActionId, EventId, MemberId, NoteId, ResourceId, StoryId, SurveyId, ThemeId};
use crate::time::Timestamp;

/// A hydrated snapshot of one community (live and deleted entities, keyed by id).
#[derive(Clone, Debug)]
pub struct CommunityView {
    /// The community record.
    pub community: Community,
    /// Members by id (including removed members; see `removals`).
    pub members: BTreeMap<MemberId, Member>,
    /// Removal records by member id.
    pub removals: BTreeMap<MemberId, Removal>,
    /// Events by id.
    pub events: BTreeMap<EventId, Event>,
    /// Notes by id.
    pub notes: BTreeMap<NoteId, Note>,
    /// Resources by id.
    pub resources: BTreeMap<ResourceId, Resource>,
    /// Themes by id.
    pub themes: BTreeMap<ThemeId, Theme>,
    /// Action points by id.
    pub actions: BTreeMap<ActionId, Action>,
    /// Surveys by id.
    pub surveys: BTreeMap<SurveyId, Survey>,
    /// Value-creation stories by id.
    pub stories: BTreeMap<StoryId, Story>,
    /// Invites and device-link tickets by public key (used, revoked and expired included).
    pub invites: BTreeMap<String, Invite>,
    /// The document heads this snapshot was taken at, sorted.
    pub heads: Vec<ChangeHash>,
    /// Entities that could not be read (written in a shape this build does not understand).
    pub unreadable: usize,
}

fn collect<T: Entity, K: Ord + From<String>>(
    doc: &CommunityDoc,
    unreadable: &mut usize,
) -> Result<BTreeMap<K, T>, DocumentError> {
    let (items, skipped) = doc.all::<T>()?;
    *unreadable += skipped;
    Ok(items
        .into_iter()
        .map(|item| (K::from(item.entity_id().to_owned()), item))
        .collect())
}

/// Re-reads one entity by key: updated if it exists, dropped if it does not.
fn refresh_one<T: Entity, K: Ord + From<String>>(
    map: &mut BTreeMap<K, T>,
    doc: &CommunityDoc,
    id: &str,
) -> Result<(), DocumentError> {
    match doc.get::<T>(id) {
        Ok(Some(entity)) => {
            map.insert(K::from(id.to_owned()), entity);
        }
        Ok(None) => {
            map.remove(&K::from(id.to_owned()));
        }
        // An entity a peer wrote in a shape this build cannot read is left out, as in `hydrate`.
        Err(DocumentError::Hydrate(_)) => {
            map.remove(&K::from(id.to_owned()));
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

impl CommunityView {
    /// Reads the whole community. This hydrates everything: use it for exports and cold
    /// command-line reads, not once per change in a running app.
    pub fn hydrate(doc: &mut CommunityDoc) -> Result<Self, DocumentError> {
        let mut heads = doc.heads();
        heads.sort();
        let mut unreadable = 0;
        Ok(Self {
            community: doc.community()?,
            members: collect(doc, &mut unreadable)?,
            removals: doc.removals()?,
            events: collect(doc, &mut unreadable)?,
            notes: collect(doc, &mut unreadable)?,
            resources: collect(doc, &mut unreadable)?,
            themes: collect(doc, &mut unreadable)?,
            actions: collect(doc, &mut unreadable)?,
            surveys: collect(doc, &mut unreadable)?,
            stories: collect(doc, &mut unreadable)?,
            invites: collect(doc, &mut unreadable)?,
            heads,
            unreadable,
        })
    }

    /// Brings the snapshot up to date after changes, re-reading only what they touched
    /// (see [`CommunityDoc::touched_since`]); anything unknown re-reads everything.
    pub fn refresh(
        &mut self,
        doc: &mut CommunityDoc,
        touched: &Touched,
    ) -> Result<(), DocumentError> {
        if touched.unknown {
            *self = Self::hydrate(doc)?;
            return Ok(());
        }
        let with_ids: std::collections::BTreeSet<&str> = touched
            .entities
            .iter()
            .map(|(collection, _)| collection.as_str())
            .collect();
        for collection in &touched.collections {
            match collection.as_str() {
                "community" => self.community = doc.community()?,
                "removals" => self.removals = doc.removals()?,
                // A collection touched without naming its entities is re-read whole.
                other if !with_ids.contains(other) => self.reread(doc, other)?,
                _ => {}
            }
        }
        for (collection, id) in &touched.entities {
            match collection.as_str() {
                "members" => refresh_one(&mut self.members, doc, id)?,
                "events" => refresh_one(&mut self.events, doc, id)?,
                "notes" => refresh_one(&mut self.notes, doc, id)?,
                "resources" => refresh_one(&mut self.resources, doc, id)?,
                "themes" => refresh_one(&mut self.themes, doc, id)?,
                "actions" => refresh_one(&mut self.actions, doc, id)?,
                "surveys" => refresh_one(&mut self.surveys, doc, id)?,
                "stories" => refresh_one(&mut self.stories, doc, id)?,
                "invites" => refresh_one(&mut self.invites, doc, id)?,
                _ => {}
            }
        }
        let mut heads = doc.heads();
        heads.sort();
        self.heads = heads;
        Ok(())
    }

    fn reread(&mut self, doc: &mut CommunityDoc, collection: &str) -> Result<(), DocumentError> {
        let mut unreadable = 0;
        match collection {
            "members" => self.members = collect(doc, &mut unreadable)?,
            "events" => self.events = collect(doc, &mut unreadable)?,
            "notes" => self.notes = collect(doc, &mut unreadable)?,
            "resources" => self.resources = collect(doc, &mut unreadable)?,
            "themes" => self.themes = collect(doc, &mut unreadable)?,
            "actions" => self.actions = collect(doc, &mut unreadable)?,
            "surveys" => self.surveys = collect(doc, &mut unreadable)?,
            "stories" => self.stories = collect(doc, &mut unreadable)?,
            "invites" => self.invites = collect(doc, &mut unreadable)?,
            _ => {}
        }
        Ok(())
    }

    /// Invites that can still be used at `now` (not used, revoked or expired), newest first.
    pub fn open_invites(&self, now: Timestamp) -> Vec<&Invite> {
        let mut open: Vec<&Invite> = self.invites.values().filter(|i| i.is_open(now)).collect();
        open.sort_by_key(|i| std::cmp::Reverse(i.created_at));
        open
    }

    /// Whether the member has been removed from the community.
    pub fn is_removed(&self, id: &MemberId) -> bool {
        self.removals.contains_key(id)
    }

    /// Members who have not been removed, sorted by name.
    pub fn active_members(&self) -> Vec<&Member> {
        let mut members: Vec<&Member> = self
            .members
            .values()
            .filter(|m| !self.is_removed(&m.id))
            .collect();
        members.sort_by_key(|m| (m.name.to_lowercase(), m.id.clone()));
        members
    }

    /// A member's display name, or a placeholder for an unknown id.
    pub fn member_name(&self, id: &MemberId) -> &str {
        self.members
            .get(id)
            .map_or("(unknown member)", |m| m.name.as_str())
    }

    /// Active members with a focus area (case-insensitive), sorted by name.
    pub fn members_by_focus(&self, focus: &str) -> Vec<&Member> {
        let wanted = focus.trim().to_lowercase();
        self.active_members()
            .into_iter()
            .filter(|m| m.focus.iter().any(|f| f.to_lowercase() == wanted))
            .collect()
    }

    /// Every focus area in use by active members, with how many members share it.
    pub fn focus_areas(&self) -> BTreeMap<String, usize> {
        let mut areas = BTreeMap::new();
        for member in self.active_members() {
            for focus in member.focus.iter() {
                *areas.entry(focus.clone()).or_insert(0) += 1;
            }
        }
        areas
    }

    /// Live events, ordered by start time.
    pub fn events_by_start(&self) -> Vec<&Event> {
        let mut events: Vec<&Event> = self.events.values().filter(|e| !e.deleted).collect();
        events.sort_by_key(|e| (e.start, e.id.clone()));
        events
    }

    /// Who should facilitate next: the rota volunteer (still an active member) who
    /// facilitated least recently before `now`; someone who never did comes first, in rota
    /// order. `None` without a rota.
    pub fn next_facilitator(&self, now: Timestamp) -> Option<&MemberId> {
        let mut last: BTreeMap<&MemberId, Timestamp> = BTreeMap::new();
        for event in self
            .events
            .values()
            .filter(|e| !e.deleted && e.start <= now)
        {
            if let Some(f) = &event.facilitator {
                let entry = last.entry(f).or_insert(event.start);
                *entry = (*entry).max(event.start);
            }
        }
        self.community
            .rota
            .iter()
            .enumerate()
            .filter(|(_, m)| self.members.contains_key(*m) && !self.is_removed(m))
            .min_by_key(|(position, m)| (last.get(m).copied(), *position))
            .map(|(_, m)| m)
    }

    /// The events a member was checked in at, most recent first.
    pub fn attended_by(&self, member: &MemberId) -> Vec<&Event> {
        let mut events: Vec<&Event> = self
            .events
            .values()
            .filter(|e| !e.deleted && e.attendance.contains(member))
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.start));
        events
    }

    /// Live events that have not yet ended at `now`, soonest first.
    pub fn upcoming_events(&self, now: Timestamp) -> Vec<&Event> {
        self.events_by_start()
            .into_iter()
            .filter(|e| e.end.unwrap_or(e.start) >= now)
            .collect()
    }

    /// Live events that ended before `now`, most recent first.
    pub fn past_events(&self, now: Timestamp) -> Vec<&Event> {
        let mut events: Vec<&Event> = self
            .events_by_start()
            .into_iter()
            .filter(|e| e.end.unwrap_or(e.start) < now)
            .collect();
        events.reverse();
        events
    }

    /// Live notes written at an event, oldest first.
    pub fn notes_by_event(&self, event: &EventId) -> Vec<&Note> {
        self.sorted_notes(|n| n.event.as_ref() == Some(event))
    }

    /// Live notes clustered into a theme, oldest first.
    pub fn notes_by_theme(&self, theme: &ThemeId) -> Vec<&Note> {
        self.sorted_notes(|n| n.theme.as_ref() == Some(theme))
    }

    fn sorted_notes(&self, keep: impl Fn(&Note) -> bool) -> Vec<&Note> {
        let mut notes: Vec<&Note> = self
            .notes
            .values()
            .filter(|n| !n.deleted && keep(n))
            .collect();
        notes.sort_by_key(|n| (n.created_at, n.id.clone()));
        notes
    }

    /// Live themes sorted by name.
    pub fn live_themes(&self) -> Vec<&Theme> {
        let mut themes: Vec<&Theme> = self.themes.values().filter(|t| !t.deleted).collect();
        themes.sort_by_key(|t| (t.name.to_lowercase(), t.id.clone()));
        themes
    }

    /// Live resources sorted by title.
    pub fn live_resources(&self) -> Vec<&Resource> {
        let mut resources: Vec<&Resource> =
            self.resources.values().filter(|r| !r.deleted).collect();
        resources.sort_by_key(|r| (r.title.to_lowercase(), r.id.clone()));
        resources
    }

    /// Open (live, not done) actions, by due date (undated last).
    pub fn open_actions(&self) -> Vec<&Action> {
        let mut actions: Vec<&Action> = self
            .actions
            .values()
            .filter(|a| !a.deleted && !a.done)
            .collect();
        actions.sort_by_key(|a| (a.due.is_none(), a.due, a.created_at, a.id.clone()));
        actions
    }

    /// Open actions grouped by owner (`None` for unowned ones).
    pub fn open_actions_by_owner(&self) -> BTreeMap<Option<MemberId>, Vec<&Action>> {
        let mut grouped: BTreeMap<Option<MemberId>, Vec<&Action>> = BTreeMap::new();
        for action in self.open_actions() {
            grouped
                .entry(action.owner.clone())
                .or_default()
                .push(action);
        }
        grouped
    }
}
