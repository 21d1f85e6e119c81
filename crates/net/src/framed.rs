//! Reading and writing [`Frame`]s on QUIC streams, with the size check before allocation.

use std::time::Duration;

use commonroom_proto::frame::HEADER_LEN;
use commonroom_proto::{Frame, Header};
use iroh::endpoint::{ReadExactError, RecvStream, SendStream};

use crate::NetError;

/// Reads the next frame; `Ok(None)` when the peer finished the stream cleanly.
pub async fn read_frame(recv: &mut RecvStream) -> Result<Option<Frame>, NetError> {
    let mut head = [0u8; HEADER_LEN];
    match recv.read_exact(&mut head).await {
        Ok(()) => {}
        Err(ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(ReadExactError::FinishedEarly(n)) => {
            return Err(NetError::Protocol(format!(
                "stream ended inside a frame header ({n} bytes)"
            )));
        }
        Err(ReadExactError::ReadError(e)) => return Err(NetError::Connection(e.to_string())),
    }
    // The announced length is checked here, before anything is allocated for it.
    let header = Header::parse(head).map_err(|e| NetError::Protocol(e.to_string()))?;
    let mut payload = vec![0u8; header.len as usize];
    recv.read_exact(&mut payload).await.map_err(|e| match e {
        ReadExactError::FinishedEarly(n) => {
            NetError::Protocol(format!("truncated frame: {n} of {} bytes", header.len))
        }
        ReadExactError::ReadError(e) => NetError::Connection(e.to_string()),
    })?;
    Frame::decode(header, &payload)
        .map(Some)
        .map_err(|e| NetError::Protocol(e.to_string()))
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

/// Writes one frame.
pub async fn write_frame(send: &mut SendStream, frame: &Frame) -> Result<(), NetError> {
    send.write_all(&frame.encode())
        .await
        .map_err(|e| NetError::Connection(e.to_string()))
}
