//! Two laptops on one Wi-Fi with no internet: each node runs in its own network namespace,
//! joined by a veth pair, with relays off. The joiner gets only the inviter's endpoint id
//! (the ticket's addresses are removed) and must find it by mDNS.
//!
//! Needs root (for `ip netns`); elsewhere it is skipped with the reason printed.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_commonroom")
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Two namespaces joined by a veth pair; removed (with the pair) when dropped.
struct Lan {
    a: String,
    b: String,
}

impl Lan {
    fn create() -> Result<Self, String> {
        let tag = std::process::id() % 100_000;
        let lan = Self {
            a: format!("cra{tag}"),
            b: format!("crb{tag}"),
        };
        let subnet = 10 + tag % 200;
        let (va, vb) = (format!("va{tag}"), format!("vb{tag}"));
        let steps: Vec<Vec<String>> = vec![
            vec!["netns".into(), "add".into(), lan.a.clone()],
            vec!["netns".into(), "add".into(), lan.b.clone()],
            vec![
                "link".into(),
                "add".into(),
                va.clone(),
                "type".into(),
                "veth".into(),
                "peer".into(),
                "name".into(),
                vb.clone(),
            ],
            vec![
                "link".into(),
                "set".into(),
                va.clone(),
                "netns".into(),
                lan.a.clone(),
            ],
            vec![
                "link".into(),
                "set".into(),
                vb.clone(),
                "netns".into(),
                lan.b.clone(),
            ],
            vec![
                "-n".into(),
                lan.a.clone(),
                "addr".into(),
                "add".into(),
                format!("10.213.{subnet}.1/24"),
                "dev".into(),
                va.clone(),
            ],
            vec![
                "-n".into(),
                lan.b.clone(),
                "addr".into(),
                "add".into(),
                format!("10.213.{subnet}.2/24"),
                "dev".into(),
                vb.clone(),
            ],
            vec![
                "-n".into(),
                lan.a.clone(),
                "link".into(),
                "set".into(),
                "lo".into(),
                "up".into(),
            ],
            vec![
                "-n".into(),
                lan.b.clone(),
                "link".into(),
                "set".into(),
                "lo".into(),
                "up".into(),
            ],
            vec![
                "-n".into(),
                lan.a.clone(),
                "link".into(),
                "set".into(),
                va.clone(),
                "up".into(),
            ],
            vec![
                "-n".into(),
                lan.b.clone(),
                "link".into(),
                "set".into(),
                vb.clone(),
                "up".into(),
            ],
            // The "Wi-Fi router": the only route leads to the other laptop (mDNS needs a route).
            vec![
                "-n".into(),
                lan.a.clone(),
                "route".into(),
                "add".into(),
                "default".into(),
                "dev".into(),
                va,
            ],
            vec![
                "-n".into(),
                lan.b.clone(),
                "route".into(),
                "add".into(),
                "default".into(),
                "dev".into(),
                vb,
            ],
        ];
        for step in steps {
            let args: Vec<&str> = step.iter().map(String::as_str).collect();
            if !ip(&args) {
                return Err(format!(
                    "`ip {}` failed (needs root and network namespaces)",
                    args.join(" ")
                ));
            }
        }
        Ok(lan)
    }

    fn command(&self, ns: &str, dir: &Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, bin(), "--data-dir"])
            .arg(dir);
        cmd
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        ip(&["netns", "del", &self.a]);
        ip(&["netns", "del", &self.b]);
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn laptops_on_one_lan_find_each_other_by_mdns() {
    let lan = match Lan::create() {
        Ok(lan) => lan,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(a.path())
        .args(["create", "Meetup CoP", "--me", "Alex"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let mut serve = lan
        .command(&lan.a, a.path())
        .args(["serve", "--no-relay"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = serve.stdout.take().unwrap();
    let _serve = Killed(serve);
    let mut ready = String::new();
    BufReader::new(stdout).read_line(&mut ready).unwrap();
    assert!(ready.starts_with("ready "), "{ready:?}");

    // The ticket, with every address removed: only the endpoint id is left to go on.
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(a.path())
        .args(["invite", &id])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ticket =
        commonroom_proto::Ticket::decode(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert!(
        !ticket.addrs.is_empty(),
        "the inviter listed its LAN address"
    );
    ticket.addrs.clear();

    let started = std::time::Instant::now();
    let join = lan
        .command(&lan.b, b.path())
        .args(["join", &ticket.encode(), "--me", "Sam", "--no-relay"])
        .output()
        .unwrap();
    assert!(
        join.status.success(),
        "join by mDNS failed: {}",
        String::from_utf8_lossy(&join.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&join.stdout).trim(), id);
    println!("joined by mDNS in {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(60));
    let show = Command::new(bin())
        .arg("--data-dir")
        .arg(b.path())
        .args(["show", &id, "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(v["community"]["name"], "Meetup CoP");
}
