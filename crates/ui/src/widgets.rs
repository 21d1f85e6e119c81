//! Small widgets the screens share: labelled inputs, pickers, cards, dates.

use chrono::{Local, NaiveDate, NaiveTime, TimeZone};
use commonroom_model::{CommunityView, MemberId, Timestamp};
use egui::{Response, Ui};

/// A count with its noun in the right number: "1 note", "2 notes", "0 answers".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

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

/// Date forms people type, day first (14/1/2027, 14.1.27, 14 Jan 2027) or ISO (2027-01-14).
/// Two-digit years are tried first: a four-digit year never parses as one.
const DATE_FORMS: [&str; 10] = [
    "%Y-%m-%d",
    "%d/%m/%y",
    "%d/%m/%Y",
    "%d.%m.%y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%a %d %b %Y",
    "%A %d %B %Y",
];

/// Time forms people type: 18:30, 18.30, 6:30pm, 6.30pm (and 6pm, 18: see [`parse_time`]).
const TIME_FORMS: [&str; 4] = ["%H:%M", "%H.%M", "%I:%M%p", "%I.%M%p"];

/// Parses a date as people type it (see [`DATE_FORMS`]).
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim().replace(',', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    DATE_FORMS
        .iter()
        .find_map(|form| NaiveDate::parse_from_str(&text, form).ok())
        .ok_or_else(|| {
            format!("\u{201c}{text}\u{201d} is not a date: type it like 14/1/2027 or 14 Jan 2027")
        })
}

/// Parses a time of day as people type it (see [`TIME_FORMS`]); empty is midnight.
pub fn parse_time(text: &str) -> Result<NaiveTime, String> {
    let mut compact: String = text.split_whitespace().collect::<String>().to_uppercase();
    if compact.is_empty() {
        return Ok(NaiveTime::MIN);
    }
    // "6pm": an hour alone with its half of the day.
    if let Some(hour) = compact
        .strip_suffix("AM")
        .or_else(|| compact.strip_suffix("PM"))
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_digit()))
    {
        let half = &compact[compact.len() - 2..];
        compact = format!("{hour}:00{half}");
    }
    if let Ok(hour) = compact.parse::<u32>() {
        return NaiveTime::from_hms_opt(hour, 0, 0)
            .ok_or_else(|| format!("\u{201c}{compact}\u{201d} is not an hour of the day"));
    }
    TIME_FORMS
        .iter()
        .find_map(|form| NaiveTime::parse_from_str(&compact, form).ok())
        .ok_or_else(|| {
            format!(
                "\u{201c}{}\u{201d} is not a time: type it like 18:30 or 6:30pm",
                text.trim()
            )
        })
}

/// Parses a local date and time as people type them (see [`parse_date`] and
/// [`parse_time`]) into an instant.
pub fn parse_local(date: &str, time: &str) -> Result<Timestamp, String> {
    let date = parse_date(date)?;
    let time = parse_time(time)?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn dates_and_times_are_read_as_people_type_them() {
        let jan_14 = NaiveDate::from_ymd_opt(2027, 1, 14).unwrap();
        for typed in [
            "2027-01-14",
            "14/1/2027",
            "14/01/27",
            "14.1.2027",
            "14-1-2027",
            "14 Jan 2027",
            "14 January 2027",
            "Thu 14 Jan 2027",
            " 14 jan, 2027 ",
        ] {
            assert_eq!(parse_date(typed), Ok(jan_14), "{typed}");
        }
        for bad in ["31/2/2027", "next Tuesday", "2027"] {
            let err = parse_date(bad).unwrap_err();
            assert!(
                err.contains("is not a date: type it like 14/1/2027"),
                "{err}"
            );
        }
        let half_six = NaiveTime::from_hms_opt(18, 30, 0).unwrap();
        for typed in ["18:30", "18.30", "6:30pm", "6:30 PM", "6.30pm"] {
            assert_eq!(parse_time(typed), Ok(half_six), "{typed}");
        }
        assert_eq!(
            parse_time("6pm"),
            Ok(NaiveTime::from_hms_opt(18, 0, 0).unwrap())
        );
        assert_eq!(
            parse_time("18"),
            Ok(NaiveTime::from_hms_opt(18, 0, 0).unwrap())
        );
        assert_eq!(parse_time(""), Ok(NaiveTime::MIN));
        assert!(parse_time("25:00").is_err() && parse_time("teatime").is_err());
    }
}
