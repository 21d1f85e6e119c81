//! Helpers for tests that run real nodes on loopback with relays and mDNS off.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use commonroom_model::commands::NewNote;
use commonroom_model::{Command, NoteId};
use commonroom_node::{Node, NodeConfig, NodeHandle};

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

pub async fn note_texts(handle: &NodeHandle, community: &str) -> Vec<String> {
    let view = handle.view(community.to_owned()).await.unwrap();
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
pub async fn found(handle: &NodeHandle, name: &str) -> String {
    handle
        .create(name.into(), "Alex".into())
        .await
        .unwrap()
        .to_string()
}

/// Waits (bounded) until `handle` shows a note reading `text` in `community`.
pub async fn until_note(handle: &NodeHandle, community: &str, text: &str, limit: Duration) {
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
pub async fn invite_and_join(a: &NodeHandle, b: &NodeHandle, community: &str, name: &str) {
    let ticket = a
        .invite(community.to_owned(), Duration::from_secs(3600))
        .await
        .unwrap();
    let joined = b
        .join(ticket, name.to_owned(), vec!["housing".into()])
        .await
        .unwrap();
    assert_eq!(joined.as_str(), community);
}
