//! Binding the iroh endpoint with the device's persisted key.

use iroh::address_lookup::MemoryLookup;
use iroh::endpoint::{PortmapperConfig, presets};
use iroh::{Endpoint, EndpointAddr, RelayMode, RelayUrl, SecretKey, TransportAddr};
use iroh_mdns_address_lookup::MdnsAddressLookup;

use crate::NetError;
use crate::config::{NetConfig, RelayChoice};

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
            custom_relay = Some(url.clone());
            RelayMode::custom([url])
        }
    };
    let memory = MemoryLookup::new();
    let mut builder = Endpoint::builder(presets::Minimal)
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

impl Bound {
    /// Remembers where a peer can be reached: its direct addresses and its home relay (a
    /// relay URL that does not parse, or is longer than a ticket can carry, is ignored).
    pub fn learn(
        &self,
        peer: iroh::EndpointId,
        addrs: impl IntoIterator<Item = std::net::SocketAddr>,
        relay: Option<&str>,
    ) {
        let relay = relay
            .filter(|url| url.len() <= commonroom_proto::invite::MAX_RELAY_URL)
            .and_then(|url| url.parse::<RelayUrl>().ok());
        let addr = EndpointAddr::from_parts(
            peer,
            addrs
                .into_iter()
                .map(TransportAddr::Ip)
                .chain(relay.map(TransportAddr::Relay)),
        );
        if !addr.is_empty() {
            self.memory.add_endpoint_info(addr);
        }
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
