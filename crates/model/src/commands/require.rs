//! What a command may refer to: members who have not been removed, entities that exist and
//! are not deleted, and ids not yet taken.

use crate::doc::CommunityDoc;
use crate::entities::Member;
use crate::entity::Entity;
use crate::error::{CommandError, EntityKind};
use crate::ids::MemberId;

impl CommunityDoc {
    /// The member, who must exist and not have been removed.
    pub(crate) fn require_active_member(&self, id: &MemberId) -> Result<Member, CommandError> {
        let member = self
            .get::<Member>(id.as_str())?
            .ok_or_else(|| CommandError::Unknown {
                kind: EntityKind::Member,
                id: id.to_string(),
            })?;
        if self.removal(id)?.is_some() {
            return Err(CommandError::RemovedMember(id.to_string()));
        }
        Ok(member)
    }

    /// [`Self::require_active_member`] when a member is named.
    pub(crate) fn require_optional_member(
        &self,
        id: Option<&MemberId>,
    ) -> Result<(), CommandError> {
        if let Some(id) = id {
            self.require_active_member(id)?;
        }
        Ok(())
    }

    /// The entity, which must exist and not be deleted.
    pub(crate) fn require_live<T: Entity>(&self, id: &str) -> Result<T, CommandError> {
        let entity = self.get::<T>(id)?.ok_or_else(|| CommandError::Unknown {
            kind: T::KIND,
            id: id.to_owned(),
        })?;
        if entity.is_deleted() {
            return Err(CommandError::Deleted {
                kind: T::KIND,
                id: id.to_owned(),
            });
        }
        Ok(entity)
    }

    /// [`Self::require_live`] when an entity is named.
    pub(crate) fn require_optional_live<T: Entity>(
        &self,
        id: Option<&str>,
    ) -> Result<(), CommandError> {
        if let Some(id) = id {
            self.require_live::<T>(id)?;
        }
        Ok(())
    }

    /// A usable id for a new entity of `kind`: not empty, not taken.
    pub(crate) fn require_new(&self, kind: EntityKind, id: &str) -> Result<(), CommandError> {
        if id.trim().is_empty() {
            return Err(CommandError::Invalid {
                field: "id",
                reason: "must not be empty".into(),
            });
        }
        if self.contains(kind, id)? {
            return Err(CommandError::Duplicate {
                kind,
                id: id.to_owned(),
            });
        }
        Ok(())
    }
}
