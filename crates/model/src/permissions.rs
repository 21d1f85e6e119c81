//! Who may do what: the role rules a device checks before it writes a change.
//!
//! These are guard-rails for honest members, not a security boundary: a modified client
//! can write any change an admitted device may send (see `SECURITY.md`). What every node
//! does enforce on what it receives is the gate (removals and unlinked devices).

use crate::commands::Command;
use crate::doc::CommunityDoc;
use crate::entities::{Invite, Member, Note};
use crate::error::{CommandError, EntityKind};
use crate::ids::MemberId;
use crate::labels::Role;

/// Who may manage membership (invites, removals, roles, other members' devices): the
/// stewards of the community.
pub const STEWARD_ROLES: &[Role] = &[Role::Facilitator, Role::CoreGroup];

/// Who may hide other people's notes (and restore whole sections).
pub const MODERATOR_ROLES: &[Role] = &[Role::Facilitator, Role::CoreGroup, Role::Moderator];

/// What a member with these roles may do, for the app to offer only what is allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Abilities {
    /// Invite people, revoke invites, remove members, change roles, unlink others' devices.
    pub manage_membership: bool,
    /// Hide any note and restore a whole section from history.
    pub moderate: bool,
}

impl Abilities {
    /// The abilities that come with a set of roles.
    pub fn of<'a>(roles: impl IntoIterator<Item = &'a Role>) -> Self {
        let roles: Vec<&Role> = roles.into_iter().collect();
        Self {
            manage_membership: roles.iter().any(|r| STEWARD_ROLES.contains(r)),
            moderate: roles.iter().any(|r| MODERATOR_ROLES.contains(r)),
        }
    }
}

/// What `member` may do in the community `view` shows: nothing special if they are
/// unknown or removed; a steward's abilities for everyone once no steward is left (as
/// [`check`] rules).
pub fn abilities(view: &crate::view::CommunityView, member: &MemberId) -> Abilities {
    view.members
        .get(member)
        .filter(|_| !view.is_removed(member))
        .map(|me| role_abilities(view, me))
        .unwrap_or_default()
}

/// What a member's roles allow in the community `view` shows, whether or not they have
/// since been removed (for judging what they did).
pub fn role_abilities(view: &crate::view::CommunityView, member: &Member) -> Abilities {
    // Asked for every row of the history on every frame: a walk over the members without
    // collecting, sorting or allocating.
    let stewards_remain = view
        .members
        .values()
        .any(|m| !view.is_removed(&m.id) && m.roles.iter().any(|r| STEWARD_ROLES.contains(r)));
    if stewards_remain {
        Abilities::of(member.roles.iter())
    } else {
        Abilities {
            manage_membership: true,
            moderate: true,
        }
    }
}

/// Checks that `by` may apply `command` on `doc` as it stands.
///
/// A removed member may write nothing. Founding (the first member adding themself to an
/// empty directory) is allowed.
pub(crate) fn check(
    doc: &CommunityDoc,
    by: Option<&MemberId>,
    command: &Command,
) -> Result<(), CommandError> {
    let Some(by) = by else {
        return Ok(());
    };
    if doc.removal(by)?.is_some() {
        return Err(CommandError::NotAllowed(
            "you were removed from this community, so you can no longer change it",
        ));
    }
    if !doc.contains(EntityKind::Member, by.as_str())? {
        // Only the founder's own first change comes from a member not yet in the directory.
        return if matches!(command, Command::AddMember(new) if &new.id == by) {
            Ok(())
        } else {
            Err(CommandError::NotAllowed(
                "only members of this community can change it",
            ))
        };
    }
    if !restricted(command, by) {
        // Most changes are open to every member: no need to read who they are.
        return Ok(());
    }
    let Some(me) = doc.get::<Member>(by.as_str())? else {
        return Err(CommandError::NotAllowed(
            "only members of this community can change it",
        ));
    };
    let mut can = Abilities::of(me.roles.iter());
    if !can.manage_membership && !stewards_remain(doc)? {
        // Nobody is left to steward (all removed, or mutual removals): every remaining
        // member may act as one, so the community is never locked out.
        can = Abilities {
            manage_membership: true,
            moderate: true,
        };
    }
    let steward = |what: &'static str| {
        if can.manage_membership {
            Ok(())
        } else {
            Err(CommandError::NotAllowed(what))
        }
    };
    match command {
        Command::RemoveMember { .. } => {
            steward("only a facilitator or a core-group member can remove members")
        }
        Command::CreateInvite { for_member, .. } => match for_member {
            Some(member) if member == by => Ok(()),
            Some(_) => steward(
                "only a facilitator or a core-group member can link another member's device",
            ),
            None => steward("only a facilitator or a core-group member can invite people"),
        },
        Command::RevokeInvite(key) => {
            let own = doc
                .get::<Invite>(key)?
                .is_some_and(|invite| invite.created_by.as_ref() == Some(by));
            if own {
                Ok(())
            } else {
                steward(
                    "only a facilitator, a core-group member or its maker can withdraw an invite",
                )
            }
        }
        Command::EditMember(id, patch) if patch.roles.is_some() => {
            let wanted: std::collections::BTreeSet<&Role> = patch.roles.iter().flatten().collect();
            let current = doc.get::<Member>(id.as_str())?;
            let unchanged = current.is_some_and(|m| {
                m.roles.iter().collect::<std::collections::BTreeSet<_>>() == wanted
            });
            if unchanged {
                Ok(())
            } else {
                steward("only a facilitator or a core-group member can change roles")
            }
        }
        Command::LinkDevice { member, .. } | Command::UnlinkDevice { member, .. }
            if member != by =>
        {
            steward("only a facilitator or a core-group member can change another member's devices")
        }
        Command::Delete(EntityKind::Note, id) => {
            let own = doc
                .get::<Note>(id)?
                .is_some_and(|note| note.author.as_ref() == Some(by));
            if own || can.moderate {
                Ok(())
            } else {
                Err(CommandError::NotAllowed(
                    "only the note's author or a moderator can hide a note",
                ))
            }
        }
        Command::RestoreAt {
            target: crate::history::RestoreTarget::Section(_),
            ..
        } if !can.moderate => Err(CommandError::NotAllowed(
            "only a facilitator, a core-group member or a moderator can restore a whole section",
        )),
        _ => Ok(()),
    }
}

/// Whether any member who has not been removed holds a steward role.
fn stewards_remain(doc: &CommunityDoc) -> Result<bool, CommandError> {
    let removals = doc.removals()?;
    let (members, _) = doc.all::<Member>()?;
    Ok(members
        .iter()
        .any(|m| !removals.contains_key(&m.id) && Abilities::of(m.roles.iter()).manage_membership))
}

/// Whether a command needs more than membership: a role, or being the one it concerns.
fn restricted(command: &Command, by: &MemberId) -> bool {
    match command {
        Command::RemoveMember { .. }
        | Command::CreateInvite { .. }
        | Command::RevokeInvite(_)
        | Command::Delete(EntityKind::Note, _) => true,
        Command::EditMember(_, patch) => patch.roles.is_some(),
        Command::LinkDevice { member, .. } | Command::UnlinkDevice { member, .. } => member != by,
        Command::RestoreAt { target, .. } => {
            matches!(target, crate::history::RestoreTarget::Section(_))
        }
        _ => false,
    }
}
