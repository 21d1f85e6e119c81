//! The screens of the window, each a small module with its own state.

pub mod about;
pub mod actions;
pub mod conversations;
pub mod dashboard;
pub mod events;
pub mod first_run;
pub mod history;
pub mod home;
pub mod invite;
pub mod members;
pub mod notes;
pub mod resources;
pub mod search;
pub mod status;
pub mod stories;
pub mod surveys;
pub mod themes;

use egui::Ui;

use crate::here::Here;
use crate::tabs::Tab;

/// The state of every screen (selections, open forms), kept while the window is open.
#[derive(Default)]
pub struct Screens {
    /// Start, join or explore.
    pub first_run: first_run::FirstRun,
    /// Home.
    pub home: home::HomeScreen,
    /// Channels, threads and questions.
    pub conversations: conversations::ConversationsScreen,
    /// The member directory.
    pub members: members::MembersScreen,
    /// The library.
    pub resources: resources::ResourcesScreen,
    /// Events.
    pub events: events::EventsScreen,
    /// The post-it board.
    pub notes: notes::NotesScreen,
    /// Themes.
    pub themes: themes::ThemesScreen,
    /// Actions.
    pub actions: actions::ActionsScreen,
    /// Surveys.
    pub surveys: surveys::SurveysScreen,
    /// Value stories.
    pub stories: stories::StoriesScreen,
    /// History and restore.
    pub history: history::HistoryScreen,
    /// The Ctrl+K search.
    pub search: search::Search,
}

/// Marks a selection on the Notes screen as one note (`note:ID`) rather than a board.
pub const NOTE_PREFIX: &str = "note:";

impl Screens {
    /// Draws the screen for `tab`.
    pub fn screen_ui(&mut self, ui: &mut Ui, tab: Tab, here: &mut Here<'_>) {
        match tab {
            Tab::Home => self.home.home_ui(ui, here),
            Tab::Conversations => self.conversations.conversations_ui(ui, here),
            Tab::Members => self.members.members_ui(ui, here),
            Tab::Resources => self.resources.resources_ui(ui, here),
            Tab::Events => self.events.events_ui(ui, here),
            Tab::Notes => self.notes.notes_ui(ui, here),
            Tab::Themes => self.themes.themes_ui(ui, here),
            Tab::Actions => self.actions.actions_ui(ui, here),
            Tab::Surveys => self.surveys.surveys_ui(ui, here),
            Tab::Stories => self.stories.stories_ui(ui, here),
            Tab::Dashboard => dashboard::dashboard_ui(ui, here),
            Tab::History => self.history.history_ui(ui, here),
        }
    }

    /// Selects an item on a screen (from search or a link).
    pub fn select(&mut self, tab: Tab, id: String) {
        match tab {
            Tab::Members => self.members.selected = Some(id.into()),
            Tab::Resources => self.resources.selected = Some(id),
            Tab::Events => self.events.selected = Some(id.into()),
            Tab::Notes => match id.strip_prefix(NOTE_PREFIX) {
                Some(note) => self.notes.show_note(note.into()),
                None => self.notes.event = Some(id.into()),
            },
            Tab::Themes => self.themes.selected = Some(id.into()),
            Tab::Actions => self.actions.highlight = Some(id),
            Tab::Surveys => self.surveys.selected = Some(id.into()),
            Tab::History => self.history.select(&id),
            Tab::Conversations => match id.strip_prefix(conversations::THEME_PREFIX) {
                Some(theme) => self.conversations.start_from_theme(theme.into()),
                None => self.conversations.select(id.into()),
            },
            Tab::Home | Tab::Stories | Tab::Dashboard => {}
        }
    }

    /// Opens the "new …" form of a screen (Ctrl+N).
    pub fn start_new(&mut self, tab: Tab) {
        match tab {
            Tab::Members => self.members.start_new(),
            Tab::Resources => self.resources.form = Some(Default::default()),
            Tab::Events => self.events.start_new(),
            Tab::Notes => self.notes.focus_new = true,
            Tab::Themes => self.themes.form = Some(Default::default()),
            Tab::Actions => self.actions.form = Some(Default::default()),
            Tab::Surveys => self.surveys.start_new(),
            Tab::Stories => self.stories.form = Some(Default::default()),
            Tab::Conversations => self.conversations.start_new(),
            Tab::Home | Tab::Dashboard | Tab::History => {}
        }
    }
}
