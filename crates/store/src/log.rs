//! The change log: each durable write of a community is one checked record appended to
//! `log-<seq>.wal`, made durable with a single `fdatasync`.
//!
//! Layout: the 8-byte magic [`LOG_MAGIC`], then records. A record is a 4-byte mark
//! (`CRec`), the payload's length (4 bytes, little-endian), a CRC-32 of the length and the
//! payload (4 bytes, little-endian), then the payload (Automerge changes in their
//! incremental format).
//!
//! Reading tells two kinds of bad record apart:
//! - a **torn** record at the very end (shorter than its header says, or than a header):
//!   a write the process never saw finish, so never acknowledged. It is dropped and the
//!   file cut back to the last whole record.
//! - a **damaged** record (complete, but its mark or checksum is wrong): reported, its
//!   bytes set aside in `quarantine/`, and the log rewritten without it; reading resumes
//!   at the next whole record.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::atomic::write_durably;
use crate::error::StoreError;

/// The first bytes of every change log, version 1.
pub const LOG_MAGIC: &[u8; 8] = b"CMNRLOG1";
/// File-name prefix of change logs.
pub(crate) const LOG_PREFIX: &str = "log-";
/// File-name suffix of change logs.
pub(crate) const LOG_SUFFIX: &str = ".wal";

const RECORD_MARK: &[u8; 4] = b"CRec";
pub(crate) const RECORD_HEADER_LEN: usize = 12;

/// What is wrong with the record at some offset.
#[derive(Debug, PartialEq, Eq)]
enum Bad {
    /// The file ends inside the record.
    Torn,
    /// The record is whole but its mark or checksum is wrong.
    Damaged(&'static str),
}

/// The records found in a log's bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Byte ranges of the good records' payloads, in order.
    pub records: Vec<Range<usize>>,
    /// Byte ranges of damaged records, with what is wrong.
    pub damaged: Vec<(Range<usize>, &'static str)>,
    /// Where the whole records end: anything after is a torn last record.
    pub end: usize,
}

/// Encodes one record around `payload`.
fn record(payload: &[u8]) -> Result<Vec<u8>, std::io::Error> {
    let len = u32::try_from(payload.len()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a single write larger than 4 GiB",
        )
    })?;
    let mut out = Vec::with_capacity(RECORD_HEADER_LEN + payload.len());
    out.extend_from_slice(RECORD_MARK);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(len, payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

fn checksum(len: u32, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&len.to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

/// Checks the record starting at `at`; returns where it ends.
fn check_record(bytes: &[u8], at: usize) -> Result<usize, Bad> {
    let rest = &bytes[at..];
    if rest.len() < RECORD_HEADER_LEN {
        return Err(Bad::Torn);
    }
    if &rest[..4] != RECORD_MARK {
        return Err(Bad::Damaged("no record mark where a record should start"));
    }
    let len = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    let crc = u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]);
    let end = RECORD_HEADER_LEN + len as usize;
    if rest.len() < end {
        return Err(Bad::Torn);
    }
    if checksum(len, &rest[RECORD_HEADER_LEN..end]) != crc {
        return Err(Bad::Damaged(
            "checksum mismatch (the contents were altered)",
        ));
    }
    Ok(at + end)
}

/// The next offset after `at` where a whole, good record starts, if any.
fn next_good_record(bytes: &[u8], at: usize) -> Option<usize> {
    (at + 1..bytes.len().saturating_sub(RECORD_HEADER_LEN - 1))
        .filter(|&i| bytes[i..].starts_with(RECORD_MARK))
        .find(|&i| check_record(bytes, i).is_ok())
}

/// Reads the records of a log's bytes (after its magic), never failing: see the module
/// documentation for what happens to torn and damaged records.
pub(crate) fn scan(bytes: &[u8]) -> Scan {
    let mut scan = Scan::default();
    let mut at = LOG_MAGIC.len().min(bytes.len());
    while at < bytes.len() {
        match check_record(bytes, at) {
            Ok(end) => {
                scan.records.push(at + RECORD_HEADER_LEN..end);
                at = end;
            }
            Err(bad) => match (next_good_record(bytes, at), bad) {
                (Some(next), Bad::Torn) => {
                    scan.damaged
                        .push((at..next, "cut short, yet records follow it"));
                    at = next;
                }
                (Some(next), Bad::Damaged(why)) => {
                    scan.damaged.push((at..next, why));
                    at = next;
                }
                (None, Bad::Torn) => break,
                (None, Bad::Damaged(why)) => {
                    scan.damaged.push((at..bytes.len(), why));
                    at = bytes.len();
                }
            },
        }
    }
    scan.end = at;
    scan
}

/// The file name of the log with sequence number `seq`.
pub(crate) fn log_name(seq: u64) -> String {
    format!("{LOG_PREFIX}{seq:020}{LOG_SUFFIX}")
}

/// An open change log that records are appended to.
#[derive(Debug)]
pub(crate) struct ChangeLog {
    path: PathBuf,
    file: File,
    len: u64,
    records: usize,
}

impl ChangeLog {
    /// Creates an empty log `dir/log-<seq>.wal`, durably (the file and its directory entry).
    pub(crate) fn create(dir: &Path, seq: u64) -> Result<Self, StoreError> {
        let name = log_name(seq);
        write_durably(dir, &name, LOG_MAGIC, 0o600)?;
        Self::open(dir.join(name), LOG_MAGIC.len() as u64, 0)
    }

    /// Opens an existing log for appending after its first `len` bytes (whole records),
    /// cutting off anything after them (a torn last record) durably first.
    pub(crate) fn open(path: PathBuf, len: u64, records: usize) -> Result<Self, StoreError> {
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(StoreError::io("opening", &path))?;
        let on_disk = file
            .metadata()
            .map_err(StoreError::io("reading the size of", &path))?
            .len();
        if on_disk != len {
            file.set_len(len)
                .and_then(|()| file.sync_data())
                .map_err(StoreError::io("cutting a torn record from", &path))?;
        }
        Ok(Self {
            path,
            file,
            len,
            records,
        })
    }

    /// The log's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// How many records the log holds.
    pub(crate) fn records(&self) -> usize {
        self.records
    }

    /// Appends one record and makes it durable. On failure (a full disk, say) the log is
    /// cut back to what it was, so no half record stays behind.
    pub(crate) fn append(&mut self, payload: &[u8]) -> Result<(), StoreError> {
        let written = record(payload).and_then(|bytes| {
            self.file.write_all(&bytes)?;
            self.file.sync_data()?;
            Ok(bytes.len() as u64)
        });
        match written {
            Ok(added) => {
                self.len += added;
                self.records += 1;
                Ok(())
            }
            Err(e) => {
                // Best effort: the next load drops a torn tail anyway.
                let _ = self
                    .file
                    .set_len(self.len)
                    .and_then(|()| self.file.sync_data());
                Err(StoreError::io("appending a change to", &self.path)(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    fn log_of(payloads: &[&[u8]]) -> Vec<u8> {
        let mut bytes = LOG_MAGIC.to_vec();
        for p in payloads {
            bytes.extend(record(p).unwrap());
        }
        bytes
    }

    fn payloads<'a>(bytes: &'a [u8], scan: &Scan) -> Vec<&'a [u8]> {
        scan.records.iter().map(|r| &bytes[r.clone()]).collect()
    }

    #[test]
    fn whole_records_read_back_in_order() {
        let bytes = log_of(&[b"one", b"", b"three"]);
        let scan = scan(&bytes);
        assert_eq!(payloads(&bytes, &scan), [&b"one"[..], b"", b"three"]);
        assert!(scan.damaged.is_empty());
        assert_eq!(scan.end, bytes.len());
    }

    #[test]
    fn a_torn_last_record_is_dropped_at_every_cut() {
        let whole = log_of(&[b"first record", b"second record"]);
        let first_end = LOG_MAGIC.len() + RECORD_HEADER_LEN + 12;
        for cut in first_end + 1..whole.len() {
            let scan = scan(&whole[..cut]);
            assert_eq!(payloads(&whole, &scan), [&b"first record"[..]], "cut {cut}");
            assert!(scan.damaged.is_empty(), "cut {cut}");
            assert_eq!(scan.end, first_end, "cut {cut}");
        }
        // A log cut inside its magic is an empty log.
        assert_eq!(scan(&whole[..3]).records.len(), 0);
    }

    #[test]
    fn a_damaged_record_is_reported_and_the_rest_read() {
        let mut bytes = log_of(&[b"first", b"second", b"third"]);
        let second = LOG_MAGIC.len() + RECORD_HEADER_LEN + 5;
        bytes[second + RECORD_HEADER_LEN + 2] ^= 0x40;
        let scan = scan(&bytes);
        assert_eq!(payloads(&bytes, &scan), [&b"first"[..], b"third"]);
        assert_eq!(scan.damaged.len(), 1);
        assert_eq!(scan.damaged[0].0.start, second);
        assert!(scan.damaged[0].1.contains("checksum"));
    }

    #[test]
    fn a_damaged_last_record_is_reported_not_dropped_silently() {
        let mut bytes = log_of(&[b"first", b"second"]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let scan = scan(&bytes);
        assert_eq!(payloads(&bytes, &scan), [&b"first"[..]]);
        assert_eq!(scan.damaged.len(), 1);
        assert_eq!(scan.end, bytes.len());
    }

    #[test]
    fn a_damaged_length_is_found_by_the_records_after_it() {
        let mut bytes = log_of(&[b"first", b"second", b"third"]);
        let second = LOG_MAGIC.len() + RECORD_HEADER_LEN + 5;
        bytes[second + 5] = 0xff; // the length now runs past the end of the file
        let scan = scan(&bytes);
        assert_eq!(payloads(&bytes, &scan), [&b"first"[..], b"third"]);
        assert_eq!(scan.damaged.len(), 1);
    }
}
