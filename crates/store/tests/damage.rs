//! Damaged files and log records: each is reported by name, set aside, and nothing else
//! is lost; a torn last record (a write never acknowledged) is dropped.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use commonroom_model::automerge::AutoCommit;
use commonroom_model::commands::NewNote;
use commonroom_model::{CommunityDoc, CommunityId, Ctx, MemberId, NoteId, Timestamp};
use commonroom_store::{DataDir, StoreError};

const ID: &str = "damagecommunity";

/// How the writes after the snapshot are stored.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// Records of the change log (how this release writes).
    Log,
    /// One chunk file per write (how earlier releases wrote; still read).
    Chunks,
}

/// A data dir with one snapshot (notes s0..s2) followed by five writes (one note each,
/// c0..c4), stored as `layout` says.
fn setup(dir: &Path, layout: Layout) -> CommunityDoc {
    let data = DataDir::open(dir).unwrap();
    let me = MemberId::new("me");
    let mut doc = commonroom_model::start_community(
        CommunityId::new(ID),
        "Damage CoP",
        "Me",
        me.clone(),
        None,
        Timestamp::now(),
    )
    .unwrap();
    let mut store = data.create_community(ID, doc.automerge_mut()).unwrap();
    let add = |doc: &mut CommunityDoc, id: &str| {
        doc.apply(
            &Ctx {
                by: Some(me.clone()),
                now: Timestamp::now(),
            },
            commonroom_model::Command::AddNote(NewNote {
                id: NoteId::new(id),
                text: format!("text of {id}"),
                event: None,
                theme: None,
                position: None,
                anonymous: false,
            }),
        )
        .unwrap();
    };
    for i in 0..3 {
        add(&mut doc, &format!("s{i}"));
        store.persist(doc.automerge_mut()).unwrap();
    }
    store.compact(doc.automerge_mut()).unwrap();
    for i in 0..5 {
        let before = doc.automerge_mut().get_heads();
        add(&mut doc, &format!("c{i}"));
        match layout {
            Layout::Log => {
                store.persist(doc.automerge_mut()).unwrap();
            }
            Layout::Chunks => {
                let changes = doc.automerge_mut().save_after(&before);
                let name = format!("chunk-{:020}.am", 100 + i);
                fs::write(community_dir(dir).join(name), framed(&changes)).unwrap();
            }
        }
    }
    doc
}

/// `payload` in the checked frame of stored files (magic, length, CRC-32).
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = commonroom_store::MAGIC.to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn community_dir(dir: &Path) -> PathBuf {
    dir.join("communities").join(ID)
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(community_dir(dir))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    out.sort();
    out
}

/// The one change log of the community.
fn the_log(dir: &Path) -> PathBuf {
    let logs = files(dir, "log-");
    assert_eq!(logs.len(), 1, "{logs:?}");
    logs[0].clone()
}

/// The byte ranges of the records in a change log (mark, length, checksum, payload).
fn records(log: &Path) -> Vec<Range<usize>> {
    let bytes = fs::read(log).unwrap();
    assert!(bytes.starts_with(commonroom_store::LOG_MAGIC));
    let mut at = commonroom_store::LOG_MAGIC.len();
    let mut out = Vec::new();
    while at + 12 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        out.push(at..at + 12 + len);
        at += 12 + len;
    }
    out
}

fn notes(doc: &mut AutoCommit) -> Vec<String> {
    let mut doc = CommunityDoc::from_automerge(doc.clone()).unwrap();
    let view = commonroom_model::CommunityView::hydrate(&mut doc).unwrap();
    view.notes.keys().map(|k| k.to_string()).collect()
}

/// Loads the community, which must report exactly one problem: `damaged` by name, for
/// `expected_reason`, set aside in `quarantine/`; everything written before the damage
/// (notes s0..s2, c0, c1) is there.
fn load_reporting_one(
    data: &DataDir,
    dir: &Path,
    damaged: &Path,
    expected_reason: &str,
) -> commonroom_store::Loaded {
    let mut loaded = data.open_community(ID).expect("the rest loads");
    assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
    let problem = &loaded.problems[0];
    assert_eq!(problem.path, damaged, "the problem names the damaged file");
    assert!(
        problem.reason.contains(expected_reason),
        "reason: {}",
        problem.reason
    );
    let message = problem.to_string();
    assert!(
        message.contains(damaged.file_name().unwrap().to_str().unwrap()),
        "{message}"
    );
    let moved = problem.moved_to.as_ref().unwrap();
    assert!(moved.exists() && moved.starts_with(community_dir(dir).join("quarantine")));
    let seen = notes(&mut loaded.doc);
    for id in ["s0", "s1", "s2", "c0", "c1"] {
        assert!(seen.contains(&id.to_string()), "{id} lost");
    }
    loaded
}

/// Reading the directory again finds no problem and all eight notes.
fn reloads_whole(dir: &Path) {
    let data = DataDir::open(dir).unwrap();
    let mut again = data.open_community(ID).unwrap();
    assert!(again.problems.is_empty());
    assert_eq!(notes(&mut again.doc).len(), 8);
}

fn check_damaged_chunk(damage: impl Fn(&Path), expected_reason: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let mut original = setup(tmp.path(), Layout::Chunks);
    let chunks = files(tmp.path(), "chunk-");
    assert_eq!(chunks.len(), 5);
    let victim = chunks[2].clone();
    damage(&victim);

    let data = DataDir::open(tmp.path()).unwrap();
    let mut loaded = load_reporting_one(&data, tmp.path(), &victim, expected_reason);
    assert!(!victim.exists(), "set aside");
    // The other chunks are kept, not lost.
    assert_eq!(
        files(tmp.path(), "chunk-").len(),
        4,
        "undamaged chunks stay on disk"
    );
    // Changes after the gap wait for their missing dependency; compaction must not drop them.
    loaded.store.compact(&mut loaded.doc).unwrap();
    assert_eq!(
        files(tmp.path(), "chunk-").len(),
        4,
        "no compaction over a gap"
    );
    // A peer fills the gap: every note is back.
    loaded.doc.merge(original.automerge_mut()).unwrap();
    let all = notes(&mut loaded.doc);
    assert_eq!(all.len(), 8, "{all:?}");
    loaded.store.persist(&mut loaded.doc).unwrap();
    loaded.store.compact(&mut loaded.doc).unwrap();
    assert!(
        files(tmp.path(), "chunk-").is_empty(),
        "folded into the snapshot"
    );
    drop(loaded);
    drop(data);
    reloads_whole(tmp.path());
}

#[test]
fn truncated_chunk_is_reported_and_set_aside() {
    check_damaged_chunk(
        |path| {
            let bytes = fs::read(path).unwrap();
            fs::write(path, &bytes[..bytes.len() - 7]).unwrap();
        },
        "truncated",
    );
}

#[test]
fn bit_flipped_chunk_is_reported_and_set_aside() {
    check_damaged_chunk(
        |path| {
            let mut bytes = fs::read(path).unwrap();
            let middle = bytes.len() / 2 + 10;
            bytes[middle] ^= 0x04;
            fs::write(path, &bytes).unwrap();
        },
        "checksum",
    );
}

/// Damages the third write's record (c2) in the log with `damage(bytes, record)`; the
/// load reports it by the log's name, sets it aside, keeps every other record, and a peer
/// fills the gap.
fn check_damaged_record(damage: impl Fn(&mut Vec<u8>, Range<usize>), expected_reason: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let mut original = setup(tmp.path(), Layout::Log);
    let log = the_log(tmp.path());
    let before = records(&log);
    assert_eq!(before.len(), 5);
    let mut bytes = fs::read(&log).unwrap();
    damage(&mut bytes, before[2].clone());
    fs::write(&log, &bytes).unwrap();

    let data = DataDir::open(tmp.path()).unwrap();
    let mut loaded = load_reporting_one(&data, tmp.path(), &log, expected_reason);
    assert_eq!(records(&log).len(), 4, "the damaged record is set aside");
    // Changes after the gap wait for their missing dependency; compaction must not drop them.
    loaded.store.compact(&mut loaded.doc).unwrap();
    assert_eq!(
        records(&the_log(tmp.path())).len(),
        4,
        "no compaction over a gap"
    );
    // Reading again reports nothing more: the damage was reported once.
    drop(loaded);
    drop(data);
    let data = DataDir::open(tmp.path()).unwrap();
    let mut loaded = data.open_community(ID).unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    // A peer fills the gap: every note is back, and stays after compaction and a reload.
    loaded.doc.merge(original.automerge_mut()).unwrap();
    assert_eq!(notes(&mut loaded.doc).len(), 8);
    loaded.store.persist(&mut loaded.doc).unwrap();
    loaded.store.compact(&mut loaded.doc).unwrap();
    assert_eq!(
        records(&the_log(tmp.path())).len(),
        0,
        "folded into the snapshot"
    );
    drop(loaded);
    drop(data);
    reloads_whole(tmp.path());
}

#[test]
fn a_bit_flipped_log_record_is_reported_and_set_aside() {
    check_damaged_record(
        |bytes, record| bytes[record.start + 12 + (record.len() - 12) / 2] ^= 0x04,
        "checksum",
    );
}

#[test]
fn a_log_record_cut_short_in_the_middle_is_reported_and_set_aside() {
    check_damaged_record(
        |bytes, record| {
            let middle = record.start + record.len() / 2;
            bytes.drain(middle..middle + 7);
        },
        "checksum",
    );
}

#[test]
fn a_torn_last_record_is_dropped_and_writing_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let _original = setup(tmp.path(), Layout::Log);
    let log = the_log(tmp.path());
    let last = records(&log).pop().unwrap();
    // A write cut off by a crash: the record was never acknowledged.
    let bytes = fs::read(&log).unwrap();
    fs::write(&log, &bytes[..last.start + 20]).unwrap();

    let data = DataDir::open(tmp.path()).unwrap();
    let mut loaded = data.open_community(ID).unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let seen = notes(&mut loaded.doc);
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert!(!seen.contains(&"c4".to_owned()));
    assert_eq!(
        fs::metadata(&log).unwrap().len(),
        last.start as u64,
        "cut back"
    );
    // The next write lands after the last whole record and reads back.
    let mut doc = CommunityDoc::from_automerge(loaded.doc).unwrap();
    doc.apply(
        &Ctx {
            by: Some(MemberId::new("me")),
            now: Timestamp::now(),
        },
        commonroom_model::Command::AddNote(NewNote {
            id: NoteId::new("after"),
            text: "written after the crash".into(),
            event: None,
            theme: None,
            position: None,
            anonymous: false,
        }),
    )
    .unwrap();
    loaded.store.persist(doc.automerge_mut()).unwrap();
    drop(loaded.store);
    drop(data);
    let data = DataDir::open(tmp.path()).unwrap();
    let mut again = data.open_community(ID).unwrap();
    assert!(again.problems.is_empty());
    assert!(notes(&mut again.doc).contains(&"after".to_owned()));
    assert_eq!(records(&log).len(), 5);
}

#[test]
fn a_file_that_is_not_a_change_log_is_set_aside_whole() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path(), Layout::Log);
    let log = the_log(tmp.path());
    fs::write(&log, b"this is not a change log, just some bytes").unwrap();
    let data = DataDir::open(tmp.path()).unwrap();
    let mut loaded = data.open_community(ID).unwrap();
    assert_eq!(loaded.problems.len(), 1);
    assert!(loaded.problems[0].reason.contains("magic"));
    assert!(loaded.problems[0].moved_to.as_ref().unwrap().exists());
    assert_eq!(notes(&mut loaded.doc).len(), 3, "the snapshot still loads");
    assert_eq!(records(&the_log(tmp.path())).len(), 0, "a fresh log");
}

#[test]
fn garbage_snapshot_is_reported_and_the_later_writes_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mut original = setup(tmp.path(), Layout::Log);
    let snapshots = files(tmp.path(), "snapshot-");
    assert_eq!(snapshots.len(), 1);
    fs::write(
        &snapshots[0],
        b"this is not a snapshot at all, just garbage bytes",
    )
    .unwrap();

    let data = DataDir::open(tmp.path()).unwrap();
    let mut loaded = data.open_community(ID).expect("the log still loads");
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(loaded.problems[0].path, snapshots[0]);
    assert!(
        loaded.problems[0].reason.contains("magic"),
        "{}",
        loaded.problems[0].reason
    );
    assert_eq!(
        records(&the_log(tmp.path())).len(),
        5,
        "the log's records are kept"
    );
    // Without the snapshot the document is not yet readable as a community: that is a clear error.
    let err = CommunityDoc::from_automerge(loaded.doc.clone()).unwrap_err();
    assert!(
        err.to_string().contains("not a Commonroom community"),
        "{err}"
    );
    // A peer sends the rest: nothing is lost.
    loaded.doc.merge(original.automerge_mut()).unwrap();
    assert_eq!(notes(&mut loaded.doc).len(), 8);
}

#[test]
fn leftover_temporary_files_are_ignored_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path(), Layout::Log);
    let community = tmp.path().join("communities").join(ID);
    fs::write(
        community.join(".tmp-chunk-00000000000000000099.am"),
        b"half-written",
    )
    .unwrap();
    let data = DataDir::open(tmp.path()).unwrap();
    let loaded = data.open_community(ID).unwrap();
    assert!(loaded.problems.is_empty());
    assert!(
        !community
            .join(".tmp-chunk-00000000000000000099.am")
            .exists()
    );
}

#[test]
fn only_one_process_holds_a_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let first = DataDir::open(tmp.path()).unwrap();
    assert!(DataDir::is_locked(tmp.path()));
    match DataDir::open(tmp.path()) {
        Err(StoreError::Locked(path, _)) => assert_eq!(path, tmp.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(first);
    assert!(!DataDir::is_locked(tmp.path()));
    DataDir::open(tmp.path()).unwrap();
}

#[test]
fn device_key_is_created_once_and_private() {
    let tmp = tempfile::tempdir().unwrap();
    let key = {
        let data = DataDir::open(tmp.path()).unwrap();
        data.device_secret().unwrap()
    };
    let path = tmp.path().join("device.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let data = DataDir::open(tmp.path()).unwrap();
    assert_eq!(
        data.device_secret().unwrap(),
        key,
        "the same key every time"
    );
    fs::write(&path, b"short").unwrap();
    let err = data.device_secret().unwrap_err();
    assert!(err.to_string().contains("device.key"), "{err}");
}

#[test]
fn unsafe_community_ids_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::open(tmp.path()).unwrap();
    for bad in ["../etc", "a/b", "", ".hidden"] {
        assert!(
            matches!(data.open_community(bad), Err(StoreError::InvalidId(_))),
            "{bad:?}"
        );
    }
}

/// A join cut short while storing the community leaves only a hidden staging directory:
/// no half-made community without its peers, and the next attempt replaces it.
#[test]
fn a_community_appears_only_with_its_local_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::open(tmp.path()).unwrap();
    let staging = tmp.path().join("communities").join(format!(".new-{ID}"));
    fs::create_dir_all(&staging).unwrap();
    fs::write(staging.join("snapshot-00000000000000000001.am"), b"half").unwrap();
    assert!(
        data.community_ids().unwrap().is_empty(),
        "staging is not a community"
    );
    let mut doc = AutoCommit::new();
    data.create_community_with(ID, &mut doc, &[("me", "member-1"), ("peers", "{}")])
        .unwrap();
    assert_eq!(data.community_ids().unwrap(), [ID.to_owned()]);
    assert_eq!(
        data.read_local(ID, "me").unwrap().as_deref(),
        Some("member-1")
    );
    assert_eq!(data.read_local(ID, "peers").unwrap().as_deref(), Some("{}"));
    assert!(!staging.exists());
    let loaded = data.open_community(ID).unwrap();
    assert!(loaded.problems.is_empty());
}

#[test]
fn a_damaged_local_setting_is_set_aside_and_read_as_unset() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path(), Layout::Log);
    let data = DataDir::open(tmp.path()).unwrap();
    let loaded = data.open_community(ID).unwrap();
    loaded
        .store
        .write_local("peers", "peer-a 127.0.0.1:4000")
        .unwrap();
    assert_eq!(
        loaded.store.read_local("peers").unwrap().as_deref(),
        Some("peer-a 127.0.0.1:4000")
    );
    // A bit flips on disk: the setting is set aside and read as unset, never as garbage.
    let path = tmp.path().join("communities").join(ID).join("local-peers");
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x10;
    fs::write(&path, bytes).unwrap();
    assert_eq!(loaded.store.read_local("peers").unwrap(), None);
    assert!(!path.exists());
    let quarantine = tmp.path().join("communities").join(ID).join("quarantine");
    assert!(
        quarantine.join("local-peers").exists(),
        "set aside, not deleted"
    );
    // A plain setting written by an earlier release still reads.
    fs::write(&path, "peer-b 10.0.0.2:4000\n").unwrap();
    assert_eq!(
        loaded.store.read_local("peers").unwrap().as_deref(),
        Some("peer-b 10.0.0.2:4000")
    );
}

#[test]
fn a_missing_device_key_next_to_communities_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let key = DataDir::open(tmp.path()).unwrap().device_secret().unwrap();
    setup(tmp.path(), Layout::Log);
    let data = DataDir::open(tmp.path()).unwrap();
    assert_eq!(data.device_secret().unwrap(), key);
    fs::remove_file(tmp.path().join("device.key")).unwrap();
    let err = data.device_secret().unwrap_err();
    assert!(matches!(err, StoreError::MissingDeviceKey(_)), "{err}");
    assert!(err.to_string().contains("new device"), "{err}");
    assert!(
        !tmp.path().join("device.key").exists(),
        "no new key is made"
    );
    // An empty data directory still gets its first key.
    let fresh = tempfile::tempdir().unwrap();
    let other = DataDir::open(fresh.path())
        .unwrap()
        .device_secret()
        .unwrap();
    assert_ne!(other, key);
}

#[cfg(unix)]
#[test]
fn a_data_directory_others_could_read_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    fs::create_dir(&root).unwrap();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
    let _data = DataDir::open(&root).unwrap();
    let mode = fs::metadata(&root).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
