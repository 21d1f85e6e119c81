//! Helpers for tests that run real `commonroom` processes: commands, `serve` processes,
//! and waiting for something to become true.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared by several test files"
)]

pub mod hub;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Network flags for a node on loopback with relays and mDNS off.
pub const LOOPBACK: [&str; 4] = ["--bind", "127.0.0.1:0", "--no-relay", "--no-mdns"];

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_commonroom")
}

/// Runs `commonroom --data-dir DIR ARGS` (empty arguments left out).
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--data-dir")
        .arg(dir)
        .args(args.iter().filter(|a| !a.is_empty()))
        .output()
        .unwrap()
}

/// Runs a command that must succeed; returns its trimmed output.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "`{}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A `commonroom serve` process, killed when dropped.
pub struct Serve {
    child: Child,
    dir: PathBuf,
}

impl Serve {
    /// Serves `dir` on loopback with relays and mDNS off.
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, &LOOPBACK, None)
    }

    /// Serves `dir` with these network flags, inside network namespace `netns` if given;
    /// returns once the node says it is ready.
    pub fn start_with(dir: &Path, net: &[&str], netns: Option<&str>) -> Self {
        let mut command = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, bin()]);
                c
            }
            None => Command::new(bin()),
        };
        let mut child = command
            .arg("--data-dir")
            .arg(dir)
            .arg("serve")
            .args(net)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready "), "serve printed {line:?}");
        Self {
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.dir;
    }
}

/// `show COMMUNITY --json`.
pub fn show(dir: &Path, community: &str) -> serde_json::Value {
    serde_json::from_str(&ok(dir, &["show", community, "--json"])).unwrap()
}

/// The texts of a community's notes, sorted.
pub fn note_texts(dir: &Path, community: &str) -> Vec<String> {
    let v = show(dir, community);
    let mut texts: Vec<String> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_owned())
        .collect();
    texts.sort();
    texts
}

/// Waits (at most `limit`) until `check` holds; returns how long it took.
pub fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}
