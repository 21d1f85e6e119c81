//! Length-prefixed wire frames.
//!
//! Layout: a 5-byte header (`u32` big-endian payload length, then a `u8` kind), then the
//! payload. The length is checked against the kind's hard limit from the header alone,
//! before a single byte of payload is allocated or read.

use serde::{Deserialize, Serialize};

/// ALPN of the sync protocol, version 1.
pub const ALPN_SYNC: &[u8] = b"commonroom/sync/1";
/// ALPN of the join protocol, version 1.
pub const ALPN_JOIN: &[u8] = b"commonroom/join/1";
/// The protocol version carried in every hello.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest Automerge sync message accepted (a fresh member's first sync of a large community
/// fits comfortably).
pub const MAX_SYNC_LEN: u32 = 64 * 1024 * 1024;
/// Largest control frame (hello, join request and reply, refusal) accepted.
pub const MAX_CONTROL_LEN: u32 = 64 * 1024;
/// Bytes in a frame header.
pub const HEADER_LEN: usize = 5;

const KIND_HELLO: u8 = 1;
const KIND_ACCEPT: u8 = 2;
const KIND_REFUSE: u8 = 3;
const KIND_SYNC: u8 = 4;
const KIND_JOIN: u8 = 5;
const KIND_JOINED: u8 = 6;
const KIND_SNAPSHOT: u8 = 7;
const KIND_ADDRESSES: u8 = 8;
const KIND_DOC_SYNC: u8 = 9;
const KIND_DOC_HEADS: u8 = 10;
const KIND_DOC_SNAPSHOT: u8 = 11;

/// Longest side-document key on the wire (`thread-<ULID>` is 33 bytes).
pub const MAX_DOC_KEY_LEN: usize = 40;
/// Most side documents one heads frame names; more go in several frames.
pub const MAX_DOC_HEADS_PER_FRAME: usize = 128;
/// Most heads sent for one side document (a document with more sends its first ones: the
/// other side then sees a difference and syncs it, which is harmless).
pub const MAX_HEADS_PER_DOC: usize = 8;

/// Most member devices one addresses frame names; a larger book goes in several frames.
pub const MAX_ADDRESSES_PER_FRAME: usize = 64;
/// Most direct addresses one device is known by (a peer naming more is cut to these).
pub const MAX_ADDRS_PER_DEVICE: usize = 8;

/// Why bytes from a peer are not a valid frame.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The header names a kind this version does not know.
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    /// The header announces more bytes than the kind allows.
    #[error("frame of kind {kind} announces {len} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The frame kind.
        kind: u8,
        /// The announced length.
        len: u32,
        /// The limit for that kind.
        limit: u32,
    },
    /// A frame of a kind not allowed here (say, a sync frame before the hello).
    #[error("a frame of kind {0} where the opening hello or join request must come")]
    NotAnOpening(u8),
    /// The payload is not what the kind requires.
    #[error("malformed {kind} frame: {reason}")]
    Malformed {
        /// The frame kind's name.
        kind: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// The first frame on a sync connection: which community, which protocol version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol version of the sender.
    pub version: u32,
    /// The community to sync.
    pub community: String,
    /// Addresses where the sender can be reached, so the other side can reconnect later.
    #[serde(default)]
    pub addrs: Vec<std::net::SocketAddr>,
    /// The sender's home relay (an iroh relay URL), for reaching it from another network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<String>,
    /// The sender understands [`Frame::Addresses`]: the side that accepts may send it the
    /// member address book. (Older nodes leave it out and are sent none.)
    #[serde(default)]
    pub shares_addresses: bool,
    /// The sender syncs side documents ([`Frame::DocHeads`], [`Frame::DocSync`]): the side
    /// that accepts sends its heads first, and the dialer answers with its own. (Older nodes
    /// leave it out and are sent neither.)
    #[serde(default)]
    pub shares_docs: bool,
    /// The sender takes [`Frame::DocSnapshot`]: a side document it has none of may come
    /// whole instead of change by change. (Older nodes leave it out and sync every change.)
    #[serde(default)]
    pub doc_snapshots: bool,
}

/// How to reach one member device, as one member tells another. Sent only on a sync
/// connection the gate accepted, so only members ever see a member's addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAddress {
    /// The device's endpoint id (hex).
    pub device: String,
    /// Its direct addresses, at most [`MAX_ADDRS_PER_DEVICE`].
    #[serde(default)]
    pub addrs: Vec<std::net::SocketAddr>,
    /// Its home relay (an iroh relay URL), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<String>,
    /// When these were last heard from the device itself (ms since the epoch): the newest
    /// word about a device wins.
    pub seen: i64,
}

/// The heads of one side document, as one member tells another which documents it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocHeads {
    /// The document's key (`conversations`, `thread-<id>`).
    pub doc: String,
    /// Its heads (Automerge change hashes), at most [`MAX_HEADS_PER_DOC`].
    pub heads: Vec<[u8; 32]>,
}

/// The first frame on a join connection: proof of an invite, and who is joining.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// Protocol version of the sender.
    pub version: u32,
    /// The community to join.
    pub community: String,
    /// The invite being used (its public key, hex).
    pub invite: String,
    /// Signature (hex) by the invite's secret over [`crate::invite::join_statement`].
    pub signature: String,
    /// The joiner's display name.
    pub name: String,
    /// The joiner's focus areas.
    pub focus: Vec<String>,
    /// Addresses where the joiner can be reached.
    #[serde(default)]
    pub addrs: Vec<std::net::SocketAddr>,
    /// The joiner's home relay (an iroh relay URL), for reaching it from another network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<String>,
}

/// The inviter's answer to a join request that was accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinReply {
    /// The new member's id.
    pub member: String,
}

/// One protocol message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Opens a sync connection.
    Hello(Hello),
    /// The hello was accepted; sync messages follow.
    Accept,
    /// The connection is refused (not a member, unknown community, removed...).
    Refuse(String),
    /// An encoded `automerge::sync::Message`.
    Sync(Vec<u8>),
    /// Opens a join connection.
    Join(JoinRequest),
    /// The join was accepted; the joiner now syncs the community.
    Joined(JoinReply),
    /// A whole saved document, sent once to a peer that has nothing yet (a new member), so it
    /// loads the community in one piece instead of applying every change; sync continues after.
    Snapshot(Vec<u8>),
    /// How to reach member devices (at most [`MAX_ADDRESSES_PER_FRAME`]), so members can
    /// reach each other without the one who invited them.
    Addresses(Vec<DeviceAddress>),
    /// An Automerge sync message about one side document of the community (a thread, the
    /// conversation index), on a connection already accepted.
    DocSync {
        /// The document's key.
        doc: String,
        /// The encoded `automerge::sync::Message`.
        message: Vec<u8>,
    },
    /// The heads of side documents the sender has (at most [`MAX_DOC_HEADS_PER_FRAME`]),
    /// most recently active first, so the other side syncs those that differ.
    DocHeads(Vec<DocHeads>),
    /// A whole saved side document, sent in answer to the first sync message about a
    /// document the peer said it lacks, so it loads in one piece (the conversation index
    /// holds a change per thread and per burst of replies); sync continues after.
    DocSnapshot {
        /// The document's key.
        doc: String,
        /// The saved document.
        bytes: Vec<u8>,
    },
}

/// A parsed, size-checked frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The frame kind.
    pub kind: u8,
    /// The payload length, already checked against the kind's limit.
    pub len: u32,
}

impl Header {
    /// Parses and checks a header; fails before anything is allocated for the payload.
    pub fn parse(bytes: [u8; HEADER_LEN]) -> Result<Self, FrameError> {
        let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let kind = bytes[4];
        let limit = match kind {
            KIND_SYNC | KIND_SNAPSHOT | KIND_DOC_SYNC | KIND_DOC_SNAPSHOT => MAX_SYNC_LEN,
            KIND_HELLO | KIND_ACCEPT | KIND_REFUSE | KIND_JOIN | KIND_JOINED | KIND_ADDRESSES
            | KIND_DOC_HEADS => MAX_CONTROL_LEN,
            other => return Err(FrameError::UnknownKind(other)),
        };
        if len > limit {
            return Err(FrameError::TooLarge { kind, len, limit });
        }
        Ok(Self { kind, len })
    }
}

/// What may open a connection: a hello on a sync connection, a join request on a join one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// `commonroom/sync/1` opens with a hello.
    Hello,
    /// `commonroom/join/1` opens with a join request.
    Join,
}

impl Header {
    /// Parses the header of a connection's first frame: only the expected opening kind is
    /// accepted, and at most [`MAX_CONTROL_LEN`] bytes, before anything is allocated.
    pub fn parse_opening(bytes: [u8; HEADER_LEN], opening: Opening) -> Result<Self, FrameError> {
        let expected = match opening {
            Opening::Hello => KIND_HELLO,
            Opening::Join => KIND_JOIN,
        };
        if bytes[4] != expected {
            return Err(FrameError::NotAnOpening(bytes[4]));
        }
        Self::parse(bytes)
    }
}

fn json<T: serde::de::DeserializeOwned>(
    kind: &'static str,
    payload: &[u8],
) -> Result<T, FrameError> {
    serde_json::from_slice(payload).map_err(|e| FrameError::Malformed {
        kind,
        reason: e.to_string(),
    })
}

/// Decodes an addresses frame's payload within its limits.
fn addresses(payload: &[u8]) -> Result<Vec<DeviceAddress>, FrameError> {
    let malformed = |reason: String| FrameError::Malformed {
        kind: "addresses",
        reason,
    };
    let book: Vec<DeviceAddress> = json("addresses", payload)?;
    if book.len() > MAX_ADDRESSES_PER_FRAME {
        return Err(malformed(format!(
            "{} devices, more than {MAX_ADDRESSES_PER_FRAME}",
            book.len()
        )));
    }
    if let Some(long) = book.iter().find(|d| d.addrs.len() > MAX_ADDRS_PER_DEVICE) {
        return Err(malformed(format!(
            "{} addresses for one device, more than {MAX_ADDRS_PER_DEVICE}",
            long.addrs.len()
        )));
    }
    Ok(book)
}

/// Whether a side-document key has the shape keys have: 1 to [`MAX_DOC_KEY_LEN`] ASCII
/// letters, digits and dashes.
pub fn is_doc_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_DOC_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Reads a length-prefixed key at the start of `payload`; returns it and the rest.
fn doc_key<'a>(kind: &'static str, payload: &'a [u8]) -> Result<(String, &'a [u8]), FrameError> {
    let malformed = |reason: &str| FrameError::Malformed {
        kind,
        reason: reason.to_owned(),
    };
    let (&len, rest) = payload
        .split_first()
        .ok_or_else(|| malformed("no document key"))?;
    let len = usize::from(len);
    if rest.len() < len {
        return Err(malformed("document key cut short"));
    }
    let (key, rest) = rest.split_at(len);
    let key = std::str::from_utf8(key)
        .ok()
        .filter(|k| is_doc_key(k))
        .ok_or_else(|| malformed("not a document key"))?;
    Ok((key.to_owned(), rest))
}

/// Decodes a heads frame: repeated (key, count, count hashes of 32 bytes), within limits.
fn doc_heads(mut payload: &[u8]) -> Result<Vec<DocHeads>, FrameError> {
    let malformed = |reason: String| FrameError::Malformed {
        kind: "doc heads",
        reason,
    };
    let mut docs = Vec::new();
    while !payload.is_empty() {
        if docs.len() == MAX_DOC_HEADS_PER_FRAME {
            return Err(malformed(format!(
                "more than {MAX_DOC_HEADS_PER_FRAME} documents"
            )));
        }
        let (doc, rest) = doc_key("doc heads", payload)?;
        let (&count, mut rest) = rest
            .split_first()
            .ok_or_else(|| malformed("no head count".into()))?;
        let count = usize::from(count);
        if count > MAX_HEADS_PER_DOC {
            return Err(malformed(format!(
                "{count} heads for one document, more than {MAX_HEADS_PER_DOC}"
            )));
        }
        let mut heads = Vec::with_capacity(count);
        for _ in 0..count {
            if rest.len() < 32 {
                return Err(malformed("a head cut short".into()));
            }
            let (hash, after) = rest.split_at(32);
            let mut head = [0u8; 32];
            head.copy_from_slice(hash);
            heads.push(head);
            rest = after;
        }
        docs.push(DocHeads { doc, heads });
        payload = rest;
    }
    Ok(docs)
}

fn push_key(out: &mut Vec<u8>, key: &str) {
    let key = &key.as_bytes()[..key.len().min(MAX_DOC_KEY_LEN)];
    out.push(key.len() as u8);
    out.extend_from_slice(key);
}

/// A side document's key followed by its payload, as side-document frames carry them.
fn keyed(key: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len() + payload.len());
    push_key(&mut out, key);
    out.extend_from_slice(payload);
    out
}

impl Frame {
    /// Encodes the frame with its header.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, payload): (u8, Vec<u8>) = match self {
            Frame::Hello(h) => (KIND_HELLO, serde_json::to_vec(h).unwrap_or_default()),
            Frame::Accept => (KIND_ACCEPT, Vec::new()),
            Frame::Refuse(reason) => (KIND_REFUSE, reason.as_bytes().to_vec()),
            Frame::Sync(bytes) => (KIND_SYNC, bytes.clone()),
            Frame::Join(j) => (KIND_JOIN, serde_json::to_vec(j).unwrap_or_default()),
            Frame::Joined(j) => (KIND_JOINED, serde_json::to_vec(j).unwrap_or_default()),
            Frame::Snapshot(bytes) => (KIND_SNAPSHOT, bytes.clone()),
            Frame::Addresses(a) => (KIND_ADDRESSES, serde_json::to_vec(a).unwrap_or_default()),
            Frame::DocSync { doc, message } => (KIND_DOC_SYNC, keyed(doc, message)),
            Frame::DocSnapshot { doc, bytes } => (KIND_DOC_SNAPSHOT, keyed(doc, bytes)),
            Frame::DocHeads(docs) => {
                let mut out = Vec::new();
                for entry in docs.iter().take(MAX_DOC_HEADS_PER_FRAME) {
                    push_key(&mut out, &entry.doc);
                    let heads = &entry.heads[..entry.heads.len().min(MAX_HEADS_PER_DOC)];
                    out.push(heads.len() as u8);
                    for head in heads {
                        out.extend_from_slice(head);
                    }
                }
                (KIND_DOC_HEADS, out)
            }
        };
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.push(kind);
        out.extend_from_slice(&payload);
        out
    }

    /// The header of a snapshot frame of `len` payload bytes, for sending a shared snapshot
    /// without copying it into a frame.
    pub fn snapshot_header(len: usize) -> [u8; HEADER_LEN] {
        let len = (len as u32).to_be_bytes();
        [len[0], len[1], len[2], len[3], KIND_SNAPSHOT]
    }

    /// Decodes a payload whose header was accepted by [`Header::parse`].
    pub fn decode(header: Header, payload: &[u8]) -> Result<Self, FrameError> {
        if payload.len() as u64 != u64::from(header.len) {
            return Err(FrameError::Malformed {
                kind: "any",
                reason: "payload length differs from header".into(),
            });
        }
        match header.kind {
            KIND_HELLO => Ok(Frame::Hello(json("hello", payload)?)),
            KIND_ACCEPT if payload.is_empty() => Ok(Frame::Accept),
            KIND_ACCEPT => Err(FrameError::Malformed {
                kind: "accept",
                reason: "unexpected payload".into(),
            }),
            KIND_REFUSE => Ok(Frame::Refuse(String::from_utf8_lossy(payload).into_owned())),
            KIND_SYNC => Ok(Frame::Sync(payload.to_vec())),
            KIND_JOIN => Ok(Frame::Join(json("join", payload)?)),
            KIND_JOINED => Ok(Frame::Joined(json("joined", payload)?)),
            KIND_SNAPSHOT => Ok(Frame::Snapshot(payload.to_vec())),
            KIND_ADDRESSES => addresses(payload).map(Frame::Addresses),
            KIND_DOC_SYNC => {
                let (doc, message) = doc_key("doc sync", payload)?;
                Ok(Frame::DocSync {
                    doc,
                    message: message.to_vec(),
                })
            }
            KIND_DOC_HEADS => doc_heads(payload).map(Frame::DocHeads),
            KIND_DOC_SNAPSHOT => {
                let (doc, bytes) = doc_key("doc snapshot", payload)?;
                Ok(Frame::DocSnapshot {
                    doc,
                    bytes: bytes.to_vec(),
                })
            }
            other => Err(FrameError::UnknownKind(other)),
        }
    }
}

/// Splits a byte stream into frames (for transports that deliver arbitrary chunks, and for fuzzing).
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
}

impl FrameDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes received from the peer.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed, or the error that ends the connection.
    ///
    /// A header is rejected as soon as its 5 bytes are in, however much more the peer announces.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.buffer.len() < HEADER_LEN {
            return Ok(None);
        }
        let mut head = [0u8; HEADER_LEN];
        head.copy_from_slice(&self.buffer[..HEADER_LEN]);
        let header = Header::parse(head)?;
        let total = HEADER_LEN + header.len as usize;
        if self.buffer.len() < total {
            return Ok(None);
        }
        let frame = Frame::decode(header, &self.buffer[HEADER_LEN..total]);
        self.buffer.drain(..total);
        frame.map(Some)
    }

    /// Bytes buffered but not yet part of a complete frame.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }
}

#[cfg(test)]
mod side_doc_tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn round_trip(frame: &Frame) -> Result<Frame, FrameError> {
        let bytes = frame.encode();
        let mut head = [0u8; HEADER_LEN];
        head.copy_from_slice(&bytes[..HEADER_LEN]);
        Frame::decode(Header::parse(head)?, &bytes[HEADER_LEN..])
    }

    #[test]
    fn side_document_frames_round_trip_and_bad_ones_are_refused() {
        let sync = Frame::DocSync {
            doc: "thread-01ARZ3NDEKTSV4RRFFQ69G5FAV".into(),
            message: vec![0x42, 1, 2],
        };
        assert_eq!(round_trip(&sync).unwrap(), sync);
        let snapshot = Frame::DocSnapshot {
            doc: "conversations".into(),
            bytes: vec![0x85, 0x6f, 0x4a, 0x83],
        };
        assert_eq!(round_trip(&snapshot).unwrap(), snapshot);
        let heads = Frame::DocHeads(vec![
            DocHeads {
                doc: "conversations".into(),
                heads: vec![[3; 32]],
            },
            DocHeads {
                doc: "thread-x".into(),
                heads: vec![],
            },
        ]);
        assert_eq!(round_trip(&heads).unwrap(), heads);
        // A key that could name a path, a key cut short, a head cut short, too many heads.
        for payload in [
            b"\x05../..rest".to_vec(),
            b"\x30short".to_vec(),
            [b"\x01a\x01".as_slice(), &[0u8; 31]].concat(),
            [b"\x01a\x09".as_slice(), &[0u8; 9 * 32]].concat(),
        ] {
            let kind = if payload.len() > 20 {
                KIND_DOC_HEADS
            } else {
                KIND_DOC_SYNC
            };
            let header = Header::parse({
                let len = (payload.len() as u32).to_be_bytes();
                [len[0], len[1], len[2], len[3], kind]
            })
            .unwrap();
            assert!(
                Frame::decode(header, &payload).is_err(),
                "{payload:?} was read as a frame"
            );
        }
    }
}
