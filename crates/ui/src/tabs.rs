//! The screens of a community, in the order the side bar shows them.

use serde::{Deserialize, Serialize};

/// One screen of a community.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// Domain, Terms of Reference, what is coming up, what happened.
    #[default]
    Home,
    /// Channels, threads and questions between meetings.
    Conversations,
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
    /// Surveys and their results.
    Surveys,
    /// Value-creation stories.
    Stories,
    /// Attendance, themes, surveys and stories at a glance.
    Dashboard,
    /// Who changed what, and restoring what was lost.
    History,
}

impl Tab {
    /// Every screen, in side-bar order.
    pub const ALL: [Tab; 12] = [
        Tab::Home,
        Tab::Conversations,
        Tab::Members,
        Tab::Resources,
        Tab::Events,
        Tab::Notes,
        Tab::Themes,
        Tab::Actions,
        Tab::Surveys,
        Tab::Stories,
        Tab::Dashboard,
        Tab::History,
    ];

    /// The screen's name.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Home => "Home",
            Tab::Conversations => "Conversations",
            Tab::Members => "Members",
            Tab::Resources => "Resources",
            Tab::Events => "Events",
            Tab::Notes => "Notes",
            Tab::Themes => "Themes",
            Tab::Actions => "Actions",
            Tab::Surveys => "Surveys",
            Tab::Stories => "Stories",
            Tab::Dashboard => "Dashboard",
            Tab::History => "History",
        }
    }

    /// The shortcut in words, e.g. "Ctrl+5".
    pub fn shortcut(self) -> String {
        format!("Ctrl+{}", self.key().symbol_or_name())
    }

    /// The keyboard shortcut's key (Ctrl+1 … Ctrl+9, then Ctrl+0; Ctrl+T for
    /// Conversations, Ctrl+H for History).
    pub fn key(self) -> egui::Key {
        match self {
            Tab::Home => egui::Key::Num1,
            Tab::Conversations => egui::Key::T,
            Tab::Members => egui::Key::Num2,
            Tab::Resources => egui::Key::Num3,
            Tab::Events => egui::Key::Num4,
            Tab::Notes => egui::Key::Num5,
            Tab::Themes => egui::Key::Num6,
            Tab::Actions => egui::Key::Num7,
            Tab::Surveys => egui::Key::Num8,
            Tab::Stories => egui::Key::Num9,
            Tab::Dashboard => egui::Key::Num0,
            Tab::History => egui::Key::H,
        }
    }
}
