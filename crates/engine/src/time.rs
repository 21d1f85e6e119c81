//! The time as the engine is told it: nothing inside reads a clock.

use std::time::Duration;

use commonroom_model::Timestamp;

/// The moment an input is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time since an arbitrary origin (the driver's start): back-off, deadlines
    /// and quiet periods are measured in it.
    pub elapsed: Duration,
    /// Wall-clock time, written into changes and the known-peer list.
    pub wall: Timestamp,
}

impl Now {
    /// The moment `by` after this one (wall time moves with it).
    pub fn after(self, by: Duration) -> Self {
        Self {
            elapsed: self.elapsed + by,
            wall: Timestamp::from_millis(self.wall.millis() + by.as_millis() as i64),
        }
    }
}
