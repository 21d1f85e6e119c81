//! Reading and writing [`Frame`]s on QUIC streams, with the size check before allocation.
//!
//! A payload is read as it arrives, never allocated whole from the header's word: a peer
//! that announces a large frame and stalls holds only what it actually sent, and only until
//! the frame's deadline ([`frame_deadline`]).

use std::time::Duration;

use commonroom_proto::frame::HEADER_LEN;
use commonroom_proto::{Frame, Header, Opening};
use iroh::endpoint::{ReadExactError, RecvStream, SendStream};

use crate::NetError;

/// Bytes read from the stream at a time while a payload arrives.
const READ_STEP: usize = 64 * 1024;

/// Slowest pace a frame's payload may arrive at once its header is in (bytes a second),
/// beyond a fixed allowance; a 64 MiB frame has 4 minutes and 26 s.
pub const MIN_FRAME_PACE: u64 = 256 * 1024;
/// Time any frame has, however small, once its header is in.
pub const FRAME_ALLOWANCE: Duration = Duration::from_secs(10);

/// How long the payload of a frame of `len` bytes may take to arrive once its header is in.
pub fn frame_deadline(len: u32) -> Duration {
    FRAME_ALLOWANCE + Duration::from_secs(u64::from(len) / MIN_FRAME_PACE)
}

/// Reads a header's 5 bytes; `Ok(None)` when the peer finished the stream cleanly.
async fn read_head(recv: &mut RecvStream) -> Result<Option<[u8; HEADER_LEN]>, NetError> {
    let mut head = [0u8; HEADER_LEN];
    match recv.read_exact(&mut head).await {
        Ok(()) => Ok(Some(head)),
        Err(ReadExactError::FinishedEarly(0)) => Ok(None),
        Err(ReadExactError::FinishedEarly(n)) => Err(NetError::Protocol(format!(
            "stream ended inside a frame header ({n} bytes)"
        ))),
        Err(ReadExactError::ReadError(e)) => Err(NetError::Connection(e.to_string())),
    }
}

/// Reads the next frame's header, checked against the kind's limit; `Ok(None)` when the
/// peer finished the stream cleanly.
pub async fn read_header(recv: &mut RecvStream) -> Result<Option<Header>, NetError> {
    let Some(head) = read_head(recv).await? else {
        return Ok(None);
    };
    // The announced length is checked here, before anything is allocated for it.
    Header::parse(head)
        .map(Some)
        .map_err(|e| NetError::Protocol(e.to_string()))
}

/// Reads the payload announced by `header` as it arrives, within its deadline, and decodes it.
pub async fn read_payload(recv: &mut RecvStream, header: Header) -> Result<Frame, NetError> {
    let limit = frame_deadline(header.len);
    let payload = match tokio::time::timeout(limit, read_exact_growing(recv, header.len)).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(NetError::Protocol(format!(
                "a frame of {} bytes did not arrive within {} s",
                header.len,
                limit.as_secs()
            )));
        }
    };
    Frame::decode(header, &payload).map_err(|e| NetError::Protocol(e.to_string()))
}

/// Reads exactly `len` bytes, growing the buffer only as bytes come.
async fn read_exact_growing(recv: &mut RecvStream, len: u32) -> Result<Vec<u8>, NetError> {
    let len = len as usize;
    let mut payload = Vec::with_capacity(len.min(READ_STEP));
    while payload.len() < len {
        let filled = payload.len();
        let step = (len - filled).min(READ_STEP);
        payload.resize(filled + step, 0);
        match recv.read(&mut payload[filled..]).await {
            Ok(Some(n)) => payload.truncate(filled + n),
            Ok(None) => {
                return Err(NetError::Protocol(format!(
                    "truncated frame: {filled} of {len} bytes"
                )));
            }
            Err(e) => return Err(NetError::Connection(e.to_string())),
        }
    }
    Ok(payload)
}

/// Reads the next frame; `Ok(None)` when the peer finished the stream cleanly.
pub async fn read_frame(recv: &mut RecvStream) -> Result<Option<Frame>, NetError> {
    match read_header(recv).await? {
        Some(header) => read_payload(recv, header).await.map(Some),
        None => Ok(None),
    }
}

/// Reads the next frame within `limit`, failing on timeout or a clean end.
pub async fn read_frame_within(recv: &mut RecvStream, limit: Duration) -> Result<Frame, NetError> {
    match tokio::time::timeout(limit, read_frame(recv)).await {
        Ok(Ok(Some(frame))) => Ok(frame),
        Ok(Ok(None)) => Err(NetError::Connection("the peer closed the stream".into())),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(NetError::Timeout(limit.as_secs())),
    }
}

/// Reads a connection's opening frame within `limit`: only the `opening` kind, at most a
/// control frame's size, refused from the header before anything is allocated.
pub async fn read_opening(
    recv: &mut RecvStream,
    opening: Opening,
    limit: Duration,
) -> Result<Frame, NetError> {
    let read = async {
        let Some(head) = read_head(recv).await? else {
            return Err(NetError::Connection("the peer closed the stream".into()));
        };
        let header =
            Header::parse_opening(head, opening).map_err(|e| NetError::Protocol(e.to_string()))?;
        read_payload(recv, header).await
    };
    match tokio::time::timeout(limit, read).await {
        Ok(result) => result,
        Err(_) => Err(NetError::Timeout(limit.as_secs())),
    }
}

/// Writes one frame.
pub async fn write_frame(send: &mut SendStream, frame: &Frame) -> Result<(), NetError> {
    send.write_all(&frame.encode())
        .await
        .map_err(|e| NetError::Connection(e.to_string()))
}

/// Writes a frame of `kind`'s header and then `payload` without copying it (a snapshot
/// shared by every connection that sends it).
pub async fn write_shared(
    send: &mut SendStream,
    header: [u8; HEADER_LEN],
    payload: &[u8],
) -> Result<(), NetError> {
    send.write_all(&header)
        .await
        .map_err(|e| NetError::Connection(e.to_string()))?;
    send.write_all(payload)
        .await
        .map_err(|e| NetError::Connection(e.to_string()))
}
