//! The History screen: who changed what and when, and bringing back what was lost or
//! vandalised, as a new change (history itself is never rewritten).

use commonroom_model::automerge::ChangeHash;
use commonroom_model::history::{Activity, ActivityFilter, RestoreTarget, breaks_rules, describe};
use commonroom_model::{Command, EntityKind, MemberId};
use egui::Ui;

use crate::here::Here;

/// Height of one row in the feed.
const ROW_HEIGHT: f32 = 26.0;

/// The History screen's state.
#[derive(Default)]
pub struct HistoryScreen {
    /// Only this section, if chosen.
    pub section: Option<EntityKind>,
    /// Only this entity of the section, if chosen (from a profile or a card).
    pub entity: Option<String>,
    /// Only changes by this member, if chosen.
    pub by: Option<MemberId>,
    /// The filter and document heads the feed was last asked for.
    asked: Option<(ActivityFilter, Vec<ChangeHash>)>,
    /// A restore waiting for the person to confirm it: what it does in words, and the command.
    confirm: Option<(String, Command)>,
}

/// Consecutive changes by the same person doing the same thing, shown as one row.
struct Group<'a> {
    newest: &'a Activity,
    oldest: &'a Activity,
    count: usize,
}

fn groups(entries: &[Activity]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for entry in entries {
        match out.last_mut() {
            Some(group)
                if group.oldest.by == entry.by
                    && group.oldest.op == entry.op
                    && entry.op.is_some() =>
            {
                group.oldest = entry;
                group.count += 1;
            }
            _ => out.push(Group {
                newest: entry,
                oldest: entry,
                count: 1,
            }),
        }
    }
    out
}

fn kind_of(collection: Option<&str>) -> Option<EntityKind> {
    EntityKind::RESTORABLE
        .into_iter()
        .find(|k| Some(k.collection()) == collection)
}

impl HistoryScreen {
    /// Shows the history of `key`: a section (`notes`) or one entity (`notes:ID`).
    pub fn select(&mut self, key: &str) {
        let (section, entity) = key.split_once(':').unwrap_or((key, ""));
        self.section = kind_of(Some(section));
        self.entity = (!entity.is_empty()).then(|| entity.to_owned());
        self.by = None;
    }

    fn filter(&self) -> ActivityFilter {
        ActivityFilter {
            collection: self.section.map(|k| k.collection().to_owned()),
            id: self.entity.clone(),
            by: self.by.clone(),
        }
    }

    /// Draws the screen.
    pub fn history_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.heading("History");
        ui.label(
            "Every change to this community is kept. If something was deleted or spoiled, \
             bring it back as it was before: that is a new change, so nothing is ever erased.",
        );
        self.filters_ui(ui, here);
        // Compared in place: the feed is asked for again only when the filter or the
        // document changed, without copying the heads every frame.
        let filter = self.filter();
        let current = self
            .asked
            .as_ref()
            .is_some_and(|(f, heads)| *f == filter && *heads == here.view.heads);
        if !current {
            here.wants_history = Some(filter.clone());
            self.asked = Some((filter, here.view.heads.clone()));
        }
        if let Some((what, command)) = self.confirm.clone() {
            self.confirm_ui(ui, here, what, command);
        }
        ui.separator();
        let entries = match here.history {
            None => {
                ui.horizontal_wrapped(|ui| {
                    ui.spinner();
                    ui.label("Reading the history…");
                });
                return;
            }
            Some(Err(error)) => {
                crate::theme::form_error(ui, error);
                return;
            }
            Some(Ok(entries)) => entries,
        };
        let rows = groups(entries);
        if rows.is_empty() {
            ui.weak("No changes match.");
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("history_feed")
            .auto_shrink(false)
            .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
                for group in &rows[range] {
                    self.row_ui(ui, here, group);
                }
            });
    }

    fn filters_ui(&mut self, ui: &mut Ui, here: &Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Section");
            let before = self.section;
            egui::ComboBox::from_id_salt("history_section")
                .selected_text(self.section.map_or("everything", |k| k.collection()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.section, None, "everything");
                    for kind in EntityKind::RESTORABLE {
                        ui.selectable_value(&mut self.section, Some(kind), kind.collection());
                    }
                })
                .response
                .labelled_by(label.id);
            if self.section != before {
                self.entity = None;
            }
            let label = ui.label("By");
            egui::ComboBox::from_id_salt("history_by")
                .selected_text(
                    self.by
                        .as_ref()
                        .map_or("anyone", |m| here.view.member_name(m)),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.by, None, "anyone");
                    for member in here.view.members.values() {
                        ui.selectable_value(&mut self.by, Some(member.id.clone()), &member.name);
                    }
                })
                .response
                .labelled_by(label.id);
            if let Some(entity) = self.entity.clone() {
                ui.label(format!("Only {entity}"));
                if ui.button("Show the whole section").clicked() {
                    self.entity = None;
                }
            }
        });
    }

    fn row_ui(&mut self, ui: &mut Ui, here: &Here<'_>, group: &Group<'_>) {
        ui.horizontal_wrapped(|ui| {
            let when = group
                .newest
                .at
                .map_or("(no time)".to_owned(), crate::widgets::when);
            ui.weak(when);
            let mut text = describe(here.view, group.newest);
            if group.count > 1 {
                text.push_str(&format!(" (and {} more like it)", group.count - 1));
            }
            ui.label(text);
            if let Some(why) = breaks_rules(here.view, group.newest) {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "(their role today does not allow this)",
                )
                .on_hover_text(format!(
                    "{why}. Commonroom would have refused it, so it came from another program \
                     or from before a change of roles. You can restore what it changed."
                ));
            }
            let kind = kind_of(group.oldest.collection.as_deref());
            // Only changes that altered or removed something have an earlier state worth
            // going back to; "added" rows offer nothing.
            let Some(kind) = kind.filter(|_| !group.oldest.creates()) else {
                return;
            };
            let point = group.oldest.before.clone();
            if group.count == 1
                && let Some(id) = &group.oldest.id
                && ui
                    .small_button(format!("Restore this {}", kind.name()))
                    .on_hover_text(format!(
                        "Bring the {} back as it was just before this change",
                        kind.name()
                    ))
                    .clicked()
            {
                self.confirm = Some((
                    format!(
                        "Bring back the {} as it was just before this change?",
                        kind.name()
                    ),
                    Command::RestoreAt {
                        heads: point.clone(),
                        target: RestoreTarget::Entity(kind, id.clone()),
                    },
                ));
            }
            if here.can().moderate
                && ui
                    .small_button(format!("Restore all {}", kind.collection()))
                    .on_hover_text(format!(
                        "Bring every one of the {} back as it was just before this change",
                        kind.collection()
                    ))
                    .clicked()
            {
                self.confirm = Some((
                    format!(
                        "Bring back every one of the {} as it was just before this change? {} added since stay as they are.",
                        kind.collection(),
                        capitalised(kind.collection())
                    ),
                    Command::RestoreAt {
                        heads: point,
                        target: RestoreTarget::Section(kind),
                    },
                ));
            }
        });
    }

    fn confirm_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, what: String, command: Command) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(&what);
            ui.weak("This writes a new change that every member receives; the history keeps everything.");
            ui.horizontal_wrapped(|ui| {
                if crate::widgets::primary_button(ui, "Restore").clicked() {
                    here.send("Restored from history", command);
                    self.confirm = None;
                }
                if ui.button("Cancel").clicked() {
                    self.confirm = None;
                }
            });
        });
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
