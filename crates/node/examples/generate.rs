//! Writes the generated "five years of a 200-member CoP" (200 members, 120 events, 10,000
//! notes, 1,000 resources) into a new data directory as this device's own community, for
//! measuring the real app on it (the time to the first frame in `BENCHMARKS.md`).
//!
//! `cargo run --release -p commonroom-node --example generate -- DIR`

use std::process::ExitCode;
use std::time::Instant;

use commonroom_model::generate::Spec;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: generate DIR (a data directory that does not exist yet)");
        return ExitCode::from(2);
    };
    let dir = std::path::PathBuf::from(dir);
    if dir.exists() {
        eprintln!(
            "error: {} already exists; give a new directory",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    let id = commonroom_node::install_generated(&dir, &Spec::default());
    println!(
        "{id}: the five-year community written to {} in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
