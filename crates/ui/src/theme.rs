//! The design system: colour, type, spacing, corner and elevation tokens for the light and
//! dark themes, applied to egui's `Style` in one place ([`apply`]), and the few shared
//! pieces of look that screens use instead of picking colours themselves
//! ([`form_error`], [`field_error`], [`empty_state`], [`note_fill`]).
//!
//! Every text colour meets WCAG 2.2 AA (4.5:1) against every background it is drawn on,
//! and every field border and focus ring 3:1; `tests/contrast.rs` checks each pair in
//! both themes, including egui's own widget visuals after [`apply`].

use egui::{
    Color32, Context, CornerRadius, FontFamily, FontId, Margin, Response, RichText, Stroke, Style,
    TextStyle, Theme, Ui, Visuals,
};

/// The colours of one theme. Screens read them with [`palette`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Palette {
    /// Whether this is the dark theme.
    pub dark: bool,
    /// Background of panels (the window's own background).
    pub panel: Color32,
    /// Background of cards and striped rows, one step apart from the panel.
    pub surface: Color32,
    /// Background of dialogs, menus and pop-ups.
    pub window: Color32,
    /// Background inside text fields.
    pub field: Color32,
    /// Body text.
    pub text: Color32,
    /// Secondary text: hints, dates, counts, explanations (still 4.5:1).
    pub text_dim: Color32,
    /// Links.
    pub link: Color32,
    /// The brand colour: primary buttons, charts, the selected tab marker.
    pub accent: Color32,
    /// A primary button's fill while hovered.
    pub accent_hover: Color32,
    /// Text and icons on [`Self::accent`].
    pub on_accent: Color32,
    /// Errors: failed saves, invalid input.
    pub error: Color32,
    /// Warnings: overdue actions, things to look at.
    pub warning: Color32,
    /// Success: peers online, saved.
    pub success: Color32,
    /// Outline of text fields, buttons and check boxes (3:1 against what is around them).
    pub border: Color32,
    /// Decorative lines (separators, window outlines), not needed to find a control.
    pub separator: Color32,
    /// The keyboard focus ring.
    pub focus: Color32,
    /// A button's fill at rest.
    pub button: Color32,
    /// A button's fill while hovered.
    pub button_hover: Color32,
    /// A button's fill while pressed or focused.
    pub button_active: Color32,
    /// Background of selected items and selected text.
    pub selection: Color32,
    /// Text on [`Self::selection`].
    pub on_selection: Color32,
    /// Post-it paper: the first for notes in no theme, the others one per theme.
    pub notes: [Color32; 6],
    /// Text written on a post-it.
    pub note_text: Color32,
    /// Secondary text on a post-it (who wrote it).
    pub note_dim: Color32,
    /// Outline of the buttons on a post-it (3:1 against every paper).
    pub note_border: Color32,
}

/// The light theme's colours.
pub const LIGHT: Palette = Palette {
    dark: false,
    panel: Color32::from_rgb(0xF4, 0xF5, 0xF7),
    surface: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    window: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    field: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    text: Color32::from_rgb(0x1D, 0x21, 0x27),
    text_dim: Color32::from_rgb(0x54, 0x5B, 0x64),
    link: Color32::from_rgb(0x0A, 0x58, 0xA8),
    accent: Color32::from_rgb(0x17, 0x69, 0x5A),
    accent_hover: Color32::from_rgb(0x12, 0x55, 0x48),
    on_accent: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    error: Color32::from_rgb(0xB0, 0x24, 0x1B),
    warning: Color32::from_rgb(0x8A, 0x4F, 0x00),
    success: Color32::from_rgb(0x1B, 0x6E, 0x30),
    border: Color32::from_rgb(0x7A, 0x82, 0x8C),
    separator: Color32::from_rgb(0xD3, 0xD7, 0xDC),
    focus: Color32::from_rgb(0x0A, 0x58, 0xA8),
    button: Color32::from_rgb(0xE4, 0xE7, 0xEB),
    button_hover: Color32::from_rgb(0xD5, 0xDA, 0xE0),
    button_active: Color32::from_rgb(0xCF, 0xD5, 0xDC),
    selection: Color32::from_rgb(0xCD, 0xE2, 0xF8),
    on_selection: Color32::from_rgb(0x0B, 0x25, 0x40),
    notes: [
        Color32::from_rgb(0xFF, 0xF0, 0xA3),
        Color32::from_rgb(0xD3, 0xE5, 0xFA),
        Color32::from_rgb(0xD4, 0xEE, 0xD6),
        Color32::from_rgb(0xF9, 0xD2, 0xDF),
        Color32::from_rgb(0xE5, 0xD4, 0xF0),
        Color32::from_rgb(0xFF, 0xDA, 0xC8),
    ],
    note_text: Color32::from_rgb(0x1D, 0x21, 0x27),
    note_dim: Color32::from_rgb(0x45, 0x4B, 0x52),
    note_border: Color32::from_rgb(0x6B, 0x70, 0x78),
};

/// The dark theme's colours.
pub const DARK: Palette = Palette {
    dark: true,
    panel: Color32::from_rgb(0x1A, 0x1C, 0x20),
    surface: Color32::from_rgb(0x24, 0x27, 0x2D),
    window: Color32::from_rgb(0x22, 0x25, 0x2A),
    field: Color32::from_rgb(0x11, 0x13, 0x16),
    text: Color32::from_rgb(0xE8, 0xEA, 0xED),
    text_dim: Color32::from_rgb(0xB1, 0xB8, 0xC2),
    link: Color32::from_rgb(0x7D, 0xBB, 0xFF),
    accent: Color32::from_rgb(0x5C, 0xC2, 0xAA),
    accent_hover: Color32::from_rgb(0x7A, 0xD3, 0xBE),
    on_accent: Color32::from_rgb(0x0E, 0x1A, 0x17),
    error: Color32::from_rgb(0xFF, 0x8F, 0x85),
    warning: Color32::from_rgb(0xF0, 0xB4, 0x4C),
    success: Color32::from_rgb(0x72, 0xD0, 0x8A),
    border: Color32::from_rgb(0x83, 0x8B, 0x96),
    separator: Color32::from_rgb(0x3A, 0x3F, 0x46),
    focus: Color32::from_rgb(0x7D, 0xBB, 0xFF),
    button: Color32::from_rgb(0x30, 0x34, 0x3B),
    button_hover: Color32::from_rgb(0x3B, 0x40, 0x48),
    button_active: Color32::from_rgb(0x3F, 0x44, 0x4C),
    selection: Color32::from_rgb(0x1E, 0x4C, 0x7A),
    on_selection: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    // Post-its stay paper-coloured in the dark, a little dimmer so they do not glare.
    notes: [
        Color32::from_rgb(0xE9, 0xD7, 0x7A),
        Color32::from_rgb(0xA9, 0xC8, 0xEC),
        Color32::from_rgb(0xAD, 0xD8, 0xB1),
        Color32::from_rgb(0xE9, 0xB1, 0xC4),
        Color32::from_rgb(0xCD, 0xB4, 0xDE),
        Color32::from_rgb(0xEF, 0xB9, 0x9E),
    ],
    note_text: Color32::from_rgb(0x14, 0x17, 0x1B),
    note_dim: Color32::from_rgb(0x33, 0x38, 0x3E),
    note_border: Color32::from_rgb(0x4A, 0x50, 0x57),
};

/// The palette of a theme.
pub fn palette_of(theme: Theme) -> &'static Palette {
    match theme {
        Theme::Dark => &DARK,
        Theme::Light => &LIGHT,
    }
}

/// The palette of the theme `ui` is drawn in.
pub fn palette(ui: &Ui) -> &'static Palette {
    if ui.visuals().dark_mode {
        &DARK
    } else {
        &LIGHT
    }
}

/// The type scale, in points at 100% text size.
pub mod font {
    /// Small print: who wrote a note, counts under a chart.
    pub const SMALL: f32 = 12.0;
    /// Body text, labels and fields.
    pub const BODY: f32 = 14.0;
    /// Button text.
    pub const BUTTON: f32 = 14.0;
    /// Code and invite tickets.
    pub const MONO: f32 = 13.0;
    /// A section's heading inside a screen (a theme on the board, "Coming up").
    pub const SUBHEADING: f32 = 16.0;
    /// A screen's heading.
    pub const HEADING: f32 = 20.0;
    /// The welcome page's title.
    pub const TITLE: f32 = 28.0;
}

/// Spacing, in points: multiples of four.
pub mod space {
    /// Between an icon and its text, inside a tight group.
    pub const XS: f32 = 2.0;
    /// Inside small controls.
    pub const S: f32 = 4.0;
    /// Between related items; a card's inner margin.
    pub const M: f32 = 8.0;
    /// Between groups inside a section.
    pub const L: f32 = 12.0;
    /// Between sections.
    pub const XL: f32 = 16.0;
    /// Around a page's main block (the welcome page).
    pub const XXL: f32 = 24.0;
}

/// Corner radii, in points.
pub mod radius {
    /// Check boxes, small tags.
    pub const SMALL: u8 = 4;
    /// Buttons and fields.
    pub const MEDIUM: u8 = 6;
    /// Cards, post-its, dialogs.
    pub const LARGE: u8 = 8;
}

/// Elevation: the shadows under things that float above the page.
pub mod elevation {
    use egui::{Color32, Shadow};

    /// Under menus, combo boxes and tooltips.
    pub fn popup(dark: bool) -> Shadow {
        Shadow {
            offset: [0, 4],
            blur: 12,
            spread: 0,
            color: Color32::from_black_alpha(if dark { 110 } else { 40 }),
        }
    }

    /// Under dialogs (search, invite, summary).
    pub fn dialog(dark: bool) -> Shadow {
        Shadow {
            offset: [0, 8],
            blur: 24,
            spread: 0,
            color: Color32::from_black_alpha(if dark { 140 } else { 50 }),
        }
    }
}

/// The dark modules of a QR code: always black on white, whatever the theme, so phones read it.
pub const QR_DARK: Color32 = Color32::BLACK;
/// The light modules and quiet zone of a QR code.
pub const QR_LIGHT: Color32 = Color32::WHITE;

/// The smallest size of anything you click, in points (WCAG 2.2 target size: 24).
pub const TARGET: f32 = 26.0;

/// Width of the focus ring and of a focused field's outline.
pub const FOCUS_WIDTH: f32 = 2.0;

/// The height of one row of a list (a selectable line, a check box row): what
/// `ScrollArea::show_rows` needs to know so long lists scroll to their end.
pub fn row_height(ui: &Ui) -> f32 {
    ui.spacing()
        .interact_size
        .y
        .max(ui.text_style_height(&TextStyle::Body))
}

/// egui's visuals for a theme, built from its [`Palette`].
pub fn visuals(theme: Theme) -> Visuals {
    let p = palette_of(theme);
    let mut v = match theme {
        Theme::Dark => Visuals::dark(),
        Theme::Light => Visuals::light(),
    };
    let medium = CornerRadius::same(radius::MEDIUM);
    let border = Stroke::new(1.0, p.border);
    let focus = Stroke::new(FOCUS_WIDTH, p.focus);

    let w = &mut v.widgets;
    w.noninteractive.bg_fill = p.panel;
    w.noninteractive.weak_bg_fill = p.panel;
    w.noninteractive.bg_stroke = Stroke::new(1.0, p.separator);
    w.noninteractive.fg_stroke = Stroke::new(1.0, p.text);
    w.noninteractive.corner_radius = CornerRadius::same(radius::SMALL);

    w.inactive.bg_fill = p.field;
    w.inactive.weak_bg_fill = p.button;
    w.inactive.bg_stroke = border;
    w.inactive.fg_stroke = Stroke::new(1.0, p.text);
    w.inactive.corner_radius = medium;

    w.hovered.bg_fill = p.field;
    w.hovered.weak_bg_fill = p.button_hover;
    w.hovered.bg_stroke = Stroke::new(1.0, p.text_dim);
    w.hovered.fg_stroke = Stroke::new(1.5, p.text);
    w.hovered.corner_radius = medium;

    // Pressed, and also focused: the ring is the focus colour.
    w.active.bg_fill = p.field;
    w.active.weak_bg_fill = p.button_active;
    w.active.bg_stroke = focus;
    w.active.fg_stroke = Stroke::new(2.0, p.text);
    w.active.corner_radius = medium;

    w.open.bg_fill = p.window;
    w.open.weak_bg_fill = p.button_hover;
    w.open.bg_stroke = border;
    w.open.fg_stroke = Stroke::new(1.0, p.text);
    w.open.corner_radius = medium;

    v.override_text_color = None;
    v.weak_text_color = Some(p.text_dim);
    v.selection.bg_fill = p.selection;
    // The text of selected items, and the outline of a focused text field.
    v.selection.stroke = Stroke::new(FOCUS_WIDTH, p.on_selection);
    v.hyperlink_color = p.link;
    v.faint_bg_color = p.surface;
    v.extreme_bg_color = p.field;
    v.text_edit_bg_color = Some(p.field);
    v.code_bg_color = p.surface;
    v.warn_fg_color = p.warning;
    v.error_fg_color = p.error;
    v.window_fill = p.window;
    v.window_stroke = Stroke::new(1.0, p.separator);
    v.window_corner_radius = CornerRadius::same(radius::LARGE);
    v.window_shadow = elevation::dialog(p.dark);
    v.menu_corner_radius = CornerRadius::same(radius::LARGE);
    v.popup_shadow = elevation::popup(p.dark);
    v.panel_fill = p.panel;
    v.text_cursor.stroke = Stroke::new(2.0, p.text);
    v.striped = false;
    v
}

/// The whole style of a theme: [`visuals`] plus the type scale and spacing.
pub fn style(theme: Theme) -> Style {
    let mut style = Style {
        visuals: visuals(theme),
        ..Style::default()
    };
    style.text_styles = [
        (
            TextStyle::Small,
            FontId::new(font::SMALL, FontFamily::Proportional),
        ),
        (
            TextStyle::Body,
            FontId::new(font::BODY, FontFamily::Proportional),
        ),
        (
            TextStyle::Button,
            FontId::new(font::BUTTON, FontFamily::Proportional),
        ),
        (
            TextStyle::Monospace,
            FontId::new(font::MONO, FontFamily::Monospace),
        ),
        (
            TextStyle::Heading,
            FontId::new(font::HEADING, FontFamily::Proportional),
        ),
    ]
    .into();
    let s = &mut style.spacing;
    s.item_spacing = egui::vec2(space::M, space::S + space::XS);
    s.button_padding = egui::vec2(space::M, space::S);
    s.interact_size.y = TARGET;
    s.icon_width = 16.0;
    s.icon_width_inner = 10.0;
    s.window_margin = Margin::same(space::XL as i8);
    s.menu_margin = Margin::same(space::M as i8);
    s.indent = space::XL + space::S;
    style
}

/// Installs the light and dark styles on `ctx`; the theme preference picks between them.
pub fn apply(ctx: &Context) {
    ctx.set_style_of(Theme::Light, style(Theme::Light));
    ctx.set_style_of(Theme::Dark, style(Theme::Dark));
}

/// A post-it's paper colour: yellow for notes in no theme, one colour per theme otherwise
/// (`theme_key` is the theme's id, hashed so each theme keeps its colour).
pub fn note_fill(palette: &Palette, theme_key: Option<&str>) -> Color32 {
    match theme_key {
        None => palette.notes[0],
        Some(key) => {
            let hash = key
                .bytes()
                .fold(0_usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
            palette.notes[1 + hash % (palette.notes.len() - 1)]
        }
    }
}

/// Turns `visuals` into those of a post-it of colour `paper`: dark text, and buttons and
/// fields outlined so they stand out 3:1 from the paper, in either theme.
pub fn note_visuals(visuals: &mut Visuals, palette: &Palette, paper: Color32) {
    let text = Stroke::new(1.0, palette.note_text);
    let outline = Stroke::new(1.0, palette.note_border);
    let ring = Stroke::new(FOCUS_WIDTH, palette.note_text);
    let w = &mut visuals.widgets;
    for (state, fill, stroke) in [
        (&mut w.noninteractive, paper, outline),
        (&mut w.inactive, paper, outline),
        (&mut w.hovered, paper, ring),
        (&mut w.active, paper, ring),
        (&mut w.open, paper, ring),
    ] {
        state.weak_bg_fill = fill;
        state.bg_fill = LIGHT.field;
        state.bg_stroke = stroke;
        state.fg_stroke = text;
    }
    visuals.override_text_color = Some(palette.note_text);
    visuals.weak_text_color = Some(palette.note_dim);
    visuals.text_edit_bg_color = Some(LIGHT.field);
    visuals.extreme_bg_color = LIGHT.field;
    visuals.selection.bg_fill = LIGHT.selection;
    visuals.selection.stroke = ring;
}

/// A problem with a whole form ("that date is not a date"), said in words with an icon,
/// not by colour alone, and announced by screen readers as text.
pub fn form_error(ui: &mut Ui, message: &str) -> Response {
    let colour = palette(ui).error;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("⚠").color(colour));
        ui.add(egui::Label::new(RichText::new(message).color(colour)).wrap())
    })
    .inner
}

/// A problem with one field: outlines `field` in the error colour and writes `message`
/// under it; screen readers read the message as the field's description.
pub fn field_error(ui: &mut Ui, field: &Response, message: &str) -> Response {
    let colour = palette(ui).error;
    ui.painter().rect_stroke(
        field.rect.expand(1.0),
        CornerRadius::same(radius::MEDIUM),
        Stroke::new(FOCUS_WIDTH, colour),
        egui::StrokeKind::Outside,
    );
    let text = message.to_owned();
    ui.ctx()
        .accesskit_node_builder(field.id, move |node| node.set_description(text));
    form_error(ui, message)
}

/// What an empty list shows: what would be here, and the next step. Returns whether the
/// step's button (if any) was clicked.
pub fn empty_state(ui: &mut Ui, what: &str, next_step: &str, button: Option<&str>) -> bool {
    let p = palette(ui);
    let mut clicked = false;
    egui::Frame::new()
        .fill(p.surface)
        .stroke(Stroke::new(1.0, p.separator))
        .corner_radius(CornerRadius::same(radius::LARGE))
        .inner_margin(Margin::same(space::L as i8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(what).strong());
            ui.add(egui::Label::new(RichText::new(next_step).color(p.text_dim)).wrap());
            if let Some(button) = button {
                clicked = ui.button(button).clicked();
            }
        });
    clicked
}

/// WCAG 2.x relative luminance of an sRGB colour (alpha ignored), from 0 (black) to 1.
pub fn relative_luminance(colour: Color32) -> f64 {
    fn channel(value: u8) -> f64 {
        let c = f64::from(value) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    let [r, g, b, _] = colour.to_srgba_unmultiplied();
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// WCAG 2.x contrast ratio of two colours, from 1 (the same) to 21 (black on white).
pub fn contrast_ratio(a: Color32, b: Color32) -> f64 {
    let (la, lb) = (relative_luminance(a), relative_luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}
