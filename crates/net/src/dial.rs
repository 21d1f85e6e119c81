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

/// Presents an invite to the inviter; returns the new member id once admitted.
pub async fn dial_join(
    bound: &Bound,
    addr: EndpointAddr,
    request: JoinRequest,
) -> Result<JoinReply, NetError> {
    let (conn, mut send, mut recv) = connect(bound, addr, ALPN_JOIN).await?;
    let answer = match write_frame(&mut send, &Frame::Join(request)).await {
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
