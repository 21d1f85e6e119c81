//! Limits on what devices that are not members can cost a node.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many handshakes from devices that are not (yet) members may be in progress at once.
pub const MAX_STRANGER_HANDSHAKES: usize = 16;

/// A shared budget for handshakes from unknown devices (strangers and would-be joiners).
///
/// Members' devices never wait on it, so a flood of strangers cannot starve members.
#[derive(Clone, Debug)]
pub struct StrangerLimit {
    permits: Arc<Semaphore>,
}

impl Default for StrangerLimit {
    fn default() -> Self {
        Self::new(MAX_STRANGER_HANDSHAKES)
    }
}

impl StrangerLimit {
    /// A budget of `handshakes` concurrent stranger handshakes.
    pub fn new(handshakes: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(handshakes)),
        }
    }

    /// A permit for one handshake, or `None` when the budget is spent (refuse at once).
    pub fn try_admit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }
}
