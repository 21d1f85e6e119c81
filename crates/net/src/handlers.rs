//! Protocol handlers: one per versioned ALPN. They run the handshake (with timeouts and the
//! gate) and hand accepted connections to the node.

use std::net::SocketAddr;
use std::time::Duration;

use commonroom_proto::frame::JoinRequest;
use commonroom_proto::{Frame, Opening, PROTOCOL_VERSION};
use iroh::EndpointId;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler};
use tokio::sync::mpsc;

use crate::framed::{read_opening, write_frame};
use crate::gate::Gate;
use crate::limits::{JoinLimit, StrangerLimit};
use crate::{NetError, close};

/// How long a peer has to open its stream and say hello.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a would-be joiner has to open its stream and present its invite.
pub const JOIN_PROOF_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection that passed its handshake, for the node to run.
#[derive(Debug)]
pub enum Inbound {
    /// A member's device opened a sync connection for a community it is admitted to.
    Sync {
        /// The peer's endpoint id (authenticated by QUIC/TLS).
        peer: EndpointId,
        /// The community.
        community: String,
        /// Where the peer says it can be reached.
        peer_addrs: Vec<SocketAddr>,
        /// The peer's home relay, as it says.
        peer_relay: Option<String>,
        /// The peer takes member address books (its hello said so).
        shares_addresses: bool,
        /// The peer syncs side documents (its hello said so).
        shares_docs: bool,
        /// The peer takes whole side documents it lacks (its hello said so).
        doc_snapshots: bool,
        /// The connection.
        conn: Connection,
        /// Our half of the stream.
        send: SendStream,
        /// The peer's half of the stream.
        recv: RecvStream,
    },
    /// Someone presents an invite. The node checks the proof and answers on `send`.
    Join {
        /// The joiner's endpoint id (authenticated by QUIC/TLS).
        peer: EndpointId,
        /// What they sent.
        request: JoinRequest,
        /// The connection.
        conn: Connection,
        /// Our half of the stream, for the answer.
        send: SendStream,
    },
}

/// Accepts the peer's stream and reads its opening frame, all within `limit`: only the
/// `expected` kind, at most a control frame's size, refused from its header otherwise.
async fn opening(
    conn: &Connection,
    expected: Opening,
    limit: Duration,
) -> Result<(SendStream, RecvStream, Frame), NetError> {
    let started = tokio::time::Instant::now();
    let (send, mut recv) = match tokio::time::timeout(limit, conn.accept_bi()).await {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => return Err(NetError::Connection(e.to_string())),
        Err(_) => return Err(NetError::Timeout(limit.as_secs())),
    };
    let left = limit.saturating_sub(started.elapsed());
    let first = read_opening(&mut recv, expected, left).await?;
    Ok((send, recv, first))
}

/// Refuses a peer speaking another protocol version; returns whether it was refused.
async fn refused_version(conn: &Connection, send: &mut SendStream, version: u32) -> bool {
    if version == PROTOCOL_VERSION {
        return false;
    }
    refuse(
        conn,
        send,
        &format!("protocol version {version} is not supported"),
    )
    .await;
    true
}

/// Refuses politely: a reason, then the connection is closed.
pub async fn refuse(conn: &Connection, send: &mut SendStream, reason: &str) {
    let _ = write_frame(send, &Frame::Refuse(reason.to_owned())).await;
    let _ = send.finish();
    // Give the reason a moment to arrive before the close.
    let _ = tokio::time::timeout(Duration::from_millis(500), send.stopped()).await;
    conn.close(close::REFUSED.into(), reason.as_bytes());
}

fn protocol_error(conn: &Connection, error: &NetError) {
    tracing::debug!(peer = %conn.remote_id().fmt_short(), %error, "closing connection");
    conn.close(close::PROTOCOL.into(), b"protocol error");
}

/// Handles `commonroom/sync/1`: hello, gate, then hands the connection to the node.
#[derive(Clone, Debug)]
pub struct SyncHandler {
    gate: Gate,
    strangers: StrangerLimit,
    inbound: mpsc::Sender<Inbound>,
}

impl SyncHandler {
    /// A handler that admits peers through `gate` and passes connections on `inbound`;
    /// devices the gate does not know share the `strangers` budget.
    pub fn new(gate: Gate, strangers: StrangerLimit, inbound: mpsc::Sender<Inbound>) -> Self {
        Self {
            gate,
            strangers,
            inbound,
        }
    }

    async fn handshake(&self, conn: Connection) -> Result<(), NetError> {
        let peer = conn.remote_id();
        let (mut send, recv, first) = opening(&conn, Opening::Hello, HANDSHAKE_TIMEOUT).await?;
        let Frame::Hello(hello) = first else {
            return Err(NetError::Protocol(format!(
                "expected a hello, got {first:?}"
            )));
        };
        if refused_version(&conn, &mut send, hello.version).await {
            return Ok(());
        }
        if !self.gate.admits(&hello.community, &peer) {
            tracing::info!(peer = %peer.fmt_short(), community = %hello.community, "refused a device that is not a member");
            refuse(
                &conn,
                &mut send,
                "this device is not a member of that community",
            )
            .await;
            return Ok(());
        }
        write_frame(&mut send, &Frame::Accept).await?;
        let inbound = Inbound::Sync {
            peer,
            community: hello.community,
            peer_addrs: hello.addrs,
            peer_relay: hello.relay,
            shares_addresses: hello.shares_addresses,
            shares_docs: hello.shares_docs,
            doc_snapshots: hello.doc_snapshots,
            conn: conn.clone(),
            send,
            recv,
        };
        if self.inbound.send(inbound).await.is_err() {
            conn.close(close::SHUTDOWN.into(), b"shutting down");
        }
        Ok(())
    }
}

/// Runs a handshake, holding a stranger permit when the gate does not know the device (or
/// closing the connection at once when the budget is spent); a broken handshake closes it.
async fn guarded(
    gate: &Gate,
    strangers: &StrangerLimit,
    conn: &Connection,
    handshake: impl Future<Output = Result<(), NetError>>,
) {
    let _permit = if gate.knows(&conn.remote_id()) {
        None
    } else {
        match strangers.try_admit() {
            Some(permit) => Some(permit),
            None => {
                conn.close(close::BUSY.into(), b"busy");
                return;
            }
        }
    };
    if let Err(error) = handshake.await {
        protocol_error(conn, &error);
    }
}

impl ProtocolHandler for SyncHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        guarded(
            &self.gate,
            &self.strangers,
            &conn,
            self.handshake(conn.clone()),
        )
        .await;
        Ok(())
    }
}

/// Handles `commonroom/join/1`: reads the join request and hands it to the node.
///
/// Joiners have their own room ([`JoinLimit`]), apart from the strangers' budget on the
/// sync protocol: a slot is held only until the request arrives (at most
/// [`JOIN_PROOF_TIMEOUT`]), and a newcomer always gets one, the longest-waiting connection
/// being let go ("busy") when all are taken.
#[derive(Clone, Debug)]
pub struct JoinHandler {
    joins: JoinLimit,
    inbound: mpsc::Sender<Inbound>,
}

impl JoinHandler {
    /// A handler that passes join requests on `inbound`, holding at most `joins`' room
    /// for requests still to arrive.
    pub fn new(joins: JoinLimit, inbound: mpsc::Sender<Inbound>) -> Self {
        Self { joins, inbound }
    }

    /// Reads the join request, giving up the slot if a newer joiner needs it.
    async fn proof(&self, conn: &Connection) -> Option<(SendStream, JoinRequest)> {
        let mut slot = self.joins.admit();
        let read = opening(conn, Opening::Join, JOIN_PROOF_TIMEOUT);
        let (mut send, _recv, first) = tokio::select! {
            read = read => match read {
                Ok(read) => read,
                Err(error) => {
                    protocol_error(conn, &error);
                    return None;
                }
            },
            () = slot.evicted() => {
                conn.close(close::BUSY.into(), b"busy");
                return None;
            }
        };
        drop(slot);
        let Frame::Join(request) = first else {
            protocol_error(conn, &NetError::Protocol("expected a join request".into()));
            return None;
        };
        if refused_version(conn, &mut send, request.version).await {
            return None;
        }
        Some((send, request))
    }
}

impl ProtocolHandler for JoinHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Some((send, request)) = self.proof(&conn).await else {
            return Ok(());
        };
        let peer = conn.remote_id();
        if self
            .inbound
            .send(Inbound::Join {
                peer,
                request,
                conn: conn.clone(),
                send,
            })
            .await
            .is_err()
        {
            conn.close(close::SHUTDOWN.into(), b"shutting down");
            return Ok(());
        }
        // Keep the connection open until the node has answered and the joiner hangs up.
        let _ = tokio::time::timeout(Duration::from_secs(30), conn.closed()).await;
        Ok(())
    }
}
