//! One task per live sync connection: reads frames for the engine, writes what the engine sends.
//!
//! What a peer sends is paid for here, before the engine sees it: the device's budget (all
//! its connections together) is charged for every frame and paid by waiting, room for a
//! frame's payload is reserved among everything that device has in flight, and a sync
//! message or snapshot is checked against the protocol's hard limits
//! ([`commonroom_proto::checked`]) on a blocking thread, off the driver's.

use commonroom_model::automerge::AutoCommit;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commonroom_net::close;
use commonroom_net::endpoint::{relay_url, usable_addrs};
use commonroom_net::framed::{read_header, read_payload, write_frame, write_shared};
use commonroom_net::limits::PeerBudget;
use commonroom_proto::checked::{self, CheckedMessage};
use commonroom_proto::frame::{DeviceAddress, HEADER_LEN};
use commonroom_proto::{Frame, MAX_SYNC_LEN};
use iroh::endpoint::{Connection, RecvStream, SendStream};
use tokio::sync::{Semaphore, mpsc};

use commonroom_engine::ConnId;
pub(crate) use commonroom_engine::Outgoing;

use crate::driver::Msg;

/// How many outgoing messages may queue for one peer before it is considered stuck.
pub(crate) const OUTGOING_QUEUE: usize = 1024;

/// How long a connection the node lets go of may take to deliver its last frames.
const FINISH_WAIT: Duration = Duration::from_secs(2);

/// How long a connection the peer closed waits for a frame it is still checking.
const LAST_FRAME_WAIT: Duration = Duration::from_secs(2);

/// Payload bytes one device may have in flight at once, all its connections together:
/// one largest frame and a little more.
pub(crate) const IN_FLIGHT_BYTES: u32 = MAX_SYNC_LEN + 1024 * 1024;

/// What one device may cost the node, shared by all its connections.
#[derive(Debug)]
pub(crate) struct PeerShare {
    budget: Mutex<PeerBudget>,
    in_flight: Arc<Semaphore>,
}

impl PeerShare {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            budget: Mutex::new(PeerBudget::new(Instant::now())),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT_BYTES as usize)),
        })
    }

    fn with_budget<T>(&self, f: impl FnOnce(&mut PeerBudget) -> T) -> T {
        let mut budget = match self.budget.lock() {
            Ok(budget) => budget,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut budget)
    }

    /// Charges the node's time spent on one of this device's messages.
    pub(crate) fn charge_cpu(&self, spent: Duration) {
        self.with_budget(|b| b.charge_cpu(Instant::now(), spent));
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum End {
    PeerFinished,
    NodeStopped,
    ClosedByNode,
    /// The peer broke the protocol or a limit: closed with [`close::PROTOCOL`].
    Protocol(String),
    Connection(String),
}

impl End {
    fn from_net(error: commonroom_net::NetError) -> Self {
        match error {
            commonroom_net::NetError::Protocol(reason) => Self::Protocol(reason),
            other => Self::Connection(other.to_string()),
        }
    }
}

/// Reads the peer's frames for the driver, within the device's budget and limits.
async fn read_loop(
    id: ConnId,
    recv: &mut RecvStream,
    driver: &mpsc::Sender<Msg>,
    share: &PeerShare,
) -> End {
    loop {
        // Over its budget, the device waits: reading pauses and QUIC flow control holds
        // the sender back.
        let owed = share.with_budget(|b| b.owed(Instant::now()));
        if !owed.is_zero() {
            tracing::debug!(id, ?owed, "peer over its budget; slowing it down");
            tokio::time::sleep(owed).await;
        }
        let header = match read_header(recv).await {
            Ok(Some(header)) => header,
            Ok(None) => return End::PeerFinished,
            Err(e) => return End::from_net(e),
        };
        // Room for the payload among everything this device has in flight.
        let Ok(permit) = share
            .in_flight
            .clone()
            .acquire_many_owned(header.len.max(1))
            .await
        else {
            return End::NodeStopped;
        };
        let frame = match read_payload(recv, header).await {
            Ok(frame) => frame,
            Err(e) => return End::from_net(e),
        };
        share.with_budget(|b| b.charge(Instant::now(), header.len as usize + HEADER_LEN));
        let msg = match frame {
            Frame::Sync(bytes) => {
                match checked_off_thread(share, bytes, CheckedMessage::check).await {
                    Ok(message) => Msg::Incoming {
                        id,
                        message,
                        _permit: permit,
                    },
                    Err(reason) => return End::Protocol(reason),
                }
            }
            Frame::Snapshot(bytes) => {
                let check = |bytes: Vec<u8>| checked::document(&bytes).map(|_| bytes);
                match checked_off_thread(share, bytes, check).await {
                    Ok(bytes) => Msg::Snapshot {
                        id,
                        bytes,
                        _permit: permit,
                    },
                    Err(reason) => return End::Protocol(reason),
                }
            }
            Frame::DocSync { doc, message } => {
                match checked_off_thread(share, message, CheckedMessage::check).await {
                    Ok(message) => Msg::DocIncoming {
                        id,
                        doc,
                        message,
                        _permit: permit,
                    },
                    Err(reason) => return End::Protocol(reason),
                }
            }
            Frame::DocSnapshot { doc, bytes } => {
                // Checked, then loaded here too: a whole conversation index takes a while
                // to load, and the node goes on with other work meanwhile.
                let check = |bytes: Vec<u8>| {
                    checked::document(&bytes)?;
                    let loaded = AutoCommit::load(&bytes).ok().map(Box::new);
                    Ok((bytes, loaded))
                };
                match checked_off_thread(share, bytes, check).await {
                    Ok((bytes, loaded)) => Msg::DocSnapshot {
                        id,
                        doc,
                        bytes,
                        loaded,
                        _permit: permit,
                    },
                    Err(reason) => return End::Protocol(reason),
                }
            }
            Frame::DocHeads(docs) => Msg::DocHeads { id, docs },
            Frame::Addresses(devices) => Msg::Addresses {
                id,
                devices: usable_ways_in(devices),
            },
            other => return End::Protocol(format!("unexpected frame {other:?}")),
        };
        if driver.send(msg).await.is_err() {
            return End::NodeStopped;
        }
    }
}

/// What of a member's address book this node would use: each device's usable direct
/// addresses and its relay as the transport understands it; devices with neither are left
/// out. (The relay is kept only in the understood form, never as the peer wrote it.)
fn usable_ways_in(devices: Vec<DeviceAddress>) -> Vec<DeviceAddress> {
    devices
        .into_iter()
        .filter_map(|mut device| {
            device.addrs = usable_addrs(device.addrs);
            device.relay = device
                .relay
                .as_deref()
                .and_then(relay_url)
                .map(|url| url.to_string());
            (!device.addrs.is_empty() || device.relay.is_some()).then_some(device)
        })
        .collect()
}

/// Runs a limits check on a blocking thread (inflating a large message takes a while) and
/// charges the time it took to the device.
async fn checked_off_thread<T: Send + 'static>(
    share: &PeerShare,
    bytes: Vec<u8>,
    check: impl FnOnce(Vec<u8>) -> Result<T, checked::CheckError> + Send + 'static,
) -> Result<T, String> {
    let started = Instant::now();
    let result = tokio::task::spawn_blocking(move || check(bytes)).await;
    share.charge_cpu(started.elapsed());
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("refused what the peer sent: {e}")),
        Err(e) => Err(format!("checking what the peer sent failed: {e}")),
    }
}

/// Runs a connection until either side ends it, then tells the driver.
pub(crate) async fn run(
    id: ConnId,
    conn: Connection,
    mut send: SendStream,
    mut recv: RecvStream,
    mut outgoing: mpsc::Receiver<Outgoing>,
    driver: mpsc::Sender<Msg>,
    share: Arc<PeerShare>,
) {
    let reader = read_loop(id, &mut recv, &driver, &share);
    let writer = async {
        while let Some(out) = outgoing.recv().await {
            let written = match &out {
                Outgoing::Frame(frame) => write_frame(&mut send, frame).await,
                Outgoing::Snapshot(bytes) => {
                    write_shared(&mut send, Frame::snapshot_header(bytes.len()), bytes).await
                }
            };
            if let Err(e) = written {
                return End::Connection(e.to_string());
            }
        }
        // The node let go of this peer (say, it was removed): deliver what is queued
        // (its removal among it) before closing, waiting a bounded time for the peer.
        if send.finish().is_ok() {
            let _ = tokio::time::timeout(FINISH_WAIT, send.stopped()).await;
        }
        End::ClosedByNode
    };
    tokio::pin!(reader);
    let end = tokio::select! {
        end = &mut reader => end,
        end = writer => end,
        closed = conn.closed() => {
            // A frame already read may still be in its check: let it reach the engine (the
            // peer's last words, such as a removal, often come just before it closes). The
            // next read fails at once on the closed connection.
            match tokio::time::timeout(LAST_FRAME_WAIT, &mut reader).await {
                Ok(End::Connection(_)) | Err(_) => End::Connection(closed.to_string()),
                Ok(end) => end,
            }
        }
    };
    tracing::debug!(id, ?end, "sync connection ended");
    match &end {
        End::Protocol(reason) => {
            tracing::info!(id, peer = %conn.remote_id().fmt_short(), %reason, "closing a connection that broke the protocol");
            conn.close(close::PROTOCOL.into(), b"protocol error");
        }
        End::Connection(reason) => {
            tracing::debug!(id, %reason, "the connection broke");
            conn.close(close::DONE.into(), b"bye");
        }
        End::PeerFinished | End::NodeStopped | End::ClosedByNode => {
            conn.close(close::DONE.into(), b"bye");
        }
    }
    let _ = driver.send(Msg::Closed { id }).await;
}
