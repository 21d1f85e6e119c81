//! The Commonroom community model: domain types, the Automerge schema, validated commands,
//! queries and exports. No IO: no clock reads outside [`Timestamp::now`], no files, no network.

pub mod change_label;
pub mod commands;
pub mod conversations;
pub mod doc;
pub mod entities;
pub mod entity;
pub mod error;
pub mod export;
#[cfg(feature = "generate")]
pub mod generate;
pub mod history;
pub mod ids;
pub mod import;
pub mod insight;
pub mod labels;
pub mod pairing;
pub mod permissions;
pub mod sample;
pub mod set;
pub mod time;
pub mod view;

pub use automerge;
pub use change_label::{ChangeLabel, Op};
pub use commands::{Applied, Command, Ctx};
pub use doc::{CommunityDoc, SCHEMA_VERSION, Touched};
pub use error::{CommandError, DocumentError, EntityKind};
pub use ids::{
    ActionId, ChannelId, CommunityId, EventId, MemberId, MessageId, NoteId, ResourceId, StoryId,
    SurveyId, ThemeId, ThreadId,
};
pub use labels::{Cycle, EventFormat, QuestionKind, Role, RsvpAnswer};
pub use time::{Day, Timestamp};
pub use view::CommunityView;

/// Starts a new community with its founder as the first member (a facilitator), on the
/// founder's device when its endpoint id (hex) is given, so that device passes the gate.
pub fn start_community(
    id: CommunityId,
    name: &str,
    founder_name: &str,
    founder_id: MemberId,
    founder_device: Option<&str>,
    now: Timestamp,
) -> Result<CommunityDoc, CommandError> {
    start_community_as(
        None,
        id,
        name,
        founder_name,
        founder_id,
        founder_device,
        now,
    )
}

/// [`start_community`] with every founding change written under `actor` (the founding
/// device's stable actor id), so the same founding gives the same changes.
pub fn start_community_as(
    actor: Option<[u8; 16]>,
    id: CommunityId,
    name: &str,
    founder_name: &str,
    founder_id: MemberId,
    founder_device: Option<&str>,
    now: Timestamp,
) -> Result<CommunityDoc, CommandError> {
    let name_clean = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name_clean.is_empty() {
        return Err(CommandError::Invalid {
            field: "name",
            reason: "must not be empty".into(),
        });
    }
    let community = entities::Community {
        id,
        name: name_clean,
        domain: autosurgeon::Text::with_value(""),
        terms: autosurgeon::Text::with_value(""),
        rota: Vec::new(),
        created_by: Some(founder_id.clone()),
        created_at: now,
    };
    let mut doc = CommunityDoc::create_as(&community, actor)?;
    doc.apply(
        &Ctx {
            by: Some(founder_id.clone()),
            now,
        },
        Command::AddMember(commands::NewMember {
            id: founder_id.clone(),
            name: founder_name.to_owned(),
            organisation: None,
            roles: vec![Role::Facilitator],
            focus: Vec::new(),
            contact: None,
        }),
    )?;
    if let Some(device) = founder_device {
        doc.apply(
            &Ctx {
                by: Some(founder_id.clone()),
                now,
            },
            Command::LinkDevice {
                member: founder_id,
                device: device.to_owned(),
                label: format!("{}'s device", founder_name.trim()),
            },
        )?;
    }
    Ok(doc)
}
