//! Each decision of the engine, tested by feeding it inputs and a time and reading what it
//! decides: no sockets, no sleeps, no real clock.

use std::time::Duration;

use automerge::AutoCommit;
use commonroom_engine::{
    Close, DeviceId, Engine, EngineConfig, EngineError, FIRST_RETRY, Input, JoinFailure, Link,
    MAX_RETRY, MemoryStorage, Now, Outgoing, Output, Request, Response,
};
use commonroom_model::commands::NewNote;
use commonroom_model::{Command, CommunityId, MemberId, NoteId, Timestamp};
use commonroom_proto::checked::CheckedMessage;
use commonroom_proto::frame::JoinRequest;
use commonroom_proto::{Frame, InviteKey, PROTOCOL_VERSION, SyncSession, Ticket};

const T0: i64 = 1_780_000_000_000;

fn at(ms: u64) -> Now {
    Now {
        elapsed: Duration::from_millis(ms),
        wall: Timestamp::from_millis(T0 + ms as i64),
    }
}

fn device(n: u8) -> ([u8; 32], DeviceId) {
    let secret = [n; 32];
    (
        secret,
        DeviceId(commonroom_proto::invite::public_key_of(&secret)),
    )
}

fn engine_on(storage: MemoryStorage, n: u8, connect: bool) -> Engine<MemoryStorage> {
    let (secret, device) = device(n);
    let config = EngineConfig {
        device,
        secret,
        connect_to_peers: connect,
        seed: u64::from(n),
    };
    Engine::new(storage, config, at(0)).expect("memory storage opens")
}

fn reply(outputs: &[Output]) -> Option<&Result<Response, EngineError>> {
    outputs.iter().find_map(|o| match o {
        Output::Reply { result, .. } => Some(result),
        _ => None,
    })
}

/// Founds a community on `engine`; returns its id.
fn found(engine: &mut Engine<MemoryStorage>) -> CommunityId {
    let out = engine.handle(
        Input::Request {
            id: 1,
            request: Request::Create {
                name: "Circle".into(),
                me: "Ama".into(),
            },
        },
        at(0),
    );
    match reply(&out) {
        Some(Ok(Response::Community(id))) => id.clone(),
        other => panic!("no community: {other:?}"),
    }
}

fn note(community: &CommunityId, text: &str, n: u128) -> Request {
    Request::Apply {
        community: community.clone(),
        command: Command::AddNote(NewNote {
            id: NoteId::new(commonroom_model::ids::newest_first_id(1_780_000_000_000, n)),
            text: text.into(),
            event: None,
            theme: None,
            position: None,
            anonymous: false,
        }),
    }
}

fn gate_of(outputs: &[Output]) -> Option<Vec<DeviceId>> {
    outputs.iter().rev().find_map(|o| match o {
        Output::Gate { devices, .. } => Some(devices.clone()),
        _ => None,
    })
}

/// An invite on `engine`'s community, and the join request a device `joiner` sends with it.
fn invite_and_request(
    engine: &mut Engine<MemoryStorage>,
    community: &CommunityId,
    joiner: DeviceId,
    now: Now,
) -> JoinRequest {
    // One invite per joiner.
    let secret = *joiner.as_bytes();
    let out = engine.handle(
        Input::Request {
            id: 7,
            request: Request::Invite {
                community: community.clone(),
                valid_for: Duration::from_secs(3600),
                for_me: false,
                uses: 1,
                secret,
            },
        },
        now,
    );
    assert!(matches!(reply(&out), Some(Ok(Response::Ticket(_)))));
    let key = InviteKey::from_secret(&secret);
    JoinRequest {
        version: PROTOCOL_VERSION,
        community: community.to_string(),
        invite: key.public_hex(),
        signature: key.sign_join(community.as_str(), joiner.as_bytes()),
        name: "Bea".into(),
        focus: Vec::new(),
        addrs: Vec::new(),
        relay: None,
    }
}

/// Admits devices `numbers` to the community, each with its own invite.
fn admit_devices(
    engine: &mut Engine<MemoryStorage>,
    community: &CommunityId,
    numbers: std::ops::Range<u8>,
) {
    for n in numbers {
        let (_, peer) = device(n);
        let request = invite_and_request(engine, community, peer, at(10));
        engine.handle(
            Input::JoinAsked {
                join: u64::from(n),
                peer,
                request,
            },
            at(20),
        );
    }
}

#[test]
fn a_founded_community_admits_its_own_device_and_an_idle_engine_sleeps() {
    let mut engine = engine_on(MemoryStorage::new(), 1, true);
    let storage = engine.storage().clone();
    let out = engine.handle(
        Input::Request {
            id: 1,
            request: Request::Create {
                name: "Circle".into(),
                me: "Ama".into(),
            },
        },
        at(0),
    );
    assert_eq!(gate_of(&out), Some(vec![device(1).1]));
    // Nothing to dial (only itself admitted), nothing to compact: no timer at all.
    engine.handle(Input::Tick, at(3_000));
    assert_eq!(engine.next_tick(), None, "an idle engine asks for no tick");
    // A restart opens the same community.
    let again = engine_on(storage, 1, true);
    assert_eq!(again.community_ids().count(), 1);
}

#[test]
fn a_joiner_with_a_valid_proof_is_admitted_and_a_forged_one_is_refused() {
    let mut engine = engine_on(MemoryStorage::new(), 1, false);
    let community = found(&mut engine);
    let (_, joiner) = device(2);
    let request = invite_and_request(&mut engine, &community, joiner, at(10));

    let mut forged = request.clone();
    forged.signature =
        InviteKey::from_secret(&[9; 32]).sign_join(community.as_str(), joiner.as_bytes());
    let out = engine.handle(
        Input::JoinAsked {
            join: 1,
            peer: joiner,
            request: forged,
        },
        at(20),
    );
    assert!(matches!(
        out.as_slice(),
        [Output::JoinAnswer { result: Err(_), .. }]
    ));

    let out = engine.handle(
        Input::JoinAsked {
            join: 2,
            peer: joiner,
            request,
        },
        at(30),
    );
    let admitted = out.iter().find_map(|o| match o {
        Output::JoinAnswer { result, .. } => Some(result.clone()),
        _ => None,
    });
    assert!(matches!(admitted, Some(Ok(_))), "{admitted:?}");
    let gate = gate_of(&out).expect("the gate changes");
    assert!(
        gate.contains(&joiner),
        "the new member's device is admitted"
    );
}

#[test]
fn failed_dials_back_off_doubling_up_to_the_ceiling_and_sync_now_skips_the_wait() {
    let mut engine = engine_on(MemoryStorage::new(), 1, true);
    let community = found(&mut engine);
    let (_, peer) = device(2);
    let request = invite_and_request(&mut engine, &community, peer, at(10));
    engine.handle(
        Input::JoinAsked {
            join: 1,
            peer,
            request,
        },
        at(20),
    );
    // The new member's device is due at once.
    let mut now = 20;
    assert_eq!(engine.next_tick(), Some(Duration::ZERO));
    let mut delays = Vec::new();
    let mut out = engine.handle(Input::Tick, at(now));
    for _ in 0..10 {
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Dial { peer: p, .. } if *p == peer)),
            "dials when due at {now}: {out:?}"
        );
        // While the dial is out, no second one.
        let again = engine.handle(Input::Tick, at(now + 1));
        assert!(!again.iter().any(|o| matches!(o, Output::Dial { .. })));
        let failed = now + 5;
        engine.handle(
            Input::DialFailed {
                community: community.clone(),
                peer,
            },
            at(failed),
        );
        // Tick whenever the engine asks to, until it dials again (other timers, such as
        // compaction, may come first).
        loop {
            let next = engine.next_tick().expect("a retry is scheduled");
            now = next.as_millis() as u64;
            out = engine.handle(Input::Tick, at(now));
            if out.iter().any(|o| matches!(o, Output::Dial { .. })) {
                break;
            }
        }
        delays.push(Duration::from_millis(now - failed));
    }
    assert_eq!(delays[0], FIRST_RETRY * 2);
    assert!(delays.windows(2).all(|w| w[1] >= w[0]), "{delays:?}");
    assert_eq!(*delays.last().expect("ten"), MAX_RETRY);

    // A sync asked for now dials at once, whatever the back-off.
    engine.handle(
        Input::DialFailed {
            community: community.clone(),
            peer,
        },
        at(now + 5),
    );
    let out = engine.handle(
        Input::Request {
            id: 9,
            request: Request::SyncNow {
                community,
                timeout: Duration::from_secs(5),
            },
        },
        at(now + 10),
    );
    assert!(out.iter().any(|o| matches!(o, Output::Dial { .. })));
}

#[test]
fn a_new_member_gets_the_whole_community_in_one_snapshot() {
    let mut engine = engine_on(MemoryStorage::new(), 1, false);
    let community = found(&mut engine);
    let (_, peer) = device(2);
    for i in 0..5 {
        engine.handle(
            Input::Request {
                id: 10 + i,
                request: note(&community, "hello", u128::from(i)),
            },
            at(100 + i),
        );
    }
    let link = Link {
        community: community.clone(),
        peer,
        initiator: false,
        addrs: Vec::new(),
        relay: None,
        shares_addresses: false,
        shares_docs: false,
        doc_snapshots: false,
    };
    engine.handle(Input::Connected { conn: 1, link }, at(200));
    let opening = SyncSession::new()
        .generate(&mut AutoCommit::new())
        .expect("an empty document opens");
    let message = CheckedMessage::check(opening).expect("a real opening passes the check");
    let out = engine.handle(Input::Message { conn: 1, message }, at(210));
    let snapshot = out.iter().find_map(|o| match o {
        Output::Send {
            frame: Outgoing::Snapshot(bytes),
            ..
        } => Some(bytes.clone()),
        _ => None,
    });
    let snapshot = snapshot.expect("an empty opening is answered with the snapshot");
    let mut received = AutoCommit::load(&snapshot).expect("the snapshot loads");
    let doc = commonroom_model::CommunityDoc::from_automerge_unchecked(received.fork());
    assert!(doc.is_ready());
    assert!(doc.community().is_ok());
    drop(received.get_heads());
}

#[test]
fn a_change_is_offered_to_every_connected_peer_of_its_community() {
    let mut engine = engine_on(MemoryStorage::new(), 1, false);
    let community = found(&mut engine);
    for (conn, n) in [(1, 2u8), (2, 3u8)] {
        let link = Link {
            community: community.clone(),
            peer: device(n).1,
            initiator: true,
            addrs: Vec::new(),
            relay: None,
            shares_addresses: false,
            shares_docs: false,
            doc_snapshots: false,
        };
        let out = engine.handle(Input::Connected { conn, link }, at(10));
        assert!(
            out.iter().any(|o| matches!(o, Output::Send { conn: c, frame: Outgoing::Frame(Frame::Sync(_)) } if *c == conn)),
            "the dialing side opens the exchange"
        );
    }
    let out = engine.handle(
        Input::Request {
            id: 5,
            request: note(&community, "for everyone", 1),
        },
        at(20),
    );
    let sent_to: Vec<u64> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send { conn, .. } => Some(*conn),
            _ => None,
        })
        .collect();
    assert!(matches!(reply(&out), Some(Ok(Response::Applied(_)))));
    assert!(sent_to.contains(&1) && sent_to.contains(&2), "{sent_to:?}");
}

#[test]
fn a_third_connection_from_one_device_lets_the_oldest_go() {
    let mut engine = engine_on(MemoryStorage::new(), 1, false);
    let community = found(&mut engine);
    let link = Link {
        community,
        peer: device(2).1,
        initiator: false,
        addrs: Vec::new(),
        relay: None,
        shares_addresses: false,
        shares_docs: false,
        doc_snapshots: false,
    };
    engine.handle(
        Input::Connected {
            conn: 1,
            link: link.clone(),
        },
        at(1),
    );
    engine.handle(
        Input::Connected {
            conn: 2,
            link: link.clone(),
        },
        at(2),
    );
    let out = engine.handle(Input::Connected { conn: 3, link }, at(3));
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Close {
            conn: 1,
            how: Close::Finish
        }
    )));
    assert_eq!(engine.connections().count(), 2);
}

#[test]
fn a_change_that_cannot_be_saved_is_refused_and_not_kept() {
    let storage = MemoryStorage::new();
    let mut engine = engine_on(storage.clone(), 1, false);
    let community = found(&mut engine);
    let before = engine.document(&community).expect("open").heads();
    storage.set_failing(true);
    let out = engine.handle(
        Input::Request {
            id: 2,
            request: note(&community, "lost?", 1),
        },
        at(10),
    );
    assert!(matches!(reply(&out), Some(Err(EngineError::Store(_)))));
    assert_eq!(
        engine.document(&community).expect("open").heads(),
        before,
        "the unsaved change was rewound"
    );
    assert!(
        !out.iter().any(|o| matches!(o, Output::Event(_))),
        "nothing announced"
    );
    storage.set_failing(false);
    let out = engine.handle(
        Input::Request {
            id: 3,
            request: note(&community, "kept", 2),
        },
        at(20),
    );
    assert!(matches!(reply(&out), Some(Ok(Response::Applied(_)))));
    let mut again = engine_on(storage, 1, false);
    let view = match reply(&again.handle(
        Input::Request {
            id: 4,
            request: Request::View {
                community: community.clone(),
            },
        },
        at(30),
    )) {
        Some(Ok(Response::View(view))) => view.clone(),
        other => panic!("{other:?}"),
    };
    let texts: Vec<&str> = view.notes.values().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, vec!["kept"]);
}

#[test]
fn stored_pieces_are_compacted_once_the_community_is_quiet() {
    let storage = MemoryStorage::new();
    let mut engine = engine_on(storage.clone(), 1, false);
    let community = found(&mut engine);
    for i in 0..70u64 {
        engine.handle(
            Input::Request {
                id: 10 + i,
                request: note(&community, "n", u128::from(i)),
            },
            at(100 + i),
        );
    }
    let before = storage.stored_bytes(&community);
    // Still busy: nothing compacts.
    engine.handle(Input::Tick, at(171));
    assert_eq!(storage.stored_bytes(&community), before);
    let due = engine
        .next_tick()
        .expect("compaction is due after a quiet spell");
    assert!(due >= Duration::from_millis(169 + 2_000));
    engine.handle(
        Input::Tick,
        Now {
            elapsed: due,
            ..at(0)
        },
    );
    assert!(
        storage.stored_bytes(&community) < before,
        "compacted: {} -> {}",
        before,
        storage.stored_bytes(&community)
    );
}

#[test]
fn a_sync_with_no_one_to_ask_answers_at_once_and_a_join_gives_up_in_time() {
    let mut engine = engine_on(MemoryStorage::new(), 1, true);
    let community = found(&mut engine);
    let out = engine.handle(
        Input::Request {
            id: 2,
            request: Request::SyncNow {
                community,
                timeout: Duration::from_secs(10),
            },
        },
        at(10),
    );
    match reply(&out) {
        Some(Ok(Response::Synced(report))) => {
            assert_eq!(report.candidates, 0);
            assert!(report.synced.is_empty());
        }
        other => panic!("{other:?}"),
    }

    // A joiner admitted by an inviter who then goes quiet.
    let mut joiner = engine_on(MemoryStorage::new(), 2, true);
    let ticket = Ticket {
        community: "01JOINTESTCOMMUNITY0000000".into(),
        inviter: *device(1).1.as_bytes(),
        addrs: Vec::new(),
        relay: None,
        secret: [5; 32],
        others: Vec::new(),
    };
    let out = joiner.handle(
        Input::Request {
            id: 3,
            request: Request::Join {
                ticket: ticket.clone(),
                name: "Bea".into(),
                focus: Vec::new(),
            },
        },
        at(0),
    );
    assert!(out.iter().any(|o| matches!(o, Output::Join { .. })));
    let out = joiner.handle(
        Input::JoinAnswered {
            request: 3,
            ticket,
            result: Ok((
                device(1).1,
                commonroom_proto::frame::JoinReply {
                    member: MemberId::generate().to_string(),
                },
            )),
        },
        at(100),
    );
    assert!(reply(&out).is_none(), "waits for the community to arrive");
    assert!(out.iter().any(|o| matches!(o, Output::Dial { .. })));
    let out = joiner.handle(Input::Tick, at(100 + 59_000));
    assert!(reply(&out).is_none());
    let out = joiner.handle(Input::Tick, at(100 + 60_000));
    assert!(matches!(reply(&out), Some(Err(EngineError::NotArrived))));
}

#[test]
fn a_refused_join_says_why_by_kind() {
    let mut joiner = engine_on(MemoryStorage::new(), 2, true);
    let ticket = Ticket {
        community: "01JOINTESTCOMMUNITY0000000".into(),
        inviter: *device(1).1.as_bytes(),
        addrs: Vec::new(),
        relay: None,
        secret: [5; 32],
        others: Vec::new(),
    };
    for (failure, expected) in [
        (JoinFailure::Busy, "busy"),
        (JoinFailure::Refused("expired".into()), "refused"),
        (JoinFailure::Unreachable("timed out".into()), "unreachable"),
    ] {
        let out = joiner.handle(
            Input::JoinAnswered {
                request: 1,
                ticket: ticket.clone(),
                result: Err(failure),
            },
            at(0),
        );
        let kind = match reply(&out) {
            Some(Err(EngineError::InviterBusy)) => "busy",
            Some(Err(EngineError::InviteRefused(_))) => "refused",
            Some(Err(EngineError::InviterUnreachable(_))) => "unreachable",
            other => panic!("{other:?}"),
        };
        assert_eq!(kind, expected);
    }
    assert_eq!(joiner.community_ids().count(), 0, "nothing stored");
}

#[test]
fn a_large_community_is_dialed_up_to_the_mesh_degree_in_this_devices_own_order() {
    let mut engine = engine_on(MemoryStorage::new(), 1, true);
    let community = found(&mut engine);
    admit_devices(&mut engine, &community, 2..22);
    let dialed: Vec<DeviceId> = engine
        .handle(Input::Tick, at(30))
        .into_iter()
        .filter_map(|o| match o {
            Output::Dial { peer, .. } => Some(peer),
            _ => None,
        })
        .collect();
    assert_eq!(dialed.len(), commonroom_engine::MESH_DEGREE);
    // A failed dial makes room for the next in line, not for the same device again.
    engine.handle(
        Input::DialFailed {
            community: community.clone(),
            peer: dialed[0],
        },
        at(40),
    );
    let next: Vec<DeviceId> = engine
        .handle(Input::Tick, at(50))
        .into_iter()
        .filter_map(|o| match o {
            Output::Dial { peer, .. } => Some(peer),
            _ => None,
        })
        .collect();
    assert_eq!(next.len(), 1);
    assert!(!dialed.contains(&next[0]));
}

#[test]
fn with_its_mesh_full_of_dials_a_device_asks_for_no_early_tick() {
    let mut engine = engine_on(MemoryStorage::new(), 1, true);
    let community = found(&mut engine);
    admit_devices(&mut engine, &community, 2..22);
    engine.handle(Input::Tick, at(30));
    // Eight dials are out and twelve devices wait their turn: the engine wants no tick
    // until something else is due (here, compaction after a quiet spell), not at once.
    let next = engine.next_tick().expect("compaction is due later");
    assert!(next >= Duration::from_millis(20 + 2_000), "{next:?}");
}

/// Adds a member with `device` linked on `engine`'s community; returns the member.
fn add_member_device(
    engine: &mut Engine<MemoryStorage>,
    community: &CommunityId,
    name: &str,
    device: DeviceId,
    n: u128,
) -> MemberId {
    let member = MemberId::new(commonroom_model::ids::newest_first_id(T0 as u64, n));
    let commands = [
        Command::AddMember(commonroom_model::commands::NewMember {
            id: member.clone(),
            name: name.into(),
            organisation: None,
            roles: vec![commonroom_model::Role::Member],
            focus: Vec::new(),
            contact: None,
        }),
        Command::LinkDevice {
            member: member.clone(),
            device: device.to_string(),
            label: format!("{name}'s laptop"),
        },
    ];
    for command in commands {
        let out = engine.handle(
            Input::Request {
                id: 50,
                request: Request::Apply {
                    community: community.clone(),
                    command,
                },
            },
            at(5),
        );
        assert!(matches!(reply(&out), Some(Ok(_))), "{out:?}");
    }
    member
}

/// Frames the engine sends on `conn`.
fn sent_on(outputs: &[Output], conn: u64) -> Vec<Frame> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                conn: c,
                frame: Outgoing::Frame(frame),
            } if *c == conn => Some(frame.clone()),
            _ => None,
        })
        .collect()
}

/// Plays a peer holding `peer_doc` on `conn` until neither side has more to say; returns
/// everything the engine decided meanwhile.
fn sync_as_peer(
    engine: &mut Engine<MemoryStorage>,
    conn: u64,
    peer_doc: &mut AutoCommit,
    now: u64,
) -> Vec<Output> {
    let mut session = SyncSession::new();
    let mut all = Vec::new();
    for _ in 0..20 {
        let Some(bytes) = session.generate(peer_doc) else {
            break;
        };
        let message = CheckedMessage::check(bytes).expect("a real message");
        let out = engine.handle(Input::Message { conn, message }, at(now));
        for frame in sent_on(&out, conn) {
            if let Frame::Sync(bytes) = frame {
                session
                    .receive(peer_doc, &bytes)
                    .expect("the engine's message applies");
            }
        }
        all.extend(out);
    }
    all
}

fn books(frames: &[Frame]) -> Vec<commonroom_proto::frame::DeviceAddress> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Addresses(devices) => Some(devices.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn the_address_book_names_only_member_devices_and_goes_only_to_members_who_take_it() {
    let mut engine = engine_on(MemoryStorage::new(), 1, false);
    let community = found(&mut engine);
    engine.handle(
        Input::Addresses {
            direct: vec!["10.0.0.1:7000".parse().unwrap()],
            relay: None,
        },
        at(1),
    );
    let (b, c, d) = (device(2).1, device(3).1, device(4).1);
    add_member_device(&mut engine, &community, "Bea", b, 2);
    add_member_device(&mut engine, &community, "Cai", c, 3);
    let removed = add_member_device(&mut engine, &community, "Dee", d, 4);
    let stranger = device(9).1;
    // C and D were met (C as an older node that takes no book); then D is removed.
    for (conn, peer, port) in [(3, c, 7003), (4, d, 7004)] {
        let link = Link {
            community: community.clone(),
            peer,
            initiator: false,
            addrs: vec![format!("10.0.0.{conn}:{port}").parse().unwrap()],
            relay: None,
            shares_addresses: false,
            shares_docs: false,
            doc_snapshots: false,
        };
        engine.handle(Input::Connected { conn, link }, at(10));
    }
    engine.handle(
        Input::Request {
            id: 60,
            request: Request::Apply {
                community: community.clone(),
                command: Command::RemoveMember {
                    id: removed,
                    reason: None,
                },
            },
        },
        at(20),
    );

    // B connects and takes books: nothing until their first sync is done.
    let link = Link {
        community: community.clone(),
        peer: b,
        initiator: false,
        addrs: vec!["10.0.0.2:7002".parse().unwrap()],
        relay: None,
        shares_addresses: true,
        shares_docs: true,
        doc_snapshots: true,
    };
    let out = engine.handle(Input::Connected { conn: 2, link }, at(30));
    assert!(
        books(&sent_on(&out, 2)).is_empty(),
        "no book before the sync"
    );
    let mut peer_doc = AutoCommit::load(&engine.document(&community).unwrap().save()).unwrap();
    let out = sync_as_peer(&mut engine, 2, &mut peer_doc, 40);
    let book = books(&sent_on(&out, 2));
    let named: Vec<&str> = book.iter().map(|d| d.device.as_str()).collect();
    assert!(
        named.contains(&device(1).1.to_string().as_str()),
        "itself: {named:?}"
    );
    assert!(
        named.contains(&c.to_string().as_str()),
        "a member's device: {named:?}"
    );
    assert!(!named.contains(&b.to_string().as_str()), "not B to itself");
    assert!(
        !named.contains(&d.to_string().as_str()),
        "not a removed member's device"
    );
    let cai = book.iter().find(|e| e.device == c.to_string()).unwrap();
    assert_eq!(cai.addrs, ["10.0.0.3:7003".parse().unwrap()]);
    assert_eq!(cai.seen, T0 + 10, "when C itself said so");

    // B tells of C's new address (newer), of a stranger, and of the removed device.
    let word = |device: DeviceId, port: u16, seen: i64| commonroom_proto::frame::DeviceAddress {
        device: device.to_string(),
        addrs: vec![std::net::SocketAddr::from(([10, 9, 9, 9], port))],
        relay: None,
        seen,
    };
    let out = engine.handle(
        Input::PeerAddresses {
            conn: 2,
            devices: vec![
                word(c, 8003, T0 + 35),
                word(stranger, 8009, T0 + 35),
                word(d, 8004, T0 + 35),
                // An old word about C changes nothing.
                word(c, 8103, T0 + 5),
            ],
        },
        at(50),
    );
    let learned: Vec<(DeviceId, Vec<std::net::SocketAddr>)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Learn { peer, addrs, .. } => Some((*peer, addrs.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(learned, [(c, vec!["10.9.9.9:8003".parse().unwrap()])]);
    // C takes no books (an older node), so hears nothing; nothing goes back to B.
    assert!(books(&sent_on(&out, 3)).is_empty());
    assert!(books(&sent_on(&out, 2)).is_empty());
    // And `peers` reports what was heard.
    let out = engine.handle(
        Input::Request {
            id: 61,
            request: Request::Peers {
                community: community.clone(),
            },
        },
        at(60),
    );
    let Some(Ok(Response::Peers(peers))) = reply(&out) else {
        panic!("peers: {out:?}");
    };
    let cai = peers.iter().find(|p| p.device == c).unwrap();
    assert_eq!(cai.addrs, ["10.9.9.9:8003".parse().unwrap()]);
    assert!(peers.iter().all(|p| p.device != stranger));
}
