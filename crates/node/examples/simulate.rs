//! Runs the engine's deterministic many-peer simulator and prints one summary line.
//!
//! `cargo run --release -p commonroom-node --example simulate -- --peers 200 --seed 1`
//!
//! Options: `--peers N` (default 50), `--seed S` (default 1), `--rounds R` partitions that
//! heal (default 1). The same seed gives the same line.

use std::process::ExitCode;
use std::time::Instant;

fn value(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a whole number")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| {
        Ok::<_, String>((
            value(&args, "--peers", 50)?,
            value(&args, "--seed", 1)?,
            value(&args, "--rounds", 1)?,
        ))
    })();
    let (peers, seed, rounds) = match parsed {
        Ok(values) => values,
        Err(message) => {
            eprintln!("simulate: {message}");
            return ExitCode::from(2);
        }
    };
    if peers < 2 {
        eprintln!("simulate: --peers must be at least 2");
        return ExitCode::from(2);
    }
    let started = Instant::now();
    match commonroom_engine::sim::scenario(peers as usize, seed, rounds as usize) {
        Ok(summary) => {
            println!(
                "{summary} | seed {seed} | {:.1} s real",
                started.elapsed().as_secs_f64()
            );
            if summary.same_heads && summary.same_state {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("simulate: the run failed: {error}");
            ExitCode::FAILURE
        }
    }
}
