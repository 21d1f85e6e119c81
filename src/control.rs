//! The local control socket: while a node runs on a data directory, other `commonroom`
//! commands on that directory are carried out by the node instead of opening it themselves.
//!
//! Protocol: one JSON line `{"args": [...]}` in, one JSON line `{"code", "stdout", "stderr"}` out.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;
use commonroom_node::NodeHandle;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use crate::cli::{Cli, Command};

const SOCKET: &str = "control.sock";
const MAX_REQUEST: u64 = 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct Request {
    args: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Response {
    code: i32,
    stdout: String,
    stderr: String,
}

fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// Removes the socket file (on shutdown).
pub fn remove_socket(data_dir: &Path) {
    let _ = std::fs::remove_file(socket_path(data_dir));
}

/// Starts answering on the control socket; returns the listening task.
/// `links` receives the invite links handed over by `commonroom open LINK` (a second launch
/// of the app); without it (`serve`, no window) handing one over is refused.
#[cfg(unix)]
pub fn serve(
    data_dir: &Path,
    node: NodeHandle,
    runtime: Handle,
    links: Option<mpsc::Sender<String>>,
) -> Result<tokio::task::JoinHandle<()>> {
    let path = socket_path(data_dir);
    // A socket left by a killed node: we hold the data directory lock, so it is stale.
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("listening on {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    Ok(tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let node = node.clone();
            let runtime = runtime.clone();
            let links = links.clone();
            tokio::spawn(async move {
                if let Err(e) = answer(stream, node, runtime, links).await {
                    tracing::debug!(error = %e, "control request failed");
                }
            });
        }
    }))
}

#[cfg(unix)]
async fn answer(
    stream: tokio::net::UnixStream,
    node: NodeHandle,
    runtime: Handle,
    links: Option<mpsc::Sender<String>>,
) -> Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    tokio::io::BufReader::new(read.take(MAX_REQUEST))
        .read_line(&mut line)
        .await?;
    let request: Request = serde_json::from_str(&line).context("malformed control request")?;
    let response =
        tokio::task::spawn_blocking(move || execute(request, &node, &runtime, links.as_ref()))
            .await?;
    let mut text = serde_json::to_string(&response)?;
    text.push('\n');
    write.write_all(text.as_bytes()).await?;
    Ok(())
}

#[cfg_attr(not(unix), allow(dead_code, reason = "no control socket off Unix yet"))]
fn execute(
    request: Request,
    node: &NodeHandle,
    runtime: &Handle,
    links: Option<&mpsc::Sender<String>>,
) -> Response {
    let mut argv = vec!["commonroom".to_owned()];
    argv.extend(request.args);
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            return Response {
                code: 2,
                stdout: String::new(),
                stderr: e.to_string(),
            };
        }
    };
    let mut out = Vec::new();
    let result = match cli.command {
        Some(Command::Serve { .. }) | None => Err(anyhow::anyhow!(
            "a node is already running on this data directory"
        )),
        Some(Command::Open { link }) => hand_over(links, link),
        Some(command) => crate::network::dispatch(node, runtime, command, &mut out),
    };
    let stdout = String::from_utf8_lossy(&out).into_owned();
    match result {
        Ok(()) => Response {
            code: 0,
            stdout,
            stderr: String::new(),
        },
        Err(e) => Response {
            code: 1,
            stdout,
            stderr: format!("error: {}\n", crate::one_line(&e)),
        },
    }
}

/// Gives an invite link to the window running on this directory.
#[cfg_attr(not(unix), allow(dead_code, reason = "no control socket off Unix yet"))]
fn hand_over(links: Option<&mpsc::Sender<String>>, link: String) -> Result<()> {
    let Some(links) = links else {
        bail!(
            "Commonroom runs here without a window (`commonroom serve`), so it cannot show the invite; join with `commonroom join LINK --me NAME` on another data directory, or stop `serve` and open the link again"
        );
    };
    links.try_send(link).map_err(|_| {
        anyhow::anyhow!("the Commonroom window is busy or closing; open the link again in a moment")
    })
}

/// Whether a node answers on `data_dir`'s control socket.
#[cfg(unix)]
pub fn node_running(data_dir: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(socket_path(data_dir)).is_ok()
}

/// Sends this process's arguments to the node running on `data_dir`; prints its answer and
/// returns its exit code, or `None` if no node answers on the socket (none is running, or
/// one is still starting).
#[cfg(unix)]
pub fn try_forward(data_dir: &Path, args: &[String]) -> Result<Option<i32>> {
    let path = socket_path(data_dir);
    let stream = match std::os::unix::net::UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(e).with_context(|| format!("reaching the node on {}", path.display()));
        }
    };
    let args = absolutise_paths(args.to_vec())?;
    let mut request = serde_json::to_string(&Request { args })?;
    request.push('\n');
    (&stream).write_all(request.as_bytes())?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    if line.is_empty() {
        bail!("the running Commonroom node closed the control connection without answering");
    }
    let response: Response =
        serde_json::from_str(&line).context("malformed answer from the running node")?;
    std::io::stdout().write_all(response.stdout.as_bytes())?;
    std::io::stderr().write_all(response.stderr.as_bytes())?;
    Ok(Some(response.code))
}

/// Without Unix sockets (Windows), there is no control socket yet: a node answers nothing,
/// so a command or a second launch waits for the directory's lock and then says who holds it.
#[cfg(not(unix))]
mod no_socket {
    use std::path::Path;

    use anyhow::Result;
    use commonroom_node::NodeHandle;
    use tokio::runtime::Handle;
    use tokio::sync::mpsc;

    /// Starts nothing: there is no control socket on this platform yet.
    pub fn serve(
        _data_dir: &Path,
        _node: NodeHandle,
        _runtime: Handle,
        _links: Option<mpsc::Sender<String>>,
    ) -> Result<tokio::task::JoinHandle<()>> {
        Ok(tokio::spawn(async {}))
    }

    /// Never: no node answers on this platform.
    pub fn node_running(_data_dir: &Path) -> bool {
        false
    }

    /// Never forwards: no node answers on this platform.
    pub fn try_forward(_data_dir: &Path, _args: &[String]) -> Result<Option<i32>> {
        Ok(None)
    }
}
#[cfg(not(unix))]
pub use no_socket::{node_running, serve, try_forward};

/// The node runs elsewhere: file arguments must not depend on this process's directory.
#[cfg_attr(not(unix), allow(dead_code, reason = "no control socket off Unix yet"))]
fn absolutise_paths(mut args: Vec<String>) -> Result<Vec<String>> {
    let cwd = std::env::current_dir()?;
    // `member import COMMUNITY FILE`: the file is read by the node, from another directory.
    let positional: Vec<usize> = (0..args.len())
        .filter(|&i| !args[i].starts_with('-'))
        .collect();
    if let [member, import, _community, file, ..] = positional[..]
        && args[member] == "member"
        && args[import] == "import"
    {
        args[file] = cwd.join(&args[file]).to_string_lossy().into_owned();
    }
    let mut out = Vec::with_capacity(args.len());
    let mut next_is_path = false;
    for arg in args {
        if next_is_path {
            out.push(cwd.join(&arg).to_string_lossy().into_owned());
            next_is_path = false;
            continue;
        }
        if let Some(path) = arg.strip_prefix("--out=") {
            out.push(format!("--out={}", cwd.join(path).to_string_lossy()));
            continue;
        }
        next_is_path = arg == "--out";
        out.push(arg);
    }
    Ok(out)
}
