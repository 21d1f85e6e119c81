//! Separate networks for real processes: each node in its own network namespace, joined to
//! this (root) namespace by a veth pair, and nothing forwarded between them. A server in
//! the root namespace (a relay standing in for the internet) is reachable from all; no
//! namespace can reach another directly, as with laptops at home on different networks.
//!
//! Needs root (for `ip netns`). Everything made is removed when the hub is dropped.

use std::process::{Command, Stdio};

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `n` namespaces, each behind its own veth pair to the root namespace.
pub struct Hub {
    /// The namespaces' names.
    pub namespaces: Vec<String>,
    links: Vec<String>,
}

impl Hub {
    /// The address of the root namespace's end of namespace `i`'s link: every namespace
    /// reaches a server bound there (or on all addresses) through its own link.
    pub fn root_address(i: usize) -> String {
        format!("10.216.{i}.1")
    }

    /// Makes `n` namespaces; fails with the step that failed (say, not root).
    pub fn create(n: usize) -> Result<Self, String> {
        let tag = std::process::id() % 100_000;
        let mut hub = Self {
            namespaces: Vec::new(),
            links: Vec::new(),
        };
        for i in 0..n {
            let ns = format!("crh{tag}n{i}");
            let (root_end, ns_end) = (format!("hr{tag}x{i}"), format!("hn{tag}x{i}"));
            let root_ip = format!("{}/24", Self::root_address(i));
            let ns_ip = format!("10.216.{i}.2/24");
            let gateway = Self::root_address(i);
            let steps: Vec<Vec<&str>> = vec![
                vec!["netns", "add", &ns],
                vec![
                    "link", "add", &root_end, "type", "veth", "peer", "name", &ns_end,
                ],
                vec!["link", "set", &ns_end, "netns", &ns],
                vec!["addr", "add", &root_ip, "dev", &root_end],
                vec!["link", "set", &root_end, "up"],
                vec!["-n", &ns, "addr", "add", &ns_ip, "dev", &ns_end],
                vec!["-n", &ns, "link", "set", "lo", "up"],
                vec!["-n", &ns, "link", "set", &ns_end, "up"],
                vec!["-n", &ns, "route", "add", "default", "via", &gateway],
            ];
            hub.namespaces.push(ns.clone());
            hub.links.push(root_end.clone());
            for step in steps {
                if !ip(&step) {
                    return Err(format!("`ip {}` failed", step.join(" ")));
                }
            }
            // Nothing that arrives on this link is forwarded to another namespace.
            let forwarding = format!("/proc/sys/net/ipv4/conf/{root_end}/forwarding");
            std::fs::write(&forwarding, "0").map_err(|e| format!("{forwarding}: {e}"))?;
        }
        Ok(hub)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        for link in &self.links {
            ip(&["link", "del", link]);
        }
        for ns in &self.namespaces {
            ip(&["netns", "del", ns]);
        }
    }
}
