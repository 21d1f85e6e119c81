//! Small widgets the screens share: labelled inputs, pickers, cards, dates.

use chrono::{Local, NaiveDate, NaiveTime, TimeZone};
use commonroom_model::{CommunityView, MemberId, Timestamp};
use egui::{Response, Ui};

/// How wide a one-line field is when there is room.
const FIELD_WIDTH: f32 = 280.0;
/// The narrowest a one-line field gets before it moves under its label.
const MIN_FIELD_WIDTH: f32 = 120.0;

/// A one-line text input with a visible label that screen readers announce with it.
pub fn labelled_text(ui: &mut Ui, label: &str, value: &mut String) -> Response {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(label);
        let width = FIELD_WIDTH.min(ui.available_size_before_wrap().x.max(MIN_FIELD_WIDTH));
        ui.add(egui::TextEdit::singleline(value).desired_width(width))
            .labelled_by(label.id)
    })
    .inner
}

/// A multi-line text input with a visible label.
pub fn labelled_multiline(ui: &mut Ui, label: &str, value: &mut String, rows: usize) -> Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::multiline(value)
            .desired_rows(rows)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id)
}

/// A drop-down to choose a member (or nobody).
pub fn member_picker(
    ui: &mut Ui,
    label: &str,
    view: &CommunityView,
    chosen: &mut Option<MemberId>,
) -> Response {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(label);
        let shown = chosen
            .as_ref()
            .map(|id| view.member_name(id).to_owned())
            .unwrap_or_else(|| "nobody".into());
        let response = egui::ComboBox::from_id_salt(label.id)
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(chosen, None, "nobody");
                for member in view.active_members() {
                    ui.selectable_value(chosen, Some(member.id.clone()), &member.name);
                }
            })
            .response;
        response.labelled_by(label.id)
    })
    .inner
}

/// A primary button: what pressing Enter in a form does, filled with the accent colour.
pub fn primary_button(ui: &mut Ui, text: &str) -> Response {
    let palette = crate::theme::palette(ui);
    // A filled button keeps its fill on hover, so darken it by hand (from the last frame).
    let hovered = ui
        .ctx()
        .read_response(ui.next_auto_id())
        .is_some_and(|r| r.hovered());
    let fill = if hovered {
        palette.accent_hover
    } else {
        palette.accent
    };
    let text = egui::RichText::new(text).strong().color(palette.on_accent);
    ui.add(egui::Button::new(text).fill(fill))
}

/// The panel on the right that shows the selected item (a profile, an event, a theme).
///
/// Its width is a share of the screen (so it follows the window and the text size), the
/// same whatever is selected, and never so wide that the list beside it shrinks to a
/// sliver; its contents scroll and wrap inside it.
pub fn detail_panel(ui: &mut Ui, id: &'static str, add_contents: impl FnOnce(&mut Ui)) {
    let width = ui.available_width();
    let size = (width * 0.42).clamp(240.0, 420.0).min(width * 0.5);
    egui::Panel::right(id)
        .resizable(false)
        .exact_size(size)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt((id, "scroll"))
                .auto_shrink(false)
                .show(ui, |ui| {
                    ui.set_max_width(ui.available_width());
                    add_contents(ui);
                });
        });
}

/// The frame of a card in a list or board.
pub fn card_frame(ui: &Ui) -> egui::Frame {
    egui::Frame::group(ui.style())
        .fill(ui.visuals().faint_bg_color)
        .inner_margin(crate::theme::space::M)
        .corner_radius(crate::theme::radius::LARGE)
}

/// An instant in local time, e.g. "Thu 3 Dec 2026, 18:00".
pub fn when(instant: Timestamp) -> String {
    instant
        .to_utc()
        .with_timezone(&Local)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// Parses a local date ("2026-12-03") and time ("18:00") into an instant.
pub fn parse_local(date: &str, time: &str) -> Result<Timestamp, String> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{:?} is not a date like 2026-12-03", date.trim()))?;
    let time = if time.trim().is_empty() {
        NaiveTime::MIN
    } else {
        NaiveTime::parse_from_str(time.trim(), "%H:%M")
            .map_err(|_| format!("{:?} is not a time like 18:30", time.trim()))?
    };
    let local = Local
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .ok_or_else(|| "that time does not exist here (a clock change)".to_owned())?;
    Ok(Timestamp::from_millis(local.timestamp_millis()))
}

/// Splits comma-separated input into trimmed, non-empty parts.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect()
}

/// Whether `haystack` contains `needle`, ignoring case (an empty needle matches).
pub fn matches(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_lowercase().contains(&needle.to_lowercase())
}
