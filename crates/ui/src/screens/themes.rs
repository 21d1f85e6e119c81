//! Themes drawn out of the notes: how many notes each gathers, how it evolved over the
//! meetings, and adding or renaming them.

use commonroom_model::commands::{NewTheme, ThemePatch};
use commonroom_model::{Command, EntityKind, ThemeId};
use egui::Ui;

use crate::here::Here;
use crate::tabs::Tab;
use crate::widgets::{card_frame, labelled_multiline, labelled_text, primary_button};

/// How many of a theme's notes its page lists.
const NOTES_SHOWN: usize = 50;

/// The themes screen's state.
#[derive(Default)]
pub struct ThemesScreen {
    /// The selected theme.
    pub selected: Option<ThemeId>,
    /// An open add or rename form.
    pub form: Option<ThemeForm>,
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "themes.form";

/// The add/rename theme form.
#[derive(Clone, Debug, Default)]
pub struct ThemeForm {
    /// The theme being renamed (`None` adds one).
    pub editing: Option<ThemeId>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

impl ThemesScreen {
    /// Draws the themes screen.
    pub fn themes_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Themes");
            if ui.button("➕ Add theme").on_hover_text("Ctrl+N").clicked() {
                self.form = Some(ThemeForm::default());
            }
        });
        ui.separator();
        if let Some(form) = here.take_returned::<ThemeForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, here) {
                self.form = None;
            }
            return;
        }
        crate::widgets::detail_panel(ui, "theme_detail", |ui| self.detail_ui(ui, here));
        let mut themes: Vec<(usize, &commonroom_model::entities::Theme)> = here
            .view
            .live_themes()
            .into_iter()
            .map(|t| (here.view.notes_by_theme(&t.id).len(), t))
            .collect();
        themes.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
        if themes.is_empty()
            && crate::theme::empty_state(
                ui,
                "No themes yet.",
                "Add one, then drag notes into it on the Notes board.",
                Some("Add the first theme"),
            )
        {
            self.form = Some(Default::default());
        }
        egui::ScrollArea::vertical()
            .id_salt("theme_list")
            .show(ui, |ui| {
                for (count, theme) in themes {
                    let selected = self.selected.as_ref() == Some(&theme.id);
                    if ui
                        .selectable_label(
                            selected,
                            format!(
                                "{} · {}",
                                theme.name,
                                crate::widgets::count(count, "note", "notes")
                            ),
                        )
                        .clicked()
                    {
                        self.selected = Some(theme.id.clone());
                    }
                }
            });
    }

    fn detail_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        let Some(theme) = self
            .selected
            .as_ref()
            .and_then(|id| here.view.themes.get(id))
        else {
            ui.weak("Select a theme to see its notes and how it grew.");
            return;
        };
        ui.heading(&theme.name);
        if !theme.description.is_empty() {
            ui.label(&theme.description);
        }
        let notes = here.view.notes_by_theme(&theme.id);
        ui.strong("Over the meetings");
        for event in here.view.events_by_start() {
            let count = notes
                .iter()
                .filter(|n| n.event.as_ref() == Some(&event.id))
                .count();
            if count > 0 {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!(
                        "{}: {}",
                        event.title,
                        crate::widgets::count(count, "note", "notes")
                    ));
                    if ui.small_button("board").clicked() {
                        here.go(Tab::Notes, Some(event.id.to_string()));
                    }
                });
            }
        }
        ui.strong(format!("Notes ({})", notes.len()));
        for note in notes.iter().take(NOTES_SHOWN) {
            card_frame(ui).show(ui, |ui| {
                ui.label(&note.text);
            });
        }
        ui.horizontal_wrapped(|ui| {
            if ui.button("✏ Rename").clicked() {
                self.form = Some(ThemeForm {
                    editing: Some(theme.id.clone()),
                    name: theme.name.clone(),
                    description: theme.description.clone(),
                });
            }
            if ui
                .button("Talk about this between meetings")
                .on_hover_text("Start a discussion that carries this theme on between meetings")
                .clicked()
            {
                here.go(
                    Tab::Conversations,
                    Some(format!(
                        "{}{}",
                        crate::screens::conversations::THEME_PREFIX,
                        theme.id
                    )),
                );
            }
            if ui.button("🗑 Remove theme").clicked() {
                here.send(
                    "Theme removed",
                    Command::Delete(EntityKind::Theme, theme.id.to_string()),
                );
                self.selected = None;
            }
            here.history_button(ui, EntityKind::Theme, theme.id.as_str());
        });
    }
}

fn form_ui(ui: &mut Ui, form: &mut ThemeForm, here: &mut Here<'_>) -> bool {
    ui.heading(if form.editing.is_some() {
        "Rename theme"
    } else {
        "Add a theme"
    });
    labelled_text(ui, "Theme name", &mut form.name);
    labelled_multiline(ui, "Description", &mut form.description, 3);
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Save theme").clicked() && !form.name.trim().is_empty() {
            let command = match &form.editing {
                None => Command::AddTheme(NewTheme {
                    id: ThemeId::generate(),
                    name: form.name.trim().into(),
                    description: form.description.trim().into(),
                }),
                Some(id) => Command::EditTheme(
                    id.clone(),
                    ThemePatch {
                        name: Some(form.name.trim().into()),
                        description: Some(form.description.trim().into()),
                    },
                ),
            };
            here.send_keeping("Theme saved", command, FORM, form.clone());
            done = true;
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    done
}
