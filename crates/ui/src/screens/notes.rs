//! The post-it board: notes of one event (or all), added in a line (optionally anonymous),
//! clustered into themes by drag and drop or the card's menu.
//!
//! The board is virtualised: notes are laid out in rows of cards under their theme's
//! header, and only the rows inside the visible part of the scroll area are built.

use std::collections::BTreeMap;

use commonroom_model::automerge::ChangeHash;
use commonroom_model::commands::{NewNote, NotePatch};
use commonroom_model::entities::Note;
use commonroom_model::{Command, EntityKind, EventId, NoteId, ThemeId};
use egui::{Rect, RichText, Sense, Ui, UiBuilder, Vec2};

use crate::here::Here;
use crate::widgets::primary_button;

/// A note card's size.
const CARD: Vec2 = Vec2::new(200.0, 96.0);
/// Space between cards.
const GAP: f32 = crate::theme::space::M;
/// A theme header's height.
const HEADER: f32 = 30.0;

/// The new-note box, for text given back by a note that was not saved.
const NEW_NOTE_FIELD: &str = "notes.new";
/// A note's edit box, for text given back by an edit that was not saved.
const EDIT_FIELD: &str = "notes.edit";

/// What anonymity protects, said where the choice is made.
pub const ANONYMITY: &str = "An anonymous note is saved without your name, your member id or this laptop's key, \
and its time is rounded to the hour, so nobody reading the community (now or later) can tell who wrote it. \
It cannot hide you from people who saw you write it, from the laptops that first receive it from yours, \
or when the note is on a theme or event you have just created and not yet shared.";

/// What the board shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Event(EventId),
    All,
}

/// One laid-out row of the board.
#[derive(Clone, Debug)]
enum Row {
    /// A theme's header (`None`: notes not yet in a theme).
    Header(Option<ThemeId>, usize),
    /// Cards of one theme.
    Cards(Option<ThemeId>, Vec<NoteId>),
}

impl Row {
    fn height(&self) -> f32 {
        match self {
            Row::Header(..) => HEADER,
            Row::Cards(..) => CARD.y + GAP,
        }
    }

    fn theme(&self) -> Option<&ThemeId> {
        match self {
            Row::Header(t, _) | Row::Cards(t, _) => t.as_ref(),
        }
    }
}

/// The board laid out for one snapshot, scope and width (rebuilt when any changes).
struct Layout {
    key: (Vec<ChangeHash>, Scope, usize),
    rows: Vec<Row>,
    tops: Vec<f32>,
    height: f32,
}

/// A note being dragged.
#[derive(Clone, Debug)]
struct Dragged(NoteId);

/// The board's state.
#[derive(Default)]
pub struct NotesScreen {
    /// The event whose notes are shown (`None`: the latest event with notes).
    pub event: Option<EventId>,
    /// Show every note of the community.
    pub all: bool,
    /// The new note's text.
    pub draft: String,
    /// Write the new note anonymously.
    pub anonymous: bool,
    /// Put the cursor in the new-note box on the next frame.
    pub focus_new: bool,
    /// A note being edited, and its text.
    pub editing: Option<(NoteId, String)>,
    /// A note opened from search: its board is shown, scrolled to it, and it is outlined.
    pub focus: Option<NoteId>,
    /// The focused note still has to be scrolled into view.
    scroll_to_focus: bool,
    layout: Option<Layout>,
}

impl NotesScreen {
    /// What the board shows: every note, the event chosen, or (until one is chosen) the
    /// meeting under way or last held, so the board follows the live meeting.
    fn scope(&mut self, here: &Here<'_>) -> Scope {
        if self.all {
            return Scope::All;
        }
        if let Some(chosen) = self
            .event
            .as_ref()
            .filter(|e| here.view.events.contains_key(*e))
        {
            return Scope::Event(chosen.clone());
        }
        // The most recent event that has started, else the next one.
        let events = here.view.events_by_start();
        events
            .iter()
            .rev()
            .find(|e| e.start <= here.now)
            .or(events.first())
            .map_or(Scope::All, |e| Scope::Event(e.id.clone()))
    }

    /// Shows a note: its meeting's board (or every note, for one from no meeting), scrolled
    /// to it, with the note outlined.
    pub fn show_note(&mut self, note: NoteId) {
        self.focus = Some(note);
        self.scroll_to_focus = true;
        self.event = None;
    }

    /// Draws the board.
    pub fn notes_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        if self.scroll_to_focus
            && self.event.is_none()
            && let Some(note) = self.focus.as_ref().and_then(|id| here.view.notes.get(id))
        {
            match &note.event {
                Some(event) => {
                    self.event = Some(event.clone());
                    self.all = false;
                }
                None => self.all = true,
            }
        }
        if let Some(editing) = here.take_returned::<(NoteId, String)>(EDIT_FIELD) {
            // The edit was not saved: the note opens for editing again, as it was typed.
            self.editing = Some(editing);
        }
        let scope = self.scope(here);
        ui.horizontal_wrapped(|ui| {
            ui.heading("Notes");
            let label = ui.label("Board for");
            let shown = match &scope {
                Scope::All => "all notes".to_owned(),
                Scope::Event(e) => here
                    .view
                    .events
                    .get(e)
                    .map(|e| e.title.clone())
                    .unwrap_or_default(),
            };
            egui::ComboBox::from_id_salt("board_event")
                .selected_text(shown)
                .width(320.0_f32.min(ui.available_size_before_wrap().x.max(160.0)))
                .show_ui(ui, |ui| {
                    if ui.selectable_label(self.all, "all notes").clicked() {
                        self.all = true;
                    }
                    for event in here.view.events_by_start().into_iter().rev() {
                        let on = scope == Scope::Event(event.id.clone());
                        if ui.selectable_label(on, &event.title).clicked() {
                            self.all = false;
                            self.event = Some(event.id.clone());
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
        self.new_note_ui(ui, here, &scope);
        ui.separator();
        let per_row = ((ui.available_width() + GAP) / (CARD.x + GAP))
            .floor()
            .max(1.0) as usize;
        // Compared in place: the heads are only copied when the layout is rebuilt.
        let stale = self
            .layout
            .as_ref()
            .is_none_or(|l| l.key.0 != here.view.heads || l.key.1 != scope || l.key.2 != per_row);
        if stale {
            let key = (here.view.heads.clone(), scope.clone(), per_row);
            self.layout = Some(lay_out(here, &scope, per_row, key));
        }
        let Some(layout) = self.layout.take() else {
            return;
        };
        self.board_ui(ui, here, &layout);
        self.layout = Some(layout);
    }

    fn new_note_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, scope: &Scope) {
        if let Some(text) = here.take_returned::<String>(NEW_NOTE_FIELD) {
            // The note was not saved: its text goes back in the box, ahead of anything
            // typed since.
            let typed_since = self.draft.trim();
            self.draft = if typed_since.is_empty() {
                text
            } else {
                format!("{text} {typed_since}")
            };
        }
        if here.removal().is_some() {
            ui.label("You were removed from this community, so you can read its notes but no longer add any.");
            return;
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("New note");
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut self.draft)
                        .hint_text("one idea per note")
                        .desired_width(320.0_f32.min(ui.available_size_before_wrap().x.max(160.0))),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.focus_new) {
                response.request_focus();
            }
            ui.checkbox(&mut self.anonymous, "Anonymous")
                .on_hover_text(ANONYMITY);
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (primary_button(ui, "Add note").clicked() || enter) && !self.draft.trim().is_empty()
            {
                let event = match scope {
                    Scope::Event(e) => Some(e.clone()),
                    Scope::All => None,
                };
                here.send_keeping(
                    if self.anonymous {
                        "Anonymous note added"
                    } else {
                        "Note added"
                    },
                    Command::AddNote(NewNote {
                        id: NoteId::generate(),
                        text: self.draft.trim().into(),
                        event,
                        theme: None,
                        position: None,
                        anonymous: self.anonymous,
                    }),
                    NEW_NOTE_FIELD,
                    self.draft.trim().to_owned(),
                );
                self.draft.clear();
            }
        });
        if self.anonymous {
            ui.weak(ANONYMITY);
        }
    }

    fn board_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, layout: &Layout) {
        let mut area = egui::ScrollArea::vertical()
            .id_salt("notes_board")
            .auto_shrink(false);
        if self.scroll_to_focus
            && let Some(focus) = &self.focus
            && let Some(index) = layout
                .rows
                .iter()
                .position(|row| matches!(row, Row::Cards(_, notes) if notes.contains(focus)))
        {
            // The row above too, so its theme's heading shows.
            let top = layout.tops[index.saturating_sub(1)];
            area = area.vertical_scroll_offset(top);
            self.scroll_to_focus = false;
        }
        area.show_viewport(ui, |ui, viewport| {
            ui.set_height(layout.height);
            let origin = ui.min_rect().min;
            let first = layout
                .tops
                .partition_point(|top| *top < viewport.min.y - CARD.y - GAP);
            for (index, row) in layout.rows.iter().enumerate().skip(first.saturating_sub(1)) {
                let top = layout.tops[index];
                if top > viewport.max.y {
                    break;
                }
                let rect = Rect::from_min_size(
                    origin + Vec2::new(0.0, top),
                    Vec2::new(ui.available_width().max(CARD.x), row.height()),
                );
                self.row_ui(ui, here, row, rect);
            }
        });
    }

    fn row_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, row: &Row, rect: Rect) {
        let zone = ui.interact(
            rect,
            ui.scope_id().with(("row", rect.min.y as i64)),
            Sense::hover(),
        );
        if zone.dnd_hover_payload::<Dragged>().is_some() {
            ui.painter().rect_filled(
                rect,
                crate::theme::radius::SMALL,
                ui.visuals().selection.bg_fill.gamma_multiply(0.3),
            );
        }
        if let Some(dragged) = zone.dnd_release_payload::<Dragged>() {
            move_note(here, &dragged.0, row.theme());
        }
        let mut row_ui = ui.new_child(
            UiBuilder::new()
                .max_rect(rect)
                .layout(egui::Layout::left_to_right(egui::Align::Min)),
        );
        match row {
            Row::Header(theme, count) => {
                let name = theme
                    .as_ref()
                    .and_then(|t| here.view.themes.get(t))
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| "Not yet in a theme".into());
                row_ui.heading(
                    RichText::new(format!("{name} ({count})")).size(crate::theme::font::SUBHEADING),
                );
            }
            Row::Cards(_, notes) => {
                for id in notes {
                    if let Some(note) = here.view.notes.get(id) {
                        self.card_ui(&mut row_ui, here, note);
                    }
                }
            }
        }
    }

    fn card_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, note: &Note) {
        let (rect, _) = ui.allocate_exact_size(CARD, Sense::hover());
        let paper = note_colour(ui, note);
        ui.painter()
            .rect_filled(rect, crate::theme::radius::LARGE, paper);
        if self.focus.as_ref() == Some(&note.id) {
            // Opened from search: outlined so the eye finds it.
            let stroke = egui::Stroke::new(3.0, ui.visuals().selection.stroke.color);
            ui.painter().rect_stroke(
                rect.expand(2.0),
                crate::theme::radius::LARGE + 2,
                stroke,
                egui::StrokeKind::Outside,
            );
        }
        // Text, fields and buttons on the card take the post-it's own colours.
        let palette = crate::theme::palette(ui);
        crate::theme::note_visuals(ui.visuals_mut(), palette, paper);
        let body = Rect::from_min_max(rect.min, egui::pos2(rect.max.x, rect.max.y - 26.0));
        let footer = Rect::from_min_max(
            egui::pos2(rect.min.x + 6.0, rect.max.y - 26.0),
            rect.max - Vec2::new(6.0, 2.0),
        );
        let mut card = ui.new_child(UiBuilder::new().max_rect(body.shrink(6.0)));
        if let Some((editing, text)) = &mut self.editing
            && editing == &note.id
        {
            let label = card.label("Edit note");
            card.add(egui::TextEdit::multiline(text).desired_rows(1))
                .labelled_by(label.id);
            let mut footer = ui.new_child(
                UiBuilder::new()
                    .max_rect(footer)
                    .layout(egui::Layout::left_to_right(egui::Align::Center)),
            );
            let save = footer.small_button("Save").clicked();
            let cancel = footer.small_button("Cancel").clicked();
            if save {
                here.send_keeping(
                    "Note saved",
                    Command::EditNote(
                        note.id.clone(),
                        NotePatch {
                            text: Some(text.trim().into()),
                            ..Default::default()
                        },
                    ),
                    EDIT_FIELD,
                    (note.id.clone(), text.clone()),
                );
            }
            if save || cancel {
                self.editing = None;
            }
            return;
        }
        // The body is what you drag; the footer's menu is the keyboard and screen-reader way.
        card.dnd_drag_source(
            egui::Id::unique(("note", note.id.as_str())),
            Dragged(note.id.clone()),
            |ui| {
                ui.set_min_size(body.shrink(6.0).size());
                ui.add(
                    egui::Label::new(RichText::new(&note.text).color(palette.note_text))
                        .selectable(false)
                        .wrap(),
                );
            },
        );
        let mut footer = ui.new_child(
            UiBuilder::new()
                .max_rect(footer)
                .layout(egui::Layout::left_to_right(egui::Align::Center)),
        );
        let by = note
            .author
            .as_ref()
            .map(|a| here.view.member_name(a).to_owned())
            .unwrap_or_else(|| "anonymous".into());
        footer.label(RichText::new(by).small().color(palette.note_dim));
        footer.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.menu_button(RichText::new("Options").small(), |ui| {
                self.card_menu_ui(ui, here, note);
            })
            .response
            .on_hover_text("Note actions: edit, move to a theme, remove");
        });
    }

    fn card_menu_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, note: &Note) {
        if note.author.as_ref() == here.me && ui.button("Edit note").clicked() {
            self.editing = Some((note.id.clone(), note.text.clone()));
        }
        ui.menu_button("Move to theme", |ui| {
            if ui.button("Not yet in a theme").clicked() {
                move_note(here, &note.id, None);
            }
            for theme in here.view.live_themes() {
                if ui.button(&theme.name).clicked() {
                    move_note(here, &note.id, Some(&theme.id));
                }
            }
        });
        let own = note.author.is_some() && note.author.as_ref() == here.me;
        if own || here.can().moderate {
            let label = if own {
                "Remove note"
            } else {
                "Hide note (moderator)"
            };
            if ui.button(label).clicked() {
                here.send(
                    if own { "Note removed" } else { "Note hidden" },
                    Command::Delete(EntityKind::Note, note.id.to_string()),
                );
            }
        }
        if ui.button("History of this note").clicked() {
            here.go(
                crate::tabs::Tab::History,
                Some(format!("notes:{}", note.id)),
            );
        }
    }
}

/// The note's paper: post-it yellow in no theme, a colour per theme otherwise.
fn note_colour(ui: &Ui, note: &Note) -> egui::Color32 {
    crate::theme::note_fill(
        crate::theme::palette(ui),
        note.theme.as_ref().map(|t| t.as_str()),
    )
}

fn move_note(here: &mut Here<'_>, note: &NoteId, theme: Option<&ThemeId>) {
    let current = here.view.notes.get(note).and_then(|n| n.theme.as_ref());
    if current == theme {
        return;
    }
    let what = match theme.and_then(|t| here.view.themes.get(t)) {
        Some(t) => format!("Note moved to {}", t.name),
        None => "Note moved out of its theme".into(),
    };
    here.send(
        what,
        Command::EditNote(
            note.clone(),
            NotePatch {
                theme: Some(theme.cloned()),
                ..Default::default()
            },
        ),
    );
}

fn lay_out(
    here: &Here<'_>,
    scope: &Scope,
    per_row: usize,
    key: (Vec<ChangeHash>, Scope, usize),
) -> Layout {
    let view = here.view;
    let mut by_theme: BTreeMap<Option<&ThemeId>, Vec<&Note>> = BTreeMap::new();
    for theme in view.live_themes() {
        by_theme.entry(Some(&theme.id)).or_default();
    }
    by_theme.entry(None).or_default();
    for note in view.notes.values().filter(|n| !n.deleted) {
        let in_scope = match scope {
            Scope::All => true,
            Scope::Event(e) => note.event.as_ref() == Some(e),
        };
        if in_scope {
            let theme = note
                .theme
                .as_ref()
                .filter(|t| view.themes.get(*t).is_some_and(|t| !t.deleted));
            by_theme.entry(theme).or_default().push(note);
        }
    }
    // "Not yet in a theme" first, then themes by name.
    let mut sections: Vec<(Option<&ThemeId>, Vec<&Note>)> = by_theme.into_iter().collect();
    sections.sort_by_cached_key(|(theme, _)| {
        theme
            .map(|t| {
                (
                    1,
                    view.themes
                        .get(t)
                        .map(|t| t.name.to_lowercase())
                        .unwrap_or_default(),
                )
            })
            .unwrap_or((0, String::new()))
    });
    let mut rows = Vec::new();
    for (theme, mut notes) in sections {
        notes.sort_by_key(|n| (n.created_at, n.id.clone()));
        rows.push(Row::Header(theme.cloned(), notes.len()));
        for chunk in notes.chunks(per_row) {
            rows.push(Row::Cards(
                theme.cloned(),
                chunk.iter().map(|n| n.id.clone()).collect(),
            ));
        }
        if notes.is_empty() {
            // An empty theme still offers a row to drop notes into.
            rows.push(Row::Cards(theme.cloned(), Vec::new()));
        }
    }
    let mut tops = Vec::with_capacity(rows.len());
    let mut height = 0.0;
    for row in &rows {
        tops.push(height);
        height += row.height();
    }
    Layout {
        key,
        rows,
        tops,
        height,
    }
}
