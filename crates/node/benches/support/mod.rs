//! What more than one benchmark needs.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use commonroom_node::{Node, NodeConfig};

/// Child process of a join benchmark: serves the one community in `dir` on loopback,
/// prints `invites` invite tickets (one a line), and runs until its standard input closes.
pub fn serve_invites(dir: &str, invites: usize) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig::loopback(Path::new(dir)))
            .await
            .unwrap();
        let handle = node.handle();
        let id = handle.list().await.unwrap()[0].0.clone();
        for _ in 0..invites {
            let ticket = handle
                .invite(id.clone(), Duration::from_secs(3600))
                .await
                .unwrap();
            println!("{}", ticket.encode());
        }
        std::io::stdout().flush().unwrap();
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .unwrap();
        node.shutdown().await;
    });
}
