//! The shared library: resources with tags and themes, searchable, with links to open.

use commonroom_model::commands::NewResource;
use commonroom_model::entities::Resource;
use commonroom_model::{Command, EntityKind, ResourceId};
use egui::Ui;

use crate::here::Here;
use crate::widgets::{labelled_multiline, labelled_text, matches, primary_button, split_list};

/// The library's state.
#[derive(Default)]
pub struct ResourcesScreen {
    /// Search text (title, description, tags).
    pub search: String,
    /// The selected resource's id.
    pub selected: Option<String>,
    /// An open "add resource" form.
    pub form: Option<ResourceForm>,
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "resources.form";

/// The "add resource" form.
#[derive(Clone, Debug, Default)]
pub struct ResourceForm {
    /// Title.
    pub title: String,
    /// Link.
    pub url: String,
    /// Description.
    pub description: String,
    /// Tags, comma separated.
    pub tags: String,
}

fn haystack(resource: &Resource) -> String {
    let tags: Vec<&str> = resource.tags.iter().map(String::as_str).collect();
    format!(
        "{} {} {}",
        resource.title,
        resource.description,
        tags.join(" ")
    )
}

impl ResourcesScreen {
    /// Draws the library.
    pub fn resources_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Resources");
            if ui
                .button("➕ Add resource")
                .on_hover_text("Ctrl+N")
                .clicked()
            {
                self.form = Some(ResourceForm::default());
            }
        });
        if let Some(form) = here.take_returned::<ResourceForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, here) {
                self.form = None;
            }
            return;
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Search resources");
            ui.add(egui::TextEdit::singleline(&mut self.search).desired_width(220.0))
                .labelled_by(label.id);
        });
        ui.separator();
        let mut resources: Vec<&Resource> = here
            .view
            .live_resources()
            .into_iter()
            .filter(|r| matches(&haystack(r), &self.search))
            .collect();
        resources.sort_by_cached_key(|r| r.title.to_lowercase());
        crate::widgets::detail_panel(ui, "resource_detail", |ui| self.detail_ui(ui, here));
        egui::ScrollArea::vertical()
            .id_salt("resource_list")
            .auto_shrink(false)
            .show_rows(
                ui,
                crate::theme::row_height(ui),
                resources.len(),
                |ui, rows| {
                    for resource in &resources[rows] {
                        let selected = self.selected.as_deref() == Some(resource.id.as_str());
                        if ui.selectable_label(selected, &resource.title).clicked() {
                            self.selected = Some(resource.id.to_string());
                        }
                    }
                },
            );
    }

    fn detail_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        let Some(resource) = self
            .selected
            .as_ref()
            .and_then(|id| here.view.resources.get(&ResourceId::new(id.clone())))
        else {
            ui.weak("Select a resource.");
            return;
        };
        ui.heading(&resource.title);
        if let Some(url) = &resource.url {
            ui.hyperlink_to(format!("Open {url}"), url);
        }
        if !resource.description.is_empty() {
            ui.label(&resource.description);
        }
        let tags: Vec<&str> = resource.tags.iter().map(String::as_str).collect();
        if !tags.is_empty() {
            ui.label(format!("Tags: {}", tags.join(", ")));
        }
        let themes: Vec<&str> = resource
            .themes
            .iter()
            .filter_map(|t| here.view.themes.get(t).map(|t| t.name.as_str()))
            .collect();
        if !themes.is_empty() {
            ui.label(format!("Themes: {}", themes.join(", ")));
        }
        if let Some(by) = &resource.added_by {
            ui.weak(format!("Added by {}", here.view.member_name(by)));
        }
        ui.horizontal_wrapped(|ui| {
            if ui.button("🗑 Remove resource").clicked() {
                here.send(
                    "Resource removed",
                    Command::Delete(EntityKind::Resource, resource.id.to_string()),
                );
                self.selected = None;
            }
            here.history_button(ui, EntityKind::Resource, resource.id.as_str());
        });
    }
}

fn form_ui(ui: &mut Ui, form: &mut ResourceForm, here: &mut Here<'_>) -> bool {
    ui.heading("Add a resource");
    labelled_text(ui, "Title", &mut form.title);
    labelled_text(ui, "Link", &mut form.url);
    labelled_multiline(ui, "Description", &mut form.description, 3);
    labelled_text(ui, "Tags (comma separated)", &mut form.tags);
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Save resource").clicked() && !form.title.trim().is_empty() {
            let url = form.url.trim();
            here.send_keeping(
                "Resource added",
                Command::AddResource(NewResource {
                    id: ResourceId::generate(),
                    title: form.title.trim().into(),
                    url: (!url.is_empty()).then(|| url.to_owned()),
                    description: form.description.trim().into(),
                    tags: split_list(&form.tags),
                    themes: Vec::new(),
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
