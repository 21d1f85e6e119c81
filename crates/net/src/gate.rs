//! The membership gate: which endpoint ids may sync which community.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use iroh::EndpointId;

/// Admitted devices per community, kept current by the node whenever membership changes.
///
/// Fails closed: a community with no entry, or an empty entry, admits nobody.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    admitted: Arc<RwLock<HashMap<String, HashSet<EndpointId>>>>,
}

impl Gate {
    /// An empty gate (admits nobody).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the admitted devices of a community.
    pub fn set(&self, community: &str, devices: HashSet<EndpointId>) {
        if let Ok(mut map) = self.admitted.write() {
            map.insert(community.to_owned(), devices);
        }
    }

    /// Forgets a community (nobody is admitted any more).
    pub fn remove(&self, community: &str) {
        if let Ok(mut map) = self.admitted.write() {
            map.remove(community);
        }
    }

    /// Whether `peer` may sync `community`.
    pub fn admits(&self, community: &str, peer: &EndpointId) -> bool {
        self.admitted
            .read()
            .map(|map| map.get(community).is_some_and(|set| set.contains(peer)))
            .unwrap_or(false)
    }

    /// The admitted devices of a community (empty if unknown).
    pub fn devices(&self, community: &str) -> Vec<EndpointId> {
        self.admitted
            .read()
            .map(|map| {
                map.get(community)
                    .map(|set| set.iter().copied().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    /// Whether `peer` is admitted to any community (a member somewhere).
    pub fn knows(&self, peer: &EndpointId) -> bool {
        self.admitted
            .read()
            .map(|map| map.values().any(|set| set.contains(peer)))
            .unwrap_or(false)
    }
}
