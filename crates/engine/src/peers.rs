//! The known-peer list of a community: addresses and last contact, kept on this device.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// What this device remembers about one peer device.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KnownPeer {
    /// Addresses the peer was last reachable at.
    pub addrs: Vec<SocketAddr>,
    /// The peer's home relay (an iroh relay URL), for reaching it from another network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<String>,
    /// When the addresses and relay were last heard from the device itself, here or by the
    /// member who passed them on (ms since the epoch); `None` from before this was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addrs_at: Option<i64>,
    /// When we last had a connection (ms since the epoch).
    pub last_seen: Option<i64>,
    /// When we were last fully in sync (ms since the epoch).
    pub last_sync: Option<i64>,
}

impl KnownPeer {
    /// Takes word of how to reach the device, heard from it at `seen`, unless what is known
    /// was heard later. Addresses and relay are replaced only by something (an empty list
    /// says nothing). Returns whether the ways in changed, which is what is worth telling
    /// other members (the same addresses heard again only refresh the time).
    pub fn hear(&mut self, addrs: Vec<SocketAddr>, relay: Option<String>, seen: i64) -> bool {
        if self.addrs_at.is_some_and(|at| at >= seen) {
            return false;
        }
        let changed =
            (!addrs.is_empty() && addrs != self.addrs) || (relay.is_some() && relay != self.relay);
        if !addrs.is_empty() {
            self.addrs = addrs;
        }
        if relay.is_some() {
            self.relay = relay;
        }
        self.addrs_at = Some(seen);
        changed
    }

    /// Whether there is any way in to pass on.
    pub fn reachable(&self) -> bool {
        !self.addrs.is_empty() || self.relay.is_some()
    }
}

/// Known peers keyed by endpoint id (hex).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KnownPeers {
    /// The peers.
    pub peers: BTreeMap<String, KnownPeer>,
}

impl KnownPeers {
    /// Parses the stored list; an unreadable list starts empty (peers are re-learned).
    pub fn parse(text: Option<&str>) -> Self {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// The stored form.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn the_newest_word_about_a_device_wins_and_only_a_real_change_counts() {
        let one: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let two: SocketAddr = "10.0.0.2:2".parse().unwrap();
        let mut peer = KnownPeer::default();
        assert!(peer.hear(vec![one], None, 100), "first word");
        assert!(
            !peer.hear(vec![one], None, 200),
            "same addresses: a refresh only"
        );
        assert_eq!(peer.addrs_at, Some(200));
        assert!(!peer.hear(vec![two], None, 150), "older than what is known");
        assert_eq!(peer.addrs, [one]);
        assert!(peer.hear(vec![], Some("https://r.example.org./".into()), 300));
        assert_eq!(peer.addrs, [one], "an empty list says nothing");
        assert!(peer.hear(vec![two], None, 400));
        assert_eq!(
            (peer.addrs.as_slice(), peer.relay.as_deref()),
            (&[two][..], Some("https://r.example.org./"))
        );
        // Lists written before `addrs_at` existed still read.
        let old = KnownPeers::parse(Some(
            r#"{"peers":{"ab":{"addrs":["10.0.0.1:1"],"last_seen":5,"last_sync":null}}}"#,
        ));
        assert_eq!(old.peers["ab"].addrs_at, None);
    }
}
