//! Checking what a peer sends against hard limits before Automerge sees it.
//!
//! Automerge trusts its input: a Bloom filter with zero bits makes it divide by zero, a
//! filter claiming billions of probes makes it allocate gigabytes, a compressed chunk is
//! inflated with no cap, and a run-length column of a few bytes can describe billions of
//! operations. [`sync_message`] and [`document`] walk the wire format themselves, without
//! allocating for anything a count claims, and refuse every one of those before the bytes
//! reach `automerge::sync::Message::decode` or `load_incremental`.
//!
//! What they return ([`Checked`]) names each change chunk by hash with its dependencies, so
//! the session can hold back changes whose parents have not arrived (see
//! [`crate::session`]).
//!
//! The limits are chosen from what a community of practice writes: the longest text a
//! command accepts is 200,000 characters (a pasted Terms of Reference), which is one
//! operation per character; files travel through the blob store, never the document.

use std::io::Read;

use automerge::ChangeHash;
use sha2::{Digest, Sha256};

/// Most heads (or hashes in a `need` or `last_sync` list) one message may name.
pub const MAX_HASHES: usize = 4_096;
/// Most "have" summaries in one message (Automerge sends one).
pub const MAX_HAVES: usize = 8;
/// Most entries a Bloom filter may claim (a ten-year community has well under a million changes).
pub const MAX_BLOOM_ENTRIES: u32 = 4_000_000;
/// Most bits per entry and probes a Bloom filter may use (Automerge uses 10 and 7).
pub const MAX_BLOOM_PARAMETER: u32 = 32;
/// Most change chunks in one message.
pub const MAX_CHUNKS: usize = 200_000;
/// Largest single change once inflated.
pub const MAX_CHANGE_BYTES: usize = 4 * 1024 * 1024;
/// Most operations in a single change: a 200,000-character text is one operation per
/// character, with room for the entity around it.
pub const MAX_CHANGE_OPS: u64 = 250_000;
/// Largest single value (a string or bytes): a 200,000-character text at up to 4 bytes a
/// character fits.
pub const MAX_VALUE_BYTES: u64 = 1024 * 1024;
/// Most bytes one message (or snapshot) may inflate to, all its chunks together.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;
/// Most operations in one message or snapshot, all its chunks together (whole-community
/// documents included; the generated five-year community holds about 200,000).
pub const MAX_MESSAGE_OPS: u64 = 2_000_000;
/// Most changes a document chunk may hold.
pub const MAX_DOCUMENT_CHANGES: u64 = 1_000_000;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
const MESSAGE_V1: u8 = 0x42;
const MESSAGE_V2: u8 = 0x43;
/// Column id of an operation's action (one row per operation) and of its value.
const ACTION_COLUMN: u32 = 4;
const VALUE_COLUMN: u32 = 5;

/// Why bytes from a peer were refused before reaching Automerge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The bytes end before a field they announce.
    #[error("truncated: {0}")]
    Truncated(&'static str),
    /// A field is not what the format allows.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// A count or size is beyond what Commonroom accepts from a peer.
    #[error("{what} is {found}, more than the limit of {limit}")]
    OverLimit {
        /// What was counted.
        what: &'static str,
        /// What the peer's bytes claim (or reached before counting stopped).
        found: u64,
        /// The limit.
        limit: u64,
    },
}

impl CheckError {
    fn over(what: &'static str, found: u64, limit: u64) -> Self {
        Self::OverLimit { what, found, limit }
    }
}

/// One chunk of a checked message, as Automerge will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedChunk {
    /// One change: its hash and the changes it depends on.
    Change {
        /// The change's hash (of its uncompressed form, as Automerge computes it).
        hash: ChangeHash,
        /// The hashes of its parents.
        deps: Vec<ChangeHash>,
        /// Where the chunk lies in the checked bytes.
        at: std::ops::Range<usize>,
    },
    /// A whole document (a history from the start, depending on nothing).
    Document {
        /// Where the chunk lies in the checked bytes.
        at: std::ops::Range<usize>,
    },
}

/// What a checked message or snapshot carries, within every limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// One entry per chunk of the message's change list (in order), or per chunk of a snapshot.
    pub chunks: Vec<CheckedChunk>,
    /// Operations in all chunks together.
    pub ops: u64,
    /// Bytes all chunks inflate to.
    pub inflated: usize,
    /// Whether the sender's heads are empty (it says it has nothing).
    pub empty_heads: bool,
}

/// A peer's sync message that passed [`sync_message`], kept with what the check found.
///
/// The only way to make one is [`CheckedMessage::check`], so a session never applies bytes
/// that were not checked (the check can run on the connection's task, off the node's).
#[derive(Debug, Clone)]
pub struct CheckedMessage {
    bytes: Vec<u8>,
    checked: Checked,
}

impl CheckedMessage {
    /// Checks `bytes` from a peer against every limit.
    pub fn check(bytes: Vec<u8>) -> Result<Self, CheckError> {
        let checked = sync_message(&bytes)?;
        Ok(Self { bytes, checked })
    }

    /// The message as received.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// What the check found.
    pub fn checked(&self) -> &Checked {
        &self.checked
    }
}

/// A cursor over peer bytes that never reads past the end and never panics.
struct Reader<'a> {
    bytes: &'a [u8],
    /// Offset of `bytes` in the whole input.
    offset: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    /// A reader over `bytes`, which start at `offset` in the whole input.
    fn at(bytes: &'a [u8], offset: usize) -> Self {
        Self { bytes, offset }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], CheckError> {
        if n > self.bytes.len() {
            return Err(CheckError::Truncated(what));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        self.offset += n;
        Ok(head)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, CheckError> {
        Ok(self.take(1, what)?[0])
    }

    fn uleb(&mut self, what: &'static str) -> Result<u64, CheckError> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let byte = self.byte(what)?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return Err(CheckError::Malformed("a number overflows 64 bits"));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CheckError::Malformed("a number overflows 64 bits"))
    }

    fn sleb(&mut self, what: &'static str) -> Result<i64, CheckError> {
        let mut value: i64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = self.byte(what)?;
            if shift >= 64 {
                return Err(CheckError::Malformed("a number overflows 64 bits"));
            }
            value |= i64::from(byte & 0x7f).wrapping_shl(shift);
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    /// A length-prefixed byte string.
    fn bytes_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], CheckError> {
        let len = self.uleb(what)?;
        let len = usize::try_from(len).map_err(|_| CheckError::Truncated(what))?;
        self.take(len, what)
    }

    /// A count of items that each take at least `min_bytes`, checked against `limit` and
    /// against the bytes left, before anything is done for them.
    fn count(
        &mut self,
        what: &'static str,
        limit: usize,
        min_bytes: usize,
    ) -> Result<usize, CheckError> {
        let count = self.uleb(what)?;
        if count > limit as u64 {
            return Err(CheckError::over(what, count, limit as u64));
        }
        let count = count as usize;
        if count.saturating_mul(min_bytes) > self.bytes.len() {
            return Err(CheckError::Truncated(what));
        }
        Ok(count)
    }

    fn hashes(&mut self, what: &'static str) -> Result<Vec<ChangeHash>, CheckError> {
        let count = self.count(what, MAX_HASHES, 32)?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let raw = self.take(32, what)?;
            let mut hash = [0u8; 32];
            hash.copy_from_slice(raw);
            out.push(ChangeHash(hash));
        }
        Ok(out)
    }

    fn skip_hashes(&mut self, what: &'static str) -> Result<usize, CheckError> {
        let count = self.count(what, MAX_HASHES, 32)?;
        self.take(count * 32, what)?;
        Ok(count)
    }
}

/// Checks an encoded `automerge::sync::Message` from a peer against every limit.
pub fn sync_message(bytes: &[u8]) -> Result<Checked, CheckError> {
    let mut r = Reader::new(bytes);
    match r.byte("message type")? {
        MESSAGE_V1 | MESSAGE_V2 => {}
        _ => return Err(CheckError::Malformed("not a sync message")),
    }
    let heads = r.skip_hashes("heads")?;
    r.skip_hashes("need")?;
    let haves = r.count("have summaries", MAX_HAVES, 2)?;
    for _ in 0..haves {
        r.skip_hashes("last-sync hashes")?;
        bloom(r.bytes_prefixed("a Bloom filter")?)?;
    }
    let chunk_lists = r.count("change chunks", MAX_CHUNKS, 1)?;
    let mut checked = Checked {
        empty_heads: heads == 0,
        ..Checked::default()
    };
    for _ in 0..chunk_lists {
        let len = r.uleb("a change chunk")?;
        let len = usize::try_from(len).map_err(|_| CheckError::Truncated("a change chunk"))?;
        let offset = r.offset;
        let entry = r.take(len, "a change chunk")?;
        let mut inner = Reader::at(entry, offset);
        // One entry is normally one chunk; Automerge accepts several back to back.
        while !inner.is_empty() {
            chunk(&mut inner, &mut checked)?;
            if checked.chunks.len() > MAX_CHUNKS {
                return Err(CheckError::over(
                    "change chunks",
                    checked.chunks.len() as u64,
                    MAX_CHUNKS as u64,
                ));
            }
        }
    }
    if !r.is_empty() {
        let flags = r.bytes_prefixed("message flags")?;
        if flags.len() > 16 {
            return Err(CheckError::over("message flags", flags.len() as u64, 16));
        }
    }
    Ok(checked)
}

/// Checks a saved document (a snapshot sent to a new member) against every limit.
pub fn document(bytes: &[u8]) -> Result<Checked, CheckError> {
    let mut r = Reader::new(bytes);
    let mut checked = Checked::default();
    while !r.is_empty() {
        chunk(&mut r, &mut checked)?;
        if checked.chunks.len() > MAX_CHUNKS {
            return Err(CheckError::over(
                "chunks",
                checked.chunks.len() as u64,
                MAX_CHUNKS as u64,
            ));
        }
    }
    if checked.chunks.is_empty() {
        return Err(CheckError::Truncated("an empty document"));
    }
    Ok(checked)
}

/// Checks a Bloom filter's parameters: Automerge divides by its bit count and allocates
/// for its probe count.
fn bloom(bytes: &[u8]) -> Result<(), CheckError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut r = Reader::new(bytes);
    let entries = r.uleb("Bloom filter entries")?;
    let bits_per_entry = r.uleb("Bloom filter bits per entry")?;
    let probes = r.uleb("Bloom filter probes")?;
    if entries == 0 {
        return Err(CheckError::Malformed("a Bloom filter with no entries"));
    }
    if entries > u64::from(MAX_BLOOM_ENTRIES) {
        return Err(CheckError::over(
            "Bloom filter entries",
            entries,
            u64::from(MAX_BLOOM_ENTRIES),
        ));
    }
    let limit = u64::from(MAX_BLOOM_PARAMETER);
    if bits_per_entry == 0 || bits_per_entry > limit {
        return Err(CheckError::over(
            "Bloom filter bits per entry",
            bits_per_entry,
            limit,
        ));
    }
    if probes == 0 || probes > limit {
        return Err(CheckError::over("Bloom filter probes", probes, limit));
    }
    // Automerge takes exactly this many bytes of bits.
    let needed = (entries * bits_per_entry).div_ceil(8) as usize;
    if r.bytes.len() < needed {
        return Err(CheckError::Truncated("Bloom filter bits"));
    }
    Ok(())
}

/// Inflates raw deflate data, refusing to produce more than `cap` bytes.
fn inflate(compressed: &[u8], cap: usize) -> Result<Vec<u8>, CheckError> {
    let mut out = Vec::new();
    let decoder = flate2::read::DeflateDecoder::new(compressed);
    decoder
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| CheckError::Malformed("compressed data that does not inflate"))?;
    if out.len() > cap {
        return Err(CheckError::over(
            "inflated size",
            out.len() as u64,
            cap as u64,
        ));
    }
    Ok(out)
}

fn add_inflated(checked: &mut Checked, n: usize) -> Result<(), CheckError> {
    checked.inflated = checked.inflated.saturating_add(n);
    if checked.inflated > MAX_INFLATED_BYTES {
        return Err(CheckError::over(
            "inflated size",
            checked.inflated as u64,
            MAX_INFLATED_BYTES as u64,
        ));
    }
    Ok(())
}

fn add_ops(checked: &mut Checked, ops: u64) -> Result<(), CheckError> {
    checked.ops = checked.ops.saturating_add(ops);
    if checked.ops > MAX_MESSAGE_OPS {
        return Err(CheckError::over("operations", checked.ops, MAX_MESSAGE_OPS));
    }
    Ok(())
}

/// What is left of the inflation budget for this message.
fn budget_left(checked: &Checked) -> usize {
    MAX_INFLATED_BYTES.saturating_sub(checked.inflated)
}

/// Checks one chunk (header and contents) and records it.
fn chunk(r: &mut Reader<'_>, checked: &mut Checked) -> Result<(), CheckError> {
    let start = r.offset;
    if r.take(4, "chunk magic")? != MAGIC {
        return Err(CheckError::Malformed("not an Automerge chunk"));
    }
    r.take(4, "chunk checksum")?;
    let kind = r.byte("chunk type")?;
    let data = r.bytes_prefixed("chunk data")?;
    match kind {
        CHUNK_CHANGE => {
            if data.len() > MAX_CHANGE_BYTES {
                return Err(CheckError::over(
                    "a change",
                    data.len() as u64,
                    MAX_CHANGE_BYTES as u64,
                ));
            }
            add_inflated(checked, data.len())?;
            let deps = change(data, checked)?;
            checked.chunks.push(CheckedChunk::Change {
                hash: change_hash(data),
                deps,
                at: start..r.offset,
            });
        }
        CHUNK_COMPRESSED => {
            let data = inflate(data, MAX_CHANGE_BYTES.min(budget_left(checked)))?;
            add_inflated(checked, data.len())?;
            let deps = change(&data, checked)?;
            checked.chunks.push(CheckedChunk::Change {
                hash: change_hash(&data),
                deps,
                at: start..r.offset,
            });
        }
        CHUNK_DOCUMENT => {
            add_inflated(checked, data.len())?;
            doc_chunk(data, checked)?;
            checked.chunks.push(CheckedChunk::Document {
                at: start..r.offset,
            });
        }
        _ => {
            return Err(CheckError::Malformed(
                "a chunk type Commonroom does not accept",
            ));
        }
    }
    Ok(())
}

/// The hash Automerge gives a change: SHA-256 over its type, length and uncompressed data.
fn change_hash(data: &[u8]) -> ChangeHash {
    let mut hasher = Sha256::new();
    let mut header = vec![CHUNK_CHANGE];
    write_uleb(&mut header, data.len() as u64);
    hasher.update(&header);
    hasher.update(data);
    let digest: [u8; 32] = hasher.finalize().into();
    ChangeHash(digest)
}

/// Appends `value` as unsigned LEB128, as chunk headers write lengths.
fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Checks an uncompressed change's contents; returns its dependencies.
fn change(data: &[u8], checked: &mut Checked) -> Result<Vec<ChangeHash>, CheckError> {
    let mut r = Reader::new(data);
    let deps = r.hashes("change dependencies")?;
    r.bytes_prefixed("change actor")?;
    r.uleb("change sequence number")?;
    r.uleb("change start op")?;
    r.sleb("change time")?;
    let message = r.bytes_prefixed("change message")?;
    if message.len() > 64 * 1024 {
        return Err(CheckError::over(
            "a change message",
            message.len() as u64,
            64 * 1024,
        ));
    }
    let actors = r.count("change actors", MAX_HASHES, 1)?;
    for _ in 0..actors {
        r.bytes_prefixed("change actor")?;
    }
    let columns = column_meta(&mut r)?;
    let ops = columns_rows(
        &mut r,
        &columns,
        checked,
        MAX_CHANGE_OPS,
        "operations in a change",
    )?;
    add_ops(checked, ops)?;
    Ok(deps)
}

/// A column's specification and length, as listed before the column data.
struct ColumnMeta {
    spec: u32,
    len: usize,
}

impl ColumnMeta {
    fn id(&self) -> u32 {
        self.spec >> 4
    }
    fn kind(&self) -> u32 {
        self.spec & 0x7
    }
    fn deflated(&self) -> bool {
        self.spec & 0x8 != 0
    }
}

fn column_meta(r: &mut Reader<'_>) -> Result<Vec<ColumnMeta>, CheckError> {
    let count = r.count("columns", 64, 2)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let spec = r.uleb("column specification")?;
        let spec =
            u32::try_from(spec).map_err(|_| CheckError::Malformed("a column specification"))?;
        let len = r.uleb("column length")?;
        let len = usize::try_from(len).map_err(|_| CheckError::Truncated("column data"))?;
        out.push(ColumnMeta { spec, len });
    }
    Ok(out)
}

/// Walks the column data that follows `columns`, inflating deflated columns within the
/// budget; returns the number of operations (rows of the action column) and checks every
/// value's size. Every column whose rows can be counted is counted, and counting stops as
/// soon as `row_limit` is passed, however many rows a run claims.
fn columns_rows(
    r: &mut Reader<'_>,
    columns: &[ColumnMeta],
    checked: &mut Checked,
    row_limit: u64,
    what: &'static str,
) -> Result<u64, CheckError> {
    let mut ops = 0;
    for column in columns {
        let raw = r.take(column.len, "column data")?;
        let inflated;
        let data: &[u8] = if column.deflated() {
            inflated = inflate(raw, budget_left(checked))?;
            add_inflated(checked, inflated.len())?;
            &inflated
        } else {
            raw
        };
        let value_sizes = |meta: u64| {
            let len = meta >> 4;
            if len > MAX_VALUE_BYTES {
                return Err(CheckError::over("a value", len, MAX_VALUE_BYTES));
            }
            Ok(())
        };
        let rows = match (column.id(), column.kind()) {
            (VALUE_COLUMN, 6) => rle_rows(data, Value::Unsigned, row_limit, what, value_sizes)?,
            (_, 0 | 1 | 2 | 6) => rle_rows(data, Value::Unsigned, row_limit, what, |_| Ok(()))?,
            (_, 3) => rle_rows(data, Value::Signed, row_limit, what, |_| Ok(()))?,
            (_, 5) => rle_rows(data, Value::Bytes, row_limit, what, |_| Ok(()))?,
            (_, 4) => boolean_rows(data, row_limit, what)?,
            _ => 0,
        };
        if (column.id(), column.kind()) == (ACTION_COLUMN, 2) {
            ops = rows;
        }
    }
    Ok(ops)
}

/// How values are written in a run-length column.
#[derive(Clone, Copy)]
enum Value {
    /// LEB128 unsigned (actors, integers, value metadata).
    Unsigned,
    /// LEB128 signed (delta-encoded integers).
    Signed,
    /// A length-prefixed string.
    Bytes,
}

/// Counts the rows of a run-length encoded column without expanding it, stopping with an
/// error as soon as the count passes `limit`. `each` sees every unsigned value (once per run).
fn rle_rows(
    data: &[u8],
    value: Value,
    limit: u64,
    what: &'static str,
    mut each: impl FnMut(u64) -> Result<(), CheckError>,
) -> Result<u64, CheckError> {
    let mut r = Reader::new(data);
    let mut read_value = |r: &mut Reader<'_>| -> Result<(), CheckError> {
        match value {
            Value::Unsigned => each(r.uleb("a column value")?),
            Value::Signed => r.sleb("a column value").map(|_| ()),
            Value::Bytes => r.bytes_prefixed("a column value").map(|_| ()),
        }
    };
    let mut rows: u64 = 0;
    while !r.is_empty() {
        let run = r.sleb("a run length")?;
        let added = match run {
            0 => r.uleb("a null run")?,
            n if n > 0 => {
                read_value(&mut r)?;
                n as u64
            }
            n => {
                let literals = n.unsigned_abs();
                if literals > limit.saturating_sub(rows) {
                    return Err(CheckError::over(what, rows.saturating_add(literals), limit));
                }
                for _ in 0..literals {
                    read_value(&mut r)?;
                }
                literals
            }
        };
        rows = rows.saturating_add(added);
        if rows > limit {
            return Err(CheckError::over(what, rows, limit));
        }
    }
    Ok(rows)
}

/// Counts the rows of a boolean column (alternating run lengths), stopping past `limit`.
fn boolean_rows(data: &[u8], limit: u64, what: &'static str) -> Result<u64, CheckError> {
    let mut r = Reader::new(data);
    let mut rows: u64 = 0;
    while !r.is_empty() {
        rows = rows.saturating_add(r.uleb("a boolean run")?);
        if rows > limit {
            return Err(CheckError::over(what, rows, limit));
        }
    }
    Ok(rows)
}

/// Checks a document chunk's contents: actors, heads, then change and operation columns.
fn doc_chunk(data: &[u8], checked: &mut Checked) -> Result<(), CheckError> {
    let mut r = Reader::new(data);
    let actors = r.count("document actors", 1_000_000, 1)?;
    for _ in 0..actors {
        r.bytes_prefixed("document actor")?;
    }
    r.skip_hashes("document heads")?;
    let change_columns = column_meta(&mut r)?;
    let op_columns = column_meta(&mut r)?;
    // Every column is counted: any of them may drive Automerge's reading.
    columns_rows(
        &mut r,
        &change_columns,
        checked,
        MAX_DOCUMENT_CHANGES,
        "changes in a document",
    )?;
    let ops = columns_rows(
        &mut r,
        &op_columns,
        checked,
        MAX_MESSAGE_OPS,
        "operations in a document",
    )?;
    add_ops(checked, ops)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    fn doc_with_notes(n: usize) -> AutoCommit {
        let mut doc = AutoCommit::new();
        for i in 0..n {
            doc.put(ROOT, format!("note{i}"), format!("text {i}")).ok();
            doc.commit();
        }
        doc
    }

    #[test]
    fn real_messages_and_documents_pass_and_name_their_changes() {
        let mut a = doc_with_notes(20);
        let mut b = AutoCommit::new();
        let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
        let mut seen_changes = 0;
        for _ in 0..10 {
            if let Some(m) = a.sync().generate_sync_message(&mut sa) {
                let bytes = m.encode();
                let checked = sync_message(&bytes).expect("a real message passes");
                seen_changes += checked.chunks.len();
                b.sync()
                    .receive_sync_message(
                        &mut sb,
                        automerge::sync::Message::decode(&bytes).expect("decodes"),
                    )
                    .expect("applies");
            }
            if let Some(m) = b.sync().generate_sync_message(&mut sb) {
                let bytes = m.encode();
                sync_message(&bytes).expect("a real message passes");
                a.sync()
                    .receive_sync_message(
                        &mut sa,
                        automerge::sync::Message::decode(&bytes).expect("decodes"),
                    )
                    .expect("applies");
            }
        }
        assert!(seen_changes > 0);
        assert_eq!(a.get_heads(), b.get_heads());
        let checked = document(&a.save()).expect("a saved document passes");
        assert!(matches!(
            checked.chunks.as_slice(),
            [CheckedChunk::Document { .. }]
        ));
        assert!(checked.ops >= 20, "{}", checked.ops);
        // Incremental saves are change chunks with the right hashes.
        let mut c = doc_with_notes(1);
        let heads = c.get_heads();
        c.put(ROOT, "x", "y").ok();
        c.commit();
        let checked = document(&c.save_after(&heads)).expect("a change chunk passes");
        let [CheckedChunk::Change { hash, deps, .. }] = checked.chunks.as_slice() else {
            panic!("{checked:?}");
        };
        assert_eq!(vec![*hash], c.get_heads());
        assert_eq!(deps, &heads);
    }

    #[test]
    fn a_bloom_filter_with_zero_bits_or_huge_probes_is_refused() {
        // heads 0, need 0, one have: no last_sync, a filter of 1 entry with 0 bits.
        let mut message = vec![MESSAGE_V1, 0, 0, 1, 0, 3, 1, 0, 7, 0];
        assert!(matches!(
            sync_message(&message),
            Err(CheckError::OverLimit { .. })
        ));
        message = vec![
            MESSAGE_V1, 0, 0, 1, 0, 8, 1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff,
        ];
        assert!(sync_message(&message).is_err());
    }

    /// Turns an uncompressed change chunk into the compressed form Automerge accepts
    /// (chunk type 2: the same checksum, the data deflated), as a peer can send it.
    pub(crate) fn compress_change(chunk: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut r = Reader::new(chunk);
        r.take(4, "magic").expect("magic");
        let checksum = r.take(4, "checksum").expect("checksum").to_vec();
        assert_eq!(r.byte("type").expect("type"), CHUNK_CHANGE);
        let data = r.bytes_prefixed("data").expect("data");
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).expect("deflate");
        let compressed = encoder.finish().expect("deflate");
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&checksum);
        out.push(CHUNK_COMPRESSED);
        write_uleb(&mut out, compressed.len() as u64);
        out.extend_from_slice(&compressed);
        out
    }

    #[test]
    fn a_compressed_bomb_is_refused_without_inflating_it_all() {
        // 300,000 characters of text: more operations than a change may carry.
        let mut doc = AutoCommit::new();
        let text = doc
            .put_object(ROOT, "t", automerge::ObjType::Text)
            .expect("text");
        doc.splice_text(&text, 0, 0, &"a".repeat(300_000))
            .expect("splice");
        doc.commit();
        let bomb = compress_change(&doc.save_after(&[]));
        assert!(bomb.len() < 20_000, "compressed to {}", bomb.len());
        let err = document(&bomb).expect_err("too many operations");
        assert!(matches!(err, CheckError::OverLimit { .. }), "{err}");
        // The compressed form is what Automerge itself accepts.
        let mut other = AutoCommit::new();
        other
            .load_incremental(&bomb)
            .expect("Automerge reads the compressed chunk");
        assert_eq!(other.get_heads(), doc.get_heads());

        // Two million characters as one string value: bigger than any value may be.
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "s", "b".repeat(2_000_000)).expect("put");
        doc.commit();
        let bomb = compress_change(&doc.save_after(&[]));
        assert!(bomb.len() < 10_000, "compressed to {}", bomb.len());
        let err = document(&bomb).expect_err("too large");
        assert!(matches!(err, CheckError::OverLimit { .. }), "{err}");

        // A note of 10,000 characters, the longest a note may be, passes.
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "note", "c".repeat(10_000)).expect("put");
        doc.commit();
        let fine = compress_change(&doc.save_after(&[]));
        assert!(document(&fine).is_ok());
    }
}
