//! The community record: its name, domain statement, Terms of Reference and rota.

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::error::CommandError;
use crate::ids::MemberId;
use crate::permissions::Permission;

use super::Rule;
use super::clean::{clean_long, clean_name};

/// Changes to the community record; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CommunityPatch {
    /// New name.
    pub name: Option<String>,
    /// New domain statement.
    pub domain: Option<String>,
    /// New Terms of Reference.
    pub terms: Option<String>,
    /// New facilitator rota.
    pub rota: Option<Vec<MemberId>>,
}

/// `community.edit`: any member may edit the community record.
pub(super) const EDIT: Rule<'static> =
    Rule::new(Subject::Community, Verb::Edit, Permission::AnyMember);

/// Edits the community record.
pub(super) fn edit(doc: &mut CommunityDoc, patch: CommunityPatch) -> Result<String, CommandError> {
    let mut community = doc.community()?;
    if let Some(name) = patch.name {
        community.name = clean_name("name", &name)?;
    }
    if let Some(domain) = patch.domain {
        community.domain.update(clean_long("domain", &domain)?);
    }
    if let Some(terms) = patch.terms {
        community.terms.update(clean_long("terms", &terms)?);
    }
    if let Some(rota) = patch.rota {
        for member in &rota {
            doc.require_active_member(member)?;
        }
        community.rota = rota;
    }
    autosurgeon::reconcile_prop(&mut doc.doc, automerge::ROOT, "community", &community)
        .map_err(crate::error::DocumentError::from)?;
    Ok(community.id.to_string())
}
