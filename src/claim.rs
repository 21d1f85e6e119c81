//! Who carries out a command on a data directory: this process (holding the directory's
//! lock) or the node already running on it (through its control socket). Decided here
//! only, waiting a bounded time while another process finishes or starts up, the way
//! SQLite waits for a busy database.

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use commonroom_store::{DataDir, StoreError};

use crate::control;

/// How long a command waits for another Commonroom process to let go of the directory.
pub const WAIT: Duration = Duration::from_secs(10);

/// Where a command runs.
pub enum Claim {
    /// This process holds the directory and carries the command out itself.
    Mine(DataDir),
    /// The running node carried it out; its exit code.
    Forwarded(i32),
}

/// Retries `attempt` until it gives an answer or [`WAIT`] has passed; the pause between
/// attempts grows from 5 ms to 100 ms, offset per process so that commands started
/// together do not retry in step.
fn waiting<T>(data_dir: &Path, mut attempt: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + WAIT;
    let offset = Duration::from_millis(u64::from(std::process::id() % 7));
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(answer) = attempt()? {
            return Ok(answer);
        }
        if Instant::now() >= deadline {
            let holder = DataDir::holder(data_dir)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            bail!(
                "the data directory {} is in use by another Commonroom process{holder}, which did not let go within {} seconds; if it is stuck, stop it and try again",
                data_dir.display(),
                WAIT.as_secs()
            );
        }
        sleep(pause + offset);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Opens the directory if no other process holds it (`None` if one does).
fn try_open(data_dir: &Path) -> Result<Option<DataDir>> {
    match DataDir::open(data_dir) {
        Ok(dir) => Ok(Some(dir)),
        Err(StoreError::Locked(..)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// For a command: takes the directory, or hands `args` to the node running on it. A
/// command holding the directory is waited for; so is a node still starting its socket.
pub fn for_command(data_dir: &Path, args: &[String]) -> Result<Claim> {
    waiting(data_dir, || {
        if let Some(dir) = try_open(data_dir)? {
            return Ok(Some(Claim::Mine(dir)));
        }
        Ok(control::try_forward(data_dir, args)?.map(Claim::Forwarded))
    })
}

/// For the app and `serve`: takes the directory, waiting while a command finishes. A node
/// already running there is an error (one window or `serve` per directory).
pub fn for_node(data_dir: &Path) -> Result<DataDir> {
    waiting(data_dir, || {
        if let Some(dir) = try_open(data_dir)? {
            return Ok(Some(dir));
        }
        if control::node_running(data_dir) {
            return Err(anyhow!(
                "Commonroom is already running on {} (close the other window, or stop `commonroom serve`)",
                data_dir.display()
            ));
        }
        Ok(None)
    })
}
