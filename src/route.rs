//! Where a command is carried out, decided in this one place: handed to the node running
//! on the data directory (the app or `serve`), carried out here by the engine in-process,
//! or, for a command that needs the network, by a node started just for it.

use std::path::Path;

use anyhow::Result;
use commonroom_store::DataDir;

use crate::claim::{self, Claim};
use crate::cli::{Command, DeviceAction};

/// Where a command goes.
pub enum Route {
    /// A running node carried it out; its exit status.
    Forwarded(i32),
    /// This process holds the data directory; the command needs only the directory.
    Here(DataDir),
    /// This process holds the data directory; the command needs a node of its own.
    WithNetwork(DataDir),
}

/// Decides where `command` (as typed: `args`) is carried out, waiting (bounded) while
/// another command holds the directory.
pub fn route(data_dir: &Path, command: &Command, args: &[String]) -> Result<Route> {
    Ok(match claim::for_command(data_dir, args)? {
        Claim::Forwarded(code) => Route::Forwarded(code),
        Claim::Mine(dir) if needs_network(command) => Route::WithNetwork(dir),
        Claim::Mine(dir) => Route::Here(dir),
    })
}

/// Whether a command needs the network (and not just the data directory).
pub fn needs_network(command: &Command) -> bool {
    matches!(
        command,
        Command::Invite { .. }
            | Command::Device {
                action: DeviceAction::Link { .. }
            }
            | Command::Join { .. }
            | Command::Sync { .. }
            | Command::Peers { .. }
    )
}
