//! Small closed vocabularies (roles, event formats, RSVP answers) stored as text.
//!
//! A value written by a newer Commonroom that this build does not know hydrates as
//! `Other(text)` instead of failing, so old and new versions can share a community.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Serialize, Serializer};

macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $label:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know (written by a newer version).
            Other(String),
        }

        impl $name {
            /// Every known value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable text form used in the document, JSON and on the command line.
            pub fn label(&self) -> &str {
                match self {
                    $($name::$variant => $label,)+
                    $name::Other(s) => s,
                }
            }

            /// Parses the stable text form, keeping unknown values as `Other`.
            pub fn from_label(text: &str) -> Self {
                match text {
                    $($label => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            /// Parses user input: only known values are accepted.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let normalised = text.trim().to_lowercase().replace([' ', '_'], "-");
                match $name::from_label(&normalised) {
                    $name::Other(_) => Err(format!(
                        "{text:?} is not one of: {}",
                        [$($label,)+].join(", ")
                    )),
                    known => Ok(known),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.label()
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name::from_label(&text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.label())
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.label())
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
                Ok($name::from_label(s))
            }
        }
    };
}

labelled_enum!(
    /// What a member does in the community.
    Role {
        /// Runs meetings and looks after the community.
        Facilitator => "facilitator",
        /// Part of the core group that steers the community.
        CoreGroup => "core-group",
        /// Looks after the tone of discussions; can hide notes.
        Moderator => "moderator",
        /// Records notes during meetings.
        NoteTaker => "note-taker",
        /// A member.
        Member => "member",
    }
);

labelled_enum!(
    /// The format of an event (from the seed communities' practice).
    EventFormat {
        /// A regular meeting.
        Meeting => "meeting",
        /// Members share practice with each other.
        PeerSharing => "peer-sharing",
        /// A partner presents a challenge and the others question and advise.
        HotSeat => "hot-seat",
        /// Short timed conversations in pairs matched by shared focus.
        RapidPairing => "rapid-pairing",
        /// An informal in-person meetup.
        Meetup => "meetup",
        /// An online call.
        OnlineCall => "online-call",
    }
);

labelled_enum!(
    /// A member's answer to an event invitation.
    RsvpAnswer {
        /// Will come.
        Yes => "yes",
        /// Might come.
        Maybe => "maybe",
        /// Will not come.
        No => "no",
    }
);

impl Default for EventFormat {
    fn default() -> Self {
        Self::Meeting
    }
}

impl EventFormat {
    /// A human name for the format, e.g. "Hot Seat".
    pub fn title(&self) -> &str {
        match self {
            Self::Meeting => "Meeting",
            Self::PeerSharing => "Peer sharing",
            Self::HotSeat => "Hot Seat",
            Self::RapidPairing => "Rapid pairing",
            Self::Meetup => "Meetup",
            Self::OnlineCall => "Online call",
            Self::Other(s) => s,
        }
    }
}
