//! Crash safety: a writer killed with SIGKILL at random moments never loses a change it
//! reported as saved, and what it leaves behind always loads.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use commonroom_model::commands::NewNote;
use commonroom_model::{CommunityDoc, CommunityId, Ctx, MemberId, NoteId, Timestamp};
use commonroom_store::DataDir;

const CHILD_ENV: &str = "COMMONROOM_CRASH_CHILD_DIR";
const COMMUNITY: &str = "crashcommunity";
const KILLS: usize = 1_000;
/// A bound on the whole test: about 50 ms a kill here, so the budget is ten times that.
const TIME_BUDGET: Duration = Duration::from_secs(480);

/// The writer: adds notes forever, printing each id once `persist` has returned.
/// Runs only when re-executed by `killed_writers_never_lose_acknowledged_changes`.
#[test]
#[ignore = "child process of killed_writers_never_lose_acknowledged_changes"]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let data = DataDir::open(&dir).expect("child opens the data directory");
    let mut loaded = data
        .open_community(COMMUNITY)
        .expect("child loads the community");
    assert!(
        loaded.problems.is_empty(),
        "damaged files after a crash: {:?}",
        loaded.problems
    );
    // Compact often so that kills also land in the middle of compactions.
    loaded.store.set_compact_after(5);
    let mut doc = CommunityDoc::from_automerge(loaded.doc)
        .expect("a community")
        .with_fresh_actor();
    let me = MemberId::new("writer");
    let pid = std::process::id();
    for n in 0.. {
        let id = NoteId::new(format!("note-{pid}-{n}"));
        let ctx = Ctx {
            by: Some(me.clone()),
            now: Timestamp::now(),
        };
        let cmd = commonroom_model::Command::AddNote(NewNote {
            id: id.clone(),
            text: format!("note {n} written by process {pid} with some padding text"),
            event: None,
            theme: None,
            position: None,
            anonymous: false,
        });
        doc.apply(&ctx, cmd).expect("valid note");
        loaded
            .store
            .persist(doc.automerge_mut())
            .expect("durable write");
        println!("{id}");
    }
}

#[test]
fn killed_writers_never_lose_acknowledged_changes() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let data = DataDir::open(tmp.path()).unwrap();
        let mut doc = commonroom_model::start_community(
            CommunityId::new(COMMUNITY),
            "Crash test CoP",
            "Writer",
            MemberId::new("writer"),
            None,
            Timestamp::now(),
        )
        .unwrap();
        data.create_community(COMMUNITY, doc.automerge_mut())
            .unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut seed: u64 = 0x5eed;
    let started = Instant::now();
    let mut kills = 0;
    while kills < KILLS && started.elapsed() < TIME_BUDGET {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill after a random number of acknowledged writes (0..12), at a random sub-moment.
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let wanted = (seed >> 33) % 12;
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0;
        while seen < wanted {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("note-") => {
                    acknowledged.push(line);
                    seen += 1;
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        std::thread::sleep(Duration::from_micros((seed >> 40) % 3_000));
        child.kill().unwrap(); // SIGKILL
        // Anything printed before the kill was acknowledged too.
        for line in lines.map_while(Result::ok) {
            if line.starts_with("note-") {
                acknowledged.push(line);
            }
        }
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "the writer died of the kill, not on its own (loading failed?): {status}"
        );
        kills += 1;
    }
    assert_eq!(kills, KILLS, "only {kills} kills fitted in {TIME_BUDGET:?}");

    let data = DataDir::open(tmp.path()).unwrap();
    let loaded = data
        .open_community(COMMUNITY)
        .expect("loading after crashes never fails");
    assert!(
        loaded.problems.is_empty(),
        "no damaged files: {:?}",
        loaded.problems
    );
    let doc = CommunityDoc::from_automerge(loaded.doc).unwrap();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| {
            !doc.contains(commonroom_model::EntityKind::Note, id)
                .unwrap()
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged notes lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    println!(
        "{kills} kills, {} acknowledged notes, all present",
        acknowledged.len()
    );
}
