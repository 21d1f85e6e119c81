//! Many peers on the simulated network: convergence after partitions heal, removals,
//! back-off and the snapshot shortcut, all deterministic for a seed.

use std::time::Duration;

use commonroom_engine::sim::{NetModel, Sim, scenario};
use commonroom_engine::{Request, Response};
use commonroom_model::Command;

#[test]
fn a_seed_reproduces_its_run_exactly() {
    let a = scenario(8, 7, 2).expect("runs");
    let b = scenario(8, 7, 2).expect("runs");
    assert_eq!(format!("{a}"), format!("{b}"));
    assert!(a.same_heads && a.same_state, "{a}");
}

#[test]
fn forty_peers_converge_after_random_partitions_heal() {
    for seed in [1, 2] {
        let summary = scenario(40, seed, 2).expect("runs");
        println!("{summary}");
        assert!(summary.seconds_to_converge.is_some(), "{summary}");
        assert!(summary.same_heads && summary.same_state, "{summary}");
    }
}

#[test]
#[ignore = "a sizing run: SIM_PEERS=N cargo test --release -p commonroom-engine --test simulated sizing -- --ignored --nocapture"]
fn sizing() {
    let peers = std::env::var("SIM_PEERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let started = std::time::Instant::now();
    let summary = scenario(peers, 1, 1).expect("runs");
    println!("{summary} | {:.1} s real", started.elapsed().as_secs_f64());
}

#[test]
#[ignore = "200 peers: run with --release -- --ignored (the simulate example prints the same)"]
fn two_hundred_peers_converge_after_random_partitions_heal() {
    let summary = scenario(200, 1, 1).expect("runs");
    println!("{summary}");
    assert!(summary.same_heads && summary.same_state, "{summary}");
}

#[test]
fn every_new_member_gets_a_snapshot_and_a_device_that_is_down_is_dialed_with_back_off() {
    let mut sim = Sim::new(6, 3, NetModel::default());
    let community = sim
        .found_and_join_all(Duration::from_secs(120))
        .expect("everyone joins");
    assert!(
        sim.traffic.snapshots >= 5,
        "each of the five joiners got the community as one snapshot ({})",
        sim.traffic.snapshots
    );
    assert!(
        sim.run_until_converged(&community, Duration::from_secs(1), Duration::from_secs(60))
            .is_some()
    );

    // Device 5 goes down for ten simulated minutes.
    sim.stop(5);
    let before = sim.traffic.dials_to.get(&5).copied().unwrap_or(0);
    let until = sim.clock() + Duration::from_secs(600);
    sim.run_until(until);
    let dials = sim.traffic.dials_to.get(&5).copied().unwrap_or(0) - before;
    // Five peers, each doubling from 0.5 s to a 60 s ceiling: about 7 dials to reach the
    // ceiling, then one a minute.
    assert!(
        dials <= 5 * (8 + 10),
        "{dials} dials to a device that is down"
    );
    assert!(dials >= 5 * 10, "still retried now and then ({dials})");

    // Back up, it catches up with what was written while it was away.
    sim.add_note(1, &community, "written while 5 was away");
    sim.start(5);
    assert!(
        sim.run_until_converged(&community, Duration::from_secs(1), Duration::from_secs(120))
            .is_some()
    );
}

#[test]
fn a_removal_is_enforced_by_every_device_that_has_seen_it() {
    let mut sim = Sim::new(10, 11, NetModel::default());
    let community = sim
        .found_and_join_all(Duration::from_secs(300))
        .expect("everyone joins");
    sim.run_until_converged(&community, Duration::from_secs(1), Duration::from_secs(120));
    let removed = sim.member_of(9, &community).expect("device 9 has a member");
    // Devices 6 to 9 are cut off while the founder removes device 9's member.
    sim.partition(&[0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    let answer = sim
        .ask_and_wait(
            0,
            Request::Apply {
                community: community.clone(),
                command: Command::RemoveMember {
                    id: removed.clone(),
                    reason: None,
                },
            },
            Duration::from_secs(10),
        )
        .expect("the founder may remove");
    assert!(matches!(answer, Response::Applied(_)));
    // 9 keeps writing on its side.
    for i in 0..3 {
        sim.add_note(9, &community, &format!("from the removed device, {i}"));
    }
    let until = sim.clock() + Duration::from_secs(20);
    sim.run_until(until);
    sim.heal();
    let until = sim.clock() + Duration::from_secs(120);
    sim.run_until(until);

    let removed_device = sim.peers[9].device;
    for peer in 0..9 {
        let engine = sim.peers[peer].engine.as_mut().expect("up");
        let doc = engine.document(&community).expect("has the community");
        let seen = doc
            .admitted_devices()
            .iter()
            .all(|d| *d != removed_device.to_string());
        assert!(seen, "device {peer} has seen the removal");
        let connected = engine
            .connections()
            .any(|(_, c, p)| *c == community && p == removed_device);
        assert!(
            !connected,
            "device {peer} keeps no connection with the removed device"
        );
    }
    // Everyone but the removed device agrees.
    sim.stop(9);
    assert!(sim.converged(&community));
}

#[test]
fn the_members_of_a_larger_community_reach_each_other_when_the_founder_leaves() {
    let mut sim = Sim::new(16, 5, NetModel::default());
    let community = sim
        .community_of_all(Duration::from_secs(120))
        .expect("everyone is in");
    // Each member knows only the founder's address (its ticket). A while online together
    // lets the members' address books spread.
    let until = sim.clock() + Duration::from_secs(30);
    sim.run_until(until);
    assert!(sim.traffic.address_frames > 0);
    // Each device keeps a bounded mesh, not a connection to everyone (the founder, whom
    // everyone reached first, apart).
    for peer in &sim.peers[1..] {
        let engine = peer.engine.as_ref().expect("up");
        let peers: std::collections::BTreeSet<_> =
            engine.connections().map(|(_, _, p)| p).collect();
        assert!(peers.len() < 15, "{} peers connected", peers.len());
    }
    sim.stop(0);
    sim.add_note(7, &community, "written after the founder left");
    assert!(
        sim.run_until_converged(
            &community,
            Duration::from_millis(250),
            Duration::from_secs(60)
        )
        .is_some(),
        "the other fifteen converge without the founder"
    );
    let states = sim.states(&community);
    assert!(states.windows(2).all(|w| w[0] == w[1]));
    assert!(states[0].contains("written after the founder left"));
}

#[test]
fn members_invited_by_one_find_each_other_after_the_inviter_leaves_for_good() {
    // Eight members, each invited by device 0 and told only its address.
    let mut sim = Sim::new(9, 11, NetModel::default());
    let limit = Duration::from_secs(120);
    let community = sim.found_and_join_all(limit).expect("everyone joins");
    let until = sim.clock() + Duration::from_secs(20);
    sim.run_until(until);
    // The inviter leaves for good; every other device restarts (laptops closed overnight),
    // so nothing is left of the connections or the addresses its transport had: only what
    // each stored of its peers.
    sim.stop(0);
    for peer in 1..9 {
        sim.stop(peer);
    }
    for peer in 1..9 {
        sim.start(peer);
    }
    // Then they split in two (two rooms, no link between), each side writes, and they heal.
    sim.partition(&[0, 1, 1, 1, 1, 2, 2, 2, 2]);
    for author in 1..9 {
        sim.add_note(author, &community, &format!("note from member {author}"));
    }
    let until = sim.clock() + Duration::from_secs(10);
    sim.run_until(until);
    sim.heal();
    assert!(
        sim.run_until_converged(
            &community,
            Duration::from_millis(250),
            Duration::from_secs(60)
        )
        .is_some(),
        "the eight converge without their inviter"
    );
    let states = sim.states(&community);
    for author in 1..9 {
        assert!(
            states[0].contains(&format!("note from member {author}")),
            "member {author}'s note reached everyone"
        );
    }
    // They were connected to each other, not only to the inviter.
    for peer in &sim.peers[1..] {
        let engine = peer.engine.as_ref().expect("up");
        assert!(engine.connections().count() >= 2);
    }
}

#[test]
fn a_device_whose_disk_fails_keeps_nothing_unsaved_and_catches_up_once_it_recovers() {
    let mut sim = Sim::new(4, 21, NetModel::default());
    let community = sim
        .community_of_all(Duration::from_secs(120))
        .expect("everyone is in");
    assert!(
        sim.run_until_converged(&community, Duration::from_secs(1), Duration::from_secs(60))
            .is_some()
    );
    // Device 3's disk fills up: its own note is refused and not kept...
    sim.peers[3].storage.set_failing(true);
    let command = sim.new_member_command("Never saved");
    let refused = sim.ask_and_wait(
        3,
        Request::Apply {
            community: community.clone(),
            command,
        },
        Duration::from_secs(5),
    );
    assert!(refused.is_err(), "a change that cannot be saved is refused");
    // ...and what others write meanwhile cannot be saved there either.
    sim.add_note(1, &community, "written while 3's disk was full");
    let until = sim.clock() + Duration::from_secs(10);
    sim.run_until(until);
    let states = sim.states(&community);
    assert!(
        !states[3].contains("written while 3's disk was full"),
        "device 3 holds nothing it could not save"
    );
    assert!(states.iter().all(|s| !s.contains("Never saved")));
    // The disk recovers: device 3 reconnects and catches up, and after a restart it still
    // has everything (it was saved, not just held).
    sim.peers[3].storage.set_failing(false);
    assert!(
        sim.run_until_converged(
            &community,
            Duration::from_millis(500),
            Duration::from_secs(120)
        )
        .is_some(),
        "device 3 catches up once its disk works again"
    );
    sim.stop(3);
    sim.start(3);
    let states = sim.states(&community);
    assert!(states.windows(2).all(|w| w[0] == w[1]));
    assert!(states[3].contains("written while 3's disk was full"));
}
