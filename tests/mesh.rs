//! No member is a single point of failure. Eight members are each invited by Alex and told
//! only Alex's address (the ticket's). Alex stops for good, every member restarts (laptops
//! closed overnight), and a note written on each member reaches every other: the ways in
//! they use came from each other's address books, never from a ticket alone.
//!
//! First on loopback with relays and mDNS off; then on separate networks, each node in its
//! own network namespace with nothing routed between them, through a local iroh relay
//! standing in for the internet: members reach each other only through the home relays
//! they learned from other members. (That one needs root, for `ip netns`; elsewhere it is
//! skipped with the reason printed.)
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::hub::Hub;
use support::{LOOPBACK, Serve, bin, eventually, note_texts, ok};

const NAMES: [&str; 8] = ["Bea", "Cai", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy"];
const WAIT: Duration = Duration::from_secs(90);

/// How the nodes are networked.
struct Network {
    /// `serve` and `join` network flags.
    flags: Vec<String>,
    /// Node `i` runs in `namespaces[i]`, if set.
    namespaces: Option<Vec<String>>,
    /// What a peer line must show for a member to be reachable: an address or the relay.
    way_in: String,
}

impl Network {
    fn flags(&self) -> Vec<&str> {
        self.flags.iter().map(String::as_str).collect()
    }

    fn namespace(&self, node: usize) -> Option<&str> {
        self.namespaces.as_ref().map(|n| n[node].as_str())
    }

    fn serve(&self, node: usize, dir: &Path) -> Serve {
        Serve::start_with(dir, &self.flags(), self.namespace(node))
    }

    /// `join` runs a node of its own, so it runs on the joiner's network.
    fn join(&self, node: usize, dir: &Path, ticket: &str, name: &str) -> String {
        let mut command = match self.namespace(node) {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, bin()]);
                c
            }
            None => Command::new(bin()),
        };
        let out = command
            .arg("--data-dir")
            .arg(dir)
            .args(["join", ticket, "--me", name])
            .args(self.flags())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} could not join: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

/// Whether member `me` knows a way in to every other member (`peers` lines name the member
/// and show its addresses and relay).
fn knows_everyone(dir: &Path, community: &str, me: &str, way_in: &str) -> bool {
    let peers = ok(dir, &["peers", community]);
    NAMES.iter().filter(|n| **n != me).all(|name| {
        peers
            .lines()
            .any(|line| line.contains(&format!("  {name}  ")) && line.contains(way_in))
    })
}

fn members_reach_each_other_without_their_inviter(network: &Network) {
    let dirs: Vec<_> = (0..=NAMES.len())
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let member_dirs = || (1..=NAMES.len()).map(|i| (i, dirs[i].path(), NAMES[i - 1]));
    let alex = dirs[0].path();
    let id = ok(alex, &["create", "Neighbourhood Carers", "--me", "Alex"]);
    let serve_alex = network.serve(0, alex);
    let mut serving = Vec::new();
    for (i, dir, name) in member_dirs() {
        let ticket = ok(alex, &["invite", &id]);
        assert_eq!(network.join(i, dir, &ticket, name), id);
        serving.push(network.serve(i, dir));
    }
    let took = eventually(
        "every member knows a way in to every other member",
        WAIT,
        || member_dirs().all(|(_, dir, name)| knows_everyone(dir, &id, name, &network.way_in)),
    );
    println!("every member learned a way in to the other seven in {took:?}");

    // Alex leaves for good; the members close their laptops and open them again later.
    serve_alex.kill();
    for serve in serving.drain(..) {
        serve.kill();
    }
    let serving: Vec<Serve> = member_dirs()
        .map(|(i, dir, _)| network.serve(i, dir))
        .collect();
    let mut expected = Vec::new();
    for (_, dir, name) in member_dirs() {
        let text = format!("{name} says hello, with Alex away");
        ok(dir, &["note", "add", &id, "--text", &text]);
        expected.push(text);
    }
    let took = eventually("every member's note reaches every member", WAIT, || {
        member_dirs().all(|(_, dir, _)| {
            let texts = note_texts(dir, &id);
            expected.iter().all(|e| texts.contains(e))
        })
    });
    println!("all eight notes reached all eight members, Alex gone, in {took:?}");
    drop(serving);
}

#[test]
fn on_loopback_members_reach_each_other_after_the_inviter_leaves() {
    members_reach_each_other_without_their_inviter(&Network {
        flags: LOOPBACK.iter().map(|f| (*f).to_owned()).collect(),
        namespaces: None,
        way_in: "127.0.0.1:".into(),
    });
}

#[test]
fn on_separate_networks_members_reach_each_other_through_relays_learned_from_members() {
    let hub = match Hub::create(NAMES.len() + 1) {
        Ok(hub) => hub,
        Err(reason) => {
            println!("skipped: separate networks need root ({reason})");
            return;
        }
    };
    // The relay, in this namespace, reachable from every node's network.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let mut config = iroh_relay::server::ServerConfig::default();
        config.relay = Some(iroh_relay::server::RelayConfig::new((
            std::net::Ipv4Addr::UNSPECIFIED,
            0,
        )));
        iroh_relay::server::Server::spawn(config).await.unwrap()
    });
    let port = server.http_addr().unwrap().port();
    let relay = format!("http://{}:{port}", Hub::root_address(0));
    members_reach_each_other_without_their_inviter(&Network {
        flags: vec!["--relay".into(), relay.clone(), "--no-mdns".into()],
        namespaces: Some(hub.namespaces.clone()),
        way_in: relay,
    });
    runtime.block_on(server.shutdown()).unwrap();
    drop(hub);
}
