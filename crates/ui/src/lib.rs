//! Commonroom's desktop app: egui screens over the community views, talking to the node
//! through a [`Bridge`] that never blocks the UI thread.
//!
//! The root binary starts the node, builds a [`Bridge`], and hands a [`CommonroomApp`] to
//! eframe; tests drive the same app headless with `egui_kittest`.

pub mod app;
pub mod bridge;
pub mod charts;
pub mod here;
pub mod screens;
pub mod state;
pub mod tabs;
pub mod theme;
pub mod widgets;

pub use app::{CommonroomApp, Prefs};
pub use bridge::{Bridge, Update};
pub use tabs::Tab;

/// The window icon (PNG).
pub const ICON_PNG: &[u8] = include_bytes!("../../../assets/icon.png");

/// Opens the window and runs it until closed. Blocks the calling (main) thread.
///
/// Window state (size, screen, theme, text size) is kept in `window_state`, a folder in
/// the data directory, so each data directory opens as it was left.
pub fn run_window(
    node: commonroom_node::NodeHandle,
    runtime: tokio::runtime::Handle,
    window_state: std::path::PathBuf,
) -> Result<(), eframe::Error> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Commonroom")
        .with_app_id("commonroom")
        .with_inner_size([1100.0, 720.0])
        .with_min_inner_size([640.0, 420.0]);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        persist_window: true,
        persistence_path: Some(window_state),
        ..Default::default()
    };
    eframe::run_native(
        "Commonroom",
        options,
        Box::new(move |cc| {
            let bridge = Bridge::new(node, runtime);
            bridge.set_repaint(&cc.egui_ctx);
            Ok(Box::new(CommonroomApp::from_creation_context(cc, bridge)))
        }),
    )
}
