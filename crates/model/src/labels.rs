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

labelled_enum!(
    /// The kind of a survey question.
    QuestionKind {
        /// A number on a scale (1 to 5).
        Scale => "scale",
        /// One of the options.
        Single => "single",
        /// Any of the options.
        Multiple => "multiple",
        /// Free text.
        Text => "text",
    }
);

labelled_enum!(
    /// The cycles of value creation a story reaches (Wenger, Trayner and de Laat).
    Cycle {
        /// Immediate value: the activity itself was useful or enjoyable.
        Immediate => "immediate",
        /// Potential value: knowledge, skills, contacts gained for later.
        Potential => "potential",
        /// Applied value: something was done differently in practice.
        Applied => "applied",
        /// Realised value: the change made a difference to results.
        Realised => "realised",
        /// Reframing value: how success is seen, or what matters, changed.
        Reframing => "reframing",
    }
);

impl Role {
    /// A human name, e.g. "Core group" (the stored label is "core-group").
    pub fn title(&self) -> &str {
        match self {
            Self::Facilitator => "Facilitator",
            Self::CoreGroup => "Core group",
            Self::Moderator => "Moderator",
            Self::NoteTaker => "Note-taker",
            Self::Member => "Member",
            Self::Other(s) => s,
        }
    }
}

impl Cycle {
    /// A human name, e.g. "Applied value".
    pub fn title(&self) -> &str {
        match self {
            Self::Immediate => "Immediate value",
            Self::Potential => "Potential value",
            Self::Applied => "Applied value",
            Self::Realised => "Realised value",
            Self::Reframing => "Reframing value",
            Self::Other(s) => s,
        }
    }
}

#[allow(
    clippy::derivable_impls,
    reason = "the enum is generated by a macro that cannot mark a default variant"
)]
impl Default for EventFormat {
    fn default() -> Self {
        Self::Meeting
    }
}

impl EventFormat {
    /// A starting agenda for an event of this format (from the seed communities' practice),
    /// for the facilitator to adapt.
    pub fn agenda_template(&self) -> &'static str {
        match self {
            Self::Meeting | Self::Other(_) => {
                "1. Welcome and check-in round (10 min)\n\
                 2. Actions from last time (10 min)\n\
                 3. Main discussion (40 min)\n\
                 4. Post-it notes: one idea per note, then cluster them into themes (15 min)\n\
                 5. Actions: who does what by when (10 min)\n\
                 6. Next meeting and who facilitates (5 min)"
            }
            Self::PeerSharing => {
                "1. Welcome (5 min)\n\
                 2. Two or three members share a piece of practice (10 min each)\n\
                 3. Questions and what others do differently (20 min)\n\
                 4. What will you try? (10 min)\n\
                 5. Actions and next time (5 min)"
            }
            Self::HotSeat => {
                "1. Welcome and ground rules: what is said here stays here (5 min)\n\
                 2. The partner in the Hot Seat presents their challenge (10 min)\n\
                 3. Clarifying questions only (10 min)\n\
                 4. The group discusses while the presenter listens (15 min)\n\
                 5. The presenter responds: what was useful (10 min)\n\
                 6. Actions and summary for those who could not come (10 min)"
            }
            Self::RapidPairing => {
                "1. Welcome and how it works (5 min)\n\
                 2. Round 1: pairs by shared focus, 7 minutes each (10 min)\n\
                 3. Round 2: new partners (10 min)\n\
                 4. Round 3: new partners (10 min)\n\
                 5. Whole group: who should talk more? (15 min)\n\
                 6. Actions (10 min)"
            }
            Self::Meetup => {
                "Informal: arrive, food and introductions; a short round of news; \
                 time to talk in small groups."
            }
            Self::OnlineCall => {
                "1. Check the call works for everyone; cameras optional (5 min)\n\
                 2. Check-in round (10 min)\n\
                 3. Main topic (30 min)\n\
                 4. Actions and next call (10 min)"
            }
        }
    }

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
