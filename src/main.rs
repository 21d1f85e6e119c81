//! The `commonroom` binary: argument parsing, logging, and either a command or the app.

mod cli;
mod local;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COMMONROOM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: the error and its causes.
            let causes: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", causes.join(": "));
            ExitCode::FAILURE
        }
    }
}

fn real_main(cli: cli::Cli) -> Result<()> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    match cli.command {
        Some(command) => run::run(&data_dir, command),
        None => {
            cli::Cli::command().print_help()?;
            Ok(())
        }
    }
}

/// The platform's data directory for Commonroom (e.g. `~/.local/share/commonroom`).
fn default_data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("org", "Commonroom", "commonroom")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("cannot find a home directory for the default data directory; pass --data-dir")
}
