//! A self-hosted relay (`--relay URL`): a real iroh relay server on loopback, and two nodes
//! that know nothing of each other's addresses but the inviter's relay, as when members are
//! at home on different networks.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{found, note, until_note};
use commonroom_net::{NetConfig, RelayChoice};
use commonroom_node::{Node, NodeConfig};
use iroh_relay::server::{RelayConfig, Server, ServerConfig};

const WAIT: Duration = Duration::from_secs(30);

/// A node on loopback that uses only the relay at `url` (no mDNS).
async fn node_with_relay(dir: &std::path::Path, url: &str) -> Node {
    Node::start(NodeConfig {
        data_dir: dir.to_path_buf(),
        net: NetConfig {
            bind: Some((Ipv4Addr::LOCALHOST, 0).into()),
            relay: RelayChoice::Custom(url.to_owned()),
            mdns: false,
        },
        connect_to_peers: true,
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_who_know_only_the_relay_join_and_sync_through_it() {
    let mut config = ServerConfig::default();
    config.relay = Some(RelayConfig::new((Ipv4Addr::LOCALHOST, 0)));
    let server = Server::spawn(config).await.unwrap();
    let url = format!("http://{}", server.http_addr().unwrap());

    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node_with_relay(da.path(), &url).await;
    let b = node_with_relay(db.path(), &url).await;
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Carers at home").await;

    // The ticket names the inviter's relay. Keep only that: no address to dial directly.
    ha.until_online(WAIT).await.unwrap();
    let mut ticket = ha
        .invite(id.clone(), Duration::from_secs(3600))
        .await
        .unwrap();
    let relay = ticket.relay.clone().expect("the ticket names the relay");
    assert_eq!(relay.trim_end_matches('/'), url, "{ticket:?}");
    ticket.addrs.clear();
    let ticket = commonroom_proto::Ticket::decode(&ticket.encode()).unwrap();

    let joined = hb.join(ticket, "Sam".into(), vec![]).await.unwrap();
    assert_eq!(joined, id);

    // Live both ways, and each remembers the other's relay for next time.
    ha.apply(id.clone(), note("Posted from Alex's kitchen"))
        .await
        .unwrap();
    until_note(&hb, &id, "Posted from Alex's kitchen", WAIT).await;
    hb.apply(id.clone(), note("Posted from Sam's sofa"))
        .await
        .unwrap();
    until_note(&ha, &id, "Posted from Sam's sofa", WAIT).await;
    for (handle, other) in [(&hb, ha.endpoint_id()), (&ha, hb.endpoint_id())] {
        let peers = handle.peers(id.clone()).await.unwrap();
        let known = peers.iter().find(|p| p.endpoint == other).unwrap();
        assert_eq!(
            known.relay.as_deref().map(|r| r.trim_end_matches('/')),
            Some(url.as_str()),
            "{known:?}"
        );
    }

    a.shutdown().await;
    b.shutdown().await;
    server.shutdown().await.unwrap();
}
