//! Action points: who does what by when, ticked off when done.

use commonroom_model::commands::{ActionPatch, NewAction};
use commonroom_model::entities::Action;
use commonroom_model::{ActionId, Command, Day, EventId, MemberId};
use egui::{RichText, Ui};

use crate::here::Here;
use crate::widgets::{labelled_text, member_picker, primary_button};

/// The actions screen's state.
#[derive(Default)]
pub struct ActionsScreen {
    /// Show done actions too.
    pub show_done: bool,
    /// An action to highlight (from search or Home).
    pub highlight: Option<String>,
    /// An open "add action" form.
    pub form: Option<ActionForm>,
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "actions.form";

/// The "add action" form.
#[derive(Clone, Debug, Default)]
pub struct ActionForm {
    /// What needs doing.
    pub text: String,
    /// Who does it.
    pub owner: Option<MemberId>,
    /// Due date as typed (14/1/2027, 14 Jan 2027, 2027-01-14...).
    pub due: String,
    /// The meeting it came from.
    pub event: Option<EventId>,
    /// Why the last save was refused.
    pub error: Option<String>,
    /// The field the refusal is about, if it is about one.
    pub error_on: Option<Field>,
}

/// A field of the action form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// What needs doing.
    Text,
    /// The due date.
    Due,
}

impl ActionsScreen {
    /// Draws the actions screen.
    pub fn actions_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Actions");
            if ui.button("➕ Add action").on_hover_text("Ctrl+N").clicked() {
                self.form = Some(ActionForm::default());
            }
            ui.checkbox(&mut self.show_done, "Show done");
        });
        ui.separator();
        if let Some(form) = here.take_returned::<ActionForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, here) {
                self.form = None;
            }
            return;
        }
        let mut actions: Vec<&Action> = here
            .view
            .actions
            .values()
            .filter(|a| !a.deleted && (self.show_done || !a.done))
            .collect();
        actions.sort_by_key(|a| (a.done, a.due.is_none(), a.due, a.created_at));
        if actions.is_empty()
            && crate::theme::empty_state(
                ui,
                "No open actions.",
                "Agree one at a meeting, or add one here with an owner and a due date.",
                Some("Add the first action"),
            )
        {
            self.form = Some(Default::default());
        }
        let today = Day::from_timestamp(here.now);
        egui::ScrollArea::vertical()
            .id_salt("action_list")
            .auto_shrink(false)
            .show_rows(
                ui,
                crate::theme::row_height(ui),
                actions.len(),
                |ui, rows| {
                    for action in &actions[rows] {
                        ui.horizontal_wrapped(|ui| {
                            let mut done = action.done;
                            let mut text = RichText::new(&action.text);
                            if self.highlight.as_deref() == Some(action.id.as_str()) {
                                text = text.strong();
                            }
                            if ui.checkbox(&mut done, text).changed() {
                                here.send(
                                    if done {
                                        "Action done"
                                    } else {
                                        "Action reopened"
                                    },
                                    Command::EditAction(
                                        action.id.clone(),
                                        ActionPatch {
                                            done: Some(done),
                                            ..Default::default()
                                        },
                                    ),
                                );
                            }
                            if let Some(owner) = &action.owner {
                                ui.weak(here.view.member_name(owner));
                            }
                            if let Some(due) = action.due {
                                let overdue = !action.done && due < today;
                                let text = format!("due {due}");
                                if overdue {
                                    ui.colored_label(
                                        ui.visuals().warn_fg_color,
                                        format!("{text} (overdue)"),
                                    );
                                } else {
                                    ui.weak(text);
                                }
                            }
                        });
                    }
                },
            );
    }
}

fn form_ui(ui: &mut Ui, form: &mut ActionForm, here: &mut Here<'_>) -> bool {
    ui.heading("Add an action");
    let text = labelled_text(ui, "What needs doing", &mut form.text);
    if let (Some(error), Some(Field::Text)) = (&form.error, form.error_on) {
        crate::theme::field_error(ui, &text, error);
    }
    member_picker(ui, "Owner", here.view, &mut form.owner);
    let due = labelled_text(ui, "Due (such as 14/1/2027)", &mut form.due);
    match (&form.error, form.error_on) {
        (Some(error), Some(Field::Due)) => {
            crate::theme::field_error(ui, &due, error);
        }
        (Some(error), None) => {
            crate::theme::form_error(ui, error);
        }
        _ => {}
    }
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Save action").clicked() {
            let due = if form.due.trim().is_empty() {
                Ok(None)
            } else {
                crate::widgets::parse_date(&form.due).map(|date| Some(Day::from_date(date)))
            };
            match due {
                Err(error) => {
                    form.error = Some(error);
                    form.error_on = Some(Field::Due);
                }
                Ok(_) if form.text.trim().is_empty() => {
                    form.error = Some("Say what needs doing.".into());
                    form.error_on = Some(Field::Text);
                }
                Ok(due) => {
                    here.send_keeping(
                        "Action added",
                        Command::AddAction(NewAction {
                            id: ActionId::generate(),
                            text: form.text.trim().into(),
                            owner: form.owner.clone(),
                            due,
                            event: form.event.clone(),
                            theme: None,
                        }),
                        FORM,
                        form.clone(),
                    );
                    done = true;
                }
            }
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    done
}
