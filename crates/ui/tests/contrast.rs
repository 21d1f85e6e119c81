//! WCAG 2.2 AA contrast of the design system, in both themes: every text colour against
//! every background it is drawn on (4.5:1), and every field border and focus ring against
//! what surrounds it (3:1). The colours are read back from egui's style after
//! `theme::apply`, so what is checked is what egui paints, widget visuals included.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use commonroom_ui::theme::{self, Palette, contrast_ratio, relative_luminance};
use egui::{Color32, Theme, Visuals};

/// Normal text (WCAG 1.4.3).
const TEXT: f64 = 4.5;
/// Borders of controls and focus indicators (WCAG 1.4.11).
const NON_TEXT: f64 = 3.0;

/// One pair to check: what it is, the foreground, the background, the minimum ratio.
struct Pair {
    what: String,
    fg: Color32,
    bg: Color32,
    min: f64,
}

fn pair(what: impl Into<String>, fg: Color32, bg: Color32, min: f64) -> Pair {
    Pair {
        what: what.into(),
        fg,
        bg,
        min,
    }
}

/// Every text and border pair of a theme, from the style egui uses.
fn pairs(v: &Visuals, p: &Palette) -> Vec<Pair> {
    let w = &v.widgets;
    let mut pairs = Vec::new();
    // Where text sits: panels, cards, dialogs and menus, inside fields.
    let grounds = [
        ("panel", v.panel_fill),
        ("card (faint_bg)", v.faint_bg_color),
        ("window", v.window_fill),
        ("field", v.text_edit_bg_color()),
        ("noninteractive bg", w.noninteractive.bg_fill),
    ];
    let texts = [
        ("text", v.text_color()),
        ("strong text", v.strong_text_color()),
        ("weak text", v.weak_text_color()),
        ("hyperlink", v.hyperlink_color),
        ("error", v.error_fg_color),
        ("warning", v.warn_fg_color),
        ("success", p.success),
        ("noninteractive fg", w.noninteractive.fg_stroke.color),
        // Frameless buttons, menu items and selectable labels at rest sit on the ground.
        ("inactive fg", w.inactive.fg_stroke.color),
        ("hovered fg", w.hovered.fg_stroke.color),
    ];
    for (ground, bg) in grounds {
        for (text, fg) in texts {
            pairs.push(pair(format!("{text} on {ground}"), fg, bg, TEXT));
        }
    }
    // Buttons and check boxes in each state: their text on their own fills.
    for (state, wv) in [
        ("inactive", &w.inactive),
        ("hovered", &w.hovered),
        ("active", &w.active),
        ("open", &w.open),
    ] {
        pairs.push(pair(
            format!("{state} fg on its button fill"),
            wv.fg_stroke.color,
            wv.weak_bg_fill,
            TEXT,
        ));
        pairs.push(pair(
            format!("{state} fg (check mark) on its box fill"),
            wv.fg_stroke.color,
            wv.bg_fill,
            TEXT,
        ));
        pairs.push(pair(
            format!("weak text on the {state} button fill"),
            v.weak_text_color(),
            wv.weak_bg_fill,
            TEXT,
        ));
    }
    // A field's outline at rest and hovered, against the field and the panel round it.
    for (state, wv) in [("inactive", &w.inactive), ("hovered", &w.hovered)] {
        for (ground, bg) in [
            ("panel", v.panel_fill),
            ("card", v.faint_bg_color),
            ("window", v.window_fill),
            ("field", v.text_edit_bg_color()),
        ] {
            pairs.push(pair(
                format!("{state} border on {ground}"),
                wv.bg_stroke.color,
                bg,
                NON_TEXT,
            ));
        }
    }
    // Focus: buttons take the active stroke, text fields the selection stroke.
    for (ground, bg) in [
        ("panel", v.panel_fill),
        ("card", v.faint_bg_color),
        ("window", v.window_fill),
        ("field", v.text_edit_bg_color()),
        ("focused button fill", w.active.weak_bg_fill),
    ] {
        pairs.push(pair(
            format!("focus ring (active stroke) on {ground}"),
            w.active.bg_stroke.color,
            bg,
            NON_TEXT,
        ));
        pairs.push(pair(
            format!("focused field outline (selection stroke) on {ground}"),
            v.selection.stroke.color,
            bg,
            NON_TEXT,
        ));
    }
    // Selected items and selected text.
    // egui writes a selected button's (a tab's, a list row's) text in the selection stroke.
    pairs.push(pair(
        "selected item text (selection stroke) on the selection",
        v.selection.stroke.color,
        v.selection.bg_fill,
        TEXT,
    ));
    pairs.push(pair(
        "text on the selection (selected label)",
        p.on_selection,
        v.selection.bg_fill,
        TEXT,
    ));
    pairs.push(pair(
        "field text on selected text",
        w.inactive.fg_stroke.color,
        v.selection.bg_fill,
        TEXT,
    ));
    // Primary buttons.
    pairs.push(pair("text on the accent", p.on_accent, p.accent, TEXT));
    pairs.push(pair(
        "text on the hovered accent",
        p.on_accent,
        p.accent_hover,
        TEXT,
    ));
    pairs.push(pair(
        "accent button against the panel",
        p.accent,
        v.panel_fill,
        NON_TEXT,
    ));
    pairs.push(pair(
        "accent (chart bars) on the card",
        p.accent,
        v.faint_bg_color,
        NON_TEXT,
    ));
    pairs.push(pair(
        "text cursor in a field",
        v.text_cursor.stroke.color,
        v.text_edit_bg_color(),
        NON_TEXT,
    ));
    // Post-its: their text, their buttons and fields, with the visuals the card applies.
    for (i, paper) in p.notes.iter().enumerate() {
        let mut on_note = v.clone();
        theme::note_visuals(&mut on_note, p, *paper);
        let nw = &on_note.widgets;
        let name = format!("post-it {i}");
        pairs.push(pair(
            format!("note text on {name}"),
            on_note.text_color(),
            *paper,
            TEXT,
        ));
        pairs.push(pair(
            format!("note author on {name}"),
            on_note.weak_text_color(),
            *paper,
            TEXT,
        ));
        for (state, wv) in [
            ("inactive", &nw.inactive),
            ("hovered", &nw.hovered),
            ("active", &nw.active),
            ("open", &nw.open),
        ] {
            pairs.push(pair(
                format!("{state} button text on {name}"),
                wv.fg_stroke.color,
                wv.weak_bg_fill,
                TEXT,
            ));
            pairs.push(pair(
                format!("{state} button outline on {name}"),
                wv.bg_stroke.color,
                *paper,
                NON_TEXT,
            ));
        }
        pairs.push(pair(
            format!("edit box text on {name}"),
            nw.inactive.fg_stroke.color,
            on_note.text_edit_bg_color(),
            TEXT,
        ));
        pairs.push(pair(
            format!("edit box outline on {name}"),
            nw.inactive.bg_stroke.color,
            *paper,
            NON_TEXT,
        ));
        pairs.push(pair(
            format!("focused edit box outline on {name}"),
            on_note.selection.stroke.color,
            *paper,
            NON_TEXT,
        ));
        pairs.push(pair(
            format!("selected text in an edit box on {name}"),
            nw.inactive.fg_stroke.color,
            on_note.selection.bg_fill,
            TEXT,
        ));
    }
    pairs
}

/// The styles after `theme::apply`, as egui holds them.
fn applied(theme: Theme) -> Visuals {
    let ctx = egui::Context::default();
    theme::apply(&ctx);
    ctx.style_of(theme).visuals.clone()
}

fn check(theme: Theme) -> f64 {
    let visuals = applied(theme);
    assert_eq!(visuals.dark_mode, theme == Theme::Dark);
    let palette = theme::palette_of(theme);
    let pairs = pairs(&visuals, palette);
    assert!(pairs.len() > 100, "every pair is listed");
    let mut failures = Vec::new();
    let mut lowest = f64::INFINITY;
    // The lowest ratio of text and of borders, for the record.
    let (mut text, mut non_text) = ((f64::INFINITY, ""), (f64::INFINITY, ""));
    for p in &pairs {
        assert_eq!(p.fg.a(), 255, "{}: colours are opaque", p.what);
        assert_eq!(p.bg.a(), 255, "{}: colours are opaque", p.what);
        let ratio = contrast_ratio(p.fg, p.bg);
        lowest = lowest.min(ratio);
        let slot = if p.min == TEXT {
            &mut text
        } else {
            &mut non_text
        };
        if ratio < slot.0 {
            *slot = (ratio, p.what.as_str());
        }
        if ratio < p.min {
            failures.push(format!(
                "{:?}: {} is {ratio:.2}:1, needs {}:1 ({:?} on {:?})",
                theme, p.what, p.min, p.fg, p.bg
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "{theme:?}: {} pairs; lowest text {:.2}:1 ({}); lowest border {:.2}:1 ({})",
        pairs.len(),
        text.0,
        text.1,
        non_text.0,
        non_text.1
    );
    lowest
}

#[test]
fn the_light_theme_meets_wcag_aa() {
    check(Theme::Light);
}

#[test]
fn the_dark_theme_meets_wcag_aa() {
    check(Theme::Dark);
}

#[test]
fn the_contrast_formula_matches_wcag() {
    // Reference values from the WCAG 2.x definitions.
    assert!((relative_luminance(Color32::WHITE) - 1.0).abs() < 1e-9);
    assert!(relative_luminance(Color32::BLACK).abs() < 1e-9);
    assert!((contrast_ratio(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 1e-9);
    assert!((contrast_ratio(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 1e-9);
    // #767676 on white is the classic 4.54:1; #777777 falls just short of 4.5.
    let ratio = contrast_ratio(Color32::from_gray(0x76), Color32::WHITE);
    assert!((ratio - 4.54).abs() < 0.01, "{ratio}");
    assert!(contrast_ratio(Color32::from_gray(0x77), Color32::WHITE) < 4.5);
    // Order does not matter.
    let (a, b) = (
        Color32::from_rgb(200, 30, 30),
        Color32::from_rgb(240, 240, 200),
    );
    assert_eq!(contrast_ratio(a, b), contrast_ratio(b, a));
}

#[test]
fn egui_defaults_would_fail_so_the_check_has_teeth() {
    // egui's own light theme has grey text and a pale link: the same check finds them.
    let visuals = Visuals::light();
    let failing = pairs(&visuals, &theme::LIGHT)
        .into_iter()
        .filter(|p| contrast_ratio(p.fg, p.bg) < p.min)
        .count();
    assert!(failing > 0);
}
