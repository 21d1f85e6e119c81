//! What every stored entity has in common, so commands and views can treat them alike.

use autosurgeon::{Hydrate, Reconcile};

use crate::entities::{Action, Event, Invite, Member, Note, Resource, Story, Survey, Theme};
use crate::error::EntityKind;

/// An entity stored in one of the community's id-keyed collections.
pub trait Entity: Reconcile + Hydrate + Clone {
    /// Which collection it lives in.
    const KIND: EntityKind;
    /// Its id as text (the key in the collection).
    fn entity_id(&self) -> &str;
    /// Whether it carries the tombstone flag.
    fn is_deleted(&self) -> bool;
    /// Sets or clears the tombstone flag.
    fn set_deleted(&mut self, deleted: bool);
}

macro_rules! tombstoned_entity {
    ($ty:ty, $kind:expr) => {
        impl Entity for $ty {
            const KIND: EntityKind = $kind;
            fn entity_id(&self) -> &str {
                self.id.as_str()
            }
            fn is_deleted(&self) -> bool {
                self.deleted
            }
            fn set_deleted(&mut self, deleted: bool) {
                self.deleted = deleted;
            }
        }
    };
}

tombstoned_entity!(Event, EntityKind::Event);
tombstoned_entity!(Note, EntityKind::Note);
tombstoned_entity!(Resource, EntityKind::Resource);
tombstoned_entity!(Theme, EntityKind::Theme);
tombstoned_entity!(Action, EntityKind::Action);
tombstoned_entity!(Survey, EntityKind::Survey);
tombstoned_entity!(Story, EntityKind::Story);

/// Members are never tombstoned: leaving is an explicit removal record instead.
impl Entity for Member {
    const KIND: EntityKind = EntityKind::Member;
    fn entity_id(&self) -> &str {
        self.id.as_str()
    }
    fn is_deleted(&self) -> bool {
        false
    }
    fn set_deleted(&mut self, _deleted: bool) {}
}

/// Invites are never deleted; they are used, revoked or expire.
impl Entity for Invite {
    const KIND: EntityKind = EntityKind::Invite;
    fn entity_id(&self) -> &str {
        &self.id
    }
    fn is_deleted(&self) -> bool {
        false
    }
    fn set_deleted(&mut self, _deleted: bool) {}
}
