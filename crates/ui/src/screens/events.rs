//! Events: a list (coming up and past) or a month calendar, the event page with RSVP and
//! check-in, and the create/edit form.

use chrono::{Datelike, Local, NaiveDate};
use commonroom_model::commands::{EventPatch, NewEvent};
use commonroom_model::entities::Event;
use commonroom_model::{Command, EntityKind, EventFormat, EventId, MemberId, RsvpAnswer};
use egui::{RichText, Ui};

use crate::here::Here;
use crate::tabs::Tab;
use crate::widgets::{
    card_frame, labelled_multiline, labelled_text, member_picker, parse_local, primary_button, when,
};

/// List or calendar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Coming up, then past.
    #[default]
    List,
    /// A month grid.
    Month,
}

/// The events screen's state.
#[derive(Default)]
pub struct EventsScreen {
    /// List or month.
    pub layout: Layout,
    /// The month shown in the calendar (first day), once chosen.
    pub month: Option<NaiveDate>,
    /// The selected event.
    pub selected: Option<EventId>,
    /// An event just saved, selected before its change has reached the view.
    saved: Option<EventId>,
    /// An open create or edit form.
    pub form: Option<EventForm>,
    /// The event whose summary window is open.
    pub summary: Option<EventId>,
    /// A proposed pairing round not yet recorded: the event and its groups.
    pub proposal: Option<(EventId, Vec<Vec<MemberId>>)>,
    /// The two people the facilitator wants to swap in the proposal.
    pub swap: (Option<MemberId>, Option<MemberId>),
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "events.form";
/// Below this width a month column shows two-letter day names and dots for events.
const NARROW_DAY: f32 = 72.0;

/// The create/edit event form.
#[derive(Clone, Debug, Default)]
pub struct EventForm {
    /// The event being edited (`None` creates one).
    pub editing: Option<EventId>,
    /// Title.
    pub title: String,
    /// Format.
    pub format: EventFormat,
    /// Date as typed (14/1/2027, 14 Jan 2027, 2027-01-14...).
    pub date: String,
    /// Start time, `HH:MM`.
    pub start: String,
    /// End time, `HH:MM`.
    pub end: String,
    /// Venue.
    pub venue: String,
    /// Agenda.
    pub agenda: String,
    /// Facilitator.
    pub facilitator: Option<MemberId>,
    /// Note-taker.
    pub note_taker: Option<MemberId>,
    /// The Hot Seat topic or the session's question.
    pub topic: String,
    /// A new form not yet given its defaults (agenda template, next facilitator).
    pub fresh: bool,
    /// Why the last save was refused.
    pub error: Option<String>,
}

impl EventForm {
    fn from_event(event: &Event) -> Self {
        let start = event.start.to_utc().with_timezone(&Local);
        Self {
            editing: Some(event.id.clone()),
            title: event.title.clone(),
            format: event.format.clone(),
            date: start.format("%-d/%-m/%Y").to_string(),
            start: start.format("%H:%M").to_string(),
            end: event
                .end
                .map(|e| e.to_utc().with_timezone(&Local).format("%H:%M").to_string())
                .unwrap_or_default(),
            venue: event.venue.clone().unwrap_or_default(),
            agenda: event.agenda.as_str().to_owned(),
            facilitator: event.facilitator.clone(),
            note_taker: event.note_taker.clone(),
            topic: event.topic.clone().unwrap_or_default(),
            fresh: false,
            error: None,
        }
    }
}

fn format_picker(ui: &mut Ui, format: &mut EventFormat) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Format");
        egui::ComboBox::from_id_salt("event_format")
            .selected_text(format.title().to_owned())
            .show_ui(ui, |ui| {
                for f in EventFormat::ALL {
                    ui.selectable_value(format, f.clone(), f.title());
                }
            })
            .response
            .labelled_by(label.id);
    });
}

impl EventsScreen {
    /// Opens an empty "new event" form (a week from today, 18:00–20:00).
    pub fn start_new(&mut self) {
        let day = Local::now().date_naive() + chrono::Days::new(7);
        self.form = Some(EventForm {
            date: day.format("%-d/%-m/%Y").to_string(),
            start: "18:00".into(),
            end: "20:00".into(),
            fresh: true,
            ..Default::default()
        });
    }

    /// Draws the events screen.
    pub fn events_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Events");
            if ui.button("➕ New event").on_hover_text("Ctrl+N").clicked() {
                self.start_new();
            }
            ui.separator();
            ui.selectable_value(&mut self.layout, Layout::List, "List");
            ui.selectable_value(&mut self.layout, Layout::Month, "Month");
        });
        ui.separator();
        if let Some(form) = here.take_returned::<EventForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(form) = &mut self.form {
            match form_ui(ui, form, here) {
                FormEnd::Open => {}
                FormEnd::Cancelled => self.form = None,
                FormEnd::Saved(id) => {
                    // The saved event is the one shown next.
                    self.form = None;
                    self.selected = Some(id.clone());
                    self.saved = Some(id);
                }
            }
            return;
        }
        if self
            .saved
            .as_ref()
            .is_some_and(|id| here.view.events.contains_key(id))
        {
            self.saved = None;
        }
        if self
            .selected
            .as_ref()
            .is_none_or(|id| !here.view.events.contains_key(id) && self.saved.as_ref() != Some(id))
        {
            // Show the next meeting (or the last one) rather than an empty page.
            self.selected = here
                .view
                .upcoming_events(here.now)
                .first()
                .or(here.view.past_events(here.now).first())
                .map(|e| e.id.clone());
        }
        crate::widgets::detail_panel(ui, "event_detail", |ui| self.detail_ui(ui, here));
        match self.layout {
            Layout::List => self.list_ui(ui, here),
            Layout::Month => self.month_ui(ui, here),
        }
    }

    fn list_ui(&mut self, ui: &mut Ui, here: &Here<'_>) {
        egui::ScrollArea::vertical()
            .id_salt("event_list")
            .show(ui, |ui| {
                let upcoming = here.view.upcoming_events(here.now);
                ui.strong(format!("Coming up ({})", upcoming.len()));
                for event in upcoming {
                    self.row_ui(ui, event);
                }
                ui.add_space(crate::theme::space::M);
                let past = here.view.past_events(here.now);
                ui.strong(format!("Past ({})", past.len()));
                for event in past {
                    self.row_ui(ui, event);
                }
            });
    }

    fn row_ui(&mut self, ui: &mut Ui, event: &Event) {
        let selected = self.selected.as_ref() == Some(&event.id);
        let text = format!(
            "{} · {} · {}",
            when(event.start),
            event.title,
            event.format.title()
        );
        if ui.selectable_label(selected, text).clicked() {
            self.selected = Some(event.id.clone());
        }
    }

    fn month_ui(&mut self, ui: &mut Ui, here: &Here<'_>) {
        let today = Local::now().date_naive();
        let month = self
            .month
            .unwrap_or_else(|| today.with_day(1).unwrap_or(today));
        ui.horizontal_wrapped(|ui| {
            if ui.button("◀").on_hover_text("Previous month").clicked() {
                self.month = month.checked_sub_months(chrono::Months::new(1));
            }
            ui.strong(month.format("%B %Y").to_string());
            if ui.button("▶").on_hover_text("Next month").clicked() {
                self.month = month.checked_add_months(chrono::Months::new(1));
            }
        });
        let events: Vec<&Event> = here
            .view
            .events_by_start()
            .into_iter()
            .filter(|e| {
                let day = e.start.to_utc().with_timezone(&Local).date_naive();
                day.year() == month.year() && day.month() == month.month()
            })
            .collect();
        let lead = month.weekday().num_days_from_monday() as i64;
        // Seven columns share the width, so Sunday is never under the detail panel.
        let gap = ui.spacing().item_spacing.x;
        let column = ((ui.available_width() - 6.0 * gap - gap) / 7.0)
            .floor()
            .max(24.0);
        egui::ScrollArea::vertical()
            .id_salt("month_scroll")
            .auto_shrink(false)
            .show(ui, |ui| {
                egui::Grid::new("month_grid")
                    .striped(true)
                    .min_col_width(column)
                    .max_col_width(column)
                    .min_row_height(48.0)
                    .show(ui, |ui| {
                        // Narrow columns (a small window, large text) take two-letter names.
                        let names = if column < NARROW_DAY {
                            ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
                        } else {
                            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                        };
                        for name in names {
                            ui.strong(name);
                        }
                        ui.end_row();
                        for cell in 0..42_i64 {
                            let day = month + chrono::Duration::days(cell - lead);
                            ui.vertical(|ui| {
                                if day.month() == month.month() {
                                    let text = RichText::new(day.day().to_string());
                                    ui.label(if day == today {
                                        text.strong().underline()
                                    } else {
                                        text
                                    });
                                    for event in events.iter().filter(|e| {
                                        e.start.to_utc().with_timezone(&Local).date_naive() == day
                                    }) {
                                        // Too narrow for a title: a dot, named for
                                        // screen readers and on hover.
                                        let shown = if column < NARROW_DAY {
                                            "•"
                                        } else {
                                            event.title.as_str()
                                        };
                                        let button = egui::Button::new(shown).small().truncate();
                                        let response = ui
                                            .add_sized([column, 0.0], button)
                                            .on_hover_text(&event.title);
                                        response.widget_info(|| {
                                            egui::WidgetInfo::labeled(
                                                egui::Role::Button,
                                                true,
                                                &event.title,
                                            )
                                        });
                                        if response.clicked() {
                                            self.selected = Some(event.id.clone());
                                        }
                                    }
                                }
                            });
                            if cell % 7 == 6 {
                                ui.end_row();
                            }
                        }
                    });
            });
    }

    fn detail_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        let Some(event) = self
            .selected
            .as_ref()
            .and_then(|id| here.view.events.get(id))
        else {
            ui.weak("Select an event to see its agenda, RSVPs and attendance.");
            return;
        };
        ui.heading(&event.title);
        ui.label(format!("{} · {}", event.format.title(), when(event.start)));
        if let Some(venue) = &event.venue {
            ui.label(format!("Where: {venue}"));
        }
        if let Some(f) = &event.facilitator {
            ui.label(format!("Facilitator: {}", here.view.member_name(f)));
        }
        if let Some(n) = &event.note_taker {
            ui.label(format!("Note-taker: {}", here.view.member_name(n)));
        }
        if let Some(topic) = &event.topic {
            ui.label(format!("Topic: {topic}"));
        }
        card_frame(ui).show(ui, |ui| {
            ui.strong("Agenda");
            let agenda = event.agenda.as_str();
            ui.label(if agenda.trim().is_empty() {
                "No agenda yet."
            } else {
                agenda
            });
        });
        ui.horizontal_wrapped(|ui| {
            if ui.button("✏ Edit event").clicked() {
                self.form = Some(EventForm::from_event(event));
            }
            here.history_button(ui, EntityKind::Event, event.id.as_str());
            let notes = here.view.notes_by_event(&event.id).len();
            if ui.button(format!("Notes board ({notes})")).clicked() {
                here.go(Tab::Notes, Some(event.id.to_string()));
            }
        });
        if ui.button("Summary for those who could not come").clicked() {
            self.summary = Some(event.id.clone());
        }
        let is_next = here.view.upcoming_events(here.now).first().map(|e| &e.id) == Some(&event.id);
        if is_next {
            review_actions_ui(ui, here);
        }
        ui.separator();
        rsvp_ui(ui, event, here);
        ui.separator();
        attendance_ui(ui, event, here);
        ui.separator();
        self.pairing_ui(ui, event, here);
        if let Some(id) = self.summary.clone() {
            let mut open = true;
            summary_window(ui.ctx(), here, &id, &mut open);
            if !open {
                self.summary = None;
            }
        }
    }

    fn pairing_ui(&mut self, ui: &mut Ui, event: &Event, here: &mut Here<'_>) {
        ui.strong("Rapid pairing");
        for (number, round) in &event.rounds {
            let groups = commonroom_model::pairing::describe(here.view, &round.groups);
            ui.label(format!(
                "Round {}: {groups}",
                number.trim_start_matches('0')
            ));
        }
        let next = event
            .rounds
            .keys()
            .last()
            .and_then(|k| k.parse::<u32>().ok())
            .unwrap_or(0)
            + 1;
        let people = commonroom_model::pairing::attendees(here.view, &event.id);
        let proposal = self.proposal.as_mut().filter(|(id, _)| id == &event.id);
        let Some((_, groups)) = proposal else {
            if people.len() < 2 {
                ui.weak("Check people in (or collect RSVPs) to pair them.");
            } else if ui.button(format!("Propose round {next}")).clicked() {
                let groups = commonroom_model::pairing::propose_round(
                    &people,
                    &commonroom_model::pairing::focus_of(here.view),
                    &commonroom_model::pairing::met_pairs(here.view),
                );
                self.proposal = Some((event.id.clone(), groups));
            }
            return;
        };
        ui.label(format!(
            "Proposed round {next} (pairs share focus areas and have not met yet):"
        ));
        for group in groups.iter() {
            let names: Vec<&str> = group.iter().map(|m| here.view.member_name(m)).collect();
            ui.label(format!("- {}", names.join(" & ")));
        }
        ui.horizontal_wrapped(|ui| {
            let placed: Vec<MemberId> = groups.iter().flatten().cloned().collect();
            for (slot, label) in [(&mut self.swap.0, "Swap"), (&mut self.swap.1, "with")] {
                let text = ui.label(label);
                egui::ComboBox::from_id_salt(("swap", label))
                    .selected_text(
                        slot.as_ref()
                            .map(|m| here.view.member_name(m).to_owned())
                            .unwrap_or_else(|| "…".into()),
                    )
                    .show_ui(ui, |ui| {
                        for member in &placed {
                            ui.selectable_value(
                                slot,
                                Some(member.clone()),
                                here.view.member_name(member),
                            );
                        }
                    })
                    .response
                    .labelled_by(text.id);
            }
            if ui.button("Swap them").clicked()
                && let (Some(a), Some(b)) = (&self.swap.0, &self.swap.1)
            {
                commonroom_model::pairing::swap(groups, a, b);
                self.swap = (None, None);
            }
        });
        let mut done = false;
        ui.horizontal_wrapped(|ui| {
            if ui.button(format!("Record round {next}")).clicked() {
                here.send(
                    format!("Round {next} recorded"),
                    Command::RecordRound {
                        event: event.id.clone(),
                        round: next,
                        groups: groups.clone(),
                    },
                );
                done = true;
            }
            if ui.button("Discard proposal").clicked() {
                done = true;
            }
        });
        if done {
            self.proposal = None;
        }
    }
}

fn rsvp_ui(ui: &mut Ui, event: &Event, here: &mut Here<'_>) {
    let count = |answer: RsvpAnswer| event.rsvps.values().filter(|a| **a == answer).count();
    ui.strong(format!(
        "RSVPs: {} yes, {} maybe, {} no",
        count(RsvpAnswer::Yes),
        count(RsvpAnswer::Maybe),
        count(RsvpAnswer::No)
    ));
    let Some(me) = here.me.cloned() else { return };
    let mine = event.rsvps.get(&me).cloned();
    // Once it has begun, nobody is asked whether they will come.
    if event.start <= here.now {
        if let Some(answer) = mine {
            ui.label(match answer {
                RsvpAnswer::Yes => "You said you would come.",
                RsvpAnswer::Maybe => "You said maybe.",
                RsvpAnswer::No => "You said you could not come.",
                RsvpAnswer::Other(_) => "You answered.",
            });
        }
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Will you come?");
        for (answer, text) in [
            (RsvpAnswer::Yes, "Yes, I'll come"),
            (RsvpAnswer::Maybe, "Maybe"),
            (RsvpAnswer::No, "Can't come"),
        ] {
            if ui
                .selectable_label(mine.as_ref() == Some(&answer), text)
                .clicked()
            {
                here.send(
                    "RSVP saved",
                    Command::Rsvp {
                        event: event.id.clone(),
                        member: me.clone(),
                        answer: Some(answer),
                    },
                );
            }
        }
    });
}

fn attendance_ui(ui: &mut Ui, event: &Event, here: &mut Here<'_>) {
    ui.strong(format!("Attendance: {} checked in", event.attendance.len()));
    egui::CollapsingHeader::new("Check people in")
        .id_salt(("check_in", event.id.as_str()))
        .show(ui, |ui| {
            for member in here.view.active_members() {
                let mut present = event.attendance.contains(&member.id);
                let rsvp = event
                    .rsvps
                    .get(&member.id)
                    .map(|a| format!(" (RSVP {a})"))
                    .unwrap_or_default();
                if ui
                    .checkbox(&mut present, format!("{}{rsvp}", member.name))
                    .changed()
                {
                    here.send(
                        if present {
                            "Checked in"
                        } else {
                            "Check-in undone"
                        },
                        Command::CheckIn {
                            event: event.id.clone(),
                            member: member.id.clone(),
                            present,
                        },
                    );
                }
            }
        });
}

/// How a pass over the event form ended.
enum FormEnd {
    /// Still being filled in.
    Open,
    /// Closed without saving.
    Cancelled,
    /// Saved: the event's id.
    Saved(EventId),
}

fn form_ui(ui: &mut Ui, form: &mut EventForm, here: &mut Here<'_>) -> FormEnd {
    ui.heading(if form.editing.is_some() {
        "Edit event"
    } else {
        "New event"
    });
    if std::mem::take(&mut form.fresh) {
        form.agenda = form.format.agenda_template().to_owned();
        form.facilitator = here.view.next_facilitator(here.now).cloned();
    }
    labelled_text(ui, "Title", &mut form.title);
    let before = form.format.clone();
    format_picker(ui, &mut form.format);
    if form.format != before
        && (form.agenda.trim().is_empty() || form.agenda == before.agenda_template())
    {
        // An untouched template follows the format.
        form.agenda = form.format.agenda_template().to_owned();
    }
    labelled_text(
        ui,
        "Topic (Hot Seat: the challenge presented)",
        &mut form.topic,
    );
    labelled_text(ui, "Date (such as 14/1/2027)", &mut form.date);
    labelled_text(ui, "Starts (HH:MM)", &mut form.start);
    labelled_text(ui, "Ends (HH:MM)", &mut form.end);
    labelled_text(ui, "Venue or link", &mut form.venue);
    member_picker(ui, "Facilitator", here.view, &mut form.facilitator);
    member_picker(ui, "Note-taker", here.view, &mut form.note_taker);
    labelled_multiline(ui, "Agenda", &mut form.agenda, 5);
    if let Some(error) = &form.error {
        crate::theme::form_error(ui, error);
    }
    let mut end = FormEnd::Open;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Save event").clicked() {
            match build(form) {
                Ok(command) => {
                    let id = match &command {
                        Command::AddEvent(new) => new.id.clone(),
                        Command::EditEvent(id, _) => id.clone(),
                        _ => EventId::new(""),
                    };
                    here.send_keeping("Event saved", command, FORM, form.clone());
                    end = FormEnd::Saved(id);
                }
                Err(error) => form.error = Some(error),
            }
        }
        if ui.button("Cancel").clicked() {
            end = FormEnd::Cancelled;
        }
    });
    end
}

fn build(form: &EventForm) -> Result<Command, String> {
    if form.title.trim().is_empty() {
        return Err("An event needs a title.".into());
    }
    let start = parse_local(&form.date, &form.start)?;
    let end = if form.end.trim().is_empty() {
        None
    } else {
        Some(parse_local(&form.date, &form.end)?)
    };
    if end.is_some_and(|e| e < start) {
        return Err("The event ends before it starts.".into());
    }
    let venue = form.venue.trim();
    let venue = (!venue.is_empty()).then(|| venue.to_owned());
    let topic = form.topic.trim();
    let topic = (!topic.is_empty()).then(|| topic.to_owned());
    Ok(match &form.editing {
        None => Command::AddEvent(NewEvent {
            id: EventId::generate(),
            title: form.title.trim().into(),
            format: form.format.clone(),
            start,
            end,
            venue,
            call_link: None,
            topic,
            agenda: form.agenda.clone(),
            facilitator: form.facilitator.clone(),
            note_taker: form.note_taker.clone(),
        }),
        Some(id) => Command::EditEvent(
            id.clone(),
            EventPatch {
                title: Some(form.title.trim().into()),
                format: Some(form.format.clone()),
                start: Some(start),
                end: Some(end),
                venue: Some(venue),
                topic: Some(topic),
                agenda: Some(form.agenda.clone()),
                facilitator: Some(form.facilitator.clone()),
                note_taker: Some(form.note_taker.clone()),
                ..Default::default()
            },
        ),
    })
}

/// The open actions, to review at the start of the next meeting.
fn review_actions_ui(ui: &mut Ui, here: &mut Here<'_>) {
    let actions = here.view.open_actions();
    if actions.is_empty() {
        return;
    }
    card_frame(ui).show(ui, |ui| {
        ui.strong(format!("Actions to review ({})", actions.len()));
        for action in actions.into_iter().take(10) {
            let owner = action
                .owner
                .as_ref()
                .map(|o| here.view.member_name(o).to_owned())
                .unwrap_or_else(|| "no owner".into());
            ui.label(format!("- {} ({owner})", action.text));
        }
    });
}

/// An event's summary in a window, as plain text in this computer's time zone (for
/// WhatsApp or email), with copy buttons for it and for Markdown; each copy is confirmed.
fn summary_window(ctx: &egui::Context, here: &Here<'_>, event: &EventId, open: &mut bool) {
    let Some(text) =
        commonroom_model::export::text::event_summary(here.view, event, &chrono::Local)
    else {
        *open = false;
        return;
    };
    egui::Window::new("Summary for those who could not come")
        .open(open)
        .default_width(520.0)
        .show(ctx, |ui| {
            ui.label("Paste it into WhatsApp or an email.");
            let copied_id = ui.scope_id().with(("summary copied", event));
            let copied = ui.data(|d| d.get_temp::<&'static str>(copied_id));
            ui.horizontal_wrapped(|ui| {
                if ui.button("📋 Copy for WhatsApp or email").clicked() {
                    ui.ctx().copy_text(text.clone());
                    ui.data_mut(|d| {
                        d.insert_temp(copied_id, "Copied: paste it into the chat or email.")
                    });
                }
                if ui
                    .button("Copy as Markdown")
                    .on_hover_text("For a wiki or a document that reads Markdown")
                    .clicked()
                    && let Some(markdown) =
                        commonroom_model::export::markdown::event_summary(here.view, event)
                {
                    ui.ctx().copy_text(markdown);
                    ui.data_mut(|d| d.insert_temp(copied_id, "Copied as Markdown."));
                }
                if let Some(copied) = copied {
                    ui.label(copied);
                }
            });
            let label = ui.label("Summary");
            let mut shown = text.clone();
            egui::ScrollArea::vertical()
                .max_height(420.0)
                .show(ui, |ui| {
                    ui.add(egui::TextEdit::multiline(&mut shown).desired_width(f32::INFINITY))
                        .labelled_by(label.id);
                });
        });
}
