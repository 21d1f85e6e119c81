//! Access to the community: invites, joining with one, devices, and removing members.
//!
//! These are the rules that need a steward (see [`crate::permissions::STEWARD_ROLES`]):
//! inviting people, withdrawing someone else's invite, removing a member, and changing
//! another member's devices.

use std::collections::BTreeMap;

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Device, Invite, Removal};
use crate::error::{CommandError, EntityKind};
use crate::ids::MemberId;
use crate::permissions::Permission;
use crate::time::Timestamp;

use super::clean::{MAX_TEXT_CHARS, check_device_id, clean_name, clean_optional};
use super::members::{self, NewMember};
use super::{Ctx, Rule};

/// `member.remove`: only a steward may remove a member.
pub(super) const REMOVE: Rule<'static> = Rule::new(
    Subject::Member,
    Verb::Remove,
    Permission::Steward("only a facilitator or a core-group member can remove members"),
);

/// `invite.create`: a steward may invite people; a member may make a ticket to link a
/// device of their own, and only a steward one for another member's device.
pub(super) fn create_invite_rule(for_member: Option<&MemberId>) -> Rule<'_> {
    let permission = match for_member {
        Some(member) => Permission::SelfOrSteward {
            member,
            refused: "only a facilitator or a core-group member can link another member's device",
        },
        None => Permission::Steward("only a facilitator or a core-group member can invite people"),
    };
    Rule::new(Subject::Invite, Verb::Create, permission)
}

/// `invite.revoke`: the invite's maker or a steward may withdraw it.
pub(super) fn revoke_invite_rule(invite: &str) -> Rule<'_> {
    Rule::new(
        Subject::Invite,
        Verb::Revoke,
        Permission::InviteMakerOrSteward {
            invite,
            refused: "only a facilitator, a core-group member or its maker can withdraw an invite",
        },
    )
}

/// `member.join`: any member's device may admit a joiner who proved an invite (the invite
/// was a steward's decision).
pub(super) const JOIN: Rule<'static> =
    Rule::new(Subject::Member, Verb::Join, Permission::AnyMember);

/// The refusal for changing someone else's devices.
const OTHERS_DEVICES: &str =
    "only a facilitator or a core-group member can change another member's devices";

/// `device.link`: a member may link their own devices; a steward anyone's.
pub(super) fn link_device_rule(member: &MemberId) -> Rule<'_> {
    Rule::new(
        Subject::Device,
        Verb::Link,
        Permission::SelfOrSteward {
            member,
            refused: OTHERS_DEVICES,
        },
    )
}

/// `device.unlink`: a member may unlink their own devices; a steward anyone's.
pub(super) fn unlink_device_rule(member: &MemberId) -> Rule<'_> {
    Rule::new(
        Subject::Device,
        Verb::Unlink,
        Permission::SelfOrSteward {
            member,
            refused: OTHERS_DEVICES,
        },
    )
}

/// Records a member's removal (explicit and permanent).
pub(super) fn remove(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    id: MemberId,
    reason: Option<String>,
) -> Result<String, CommandError> {
    doc.require_active_member(&id)?;
    let removal = Removal {
        by: ctx.by.clone(),
        at: ctx.now,
        reason: clean_optional("reason", reason.as_deref(), MAX_TEXT_CHARS)?,
    };
    doc.put_removal(&id, &removal)?;
    Ok(id.to_string())
}

/// Most people one invite can let in (a group invite for a training cohort, say).
pub const MAX_INVITE_USES: u32 = 100;

/// Records a new invite (its public key) with an expiry in the future.
pub(super) fn create_invite(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    public_key: String,
    expires_at: Timestamp,
    for_member: Option<MemberId>,
    uses: u32,
) -> Result<String, CommandError> {
    if let Some(member) = &for_member {
        doc.require_active_member(member)?;
        if uses != 1 {
            return Err(CommandError::Invalid {
                field: "uses",
                reason: "a ticket to link a device links one device".into(),
            });
        }
    }
    if !(1..=MAX_INVITE_USES).contains(&uses) {
        return Err(CommandError::Invalid {
            field: "uses",
            reason: format!("must be between 1 and {MAX_INVITE_USES} people"),
        });
    }
    let key = check_device_id("invite", &public_key)?;
    doc.require_new(EntityKind::Invite, &key)?;
    if expires_at <= ctx.now {
        return Err(CommandError::Invalid {
            field: "expiry",
            reason: "is in the past".into(),
        });
    }
    let invite = Invite {
        id: key,
        created_by: ctx.by.clone(),
        created_at: ctx.now,
        expires_at,
        used_by: None,
        used_at: None,
        uses,
        joined: BTreeMap::new(),
        revoked: false,
        for_member,
    };
    doc.put(&invite)?;
    Ok(invite.id)
}

/// Withdraws an invite that could still be used.
pub(super) fn revoke_invite(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    key: String,
) -> Result<String, CommandError> {
    let mut invite = usable_invite(doc, &key, ctx.now)?;
    invite.revoked = true;
    doc.put(&invite)?;
    Ok(key)
}

/// Admits a joiner: adds the member (or, for a device-link ticket, finds the member it is
/// for), links their device and marks the invite used, in one change.
pub(super) fn join(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    invite: String,
    member: NewMember,
    device: String,
    device_label: String,
) -> Result<String, CommandError> {
    let mut stored = usable_invite(doc, &invite, ctx.now)?;
    let device = check_device_id("device", &device)?;
    let member_id = match stored.for_member.clone() {
        // A device-link ticket: the device joins an existing member.
        Some(existing) => existing,
        None => {
            let id = member.id.clone();
            members::add(doc, ctx, member)?;
            id
        }
    };
    let mut added = doc.require_active_member(&member_id)?;
    if stored.for_member.is_none() {
        // Recorded as admitted by whoever writes this change, never by the name an invite
        // carries: any member's device can write an invite entity naming someone else as
        // its creator.
        added.created_by = ctx.by.clone();
    }
    added.devices.insert(
        device,
        Device {
            label: clean_name("device label", &device_label)?,
            added_at: ctx.now,
            unlinked_at: None,
        },
    );
    doc.put(&added)?;
    if stored.used_by.is_none() {
        stored.used_by = Some(member_id.clone());
        stored.used_at = Some(ctx.now);
    }
    stored.joined.insert(member_id.to_string(), ctx.now);
    doc.put(&stored)?;
    Ok(member_id.to_string())
}

/// Links a device to a member who has not been removed.
pub(super) fn link_device(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    member: MemberId,
    device: String,
    label: String,
) -> Result<String, CommandError> {
    let mut stored = doc.require_active_member(&member)?;
    let device = check_device_id("device", &device)?;
    stored.devices.insert(
        device,
        Device {
            label: clean_name("device label", &label)?,
            added_at: ctx.now,
            unlinked_at: None,
        },
    );
    doc.put(&stored)?;
    Ok(member.to_string())
}

/// Marks one of a member's devices unlinked (it no longer passes the gate).
pub(super) fn unlink_device(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    member: MemberId,
    device: String,
) -> Result<String, CommandError> {
    let mut stored = doc.require_active_member(&member)?;
    let entry = stored
        .devices
        .get_mut(&device)
        .ok_or_else(|| CommandError::Invalid {
            field: "device",
            reason: format!("{device} is not one of this member's devices"),
        })?;
    entry.unlinked_at = Some(ctx.now);
    doc.put(&stored)?;
    Ok(member.to_string())
}

/// The invite, if it exists and is neither withdrawn, used nor expired.
fn usable_invite(doc: &CommunityDoc, key: &str, now: Timestamp) -> Result<Invite, CommandError> {
    let invite = doc
        .get::<Invite>(key)?
        .ok_or_else(|| CommandError::Unknown {
            kind: EntityKind::Invite,
            id: key.to_owned(),
        })?;
    if invite.revoked {
        return Err(CommandError::InviteUnusable("was withdrawn"));
    }
    if invite.uses_left() == 0 {
        return Err(CommandError::InviteUnusable(if invite.uses <= 1 {
            "has already been used"
        } else {
            "has been used by as many people as it was for"
        }));
    }
    if invite.expires_at <= now {
        return Err(CommandError::InviteUnusable("has expired"));
    }
    Ok(invite)
}
