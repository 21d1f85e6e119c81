//! The dashboard: attendance over time, active members, themes by notes, survey results
//! and stories, at a glance.

use commonroom_model::insight::{active_members, attendance_over_time, themes_by_notes};
use egui::Ui;

use crate::charts::bars_ui;
use crate::here::Here;
use crate::tabs::Tab;

/// How many past events the attendance chart shows.
const EVENTS_SHOWN: usize = 12;

/// Draws the dashboard.
pub fn dashboard_ui(ui: &mut Ui, here: &mut Here<'_>) {
    ui.heading("Dashboard");
    egui::ScrollArea::vertical()
        .id_salt("dashboard")
        .show(ui, |ui| {
            let members = here.view.active_members().len();
            let active = active_members(here.view, here.now, 90);
            ui.label(format!(
                "{members} members, {active} active in the last 90 days"
            ));
            ui.separator();

            let attendance = attendance_over_time(here.view, here.now);
            ui.strong("Attendance over time");
            if attendance.is_empty() {
                ui.weak("No past events yet.");
            } else {
                let skip = attendance.len().saturating_sub(EVENTS_SHOWN);
                let values: Vec<(String, f64)> = attendance
                    .iter()
                    .skip(skip)
                    .map(|(start, _, n)| (start.to_utc().format("%b %y").to_string(), *n as f64))
                    .collect();
                bars_ui(ui, "attendance", &values);
            }
            ui.separator();

            ui.strong("Themes by number of notes");
            let themes: Vec<(String, f64)> = themes_by_notes(here.view)
                .into_iter()
                .take(8)
                .map(|(name, n)| (name, n as f64))
                .collect();
            if themes.is_empty() {
                ui.weak("No themes yet.");
            } else {
                bars_ui(ui, "themes", &themes);
            }
            ui.separator();

            ui.strong("Surveys");
            for survey in here.view.surveys.values().filter(|s| !s.deleted) {
                if ui
                    .link(format!(
                        "{}: {}",
                        survey.title,
                        crate::widgets::count(survey.responses.len(), "answer", "answers")
                    ))
                    .clicked()
                {
                    here.go(Tab::Surveys, Some(survey.id.to_string()));
                }
            }
            ui.separator();
            crate::screens::stories::cycles_chart_ui(ui, here);
        });
}
