//! Fuzzing every decoder that sees peer bytes: frames (hellos, join requests and replies
//! among them), invite tickets, sync messages before and after the limits check, and
//! snapshots. Inputs are mutations of real encodings (bit flips, interesting values,
//! LEB128 numbers of every size, truncation, splices) and plain random bytes, from a seeded
//! generator: a failure prints its seed and input index, and reproduces exactly.
//!
//! Each input must not panic, and must not make the decoder allocate beyond its stated
//! limit (read from a counting allocator). The quick run (20,000 inputs per decoder, or
//! `COMMONROOM_FUZZ_INPUTS`) is part of the test suite; the long one (1,000,000 per
//! decoder) is `--ignored`:
//!
//! ```sh
//! cargo test --release -p commonroom-proto --test fuzz -- --ignored --nocapture
//! ```
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
#![allow(
    unsafe_code,
    reason = "a counting allocator wraps the system one, to bound what a decoder allocates"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicIsize, Ordering};

use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use commonroom_proto::checked::{self, CheckedMessage, MAX_INFLATED_BYTES};
use commonroom_proto::frame::{DeviceAddress, FrameDecoder, Hello, JoinReply, JoinRequest};
use commonroom_proto::{Frame, SyncSession, Ticket};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grew(by: usize) {
    let by = by as isize;
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub((layout.size() - new_size) as isize, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The decoders share the allocator's counters: one fuzz run at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A small, fast, seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn leb(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// One input: a mutation of a seed, or random bytes.
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng.below(16) == 0 {
        let len = rng.below(256);
        return (0..len).map(|_| rng.next() as u8).collect();
    }
    let mut bytes = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            bytes.push(rng.next() as u8);
        }
        let at = rng.below(bytes.len());
        match rng.below(7) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x42, 0x43][rng.below(7)],
            2 => {
                // A LEB128 number of any size where one was (or was not).
                let value = match rng.below(4) {
                    0 => rng.below(8) as u64,
                    1 => rng.next() >> rng.below(64),
                    2 => u64::from(u32::MAX),
                    _ => u64::MAX,
                };
                let end = (at + 1 + rng.below(3)).min(bytes.len());
                bytes.splice(at..end, leb(value));
            }
            3 => bytes.truncate(at),
            4 => {
                let from = rng.below(bytes.len());
                let len = rng.below(32).min(bytes.len() - from);
                let piece: Vec<u8> = bytes[from..from + len].to_vec();
                bytes.splice(at..at, piece);
            }
            5 => {
                let len = rng.below(8).min(bytes.len() - at);
                bytes.drain(at..at + len);
            }
            _ => bytes.insert(at, rng.next() as u8),
        }
    }
    bytes
}

/// Runs `decode` on `inputs` inputs; fails on a panic, or when an input makes it allocate
/// more than `limit(input)` bytes beyond what was live before it. `decode` says whether
/// the input was accepted (reached the deepest stage), so the run reports its coverage.
fn fuzz(
    name: &str,
    seed: u64,
    inputs: usize,
    seeds: &[Vec<u8>],
    limit: impl Fn(&[u8]) -> usize,
    mut decode: impl FnMut(&[u8]) -> bool,
) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut rng = Rng(seed | 1);
    let mut worst = 0isize;
    let mut accepted = 0usize;
    let started = std::time::Instant::now();
    for i in 0..inputs {
        let input = mutate(&mut rng, seeds);
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| decode(&input)));
        let rose = PEAK.load(Ordering::Relaxed) - before;
        accepted += usize::from(matches!(outcome, Ok(true)));
        assert!(
            outcome.is_ok(),
            "{name}: input {i} of seed {seed} panicked: {input:02x?}"
        );
        let allowed = limit(&input) as isize;
        assert!(
            rose <= allowed,
            "{name}: input {i} of seed {seed} allocated {rose} bytes (limit {allowed}): {input:02x?}"
        );
        worst = worst.max(rose);
    }
    println!(
        "{name}: {inputs} inputs in {:.1} s ({accepted} accepted), no panic, largest allocation {:.1} KiB",
        started.elapsed().as_secs_f64(),
        worst as f64 / 1024.0
    );
}

/// A small community's worth of sync traffic, and its saved forms.
struct Corpus {
    messages: Vec<Vec<u8>>,
    documents: Vec<Vec<u8>>,
    base: AutoCommit,
}

fn corpus() -> Corpus {
    let mut a = AutoCommit::new();
    let text = a
        .put_object(ROOT, "terms", automerge::ObjType::Text)
        .unwrap();
    a.commit();
    let after_root = a.get_heads();
    for i in 0..12 {
        a.put(
            ROOT,
            format!("note{i}"),
            format!("a note about housing {i}"),
        )
        .unwrap();
        a.splice_text(&text, 0, 0, "We meet monthly. ").unwrap();
        a.commit();
    }
    let mut b = AutoCommit::new();
    let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
    let mut messages = Vec::new();
    for _ in 0..8 {
        if let Some(m) = a.sync().generate_sync_message(&mut sa) {
            let bytes = m.encode();
            messages.push(bytes.clone());
            b.sync()
                .receive_sync_message(&mut sb, automerge::sync::Message::decode(&bytes).unwrap())
                .unwrap();
        }
        if let Some(m) = b.sync().generate_sync_message(&mut sb) {
            let bytes = m.encode();
            messages.push(bytes.clone());
            a.sync()
                .receive_sync_message(&mut sa, automerge::sync::Message::decode(&bytes).unwrap())
                .unwrap();
        }
    }
    // The Bloom filter that once stopped a node (one entry, zero bits), kept as a seed.
    let mut crasher = vec![0x42, 1];
    crasher.extend_from_slice(&[7; 32]);
    crasher.extend_from_slice(&[0, 1, 0, 3, 1, 0, 7, 0]);
    messages.push(crasher);
    let documents = vec![a.save(), a.save_after(&after_root), a.save_nocompress()];
    Corpus {
        messages,
        documents,
        base: AutoCommit::new(),
    }
}

fn frame_seeds() -> Vec<Vec<u8>> {
    let hello = Frame::Hello(Hello {
        version: 1,
        community: "01JCOMMUNITY0000000000000".into(),
        addrs: vec![
            "127.0.0.1:4000".parse().unwrap(),
            "[::1]:4000".parse().unwrap(),
        ],
        relay: Some("https://relay.example.org./".into()),
        shares_addresses: true,
        shares_docs: true,
        doc_snapshots: true,
    });
    let addresses = Frame::Addresses(vec![DeviceAddress {
        device: "ab".repeat(32),
        addrs: vec!["10.0.0.7:4000".parse().unwrap()],
        relay: Some("https://relay.example.org./".into()),
        seen: 1_780_000_000_000,
    }]);
    let join = Frame::Join(JoinRequest {
        version: 1,
        community: "01JCOMMUNITY0000000000000".into(),
        invite: "ab".repeat(32),
        signature: "cd".repeat(64),
        name: "Sam Lee".into(),
        focus: vec!["housing".into()],
        addrs: vec!["10.0.0.2:4000".parse().unwrap()],
        relay: None,
    });
    let joined = Frame::Joined(JoinReply {
        member: "01JMEMBER".into(),
    });
    let mut stream: Vec<u8> = Vec::new();
    for frame in [&hello, &Frame::Accept, &Frame::Sync(vec![0x42, 0, 0, 0, 0])] {
        stream.extend(frame.encode());
    }
    vec![
        hello.encode(),
        join.encode(),
        joined.encode(),
        addresses.encode(),
        Frame::Refuse("not a member".into()).encode(),
        Frame::Snapshot(vec![1, 2, 3]).encode(),
        Frame::DocSync {
            doc: "thread-01ARZ3NDEKTSV4RRFFQ69G5FAV".into(),
            message: vec![0x42, 0, 0, 0, 0],
        }
        .encode(),
        Frame::DocHeads(vec![
            commonroom_proto::DocHeads {
                doc: "conversations".into(),
                heads: vec![[7; 32]],
            },
            commonroom_proto::DocHeads {
                doc: "thread-01ARZ3NDEKTSV4RRFFQ69G5FAV".into(),
                heads: vec![[1; 32], [2; 32]],
            },
        ])
        .encode(),
        stream,
    ]
}

fn inputs() -> usize {
    std::env::var("COMMONROOM_FUZZ_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

fn seed() -> u64 {
    std::env::var("COMMONROOM_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// What a frame decoder may allocate for an input: a copy of it and a little more (it
/// never allocates from a header's word).
fn frame_limit(input: &[u8]) -> usize {
    4 * input.len() + 4096
}

/// What the limits check may allocate: a few copies of the input, and inflating at most
/// the per-message budget.
fn check_limit(input: &[u8]) -> usize {
    8 * input.len() + MAX_INFLATED_BYTES + 64 * 1024
}

fn run_all(inputs: usize, seed: u64) {
    let frames = frame_seeds();
    fuzz("frames", seed, inputs, &frames, frame_limit, |bytes| {
        let mut decoder = FrameDecoder::new();
        decoder.push(bytes);
        let mut any = false;
        for _ in 0..16 {
            match decoder.next_frame() {
                Ok(Some(_)) => any = true,
                Ok(None) | Err(_) => break,
            }
        }
        any
    });

    let tickets: Vec<Vec<u8>> = [
        Ticket {
            community: "01JCOMMUNITY0000000000000".into(),
            inviter: [3; 32],
            addrs: vec!["192.168.1.20:4000".parse().unwrap()],
            relay: Some("https://relay.example.org./".into()),
            secret: [9; 32],
            others: Vec::new(),
        },
        Ticket {
            community: "01JOTHER".into(),
            inviter: [4; 32],
            addrs: vec![],
            relay: None,
            secret: [1; 32],
            others: vec![commonroom_proto::invite::TicketPeer {
                id: [5; 32],
                addrs: vec!["10.1.1.1:4000".parse().unwrap()],
                relay: Some("https://relay.example.org./".into()),
            }],
        },
    ]
    .iter()
    .map(|t| t.encode().into_bytes())
    .collect();
    fuzz("tickets", seed, inputs, &tickets, frame_limit, |bytes| {
        Ticket::decode(&String::from_utf8_lossy(bytes)).is_ok()
    });

    let corpus = corpus();
    fuzz(
        "sync messages (limits check)",
        seed,
        inputs,
        &corpus.messages,
        check_limit,
        |bytes| checked::sync_message(bytes).is_ok(),
    );
    let base = corpus.base;
    fuzz(
        "sync messages (checked, then applied by a session)",
        seed,
        inputs,
        &corpus.messages,
        |input| check_limit(input) + 64 * 1024 * 1024,
        |bytes| {
            let Ok(message) = CheckedMessage::check(bytes.to_vec()) else {
                return false;
            };
            let mut doc = base.clone();
            let mut session = SyncSession::new();
            let applied = session.receive_checked(&mut doc, &message).is_ok();
            let _ = session.generate(&mut doc);
            applied
        },
    );
    fuzz(
        "snapshots (checked, then loaded)",
        seed,
        inputs,
        &corpus.documents,
        |input| check_limit(input) + 64 * 1024 * 1024,
        |bytes| {
            if checked::document(bytes).is_err() {
                return false;
            }
            let mut doc = AutoCommit::new();
            doc.load_incremental(bytes).is_ok()
        },
    );
}

#[test]
fn peer_bytes_never_panic_a_decoder_nor_allocate_beyond_its_limit() {
    run_all(inputs(), seed());
}

#[test]
#[ignore = "a million inputs per decoder: run with --release (see the module docs)"]
fn a_million_inputs_per_decoder() {
    run_all(1_000_000, seed());
}
