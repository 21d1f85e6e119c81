//! The About box: which version this is, where the data and the logs are kept, and a
//! button that opens the log folder (for sending a log to whoever helps).

use std::path::{Path, PathBuf};

use egui::Context;

/// What the About box tells.
#[derive(Clone, Debug, Default)]
pub struct About {
    /// The app's version (`CARGO_PKG_VERSION` of the binary).
    pub version: String,
    /// The data directory this window runs on.
    pub data_dir: PathBuf,
    /// The folder the log file is written to, if there is one.
    pub log_dir: Option<PathBuf>,
}

/// The About box's state while the window is open.
#[derive(Default)]
pub struct AboutBox {
    /// The box is shown.
    pub open: bool,
    /// What the last "Show log folder" did, if it failed.
    pub problem: Option<String>,
}

impl AboutBox {
    /// Draws the box while it is open.
    pub fn about_ui(&mut self, ctx: &Context, about: &About) {
        let mut open = self.open;
        egui::Window::new("About Commonroom")
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .show(ctx, |ui| {
                ui.heading(format!("Commonroom {}", about.version));
                ui.label("A shared home for your community of practice, kept on your own laptops.");
                ui.add_space(8.0);
                ui.label("Your communities are kept in:");
                path_ui(ui, "Data folder", &about.data_dir);
                match &about.log_dir {
                    Some(dir) => {
                        ui.label("What Commonroom notes about its work (its log) is kept in:");
                        path_ui(ui, "Log folder", dir);
                        if ui
                            .button("Show log folder")
                            .on_hover_text("Open the folder in your file manager, to send the log to whoever helps you")
                            .clicked()
                        {
                            self.problem = open_folder(dir).err();
                        }
                    }
                    None => {
                        ui.label("This Commonroom keeps no log file.");
                    }
                }
                if let Some(problem) = &self.problem {
                    ui.colored_label(ui.visuals().error_fg_color, problem);
                }
            });
        self.open = open;
    }
}

/// A path as selectable text, named for screen readers.
fn path_ui(ui: &mut egui::Ui, name: &str, path: &Path) {
    let mut text = path.display().to_string();
    let label = ui.label(name);
    ui.add(
        egui::TextEdit::singleline(&mut text)
            .desired_width(460.0)
            .font(egui::TextStyle::Monospace),
    )
    .labelled_by(label.id);
}

/// Opens `dir` in the desktop's file manager (creating it first if need be); never blocks.
pub fn open_folder(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("Could not make the folder {}: {e}", dir.display()))?;
    let opener = if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut child = std::process::Command::new(opener)
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "Could not open the folder ({opener}: {e}); it is {}",
                dir.display()
            )
        })?;
    // Reap the opener when it exits, off the window's thread.
    std::thread::spawn(move || child.wait());
    Ok(())
}
