//! Frame time of the Members and Notes screens with the generated five-year community
//! (200 members, 10,000 notes), headless: each frame is the app's whole UI pass plus
//! tessellation, with the list scrolling a little every frame so the virtualised rows
//! change. Reported as p50 and p95 over 300 frames, and as ratios to the same screens
//! with the small sample community measured in the same run.
//!
//! Run: `cargo bench -p commonroom-ui --bench frames`

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::path::Path;
use std::time::{Duration, Instant};

use commonroom_model::generate::Spec;
use commonroom_node::{Node, NodeConfig};
use commonroom_ui::{Bridge, CommonroomApp, Prefs, Tab};

const FRAMES: usize = 300;
const WARM_UP: usize = 30;

fn input(time: f64, scroll: f32) -> egui::RawInput {
    let mut input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        time: Some(time),
        ..Default::default()
    };
    input
        .events
        .push(egui::Event::PointerMoved(egui::pos2(640.0, 500.0)));
    if scroll != 0.0 {
        input.events.push(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, scroll),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
    }
    input
}

/// Frame times (ms, sorted) of one screen, and the mean number of triangles drawn (to show
/// that the screen really drew its rows).
fn frames(
    ctx: &egui::Context,
    app: &mut CommonroomApp,
    tab: Tab,
    all_notes: bool,
) -> (Vec<f64>, usize) {
    let id = app.current().unwrap().to_owned();
    app.show(&id, tab);
    app.screens_mut().notes.all = all_notes;
    let mut samples = Vec::with_capacity(FRAMES);
    let mut triangles = 0;
    for frame in 0..WARM_UP + FRAMES {
        // Scroll down for a while, then back up: rows keep entering and leaving the view.
        let scroll = if (frame / 100) % 2 == 0 { -40.0 } else { 40.0 };
        let input = input(frame as f64 / 60.0, scroll);
        let start = Instant::now();
        let output = ctx.run_ui(input, |ui| app.frame_ui(ui));
        let meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        let took = start.elapsed();
        if frame >= WARM_UP {
            samples.push(took.as_secs_f64() * 1000.0);
            triangles += meshes
                .iter()
                .map(|m| match &m.primitive {
                    egui::epaint::Primitive::Mesh(mesh) => mesh.indices.len() / 3,
                    egui::epaint::Primitive::Callback(_) => 0,
                })
                .sum::<usize>();
        }
    }
    samples.sort_by(f64::total_cmp);
    (samples, triangles / FRAMES)
}

/// Milliseconds from opening the History screen until its feed is shown.
fn first_history_read(ctx: &egui::Context, app: &mut CommonroomApp) -> f64 {
    let id = app.current().unwrap().to_owned();
    app.show(&id, Tab::History);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(120);
    while !app.data().history.get(&id).is_some_and(|h| h.is_ok()) {
        assert!(Instant::now() < deadline, "the history did not arrive");
        let _ = ctx.run_ui(input(0.0, 0.0), |ui| app.frame_ui(ui));
        std::thread::sleep(Duration::from_millis(1));
    }
    start.elapsed().as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// An app over a node on `dir`, with its community loaded.
fn open(runtime: &tokio::runtime::Runtime, dir: &Path) -> (Node, egui::Context, CommonroomApp) {
    let started = Instant::now();
    let node = runtime
        .block_on(Node::start(NodeConfig::loopback(dir)))
        .unwrap();
    let bridge = Bridge::new(node.handle(), runtime.handle().clone());
    let mut app = CommonroomApp::new(bridge, Prefs::default());
    let ctx = egui::Context::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    while app.view().is_none() {
        assert!(Instant::now() < deadline, "the community did not load");
        let _ = ctx.run_ui(input(0.0, 0.0), |ui| app.frame_ui(ui));
        std::thread::sleep(Duration::from_millis(20));
    }
    let view = app.view().unwrap();
    println!(
        "opening a community of {} members and {} notes: node started and first view shown in {} ms",
        view.members.len(),
        view.notes.len(),
        started.elapsed().as_millis()
    );
    (node, ctx, app)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let big_dir = tempfile::tempdir().unwrap();
    let spec = Spec::default();
    println!(
        "generating the five-year community ({} members, {} notes)…",
        spec.members, spec.notes
    );
    commonroom_node::install_generated(big_dir.path(), &spec);
    let small_dir = tempfile::tempdir().unwrap();
    commonroom_node::install_generated(small_dir.path(), &Spec::small());

    let (small_node, small_ctx, mut small_app) = open(&runtime, small_dir.path());
    let (big_node, big_ctx, mut big_app) = open(&runtime, big_dir.path());

    println!(
        "frame = the whole window's UI pass + tessellation, 1280x800, headless; {FRAMES} frames after {WARM_UP} warm-up"
    );
    for (name, app, ctx) in [
        ("small", &mut small_app, &small_ctx),
        ("five-year", &mut big_app, &big_ctx),
    ] {
        println!(
            "History, first read of the {name} community's feed (the node reads every change once, then only new ones): {:.0} ms",
            first_history_read(ctx, app)
        );
    }
    let mut worst_p95: f64 = 0.0;
    for (name, tab, all) in [
        ("Members (200)", Tab::Members, false),
        ("Notes, one event's board", Tab::Notes, false),
        ("Notes, all 10,000 on one board", Tab::Notes, true),
        ("History (500 newest changes)", Tab::History, false),
    ] {
        let (base, _) = frames(&small_ctx, &mut small_app, tab, all);
        let (big, triangles) = frames(&big_ctx, &mut big_app, tab, all);
        let (p50, p95) = (percentile(&big, 0.5), percentile(&big, 0.95));
        let (b50, b95) = (percentile(&base, 0.5), percentile(&base, 0.95));
        worst_p95 = worst_p95.max(p95);
        println!(
            "{name}: p50 {p50:.2} ms, p95 {p95:.2} ms, {triangles} triangles a frame (small community: p50 {b50:.2} ms, p95 {b95:.2} ms; ratio p95 {:.2}) {}",
            p95 / b95,
            if p95 <= 8.0 {
                "✓ p95 <= 8 ms"
            } else {
                "✗ p95 > 8 ms"
            }
        );
    }
    println!("worst p95: {worst_p95:.2} ms (target <= 8 ms)");
    runtime.block_on(small_node.shutdown());
    runtime.block_on(big_node.shutdown());
}
