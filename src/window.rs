//! The desktop app: hosts the node (with the control socket, so command-line commands are
//! carried out by it) and runs the window on the main thread until it is closed.

use std::path::Path;

use anyhow::{Result, anyhow};

use crate::cli::NetArgs;
use crate::host::Host;

/// Opens the window on `data_dir`; returns when it is closed and the node has stopped.
pub fn open(data_dir: &Path, net: &NetArgs) -> Result<()> {
    let host = Host::start(data_dir, net)?;
    let shown = commonroom_ui::run_window(
        host.node(),
        host.runtime().handle().clone(),
        data_dir.join("window"),
    );
    host.stop();
    shown.map_err(|e| anyhow!("the window could not open: {e}"))
}
