//! Every screen of the sample community fits: in a 900×600 window, and at 200% text in a
//! 1280×800 window (640×400 points), in the light and the dark theme, no control or text
//! lies outside the window, is cut off by the edge of its panel, or overlaps another.
//!
//! The widgets are those of the accessibility tree (what a screen reader reaches: buttons,
//! labels, fields, check boxes…); their rectangles, and what their parents clip them to,
//! come from egui. Containers (panels, frames, scroll areas) are not widgets here, since
//! they contain the rest; scroll bars and the panels' resize handles float over content
//! by design, and so does a dialog over the page (only widgets on one layer can overlap). Content scrolled out of a scroll area's view is fine when that scroll area
//! can scroll (it has a scroll bar); content cut off without one is not.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use commonroom_ui::{CommonroomApp, Prefs, Tab};
use egui::accesskit::Role;
use egui::{Rect, ThemePreference, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use support::{Peer, open_sample, wait_for};

/// A window to check in.
#[derive(Clone, Copy, Debug)]
struct Window {
    /// The window's size in physical pixels.
    pixels: Vec2,
    /// Text and widget scale (1.0 = 100%).
    zoom: f32,
    theme: ThemePreference,
}

impl Window {
    /// The window's size in points, what egui lays out in.
    fn points(self) -> Vec2 {
        self.pixels / self.zoom
    }
}

/// Widgets closer than this are touching, not overlapping (rounding, stroke widths).
const SLACK: f32 = 1.0;

/// One widget as laid out.
#[derive(Clone, Debug)]
struct Widget {
    what: String,
    /// The whole widget.
    rect: Rect,
    /// The part its parents let it paint (after clipping), in window coordinates.
    shown: Rect,
    /// The layer it is painted on: a dialog covers the page under it, by design.
    layer: egui::LayerId,
    /// Its own accessibility id, and those of its ancestors.
    id: u64,
    ancestors: Vec<u64>,
    /// Whether an ancestor can scroll vertically (has a scroll bar).
    scrolls: bool,
}

/// Roles that contain other widgets or float over them by design.
fn is_container(role: Role) -> bool {
    matches!(
        role,
        Role::Window
            | Role::GenericContainer
            | Role::Pane
            | Role::Group
            | Role::Dialog
            | Role::Menu
            | Role::MenuBar
            | Role::ScrollView
            | Role::ScrollBar
            | Role::Splitter
            | Role::Tooltip
            | Role::Unknown
    )
}

/// The node's id within its tree: the egui id's value.
fn local_id(id: impl Into<u128>) -> u64 {
    support::node_id(id).0
}

fn egui_id(node_id: u64) -> egui::Id {
    support::egui_id(egui::accesskit::NodeId(node_id))
}

/// The widgets of the last frame, with their rectangles and clipping.
fn widgets<S>(harness: &Harness<'_, S>) -> Vec<Widget> {
    let ctx = harness.ctx.clone();
    let mut found = Vec::new();
    let root = harness.root();
    for node in root.children_recursive() {
        let ak = node.accesskit_node();
        // A label's text runs are part of the label.
        if is_container(ak.role()) || ak.role() == Role::TextRun {
            continue;
        }
        let id = local_id(ak.id());
        let Some(response) = ctx.read_response(egui_id(id)) else {
            continue;
        };
        let to_global = ctx
            .layer_transform_to_global(response.layer_id)
            .unwrap_or_default();
        let rect = to_global * response.rect;
        let shown = to_global * response.interact_rect;
        if !rect.is_positive() {
            continue; // Nothing drawn (an empty label, a zero-size spacer).
        }
        let mut scrolls = false;
        let mut ancestors = Vec::new();
        let mut up = ak.parent();
        while let Some(parent) = up {
            ancestors.push(local_id(parent.id()));
            scrolls |= parent.children().any(|c| {
                c.role() == Role::ScrollBar
                    && ctx
                        .read_response(egui_id(local_id(c.id())))
                        .is_some_and(|r| r.rect.height() > r.rect.width())
            });
            up = parent.parent();
        }
        let name = ak
            .label()
            .or_else(|| ak.value().map(|v| v.to_string()))
            .unwrap_or_default();
        found.push(Widget {
            what: format!("{:?} {:?}", ak.role(), truncate(&name)),
            rect,
            shown,
            layer: response.layer_id,
            id,
            ancestors,
            scrolls,
        });
    }
    found
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// The narrowest and lowest a panel may be (a side bar, a list, the page).
const MIN_PANEL: Vec2 = Vec2::new(100.0, 30.0);
/// The lowest a scrolling list's view may be: a few rows.
const MIN_VIEW_HEIGHT: f32 = 60.0;

/// Panels and scrolling views squeezed into slivers.
fn slivers<S>(harness: &Harness<'_, S>) -> Vec<String> {
    let ctx = &harness.ctx;
    let mut found = Vec::new();
    for node in harness.root().children_recursive() {
        let ak = node.accesskit_node();
        let Some(response) = ctx.read_response(egui_id(local_id(ak.id()))) else {
            continue;
        };
        let shown = response.interact_rect;
        match ak.role() {
            Role::Pane if shown.width() < MIN_PANEL.x || shown.height() < MIN_PANEL.y => {
                found.push(format!("a panel is squeezed to {:?}", shown.size()));
            }
            Role::ScrollBar
                if response.rect.height() > response.rect.width()
                    && shown.height() < MIN_VIEW_HEIGHT =>
            {
                found.push(format!(
                    "a list scrolls in a view {:?} high",
                    shown.height()
                ));
            }
            _ => {}
        }
    }
    found
}

/// What is wrong with the layout of the last frame: widgets outside the window, cut off,
/// or overlapping. Also returns how many widgets were visible.
fn problems<S>(harness: &Harness<'_, S>, window: Rect) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut visible = Vec::new();
    for w in widgets(harness) {
        // Outside the window: any part of the widget past its edges.
        if !window.expand(SLACK).contains_rect(w.rect) && !w.scrolls {
            problems.push(format!("{} at {:?} is outside the window", w.what, w.rect));
            continue;
        }
        // Cut off sideways: nothing in this app scrolls horizontally, so a widget wider
        // than its panel has lost content.
        if w.shown.is_positive()
            && (w.shown.min.x > w.rect.min.x + SLACK || w.shown.max.x < w.rect.max.x - SLACK)
        {
            problems.push(format!(
                "{} at {:?} is cut off at the side (shows {:?})",
                w.what, w.rect, w.shown
            ));
            continue;
        }
        // Cut off at the top or bottom: fine inside something that scrolls.
        let cut_vertically =
            w.shown.min.y > w.rect.min.y + SLACK || w.shown.max.y < w.rect.max.y - SLACK;
        if cut_vertically && !w.scrolls {
            problems.push(format!(
                "{} at {:?} is cut off with no way to scroll to it (shows {:?})",
                w.what, w.rect, w.shown
            ));
            continue;
        }
        if w.shown.is_positive() {
            visible.push(w);
        }
    }
    for sliver in slivers(harness) {
        problems.push(sliver);
    }
    for (i, a) in visible.iter().enumerate() {
        for b in &visible[i + 1..] {
            let overlap = a.shown.intersect(b.shown);
            // A widget inside another (an icon in a button) is not overlapping it.
            let nested = a.ancestors.contains(&b.id) || b.ancestors.contains(&a.id);
            if !nested && a.layer == b.layer && overlap.width() > SLACK && overlap.height() > SLACK
            {
                problems.push(format!(
                    "{} at {:?} overlaps {} at {:?}",
                    a.what, a.shown, b.what, b.shown
                ));
            }
        }
    }
    (problems, visible.len())
}

/// How wide the detail panel at the right of the page is.
fn detail_width<S>(harness: &Harness<'_, S>) -> f32 {
    let screen = harness.ctx.content_rect();
    harness
        .root()
        .children_recursive()
        .filter(|node| node.accesskit_node().role() == Role::Pane)
        .filter_map(|node| {
            harness
                .ctx
                .read_response(egui_id(local_id(node.accesskit_node().id())))
        })
        .map(|response| response.rect)
        .filter(|rect| {
            (rect.right() - screen.right()).abs() < 20.0 && rect.left() > screen.width() * 0.3
        })
        .map(|rect| rect.width())
        .fold(0.0, f32::max)
}

/// Draws a few frames so panels and wrapped rows settle, then checks.
fn check_screen(
    harness: &mut Harness<'_, CommonroomApp>,
    window: Window,
    screen: &str,
    report: &mut Vec<String>,
) {
    for _ in 0..4 {
        harness.step();
    }
    let bounds = Rect::from_min_size(egui::Pos2::ZERO, window.points());
    let shown = harness.ctx.content_rect();
    assert!(
        (shown.size() - window.points()).length() < 1.0,
        "{screen}: the window is {:?} points, expected {:?}",
        shown.size(),
        window.points()
    );
    let (found, visible) = problems(harness, bounds);
    assert!(
        visible >= 5,
        "{screen} in {window:?}: only {visible} widgets visible, the check would be empty"
    );
    println!("{screen} ({window:?}): {visible} widgets checked");
    for problem in found {
        report.push(format!("{screen} ({window:?}): {problem}"));
    }
}

/// Walks every screen of the sample community in `window`, returning what is wrong.
fn walk(window: Window) -> Vec<String> {
    let peer = Peer::start();
    let prefs = Prefs {
        theme: window.theme,
        zoom: window.zoom,
        ..Prefs::default()
    };
    // The harness's size is the window's, before the app's text scale divides it.
    let mut app = peer.app_with(prefs, window.pixels);
    let mut report = Vec::new();
    wait_for(&mut app, "the first-run page", |h| {
        support::shows(h, "Explore a sample community")
    });
    check_screen(&mut app, window, "First run", &mut report);
    open_sample(&mut app);
    let view = app.state().view().unwrap();
    let community = app.state().current().cloned().unwrap();
    for tab in Tab::ALL {
        app.state_mut().show(&community, tab);
        check_screen(&mut app, window, tab.title(), &mut report);
    }
    // The detail panels with something selected, and the events' month view.
    // Profiles of different lengths: the panel keeps its width from one to the next.
    let mut widths = Vec::new();
    for member in view.active_members() {
        app.state_mut()
            .screens_mut()
            .select(Tab::Members, member.id.to_string());
        app.state_mut().show(&community, Tab::Members);
        check_screen(&mut app, window, "Members (a profile)", &mut report);
        widths.push((member.name.clone(), detail_width(&app)));
    }
    let first = widths.first().map(|(_, w)| *w);
    assert!(first.is_some_and(|w| w > 100.0), "{widths:?}");
    for (name, width) in &widths {
        if (width - first.unwrap_or_default()).abs() > SLACK {
            report.push(format!(
                "Members ({window:?}): the profile panel is {width} wide for {name}, not {first:?}"
            ));
        }
    }
    if let Some(resource) = view.resources.values().next() {
        app.state_mut()
            .screens_mut()
            .select(Tab::Resources, resource.id.to_string());
        app.state_mut().show(&community, Tab::Resources);
        check_screen(&mut app, window, "Resources (one open)", &mut report);
    }
    if let Some(theme) = view.live_themes().first() {
        app.state_mut()
            .screens_mut()
            .select(Tab::Themes, theme.id.to_string());
        app.state_mut().show(&community, Tab::Themes);
        check_screen(&mut app, window, "Themes (one open)", &mut report);
    }
    app.state_mut().show(&community, Tab::Events);
    app.state_mut().screens_mut().events.layout = commonroom_ui::screens::events::Layout::Month;
    check_screen(&mut app, window, "Events (month)", &mut report);
    // The search dialog (Ctrl+K) over a screen, with results.
    app.state_mut().show(&community, Tab::Home);
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    app.step();
    app.get_by_role(Role::TextInput).type_text("family");
    check_screen(&mut app, window, "Search dialog", &mut report);
    report
}

fn assert_fits(window: Window) {
    let report = walk(window);
    assert!(
        report.is_empty(),
        "{} layout problems:\n{}",
        report.len(),
        report.join("\n")
    );
}

const SMALL_WINDOW: Vec2 = Vec2::new(900.0, 600.0);
const LAPTOP: Vec2 = Vec2::new(1280.0, 800.0);

#[test]
fn every_screen_fits_a_900x600_window_light() {
    assert_fits(Window {
        pixels: SMALL_WINDOW,
        zoom: 1.0,
        theme: ThemePreference::Light,
    });
}

#[test]
fn every_screen_fits_a_900x600_window_dark() {
    assert_fits(Window {
        pixels: SMALL_WINDOW,
        zoom: 1.0,
        theme: ThemePreference::Dark,
    });
}

#[test]
fn every_screen_fits_at_200_percent_text_light() {
    assert_fits(Window {
        pixels: LAPTOP,
        zoom: 2.0,
        theme: ThemePreference::Light,
    });
}

#[test]
fn every_screen_fits_at_200_percent_text_dark() {
    assert_fits(Window {
        pixels: LAPTOP,
        zoom: 2.0,
        theme: ThemePreference::Dark,
    });
}

/// The check finds what it looks for: a button off the edge, two on top of each other,
/// text cut off with no scroll bar, a panel squeezed to a sliver; and passes a tidy row.
#[test]
fn the_check_finds_broken_layouts() {
    let window = Rect::from_min_size(egui::Pos2::ZERO, Vec2::new(300.0, 200.0));
    let broken = |ui: &mut egui::Ui| {
        ui.horizontal(|ui| {
            let _ = ui.button("Fine");
            let _ = ui.put(
                Rect::from_min_size(egui::pos2(280.0, 10.0), Vec2::new(60.0, 20.0)),
                egui::Button::new("Off the edge"),
            );
        });
        let _ = ui.put(
            Rect::from_min_size(egui::pos2(10.0, 60.0), Vec2::new(80.0, 20.0)),
            egui::Button::new("Under"),
        );
        let _ = ui.put(
            Rect::from_min_size(egui::pos2(40.0, 65.0), Vec2::new(80.0, 20.0)),
            egui::Button::new("Over"),
        );
        let mut clipped = ui.new_child(egui::UiBuilder::new().max_rect(Rect::from_min_size(
            egui::pos2(10.0, 120.0),
            Vec2::new(100.0, 20.0),
        )));
        clipped.set_clip_rect(Rect::from_min_size(
            egui::pos2(10.0, 120.0),
            Vec2::new(100.0, 10.0),
        ));
        clipped.label("Half hidden");
        let mut narrow = ui.new_child(egui::UiBuilder::new().max_rect(Rect::from_min_size(
            egui::pos2(150.0, 150.0),
            Vec2::new(140.0, 20.0),
        )));
        narrow.set_clip_rect(Rect::from_min_size(
            egui::pos2(150.0, 150.0),
            Vec2::new(30.0, 20.0),
        ));
        narrow.label("Cut at the side");
    };
    let mut harness = Harness::builder().with_size(window.size()).build_ui(broken);
    harness.step();
    harness.step();
    let (found, _) = problems(&harness, window);
    let text = found.join("\n");
    assert!(
        text.contains("\"Off the edge\"") && text.contains("outside the window"),
        "{text}"
    );
    assert!(
        text.contains("\"Under\"") && text.contains("overlaps"),
        "{text}"
    );
    assert!(
        text.contains("\"Half hidden\"") && text.contains("no way to scroll"),
        "{text}"
    );
    assert!(
        text.contains("\"Cut at the side\"") && text.contains("cut off at the side"),
        "{text}"
    );
    assert!(!text.contains("\"Fine\""), "{text}");

    let squeezed = |ui: &mut egui::Ui| {
        egui::Panel::left("sliver")
            .exact_size(40.0)
            .show(ui, |ui| ui.label("Tabs"));
        egui::CentralPanel::default_margins().show(ui, |ui| ui.label("Page"));
    };
    let mut harness = Harness::builder()
        .with_size(window.size())
        .build_ui(squeezed);
    harness.step();
    harness.step();
    let (found, _) = problems(&harness, window);
    assert!(
        found.iter().any(|p| p.contains("a panel is squeezed")),
        "{found:?}"
    );

    let tidy = |ui: &mut egui::Ui| {
        ui.horizontal_wrapped(|ui| {
            for name in ["One", "Two", "Three", "Four", "Five", "Six"] {
                let _ = ui.button(name);
            }
        });
        ui.label("Some text under the buttons");
    };
    let mut harness = Harness::builder().with_size(window.size()).build_ui(tidy);
    harness.step();
    harness.step();
    let (found, visible) = problems(&harness, window);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(visible, 7);
}
