//! Conversations between meetings: channels, threads (discussions and questions), replies,
//! reactions, mentions.
//!
//! Messages never go into the community document. A community's conversations are side
//! documents ([`SideDoc`]) synced over the same connection and behind the same gate: the
//! *conversation index* (`conversations`: channels, and one [`ThreadEntry`] per thread with
//! its channel, title, kind, status and last activity) and one document per thread
//! (`thread-<id>`: its messages). A thread's messages are read only when someone opens it.

pub mod commands;
pub mod doc;
pub mod entities;
pub mod keep;
pub mod key;
pub mod read;

pub use commands::{
    ACTIVITY_STEP_MS, Converse, Conversed, Docs, NewChannel, NewIntroduction, NewReply, NewThread,
    apply,
};
pub use doc::{ANNOUNCEMENTS, GENERAL, SideDoc};
pub use entities::{Channel, Message, REACTIONS, ThreadEntry, reaction};
pub use keep::{as_resource, as_story, kept_text};
pub use key::{BadDocKey, DocKey};
pub use read::{ConversationIndex, Helper, ThreadView, mentions_in, suggest_helpers};
