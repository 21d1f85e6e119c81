//! Value-creation stories (Wenger, Trayner and de Laat): what members got out of the
//! community, tagged with the cycles of value reached, charted over time.

use commonroom_model::commands::NewStory;
use commonroom_model::insight::{stories, stories_by_cycle_and_year};
use commonroom_model::{Command, Cycle, EventId, StoryId};
use egui::Ui;

use crate::charts::bars_ui;
use crate::here::Here;
use crate::widgets::{card_frame, labelled_multiline, labelled_text};

/// The stories screen's state.
#[derive(Default)]
pub struct StoriesScreen {
    /// An open "record a story" form.
    pub form: Option<StoryForm>,
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "stories.form";

/// The "record a story" form.
#[derive(Clone, Debug, Default)]
pub struct StoryForm {
    /// Title.
    pub title: String,
    /// The story.
    pub text: String,
    /// Cycles reached.
    pub cycles: Vec<Cycle>,
    /// The event it started from.
    pub event: Option<EventId>,
}

impl StoriesScreen {
    /// Draws the stories screen.
    pub fn stories_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Value stories");
            if ui
                .button("➕ Record a story")
                .on_hover_text("Ctrl+N")
                .clicked()
            {
                self.form = Some(StoryForm::default());
            }
        });
        ui.label("What difference has the community made? Tag each story with the cycles of value it reaches.");
        ui.separator();
        if let Some(form) = here.take_returned::<StoryForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, here) {
                self.form = None;
            }
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("stories")
            .show(ui, |ui| {
                cycles_chart_ui(ui, here);
                ui.separator();
                let list = stories(here.view);
                if list.is_empty()
                    && crate::theme::empty_state(
                        ui,
                        "No stories yet.",
                        "Write down what changed for someone because of the community: \
                         funders and new members read these.",
                        Some("Write the first story"),
                    )
                {
                    self.form = Some(Default::default());
                }
                for story in list {
                    card_frame(ui).show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.strong(&story.title);
                        ui.label(&story.text);
                        let cycles: Vec<&str> = story.cycles.iter().map(|c| c.title()).collect();
                        let by = story
                            .author
                            .as_ref()
                            .map(|a| here.view.member_name(a))
                            .unwrap_or("a member");
                        ui.weak(format!("{} · told by {by}", cycles.join(", ")));
                    });
                }
            });
    }
}

/// Stories per cycle of value, one chart per year (newest first).
pub fn cycles_chart_ui(ui: &mut Ui, here: &Here<'_>) {
    for (year, counts) in stories_by_cycle_and_year(here.view).into_iter().rev() {
        ui.strong(format!("Stories by cycle of value, {year}"));
        let values: Vec<(String, f64)> = Cycle::ALL
            .iter()
            .zip(counts)
            .map(|(cycle, count)| (cycle.label().to_owned(), count as f64))
            .collect();
        bars_ui(ui, &format!("cycles-{year}"), &values);
    }
}

fn form_ui(ui: &mut Ui, form: &mut StoryForm, here: &mut Here<'_>) -> bool {
    ui.heading("Record a story");
    labelled_text(ui, "Story title", &mut form.title);
    labelled_multiline(
        ui,
        "What happened, and what difference it made",
        &mut form.text,
        5,
    );
    ui.label("Cycles of value it reaches:");
    for cycle in Cycle::ALL {
        let mut on = form.cycles.contains(cycle);
        if ui.checkbox(&mut on, cycle.title()).changed() {
            if on {
                form.cycles.push(cycle.clone());
            } else {
                form.cycles.retain(|c| c != cycle);
            }
        }
    }
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("From the event");
        let shown = form
            .event
            .as_ref()
            .and_then(|e| here.view.events.get(e))
            .map(|e| e.title.clone())
            .unwrap_or_else(|| "none".into());
        egui::ComboBox::from_id_salt("story_event")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut form.event, None, "none");
                for event in here.view.events_by_start().into_iter().rev() {
                    ui.selectable_value(&mut form.event, Some(event.id.clone()), &event.title);
                }
            })
            .response
            .labelled_by(label.id);
    });
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        let ready = !form.title.trim().is_empty()
            && !form.text.trim().is_empty()
            && !form.cycles.is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Save story"))
            .clicked()
        {
            here.send_keeping(
                "Story saved",
                Command::AddStory(NewStory {
                    id: StoryId::generate(),
                    title: form.title.trim().into(),
                    text: form.text.trim().into(),
                    cycles: form.cycles.clone(),
                    event: form.event.clone(),
                    resources: Vec::new(),
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
