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
    /// The entity to write so that the present (`current`, if it still exists) looks like
    /// `past` again. Most entities are simply the past; see the overrides for exceptions.
    fn restored(past: Self, current: Option<Self>) -> Self {
        let _ = current;
        past
    }
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

impl Entity for Event {
    const KIND: EntityKind = EntityKind::Event;
    fn entity_id(&self) -> &str {
        self.id.as_str()
    }
    fn is_deleted(&self) -> bool {
        self.deleted
    }
    fn set_deleted(&mut self, deleted: bool) {
        self.deleted = deleted;
    }
    /// Long texts are edited in place (a diff against the present), so that concurrent
    /// edits to them merge instead of one whole text replacing another.
    fn restored(mut past: Self, current: Option<Self>) -> Self {
        if let Some(mut current) = current {
            current.agenda.update(past.agenda.as_str());
            current.summary.update(past.summary.as_str());
            past.agenda = current.agenda;
            past.summary = current.summary;
        }
        past
    }
}
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
    /// Roles and devices stay as they are now: restoring a profile must not re-link an
    /// unlinked device or hand back a role (those are membership decisions).
    fn restored(mut past: Self, current: Option<Self>) -> Self {
        if let Some(current) = current {
            past.roles = current.roles;
            past.devices = current.devices;
        }
        past
    }
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
