//! The engine with no network, for a command carried out while no node runs on the data
//! directory: the same open, apply, storage and compaction as a running node, in-process.

use std::time::Instant;

use commonroom_engine::{Engine, EngineConfig, Input, Now, Output, Request, RequestId, Response};
use commonroom_model::Timestamp;
use commonroom_store::DataDir;

use crate::driver::{device_of, seed};
use crate::error::NodeError;

/// A data directory's communities, opened by the engine in this process (no endpoint, no
/// peers). Pending housekeeping (compaction) runs when it is closed or dropped.
pub struct Offline {
    engine: Engine<DataDir>,
    started: Instant,
    next: RequestId,
}

impl Offline {
    /// Opens every community of `data` (a directory this process holds).
    pub fn open(data: DataDir) -> Result<Self, NodeError> {
        let secret = data.device_secret()?;
        let device = device_of(iroh::SecretKey::from_bytes(&secret).public());
        let config = EngineConfig {
            device,
            secret,
            connect_to_peers: false,
            seed: seed(),
        };
        let started = Instant::now();
        let engine = Engine::new(data, config, now_since(started))?;
        Ok(Self {
            engine,
            started,
            next: 0,
        })
    }

    /// Carries out a request that needs no network (create, list, apply, view, me,
    /// history, point-before) and returns its answer; an applied command is durable.
    pub fn ask(&mut self, request: Request) -> Result<Response, NodeError> {
        let id = self.next;
        self.next += 1;
        let outputs = self
            .engine
            .handle(Input::Request { id, request }, now_since(self.started));
        outputs
            .into_iter()
            .find_map(|output| match output {
                Output::Reply {
                    id: replied,
                    result,
                } if replied == id => Some(result),
                _ => None,
            })
            .ok_or(NodeError::NeedsNetwork)?
            .map_err(NodeError::from)
    }
}

impl Drop for Offline {
    fn drop(&mut self) {
        // Housekeeping a node does when quiet (compaction, the peer list) happens now.
        let _ = self.engine.handle(Input::Shutdown, now_since(self.started));
    }
}

fn now_since(started: Instant) -> Now {
    Now {
        elapsed: started.elapsed(),
        wall: Timestamp::now(),
    }
}
