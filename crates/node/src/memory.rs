//! Giving memory back to the operating system after a large read.
//!
//! Reading a whole community (the view the window shows, the history feed) allocates and
//! frees tens of megabytes of temporaries; glibc's allocator keeps what was freed in its
//! arenas, so a node that was read once stayed twice as large for the rest of the day.
//! After such a read the driver asks the allocator to return free memory, at most once
//! every [`GIVE_BACK_GAP`].

use std::time::{Duration, Instant};

/// The least time between two give-backs (each walks the allocator's arenas).
pub(crate) const GIVE_BACK_GAP: Duration = Duration::from_secs(5);

/// Whether free memory should be given back, and when it last was.
#[derive(Debug, Default)]
pub(crate) struct GiveBack {
    due: bool,
    last: Option<Instant>,
}

impl GiveBack {
    /// A large read just happened.
    pub(crate) fn after_large_read(&mut self) {
        self.due = true;
    }

    /// When the next give-back may happen, if one is due.
    pub(crate) fn wake_at(&self) -> Option<Instant> {
        self.due
            .then(|| self.last.map_or_else(Instant::now, |t| t + GIVE_BACK_GAP))
    }

    /// Gives free memory back if one is due and the gap has passed.
    pub(crate) fn maybe_now(&mut self, now: Instant) {
        if self.due && self.last.is_none_or(|t| now >= t + GIVE_BACK_GAP) {
            self.due = false;
            self.last = Some(now);
            release_free_memory();
        }
    }
}

/// Returns the allocator's free memory to the operating system (glibc's `malloc_trim`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(
    unsafe_code,
    reason = "malloc_trim is glibc's documented call for this; it takes a size and touches no Rust memory"
)]
fn release_free_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim only reorganises the allocator's own free lists; any pad is valid.
    unsafe {
        malloc_trim(0);
    }
}

/// Other allocators return memory by themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}
