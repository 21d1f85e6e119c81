//! Real nodes on loopback: invite and join, live sync, merging after time apart, relaying,
//! restarts, and refusal of strangers and bad invites.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use common::{eventually, found, invite_and_join, node, note, note_texts, until_note};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_join_and_live_sync_between_two_nodes() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(da.path()).await;
    let b = node(db.path()).await;
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Family Support CoP").await;
    for i in 0..5 {
        ha.apply(id.clone(), note(&format!("before join {i}")))
            .await
            .unwrap();
    }
    invite_and_join(&ha, &hb, &id, "Sam").await;

    // The joiner has the whole community, including itself as a member.
    assert_eq!(note_texts(&hb, &id).await, note_texts(&ha, &id).await);
    let view = hb.view(id.clone()).await.unwrap();
    assert_eq!(view.community.name, "Family Support CoP");
    assert!(
        view.members
            .values()
            .any(|m| m.name == "Sam" && m.devices.contains_key(&hb.endpoint_id().to_string()))
    );
    let me = hb.me(id.clone()).await.unwrap().unwrap();
    assert_eq!(view.members[&me].name, "Sam");

    // Live: an edit on either side appears on the other while both run.
    ha.apply(id.clone(), note("live from A")).await.unwrap();
    until_note(&hb, &id, "live from A", WAIT).await;
    hb.apply(id.clone(), note("live from B")).await.unwrap();
    until_note(&ha, &id, "live from B", WAIT).await;

    // The invite is now used: a second join with it is refused.
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_apart_merge_when_peers_meet_again() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(da.path()).await;
    let b = node(db.path()).await;
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Meetup CoP").await;
    invite_and_join(&ha, &hb, &id, "Sam").await;
    b.shutdown().await;

    // Apart: both edit.
    ha.apply(id.clone(), note("A while apart")).await.unwrap();
    let b = node(db.path()).await; // B comes back...
    let hb = b.handle();
    hb.apply(id.clone(), note("B while apart")).await.unwrap();
    // ...and they find each other again from the known-peer list, and converge.
    eventually("both edits on both sides", WAIT, || async {
        let (ta, tb) = (note_texts(&ha, &id).await, note_texts(&hb, &id).await);
        ta == tb
            && ta.contains(&"A while apart".to_string())
            && ta.contains(&"B while apart".to_string())
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_travels_along_a_chain_of_peers() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = node(dirs[0].path()).await;
    let b = node(dirs[1].path()).await;
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Chain CoP").await;
    invite_and_join(&ha, &hb, &id, "Bea").await;
    // Only stewards invite: A makes B core group, and B sees it.
    let bea = hb.me(id.clone()).await.unwrap().unwrap();
    ha.apply(
        id.clone(),
        commonroom_model::Command::EditMember(
            bea.clone(),
            commonroom_model::commands::MemberPatch {
                roles: Some(vec![commonroom_model::Role::CoreGroup]),
                ..Default::default()
            },
        ),
    )
    .await
    .unwrap();
    eventually("B is core group at B", WAIT, || async {
        hb.view(id.clone()).await.unwrap().members[&bea]
            .roles
            .contains(&commonroom_model::Role::CoreGroup)
    })
    .await;
    // C is invited by B and only ever learns B's address.
    let c = node(dirs[2].path()).await;
    let hc = c.handle();
    invite_and_join(&hb, &hc, &id, "Cai").await;
    // A does not know C's address; C does not know A's. Only B links them.
    ha.apply(id.clone(), note("from A, via B")).await.unwrap();
    until_note(&hc, &id, "from A, via B", WAIT).await;
    hc.apply(id.clone(), note("from C, via B")).await.unwrap();
    until_note(&ha, &id, "from C, via B", WAIT).await;
    for n in [a, b, c] {
        n.shutdown().await;
    }
}
