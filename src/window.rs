//! The desktop app: starts the node (with the control socket, so command-line commands are
//! carried out by it) and runs the window on the main thread until it is closed.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use commonroom_node::{Node, NodeConfig};

use crate::cli::NetArgs;

/// Opens the window on `data_dir`; returns when it is closed and the node has stopped.
pub fn open(data_dir: &Path, net: &NetArgs) -> Result<()> {
    let data = crate::claim::for_node(data_dir)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    let (node, control) = runtime.block_on(async {
        let config = NodeConfig {
            data_dir: data_dir.to_path_buf(),
            net: crate::network::net_config(net),
            connect_to_peers: true,
        };
        let node = Node::start_on(config, data)
            .await
            .with_context(|| format!("opening {}", data_dir.display()))?;
        let control =
            crate::control::serve(data_dir, node.handle(), tokio::runtime::Handle::current())?;
        Ok::<_, anyhow::Error>((node, control))
    })?;
    let shown = commonroom_ui::run_window(
        node.handle(),
        runtime.handle().clone(),
        data_dir.join("window"),
    );
    control.abort();
    crate::control::remove_socket(data_dir);
    runtime.block_on(node.shutdown());
    shown.map_err(|e| anyhow!("the window could not open: {e}"))
}
