//! Opening connections: a sync session with a member's device, or a join with an inviter.

use std::net::SocketAddr;
use std::time::Duration;

use commonroom_proto::frame::{Hello, JoinReply, JoinRequest};
use commonroom_proto::{ALPN_JOIN, ALPN_SYNC, Frame, PROTOCOL_VERSION};
use iroh::EndpointAddr;
use iroh::endpoint::{Connection, RecvStream, SendStream};

use crate::framed::{read_frame_within, write_frame};
use crate::{Bound, NetError, close};

/// How long to wait for a connection and its handshake.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(10);

async fn connect(
    bound: &Bound,
    addr: EndpointAddr,
    alpn: &[u8],
) -> Result<(Connection, SendStream, RecvStream), NetError> {
    let conn = match tokio::time::timeout(DIAL_TIMEOUT, bound.endpoint.connect(addr, alpn)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return Err(NetError::Connect(e.to_string())),
        Err(_) => return Err(NetError::Timeout(DIAL_TIMEOUT.as_secs())),
    };
    match tokio::time::timeout(DIAL_TIMEOUT, conn.open_bi()).await {
        Ok(Ok((send, recv))) => Ok((conn, send, recv)),
        Ok(Err(e)) => Err(NetError::Connection(e.to_string())),
        Err(_) => Err(NetError::Timeout(DIAL_TIMEOUT.as_secs())),
    }
}

/// Opens a sync connection for `community` and waits for the peer's gate to accept it.
pub async fn dial_sync(
    bound: &Bound,
    addr: EndpointAddr,
    community: &str,
    own_addrs: Vec<SocketAddr>,
) -> Result<(Connection, SendStream, RecvStream), NetError> {
    let (conn, mut send, mut recv) = connect(bound, addr, ALPN_SYNC).await?;
    let hello = Hello {
        version: PROTOCOL_VERSION,
        community: community.to_owned(),
        addrs: own_addrs,
        relay: bound.home_relay(),
        shares_addresses: true,
        shares_docs: true,
        doc_snapshots: true,
    };
    write_frame(&mut send, &Frame::Hello(hello)).await?;
    match read_frame_within(&mut recv, DIAL_TIMEOUT).await {
        Ok(Frame::Accept) => Ok((conn, send, recv)),
        Ok(Frame::Refuse(reason)) => {
            conn.close(close::DONE.into(), b"refused");
            Err(NetError::Refused(reason))
        }
        Ok(other) => {
            conn.close(close::PROTOCOL.into(), b"protocol error");
            Err(NetError::Protocol(format!(
                "expected accept or refuse, got {other:?}"
            )))
        }
        Err(_) if close::was_busy(&conn) => Err(NetError::Busy),
        Err(e) => {
            conn.close(close::PROTOCOL.into(), b"no answer");
            Err(e)
        }
    }
}

/// Presents an invite to one member's device; returns the new member id once admitted.
pub async fn dial_join(
    bound: &Bound,
    addr: EndpointAddr,
    request: JoinRequest,
) -> Result<JoinReply, NetError> {
    let (conn, send, recv) = connect(bound, addr, ALPN_JOIN).await?;
    ask_to_join(conn, send, recv, &request).await
}

/// Sends the join request on an open join connection and reads the answer.
async fn ask_to_join(
    conn: Connection,
    mut send: SendStream,
    mut recv: RecvStream,
    request: &JoinRequest,
) -> Result<JoinReply, NetError> {
    let answer = match write_frame(&mut send, &Frame::Join(request.clone())).await {
        Ok(()) => read_frame_within(&mut recv, Duration::from_secs(30)).await,
        Err(e) => Err(e),
    };
    if answer.is_err() && close::was_busy(&conn) {
        return Err(NetError::Busy);
    }
    conn.close(close::DONE.into(), b"done");
    match answer? {
        Frame::Joined(reply) => Ok(reply),
        Frame::Refuse(reason) => Err(NetError::Refused(reason)),
        other => Err(NetError::Protocol(format!(
            "expected a join answer, got {other:?}"
        ))),
    }
}

/// Of two reasons a join failed, the one that tells the joiner more: a refusal, then a
/// busy member, then the first seen.
fn more_telling(known: Option<NetError>, new: NetError) -> NetError {
    let rank = |e: &NetError| match e {
        NetError::Refused(_) => 2,
        NetError::Busy => 1,
        _ => 0,
    };
    match known {
        Some(known) if rank(&known) >= rank(&new) => known,
        _ => new,
    }
}

/// Presents an invite to whichever of the member devices `candidates` can be reached: all
/// are dialed at once, and the request goes to one connection at a time, the first
/// connected first, until one admits this device (so only one can). Returns which one
/// (its index) and its answer; else a refusal if any refused (the most telling answer),
/// or why none could be reached.
pub async fn dial_join_any(
    bound: &Bound,
    candidates: Vec<EndpointAddr>,
    request: JoinRequest,
) -> Result<(usize, JoinReply), NetError> {
    let mut dials = tokio::task::JoinSet::new();
    for (index, addr) in candidates.into_iter().enumerate() {
        let bound = bound.clone();
        dials.spawn(async move { (index, connect(&bound, addr, ALPN_JOIN).await) });
    }
    let mut failure: Option<NetError> = None;
    while let Some(dialed) = dials.join_next().await {
        let Ok((index, dialed)) = dialed else {
            continue;
        };
        let answer = match dialed {
            Ok((conn, send, recv)) => ask_to_join(conn, send, recv, &request).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(reply) => {
                dials.abort_all();
                return Ok((index, reply));
            }
            Err(e) => failure = Some(more_telling(failure, e)),
        }
    }
    Err(failure.unwrap_or(NetError::Timeout(DIAL_TIMEOUT.as_secs())))
}
