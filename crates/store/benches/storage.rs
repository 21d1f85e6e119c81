//! Storage benchmark on the generated "five years of a 200-member CoP".
//!
//! Run: `cargo bench -p commonroom-store --bench storage`. Prints absolute times and the
//! ratios the targets are set on, each measured against a baseline in the same run:
//! - cold load through the store vs `AutoCommit::load` of the same bytes (target ≤ 1.2);
//! - one more durable `note add` at 10,000 notes vs at 100 notes (target ≤ 1.5).
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::time::{Duration, Instant};

use commonroom_model::automerge::AutoCommit;
use commonroom_model::commands::NewNote;
use commonroom_model::generate::{Spec, generate};
use commonroom_model::{Command, CommunityDoc, Ctx, MemberId, NoteId, Timestamp};
use commonroom_store::DataDir;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn add_note(doc: &mut CommunityDoc, n: usize, by: &Option<MemberId>) {
    let ctx = Ctx {
        by: by.clone(),
        now: Timestamp::now(),
    };
    doc.apply(
        &ctx,
        Command::AddNote(NewNote {
            id: NoteId::generate(),
            text: format!("Benchmark note {n}: waiting lists are long and families need support"),
            event: None,
            theme: None,
            position: None,
            anonymous: false,
        }),
    )
    .unwrap();
}

/// An open document and its store, taking durable note additions.
struct Writer {
    doc: CommunityDoc,
    store: commonroom_store::CommunityStore,
    by: Option<MemberId>,
    durable: Vec<Duration>,
    memory: Vec<Duration>,
    /// Bytes of each kept write's change.
    change_sizes: Vec<usize>,
    _dir: tempfile::TempDir,
}

impl Writer {
    fn new(spec: &Spec) -> Self {
        let mut doc = generate(spec).with_fresh_actor();
        // Notes are written by a member (the role rules are checked on every write).
        let by = doc
            .all::<commonroom_model::entities::Member>()
            .unwrap()
            .0
            .first()
            .map(|m| m.id.clone());
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::open(dir.path()).unwrap();
        let id = doc.id().unwrap();
        let mut store = data
            .create_community(id.as_str(), doc.automerge_mut())
            .unwrap();
        // Keep compaction out of the per-edit figure (it is measured as "save" below).
        store.set_compact_after(usize::MAX);
        Self {
            doc,
            store,
            by,
            durable: Vec::new(),
            memory: Vec::new(),
            change_sizes: Vec::new(),
            _dir: dir,
        }
    }

    /// Adds note `n` durably; keeps its timings unless it is a warm-up write.
    fn add(&mut self, n: usize, keep: bool) {
        let before = self.doc.automerge_mut().get_heads();
        let start = Instant::now();
        add_note(&mut self.doc, n, &self.by);
        let mid = Instant::now();
        self.store.persist(self.doc.automerge_mut()).unwrap();
        let end = Instant::now();
        if keep {
            let size = self.doc.automerge_mut().save_after(&before).len();
            self.change_sizes.push(size);
            self.memory.push(mid - start);
            self.durable.push(end - start);
        }
    }
}

/// Times `edits` durable note additions on two open communities, interleaved (one on
/// each, in alternating order) so that a busy moment on the machine hits both alike.
fn paired_edit_samples(small: &Spec, big: &Spec, edits: usize) -> (Writer, Writer) {
    let (mut a, mut b) = (Writer::new(small), Writer::new(big));
    for n in 0..edits + 20 {
        let keep = n >= 20;
        if n % 2 == 0 {
            a.add(n, keep);
            b.add(n, keep);
        } else {
            b.add(n, keep);
            a.add(n, keep);
        }
    }
    (a, b)
}

fn main() {
    let spec = Spec::default();
    println!("# Commonroom storage benchmark");
    println!(
        "generated community: {} members, {} events, {} notes, {} resources, {} actions, {} themes ({} changes)",
        spec.members,
        spec.events,
        spec.notes,
        spec.resources,
        spec.actions,
        spec.themes,
        spec.changes()
    );
    let started = Instant::now();
    let mut doc = generate(&spec);
    println!("generation: {:.1} s", started.elapsed().as_secs_f64());

    // Save.
    let saves: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            let bytes = doc.save();
            std::hint::black_box(bytes.len());
            t.elapsed()
        })
        .collect();
    let bytes = doc.save();
    println!(
        "save whole document: {:.1} ms (median of 15), {} KB",
        ms(median(saves)),
        bytes.len() / 1024
    );

    // Cold load through the store vs automerge alone on the same bytes.
    let tmp = tempfile::tempdir().unwrap();
    let id = doc.id().unwrap();
    {
        let data = DataDir::open(tmp.path()).unwrap();
        data.create_community(id.as_str(), doc.automerge_mut())
            .unwrap();
    }
    let disk: u64 = std::fs::read_dir(tmp.path().join("communities").join(id.as_str()))
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let mut store_loads = Vec::new();
    let mut raw_loads = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let loaded = AutoCommit::load(&bytes).unwrap();
        raw_loads.push(t.elapsed());
        drop(loaded);
        let t = Instant::now();
        let data = DataDir::open(tmp.path()).unwrap();
        let loaded = data.open_community(id.as_str()).unwrap();
        let doc = CommunityDoc::from_automerge(loaded.doc).unwrap();
        store_loads.push(t.elapsed());
        drop(doc);
    }
    let (store_load, raw_load) = (median(store_loads), median(raw_loads));
    println!(
        "cold load: store {:.0} ms vs AutoCommit::load {:.0} ms: ratio {:.2} (target <= 1.2)",
        ms(store_load),
        ms(raw_load),
        store_load.as_secs_f64() / raw_load.as_secs_f64()
    );
    println!("on disk: {} KB (one framed snapshot)", disk / 1024);

    // One more note at 10,000 notes vs at 100 notes.
    let edits = 200;
    let small = Spec {
        notes: 100,
        ..Spec::default()
    };
    let (small, big) = paired_edit_samples(&small, &spec, edits);
    let (small_durable, small_memory) = (small.durable, small.memory);
    let (big_durable, big_memory) = (big.durable.clone(), big.memory.clone());
    println!(
        "note add, durable (apply + commit + log append + fdatasync): at 100 notes {:.2} ms, at 10,000 notes {:.2} ms (median of {edits}, interleaved): ratio {:.2} (target <= 1.5)",
        ms(median(small_durable.clone())),
        ms(median(big_durable.clone())),
        median(big_durable.clone()).as_secs_f64() / median(small_durable.clone()).as_secs_f64()
    );
    println!(
        "  p95: at 100 notes {:.2} ms, at 10,000 notes {:.2} ms",
        ms(percentile(small_durable, 0.95)),
        ms(percentile(big_durable, 0.95))
    );
    println!(
        "note add, in memory (validate + reconcile one note + commit): at 100 notes {:.3} ms, at 10,000 notes {:.3} ms: ratio {:.2}",
        ms(median(small_memory.clone())),
        ms(median(big_memory.clone())),
        median(big_memory).as_secs_f64() / median(small_memory).as_secs_f64()
    );

    // The durable write alone: one record appended to the change log with one fdatasync,
    // against the earlier pattern (temporary file, fsync, rename, directory fsync) for the
    // same bytes, interleaved.
    let (log_writes, file_writes) = write_patterns(&big.change_sizes);
    println!(
        "durable write of one note's change: log append {:.3} ms vs temporary file + fsync + rename + directory fsync {:.3} ms (median of {}, interleaved): ratio {:.2}",
        ms(median(log_writes.clone())),
        ms(median(file_writes.clone())),
        log_writes.len(),
        median(log_writes).as_secs_f64() / median(file_writes).as_secs_f64()
    );
}

/// Times durable writes of payloads of `sizes` bytes through the store's change log and
/// through the per-file pattern it replaced.
fn write_patterns(sizes: &[usize]) -> (Vec<Duration>, Vec<Duration>) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    let mut doc = AutoCommit::new();
    let mut store = data.create_community("writes", &mut doc).unwrap();
    store.set_compact_after(usize::MAX);
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    let (mut log, mut file) = (Vec::new(), Vec::new());
    for (n, size) in sizes.iter().enumerate() {
        let payload = vec![7u8; *size];
        let t = Instant::now();
        store.persist_received(&payload, &mut doc).unwrap();
        log.push(t.elapsed());
        let t = Instant::now();
        let tmp = files.join(".tmp");
        let mut f = std::fs::File::create(&tmp).unwrap();
        f.write_all(&payload).unwrap();
        f.sync_all().unwrap();
        drop(f);
        std::fs::rename(&tmp, files.join(format!("chunk-{n}"))).unwrap();
        std::fs::File::open(&files).unwrap().sync_all().unwrap();
        file.push(t.elapsed());
    }
    (log, file)
}
