//! Who may do what: the role rules a device checks before it writes a change.
//!
//! These are guard-rails for honest members, not a security boundary: a modified client
//! can write any change an admitted device may send (see `SECURITY.md`). What every node
//! does enforce on what it receives is the gate (removals and unlinked devices).

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

/// Who may make a command: the rule [`crate::Command::permission`] gives for every command,
/// from a match with no catch-all, so a new command cannot compile until it has one.
///
/// Every rule also requires being a member who has not been removed (checked when a
/// command is applied, see [`crate::CommunityDoc::apply`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission<'a> {
    /// Any member.
    AnyMember,
    /// Any member; and someone not yet in the directory may add this member if it is
    /// themself (the founder's own first change).
    MemberOrSelfAdding(&'a MemberId),
    /// Only a steward (see [`STEWARD_ROLES`]); refused with this message.
    Steward(&'static str),
    /// The member it concerns, or a steward.
    SelfOrSteward {
        /// The member it concerns.
        member: &'a MemberId,
        /// Why anyone else is refused.
        refused: &'static str,
    },
    /// The invite's maker, or a steward.
    InviteMakerOrSteward {
        /// The invite's key.
        invite: &'a str,
        /// Why anyone else is refused.
        refused: &'static str,
    },
    /// Setting a member's roles: anyone if they stay as they are, otherwise a steward.
    SameRolesOrSteward {
        /// The member whose roles are set.
        member: &'a MemberId,
        /// The roles asked for.
        roles: &'a [Role],
        /// Why a change of roles is refused.
        refused: &'static str,
    },
    /// The note's author, or a moderator (see [`MODERATOR_ROLES`]).
    NoteAuthorOrModerator {
        /// The note's id.
        note: &'a str,
        /// Why anyone else is refused.
        refused: &'static str,
    },
    /// Only a moderator; refused with this message.
    Moderator(&'static str),
}

impl Permission<'_> {
    /// Whether the rule needs more than membership: a role, or being the one it concerns.
    fn restricted(&self, by: &MemberId) -> bool {
        match self {
            Self::AnyMember | Self::MemberOrSelfAdding(_) => false,
            Self::SelfOrSteward { member, .. } => *member != by,
            Self::Steward(_)
            | Self::InviteMakerOrSteward { .. }
            | Self::SameRolesOrSteward { .. }
            | Self::NoteAuthorOrModerator { .. }
            | Self::Moderator(_) => true,
        }
    }
}

/// Checks that `by` may make a change `permission` rules on `doc` as it stands.
///
/// A removed member may write nothing. Founding (the first member adding themself to an
/// empty directory) is allowed.
pub(crate) fn check(
    doc: &CommunityDoc,
    by: Option<&MemberId>,
    permission: Permission<'_>,
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
        return if matches!(permission, Permission::MemberOrSelfAdding(added) if added == by) {
            Ok(())
        } else {
            Err(CommandError::NotAllowed(
                "only members of this community can change it",
            ))
        };
    }
    if !permission.restricted(by) {
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
    let moderator = |what: &'static str| {
        if can.moderate {
            Ok(())
        } else {
            Err(CommandError::NotAllowed(what))
        }
    };
    match permission {
        Permission::AnyMember | Permission::MemberOrSelfAdding(_) => Ok(()),
        Permission::Steward(refused) => steward(refused),
        Permission::SelfOrSteward { member, refused } => {
            if member == by {
                Ok(())
            } else {
                steward(refused)
            }
        }
        Permission::InviteMakerOrSteward { invite, refused } => {
            let own = doc
                .get::<Invite>(invite)?
                .is_some_and(|invite| invite.created_by.as_ref() == Some(by));
            if own { Ok(()) } else { steward(refused) }
        }
        Permission::SameRolesOrSteward {
            member,
            roles,
            refused,
        } => {
            let wanted: std::collections::BTreeSet<&Role> = roles.iter().collect();
            let current = doc.get::<Member>(member.as_str())?;
            let unchanged = current.is_some_and(|m| {
                m.roles.iter().collect::<std::collections::BTreeSet<_>>() == wanted
            });
            if unchanged { Ok(()) } else { steward(refused) }
        }
        Permission::NoteAuthorOrModerator { note, refused } => {
            let own = doc
                .get::<Note>(note)?
                .is_some_and(|note| note.author.as_ref() == Some(by));
            if own { Ok(()) } else { moderator(refused) }
        }
        Permission::Moderator(refused) => moderator(refused),
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
