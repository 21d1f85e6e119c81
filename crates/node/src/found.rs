//! Founding a community in a data directory, for commands that open it themselves.

use commonroom_engine::{DeviceId, Founding};
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
/// `secret` (the device is linked, so it passes the gate), and stores it durably: the
/// engine's founding, with fresh ids and the time now.
pub fn found_community(
    data: &DataDir,
    secret: &[u8; 32],
    name: &str,
    me: &str,
) -> Result<Founded, NodeError> {
    let device = DeviceId(*iroh::SecretKey::from_bytes(secret).public().as_bytes());
    let founding = Founding {
        id: CommunityId::generate(),
        founder: MemberId::generate(),
        at: Timestamp::now(),
    };
    let founded = commonroom_engine::found_community(data, secret, device, name, me, founding)?;
    let mut store = founded.store;
    // A command compacts as it writes; only a running node waits for a quiet moment.
    store.set_compact_on_persist(true);
    Ok(Founded {
        id: founded.id,
        doc: founded.doc,
        store,
        founder: founded.founder,
    })
}
