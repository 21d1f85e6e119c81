//! Strangers, bad invites and misbehaving peers, over real endpoints on loopback.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use common::{
    addr_of, eventually, found, invite_and_join, node, node_with_raw_member_device, note,
    note_texts, stranger,
};
use commonroom_model::{Command, CommunityId};
use commonroom_net::NetError;
use commonroom_net::dial::dial_sync;
use commonroom_proto::{ALPN_SYNC, Ticket};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_gets_no_document_data() {
    let da = tempfile::tempdir().unwrap();
    let a = node(da.path()).await;
    let ha = a.handle();
    let id = found(&ha, "Private CoP").await;
    ha.apply(id.clone(), note("secret minutes")).await.unwrap();
    // A conversation too: its documents sit behind the same gate.
    ha.converse(
        id.clone(),
        commonroom_model::conversations::Converse::StartThread(
            commonroom_model::conversations::NewThread {
                id: commonroom_model::ThreadId::generate(),
                first: commonroom_model::MessageId::generate(),
                channel: commonroom_model::ChannelId::new("general"),
                title: "Private worries".into(),
                text: "secret question".into(),
                question: true,
                tags: vec![],
                mentions: vec![],
                theme: None,
            },
        ),
    )
    .await
    .unwrap();
    let addrs = ha.addrs().await.unwrap();

    let s = stranger(99).await;
    let err = dial_sync(&s, addr_of(ha.endpoint_id(), &addrs), id.as_str(), vec![])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NetError::Refused(reason) if reason.contains("not a member")),
        "{err}"
    );
    // An unknown community is refused the same way (fail closed).
    let err = dial_sync(
        &s,
        addr_of(ha.endpoint_id(), &addrs),
        "no-such-community",
        vec![],
    )
    .await
    .unwrap_err();
    assert!(matches!(err, NetError::Refused(_)), "{err}");

    // The raw stream carries nothing but the refusal.
    let conn = s
        .endpoint
        .connect(addr_of(ha.endpoint_id(), &addrs), ALPN_SYNC)
        .await
        .unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let hello = commonroom_proto::Frame::Hello(commonroom_proto::frame::Hello {
        version: 1,
        community: id.to_string(),
        addrs: vec![],
        relay: None,
        shares_addresses: true,
        shares_docs: true,
        doc_snapshots: true,
    });
    send.write_all(&hello.encode()).await.unwrap();
    let bytes = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(1 << 20))
        .await
        .unwrap()
        .unwrap_or_default();
    let refusal =
        commonroom_proto::Frame::Refuse("this device is not a member of that community".into())
            .encode();
    assert_eq!(bytes, refusal, "only the refusal, no document bytes");
    // Opening with a conversation's sync message instead of a hello gets nothing at all.
    let conn = s
        .endpoint
        .connect(addr_of(ha.endpoint_id(), &addrs), ALPN_SYNC)
        .await
        .unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let opening = commonroom_proto::Frame::DocSync {
        doc: "conversations".into(),
        message: vec![0x42, 0, 0, 0, 0],
    };
    send.write_all(&opening.encode()).await.unwrap();
    let bytes = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(1 << 20))
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(bytes.is_empty(), "a stranger read {} bytes", bytes.len());
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_expired_and_forged_invites_are_refused() {
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = node(dirs[0].path()).await;
    let ha = a.handle();
    let id = found(&ha, "Invite CoP").await;

    // Used once, refused the second time.
    let ticket = ha
        .invite(id.clone(), Duration::from_secs(3600))
        .await
        .unwrap();
    let b = node(dirs[1].path()).await;
    b.handle()
        .join(ticket.clone(), "Bea".into(), vec![])
        .await
        .unwrap();
    let c = node(dirs[2].path()).await;
    let err = c
        .handle()
        .join(ticket, "Cai".into(), vec![])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already been used"), "{err}");

    // Expired.
    let short = ha
        .invite(id.clone(), Duration::from_millis(300))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let err = c
        .handle()
        .join(short, "Cai".into(), vec![])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");

    // Forged: the right inviter and community, a made-up secret.
    let real = ha
        .invite(id.clone(), Duration::from_secs(3600))
        .await
        .unwrap();
    let forged = Ticket {
        secret: [42; 32],
        ..real.clone()
    };
    let err = c
        .handle()
        .join(forged, "Mallory".into(), vec![])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not valid here"), "{err}");
    // Damaged text never gets as far as the network.
    assert!(Ticket::decode(&real.encode()[..40]).is_err());

    // Nothing was admitted by the refused attempts.
    let view = ha.view(id.clone()).await.unwrap();
    let names: Vec<&str> = view.members.values().map(|m| m.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    for n in [a, b, c] {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_truncated_and_huge_frames_are_cut_off_and_the_node_serves_on() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(da.path()).await;
    let b = node(db.path()).await;
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Robust CoP").await;
    invite_and_join(&ha, &hb, &id, "Bea").await;
    let addrs = ha.addrs().await.unwrap();

    // An admitted device that misbehaves: link a raw endpoint as one of Alex's devices.
    let rogue = stranger(77).await;
    let me = ha.me(id.clone()).await.unwrap().unwrap();
    ha.apply(
        id.clone(),
        Command::LinkDevice {
            member: me,
            device: rogue.endpoint.id().to_string(),
            label: "rogue".into(),
        },
    )
    .await
    .unwrap();

    let attacks: Vec<(&str, Vec<u8>)> = vec![
        (
            "garbage before hello",
            b"\x00\x00\x00\x10\x09garbage garbage!".to_vec(),
        ),
        ("a frame announcing 4 GiB", vec![0xFF, 0xFF, 0xFF, 0xFF, 4]),
        ("a truncated hello", vec![0, 0, 0, 100, 1, b'{', b'"']),
    ];
    for (what, bytes) in attacks {
        let conn = rogue
            .endpoint
            .connect(addr_of(ha.endpoint_id(), &addrs), ALPN_SYNC)
            .await
            .unwrap();
        let (mut send, _recv) = conn.open_bi().await.unwrap();
        send.write_all(&bytes).await.unwrap();
        send.finish().unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(15), conn.closed()).await;
        assert!(
            closed.is_ok(),
            "the node closed the connection after {what}"
        );
    }
    // After a valid handshake, garbage and an oversized sync frame also end the connection.
    for bytes in [
        vec![0, 0, 0, 8, 4, 1, 2, 3, 4, 5, 6, 7, 8],
        vec![0xFF, 0xFF, 0xFF, 0xF0, 4],
    ] {
        let (conn, mut send, _recv) = dial_sync(
            &rogue,
            addr_of(ha.endpoint_id(), &addrs),
            id.as_str(),
            vec![],
        )
        .await
        .unwrap();
        send.write_all(&bytes).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(15), conn.closed()).await;
        assert!(closed.is_ok(), "closed after a bad sync frame");
    }

    // The node still serves its members.
    ha.apply(id.clone(), note("still serving")).await.unwrap();
    eventually(
        "A's edit on B after the attacks",
        Duration::from_secs(20),
        || async {
            note_texts(&hb, &id)
                .await
                .contains(&"still serving".to_string())
        },
    )
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_strangers_cannot_starve_members() {
    let da = tempfile::tempdir().unwrap();
    let (a, id, addrs, member_device) =
        node_with_raw_member_device(da.path(), "Busy CoP", 200).await;
    let ha = a.handle();

    // 40 strangers connect and say nothing, holding their handshakes open.
    let mut crowd = Vec::new();
    for seed in 0..40u8 {
        let s = stranger(seed).await;
        let conn = s
            .endpoint
            .connect(addr_of(ha.endpoint_id(), &addrs), ALPN_SYNC)
            .await
            .unwrap();
        crowd.push((s, conn));
    }
    // Beyond the budget they are turned away at once...
    let started = std::time::Instant::now();
    let mut turned_away = 0;
    for (_, conn) in &crowd {
        if tokio::time::timeout(Duration::from_millis(50), conn.closed())
            .await
            .is_ok()
        {
            turned_away += 1;
        }
    }
    assert!(
        turned_away >= 40 - commonroom_net::limits::MAX_STRANGER_HANDSHAKES,
        "{turned_away} of 40 silent strangers were turned away"
    );
    // ...while a member's device is still admitted at once.
    let t = std::time::Instant::now();
    let (conn, _send, _recv) = dial_sync(
        &member_device,
        addr_of(ha.endpoint_id(), &addrs),
        id.as_str(),
        vec![],
    )
    .await
    .unwrap();
    println!(
        "member admitted in {:?} with {turned_away} strangers turned away in {:?}",
        t.elapsed(),
        started.elapsed()
    );
    // Waiting for a stranger's slot would take a whole handshake timeout.
    assert!(
        t.elapsed() < commonroom_net::handlers::HANDSHAKE_TIMEOUT / 2,
        "the member waited {:?}",
        t.elapsed()
    );
    conn.close(0u32.into(), b"done");
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_is_cut_off_by_every_node_that_saw_the_removal() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = node(dirs[0].path()).await;
    let b = node(dirs[1].path()).await;
    let c = node(dirs[2].path()).await;
    let (ha, hb, hc) = (a.handle(), b.handle(), c.handle());
    let id = found(&ha, "Removal CoP").await;
    invite_and_join(&ha, &hb, &id, "Bea").await;
    invite_and_join(&ha, &hc, &id, "Cai").await;
    let cai = hc.me(id.clone()).await.unwrap().unwrap();
    // Everyone knows everyone before the removal.
    eventually("B knows Cai", Duration::from_secs(20), || async {
        hb.view(id.clone())
            .await
            .unwrap()
            .members
            .contains_key(&cai)
    })
    .await;

    ha.apply(
        id.clone(),
        Command::RemoveMember {
            id: cai.clone(),
            reason: Some("left the group".into()),
        },
    )
    .await
    .unwrap();
    eventually("B has the removal", Duration::from_secs(20), || async {
        hb.view(id.clone())
            .await
            .unwrap()
            .removals
            .contains_key(&cai)
    })
    .await;
    // Neither A nor B keeps a live connection with C's device...
    let c_device = hc.endpoint_id();
    for (name, h) in [("A", &ha), ("B", &hb)] {
        eventually(
            &format!("{name} drops C"),
            Duration::from_secs(20),
            || async {
                h.peers(id.clone())
                    .await
                    .unwrap()
                    .iter()
                    .all(|p| p.endpoint != c_device || !p.online)
            },
        )
        .await;
    }
    // C's own node learned of its removal before it was let go (its window says so).
    eventually(
        "C knows it was removed",
        Duration::from_secs(20),
        || async {
            hc.view(id.clone())
                .await
                .unwrap()
                .removals
                .contains_key(&cai)
        },
    )
    .await;
    // ...and both refuse C's device from now on: C's own node gets nothing new.
    let before = note_texts(&hc, &id).await;
    ha.apply(id.clone(), note("after Cai left")).await.unwrap();
    hb.apply(id.clone(), note("B, after Cai left"))
        .await
        .unwrap();
    let report = hc
        .sync_now(id.clone(), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        report.synced.is_empty(),
        "C synced with {:?}",
        report.synced
    );
    let after = note_texts(&hc, &id).await;
    assert_eq!(before, after, "C received nothing after its removal");
    for n in [a, b, c] {
        n.shutdown().await;
    }
}

/// Edits on A, each timed until B has it durably (B's change event).
async fn propagation_latencies(
    ha: &commonroom_node::NodeHandle,
    hb: &commonroom_node::NodeHandle,
    id: &CommunityId,
    edits: usize,
) -> Vec<Duration> {
    let mut events = hb.subscribe();
    let mut latencies = Vec::with_capacity(edits);
    for i in 0..edits {
        while events.try_recv().is_ok() {}
        let t = std::time::Instant::now();
        ha.apply(id.to_owned(), note(&format!("edit {i}")))
            .await
            .unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
                Ok(Ok(commonroom_node::Event::Changed { remote: true, .. })) => break,
                Ok(_) => continue,
                Err(_) => panic!("edit {i} did not reach the other member within 10 s"),
            }
        }
        latencies.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    latencies.sort();
    latencies
}

fn ms_at(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A stranger makes 100 connection attempts a second for 5 seconds. Every attempt is
/// refused, and a member's live edits keep reaching the other member meanwhile; their
/// latency is measured against a quiet baseline in the same run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_hammering_the_node_leaves_it_responsive_to_members() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(da.path()).await;
    let b = node(db.path()).await;
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Hammered CoP").await;
    invite_and_join(&ha, &hb, &id, "Bea").await;
    let quiet = propagation_latencies(&ha, &hb, &id, 25).await;

    let addrs = ha.addrs().await.unwrap();
    let target = addr_of(ha.endpoint_id(), &addrs);
    let attacker = std::sync::Arc::new(stranger(77).await);
    let flood_id = id.clone();
    let flood = tokio::spawn(async move {
        let mut attempts = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        for _ in 0..500 {
            tick.tick().await;
            let (attacker, target, community) =
                (attacker.clone(), target.clone(), flood_id.clone());
            attempts.push(tokio::spawn(async move {
                tokio::time::timeout(
                    Duration::from_secs(15),
                    dial_sync(&attacker, target, community.as_str(), vec![]),
                )
                .await
            }));
        }
        let mut admitted = 0;
        for attempt in attempts {
            if let Ok(Ok(Ok(_))) = attempt.await {
                admitted += 1;
            }
        }
        admitted
    });
    let busy = propagation_latencies(&ha, &hb, &id, 40).await;
    let admitted = flood.await.unwrap();
    assert_eq!(admitted, 0, "no stranger connection got past the gate");
    println!(
        "member edit latency, quiet: p50 {:.1} ms, p99 {:.1} ms; while a stranger makes 100 attempts/s: p50 {:.1} ms, p99 {:.1} ms (ratio p50 {:.2})",
        ms_at(&quiet, 0.5),
        ms_at(&quiet, 0.99),
        ms_at(&busy, 0.5),
        ms_at(&busy, 0.99),
        ms_at(&busy, 0.5) / ms_at(&quiet, 0.5)
    );
    // Still serving after the flood: one more edit arrives.
    let after = propagation_latencies(&ha, &hb, &id, 1).await;
    assert_eq!(after.len(), 1);
    a.shutdown().await;
    b.shutdown().await;
}

/// Messages the node has taken in from the one connected peer.
async fn messages_in(handle: &commonroom_node::NodeHandle, id: &CommunityId) -> u64 {
    handle
        .peers(id.clone())
        .await
        .unwrap()
        .iter()
        .filter(|p| p.online)
        .map(|p| p.traffic.messages_in)
        .sum()
}

/// A member's device sends 1,000 sync frames as fast as it can. The node takes in the
/// burst, then no more than its per-peer rate, and keeps the connection open: the flood
/// is slowed, not dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_flooding_frames_is_paced_to_its_budget() {
    use commonroom_model::automerge::sync::SyncDoc;
    use commonroom_net::limits::{FRAME_BURST, FRAMES_PER_SECOND};

    let da = tempfile::tempdir().unwrap();
    let (a, id, addrs, device) = node_with_raw_member_device(da.path(), "Flooded CoP", 201).await;
    let ha = a.handle();
    let (conn, mut send, mut recv) = dial_sync(
        &device,
        addr_of(ha.endpoint_id(), &addrs),
        id.as_str(),
        vec![],
    )
    .await
    .unwrap();
    // Read whatever the node answers, so its side never stalls on us.
    let drain = tokio::spawn(async move {
        while let Ok(Some(_)) = commonroom_net::framed::read_frame(&mut recv).await {}
    });
    // A device with one change of its own says so, again and again. (A device with
    // nothing at all may say so only once or twice per connection: each such message
    // asks for everything.)
    let mut own = commonroom_model::automerge::AutoCommit::new();
    commonroom_model::automerge::transaction::Transactable::put(
        &mut own,
        commonroom_model::automerge::ROOT,
        "k",
        1,
    )
    .unwrap();
    own.commit();
    let message = own
        .sync()
        .generate_sync_message(&mut commonroom_model::automerge::sync::State::new())
        .unwrap();
    let message = commonroom_model::automerge::sync::Message {
        have: Vec::new(),
        ..message
    }
    .encode();
    const FLOOD: u64 = 1_000;
    let started = std::time::Instant::now();
    for _ in 0..FLOOD {
        commonroom_net::framed::write_frame(
            &mut send,
            &commonroom_proto::Frame::Sync(message.clone()),
        )
        .await
        .unwrap();
    }
    tokio::time::sleep_until((started + Duration::from_secs(1)).into()).await;
    let after_one_second = messages_in(&ha, &id).await;
    let allowed = (FRAME_BURST + FRAMES_PER_SECOND) as u64;
    assert!(
        after_one_second <= allowed + 20,
        "one second in, the node took {after_one_second} frames (budget {allowed})"
    );
    eventually("every frame taken in", Duration::from_secs(20), || async {
        messages_in(&ha, &id).await >= FLOOD - 1
    })
    .await;
    let took = started.elapsed().as_secs_f64();
    let paced = (FLOOD as f64 - FRAME_BURST) / FRAMES_PER_SECOND;
    println!(
        "{FLOOD} frames from one member: {after_one_second} taken in the first second, all after {took:.2} s (budget pace {paced:.2} s)"
    );
    assert!(took >= paced * 0.9, "the flood was not paced: {took:.2} s");
    assert!(
        conn.close_reason().is_none(),
        "the flooder was slowed, not cut off"
    );
    conn.close(0u32.into(), b"done");
    drain.abort();
    a.shutdown().await;
}

/// Everything a stranger reads on a connection it opens with `alpn` and `opening`, until the
/// node closes it.
async fn what_a_stranger_reads(
    s: &commonroom_net::Bound,
    to: iroh::EndpointAddr,
    alpn: &[u8],
    opening: commonroom_proto::Frame,
) -> Vec<u8> {
    let conn = s.endpoint.connect(to, alpn).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&opening.encode()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(1 << 20))
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_learn_each_others_addresses_and_a_stranger_learns_none() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = node(dirs[0].path()).await;
    let b = node(dirs[1].path()).await;
    let c = node(dirs[2].path()).await;
    let (ha, hb, hc) = (a.handle(), b.handle(), c.handle());
    let id = found(&ha, "Address book CoP").await;
    invite_and_join(&ha, &hb, &id, "Bea").await;
    invite_and_join(&ha, &hc, &id, "Cai").await;
    // B and C met only A; each learns from A how to reach the other, and they connect.
    let c_addrs = hc.addrs().await.unwrap();
    eventually("B knows C's address, from A", WAIT, || async {
        hb.peers(id.clone())
            .await
            .unwrap()
            .iter()
            .any(|p| p.endpoint == hc.endpoint_id() && p.addrs.iter().any(|a| c_addrs.contains(a)))
    })
    .await;
    eventually("B and C connected to each other", WAIT, || async {
        hb.peers(id.clone())
            .await
            .unwrap()
            .iter()
            .any(|p| p.endpoint == hc.endpoint_id() && p.online)
    })
    .await;

    // A stranger asking A or B for the community, or presenting a forged invite, reads a
    // refusal and nothing else: no member's address, no port.
    let s = stranger(77).await;
    let b_addrs = hb.addrs().await.unwrap();
    let ports: Vec<String> = c_addrs
        .iter()
        .chain(&b_addrs)
        .map(|a| a.port().to_string())
        .collect();
    let hello = commonroom_proto::Frame::Hello(commonroom_proto::frame::Hello {
        version: 1,
        community: id.to_string(),
        addrs: vec![],
        relay: None,
        shares_addresses: true,
        shares_docs: true,
        doc_snapshots: true,
    });
    let key = commonroom_proto::InviteKey::from_secret(&[5; 32]);
    let forged = commonroom_proto::Frame::Join(commonroom_proto::frame::JoinRequest {
        version: 1,
        community: id.to_string(),
        invite: key.public_hex(),
        signature: key.sign_join(id.as_str(), s.endpoint.id().as_bytes()),
        name: "Mallory".into(),
        focus: vec![],
        addrs: vec![],
        relay: None,
    });
    let a_addrs = ha.addrs().await.unwrap();
    for (to, alpn, opening) in [
        (
            addr_of(ha.endpoint_id(), &a_addrs),
            ALPN_SYNC,
            hello.clone(),
        ),
        (addr_of(hb.endpoint_id(), &b_addrs), ALPN_SYNC, hello),
        (
            addr_of(ha.endpoint_id(), &a_addrs),
            commonroom_proto::ALPN_JOIN,
            forged,
        ),
    ] {
        let bytes = what_a_stranger_reads(&s, to, alpn, opening).await;
        let mut decoder = commonroom_proto::frame::FrameDecoder::new();
        decoder.push(&bytes);
        let frame = decoder.next_frame().unwrap().expect("a refusal");
        assert!(
            matches!(frame, commonroom_proto::Frame::Refuse(_)),
            "{frame:?}"
        );
        assert_eq!(decoder.buffered(), 0, "nothing after the refusal");
        let text = String::from_utf8_lossy(&bytes);
        for port in &ports {
            assert!(!text.contains(port.as_str()), "{text}");
        }
    }
    for node in [a, b, c] {
        node.shutdown().await;
    }
}
