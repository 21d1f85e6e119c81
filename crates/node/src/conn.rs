//! One task per live sync connection: reads frames for the actor, writes what the actor sends.

use std::time::Instant;

use commonroom_net::close;
use commonroom_net::framed::{read_frame, write_frame};
use commonroom_net::limits::PeerBudget;
use commonroom_proto::Frame;
use commonroom_proto::frame::HEADER_LEN;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use tokio::sync::mpsc;

use crate::actor::Msg;

/// Identifies a live connection inside the node.
pub(crate) type ConnId = u64;

/// How many outgoing messages may queue for one peer before it is considered stuck.
pub(crate) const OUTGOING_QUEUE: usize = 1024;

/// How long a connection the node lets go of may take to deliver its last frames.
const FINISH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs a connection until either side ends it, then tells the actor.
pub(crate) async fn run(
    id: ConnId,
    conn: Connection,
    mut send: SendStream,
    mut recv: RecvStream,
    mut outgoing: mpsc::Receiver<Frame>,
    actor: mpsc::Sender<Msg>,
) {
    let reader = async {
        let mut budget = PeerBudget::new(Instant::now());
        loop {
            let frame = read_frame(&mut recv).await;
            if let Ok(Some(Frame::Sync(bytes) | Frame::Snapshot(bytes))) = &frame {
                // Over its budget, the peer waits: reading pauses and QUIC flow control
                // holds the sender back.
                let pause = budget.charge(Instant::now(), bytes.len() + HEADER_LEN);
                if !pause.is_zero() {
                    tracing::debug!(id, ?pause, "peer over its frame budget; slowing it down");
                    tokio::time::sleep(pause).await;
                }
            }
            match frame {
                Ok(Some(Frame::Sync(bytes))) => {
                    if actor.send(Msg::Incoming { id, bytes }).await.is_err() {
                        return "node stopped".to_owned();
                    }
                }
                Ok(Some(Frame::Snapshot(bytes))) => {
                    if actor.send(Msg::Snapshot { id, bytes }).await.is_err() {
                        return "node stopped".to_owned();
                    }
                }
                Ok(Some(other)) => return format!("unexpected frame {other:?}"),
                Ok(None) => return "peer finished".to_owned(),
                Err(e) => return e.to_string(),
            }
        }
    };
    let writer = async {
        while let Some(frame) = outgoing.recv().await {
            if let Err(e) = write_frame(&mut send, &frame).await {
                return e.to_string();
            }
        }
        // The node let go of this peer (say, it was removed): deliver what is queued
        // (its removal among it) before closing, waiting a bounded time for the peer.
        if send.finish().is_ok() {
            let _ = tokio::time::timeout(FINISH_WAIT, send.stopped()).await;
        }
        "closed by node".to_owned()
    };
    let reason = tokio::select! {
        reason = reader => reason,
        reason = writer => reason,
        closed = conn.closed() => closed.to_string(),
    };
    tracing::debug!(id, %reason, "sync connection ended");
    let code = if reason.contains("unexpected frame") || reason.contains("protocol") {
        close::PROTOCOL
    } else {
        close::DONE
    };
    conn.close(code.into(), b"bye");
    let _ = actor.send(Msg::Closed { id }).await;
}
