//! Sync benchmark on the generated "five years of a 200-member CoP".
//!
//! Run: `cargo bench -p commonroom-node --bench sync`. Each figure is set against a baseline
//! measured in the same run:
//! (a) a fresh member's full sync (join) over real iroh between two processes, vs the
//!     in-process `automerge::sync` of the same document (target ratio <= 1.3);
//! (b) one-edit propagation between two live nodes, p50 and p99 over 300 edits
//!     (targets: p50 <= 5 ms, p99 <= 25 ms on loopback);
//! (c) bytes on the wire per single edit vs the in-process sync bytes for the same edit
//!     (target ratio <= 1.5).
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use commonroom_model::automerge::{self, AutoCommit};
use commonroom_model::commands::NewNote;
use commonroom_model::generate::{Spec, generate};
use commonroom_model::{Command, CommunityDoc, CommunityId, Ctx, NoteId, Timestamp};
use commonroom_node::{Event, Node, NodeConfig, NodeHandle};

const CHILD: &str = "COMMONROOM_BENCH_INVITER_DIR";
const EDITS: usize = 300;

fn note(i: usize) -> Command {
    Command::AddNote(NewNote {
        id: NoteId::generate(),
        text: format!("Edit {i}: the waiting list at the family hub is shorter this month"),
        event: None,
        theme: None,
        position: None,
        anonymous: false,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

async fn start(dir: &Path) -> Node {
    Node::start(NodeConfig::loopback(dir)).await.unwrap()
}

/// How many fresh members join in (a); the medians are compared.
const JOINS: usize = 5;

/// Automerge's own sync protocol (its `receive_sync_message`), with byte and message counts:
/// the baseline our sessions are measured against.
#[derive(Default)]
struct PureSync {
    state: automerge::sync::State,
    bytes_out: u64,
    messages_out: u64,
}

impl PureSync {
    fn new() -> Self {
        Self::default()
    }

    fn generate(&mut self, doc: &mut AutoCommit) -> Option<Vec<u8>> {
        use automerge::sync::SyncDoc;
        let bytes = doc.sync().generate_sync_message(&mut self.state)?.encode();
        self.bytes_out += bytes.len() as u64;
        self.messages_out += 1;
        Some(bytes)
    }

    fn receive(
        &mut self,
        doc: &mut AutoCommit,
        bytes: &[u8],
    ) -> Result<(), automerge::AutomergeError> {
        use automerge::sync::SyncDoc;
        let message = automerge::sync::Message::decode(bytes).unwrap();
        doc.sync().receive_sync_message(&mut self.state, message)
    }
}

/// In-process automerge sync from a full document to an empty one; returns time, bytes, messages.
fn in_process_full_sync(doc: &mut AutoCommit) -> (Duration, u64, u64) {
    let mut empty = AutoCommit::new();
    let (mut sa, mut sb) = (PureSync::new(), PureSync::new());
    let start = Instant::now();
    loop {
        let mut quiet = true;
        if let Some(m) = sa.generate(doc) {
            sb.receive(&mut empty, &m).unwrap();
            quiet = false;
        }
        if let Some(m) = sb.generate(&mut empty) {
            sa.receive(doc, &m).unwrap();
            quiet = false;
        }
        if quiet {
            break;
        }
    }
    let took = start.elapsed();
    assert_eq!(doc.get_heads(), empty.get_heads());
    (
        took,
        sa.bytes_out + sb.bytes_out,
        sa.messages_out + sb.messages_out,
    )
}

/// In-process: two synced documents, one edit, sync until quiet; returns bytes, messages
/// and the median time of one edit's propagation (apply on A, generate, receive on B).
fn in_process_edit_bytes(doc: &mut CommunityDoc) -> (u64, u64, Duration) {
    let mut other = CommunityDoc::from_automerge_unchecked(AutoCommit::load(&doc.save()).unwrap());
    let (mut sa, mut sb) = (PureSync::new(), PureSync::new());
    let exchange =
        |a: &mut CommunityDoc, b: &mut CommunityDoc, sa: &mut PureSync, sb: &mut PureSync| loop {
            let mut quiet = true;
            if let Some(m) = sa.generate(a.automerge_mut()) {
                sb.receive(b.automerge_mut(), &m).unwrap();
                quiet = false;
            }
            if let Some(m) = sb.generate(b.automerge_mut()) {
                sa.receive(a.automerge_mut(), &m).unwrap();
                quiet = false;
            }
            if quiet {
                break;
            }
        };
    exchange(doc, &mut other, &mut sa, &mut sb);
    let (bytes0, msgs0) = (
        sa.bytes_out + sb.bytes_out,
        sa.messages_out + sb.messages_out,
    );
    // Changes are written by a member (the role rules are checked on every write).
    let by = commonroom_model::CommunityView::hydrate(doc)
        .unwrap()
        .active_members()
        .first()
        .map(|m| m.id.clone());
    let ctx = Ctx {
        by,
        now: Timestamp::now(),
    };
    doc.apply(&ctx, note(0)).unwrap();
    exchange(doc, &mut other, &mut sa, &mut sb);
    let bytes = sa.bytes_out + sb.bytes_out - bytes0;
    let msgs = sa.messages_out + sb.messages_out - msgs0;
    let mut times = Vec::new();
    for i in 0..50 {
        let t = Instant::now();
        doc.apply(&ctx, note(i)).unwrap();
        let m = sa.generate(doc.automerge_mut()).unwrap();
        sb.receive(other.automerge_mut(), &m).unwrap();
        times.push(t.elapsed());
        exchange(doc, &mut other, &mut sa, &mut sb);
    }
    (bytes, msgs, percentile(&mut times, 0.5))
}

async fn traffic(handle: &NodeHandle, community: &CommunityId) -> (u64, u64) {
    let peers = handle.peers(community.clone()).await.unwrap();
    let t = peers
        .iter()
        .find(|p| p.online)
        .map(|p| p.traffic)
        .unwrap_or_default();
    (t.bytes_out + t.bytes_in, t.messages_out + t.messages_in)
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD) {
        support::serve_invites(&dir, JOINS);
        return;
    }
    let spec = Spec::default();
    println!("# Commonroom sync benchmark");
    println!(
        "community: {} members, {} events, {} notes, {} changes",
        spec.members,
        spec.events,
        spec.notes,
        spec.changes()
    );

    // Baselines in this process.
    let mut full = generate(&spec);
    // The node serves the community as loaded from its data directory, so the baseline
    // syncs the same document loaded from its saved bytes.
    let saved = full.save();
    let mut baselines = Vec::new();
    let (mut base_bytes, mut base_msgs) = (0, 0);
    for _ in 0..JOINS {
        let mut loaded = AutoCommit::load(&saved).unwrap();
        let (took, bytes, msgs) = in_process_full_sync(&mut loaded);
        baselines.push(took);
        (base_bytes, base_msgs) = (bytes, msgs);
    }
    let baseline = percentile(&mut baselines, 0.5);
    let (in_memory, _, _) = in_process_full_sync(full.automerge_mut());
    println!(
        "(a) reference: the same sync from the generator's in-memory document: {:.0} ms",
        ms(in_memory)
    );
    println!(
        "(a) baseline: in-process automerge full sync (median of {JOINS}) {:.0} ms, {} KB in {base_msgs} messages",
        ms(baseline),
        base_bytes / 1024
    );
    let (edit_bytes, edit_msgs, edit_time) = in_process_edit_bytes(&mut full);
    println!(
        "(c) baseline: in-process sync of one edit: {edit_bytes} bytes in {edit_msgs} messages"
    );
    println!(
        "(b) baseline: in-process apply on A + sync message + receive on B, no disk, no network: p50 {:.2} ms",
        ms(edit_time)
    );

    // (a) A fresh member joins a node running in another process.
    let inviter = tempfile::tempdir().unwrap();
    let community = commonroom_node::install_generated(inviter.path(), &spec);
    let mut child = Process::new(std::env::current_exe().unwrap())
        .env(CHILD, inviter.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let tickets: Vec<commonroom_proto::Ticket> = (0..JOINS)
        .map(|_| commonroom_proto::Ticket::decode(lines.next().unwrap().unwrap().trim()).unwrap())
        .collect();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut times = Vec::new();
        let (mut wire, mut msgs) = (0, 0);
        for ticket in tickets {
            let joiner = tempfile::tempdir().unwrap();
            let b = start(joiner.path()).await;
            let hb = b.handle();
            let t = Instant::now();
            hb.join(ticket, "Newcomer".into(), vec![]).await.unwrap();
            times.push(t.elapsed());
            (wire, msgs) = traffic(&hb, &community).await;
            b.shutdown().await;
        }
        let all: Vec<String> = times.iter().map(|t| format!("{:.0}", ms(*t))).collect();
        let joined = percentile(&mut times, 0.5);
        println!(
            "(a) fresh member's full sync over iroh between two processes (join, verify, sync, store durably), median of {JOINS} ({} ms): {:.0} ms, {} KB in {msgs} messages: ratio {:.2} (target <= 1.3)",
            all.join(", "),
            ms(joined),
            wire / 1024,
            joined.as_secs_f64() / baseline.as_secs_f64()
        );
    });
    drop(child.stdin.take());
    let _ = child.wait();

    // (b) and (c): two live nodes on loopback.
    runtime.block_on(async {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let community = commonroom_node::install_generated(da.path(), &spec);
        let a = start(da.path()).await;
        let b = start(db.path()).await;
        let (ha, hb) = (a.handle(), b.handle());
        let ticket = ha.invite(community.clone(), Duration::from_secs(3600)).await.unwrap();
        hb.join(ticket, "Live".into(), vec![]).await.unwrap();
        let mut events = hb.subscribe();
        // Warm up, then let the sessions settle.
        for i in 0..20 {
            ha.apply(community.clone(), note(i)).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        while events.try_recv().is_ok() {}
        let (bytes0, msgs0) = traffic(&ha, &community).await;
        let mut latencies = Vec::with_capacity(EDITS);
        for i in 0..EDITS {
            let t = Instant::now();
            ha.apply(community.clone(), note(i)).await.unwrap();
            loop {
                match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
                    Ok(Ok(Event::Changed { remote: true, .. })) => break,
                    Ok(Ok(_)) => continue,
                    other => panic!("edit {i} did not arrive: {other:?}"),
                }
            }
            latencies.push(t.elapsed());
            // Let the acknowledgement finish so each edit is measured alone.
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (bytes1, msgs1) = traffic(&ha, &community).await;
        let p50 = percentile(&mut latencies, 0.50);
        let p99 = percentile(&mut latencies, 0.99);
        println!(
            "(b) one-edit propagation between two live nodes (durable on A, sent, durable on B), {EDITS} edits: p50 {:.2} ms (target <= 5), p99 {:.2} ms (target <= 25)",
            ms(p50),
            ms(p99)
        );
        let per_edit = (bytes1 - bytes0) as f64 / EDITS as f64;
        let msgs_per_edit = (msgs1 - msgs0) as f64 / EDITS as f64;
        println!(
            "(c) bytes on the wire per edit (frames incl. headers, both directions): {per_edit:.0} bytes in {msgs_per_edit:.1} messages vs in-process {edit_bytes} bytes: ratio {:.2} (target <= 1.5)",
            per_edit / edit_bytes as f64
        );
        a.shutdown().await;
        b.shutdown().await;
    });
}
