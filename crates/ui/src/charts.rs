//! Small charts (egui_plot) with their numbers written out beside them, so the same
//! information reaches people who cannot see the chart (screen readers read the text).

use egui::Ui;
use egui_plot::{Bar, BarChart, Plot};

/// Height of a chart.
const HEIGHT: f32 = 160.0;

/// A bar chart of labelled values, followed by the values as text.
pub fn bars_ui(ui: &mut Ui, id: &str, values: &[(String, f64)]) {
    let bars: Vec<Bar> = values
        .iter()
        .enumerate()
        .map(|(i, (label, value))| Bar::new(i as f64, *value).name(label).width(0.7))
        .collect();
    let accent = crate::theme::palette(ui).accent;
    let labels: Vec<String> = values.iter().map(|(l, _)| l.clone()).collect();
    Plot::new(id)
        .height(HEIGHT)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show_x(false)
        .x_axis_formatter(move |mark, _| {
            let index = mark.value.round();
            if (mark.value - index).abs() < 1e-6 && index >= 0.0 {
                labels.get(index as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new(id, bars).color(accent))
        });
    ui.horizontal_wrapped(|ui| {
        for (label, value) in values {
            ui.weak(format!("{label}: {value}"));
        }
    });
}
