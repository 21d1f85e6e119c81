//! Peer bytes never panic a decoder, and oversized announcements are refused from the header.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use commonroom_proto::frame::{DeviceAddress, FrameDecoder, Hello};
use commonroom_proto::{Frame, FrameError, Header, MAX_SYNC_LEN, SyncSession, Ticket};
use proptest::prelude::*;

#[test]
fn a_frame_announcing_4_gib_is_refused_from_its_header() {
    let header = [0xFF, 0xFF, 0xFF, 0xFF, 4];
    assert!(matches!(
        Header::parse(header),
        Err(FrameError::TooLarge { len: u32::MAX, .. })
    ));
    let mut decoder = FrameDecoder::new();
    decoder.push(&header);
    assert!(decoder.next_frame().is_err());
    assert_eq!(
        decoder.buffered(),
        5,
        "nothing was allocated for the payload"
    );
    let control = [0, 1, 0, 1, 1]; // a 65,537-byte hello
    assert!(matches!(
        Header::parse(control),
        Err(FrameError::TooLarge { .. })
    ));
    let _ = MAX_SYNC_LEN;
}

#[test]
fn frames_round_trip_through_a_chunked_stream() {
    let frames = vec![
        Frame::Hello(Hello {
            version: 1,
            community: "c".into(),
            addrs: vec!["127.0.0.1:9".parse().unwrap()],
            relay: Some("https://relay.example.org./".into()),
            shares_addresses: true,
            shares_docs: true,
            doc_snapshots: true,
        }),
        Frame::Accept,
        Frame::Addresses(vec![DeviceAddress {
            device: "cd".repeat(32),
            addrs: vec!["127.0.0.1:10".parse().unwrap()],
            relay: None,
            seen: 1,
        }]),
        Frame::Sync(vec![1, 2, 3]),
        Frame::Refuse("not a member".into()),
    ];
    let bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    for chunk in bytes.chunks(3) {
        decoder.push(chunk);
        while let Some(frame) = decoder.next_frame().unwrap() {
            out.push(frame);
        }
    }
    assert_eq!(out, frames);
}

#[test]
fn two_sessions_converge_and_a_fresh_session_resyncs() {
    use commonroom_model::generate::{Spec, generate};
    let mut a = generate(&Spec::small()).into_automerge();
    let mut b = commonroom_model::automerge::AutoCommit::new();
    let (mut sa, mut sb) = (SyncSession::new(), SyncSession::new());
    for _ in 0..20 {
        let mut quiet = true;
        if let Some(m) = sa.generate(&mut a) {
            sb.receive(&mut b, &m).unwrap();
            quiet = false;
        }
        if let Some(m) = sb.generate(&mut b) {
            sa.receive(&mut a, &m).unwrap();
            quiet = false;
        }
        if quiet {
            break;
        }
    }
    assert_eq!(a.get_heads(), b.get_heads());
    assert!(sa.in_sync(&mut a));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_frame_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut decoder = FrameDecoder::new();
        decoder.push(&bytes);
        for _ in 0..64 {
            match decoder.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_sync_session(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut doc = commonroom_model::automerge::AutoCommit::new();
        let mut session = SyncSession::new();
        let _ = session.receive(&mut doc, &bytes);
    }

    #[test]
    fn arbitrary_text_never_panics_the_ticket_parser(text in ".{0,300}") {
        let _ = Ticket::decode(&text);
        let _ = Ticket::decode(&format!("commonroom1{text}"));
    }

    #[test]
    fn arbitrary_ticket_bytes_never_panic_the_parser(
        version in 0u8..4,
        body in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut bytes = vec![version];
        bytes.extend(body);
        let text = format!(
            "commonroom1{}",
            data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
        );
        let _ = Ticket::decode(&text);
    }

    #[test]
    fn tickets_round_trip(
        community in "[0-9A-Z]{26}",
        inviter in any::<[u8; 32]>(),
        secret in any::<[u8; 32]>(),
        addrs in proptest::collection::vec(
            (any::<std::net::IpAddr>(), any::<u16>()).prop_map(std::net::SocketAddr::from),
            0..5,
        ),
        relay in proptest::option::of("https://[a-z0-9-]{1,60}\\.example\\.org\\./"),
    ) {
        let ticket = Ticket { community, inviter, addrs, relay, secret, others: Vec::new() };
        prop_assert_eq!(Ticket::decode(&ticket.encode()).unwrap(), ticket);
    }
}

#[test]
fn an_address_book_beyond_its_limits_is_refused_whole() {
    use commonroom_proto::frame::{MAX_ADDRESSES_PER_FRAME, MAX_ADDRS_PER_DEVICE};
    let entry = |addrs: usize| DeviceAddress {
        device: "ab".repeat(32),
        addrs: (0..addrs)
            .map(|i| std::net::SocketAddr::from(([10, 0, 0, 1], 1000 + i as u16)))
            .collect(),
        relay: None,
        seen: 1,
    };
    let decode = |frame: Frame| {
        let mut decoder = FrameDecoder::new();
        decoder.push(&frame.encode());
        decoder.next_frame()
    };
    let fits = Frame::Addresses(vec![entry(MAX_ADDRS_PER_DEVICE); MAX_ADDRESSES_PER_FRAME]);
    assert_eq!(decode(fits.clone()).unwrap(), Some(fits));
    for over in [
        Frame::Addresses(vec![entry(1); MAX_ADDRESSES_PER_FRAME + 1]),
        Frame::Addresses(vec![entry(MAX_ADDRS_PER_DEVICE + 1)]),
    ] {
        assert!(
            matches!(
                decode(over),
                Err(FrameError::Malformed {
                    kind: "addresses",
                    ..
                })
            ),
            "refused"
        );
    }
    // Not JSON, or not a list of devices.
    for payload in [&b"\xff\xfe"[..], b"{\"device\":1}", b"[{\"seen\":1}]"] {
        let mut bytes = (payload.len() as u32).to_be_bytes().to_vec();
        bytes.push(8);
        bytes.extend_from_slice(payload);
        let mut decoder = FrameDecoder::new();
        decoder.push(&bytes);
        assert!(decoder.next_frame().is_err(), "{payload:?}");
    }
}
