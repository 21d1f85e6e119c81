//! Hosting a node on a data directory, the same way for the window and for `serve`: claim
//! the directory, start the node and the control socket (so commands started meanwhile are
//! carried out by it); stop them in the reverse order.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use commonroom_node::{Node, NodeConfig, NodeHandle};
use commonroom_store::DataDir;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cli::NetArgs;

/// A running node with its control socket.
pub struct Host {
    runtime: Runtime,
    node: Node,
    control: JoinHandle<()>,
    data_dir: PathBuf,
}

impl Host {
    /// Claims `data_dir` (waiting while a command finishes; refused if a node already runs
    /// there) and starts the node, connecting to peers, and its control socket.
    pub fn start(data_dir: &Path, net: &NetArgs) -> Result<Self> {
        let data = crate::claim::for_node(data_dir)?;
        Self::start_on(data_dir, data, net, None)
    }

    /// Starts the node on a directory this process already holds. Invite links handed over
    /// through the control socket go to `links` (the window); with none (`serve`), handing
    /// one over is refused.
    pub fn start_on(
        data_dir: &Path,
        data: DataDir,
        net: &NetArgs,
        links: Option<mpsc::Sender<String>>,
    ) -> Result<Self> {
        let runtime = Runtime::new().context("starting the runtime")?;
        let (node, control) = runtime.block_on(async {
            let config = NodeConfig {
                data_dir: data_dir.to_path_buf(),
                net: crate::network::net_config(net),
                connect_to_peers: true,
            };
            let node = Node::start_on(config, data)
                .await
                .with_context(|| format!("opening {}", data_dir.display()))?;
            let control = crate::control::serve(
                data_dir,
                node.handle(),
                tokio::runtime::Handle::current(),
                links,
            )?;
            Ok::<_, anyhow::Error>((node, control))
        })?;
        Ok(Self {
            runtime,
            node,
            control,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// The node, to ask things of.
    pub fn node(&self) -> NodeHandle {
        self.node.handle()
    }

    /// The runtime the node runs on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Stops answering commands, then stops the node (writing what is pending).
    pub fn stop(self) {
        self.control.abort();
        crate::control::remove_socket(&self.data_dir);
        self.runtime.block_on(self.node.shutdown());
    }
}
