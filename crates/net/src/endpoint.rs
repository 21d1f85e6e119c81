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
}

/// Binds an endpoint with the device's 32-byte secret key. Must run inside a tokio runtime.
pub async fn bind(secret: [u8; 32], config: &NetConfig) -> Result<Bound, NetError> {
    let relay_mode = match &config.relay {
        RelayChoice::Default => RelayMode::Default,
        RelayChoice::Disabled => RelayMode::Disabled,
        RelayChoice::Custom(url) => {
            let url: RelayUrl = url
                .parse()
                .map_err(|e| NetError::Bind(format!("relay URL {url:?}: {e}")))?;
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
    })
}

impl Bound {
    /// Remembers where a peer can be reached.
    pub fn learn(
        &self,
        peer: iroh::EndpointId,
        addrs: impl IntoIterator<Item = std::net::SocketAddr>,
    ) {
        let addr = EndpointAddr::from_parts(peer, addrs.into_iter().map(TransportAddr::Ip));
        if addr.ip_addrs().next().is_some() {
            self.memory.add_endpoint_info(addr);
        }
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
