#![allow(clippy::unwrap_used, missing_docs)]
use commonroom_model::generate::{Spec, generate};
use commonroom_model::{Command, Ctx, MemberId, NoteId, Timestamp, commands::NewNote};
use std::time::Instant;
fn main() {
    let mut doc = generate(&Spec::default()).with_fresh_actor();
    doc.track_changes();
    let heads = doc.heads();
    let _ = doc.save_after(&heads);
    let mut s = commonroom_proto::SyncSession::new();
    for i in 0..5 {
        let t = Instant::now();
        doc.apply(
            &Ctx {
                by: Some(MemberId::new("x")),
                now: Timestamp::now(),
            },
            Command::AddNote(NewNote {
                id: NoteId::generate(),
                text: format!("n{i}"),
                event: None,
                theme: None,
                position: None,
                anonymous: false,
            }),
        )
        .unwrap();
        let t1 = t.elapsed();
        let t = Instant::now();
        let h = doc.heads();
        let t2 = t.elapsed();
        let t = Instant::now();
        let touched = doc.take_changes();
        let t3 = t.elapsed();
        let t = Instant::now();
        let m = s.generate(doc.automerge_mut());
        let t4 = t.elapsed();
        let t = Instant::now();
        let _adm = doc.admitted_devices();
        let t5 = t.elapsed();
        let t = Instant::now();
        let _r = doc.is_ready();
        let t6 = t.elapsed();
        println!(
            "apply {:?} heads {:?} take_changes {:?} ({} colls) generate {:?} ({:?} bytes) admitted {:?} is_ready {:?} {}",
            t1,
            t2,
            t3,
            touched.collections.len(),
            t4,
            m.map(|m| m.len()),
            t5,
            t6,
            h.len()
        );
    }
}
