//! Shared test helpers: a real node on loopback in a temporary directory, and the real app
//! driven headless through its accessibility tree.

#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::time::{Duration, Instant};

use commonroom_node::{Node, NodeConfig};
use commonroom_ui::{Bridge, CommonroomApp, Prefs};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// How long a test waits for the node to answer before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running node and the runtime it lives on.
pub struct Peer {
    /// Keeps the node's tasks running.
    pub runtime: tokio::runtime::Runtime,
    /// The node.
    pub node: Option<Node>,
    /// Its data directory.
    pub dir: tempfile::TempDir,
}

impl Peer {
    /// Starts a node on a fresh data directory, on loopback with relays and mDNS off.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let node = runtime
            .block_on(Node::start(NodeConfig::loopback(dir.path())))
            .unwrap();
        Self {
            runtime,
            node: Some(node),
            dir,
        }
    }

    /// The node's handle.
    pub fn handle(&self) -> commonroom_node::NodeHandle {
        self.node.as_ref().unwrap().handle()
    }

    /// The app over this node, in a headless harness of a laptop-sized window.
    pub fn app(&self) -> Harness<'static, CommonroomApp> {
        self.app_with(Prefs::default(), egui::vec2(1200.0, 800.0))
    }

    /// The app over this node with these preferences, in a window of `size` points.
    pub fn app_with(&self, prefs: Prefs, size: egui::Vec2) -> Harness<'static, CommonroomApp> {
        self.app_set_up(prefs, size, |app| app)
    }

    /// The app over this node, set up by `setup` before its first frame.
    pub fn app_set_up(
        &self,
        prefs: Prefs,
        size: egui::Vec2,
        setup: impl FnOnce(CommonroomApp) -> CommonroomApp,
    ) -> Harness<'static, CommonroomApp> {
        let bridge = Bridge::new(self.handle(), self.runtime.handle().clone());
        let app = setup(CommonroomApp::new(bridge, prefs));
        Harness::builder()
            .with_size(size)
            .build_ui_state(|ui, app: &mut CommonroomApp| app.frame_ui(ui), app)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            self.runtime.block_on(node.shutdown());
        }
    }
}

/// Steps the app until `done` holds, failing after [`PATIENCE`].
pub fn wait_for(
    harness: &mut Harness<'_, CommonroomApp>,
    what: &str,
    done: impl Fn(&Harness<'_, CommonroomApp>) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        if Instant::now() >= deadline {
            let tree = format!("{:?}", harness.root());
            let _ = std::fs::write(
                std::env::temp_dir().join("commonroom-ui-timeout.txt"),
                &tree,
            );
            panic!(
                "timed out waiting for {what}; the accessibility tree is in commonroom-ui-timeout.txt in the temp dir"
            );
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Whether something labelled `label` is on screen.
pub fn shows(harness: &Harness<'_, CommonroomApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

/// Whether something whose label contains `part` is on screen.
pub fn shows_part(harness: &Harness<'_, CommonroomApp>, part: &str) -> bool {
    harness.query_all_by_label_contains(part).next().is_some()
}

/// Types `text` into the text input labelled `label`.
pub fn type_into(harness: &mut Harness<'_, CommonroomApp>, label: &str, text: &str) {
    let role = if harness
        .query_by_role_and_label(Role::MultilineTextInput, label)
        .is_some()
    {
        Role::MultilineTextInput
    } else {
        Role::TextInput
    };
    harness.get_by_role_and_label(role, label).focus();
    harness.step();
    harness.get_by_role_and_label(role, label).type_text(text);
    harness.step();
}

/// The egui id of an accessibility node: its id within its tree is the egui id's value.
pub fn egui_id(node: egui::accesskit::NodeId) -> egui::Id {
    serde_json::from_value(serde_json::json!(node.0)).unwrap()
}

/// The accessibility node id (within its tree) of a node kittest holds.
pub fn node_id(id: impl Into<u128>) -> egui::accesskit::NodeId {
    egui::accesskit::NodeId((id.into() >> 64) as u64)
}

/// Whether part of the widget labelled `label` is cut off by the scroll area it is in.
fn out_of_view(harness: &Harness<'_, CommonroomApp>, label: &str) -> bool {
    use egui_kittest::kittest::NodeT;
    let id = node_id(harness.get_by_label(label).accesskit_node().id());
    harness
        .ctx
        .read_response(egui_id(id))
        .is_some_and(|r| r.interact_rect != r.rect)
}

/// Clicks the widget labelled `label` and runs a frame; a widget below the fold is
/// scrolled into view first, as a person would.
pub fn click(harness: &mut Harness<'_, CommonroomApp>, label: &str) {
    if out_of_view(harness, label) {
        harness.get_by_label(label).scroll_to_me();
        harness.run_steps(3);
    }
    harness.get_by_label(label).click();
    harness.step();
    harness.step();
}

/// Waits until everything sent to the node is durable.
pub fn settle(harness: &mut Harness<'_, CommonroomApp>) {
    wait_for(harness, "the changes to be saved", |h| {
        h.state().data().pending_writes == 0
    });
}

/// Opens the sample community from the first-run page and waits until it is filled.
pub fn open_sample(harness: &mut Harness<'_, CommonroomApp>) {
    wait_for(harness, "the first-run page", |h| {
        shows(h, "Explore a sample community")
    });
    // Pressed the way assistive technology presses it: wherever it is on the page (in a
    // small window or at large text it may be below the fold).
    harness
        .get_by_label("Explore a sample community")
        .click_accesskit();
    harness.step();
    harness.step();
    type_into(harness, "Your name", "Robin");
    click(harness, "Open the sample");
    wait_for(harness, "the sample to be filled", |h| {
        !h.state().data().opening
            && h.state()
                .view()
                .is_some_and(|v| v.stories.len() == 3 && v.actions.len() == 4)
    });
}

/// Starts a community from the first-run page and waits for its Home.
pub fn start_community(harness: &mut Harness<'_, CommonroomApp>, name: &str, me: &str) {
    wait_for(harness, "the first-run page", |h| {
        shows(h, "Start a community")
    });
    click(harness, "Start a community");
    type_into(harness, "Community name", name);
    type_into(harness, "Your name", me);
    click(harness, "Create community");
    let welcome = format!("Welcome, {me}.");
    wait_for(harness, "the new community's Home", |h| shows(h, &welcome));
}
