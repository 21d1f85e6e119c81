//! Conversations in the engine: what this device has read stays on this device.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::Duration;

use commonroom_engine::{
    DeviceId, Engine, EngineConfig, Input, MemoryStorage, Now, Output, Request, Response, Storage,
};
use commonroom_model::conversations::{Converse, DocKey, NewThread};
use commonroom_model::{ChannelId, CommunityId, MessageId, ThreadId, Timestamp};

const T0: i64 = 1_780_000_000_000;

fn at(ms: u64) -> Now {
    Now {
        elapsed: Duration::from_millis(ms),
        wall: Timestamp::from_millis(T0 + ms as i64),
    }
}

fn ask(engine: &mut Engine<MemoryStorage>, request: Request, ms: u64) -> Response {
    let out = engine.handle(Input::Request { id: 1, request }, at(ms));
    match out.into_iter().find_map(|o| match o {
        Output::Reply { result, .. } => Some(result),
        _ => None,
    }) {
        Some(Ok(response)) => response,
        other => panic!("no answer: {other:?}"),
    }
}

/// Every byte of every shared document the storage holds: the community's and each side
/// document's, as they would be sent to a peer.
fn shared_bytes(storage: &MemoryStorage, id: &CommunityId) -> Vec<(String, Vec<u8>)> {
    let mut all = vec![("community".to_owned(), storage.open(id).unwrap().doc.save())];
    for key in storage.side_keys(id).unwrap() {
        let mut opened = storage.open_side(id, &key).unwrap().unwrap();
        all.push((key, opened.doc.save()));
    }
    all
}

#[test]
fn what_this_device_has_read_never_enters_a_shared_document() {
    let storage = MemoryStorage::new();
    let secret = [7; 32];
    let config = EngineConfig {
        device: DeviceId(commonroom_proto::invite::public_key_of(&secret)),
        secret,
        connect_to_peers: false,
        seed: 7,
    };
    let mut engine = Engine::new(storage.clone(), config, at(0)).unwrap();
    let Response::Community(id) = ask(
        &mut engine,
        Request::Create {
            name: "Circle".into(),
            me: "Ama".into(),
        },
        0,
    ) else {
        panic!("not founded")
    };
    let thread = ThreadId::generate();
    ask(
        &mut engine,
        Request::Converse {
            community: id.clone(),
            command: Converse::StartThread(NewThread {
                id: thread.clone(),
                first: MessageId::generate(),
                channel: ChannelId::new("general"),
                title: "Rota".into(),
                text: "Who can open up on Tuesday?".into(),
                question: true,
                tags: vec![],
                mentions: vec![],
                theme: None,
            }),
        },
        10,
    );
    let before = shared_bytes(&storage, &id);
    assert!(
        before
            .iter()
            .any(|(k, _)| *k == DocKey::Thread(thread.clone()).encode())
    );
    ask(
        &mut engine,
        Request::Unread {
            community: id.clone(),
        },
        20,
    );
    ask(
        &mut engine,
        Request::Thread {
            community: id.clone(),
            thread: thread.clone(),
            mark_read: true,
        },
        30,
    );
    engine.handle(Input::Shutdown, at(40));
    let after = shared_bytes(&storage, &id);
    assert_eq!(before, after, "reading changed a shared document");
    // It is kept, on this device only.
    let opened = storage.open(&id).unwrap();
    use commonroom_engine::CommunityStorage;
    let marks = opened.store.read_local("read").unwrap().unwrap();
    assert!(marks.contains(thread.as_str()), "{marks}");
    for (key, bytes) in &after {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("\"since\""), "{key} holds read marks");
    }
}
