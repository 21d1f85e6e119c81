//! Limits on what a peer can cost a node: a shared budget for handshakes from devices that
//! are not members, and a per-connection budget of frames and bytes per second.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

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

/// How many join requests may be waiting for their proof at once.
pub const MAX_PENDING_JOINS: usize = 16;

/// Room for would-be joiners that strangers cannot take for long: every new join
/// connection gets a slot at once, and when all are taken the one that has waited longest
/// for its proof is let go ("busy"). A real joiner sends its proof within milliseconds of
/// connecting, so idle strangers cannot keep it out; they only push each other out.
#[derive(Clone, Debug)]
pub struct JoinLimit {
    slots: Arc<Mutex<JoinSlots>>,
}

#[derive(Debug)]
struct JoinSlots {
    capacity: usize,
    next: u64,
    waiting: VecDeque<(u64, oneshot::Sender<()>)>,
}

impl Default for JoinLimit {
    fn default() -> Self {
        Self::new(MAX_PENDING_JOINS)
    }
}

/// A join connection's place while its proof is awaited; [`JoinSlot::evicted`] resolves
/// when a newer joiner needed the room.
#[derive(Debug)]
pub struct JoinSlot {
    id: u64,
    evicted: oneshot::Receiver<()>,
    limit: JoinLimit,
}

impl JoinSlot {
    /// Resolves when this slot was given to a newer joiner.
    pub async fn evicted(&mut self) {
        // A dropped sender (the slot was released) never resolves.
        if (&mut self.evicted).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for JoinSlot {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.limit.slots.lock() {
            slots.waiting.retain(|(id, _)| *id != self.id);
        }
    }
}

impl JoinLimit {
    /// Room for `capacity` joins waiting for their proof.
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: Arc::new(Mutex::new(JoinSlots {
                capacity: capacity.max(1),
                next: 0,
                waiting: VecDeque::new(),
            })),
        }
    }

    /// A slot for a new join connection, letting go of the longest-waiting one if all are taken.
    pub fn admit(&self) -> JoinSlot {
        let (tx, rx) = oneshot::channel();
        let mut slots = match self.slots.lock() {
            Ok(slots) => slots,
            Err(poisoned) => poisoned.into_inner(),
        };
        while slots.waiting.len() >= slots.capacity {
            if let Some((_, oldest)) = slots.waiting.pop_front() {
                let _ = oldest.send(());
            }
        }
        let id = slots.next;
        slots.next += 1;
        slots.waiting.push_back((id, tx));
        drop(slots);
        JoinSlot {
            id,
            evicted: rx,
            limit: self.clone(),
        }
    }
}

/// Frames a connected device may send per second, sustained.
pub const FRAMES_PER_SECOND: f64 = 200.0;
/// Frames a connected device may send at once before being slowed down.
pub const FRAME_BURST: f64 = 400.0;
/// Bytes a connected device may send per second, sustained (16 MiB/s).
pub const BYTES_PER_SECOND: f64 = 16.0 * 1024.0 * 1024.0;
/// Bytes a connected device may send at once: one largest sync frame (64 MiB) fits.
pub const BYTE_BURST: f64 = 64.0 * 1024.0 * 1024.0 + 5.0;

/// One token bucket: `rate` tokens a second, holding at most `burst`; a charge beyond what
/// it holds is a debt, paid off by waiting.
#[derive(Clone, Debug)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            at: now,
        }
    }

    fn charge(&mut self, now: Instant, cost: f64) -> Duration {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst) - cost;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// Share of one core the node may spend on one device's messages, sustained.
pub const CPU_SHARE: f64 = 0.25;
/// Time the node may spend on one device's messages at once before it is slowed down (a
/// new member's first sync of a large community fits).
pub const CPU_BURST: Duration = Duration::from_secs(3);

/// What one connected device may cost: frames and bytes per second, and the node's time
/// spent on its messages, with bursts. One budget covers all of a device's connections.
///
/// Sans-IO: the connection task charges each frame it reads and pauses reading for the
/// returned time, so QUIC flow control holds the sender back; the node charges the time
/// each message took. Nothing is dropped; a misbehaving member is slowed to the budget and
/// cannot monopolise the node.
#[derive(Clone, Debug)]
pub struct PeerBudget {
    frames: Bucket,
    bytes: Bucket,
    cpu: Bucket,
}

impl PeerBudget {
    /// The default budget, starting full at `now`.
    pub fn new(now: Instant) -> Self {
        Self::with_rates(
            now,
            (FRAMES_PER_SECOND, FRAME_BURST),
            (BYTES_PER_SECOND, BYTE_BURST),
        )
    }

    /// A budget of `(rate, burst)` frames and `(rate, burst)` bytes, starting full.
    pub fn with_rates(now: Instant, frames: (f64, f64), bytes: (f64, f64)) -> Self {
        Self {
            frames: Bucket::new(frames.0, frames.1, now),
            bytes: Bucket::new(bytes.0, bytes.1, now),
            cpu: Bucket::new(CPU_SHARE, CPU_BURST.as_secs_f64(), now),
        }
    }

    /// Charges `spent`, the node's time on one of this device's messages; returns how long
    /// its connections should wait before the next frame is read.
    pub fn charge_cpu(&mut self, now: Instant, spent: Duration) -> Duration {
        self.cpu.charge(now, spent.as_secs_f64())
    }

    /// How long to wait before reading this device's next frame (time owed, if any).
    pub fn owed(&mut self, now: Instant) -> Duration {
        let frames = self.frames.charge(now, 0.0);
        let bytes = self.bytes.charge(now, 0.0);
        let cpu = self.cpu.charge(now, 0.0);
        frames.max(bytes).max(cpu)
    }

    /// Charges one frame of `len` bytes read at `now`; returns how long to wait before
    /// reading the next one.
    pub fn charge(&mut self, now: Instant, len: usize) -> Duration {
        let frames = self.frames.charge(now, 1.0);
        let bytes = self.bytes.charge(now, len as f64);
        let cpu = self.cpu.charge(now, 0.0);
        frames.max(bytes).max(cpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_sender_is_held_to_the_rate() {
        let t0 = Instant::now();
        let mut budget = PeerBudget::with_rates(t0, (100.0, 10.0), (1e9, 1e9));
        for _ in 0..10 {
            assert_eq!(budget.charge(t0, 10), Duration::ZERO);
        }
        // The 11th frame at the same instant must wait one frame's worth: 10 ms.
        let wait = budget.charge(t0, 10);
        assert!((wait.as_secs_f64() - 0.01).abs() < 1e-9, "{wait:?}");
        // A sender that waits as told is never held longer; 1 s later the burst is back.
        let later = t0 + Duration::from_secs(1);
        for _ in 0..10 {
            assert_eq!(budget.charge(later, 10), Duration::ZERO);
        }
        assert!(budget.charge(later, 10) > Duration::ZERO);
    }

    #[test]
    fn a_flood_of_frames_is_paced_to_the_frame_rate() {
        let t0 = Instant::now();
        let mut budget = PeerBudget::new(t0);
        let mut now = t0;
        for _ in 0..2_000 {
            now += budget.charge(now, 100);
        }
        // 2,000 frames: the 400 of the burst at once, then 1,600 at 200 a second.
        let took = (now - t0).as_secs_f64();
        assert!((took - 8.0).abs() < 0.01, "{took}");
    }

    #[test]
    fn time_spent_on_a_peer_beyond_its_share_makes_it_wait() {
        let t0 = Instant::now();
        let mut budget = PeerBudget::new(t0);
        assert_eq!(budget.charge_cpu(t0, CPU_BURST), Duration::ZERO);
        let wait = budget.charge_cpu(t0, Duration::from_millis(250));
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-6, "{wait:?}");
        assert_eq!(budget.owed(t0), wait);
        assert_eq!(budget.owed(t0 + wait), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_new_joiner_always_gets_a_slot_and_the_longest_waiting_goes() {
        let limit = JoinLimit::new(2);
        let mut first = limit.admit();
        let _second = limit.admit();
        let _third = limit.admit();
        tokio::time::timeout(Duration::from_secs(1), first.evicted())
            .await
            .expect("the oldest slot is given up");
        // A released slot makes room without evicting anyone.
        drop(_third);
        let mut second = _second;
        let _fourth = limit.admit();
        assert!(
            tokio::time::timeout(Duration::from_millis(100), second.evicted())
                .await
                .is_err()
        );
    }

    #[test]
    fn bytes_are_paced_too_and_one_largest_frame_fits_the_burst() {
        let t0 = Instant::now();
        let mut budget = PeerBudget::new(t0);
        assert_eq!(budget.charge(t0, BYTE_BURST as usize), Duration::ZERO);
        let wait = budget.charge(t0, 16 * 1024 * 1024);
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-6, "{wait:?}");
    }
}
