//! The `commonroom` binary: argument parsing, logging, and either a command or the app.

mod backend;
mod claim;
mod cli;
mod control;
mod host;
mod local;
mod logfile;
mod membership;
mod network;
mod node_backend;
mod route;
mod run;
mod surveys;
mod talk;
mod window;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tracing_subscriber::fmt::writer::{BoxMakeWriter, MakeWriterExt};

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        // Help and version go to standard output as clap writes them; a usage mistake is
        // one line, like every other error (scripts read the first line).
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            let text = error.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("{first} (see --help)");
            return ExitCode::from(2);
        }
    };
    // The app and `serve` run for long, often with no terminal: they also keep a log file.
    let long_running = matches!(
        cli.command,
        None | Some(cli::Command::Open { .. } | cli::Command::Serve { .. })
    );
    let log_file = long_running
        .then(logfile::log_dir)
        .flatten()
        .and_then(|dir| logfile::LogFile::open(&dir, logfile::MAX_BYTES).ok());
    let writer = match log_file {
        Some(file) => BoxMakeWriter::new(std::io::stderr.and(std::sync::Mutex::new(file))),
        None => BoxMakeWriter::new(std::io::stderr),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COMMONROOM_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(
                    "warn,iroh=off,noq=off,iroh_mdns_address_lookup=off,swarm_discovery=off,winit=error,arboard=error",
                )
            }),
        )
        .with_ansi(false)
        .with_writer(writer)
        .init();
    match real_main(cli) {
        Ok(code) => code,
        Err(error) if reader_went_away(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// Whether the output's reader closed early (as `commonroom history | head` does): not a
/// failure of the command.
fn reader_went_away(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line.
pub(crate) fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ").replace('\n', " ")
}

fn real_main(cli: cli::Cli) -> Result<ExitCode> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let command = match cli.command {
        None => return window::open(&data_dir, &cli.net, None),
        Some(cli::Command::Open { link }) => {
            return window::open(&data_dir, &cli.net, Some(link));
        }
        Some(command) => command,
    };
    if let cli::Command::Serve { net } = &command {
        network::serve(&data_dir, net)?;
        return Ok(ExitCode::SUCCESS);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match route::route(&data_dir, &command, &args)? {
        route::Route::Forwarded(code) => return Ok(exit_code(code)),
        route::Route::WithNetwork(dir) => network::one_shot(dir, command, &cli.net)?,
        route::Route::Here(dir) => {
            let mut local = local::Local::on(dir)?;
            let mut out = std::io::stdout();
            run::run(&mut local, command, &mut out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A forwarded command's exit status as this process's.
pub(crate) fn exit_code(code: i32) -> ExitCode {
    if code == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(code.clamp(1, 255) as u8)
    }
}

/// The platform's data directory for Commonroom (e.g. `~/.local/share/commonroom`).
fn default_data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("org", "Commonroom", "commonroom")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("cannot find a home directory for the default data directory; pass --data-dir")
}
