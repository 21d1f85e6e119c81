//! The desktop app: hosts the node (with the control socket, so command-line commands are
//! carried out by it) and runs the window on the main thread until it is closed.
//!
//! Opened with an invite link (`commonroom commonroom://join/...`, as the desktop does for
//! a clicked link), it starts on the join screen with the link filled in; if the app
//! already runs on the data directory, the link is handed to that window through the
//! control socket and this process exits.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use tokio::sync::mpsc;

use crate::claim::{self, Claim};
use crate::cli::NetArgs;
use crate::host::Host;

/// How many handed-over links may wait for the window.
const LINKS_WAITING: usize = 16;

/// Opens the window on `data_dir` (on the join screen with `link`, if given); returns when
/// it is closed and the node has stopped, or at once when the link went to a running window.
pub fn open(data_dir: &Path, net: &NetArgs, link: Option<String>) -> Result<ExitCode> {
    let data = match &link {
        Some(link) => {
            if let Err(error) = commonroom_proto::read_invite(link) {
                // Said here for a terminal; the window shows it too.
                eprintln!("warning: {error}");
            }
            let handover = ["open".to_owned(), link.clone()];
            match claim::for_command(data_dir, &handover)? {
                Claim::Forwarded(code) => return Ok(crate::exit_code(code)),
                Claim::Mine(data) => data,
            }
        }
        None => claim::for_node(data_dir)?,
    };
    let (links, inbox) = mpsc::channel(LINKS_WAITING);
    let host = Host::start_on(data_dir, data, net, Some(links))?;
    let launch = commonroom_ui::Launch {
        window_state: data_dir.join("window"),
        link,
        links: Some(inbox),
        about: commonroom_ui::About {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: data_dir.to_path_buf(),
            log_dir: crate::logfile::log_dir(),
        },
    };
    let shown = commonroom_ui::run_window(host.node(), host.runtime().handle().clone(), launch);
    host.stop();
    shown.map_err(|e| anyhow!("the window could not open: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
