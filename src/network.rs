//! Commands that need the network (invite, join, sync, peers), and `serve`.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use commonroom_node::{NetConfig, Node, NodeConfig, NodeHandle, RelayChoice};
use commonroom_store::DataDir;
use tokio::runtime::Handle;

use crate::backend::Backend;
use crate::cli::{Command, NetArgs};
use crate::node_backend::NodeBackend;

/// Network settings from the command line.
pub fn net_config(args: &NetArgs) -> NetConfig {
    NetConfig {
        bind: args.bind,
        relay: match (&args.relay, args.no_relay) {
            (Some(url), _) => RelayChoice::Custom(url.clone()),
            (None, true) => RelayChoice::Disabled,
            (None, false) => RelayChoice::Default,
        },
        mdns: !args.no_mdns,
    }
}

/// Carries out any command except `serve` on a running node; blocking (call from a blocking thread).
pub fn dispatch(
    node: &NodeHandle,
    runtime: &Handle,
    command: Command,
    out: &mut dyn Write,
) -> Result<()> {
    let mut backend = NodeBackend::new(node.clone(), runtime.clone());
    match command {
        Command::Invite {
            community,
            days,
            uses,
            message,
        } => {
            let id = backend.resolve(&community)?;
            let name = backend
                .list()?
                .into_iter()
                .find(|(known, _)| *known == id)
                .map(|(_, name)| name)
                .unwrap_or_else(|| community.clone());
            let days = days.max(1);
            let valid_for = Duration::from_secs(days * 86_400);
            let ticket = runtime.block_on(node.invite_group(id, valid_for, uses))?;
            if message {
                writeln!(out, "{}", ticket.message(None, &name, days, uses))?;
            } else {
                writeln!(out, "{}", ticket.encode())?;
            }
        }
        Command::Device {
            action: crate::cli::DeviceAction::Link { community, days },
        } => {
            let id = backend.resolve(&community)?;
            let ticket = runtime
                .block_on(node.link_device_ticket(id, Duration::from_secs(days.max(1) * 86_400)))?;
            writeln!(out, "{}", ticket.encode())?;
        }
        Command::Join {
            ticket, me, focus, ..
        } => {
            let ticket = commonroom_proto::read_invite(&ticket)?;
            let id = runtime.block_on(node.join(ticket, me, focus))?;
            writeln!(out, "{id}")?;
        }
        Command::Sync {
            community, timeout, ..
        } => {
            let id = backend.resolve(&community)?;
            let report =
                runtime.block_on(node.sync_now(id.clone(), Duration::from_secs(timeout)))?;
            let peers = runtime.block_on(node.peers(id))?;
            for endpoint in &report.synced {
                let name = peers
                    .iter()
                    .find(|p| p.endpoint == *endpoint)
                    .and_then(|p| p.member.as_ref().map(|m| m.1.clone()))
                    .unwrap_or_else(|| "unknown member".into());
                writeln!(out, "synced {} ({name})", endpoint)?;
            }
            writeln!(
                out,
                "synced with {} of {} member devices",
                report.synced.len(),
                report.candidates
            )?;
            if report.synced.is_empty() && report.candidates > 0 {
                bail!(
                    "could not reach any of the {} other member devices",
                    report.candidates
                );
            }
            if report.candidates == 0 {
                bail!(
                    "this device knows no other member device of this community, so nothing was synced; ask a member for a fresh invite, or run `commonroom sync` again when a member is on the same Wi-Fi"
                );
            }
        }
        Command::Peers { community } => {
            let id = backend.resolve(&community)?;
            for peer in runtime.block_on(node.peers(id))? {
                let name = peer
                    .member
                    .map(|m| m.1)
                    .unwrap_or_else(|| "(not a member)".into());
                let last = peer
                    .last_sync
                    .map(|ms| commonroom_model::Timestamp::from_millis(ms).to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                let addrs: Vec<String> = peer
                    .addrs
                    .iter()
                    .map(ToString::to_string)
                    .chain(peer.relay)
                    .collect();
                writeln!(
                    out,
                    "{}  {name}  {}  last sync {last}  {}",
                    peer.endpoint,
                    if peer.online { "online" } else { "offline" },
                    addrs.join(",")
                )?;
            }
        }
        Command::Serve { .. } => bail!("`serve` cannot be sent to a running node"),
        data => crate::run::run(&mut backend, data, out)?,
    }
    Ok(())
}

/// Runs a network command with a node started just for it, then stops the node. `join` and
/// `sync` take their own network settings; the others use those given before the command.
pub fn one_shot(data: DataDir, command: Command, net: &NetArgs) -> Result<()> {
    let net = match &command {
        Command::Join { net, .. } | Command::Sync { net, .. } => net_config(net),
        _ => NetConfig {
            mdns: false,
            ..net_config(net)
        },
    };
    let connect_to_peers = matches!(command, Command::Join { .. } | Command::Sync { .. });
    let invite = matches!(command, Command::Invite { .. } | Command::Device { .. });
    let runtime = tokio::runtime::Runtime::new()?;
    let config = NodeConfig {
        data_dir: data.root().to_path_buf(),
        net,
        connect_to_peers,
    };
    let node = runtime.block_on(Node::start_on(config, data))?;
    let handle = node.handle();
    if invite {
        // Just started: let it pick its home relay, so that the ticket names it.
        let _ = runtime.block_on(handle.until_online(Duration::from_secs(3)));
    }
    let rt = runtime.handle().clone();
    let result = runtime.block_on(async {
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let result = dispatch(&handle, &rt, command, &mut out);
            (result, out)
        })
        .await
    });
    runtime.block_on(node.shutdown());
    let (result, out) = result.map_err(|e| anyhow!("command task failed: {e}"))?;
    std::io::stdout().write_all(&out)?;
    if invite && result.is_ok() {
        eprintln!(
            "note: nobody can use this invite until Commonroom runs on this device (the app, or `commonroom serve`)"
        );
    }
    result
}

/// `serve`: hosts a node until interrupted, with the control socket for other commands.
pub fn serve(data_dir: &Path, args: &NetArgs) -> Result<()> {
    let host = crate::host::Host::start(data_dir, args)?;
    println!("ready {}", host.node().endpoint_id());
    std::io::stdout().flush()?;
    host.runtime().block_on(wait_for_shutdown_signal());
    host.stop();
    Ok(())
}

async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
