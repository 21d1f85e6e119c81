//! The on-disk frame around every stored payload: magic, length and CRC-32.
//!
//! Layout: 8 bytes magic, 8 bytes little-endian payload length, 4 bytes little-endian
//! CRC-32 of the payload, then the payload. Truncation and bit flips are detected here,
//! before Automerge sees the bytes.

/// Identifies a Commonroom storage file, version 1.
pub const MAGIC: &[u8; 8] = b"CMNROOM1";
/// Bytes before the payload.
pub const FRAME_HEADER_LEN: usize = 20;

/// Frames a payload for writing.
pub(crate) fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Checks a frame and returns its payload, or a description of the damage.
pub(crate) fn decode(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.len() < FRAME_HEADER_LEN {
        return Err(format!(
            "only {} bytes, shorter than the {FRAME_HEADER_LEN}-byte header (truncated)",
            bytes.len()
        ));
    }
    let (header, payload) = bytes.split_at(FRAME_HEADER_LEN);
    if &header[..8] != MAGIC {
        return Err("not a Commonroom storage file (wrong magic bytes)".into());
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&header[8..16]);
    let len = u64::from_le_bytes(len);
    if len != payload.len() as u64 {
        return Err(format!(
            "header announces {len} bytes but {} follow (truncated or extended)",
            payload.len()
        ));
    }
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&header[16..20]);
    if u32::from_le_bytes(crc) != crc32fast::hash(payload) {
        return Err("checksum mismatch (the contents were altered)".into());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage_detection() {
        let framed = encode(b"hello");
        assert_eq!(decode(&framed), Ok(&b"hello"[..]));
        assert!(
            decode(&framed[..framed.len() - 1])
                .unwrap_err()
                .contains("truncated")
        );
        let mut flipped = framed.clone();
        flipped[FRAME_HEADER_LEN + 1] ^= 0x10;
        assert!(decode(&flipped).unwrap_err().contains("checksum"));
        assert!(
            decode(b"garbage garbage garbage")
                .unwrap_err()
                .contains("magic")
        );
    }
}
