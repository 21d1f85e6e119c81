//! What a node holding the generated five-year community keeps resident, against
//! Automerge's own heap for the same document, each measured in its own process in the
//! same run.
//!
//! - Automerge: a process loads the community's saved bytes with `AutoCommit::load`; its
//!   resident size is the baseline (its live heap, from a counting allocator, is printed
//!   beside it).
//! - The node: a process runs a node on the community, then reads it whole as the window
//!   and `show --json` do (the view, and the history feed); its resident size (`VmRSS`
//!   from `/proc`) is measured when ready and after the read.
//!
//! Run: `cargo bench -p commonroom-node --bench memory`. Target (issue: no single point of
//! failure, item 4): resident size after a whole read at most 2x Automerge's alone.
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]
#![allow(
    unsafe_code,
    reason = "a counting global allocator measures Automerge's own heap"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use commonroom_model::automerge::AutoCommit;
use commonroom_model::generate::Spec;
use commonroom_model::history::ActivityFilter;
use commonroom_node::{Node, NodeConfig};

/// Counts the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CHILD: &str = "COMMONROOM_BENCH_MEMORY";

/// Resident size of a process, in bytes.
fn resident(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Child: Automerge alone loads the saved document; prints its live heap.
fn automerge_child(snapshot: &str) {
    let bytes = std::fs::read(snapshot).unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    let doc = AutoCommit::load(&bytes).unwrap();
    drop(bytes);
    let heap = LIVE.load(Ordering::Relaxed) - before;
    println!("{heap} {}", resident(std::process::id()));
    std::hint::black_box(&doc);
}

/// Child: a node on `dir`; says "ready", reads the community whole when asked ("read"),
/// says "read", and runs until stdin closes.
fn node_child(dir: &str, id: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig::loopback(Path::new(dir)))
            .await
            .unwrap();
        let handle = node.handle();
        println!("ready");
        let mut lines = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
            line
        })
        .await
        .unwrap();
        assert_eq!(lines.trim(), "read");
        let view = handle
            .view(commonroom_model::CommunityId::new(id))
            .await
            .unwrap();
        let history = handle
            .history(
                commonroom_model::CommunityId::new(id),
                ActivityFilter::default(),
                200,
            )
            .await
            .unwrap();
        std::hint::black_box((view.notes.len(), history.len()));
        drop((view, history));
        println!("read");
        lines = tokio::task::spawn_blocking(|| {
            let mut rest = String::new();
            let _ = std::io::stdin().read_to_string(&mut rest);
            rest
        })
        .await
        .unwrap();
        drop(lines);
        node.shutdown().await;
    });
}

fn main() {
    if let Ok(what) = std::env::var(CHILD) {
        let parts: Vec<&str> = what.splitn(3, ' ').collect();
        match parts.as_slice() {
            ["automerge", snapshot] => automerge_child(snapshot),
            ["node", dir, id] => node_child(dir, id),
            _ => panic!("unknown child {what}"),
        }
        return;
    }
    println!("# Commonroom memory benchmark");
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec::default();
    let id = commonroom_node::install_generated(dir.path(), &spec);
    // The saved document, as Automerge alone would load it.
    let snapshot = dir.path().join("automerge.am");
    {
        let data = commonroom_store::DataDir::open(dir.path()).unwrap();
        let mut loaded = data.open_community(id.as_str()).unwrap();
        std::fs::write(&snapshot, loaded.doc.save()).unwrap();
    }
    let exe = std::env::current_exe().unwrap();

    let out = Process::new(&exe)
        .env(CHILD, format!("automerge {}", snapshot.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let (heap, automerge_resident) = text.trim().split_once(' ').unwrap();
    let heap: u64 = heap.parse().unwrap();
    let automerge_resident: u64 = automerge_resident.parse().unwrap();

    let mut node = Process::new(&exe)
        .env(CHILD, format!("node {} {id}", dir.path().display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(node.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    std::thread::sleep(Duration::from_secs(3));
    let ready = resident(node.id());
    let mut stdin = node.stdin.take().unwrap();
    writeln!(stdin, "read").unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "read");
    // Past the node's gap between two give-backs of free memory (5 s).
    std::thread::sleep(Duration::from_secs(7));
    let after = resident(node.id());
    drop(stdin);
    let _ = node.wait();

    println!(
        "community: {} members, {} notes ({} changes)",
        spec.members,
        spec.notes,
        spec.changes()
    );
    println!(
        "Automerge alone, the document loaded: {:.1} MiB resident ({:.1} MiB live heap)",
        mib(automerge_resident),
        mib(heap)
    );
    println!(
        "node resident: {:.1} MiB when ready, {:.1} MiB after a whole read",
        mib(ready),
        mib(after)
    );
    let ratio = after as f64 / automerge_resident as f64;
    println!(
        "node after a whole read vs Automerge alone: ratio {ratio:.2} (target <= 2): {}",
        if ratio <= 2.0 { "met" } else { "NOT met" }
    );
}
