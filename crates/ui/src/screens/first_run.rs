//! The first page: start a community, join one with an invite, or explore the sample.

use egui::{RichText, Ui};

use crate::bridge::Bridge;
use crate::state::Data;
use crate::theme::{font, space};
use crate::widgets::{labelled_multiline, labelled_text, primary_button};

/// Which path the person chose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Path {
    /// Nothing chosen yet.
    #[default]
    Choose,
    /// Start a new community.
    Start,
    /// Join with an invite ticket.
    Join,
    /// Explore the sample community (under the person's own name, as others will see it).
    Sample,
}

/// The first page's state.
#[derive(Default)]
pub struct FirstRun {
    /// The chosen path.
    pub path: Path,
    /// The new community's name.
    pub community: String,
    /// The person's own name.
    pub me: String,
    /// A pasted invite.
    pub ticket: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Put the cursor in "Your name" on the next frame (an opened invite link: the invitee
    /// types their name and presses Enter).
    pub focus_name: bool,
}

/// The narrowest a first-run choice card gets before the cards stack.
const CHOICE_WIDTH: f32 = 240.0;

impl FirstRun {
    /// The join page with an invite link that was opened (from a browser, a mail or a
    /// second launch) filled in; a link that cannot be read is shown with why. What the
    /// person already typed as their name is kept.
    pub fn open_link(&mut self, link: &str) {
        self.path = Path::Join;
        match commonroom_proto::read_invite(link) {
            Ok(ticket) => {
                self.ticket = ticket.encode();
                self.error = None;
                self.focus_name = true;
            }
            Err(error) => {
                self.ticket = link.trim().to_owned();
                self.error = Some(format!("This invite link could not be read: {error}"));
            }
        }
    }

    /// Draws the page; returns true when the person cancels (only offered when `can_cancel`).
    pub fn first_run_ui(
        &mut self,
        ui: &mut Ui,
        data: &mut Data,
        bridge: &Bridge,
        can_cancel: bool,
    ) -> bool {
        egui::ScrollArea::vertical()
            .id_salt("first_run_scroll")
            .auto_shrink(false)
            .show(ui, |ui| self.page_ui(ui, data, bridge, can_cancel))
            .inner
    }

    fn page_ui(&mut self, ui: &mut Ui, data: &mut Data, bridge: &Bridge, can_cancel: bool) -> bool {
        let mut cancelled = false;
        ui.vertical_centered(|ui| {
            ui.add_space(space::XXL);
            ui.heading(RichText::new("Welcome to Commonroom").size(font::TITLE));
            ui.label("A shared home for your community of practice, kept on your own laptops.");
            ui.label("No server, no account: it works offline and syncs with members nearby.");
            ui.add_space(space::XL);
        });
        if !data.listed {
            ui.spinner();
            return false;
        }
        match self.path {
            Path::Choose => self.choose_ui(ui),
            Path::Start => self.start_ui(ui, data, bridge),
            Path::Join => self.join_ui(ui, data, bridge),
            Path::Sample => self.sample_ui(ui, data, bridge),
        }
        if let Some(error) = &self.error {
            ui.add_space(space::M);
            crate::theme::form_error(ui, error);
        }
        if data.opening {
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                ui.label(match self.path {
                    Path::Join => "Reaching the person who invited you…",
                    _ => "Setting things up…",
                });
            });
        }
        ui.add_space(space::L);
        if self.path != Path::Choose && !data.opening && ui.button("Back").clicked() {
            self.path = Path::Choose;
            self.error = None;
        }
        if can_cancel && ui.button("Cancel").clicked() {
            *self = Self::default();
            cancelled = true;
        }
        cancelled
    }

    fn choose_ui(&mut self, ui: &mut Ui) {
        // Three cards side by side, or one under another when the window is narrow.
        let side_by_side = ui.available_width() >= 3.0 * CHOICE_WIDTH;
        let count = if side_by_side { 3 } else { 1 };
        ui.columns(count, |columns| {
            let choices = [
                (
                    "Start a community",
                    "Set up a new community of practice and invite people.",
                ),
                (
                    "Join with an invite",
                    "Paste the invite someone in your community sent you.",
                ),
                (
                    "Explore a sample community",
                    "Look around a family-support community with members, events and notes.",
                ),
            ];
            for (index, (title, blurb)) in choices.into_iter().enumerate() {
                let ui = &mut columns[if side_by_side { index } else { 0 }];
                crate::widgets::card_frame(ui).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    if side_by_side {
                        ui.set_min_height(120.0);
                    }
                    ui.label(blurb);
                    ui.add_space(space::M);
                    if primary_button(ui, title).clicked() {
                        self.error = None;
                        match index {
                            0 => self.path = Path::Start,
                            1 => self.path = Path::Join,
                            _ => self.path = Path::Sample,
                        }
                    }
                });
            }
        });
    }

    fn start_ui(&mut self, ui: &mut Ui, data: &mut Data, bridge: &Bridge) {
        ui.heading("Start a community");
        let name = labelled_text(ui, "Community name", &mut self.community);
        let me = labelled_text(ui, "Your name", &mut self.me);
        let missing = match (self.community.trim().is_empty(), self.me.trim().is_empty()) {
            (true, true) => Some("Give the community a name and type your name to go on."),
            (true, false) => Some("Give the community a name to go on."),
            (false, true) => Some("Type your name, as the others will see it, to go on."),
            (false, false) => None,
        };
        if submit_ui(ui, "Create community", !data.opening, missing, &[name, me]) {
            self.error = None;
            data.opening = true;
            bridge.create(self.community.trim().into(), self.me.trim().into());
        }
    }

    fn join_ui(&mut self, ui: &mut Ui, data: &mut Data, bridge: &Bridge) {
        ui.heading("Join with an invite");
        ui.label(
            "Ask a member for an invite (✉ Invite in their Commonroom) and paste it here, \
             or open the invite link they sent you.",
        );
        labelled_multiline(ui, "Invite", &mut self.ticket, 3);
        let me = labelled_text(ui, "Your name", &mut self.me);
        if std::mem::take(&mut self.focus_name) {
            me.request_focus();
        }
        ui.weak(
            "Linking another laptop of yours? Paste the ticket from \"Link another device\" on \
             your profile, and type a name for this laptop (such as \"Sam's laptop\") instead.",
        );
        let missing = match (self.ticket.trim().is_empty(), self.me.trim().is_empty()) {
            (true, _) => Some("Paste the invite you were sent to go on."),
            (false, true) => Some("Type your name, as the others will see it, to go on."),
            (false, false) => None,
        };
        if submit_ui(ui, "Join community", !data.opening, missing, &[me]) {
            self.error = None;
            data.opening = true;
            bridge.join(&self.ticket, self.me.trim().into());
        }
    }

    fn sample_ui(&mut self, ui: &mut Ui, data: &mut Data, bridge: &Bridge) {
        ui.heading("Explore a sample community");
        ui.label(
            "A family-support community with members, meetings, notes and actions, where you are \
             a facilitator. Invite a colleague to try it with you: they see you by this name.",
        );
        let me = labelled_text(ui, "Your name", &mut self.me);
        let missing = self
            .me
            .trim()
            .is_empty()
            .then_some("Type your name, as the others will see it, to go on.");
        if submit_ui(ui, "Open the sample", !data.opening, missing, &[me]) {
            self.error = None;
            data.opening = true;
            bridge.create_sample(self.me.trim().into());
        }
    }
}

/// A form's main button, with why it cannot be pressed yet written beside it (never a
/// silently greyed button). Returns true when it is pressed, or Enter is pressed in one of
/// the form's `fields`, while the form is complete and `enabled`.
fn submit_ui(
    ui: &mut Ui,
    text: &str,
    enabled: bool,
    missing: Option<&str>,
    fields: &[egui::Response],
) -> bool {
    let ready = enabled && missing.is_none();
    let entered = fields
        .iter()
        .any(|f| f.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
    let pressed = ui
        .horizontal_wrapped(|ui| {
            let pressed = ui
                .add_enabled(ready, egui::Button::new(egui::RichText::new(text).strong()))
                .clicked();
            if let Some(missing) = missing {
                ui.label(missing);
            }
            pressed
        })
        .inner;
    ready && (pressed || entered)
}
