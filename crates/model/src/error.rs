//! Errors of the model: rejected commands and unreadable documents.

/// Which kind of entity an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    /// A member.
    Member,
    /// An event.
    Event,
    /// A post-it note.
    Note,
    /// A resource.
    Resource,
    /// A theme.
    Theme,
    /// An action point.
    Action,
    /// An invite.
    Invite,
    /// A survey.
    Survey,
    /// A value-creation story.
    Story,
}

impl EntityKind {
    /// The kinds whose entities can be restored from history (all but invites).
    pub const RESTORABLE: [EntityKind; 8] = [
        Self::Member,
        Self::Event,
        Self::Note,
        Self::Resource,
        Self::Theme,
        Self::Action,
        Self::Survey,
        Self::Story,
    ];

    /// The lower-case singular name used in messages and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Event => "event",
            Self::Note => "note",
            Self::Resource => "resource",
            Self::Theme => "theme",
            Self::Action => "action",
            Self::Invite => "invite",
            Self::Survey => "survey",
            Self::Story => "story",
        }
    }

    /// The key of this kind's collection in the document root.
    pub fn collection(self) -> &'static str {
        match self {
            Self::Member => "members",
            Self::Event => "events",
            Self::Note => "notes",
            Self::Resource => "resources",
            Self::Theme => "themes",
            Self::Action => "actions",
            Self::Invite => "invites",
            Self::Survey => "surveys",
            Self::Story => "stories",
        }
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a command was refused. A refused command changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A field's value is not acceptable.
    #[error("{}", invalid_in_words(field, reason))]
    Invalid {
        /// The field that was wrong.
        field: &'static str,
        /// What was wrong with it, for a person.
        reason: String,
    },
    /// A referenced entity does not exist.
    #[error("no {kind} with id {id}")]
    Unknown {
        /// The kind that was looked up.
        kind: EntityKind,
        /// The id that was not found.
        id: String,
    },
    /// A referenced entity exists but has been deleted.
    #[error("{kind} {id} has been deleted")]
    Deleted {
        /// The kind of the deleted entity.
        kind: EntityKind,
        /// Its id.
        id: String,
    },
    /// An invite that can no longer be used.
    #[error("this invite {0}")]
    InviteUnusable(&'static str),
    /// A member that has been removed from the community was referenced where an active one is needed.
    #[error("member {0} has been removed from the community")]
    RemovedMember(String),
    /// The member making the change may not make it (see [`crate::permissions`]).
    #[error("{0}")]
    NotAllowed(&'static str),
    /// An entity with this id already exists.
    #[error("a {kind} with id {id} already exists")]
    Duplicate {
        /// The kind of the entity.
        kind: EntityKind,
        /// The clashing id.
        id: String,
    },
    /// A thread, message or channel named by a conversation command is not here (or not
    /// yet: it may still be on its way from a peer).
    #[error("there is no {what} {id} here")]
    NotFound {
        /// What was looked for, in words ("thread", "message", "channel").
        what: &'static str,
        /// The id or name given.
        id: String,
    },
    /// The document does not have the shape Commonroom expects.
    #[error(transparent)]
    Document(Box<DocumentError>),
}

impl From<DocumentError> for CommandError {
    fn from(error: DocumentError) -> Self {
        Self::Document(Box::new(error))
    }
}

/// The document could not be read or written in the expected shape.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Automerge itself failed (for example, bytes that are not an Automerge document).
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// A value in the document has an unexpected shape.
    #[error("unexpected document content: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    /// Writing a value into the document failed.
    #[error("could not write to the document: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    /// The document's history could not be read as asked (an unknown change, a failed
    /// historical read).
    #[error("history: {0}")]
    History(String),
    /// A required part of the document is missing.
    #[error("the document has no {0}; it is not a Commonroom community (or not yet synced)")]
    Missing(&'static str),
    /// The document was written by a newer Commonroom with an incompatible schema.
    #[error(
        "the community uses schema version {found}; this Commonroom understands up to {supported}"
    )]
    SchemaTooNew {
        /// The version found in the document.
        found: u64,
        /// The newest version this build understands.
        supported: u64,
    },
}

/// A refused value in words a person reads: "The text is longer than 10,000 characters."
fn invalid_in_words(field: &str, reason: &str) -> String {
    let name = match field {
        "url" => "link",
        other => other,
    };
    let reason = reason.trim_end_matches('.');
    format!("The {name} {reason}.")
}

/// A count with thousands separated, as people write it: 10,000.
pub(crate) fn with_commas(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
