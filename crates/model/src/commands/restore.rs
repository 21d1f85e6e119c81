//! Deleting (tombstoning) entities, bringing them back, and restoring an entity or a whole
//! section as it was at an earlier point of the history (as a new change: history is never
//! rewritten).

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Action, Event, Member, Note, Resource, Story, Survey, Theme};
use crate::entity::Entity;
use crate::error::{CommandError, EntityKind};
use crate::history::RestoreTarget;
use crate::permissions::Permission;

use super::{Rule, notes};

/// `KIND.delete`: any member may delete an entity, except that hiding a note takes its
/// author or a moderator. (Members and invites are refused when written: they are removed
/// or revoked instead.)
pub(super) fn delete_rule(kind: EntityKind, id: &str) -> Rule<'_> {
    let permission = match kind {
        EntityKind::Note => notes::hide_permission(id),
        EntityKind::Member
        | EntityKind::Invite
        | EntityKind::Event
        | EntityKind::Resource
        | EntityKind::Theme
        | EntityKind::Action
        | EntityKind::Survey
        | EntityKind::Story => Permission::AnyMember,
    };
    Rule::new(Subject::from(kind), Verb::Delete, permission)
}

/// `KIND.restore` (from a tombstone): any member may bring back a deleted entity.
pub(super) fn undelete_rule(kind: EntityKind) -> Rule<'static> {
    let permission = match kind {
        EntityKind::Member
        | EntityKind::Invite
        | EntityKind::Event
        | EntityKind::Note
        | EntityKind::Resource
        | EntityKind::Theme
        | EntityKind::Action
        | EntityKind::Survey
        | EntityKind::Story => Permission::AnyMember,
    };
    Rule::new(Subject::from(kind), Verb::Restore, permission)
}

/// `KIND.restore` (from history): any member may restore one entity; a whole section takes
/// a moderator.
pub(super) fn restore_at_rule(target: &RestoreTarget) -> Rule<'static> {
    match target {
        RestoreTarget::Entity(kind, _) => {
            Rule::new(Subject::from(*kind), Verb::Restore, Permission::AnyMember)
        }
        RestoreTarget::Section(kind) => Rule::new(
            Subject::from(*kind),
            Verb::Restore,
            Permission::Moderator(
                "only a facilitator, a core-group member or a moderator can restore a whole section",
            ),
        ),
    }
}

/// Restores an entity, or every entity of a section, as it was at `heads`; returns the id
/// restored (empty for a section).
pub(super) fn restore_at(
    doc: &mut CommunityDoc,
    heads: &[automerge::ChangeHash],
    target: RestoreTarget,
) -> Result<String, CommandError> {
    fn bring_back<T: Entity>(
        present: &mut CommunityDoc,
        past: &CommunityDoc,
        id: &str,
    ) -> Result<(), CommandError> {
        let then = past.get::<T>(id)?.ok_or_else(|| CommandError::Invalid {
            field: "restore",
            reason: format!("{} {id} did not exist at that point", T::KIND),
        })?;
        let now = present.get::<T>(id)?;
        present.put(&T::restored(then, now))?;
        Ok(())
    }
    fn bring_back_kind(
        present: &mut CommunityDoc,
        past: &CommunityDoc,
        kind: EntityKind,
        id: &str,
    ) -> Result<(), CommandError> {
        match kind {
            EntityKind::Invite => Err(CommandError::Invalid {
                field: "kind",
                reason: "invites are not restored; make a new one".into(),
            }),
            EntityKind::Member => bring_back::<Member>(present, past, id),
            EntityKind::Event => bring_back::<Event>(present, past, id),
            EntityKind::Note => bring_back::<Note>(present, past, id),
            EntityKind::Resource => bring_back::<Resource>(present, past, id),
            EntityKind::Theme => bring_back::<Theme>(present, past, id),
            EntityKind::Action => bring_back::<Action>(present, past, id),
            EntityKind::Survey => bring_back::<Survey>(present, past, id),
            EntityKind::Story => bring_back::<Story>(present, past, id),
        }
    }
    let past = doc.at(heads)?;
    match target {
        RestoreTarget::Entity(kind, id) => {
            bring_back_kind(doc, &past, kind, &id)?;
            Ok(id)
        }
        RestoreTarget::Section(kind) => {
            for id in past.ids(kind)? {
                bring_back_kind(doc, &past, kind, &id)?;
            }
            Ok(String::new())
        }
    }
}

/// Deletes (`deleted`) or brings back an entity other than a member or an invite.
pub(super) fn set_tombstone(
    doc: &mut CommunityDoc,
    kind: EntityKind,
    id: &str,
    deleted: bool,
) -> Result<String, CommandError> {
    fn flip<T: Entity>(
        doc: &mut CommunityDoc,
        id: &str,
        deleted: bool,
    ) -> Result<(), CommandError> {
        let mut entity = doc.get::<T>(id)?.ok_or_else(|| CommandError::Unknown {
            kind: T::KIND,
            id: id.to_owned(),
        })?;
        if deleted && entity.is_deleted() {
            return Err(CommandError::Deleted {
                kind: T::KIND,
                id: id.to_owned(),
            });
        }
        entity.set_deleted(deleted);
        doc.put(&entity)?;
        Ok(())
    }
    match kind {
        EntityKind::Member | EntityKind::Invite => {
            return Err(CommandError::Invalid {
                field: "kind",
                reason: format!("{kind}s are removed or revoked, not deleted"),
            });
        }
        EntityKind::Event => flip::<Event>(doc, id, deleted)?,
        EntityKind::Note => flip::<Note>(doc, id, deleted)?,
        EntityKind::Resource => flip::<Resource>(doc, id, deleted)?,
        EntityKind::Theme => flip::<Theme>(doc, id, deleted)?,
        EntityKind::Action => flip::<Action>(doc, id, deleted)?,
        EntityKind::Survey => flip::<Survey>(doc, id, deleted)?,
        EntityKind::Story => flip::<Story>(doc, id, deleted)?,
    }
    Ok(id.to_owned())
}
