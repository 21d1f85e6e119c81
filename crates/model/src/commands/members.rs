//! The member directory: adding, importing and editing members.
//!
//! Removing a member, devices and invites are in [`super::access`].

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::Member;
use crate::error::{CommandError, EntityKind};
use crate::ids::MemberId;
use crate::labels::Role;
use crate::permissions::Permission;

use super::clean::{MAX_NAME_CHARS, clean_name, clean_optional, clean_tags};
use super::{Ctx, Rule};

/// A member to add.
#[derive(Clone, Debug)]
pub struct NewMember {
    /// The new member's id.
    pub id: MemberId,
    /// Display name.
    pub name: String,
    /// Organisation.
    pub organisation: Option<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Focus areas.
    pub focus: Vec<String>,
    /// Contact details.
    pub contact: Option<String>,
}

/// Changes to a member; for optional fields `Some(None)` clears the value.
#[derive(Clone, Debug, Default)]
pub struct MemberPatch {
    /// New name.
    pub name: Option<String>,
    /// New organisation.
    pub organisation: Option<Option<String>>,
    /// New set of roles.
    pub roles: Option<Vec<Role>>,
    /// New set of focus areas.
    pub focus: Option<Vec<String>>,
    /// New contact details.
    pub contact: Option<Option<String>>,
    /// Share (or stop sharing) a lived-experience flag.
    pub lived_experience: Option<bool>,
}

/// `member.add`: any member may add a member; someone not yet in the directory may add only
/// themself (the founder's first change).
pub(super) fn add_rule(new: &NewMember) -> Rule<'_> {
    Rule::new(
        Subject::Member,
        Verb::Add,
        Permission::MemberOrSelfAdding(&new.id),
    )
}

/// `member.import`: any member may import members.
pub(super) const IMPORT: Rule<'static> =
    Rule::new(Subject::Member, Verb::Import, Permission::AnyMember);

/// `member.edit`: any member may edit a member's details; changing roles takes a steward.
pub(super) fn edit_rule<'a>(id: &'a MemberId, patch: &'a MemberPatch) -> Rule<'a> {
    let permission = match &patch.roles {
        Some(roles) => Permission::SameRolesOrSteward {
            member: id,
            roles,
            refused: "only a facilitator or a core-group member can change roles",
        },
        None => Permission::AnyMember,
    };
    Rule::new(Subject::Member, Verb::Edit, permission)
}

/// A new member record from validated input (not yet stored).
pub(super) fn new_member(
    doc: &CommunityDoc,
    ctx: &Ctx,
    new: NewMember,
) -> Result<Member, CommandError> {
    doc.require_new(EntityKind::Member, new.id.as_str())?;
    Ok(Member {
        name: clean_name("name", &new.name)?,
        organisation: clean_optional("organisation", new.organisation.as_deref(), MAX_NAME_CHARS)?,
        roles: new.roles.into_iter().collect(),
        focus: clean_tags("focus", &new.focus)?,
        lived_experience: false,
        contact: clean_optional("contact", new.contact.as_deref(), MAX_NAME_CHARS)?,
        joined_at: ctx.now,
        devices: Default::default(),
        created_by: ctx.by.clone(),
        id: new.id,
    })
}

/// Adds a member.
pub(super) fn add(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    new: NewMember,
) -> Result<String, CommandError> {
    let member = new_member(doc, ctx, new)?;
    doc.put(&member)?;
    Ok(member.id.to_string())
}

/// Adds several members; the change names none of them.
pub(super) fn import(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    list: Vec<NewMember>,
) -> Result<String, CommandError> {
    // One change for the whole list: all of it lands, or (on any error) none.
    for new in list {
        let member = new_member(doc, ctx, new)?;
        doc.put(&member)?;
    }
    Ok(String::new())
}

/// Edits a member who has not been removed.
pub(super) fn edit(
    doc: &mut CommunityDoc,
    id: MemberId,
    patch: MemberPatch,
) -> Result<String, CommandError> {
    let mut member = doc.require_active_member(&id)?;
    if let Some(name) = patch.name {
        member.name = clean_name("name", &name)?;
    }
    if let Some(org) = patch.organisation {
        member.organisation = clean_optional("organisation", org.as_deref(), MAX_NAME_CHARS)?;
    }
    if let Some(roles) = patch.roles {
        member.roles = roles.into_iter().collect();
    }
    if let Some(focus) = patch.focus {
        member.focus = clean_tags("focus", &focus)?;
    }
    if let Some(contact) = patch.contact {
        member.contact = clean_optional("contact", contact.as_deref(), MAX_NAME_CHARS)?;
    }
    if let Some(lived) = patch.lived_experience {
        member.lived_experience = lived;
    }
    doc.put(&member)?;
    Ok(id.to_string())
}
