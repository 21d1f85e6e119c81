//! Helpers for tests that run real nodes on loopback with relays and mDNS off.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use commonroom_model::commands::NewNote;
use commonroom_model::{Command, CommunityId, NoteId};
use commonroom_net::NetConfig;
use commonroom_node::{Node, NodeConfig, NodeHandle};
use iroh::{EndpointAddr, TransportAddr};

/// A raw endpoint on loopback with a fixed key: a stranger, or a device the test controls.
pub async fn stranger(seed: u8) -> commonroom_net::Bound {
    commonroom_net::bind([seed; 32], &NetConfig::loopback())
        .await
        .unwrap()
}

/// The address of `id` at `addrs`.
pub fn addr_of(id: iroh::EndpointId, addrs: &[std::net::SocketAddr]) -> EndpointAddr {
    EndpointAddr::from_parts(id, addrs.iter().copied().map(TransportAddr::Ip))
}

/// A node with a new community, and a raw endpoint linked as a device of its founder
/// (a member's device under the test's control). Returns the node's addresses too.
pub async fn node_with_raw_member_device(
    dir: &Path,
    name: &str,
    seed: u8,
) -> (
    Node,
    CommunityId,
    Vec<std::net::SocketAddr>,
    commonroom_net::Bound,
) {
    let a = node(dir).await;
    let ha = a.handle();
    let id = found(&ha, name).await;
    let addrs = ha.addrs().await.unwrap();
    let device = stranger(seed).await;
    let me = ha.me(id.clone()).await.unwrap().unwrap();
    ha.apply(
        id.clone(),
        Command::LinkDevice {
            member: me,
            device: device.endpoint.id().to_string(),
            label: "raw device".into(),
        },
    )
    .await
    .unwrap();
    (a, id, addrs, device)
}

pub async fn node(dir: &Path) -> Node {
    Node::start(NodeConfig::loopback(dir)).await.unwrap()
}

pub fn note(text: &str) -> Command {
    Command::AddNote(NewNote {
        id: NoteId::generate(),
        text: text.into(),
        event: None,
        theme: None,
        position: None,
        anonymous: false,
    })
}

pub async fn note_texts(handle: &NodeHandle, community: &CommunityId) -> Vec<String> {
    let view = handle.view(community.clone()).await.unwrap();
    let mut texts: Vec<String> = view
        .notes
        .values()
        .filter(|n| !n.deleted)
        .map(|n| n.text.clone())
        .collect();
    texts.sort();
    texts
}

/// Starts a community called `name` on `handle`, with Alex as its founder; returns its id.
pub async fn found(handle: &NodeHandle, name: &str) -> CommunityId {
    handle.create(name.into(), "Alex".into()).await.unwrap()
}

/// Waits (bounded) until `handle` shows a note reading `text` in `community`.
pub async fn until_note(handle: &NodeHandle, community: &CommunityId, text: &str, limit: Duration) {
    eventually(&format!("the note {text:?}"), limit, || async {
        note_texts(handle, community)
            .await
            .iter()
            .any(|t| t == text)
    })
    .await;
}

/// Waits (bounded) until `check` holds.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}

/// Founder node `a` invites; node `b` joins. Returns the community id.
pub async fn invite_and_join(a: &NodeHandle, b: &NodeHandle, community: &CommunityId, name: &str) {
    let ticket = a
        .invite(community.clone(), Duration::from_secs(3600))
        .await
        .unwrap();
    let joined = b
        .join(ticket, name.to_owned(), vec!["housing".into()])
        .await
        .unwrap();
    assert_eq!(&joined, community);
}
