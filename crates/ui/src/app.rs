//! [`CommonroomApp`]: the window's shell (community switcher, side bar, status bar, dialogs)
//! around the screens, and its `eframe::App` implementation.

use std::collections::HashSet;
use std::sync::Arc;

use commonroom_model::{CommunityId, Timestamp};
use egui::{Key, KeyboardShortcut, Modifiers, Ui};
use serde::{Deserialize, Serialize};

use crate::bridge::Bridge;
use crate::here::{Here, Nav};
use crate::screens::Screens;
use crate::state::{Data, Notice};
use crate::tabs::Tab;

/// Where eframe keeps [`Prefs`].
const PREFS_KEY: &str = "commonroom-prefs";

/// Window preferences eframe persists between runs (never written into a community).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The community shown last.
    pub current: Option<CommunityId>,
    /// The screen shown last.
    pub tab: Tab,
    /// Dark, light, or follow the system.
    pub theme: egui::ThemePreference,
    /// Text and widget scale.
    pub zoom: f32,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            current: None,
            tab: Tab::Home,
            theme: egui::ThemePreference::System,
            zoom: 1.0,
        }
    }
}

/// The Commonroom desktop app.
pub struct CommonroomApp {
    bridge: Bridge,
    data: Data,
    prefs: Prefs,
    screens: Screens,
    /// Communities whose snapshot, member and peers were asked for.
    loaded: HashSet<CommunityId>,
    /// Show the "start or join" page even though communities exist.
    adding: bool,
    /// The search dialog is open.
    searching: bool,
    /// The invite dialog is open.
    inviting: bool,
    /// For how many people and how long the next invite is.
    invite_choice: crate::screens::invite::InviteChoice,
    /// An invite was asked for and has not come back yet.
    invite_asked: bool,
    /// This device's endpoint id (hex).
    device_id: String,
    /// The first frame has not yet been drawn.
    first_frame: bool,
    /// How wide the text-size and theme buttons were last frame (to right-align them).
    appearance_width: f32,
    /// What the About box tells (version, data and log folders).
    about: crate::screens::about::About,
    /// The About box.
    about_box: crate::screens::about::AboutBox,
    /// A community's screen has been drawn (logged once, for the time to it).
    drew_community: bool,
}

impl CommonroomApp {
    /// An app over a bridge to a running node, with preferences from the last run.
    pub fn new(bridge: Bridge, prefs: Prefs) -> Self {
        let device_id = bridge.device_id();
        Self {
            device_id,
            bridge,
            data: Data::default(),
            prefs,
            screens: Screens::default(),
            loaded: HashSet::new(),
            adding: false,
            searching: false,
            inviting: false,
            invite_choice: Default::default(),
            invite_asked: false,
            first_frame: true,
            appearance_width: 0.0,
            about: crate::screens::about::About {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ..Default::default()
            },
            about_box: Default::default(),
            drew_community: false,
        }
    }

    /// The same app, with what its About box tells.
    pub fn with_about(mut self, about: crate::screens::about::About) -> Self {
        self.about = about;
        self
    }

    /// Shows the join screen with an invite link filled in (a link opened from a browser,
    /// a mail, or handed over by a second launch), over whatever was shown.
    pub fn open_link(&mut self, link: &str) {
        self.adding = true;
        self.searching = false;
        self.inviting = false;
        self.screens.first_run.open_link(link);
    }

    /// An app created by eframe, reading preferences from its storage.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>, bridge: Bridge) -> Self {
        let prefs = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, PREFS_KEY))
            .unwrap_or_default();
        Self::new(bridge, prefs)
    }

    /// What the window knows (for tests and benchmarks).
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// The screens' state (selections, scopes), for tests to read.
    pub fn screens(&self) -> &Screens {
        &self.screens
    }

    /// The screens' state (selections, scopes), for tests and benchmarks that set them up.
    pub fn screens_mut(&mut self) -> &mut Screens {
        &mut self.screens
    }

    /// The window's preferences.
    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// The community shown, if any.
    pub fn current(&self) -> Option<&CommunityId> {
        self.prefs
            .current
            .as_ref()
            .filter(|id| self.data.communities.contains_key(*id))
    }

    /// Shows a community and a screen.
    pub fn show(&mut self, community: &CommunityId, tab: Tab) {
        self.prefs.current = Some(community.clone());
        self.prefs.tab = tab;
        self.adding = false;
    }

    /// Draws one frame of the whole window.
    pub fn frame_ui(&mut self, ui: &mut Ui) {
        // Unknown (a test harness) counts as in front: nothing to notify.
        self.bridge
            .set_focused(ui.ctx().input(|i| i.viewport().focused.unwrap_or(true)));
        if self.first_frame {
            // Read by scripts/first-frame.sh (`COMMONROOM_LOG=commonroom_ui=info`).
            tracing::info!(target: "commonroom_ui::startup", "first frame");
            self.first_frame = false;
            self.bridge.set_repaint(ui.ctx());
            crate::theme::apply(ui.ctx());
            ui.ctx().set_theme(self.prefs.theme);
            ui.ctx().set_zoom_factor(self.prefs.zoom);
            self.bridge.list();
        }
        self.absorb();
        if let Some(link) = self.data.link.take() {
            self.open_link(&link);
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Focus);
        }
        self.shortcuts(ui);
        let current = self.current().cloned();
        self.data.tick(current.as_ref(), &self.bridge);
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(5));

        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui, current.as_ref()));
        self.about_box.about_ui(ui.ctx(), &self.about);
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            crate::screens::status::status_ui(ui, &self.data, current.as_ref())
        });
        let Some(id) = current.filter(|_| !self.adding) else {
            egui::CentralPanel::default_margins().show(ui, |ui| {
                let cancel = self.adding && self.current().is_some();
                if self
                    .screens
                    .first_run
                    .first_run_ui(ui, &mut self.data, &self.bridge, cancel)
                {
                    self.adding = false;
                }
            });
            return;
        };
        egui::Panel::left("tabs")
            .resizable(true)
            .default_size(150.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("tabs_scroll")
                    .show(ui, |ui| self.tabs_ui(ui));
            });
        let state = self.data.communities.get(&id);
        let Some(view) = state.and_then(|s| s.view.clone()) else {
            let error = state.and_then(|s| s.view_error.clone());
            egui::CentralPanel::default_margins().show(ui, |ui| match error {
                Some(crate::state::ViewProblem::NotArrived) => {
                    ui.spinner();
                    ui.label("Waiting for this community to arrive from a peer…");
                }
                Some(crate::state::ViewProblem::Failed(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Opening the community…");
                    });
                }
            });
            return;
        };
        if !self.drew_community {
            self.drew_community = true;
            tracing::info!(target: "commonroom_ui::startup", "first frame with a community");
        }
        let me = state.and_then(|s| s.me.clone());
        let mut here = Here::new(&id, &view, me.as_ref(), Timestamp::now());
        here.history = self.data.history.get(&id);
        here.link_ticket = self.data.link_tickets.get(&id);
        here.this_device = Some(&self.device_id);
        here.returned = self.data.returned.remove(&id).unwrap_or_default();
        here.talk = self.data.talk.get(&id);
        if let Some(removal) = here.removal() {
            egui::Panel::top("removed_banner").show(ui, |ui| {
                crate::screens::status::removed_ui(ui, &here, removal);
            });
        }
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.screens.screen_ui(ui, self.prefs.tab, &mut here);
        });
        if self.searching {
            self.searching =
                crate::screens::search::search_ui(ui.ctx(), &mut self.screens.search, &mut here);
        }
        if self.inviting {
            let ticket = self.data.tickets.get(&id);
            if ticket.is_some() {
                self.invite_asked = false;
            }
            let (open, create) = crate::screens::invite::invite_ui(
                ui.ctx(),
                &id,
                &mut here,
                ticket,
                &mut self.invite_choice,
                self.invite_asked,
            );
            self.inviting = open;
            if create {
                self.data.tickets.remove(&id);
                self.invite_asked = true;
                let choice = self.invite_choice;
                self.bridge.invite(&id, choice.days, choice.people);
            }
        }
        let Here {
            commands,
            returned,
            nav,
            wants_history,
            wants_link_ticket,
            talk_commands,
            wants_talk,
            wants_thread,
            wants_mute,
            ..
        } = here;
        if let Some((channel, muted)) = wants_mute {
            self.bridge.mute(&id, channel, muted);
        }
        for outgoing in talk_commands {
            self.data.converse(&self.bridge, &id, outgoing);
        }
        if wants_talk {
            self.data.refresh_talk(&id, &self.bridge);
        }
        if let Some(thread) = wants_thread {
            self.bridge.thread(&id, &thread, true);
            self.data.talk.entry(id.clone()).or_default().shown = Some(thread);
        } else if self.prefs.tab != Tab::Conversations
            && let Some(talk) = self.data.talk.get_mut(&id)
        {
            // Off the screen: what arrives now is unread.
            talk.shown = None;
        }
        for outgoing in commands {
            self.data.apply(&self.bridge, &id, outgoing);
        }
        // Text no screen took back this frame waits for its screen to be shown again.
        if !returned.is_empty() {
            self.data
                .returned
                .entry(id.clone())
                .or_default()
                .extend(returned);
        }
        if let Some(filter) = wants_history {
            self.bridge.history(&id, filter);
        }
        if wants_link_ticket {
            self.data.link_tickets.remove(&id);
            self.bridge.link_ticket(&id);
        }
        if let Some(nav) = nav {
            self.navigate(nav);
        }
    }

    fn navigate(&mut self, nav: Nav) {
        self.prefs.tab = nav.tab;
        if let Some(select) = nav.select {
            self.screens.select(nav.tab, select);
        }
    }

    /// Folds in what the node sent, and loads the community about to be shown.
    fn absorb(&mut self) {
        let updates = self.bridge.drain();
        self.data.absorb(updates, &self.bridge);
        match self.data.opened.take() {
            Some(Ok(id)) => {
                self.show(&id, Tab::Home);
                self.screens.first_run = Default::default();
            }
            Some(Err(error)) => self.screens.first_run.error = Some(error),
            None => {}
        }
        if self.current().is_none()
            && let Some(first) = self.data.communities.keys().next().cloned()
        {
            self.prefs.current = Some(first);
        }
        if let Some(id) = self.current().cloned()
            && self.loaded.insert(id.clone())
        {
            self.data.load(&id, &self.bridge);
        }
    }

    fn shortcuts(&mut self, ui: &mut Ui) {
        let pressed = |ui: &mut Ui, key: Key| {
            ui.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key)))
        };
        if ui.input(|i| i.key_pressed(Key::Escape)) {
            self.about_box.open = false;
        }
        if self.current().is_none() {
            return;
        }
        if pressed(ui, Key::K) {
            self.searching = true;
            self.screens.search.focus = true;
        }
        if pressed(ui, Key::I) {
            self.open_invite();
        }
        if pressed(ui, Key::N) {
            self.screens.start_new(self.prefs.tab);
        }
        for tab in Tab::ALL {
            if pressed(ui, tab.key()) {
                self.prefs.tab = tab;
            }
        }
        if ui.input(|i| i.key_pressed(Key::Escape)) {
            self.searching = false;
            self.inviting = false;
            self.screens.events.summary = None;
        }
    }

    /// Opens the invite dialog; an invite is made only when the person asks for one.
    fn open_invite(&mut self) {
        if let Some(id) = self.current().cloned() {
            self.data.tickets.remove(&id);
            self.invite_asked = false;
            self.inviting = true;
        }
    }

    fn top_bar_ui(&mut self, ui: &mut Ui, current: Option<&CommunityId>) {
        // One row that wraps onto a second when the window is narrow or the text large;
        // text size and theme come last, pushed to the right edge when there is room.
        // Short of room (a small window, large text), buttons show only their icons.
        let compact = ui.available_width() < COMPACT_BAR_BELOW;
        ui.horizontal_wrapped(|ui| {
            self.top_bar_left_ui(ui, current, compact);
            // The measured width ends with one gap, the same the spacer adds after itself.
            let mut spare = ui.available_size_before_wrap().x - self.appearance_width - 1.0;
            if spare < 0.0 && self.appearance_width > 0.0 {
                // Not room for them all: they move together to the next line.
                ui.end_row();
                spare = ui.available_size_before_wrap().x - self.appearance_width - 1.0;
            }
            if spare > 0.0 && self.appearance_width > 0.0 {
                ui.add_space(spare);
            }
            self.appearance_width = self.appearance_ui(ui, compact);
        });
    }

    fn top_bar_left_ui(&mut self, ui: &mut Ui, current: Option<&CommunityId>, compact: bool) {
        {
            if !compact {
                ui.heading("Commonroom");
                ui.separator();
            }
            if let Some(current) = current {
                let label = ui.label("Community");
                let name = self
                    .data
                    .communities
                    .get(current)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                let mut chosen = current.clone();
                egui::ComboBox::from_id_salt("community_switcher")
                    .selected_text(name)
                    .width(260.0_f32.min(ui.available_width() * 0.5))
                    .show_ui(ui, |ui| {
                        for (id, state) in &self.data.communities {
                            ui.selectable_value(&mut chosen, id.clone(), &state.name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if chosen != *current {
                    self.show(&chosen, self.prefs.tab);
                }
                if bar_button(ui, "➕", "Start or join another", compact)
                    .on_hover_text("Start a community, join one with an invite, or open the sample")
                    .clicked()
                {
                    self.adding = true;
                }
                ui.separator();
                if bar_button(ui, "🔍", "Search", compact)
                    .on_hover_text("Ctrl+K")
                    .clicked()
                {
                    self.searching = true;
                    self.screens.search.focus = true;
                }
                if bar_button(ui, "✉", "Invite", compact)
                    .on_hover_text("Ctrl+I")
                    .clicked()
                {
                    self.open_invite();
                }
            }
        }
    }

    /// About, text size and theme buttons; returns how wide they are together.
    fn appearance_ui(&mut self, ui: &mut Ui, compact: bool) -> f32 {
        let mut width = 0.0;
        let mut measure = |response: egui::Response| {
            width += response.rect.width() + ui_gap(&response);
            response
        };
        if measure(bar_button(ui, "ℹ", "About", compact))
            .on_hover_text("Version, where your data and the log are kept")
            .clicked()
        {
            self.about_box.open = true;
        }
        if measure(ui.button("A−"))
            .on_hover_text("Smaller text (Ctrl+minus)")
            .clicked_named("Smaller text")
        {
            self.prefs.zoom = (self.prefs.zoom - 0.1).max(0.5);
            ui.ctx().set_zoom_factor(self.prefs.zoom);
        }
        if measure(ui.button("A+"))
            .on_hover_text("Larger text (Ctrl+plus)")
            .clicked_named("Larger text")
        {
            self.prefs.zoom = (self.prefs.zoom + 0.1).min(3.0);
            ui.ctx().set_zoom_factor(self.prefs.zoom);
        }
        let dark = ui.visuals().dark_mode;
        let (icon, hint, next) = if dark {
            ("☀", "Light theme", egui::ThemePreference::Light)
        } else {
            ("🌙", "Dark theme", egui::ThemePreference::Dark)
        };
        if measure(ui.button(icon))
            .on_hover_text(hint)
            .clicked_named(hint)
        {
            self.prefs.theme = next;
            ui.ctx().set_theme(next);
        }
        // Keyboard zoom (Ctrl+plus/minus) changes the factor too: remember it.
        self.prefs.zoom = ui.ctx().zoom_factor();
        width
    }

    fn tabs_ui(&mut self, ui: &mut Ui) {
        // A tab's name stays on one line: the side bar is as wide as the longest.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        ui.add_space(crate::theme::space::S);
        let unread = self
            .current()
            .and_then(|id| self.data.talk.get(id))
            .map_or(0, |t| t.unread.total());
        for tab in Tab::ALL {
            let title = match tab {
                Tab::Conversations if unread > 0 => format!("{} ({unread} new)", tab.title()),
                _ => tab.title().to_owned(),
            };
            let response = ui
                .selectable_label(self.prefs.tab == tab, title)
                .on_hover_text(tab.shortcut());
            if response.clicked() {
                self.prefs.tab = tab;
            }
        }
    }

    /// The status notice, if one is showing (for tests).
    pub fn notice(&self) -> Option<&Notice> {
        self.data.notice.as_ref().map(|(n, _)| n)
    }

    /// A snapshot of the shown community (for tests and benchmarks).
    pub fn view(&self) -> Option<Arc<commonroom_model::CommunityView>> {
        self.current()
            .and_then(|id| self.data.communities.get(id))
            .and_then(|c| c.view.clone())
    }
}

/// How wide the top bar must be, in points, for its buttons to show their names.
const COMPACT_BAR_BELOW: f32 = 1000.0;

/// A top-bar button: its icon and name, or only its icon when the bar is short of room;
/// its name is always its name for screen readers, and shown on hover when hidden.
fn bar_button(ui: &mut Ui, icon: &str, name: &str, compact: bool) -> egui::Response {
    let full = format!("{icon} {name}");
    if compact {
        let response = ui.button(icon).on_hover_text(name);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &full));
        response
    } else {
        ui.button(full)
    }
}

/// The space egui leaves after a widget in a row.
fn ui_gap(response: &egui::Response) -> f32 {
    response.ctx.global_style().spacing.item_spacing.x
}

/// Icon-only buttons with a name for screen readers.
trait Named {
    /// Gives the button `name` in the accessibility tree; returns whether it was clicked.
    fn clicked_named(self, name: &str) -> bool;
}

impl Named for egui::Response {
    fn clicked_named(self, name: &str) -> bool {
        self.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
        self.clicked()
    }
}

impl eframe::App for CommonroomApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }
}
