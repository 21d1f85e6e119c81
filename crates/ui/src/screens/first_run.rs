//! The first page: start a community, join one with an invite, or explore the sample.

use egui::{RichText, Ui};

use crate::bridge::Bridge;
use crate::state::Data;
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
}

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
        let mut cancelled = false;
        ui.vertical_centered(|ui| {
            ui.add_space(24.0);
            ui.heading(RichText::new("Welcome to Commonroom").size(28.0));
            ui.label("A shared home for your community of practice, kept on your own laptops.");
            ui.label("No server, no account: it works offline and syncs with members nearby.");
            ui.add_space(16.0);
        });
        if !data.listed {
            ui.spinner();
            return false;
        }
        match self.path {
            Path::Choose => self.choose_ui(ui, data, bridge),
            Path::Start => self.start_ui(ui, data, bridge),
            Path::Join => self.join_ui(ui, data, bridge),
        }
        if let Some(error) = &self.error {
            ui.add_space(8.0);
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if data.opening {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(match self.path {
                    Path::Join => "Reaching the person who invited you…",
                    _ => "Setting things up…",
                });
            });
        }
        ui.add_space(12.0);
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

    fn choose_ui(&mut self, ui: &mut Ui, data: &mut Data, bridge: &Bridge) {
        ui.columns(3, |columns| {
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
                let ui = &mut columns[index];
                crate::widgets::card_frame(ui).show(ui, |ui| {
                    ui.set_min_height(120.0);
                    ui.label(blurb);
                    ui.add_space(8.0);
                    if primary_button(ui, title).clicked() {
                        self.error = None;
                        match index {
                            0 => self.path = Path::Start,
                            1 => self.path = Path::Join,
                            _ => {
                                data.opening = true;
                                bridge.create_sample("You".into());
                            }
                        }
                    }
                });
            }
        });
    }

    fn start_ui(&mut self, ui: &mut Ui, data: &mut Data, bridge: &Bridge) {
        ui.heading("Start a community");
        labelled_text(ui, "Community name", &mut self.community);
        labelled_text(ui, "Your name", &mut self.me);
        let ready = !self.community.trim().is_empty() && !self.me.trim().is_empty();
        if ui
            .add_enabled(
                !data.opening && ready,
                egui::Button::new("Create community"),
            )
            .clicked()
        {
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
        labelled_text(ui, "Your name", &mut self.me);
        ui.weak(
            "Linking another laptop of yours? Paste the ticket from \"Link another device\" on \
             your profile, and type a name for this laptop (such as \"Sam's laptop\") instead.",
        );
        let ready = !self.ticket.trim().is_empty() && !self.me.trim().is_empty();
        if ui
            .add_enabled(!data.opening && ready, egui::Button::new("Join community"))
            .clicked()
        {
            self.error = None;
            data.opening = true;
            bridge.join(&self.ticket, self.me.trim().into());
        }
    }
}
