//! Binding the iroh endpoint with the device's persisted key.

use iroh::address_lookup::{EndpointData, EndpointInfo, MemoryLookup};
use iroh::endpoint::{PortmapperConfig, QuicTransportConfig, presets};
use iroh::{Endpoint, RelayMode, RelayUrl, SecretKey};
use iroh_mdns_address_lookup::MdnsAddressLookup;

use crate::NetError;
use crate::config::{NetConfig, RelayChoice};

/// How long a connection may hear nothing before the peer counts as gone: a laptop closed
/// or off the network shows as offline within about this, plus a few seconds for iroh to
/// give up its last path (17 s measured, against 30 s and more with QUIC's default).
/// iroh's keep-alives every 5 s hold a live connection open.
pub const PEER_GONE_AFTER: std::time::Duration = std::time::Duration::from_secs(12);

/// A bound endpoint and its address books.
#[derive(Clone, Debug)]
pub struct Bound {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Addresses we learned of peers (tickets, hellos, the known-peer list).
    pub memory: MemoryLookup,
    /// Local-network discovery, when enabled.
    pub mdns: Option<MdnsAddressLookup>,
    /// The self-hosted relay this endpoint was told to use (`--relay URL`), if any.
    pub custom_relay: Option<RelayUrl>,
    /// Whether relays are on at all.
    pub relays: bool,
}

/// Binds an endpoint with the device's 32-byte secret key. Must run inside a tokio runtime.
pub async fn bind(secret: [u8; 32], config: &NetConfig) -> Result<Bound, NetError> {
    let mut custom_relay = None;
    let relay_mode = match &config.relay {
        RelayChoice::Default => RelayMode::Default,
        RelayChoice::Disabled => RelayMode::Disabled,
        RelayChoice::Custom(url) => {
            let url: RelayUrl = url
                .parse()
                .map_err(|e| NetError::Bind(format!("relay URL {url:?}: {e}")))?;
            if url.as_str().len() > commonroom_proto::invite::MAX_RELAY_URL {
                return Err(NetError::Bind(format!(
                    "relay URL {url}: longer than {} characters, too long to put in an invite",
                    commonroom_proto::invite::MAX_RELAY_URL
                )));
            }
            custom_relay = Some(url.clone());
            RelayMode::custom([url])
        }
    };
    let memory = MemoryLookup::new();
    let idle = PEER_GONE_AFTER
        .try_into()
        .map_err(|e| NetError::Bind(format!("idle timeout: {e}")))?;
    let transport = QuicTransportConfig::builder()
        .max_idle_timeout(Some(idle))
        .build();
    let mut builder = Endpoint::builder(presets::Minimal)
        .transport_config(transport)
        .secret_key(SecretKey::from_bytes(&secret))
        .relay_mode(relay_mode)
        .portmapper_config(PortmapperConfig::Disabled)
        .address_lookup(memory.clone());
    if let Some(addr) = config.bind {
        builder = builder
            .clear_ip_transports()
            .bind_addr(addr)
            .map_err(|e| NetError::Bind(format!("address {addr}: {e}")))?;
    }
    let endpoint = builder
        .bind()
        .await
        .map_err(|e| NetError::Bind(e.to_string()))?;
    let mdns = if config.mdns {
        let mdns = MdnsAddressLookup::builder()
            .build(endpoint.id())
            .map_err(|e| NetError::Bind(format!("local discovery: {e}")))?;
        endpoint
            .address_lookup()
            .map_err(|e| NetError::Bind(format!("local discovery: {e}")))?
            .add(mdns.clone());
        Some(mdns)
    } else {
        None
    };
    Ok(Bound {
        endpoint,
        memory,
        mdns,
        custom_relay,
        relays: !matches!(config.relay, RelayChoice::Disabled),
    })
}

/// A relay URL as given by a peer or a ticket, if it is one: `http` or `https` with a host,
/// no longer than a ticket can carry.
pub fn relay_url(text: &str) -> Option<RelayUrl> {
    if text.len() > commonroom_proto::invite::MAX_RELAY_URL {
        return None;
    }
    let url: RelayUrl = text.parse().ok()?;
    let web = matches!(url.scheme(), "http" | "https");
    (web && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

/// Most direct addresses kept for one peer device.
pub const MAX_PEER_ADDRS: usize = commonroom_proto::frame::MAX_ADDRS_PER_DEVICE;

/// The addresses from a peer worth dialing: no unspecified, multicast or broadcast address
/// and no port 0, no repeats, at most [`MAX_PEER_ADDRS`] (the first ones, as the peer
/// ordered them).
pub fn usable_addrs(
    addrs: impl IntoIterator<Item = std::net::SocketAddr>,
) -> Vec<std::net::SocketAddr> {
    let mut out: Vec<std::net::SocketAddr> = Vec::new();
    for addr in addrs {
        let ip = addr.ip();
        let broadcast = matches!(ip, std::net::IpAddr::V4(v4) if v4.is_broadcast());
        if addr.port() == 0 || ip.is_unspecified() || ip.is_multicast() || broadcast {
            continue;
        }
        if !out.contains(&addr) {
            out.push(addr);
        }
        if out.len() == MAX_PEER_ADDRS {
            break;
        }
    }
    out
}

impl Bound {
    /// Remembers where a peer can be reached: its direct addresses and its home relay.
    /// What a peer says replaces what it said before (a device is where it is now), and at
    /// most [`MAX_PEER_ADDRS`] usable addresses are kept ([`usable_addrs`]), so no peer's
    /// word makes this node send to many addresses. A device has one home relay, so a new
    /// one replaces the one known before. Returns the relay as understood ([`relay_url`]):
    /// a peer's text is stored only in that form.
    pub fn learn(
        &self,
        peer: iroh::EndpointId,
        addrs: impl IntoIterator<Item = std::net::SocketAddr>,
        relay: Option<&str>,
    ) -> Option<RelayUrl> {
        let relay = relay.and_then(relay_url);
        let addrs = usable_addrs(addrs);
        let mut data = self
            .memory
            .get_endpoint_info(peer)
            .map(|info| info.data)
            .unwrap_or_else(|| EndpointData::new(Vec::new()));
        if !addrs.is_empty() {
            data.clear_ip_addrs();
            data.add_ip_addrs(addrs);
        }
        if let Some(url) = &relay {
            data.clear_relay_urls();
            data.add_relay_url(url.clone());
        }
        if data.has_addrs() {
            self.memory
                .set_endpoint_info(EndpointInfo::from_parts(peer, data));
        }
        relay
    }

    /// The relay through which peers on other networks reach this endpoint: the home relay
    /// once one is chosen, else the self-hosted one it was told to use; `None` with relays off.
    pub fn home_relay(&self) -> Option<String> {
        self.endpoint
            .addr()
            .relay_urls()
            .next()
            .or(self.custom_relay.as_ref())
            .map(ToString::to_string)
    }

    /// Waits (at most `limit`) until the endpoint is connected to its home relay, so that
    /// an invite made right after start names it. Returns at once with relays off.
    pub async fn until_online(&self, limit: std::time::Duration) {
        if !self.relays {
            return;
        }
        let _ = tokio::time::timeout(limit, self.endpoint.online()).await;
    }

    /// The direct socket addresses this endpoint can be reached at.
    pub fn direct_addrs(&self) -> Vec<std::net::SocketAddr> {
        let mut addrs: Vec<std::net::SocketAddr> =
            self.endpoint.addr().ip_addrs().copied().collect();
        if addrs.is_empty() {
            addrs = self.endpoint.bound_sockets();
        }
        addrs.retain(|a| !a.ip().is_unspecified());
        addrs
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn only_web_urls_with_a_host_are_relays() {
        assert!(relay_url("https://relay.example.org./").is_some());
        assert!(relay_url("http://127.0.0.1:3340").is_some());
        for not_a_relay in [
            "",
            "relay.example.org",
            "file:///etc/passwd",
            "mailto:someone@example.org",
            "data:text/plain,hello",
        ] {
            assert!(relay_url(not_a_relay).is_none(), "{not_a_relay}");
        }
        let long = format!("https://{}.example.org/", "a".repeat(300));
        assert!(relay_url(&long).is_none(), "longer than a ticket carries");
    }

    #[tokio::test]
    async fn a_self_hosted_relay_too_long_for_an_invite_is_refused_at_start() {
        let config = NetConfig {
            relay: RelayChoice::Custom(format!("https://{}.example.org/", "a".repeat(300))),
            ..NetConfig::loopback()
        };
        let err = bind([1; 32], &config).await.unwrap_err();
        assert!(err.to_string().contains("too long"), "{err}");
    }

    #[tokio::test]
    async fn a_peers_new_relay_and_addresses_replace_the_old_ones_and_few_are_kept() {
        let bound = bind([1; 32], &NetConfig::loopback()).await.unwrap();
        let peer = SecretKey::from_bytes(&[2; 32]).public();
        let first: std::net::SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let second: std::net::SocketAddr = "127.0.0.1:2000".parse().unwrap();
        bound.learn(peer, [first], Some("https://one.example.org./"));
        bound.learn(peer, [second], Some("https://two.example.org./"));
        assert!(bound.learn(peer, [], Some("file:///etc/passwd")).is_none());
        let info = bound.memory.get_endpoint_info(peer).unwrap();
        let relays: Vec<String> = info.relay_urls().map(ToString::to_string).collect();
        assert_eq!(relays, ["https://two.example.org./"]);
        let ips: Vec<_> = info.ip_addrs().copied().collect();
        assert_eq!(
            ips,
            [second],
            "the latest addresses replace the earlier ones"
        );
        // A hello naming thousands of addresses leaves at most eight usable ones.
        let flood: Vec<std::net::SocketAddr> = (1..=5000u16)
            .map(|port| std::net::SocketAddr::from(([10, 0, (port >> 8) as u8, port as u8], port)))
            .chain(["0.0.0.0:9".parse().unwrap(), "224.0.0.1:9".parse().unwrap()])
            .collect();
        bound.learn(peer, flood.clone(), None);
        let info = bound.memory.get_endpoint_info(peer).unwrap();
        let ips: Vec<_> = info.ip_addrs().copied().collect();
        assert_eq!(ips.len(), MAX_PEER_ADDRS);
        assert_eq!(ips, flood[..MAX_PEER_ADDRS].to_vec());
        assert_eq!(
            usable_addrs([
                "0.0.0.0:1".parse().unwrap(),
                "255.255.255.255:1".parse().unwrap(),
                "127.0.0.1:0".parse().unwrap()
            ]),
            Vec::<std::net::SocketAddr>::new()
        );
        bound.endpoint.close().await;
    }
}
