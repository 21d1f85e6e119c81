//! How the endpoint connects: bind address, relays, local discovery.

use std::net::SocketAddr;

/// Which relay servers to use when peers cannot reach each other directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayChoice {
    /// The public iroh relays (default).
    Default,
    /// No relays: LAN and direct connections only.
    Disabled,
    /// A self-hosted iroh relay.
    Custom(String),
}

/// Network settings of a node.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Address to bind (default: all interfaces, a random port).
    pub bind: Option<SocketAddr>,
    /// Relay servers.
    pub relay: RelayChoice,
    /// Find peers on the local network with mDNS (on by default).
    pub mdns: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            bind: None,
            relay: RelayChoice::Default,
            mdns: true,
        }
    }
}

impl NetConfig {
    /// Loopback only, no relays, no mDNS: what tests use.
    pub fn loopback() -> Self {
        Self {
            bind: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            relay: RelayChoice::Disabled,
            mdns: false,
        }
    }
}
