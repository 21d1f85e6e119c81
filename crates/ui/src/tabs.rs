//! The screens of a community, in the order the side bar shows them.

use serde::{Deserialize, Serialize};

/// One screen of a community.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// Domain, Terms of Reference, what is coming up, what happened.
    #[default]
    Home,
    /// The member directory.
    Members,
    /// The shared library.
    Resources,
    /// Meetings and meetups.
    Events,
    /// The post-it board.
    Notes,
    /// Themes drawn out of the notes.
    Themes,
    /// Action points.
    Actions,
}

impl Tab {
    /// Every screen, in side-bar order.
    pub const ALL: [Tab; 7] = [
        Tab::Home,
        Tab::Members,
        Tab::Resources,
        Tab::Events,
        Tab::Notes,
        Tab::Themes,
        Tab::Actions,
    ];

    /// The screen's name.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Home => "Home",
            Tab::Members => "Members",
            Tab::Resources => "Resources",
            Tab::Events => "Events",
            Tab::Notes => "Notes",
            Tab::Themes => "Themes",
            Tab::Actions => "Actions",
        }
    }

    /// The keyboard shortcut's digit (Ctrl+1 … Ctrl+7).
    pub fn key(self) -> egui::Key {
        match self {
            Tab::Home => egui::Key::Num1,
            Tab::Members => egui::Key::Num2,
            Tab::Resources => egui::Key::Num3,
            Tab::Events => egui::Key::Num4,
            Tab::Notes => egui::Key::Num5,
            Tab::Themes => egui::Key::Num6,
            Tab::Actions => egui::Key::Num7,
        }
    }
}
