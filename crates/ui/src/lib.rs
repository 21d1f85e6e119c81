//! Commonroom's desktop app: egui screens over the community views, talking to the node
//! through a [`Bridge`] that never blocks the UI thread.
//!
//! The root binary starts the node, builds a [`Bridge`], and hands a [`CommonroomApp`] to
//! eframe; tests drive the same app headless with `egui_kittest`.

pub mod app;
pub mod bridge;
pub mod charts;
pub mod here;
pub mod notify;
pub mod screens;
pub mod state;
pub mod tabs;
pub mod theme;
pub mod widgets;

pub use app::{CommonroomApp, Prefs};
pub use bridge::{Bridge, Update};
pub use screens::about::About;
pub use tabs::Tab;

/// The window icon (PNG).
pub const ICON_PNG: &[u8] = include_bytes!("../../../assets/icon.png");

/// The desktop's name for the app: the desktop entry's and the AppStream id, and the
/// window's application id (so the desktop matches the window to its entry and icon).
pub const APP_ID: &str = "org.commonroom.Commonroom";

/// How the window starts, besides the node it shows.
#[derive(Default)]
pub struct Launch {
    /// Window state (size, screen, theme, text size) is kept in this folder of the data
    /// directory, so each data directory opens as it was left.
    pub window_state: std::path::PathBuf,
    /// An invite link the app was opened with: the window starts on the join screen.
    pub link: Option<String>,
    /// Invite links handed over later by second launches (see [`Bridge::forward_links`]).
    pub links: Option<tokio::sync::mpsc::Receiver<String>>,
    /// What the About box tells.
    pub about: About,
}

/// Opens the window and runs it until closed. Blocks the calling (main) thread.
pub fn run_window(
    node: commonroom_node::NodeHandle,
    runtime: tokio::runtime::Handle,
    launch: Launch,
) -> Result<(), eframe::Error> {
    let Launch {
        window_state,
        link,
        links,
        about,
    } = launch;
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Commonroom")
        .with_app_id(APP_ID)
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
            if let Some(links) = links {
                bridge.forward_links(links);
            }
            let mut app = CommonroomApp::from_creation_context(cc, bridge).with_about(about);
            if let Some(link) = link {
                app.open_link(&link);
            }
            Ok(Box::new(app))
        }),
    )
}
