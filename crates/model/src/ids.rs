//! Stable identifiers for communities and the entities inside them.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::Serialize;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an existing identifier string.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// A fresh, globally unique, time-ordered identifier (a ULID).
            pub fn generate() -> Self {
                Self(ulid::Ulid::new().to_string())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(&self.0)
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
                Ok(Self(s.to_owned()))
            }
        }
    };
}

id_type!(
    /// Identifies one community (and its document) across every device.
    CommunityId
);
id_type!(
    /// Identifies a member of a community.
    MemberId
);
id_type!(
    /// Identifies an event.
    EventId
);
id_type!(
    /// Identifies a post-it note.
    NoteId
);
id_type!(
    /// Identifies a resource in the library.
    ResourceId
);
id_type!(
    /// Identifies a theme (a cluster of notes that persists across meetings).
    ThemeId
);
id_type!(
    /// Identifies an action point.
    ActionId
);
id_type!(
    /// Identifies a survey.
    SurveyId
);
id_type!(
    /// Identifies a value-creation story.
    StoryId
);
