//! History: who changed what and when, read from the document's own change history, and
//! the earlier states that entities and whole sections can be restored from.
//!
//! Architecture invariant: history is never rewritten. Restoring writes a new change that
//! makes the present look like the past (see [`crate::Command::RestoreAt`]).

use automerge::{Change, ChangeHash, ReadDoc};
use serde::Serialize;

use crate::change_label::{ChangeLabel, Op, Subject, Verb};
use crate::doc::CommunityDoc;
use crate::error::{DocumentError, EntityKind};
use crate::ids::MemberId;
use crate::time::Timestamp;

/// What a restore brings back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreTarget {
    /// One entity, by kind and id.
    Entity(EntityKind, String),
    /// Every entity of a kind that existed at that point (entities added since are kept).
    Section(EntityKind),
}

/// One change in the activity feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// The change's hash (hex): names the point just before or after it.
    pub change: String,
    /// When the writing device says it was made (`None` for anonymous notes).
    pub at: Option<Timestamp>,
    /// Who the writing device says made it (`None` for anonymous notes and the founding).
    pub by: Option<MemberId>,
    /// What was done, such as `note.add` (`None` if the change carries no label).
    pub op: Option<String>,
    /// The collection touched, such as `notes`, when the label says.
    pub collection: Option<String>,
    /// The entity touched, when the change names one.
    pub id: Option<String>,
    /// The point just before this change (the heads it was written on): what a restore
    /// "to before this" goes back to.
    #[serde(skip)]
    pub before: Vec<ChangeHash>,
}

impl Activity {
    fn of(change: &Change) -> Self {
        let label = ChangeLabel::of(change);
        let (by, op, id) = match label {
            Some(label) => (label.by, Some(label.op), label.id),
            None => (None, None, None),
        };
        Self {
            change: change.hash().to_string(),
            at: (change.timestamp() != 0).then(|| Timestamp::from_millis(change.timestamp())),
            by,
            collection: op.as_ref().and_then(Op::collection).map(str::to_owned),
            op: op.map(|op| op.to_string()),
            id,
            before: change.deps().to_vec(),
        }
    }

    /// What was done, read as an operation (`None` if the change carries no label).
    pub fn operation(&self) -> Option<Op> {
        self.op.as_deref().map(Op::parse)
    }

    /// Whether the change created what it names (so there is no earlier state of it).
    pub fn creates(&self) -> bool {
        self.operation().is_some_and(|op| op.creates())
    }
}

/// Every change of a document as [`Activity`], kept up to date by reading only the changes
/// that arrived since the last look (the first look reads the whole history once).
#[derive(Clone, Debug, Default)]
pub struct ActivityLog {
    heads: Vec<ChangeHash>,
    /// Oldest first, in the order the changes reached this device.
    entries: Vec<Activity>,
}

impl ActivityLog {
    /// Reads the changes `doc` gained since the last call.
    pub fn catch_up(&mut self, doc: &mut CommunityDoc) {
        let mut heads = doc.heads();
        heads.sort();
        if heads == self.heads {
            return;
        }
        let new = doc.automerge_mut().get_changes(&self.heads);
        self.entries.extend(new.iter().map(Activity::of));
        self.heads = heads;
    }

    /// The newest `limit` entries that pass `filter`, newest first.
    pub fn query(&self, filter: &ActivityFilter, limit: usize) -> Vec<Activity> {
        self.entries
            .iter()
            .rev()
            .filter(|entry| filter.admits(entry))
            .take(limit)
            .cloned()
            .collect()
    }

    /// The change whose hash (hex) starts with `prefix` (at least 6 hex digits), and the
    /// point just before it (what a restore "to before this" goes back to).
    pub fn find(&self, prefix: &str) -> Result<(ChangeHash, Vec<ChangeHash>), DocumentError> {
        let prefix = prefix.trim().to_ascii_lowercase();
        if prefix.len() < 6 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(DocumentError::History(format!(
                "'{prefix}' is not a change id (give at least 6 hex digits)"
            )));
        }
        let mut found = self
            .entries
            .iter()
            .filter(|e| e.change.starts_with(&prefix));
        match (found.next(), found.next()) {
            (Some(entry), None) => {
                let hash = entry.change.parse().map_err(|_| {
                    DocumentError::History(format!("{} is not a change hash", entry.change))
                })?;
                Ok((hash, entry.before.clone()))
            }
            (None, _) => Err(DocumentError::History(format!(
                "no change starts with {prefix}"
            ))),
            (Some(_), Some(_)) => Err(DocumentError::History(format!(
                "several changes start with {prefix}; give more digits"
            ))),
        }
    }

    /// How many changes the log holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log holds no change.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Which changes [`CommunityDoc::activity`] lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Only changes to this collection (`notes`), if set.
    pub collection: Option<String>,
    /// Only changes naming this entity id (or naming none, like an import), if set.
    pub id: Option<String>,
    /// Only changes by this member, if set.
    pub by: Option<MemberId>,
}

impl ActivityFilter {
    /// The history of one entity.
    pub fn entity(kind: EntityKind, id: &str) -> Self {
        Self {
            collection: Some(kind.collection().to_owned()),
            id: Some(id.to_owned()),
            by: None,
        }
    }

    fn admits(&self, entry: &Activity) -> bool {
        let collection_ok = self
            .collection
            .as_ref()
            .is_none_or(|c| entry.collection.as_ref() == Some(c));
        let id_ok = self
            .id
            .as_ref()
            .is_none_or(|id| entry.id.is_none() || entry.id.as_ref() == Some(id));
        let by_ok = self
            .by
            .as_ref()
            .is_none_or(|by| entry.by.as_ref() == Some(by));
        collection_ok && id_ok && by_ok
    }
}

impl CommunityDoc {
    /// The newest `limit` changes that pass `filter`, newest first (in causal order: a
    /// change is listed before the changes it builds on). Reads the whole history; a
    /// long-running process keeps an [`ActivityLog`] instead.
    ///
    /// Who and when are as the writing device recorded them; see `SECURITY.md`.
    pub fn activity(&mut self, filter: &ActivityFilter, limit: usize) -> Vec<Activity> {
        let mut log = ActivityLog::default();
        log.catch_up(self);
        log.query(filter, limit)
    }

    /// The change whose hash (hex) starts with `prefix` (at least 6 characters).
    pub fn find_change(&mut self, prefix: &str) -> Result<ChangeHash, DocumentError> {
        let mut log = ActivityLog::default();
        log.catch_up(self);
        log.find(prefix).map(|(hash, _)| hash)
    }

    /// The point just before a change: the heads it was written on.
    pub fn before(&mut self, change: &ChangeHash) -> Result<Vec<ChangeHash>, DocumentError> {
        self.automerge()
            .get_change_by_hash(change)
            .map(|c| c.deps().to_vec())
            .ok_or_else(|| DocumentError::History(format!("no change {change} in this document")))
    }

    /// The document as it was at `heads` (a read-only copy; the present is untouched).
    ///
    /// Automerge's historical reads have had bugs on documents with interleaved text edits
    /// and merges; a panic inside them becomes an error here instead of ending the process.
    pub fn at(&mut self, heads: &[ChangeHash]) -> Result<CommunityDoc, DocumentError> {
        for head in heads {
            if self.automerge().get_change_by_hash(head).is_none() {
                return Err(DocumentError::History(format!(
                    "no change {head} in this document"
                )));
            }
        }
        let doc = self.automerge_mut();
        let forked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.fork_at(heads)))
            .map_err(|_| {
                DocumentError::History(
                    "the document's history could not be read at that point".into(),
                )
            })??;
        Ok(CommunityDoc::from_automerge_unchecked(forked))
    }

    /// Drops every change made after `heads`, keeping this device's actor: for a local
    /// change that could not be saved, so it is neither shown nor sent, and its sequence
    /// number is free again. Only for changes no one else has seen.
    pub fn rewind(&mut self, heads: &[ChangeHash]) -> Result<(), DocumentError> {
        let actor = self.automerge().get_actor().clone();
        let mut earlier = self.at(heads)?;
        earlier.automerge_mut().set_actor(actor);
        *self = earlier;
        Ok(())
    }

    /// The ids in a collection (deleted entities included).
    pub fn ids(&self, kind: EntityKind) -> Result<Vec<String>, DocumentError> {
        let obj = self.collection_obj(kind.collection())?;
        Ok(self.automerge().keys(&obj).collect())
    }
}

/// A plain sentence for an activity entry, such as "Sam deleted the note “Bring snacks”".
pub fn describe(view: &crate::view::CommunityView, entry: &Activity) -> String {
    let anonymous_note = entry
        .operation()
        .is_some_and(|op| op.subject() == Some(Subject::Note));
    let who = match &entry.by {
        Some(by) => view.member_name(by).to_owned(),
        None if entry.op.is_none() || anonymous_note => "Someone".to_owned(),
        None => "Commonroom".to_owned(),
    };
    let Some(op) = entry.operation() else {
        return format!("{who} made a change without a label (another program, or an older one)");
    };
    if entry.by.is_none() && op == Op::Known(Subject::Note, Verb::Add) {
        let title = entry
            .id
            .as_deref()
            .map(|id| entity_title(view, "note", id))
            .unwrap_or_default();
        return format!("Someone added the anonymous note {title}");
    }
    let (subject, action) = (op.subject_name(), op.verb_name());
    // A verb from a newer version is shown as written.
    let verb: &str = match op.verb() {
        Some(verb) => verb.phrase(),
        None => action,
    };
    let what = match (op.subject(), entry.id.as_deref()) {
        (Some(Subject::Community), _) if op.verb() == Some(Verb::Create) => {
            return format!("{who} started the community");
        }
        (Some(Subject::Community), _) => "the community's details".to_owned(),
        (Some(Subject::Invite), _) => "an invite".to_owned(),
        (Some(Subject::Member | Subject::Device), Some(id)) => {
            view.member_name(&MemberId::new(id)).to_owned()
        }
        (_, Some(id)) => format!("the {subject} {}", entity_title(view, subject, id)),
        (Some(Subject::Member), None) => "members".to_owned(),
        (_, None) => format!("{subject}s"),
    };
    format!("{who} {verb} {what}")
}

/// A short, quoted title for an entity, or its id if it is not in the view.
fn entity_title(view: &crate::view::CommunityView, subject: &str, id: &str) -> String {
    let title = match subject {
        "event" => view.events.get(&id.into()).map(|e| e.title.clone()),
        "note" => view.notes.get(&id.into()).map(|n| n.text.clone()),
        "resource" => view.resources.get(&id.into()).map(|r| r.title.clone()),
        "theme" => view.themes.get(&id.into()).map(|t| t.name.clone()),
        "action" => view.actions.get(&id.into()).map(|a| a.text.clone()),
        "survey" => view.surveys.get(&id.into()).map(|s| s.title.clone()),
        "story" => view.stories.get(&id.into()).map(|s| s.title.clone()),
        _ => None,
    };
    match title {
        Some(title) => {
            let short: String = title.chars().take(60).collect();
            let ellipsis = if title.chars().count() > 60 {
                "..."
            } else {
                ""
            };
            format!("\"{short}{ellipsis}\"")
        }
        None => id.to_owned(),
    }
}

/// Whether a change breaks the role rules, judged by what it says it did and who it says
/// did it, against the roles members hold now: `Some(why)` for a change an honest
/// Commonroom would have refused (a modified client, or roles that changed since).
///
/// Nodes cannot refuse such a change (every replica must converge), so they show it.
pub fn breaks_rules(view: &crate::view::CommunityView, entry: &Activity) -> Option<&'static str> {
    let (Some(by), Some(op)) = (&entry.by, entry.operation()) else {
        return None;
    };
    let Some(member) = view.members.get(by) else {
        return Some("written in the name of someone who is not a member");
    };
    let id = entry.id.as_deref();
    // The label says what was done, not the whole command, so only the rules it is enough
    // to judge are checked (the command-side rules are in `Command::rule`).
    let rule = match op {
        Op::Known(Subject::Member, Verb::Remove) => LabelRule::Steward,
        Op::Known(Subject::Invite, Verb::Create | Verb::Revoke) => LabelRule::InviteMakerOrSteward,
        Op::Known(Subject::Note, Verb::Delete) => LabelRule::NoteAuthorOrModerator,
        _ if op.verb() == Some(Verb::Restore) && id.is_none() => LabelRule::Moderator,
        // Most changes are open to everyone: the roles are only looked at for the few that
        // are not.
        _ => return None,
    };
    let can = crate::permissions::role_abilities(view, member);
    match rule {
        LabelRule::Steward if !can.manage_membership => {
            Some("only facilitators and core group may remove members")
        }
        LabelRule::InviteMakerOrSteward if !can.manage_membership => {
            let own_device_link = id
                .and_then(|id| view.invites.get(id))
                .is_some_and(|invite| {
                    invite.for_member.as_ref() == Some(by) || invite.created_by.as_ref() == Some(by)
                });
            (!own_device_link).then_some("only facilitators and core group may manage invites")
        }
        LabelRule::NoteAuthorOrModerator if !can.moderate => {
            let own = id
                .and_then(|id| view.notes.get(&id.into()))
                .is_some_and(|note| note.author.as_ref() == Some(by));
            (!own).then_some("only a note's author or a moderator may hide it")
        }
        LabelRule::Moderator if !can.moderate => {
            Some("only facilitators, core group and moderators may restore a whole section")
        }
        LabelRule::Steward
        | LabelRule::InviteMakerOrSteward
        | LabelRule::NoteAuthorOrModerator
        | LabelRule::Moderator => None,
    }
}

/// The role rules a change label alone is enough to judge.
enum LabelRule {
    /// Removing a member: a steward.
    Steward,
    /// Making or withdrawing an invite: a steward, or the one it is for or made by.
    InviteMakerOrSteward,
    /// Hiding a note: its author or a moderator.
    NoteAuthorOrModerator,
    /// Restoring a whole section: a moderator.
    Moderator,
}
