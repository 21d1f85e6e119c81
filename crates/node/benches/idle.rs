//! What an idle node costs: a node holding the generated five-year community and one holding
//! a tiny community, each in its own process with nothing happening, measured side by side
//! from `/proc` (CPU time of all threads, context switches of all threads as wake-ups).
//!
//! Run: `cargo bench -p commonroom-node --bench idle` (about 80 seconds after the build).
//! Targets (issue: no single point of failure): under 0.1% of a core and at most two
//! wake-ups a second for the five-year community; the tiny one is the baseline.
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use commonroom_model::generate::Spec;
use commonroom_node::{Node, NodeConfig};

const CHILD: &str = "COMMONROOM_BENCH_IDLE_DIR";
const SETTLE: Duration = Duration::from_secs(10);
const WINDOW: Duration = Duration::from_secs(60);

/// Child process: run a node on the prepared directory until stdin closes.
fn child(dir: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig::loopback(Path::new(dir)))
            .await
            .unwrap();
        println!("ready");
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .unwrap();
        node.shutdown().await;
    });
}

/// CPU time (all threads) and context switches (all threads) of a process so far.
fn usage(pid: u32) -> (Duration, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name in parentheses; utime and stime are the 14th and 15th.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    let cpu = Duration::from_millis(ticks * 10);
    let mut switches = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        for line in status.lines() {
            if let Some(n) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                switches += n.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    (cpu, switches)
}

fn spawn(dir: &Path) -> Child {
    let mut child = Process::new(std::env::current_exe().unwrap())
        .env(CHILD, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    child
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
        return;
    }
    println!("# Commonroom idle benchmark");
    let tiny = tempfile::tempdir().unwrap();
    commonroom_node::install_generated(tiny.path(), &Spec::small());
    let big = tempfile::tempdir().unwrap();
    let spec = Spec::default();
    commonroom_node::install_generated(big.path(), &spec);
    println!(
        "communities: tiny ({} members, {} notes) and five-year ({} members, {} notes)",
        Spec::small().members,
        Spec::small().notes,
        spec.members,
        spec.notes
    );
    let mut children = [spawn(tiny.path()), spawn(big.path())];
    std::thread::sleep(SETTLE);
    let before: Vec<_> = children.iter().map(|c| usage(c.id())).collect();
    let started = Instant::now();
    std::thread::sleep(WINDOW);
    let elapsed = started.elapsed().as_secs_f64();
    let after: Vec<_> = children.iter().map(|c| usage(c.id())).collect();
    let mut figures = Vec::new();
    for (name, (b, a)) in ["tiny", "five-year"].iter().zip(before.iter().zip(&after)) {
        let cpu = (a.0 - b.0).as_secs_f64() / elapsed * 100.0;
        let wakeups = (a.1 - b.1) as f64 / elapsed;
        println!(
            "{name}: {cpu:.3}% of a core, {wakeups:.2} context switches a second over {elapsed:.0} s idle"
        );
        figures.push((cpu, wakeups));
    }
    let (cpu, wakeups) = figures[1];
    println!(
        "five-year vs tiny: CPU {:.3}% vs {:.3}%, wake-ups {:.2} vs {:.2} a second; targets: CPU < 0.1% {}, wake-ups <= 2 a second {}",
        cpu,
        figures[0].0,
        wakeups,
        figures[0].1,
        if cpu < 0.1 { "met" } else { "NOT met" },
        if wakeups <= 2.0 { "met" } else { "NOT met" },
    );
    for child in &mut children {
        drop(child.stdin.take());
        let _ = child.wait();
    }
}
