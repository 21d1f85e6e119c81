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
    /// When we last had a connection (ms since the epoch).
    pub last_seen: Option<i64>,
    /// When we were last fully in sync (ms since the epoch).
    pub last_sync: Option<i64>,
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
