//! Installing the generated community into a data directory as this device's own (for
//! benchmarks and tests; feature `generate`).

use std::path::Path;

use commonroom_model::generate::{Spec, generate};
use commonroom_model::{Command, CommunityId, Ctx, Timestamp};
use commonroom_store::DataDir;

/// Writes the community `spec` generates into `dir`, with its founder as this device's
/// member (the device linked to them); returns the community id.
///
/// # Panics
/// On any storage error: this is for benchmarks and tests on fresh temporary directories.
#[allow(
    clippy::unwrap_used,
    reason = "benchmark and test support on fresh directories"
)]
pub fn install_generated(dir: &Path, spec: &Spec) -> CommunityId {
    let mut doc = generate(spec).with_fresh_actor();
    let data = DataDir::open(dir).unwrap();
    let device = commonroom_proto::invite::public_key_of(&data.device_secret().unwrap());
    let founder = doc.community().unwrap().created_by.unwrap();
    doc.apply(
        &Ctx {
            by: Some(founder.clone()),
            now: Timestamp::now(),
        },
        Command::LinkDevice {
            member: founder.clone(),
            device: device.iter().map(|b| format!("{b:02x}")).collect(),
            label: "bench".into(),
        },
    )
    .unwrap();
    let id = doc.id().unwrap();
    let store = data
        .create_community(id.as_str(), doc.automerge_mut())
        .unwrap();
    store.write_local("me", founder.as_str()).unwrap();
    id
}
