//! A laptop whose disk fills up mid-meeting: a change that could not be saved (its own or a
//! peer's) is refused with a clear error and is not kept, shown or sent; once there is room
//! again everything carries on, the peer's change arrives again, and a restart finds
//! exactly what was acknowledged.
//!
//! The data directory lives on a real, small tmpfs that the test fills, so it needs root
//! (for `mount`); elsewhere it is skipped with the reason printed.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use common::{found, invite_and_join, node, note, note_texts, until_note};
use commonroom_node::Event;

const WAIT: Duration = Duration::from_secs(20);

/// A mounted tmpfs, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Result<Self, String> {
        let out = Process::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("mount could not run: {e}"))?;
        if out.status.success() {
            Ok(Self(dir.to_path_buf()))
        } else {
            Err(format!(
                "mounting a tmpfs needs root: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the disk holding `path` (bounded: the disk is small); returns the filler file.
fn fill(path: &Path) -> PathBuf {
    let filler = path.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    for block in [64 * 1024, 4096, 512, 1] {
        let bytes = vec![7u8; block];
        // At most 64 MiB in any block size, far more than the disk holds.
        for _ in 0..(64 * 1024 * 1024 / block).min(100_000) {
            if file.write_all(&bytes).is_err() {
                break;
            }
        }
    }
    let _ = file.sync_all();
    filler
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_cannot_be_saved_is_refused_and_never_shown_or_sent() {
    let root = tempfile::tempdir().unwrap();
    let disk = match SmallDisk::mount(root.path(), "16m") {
        Ok(disk) => disk,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    let da = root.path().join("laptop");
    let db = tempfile::tempdir().unwrap();
    let a = node(&da).await;
    let b = node(db.path()).await;
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Family Support CoP").await;
    ha.apply(id.clone(), note("saved before")).await.unwrap();
    invite_and_join(&ha, &hb, &id, "Sam").await;
    until_note(&hb, &id, "saved before", WAIT).await;
    let heads_before = ha.view(id.clone()).await.unwrap().heads.clone();

    // The disk fills up: the next note is refused, clearly, and not kept. (Notes are long
    // enough not to fit in what is left of the change log's last allocated page.)
    let filler = fill(root.path());
    let never_saved = long_text("never saved");
    let error = ha
        .apply(id.clone(), note(&never_saved))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("No space left on device"),
        "a clear reason: {error}"
    );
    let view = ha.view(id.clone()).await.unwrap();
    assert_eq!(view.heads, heads_before, "the unsaved change is not kept");
    assert!(!note_texts(&ha, &id).await.contains(&never_saved));
    let leftovers: Vec<_> = walk(&da)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp-")
        })
        .collect();
    assert!(leftovers.is_empty(), "no half-written files: {leftovers:?}");

    // A note from the peer cannot be saved here either: it is not kept, and the window is
    // told why.
    let mut events = ha.subscribe();
    let from_sam = long_text("from Sam while full");
    hb.apply(id.clone(), note(&from_sam)).await.unwrap();
    let said = tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Ok(Event::SaveFailed { error, .. }) => break error,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("events ended: {e}"),
            }
        }
    })
    .await
    .expect("a SaveFailed event");
    assert!(said.contains("No space left on device"), "{said}");
    assert_eq!(ha.view(id.clone()).await.unwrap().heads, heads_before);

    // Room again: work carries on. The peer gets the new note but never the refused one,
    // and sends its own note again.
    std::fs::remove_file(filler).unwrap();
    ha.apply(id.clone(), note("saved after")).await.unwrap();
    until_note(&hb, &id, "saved after", WAIT).await;
    ha.sync_now(id.clone(), WAIT).await.unwrap();
    until_note(&ha, &id, &from_sam, WAIT).await;
    let kept = [from_sam.as_str(), "saved after", "saved before"];
    assert_eq!(note_texts(&hb, &id).await, kept);

    // A restart finds exactly what was acknowledged.
    a.shutdown().await;
    let a = node(&da).await;
    let ha = a.handle();
    assert_eq!(note_texts(&ha, &id).await, kept);
    a.shutdown().await;
    b.shutdown().await;
    drop(disk);
}

/// `prefix` followed by 9,000 letters that do not compress, so that the change is larger
/// than any slack left in an allocated page of the change log.
fn long_text(prefix: &str) -> String {
    let mut state: u64 = prefix.len() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let letters: String = (0..9_000)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + ((state >> 33) % 26) as u8)
        })
        .collect();
    format!("{prefix} {letters}")
}

/// Every file below `dir` (bounded depth: the data directory is shallow).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && depth < 6 {
                pending.push((path, depth + 1));
            } else {
                found.push(path);
            }
        }
    }
    found
}
