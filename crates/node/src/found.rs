//! Founding a community on this device: one path for the node and for commands that open
//! the data directory themselves.

use commonroom_model::{CommunityDoc, CommunityId, MemberId, Timestamp};
use commonroom_store::{CommunityStore, DataDir};

use crate::error::NodeError;

/// A community just founded and stored on this device.
pub struct Founded {
    /// Its id.
    pub id: CommunityId,
    /// The document, written under this device's actor.
    pub doc: CommunityDoc,
    /// Its store (the first snapshot is durable).
    pub store: CommunityStore,
    /// The founder: this device's member.
    pub founder: MemberId,
}

/// Starts a community named `name` with `me` as founder, on the device whose secret key is
/// `secret` (the device is linked, so it passes the gate), and stores it durably.
pub fn found_community(
    data: &DataDir,
    secret: &[u8; 32],
    name: &str,
    me: &str,
) -> Result<Founded, NodeError> {
    let id = CommunityId::generate();
    let founder = MemberId::generate();
    let device = iroh::SecretKey::from_bytes(secret).public().to_string();
    let mut doc = commonroom_model::start_community(
        id.clone(),
        name,
        me,
        founder.clone(),
        Some(&device),
        Timestamp::now(),
    )?
    .with_actor(commonroom_proto::invite::actor_id(secret, id.as_str()));
    let name = doc.community()?.name;
    let store = data.create_community_with(
        id.as_str(),
        doc.automerge_mut(),
        &[("me", founder.as_str()), ("name", &name)],
    )?;
    Ok(Founded {
        id,
        doc,
        store,
        founder,
    })
}
