//! Home: what the community is about, its Terms of Reference, what is coming up, what needs
//! doing, and what happened lately.

use commonroom_model::commands::CommunityPatch;
use commonroom_model::{Command, Timestamp};
use egui::{RichText, Ui};

use crate::here::Here;
use crate::tabs::Tab;
use crate::widgets::{card_frame, labelled_multiline, labelled_text, primary_button, when};

/// Home's state: the "edit the community" form, when open.
#[derive(Default)]
pub struct HomeScreen {
    /// The open form.
    pub form: Option<CommunityForm>,
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "home.form";

/// The community's name, domain statement and Terms of Reference, being edited.
#[derive(Clone, Debug, Default)]
pub struct CommunityForm {
    /// Name.
    pub name: String,
    /// What the community is about.
    pub domain: String,
    /// Terms of Reference.
    pub terms: String,
    /// Volunteers for the facilitator rota, in order.
    pub rota: Vec<commonroom_model::MemberId>,
}

impl HomeScreen {
    /// Draws Home, or the edit form.
    pub fn home_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        if let Some(form) = here.take_returned::<CommunityForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, here) {
                self.form = None;
            }
            return;
        }
        if ui.button("✏ Edit about and Terms of Reference").clicked() {
            let community = &here.view.community;
            self.form = Some(CommunityForm {
                name: community.name.clone(),
                domain: community.domain.as_str().to_owned(),
                terms: community.terms.as_str().to_owned(),
                rota: community.rota.clone(),
            });
        }
        home_ui(ui, here);
    }
}

fn form_ui(ui: &mut Ui, form: &mut CommunityForm, here: &mut Here<'_>) -> bool {
    ui.heading("About the community");
    labelled_text(ui, "Community name", &mut form.name);
    labelled_multiline(ui, "What we are about (domain)", &mut form.domain, 3);
    labelled_multiline(ui, "Terms of Reference", &mut form.terms, 8);
    ui.label("Facilitator rota: who volunteers to take turns facilitating");
    ui.horizontal_wrapped(|ui| {
        for member in here.view.active_members() {
            let mut on = form.rota.contains(&member.id);
            if ui.checkbox(&mut on, &member.name).changed() {
                if on {
                    form.rota.push(member.id.clone());
                } else {
                    form.rota.retain(|m| m != &member.id);
                }
            }
        }
    });
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Save").clicked() && !form.name.trim().is_empty() {
            here.send_keeping(
                "Community saved",
                Command::UpdateCommunity(CommunityPatch {
                    name: Some(form.name.trim().into()),
                    domain: Some(form.domain.clone()),
                    terms: Some(form.terms.clone()),
                    rota: Some(form.rota.clone()),
                }),
                FORM,
                form.clone(),
            );
            done = true;
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    done
}

/// How many recent things Home lists.
const RECENT: usize = 8;

/// Draws Home's overview.
fn home_ui(ui: &mut Ui, here: &mut Here<'_>) {
    let view = here.view;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading(&view.community.name);
        ui.label(format!("Welcome, {}.", here.my_name()));
        ui.add_space(crate::theme::space::M);
        card_frame(ui).show(ui, |ui| {
            ui.strong("What we are about");
            let domain = view.community.domain.as_str();
            if domain.trim().is_empty() {
                ui.weak("No domain statement yet.");
            } else {
                ui.label(domain);
            }
            egui::CollapsingHeader::new("Terms of Reference")
                .id_salt("terms")
                .show(ui, |ui| {
                    let terms = view.community.terms.as_str();
                    if terms.trim().is_empty() {
                        ui.weak("No Terms of Reference yet.");
                    } else {
                        ui.label(terms);
                    }
                });
        });
        ui.add_space(crate::theme::space::M);
        ui.columns(2, |columns| {
            upcoming_ui(&mut columns[0], here);
            open_actions_ui(&mut columns[1], here);
        });
        ui.add_space(crate::theme::space::M);
        recent_ui(ui, here);
    });
}

fn upcoming_ui(ui: &mut Ui, here: &mut Here<'_>) {
    ui.strong("Coming up");
    if let Some(next) = here.view.next_facilitator(here.now) {
        ui.label(format!(
            "Next to facilitate: {}",
            here.view.member_name(next)
        ));
    }
    let upcoming = here.view.upcoming_events(here.now);
    if upcoming.is_empty() {
        ui.weak("Nothing planned. Add an event on the Events screen.");
    }
    for event in upcoming.into_iter().take(5) {
        let text = format!("{} · {}", when(event.start), event.title);
        if ui.link(text).clicked() {
            here.go(Tab::Events, Some(event.id.to_string()));
        }
    }
}

fn open_actions_ui(ui: &mut Ui, here: &mut Here<'_>) {
    ui.strong("Open actions");
    let actions = here.view.open_actions();
    if actions.is_empty() {
        ui.weak("No open actions.");
    }
    for action in actions.into_iter().take(8) {
        let owner = action
            .owner
            .as_ref()
            .map(|o| here.view.member_name(o).to_owned())
            .unwrap_or_else(|| "no owner".into());
        let due = action.due.map(|d| format!(", due {d}")).unwrap_or_default();
        if ui.link(format!("{} ({owner}{due})", action.text)).clicked() {
            here.go(Tab::Actions, Some(action.id.to_string()));
        }
    }
}

/// One line of recent activity.
struct Activity {
    at: Timestamp,
    text: String,
    tab: Tab,
    id: String,
}

fn recent_ui(ui: &mut Ui, here: &mut Here<'_>) {
    let view = here.view;
    let mut recent: Vec<Activity> = Vec::new();
    let mut keep = |activity: Activity| {
        recent.push(activity);
        if recent.len() > RECENT * 4 {
            recent.sort_by_key(|a| std::cmp::Reverse(a.at));
            recent.truncate(RECENT);
        }
    };
    for member in view.active_members() {
        keep(Activity {
            at: member.joined_at,
            text: format!("{} joined", member.name),
            tab: Tab::Members,
            id: member.id.to_string(),
        });
    }
    for event in view.events.values().filter(|e| !e.deleted) {
        keep(Activity {
            at: event.created_at,
            text: format!("Event planned: {}", event.title),
            tab: Tab::Events,
            id: event.id.to_string(),
        });
    }
    for resource in view.live_resources() {
        keep(Activity {
            at: resource.created_at,
            text: format!("Resource shared: {}", resource.title),
            tab: Tab::Resources,
            id: resource.id.to_string(),
        });
    }
    for action in view.actions.values().filter(|a| !a.deleted) {
        keep(Activity {
            at: action.created_at,
            text: format!("Action: {}", action.text),
            tab: Tab::Actions,
            id: action.id.to_string(),
        });
    }
    recent.sort_by_key(|a| std::cmp::Reverse(a.at));
    recent.truncate(RECENT);
    ui.strong("Recent activity");
    for activity in recent {
        ui.horizontal_wrapped(|ui| {
            ui.weak(RichText::new(when(activity.at)).small());
            if ui.link(&activity.text).clicked() {
                here.go(activity.tab, Some(activity.id.clone()));
            }
        });
    }
}
