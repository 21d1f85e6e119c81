//! Founding a community on this device.

use commonroom_model::{CommunityDoc, CommunityId, MemberId, Timestamp};

use crate::device::DeviceId;
use crate::error::EngineError;
use crate::storage::Storage;

/// A community just founded and stored.
pub struct Founded<C> {
    /// Its id.
    pub id: CommunityId,
    /// The document, written under this device's actor.
    pub doc: CommunityDoc,
    /// Its storage (the first snapshot is durable).
    pub store: C,
    /// The founder: this device's member.
    pub founder: MemberId,
}

/// What a new community is made of: its id, its founder's id, and when.
#[derive(Clone, Debug)]
pub struct Founding {
    /// The community's id.
    pub id: CommunityId,
    /// The founder's member id.
    pub founder: MemberId,
    /// The moment of founding.
    pub at: Timestamp,
}

/// Starts a community named `name` with `me` as founder on this device (whose secret key is
/// `secret` and public key `device`, so the device passes the gate), and stores it durably
/// in one step.
pub fn found_community<S: Storage>(
    storage: &S,
    secret: &[u8; 32],
    device: DeviceId,
    name: &str,
    me: &str,
    founding: Founding,
) -> Result<Founded<S::Community>, EngineError> {
    let Founding { id, founder, at } = founding;
    let actor = commonroom_proto::invite::actor_id(secret, id.as_str());
    let mut doc = commonroom_model::start_community_as(
        Some(actor),
        id.clone(),
        name,
        me,
        founder.clone(),
        Some(&device.to_string()),
        at,
    )?;
    let name = doc.community()?.name;
    let store = storage.create(
        &id,
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
