//! Conversations between meetings: channels, threads (questions and discussions) with
//! unread badges, a thread with its replies, quotes and reactions, and a form to ask a
//! question that suggests members who might help.

use commonroom_model::conversations::{
    ConversationIndex, Converse, GENERAL, Message, NewChannel, NewReply, NewThread, REACTIONS,
    ThreadEntry, mentions_in, suggest_helpers,
};
use commonroom_model::{ChannelId, MessageId, ThemeId, ThreadId};
use commonroom_node::ThreadRead;
use egui::{RichText, Ui};

use crate::here::Here;
use crate::widgets::{card_frame, labelled_multiline, labelled_text, primary_button, when};

/// Where the reply box comes back from when its message fails.
const REPLY: &str = "conversations.reply";
/// Where the new-thread form comes back from when it fails.
const FORM: &str = "conversations.form";
/// What a selection names when it asks for a new thread continuing a meeting theme
/// (`theme:<id>`), rather than a thread.
pub const THEME_PREFIX: &str = "theme:";
/// Where an edit that failed gives its text back.
const EDIT: &str = "conversations.edit";
/// Where a channel that could not be added gives its name and purpose back.
const CHANNEL: &str = "conversations.channel";

/// Which threads the list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    /// One channel's.
    Channel(ChannelId),
    /// Every open question, whatever its channel.
    #[default]
    OpenQuestions,
}

/// The conversations screen's state.
#[derive(Default)]
pub struct ConversationsScreen {
    /// Which threads are listed (`None`: General, until chosen).
    pub filter: Option<Filter>,
    /// The thread shown.
    pub selected: Option<ThreadId>,
    /// What is being typed as a reply.
    pub reply: String,
    /// The message the reply quotes.
    pub quoting: Option<MessageId>,
    /// The message whose reaction choices are open.
    pub reacting: Option<MessageId>,
    /// One's own message being edited, with the text so far.
    pub editing: Option<(MessageId, String)>,
    /// A steward's "add a channel" form: its name and what it is for.
    pub new_channel: Option<(String, String)>,
    /// Where the "new since you last looked" line goes in the thread shown, as it was
    /// when the thread was opened: it stays put while messages arrive and the thread is
    /// marked read, so nothing jumps under the pointer.
    divider: Option<(ThreadId, Option<MessageId>)>,
    /// An open "new thread" form.
    pub form: Option<ThreadForm>,
}

/// The "ask a question / start a discussion" form.
#[derive(Clone, Debug, Default)]
pub struct ThreadForm {
    /// Title.
    pub title: String,
    /// The opening message.
    pub text: String,
    /// A question, rather than a discussion.
    pub question: bool,
    /// Tags, separated by commas.
    pub tags: String,
    /// The channel.
    pub channel: Option<ChannelId>,
    /// The meeting theme it continues, if opened from one.
    pub theme: Option<ThemeId>,
    /// The title was filled in from the theme's name (once).
    named: bool,
}

impl ThreadForm {
    fn tags(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

impl ConversationsScreen {
    /// Shows the thread `id` (from search or a link).
    pub fn select(&mut self, id: ThreadId) {
        self.selected = Some(id);
        self.form = None;
    }

    /// Opens the "start a discussion" form for a meeting theme (its title filled in once
    /// the screen is drawn, from the theme's name).
    pub fn start_from_theme(&mut self, theme: ThemeId) {
        self.selected = None;
        self.form = Some(ThreadForm {
            theme: Some(theme),
            ..ThreadForm::default()
        });
    }

    /// Opens the "ask a question" form (Ctrl+N).
    pub fn start_new(&mut self) {
        self.form = Some(ThreadForm {
            question: true,
            ..ThreadForm::default()
        });
    }

    /// Draws the conversations screen.
    pub fn conversations_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        let Some(talk) = here.talk else {
            here.wants_talk = true;
            ui.spinner();
            return;
        };
        let index = match &talk.index {
            Some(Ok(index)) => index.clone(),
            Some(Err(error)) => {
                crate::theme::form_error(
                    ui,
                    &format!("The conversations could not be read: {error}"),
                );
                return;
            }
            None => {
                here.wants_talk = true;
                ui.spinner();
                return;
            }
        };
        ui.horizontal_wrapped(|ui| {
            ui.heading("Conversations");
            if ui
                .button("➕ Ask a question")
                .on_hover_text("Ctrl+N")
                .clicked()
            {
                self.start_new();
            }
            if ui.button("Start a discussion").clicked() {
                self.form = Some(ThreadForm::default());
            }
        });
        if let Some(form) = here.take_returned::<ThreadForm>(FORM) {
            self.form = Some(form);
        }
        if let Some(reply) = here.take_returned::<String>(REPLY) {
            self.reply = reply;
        }
        if let Some(edit) = here.take_returned::<(MessageId, String)>(EDIT) {
            self.editing = Some(edit);
        }
        if let Some(channel) = here.take_returned::<(String, String)>(CHANNEL) {
            self.new_channel = Some(channel);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, &index, here) {
                self.form = None;
            }
            return;
        }
        self.filter_ui(ui, &index, here);
        ui.separator();
        if let Some(thread) = self.selected.clone() {
            if talk.shown.as_ref() != Some(&thread) {
                here.wants_thread = Some(thread.clone());
            }
            let read = talk
                .thread
                .as_ref()
                .filter(|(id, _)| *id == thread)
                .map(|(_, read)| read);
            // The list stays on the left, as in every chat app; the thread takes the rest.
            let width = ui.available_width();
            let size = (width * 0.36).clamp(220.0, 380.0).min(width * 0.5);
            egui::Panel::left("thread_list")
                .resizable(false)
                .exact_size(size)
                .show(ui, |ui| self.list_ui(ui, &index, here));
            match read {
                Some(Ok(read)) => {
                    let read = read.clone();
                    if self
                        .divider
                        .as_ref()
                        .is_none_or(|(shown, _)| *shown != thread)
                    {
                        self.divider = Some((thread.clone(), read.first_unread.clone()));
                    }
                    self.thread_ui(ui, &index, &thread, &read, here);
                }
                Some(Err(error)) => {
                    crate::theme::form_error(
                        ui,
                        &format!("This thread could not be read: {error}"),
                    );
                }
                None => {
                    ui.spinner();
                }
            }
        } else {
            self.list_ui(ui, &index, here);
        }
    }

    fn filter_ui(&mut self, ui: &mut Ui, index: &ConversationIndex, here: &mut Here<'_>) {
        let unread = here.talk.map(|t| &t.unread);
        let filter = self
            .filter
            .get_or_insert_with(|| Filter::Channel(ChannelId::new(GENERAL)));
        ui.horizontal_wrapped(|ui| {
            for channel in &index.channels {
                let new = unread
                    .and_then(|u| u.channels.get(&channel.id))
                    .map_or(0, |c| c.messages);
                let label = if new > 0 {
                    format!("#{} ({new} new)", channel.name)
                } else {
                    format!("#{}", channel.name)
                };
                let chosen = Filter::Channel(channel.id.clone());
                if ui
                    .selectable_label(*filter == chosen, label)
                    .on_hover_text(&channel.about)
                    .clicked()
                {
                    *filter = chosen;
                }
            }
            let open = index.open_questions().count();
            if ui
                .selectable_label(
                    *filter == Filter::OpenQuestions,
                    format!("Open questions ({open})"),
                )
                .on_hover_text("Questions nobody has marked answered yet, in every channel")
                .clicked()
            {
                *filter = Filter::OpenQuestions;
            }
        });
        if let Filter::Channel(channel) = filter.clone() {
            let muted = unread.is_some_and(|u| u.muted.contains(&channel));
            let (label, hover) = if muted {
                (
                    "Notifications off for this channel: turn on",
                    "Tell me on the desktop again when someone here mentions me, replies to me or answers my question",
                )
            } else {
                (
                    "Mute this channel",
                    "No desktop notifications from this channel on this computer (unread counts stay)",
                )
            };
            if ui.button(label).on_hover_text(hover).clicked() {
                here.wants_mute = Some((channel, !muted));
            }
        }
        if here.can().manage_membership {
            self.new_channel_ui(ui, here);
        }
    }

    /// "Add a channel" for stewards: a button, then a name and what it is for.
    fn new_channel_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        let Some((name, about)) = &mut self.new_channel else {
            if ui
                .button("➕ Add a channel")
                .on_hover_text("A new place to talk, beside General and Announcements")
                .clicked()
            {
                self.new_channel = Some(Default::default());
            }
            return;
        };
        let mut done = false;
        card_frame(ui).show(ui, |ui| {
            let label = ui.label("Channel name");
            ui.text_edit_singleline(name).labelled_by(label.id);
            let label = ui.label("What it is for");
            ui.text_edit_singleline(about).labelled_by(label.id);
            ui.horizontal(|ui| {
                if ui.button("Add channel").clicked() {
                    here.converse_keeping(
                        format!("Channel #{} added", name.trim()),
                        Converse::AddChannel(NewChannel {
                            id: ChannelId::generate(),
                            name: name.clone(),
                            about: about.clone(),
                            stewards_only: false,
                        }),
                        CHANNEL,
                        (name.clone(), about.clone()),
                    );
                    done = true;
                }
                if ui.button("Cancel").clicked() {
                    done = true;
                }
            });
        });
        if done {
            self.new_channel = None;
        }
    }

    fn list_ui(&mut self, ui: &mut Ui, index: &ConversationIndex, here: &Here<'_>) {
        let filter = self.filter.clone().unwrap_or_default();
        let threads: Vec<&ThreadEntry> = index
            .threads
            .iter()
            .filter(|t| match &filter {
                Filter::Channel(c) => &t.channel == c,
                Filter::OpenQuestions => t.is_open_question(),
            })
            .collect();
        if threads.is_empty() {
            let (what, next) = match filter {
                Filter::OpenQuestions => (
                    "No open questions.",
                    "Every question asked has been marked answered.",
                ),
                Filter::Channel(_) => (
                    "Nothing here yet.",
                    "Ask the community a question, or start a discussion: members see it \
                     the next time their laptops meet, or at once if they are online.",
                ),
            };
            if crate::theme::empty_state(ui, what, next, None) {
                self.start_new();
            }
            return;
        }
        let unread = here.talk.map(|t| &t.unread);
        let palette = crate::theme::palette(ui);
        egui::ScrollArea::vertical()
            .id_salt("threads")
            .auto_shrink(false)
            .show(ui, |ui| {
                for thread in threads {
                    let new = unread
                        .and_then(|u| u.threads.get(&thread.id))
                        .map_or(0, |t| t.messages);
                    let selected = self.selected.as_ref() == Some(&thread.id);
                    let mut title = RichText::new(&thread.title);
                    if new > 0 {
                        title = title.strong();
                    }
                    let response = ui.selectable_label(selected, title);
                    ui.horizontal_wrapped(|ui| {
                        let kind = match (thread.question, thread.answer.is_some()) {
                            (true, true) => "✔ answered",
                            (true, false) => "❓ question",
                            (false, _) => "discussion",
                        };
                        let pinned = if thread.pinned { "📌 pinned · " } else { "" };
                        ui.weak(format!("{pinned}{kind} · {}", when(thread.last_activity)));
                        if new > 0 {
                            ui.label(
                                RichText::new(crate::widgets::count(
                                    new,
                                    "new message",
                                    "new messages",
                                ))
                                .color(palette.link)
                                .strong(),
                            );
                        }
                    });
                    ui.add_space(crate::theme::space::S);
                    if response.clicked() {
                        self.selected = Some(thread.id.clone());
                        self.reply.clear();
                        self.quoting = None;
                    }
                }
            });
    }

    fn thread_ui(
        &mut self,
        ui: &mut Ui,
        index: &ConversationIndex,
        id: &ThreadId,
        read: &ThreadRead,
        here: &mut Here<'_>,
    ) {
        // The index is re-read on every change to it (an answer, a pin); the thread's own
        // copy of its entry only when its messages change.
        let Some(entry) = index.thread(id).cloned().or_else(|| read.entry.clone()) else {
            ui.label("This thread is still on its way from the other members.");
            return;
        };
        ui.heading(&entry.title);
        let mine = entry.created_by.as_ref() == here.me;
        ui.horizontal_wrapped(|ui| {
            let by = entry
                .created_by
                .as_ref()
                .map_or("someone", |m| here.view.member_name(m));
            let kind = if entry.question {
                "Question"
            } else {
                "Discussion"
            };
            ui.weak(format!(
                "{kind} by {by} · started {}",
                when(entry.created_at)
            ));
            if here.can().manage_membership {
                let label = if entry.pinned { "Unpin" } else { "📌 Pin" };
                if ui.button(label).clicked() {
                    here.converse(
                        if entry.pinned { "Unpinned" } else { "Pinned" },
                        Converse::Pin {
                            thread: id.clone(),
                            pinned: !entry.pinned,
                        },
                    );
                }
            }
        });
        self.keep_ui(ui, id, &entry, read, here);
        if entry.question {
            match &entry.answer {
                Some(_) => {
                    let by = entry
                        .answered_by
                        .as_ref()
                        .map_or("someone", |m| here.view.member_name(m));
                    ui.label(RichText::new(format!("✔ Answered by {by}")).strong());
                }
                None => {
                    ui.label("Not answered yet.");
                }
            }
        }
        ui.separator();
        let can_answer = entry.question && (mine || here.can().moderate);
        let compose_height = ui.text_style_height(&egui::TextStyle::Body) * 6.0;
        egui::ScrollArea::vertical()
            .id_salt(("thread", id.as_str()))
            .max_height((ui.available_height() - compose_height).max(120.0))
            .stick_to_bottom(true)
            .auto_shrink(false)
            .show(ui, |ui| {
                let divider = self.divider.as_ref().and_then(|(_, first)| first.clone());
                for message in &read.view.messages {
                    if divider.as_ref() == Some(&message.id) {
                        divider_ui(ui);
                    }
                    self.message_ui(ui, id, &entry, message, read, can_answer, here);
                }
            });
        self.compose_ui(ui, id, read, here);
    }

    /// Bringing the thread to the next meeting, and keeping what it found.
    fn keep_ui(
        &mut self,
        ui: &mut Ui,
        id: &ThreadId,
        entry: &ThreadEntry,
        read: &ThreadRead,
        here: &mut Here<'_>,
    ) {
        let next = here
            .view
            .events
            .values()
            .filter(|e| !e.deleted && e.start > here.now)
            .min_by_key(|e| e.start)
            .cloned();
        ui.horizontal_wrapped(|ui| {
            match entry.agenda.as_ref().and_then(|e| here.view.events.get(e)) {
                Some(event) => {
                    ui.weak(format!("On the agenda of {}", event.title));
                }
                None => {
                    if let Some(event) = next
                        && ui
                            .button("Bring to the next meeting")
                            .on_hover_text(format!("Adds it to the agenda of {}", event.title))
                            .clicked()
                    {
                        let mut agenda = event.agenda.as_str().trim_end().to_owned();
                        if !agenda.is_empty() {
                            agenda.push('\n');
                        }
                        agenda.push_str(&format!("- {} (from the conversations)", entry.title));
                        here.send(
                            format!("On the agenda of {}", event.title),
                            commonroom_model::Command::EditEvent(
                                event.id.clone(),
                                commonroom_model::commands::EventPatch {
                                    agenda: Some(agenda),
                                    ..Default::default()
                                },
                            ),
                        );
                        here.converse(
                            "Brought to the meeting",
                            Converse::BringToMeeting {
                                thread: id.clone(),
                                event: event.id.clone(),
                            },
                        );
                    }
                }
            }
            let found = !entry.question || entry.answer.is_some();
            if found {
                let view = here.view;
                let name = |m: &commonroom_model::MemberId| view.member_name(m).to_owned();
                if ui
                    .button("Save as a resource")
                    .on_hover_text("Keeps the question and its answer in the library")
                    .clicked()
                {
                    let resource =
                        commonroom_model::conversations::as_resource(entry, &read.view, name);
                    here.send(
                        "Saved in the library",
                        commonroom_model::Command::AddResource(resource),
                    );
                }
                if ui
                    .button("Record as a story")
                    .on_hover_text(
                        "A value-creation story: add the cycles of value on the Stories screen",
                    )
                    .clicked()
                {
                    let story = commonroom_model::conversations::as_story(entry, &read.view, name);
                    here.send(
                        "Recorded as a story",
                        commonroom_model::Command::AddStory(story),
                    );
                }
            }
        });
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one message needs its whole context"
    )]
    fn message_ui(
        &mut self,
        ui: &mut Ui,
        thread: &ThreadId,
        entry: &ThreadEntry,
        message: &Message,
        read: &ThreadRead,
        can_answer: bool,
        here: &mut Here<'_>,
    ) {
        card_frame(ui).show(ui, |ui| {
            ui.set_width(ui.available_width());
            let by = message
                .by
                .as_ref()
                .map_or("someone", |m| here.view.member_name(m));
            let edited = if message.edited_at.is_some() {
                " · edited"
            } else {
                ""
            };
            let answer = entry.answer.as_ref() == Some(&message.id);
            ui.horizontal_wrapped(|ui| {
                ui.strong(by);
                ui.weak(format!("{}{edited}", when(message.created_at)));
                if answer {
                    ui.label(RichText::new("✔ the answer").strong());
                }
            });
            if let Some(quoted) = message.reply_to.as_ref().and_then(|q| read.view.message(q)) {
                let who = quoted
                    .by
                    .as_ref()
                    .map_or("someone", |m| here.view.member_name(m));
                let text: String = quoted.text.chars().take(120).collect();
                ui.weak(format!("↪ {who}: {text}"));
            }
            if message.deleted {
                ui.weak("This message was deleted.");
                return;
            }
            let own = message.by.as_ref() == here.me;
            if let Some((_, text)) = self
                .editing
                .as_mut()
                .filter(|(id, _)| id == &message.id && own)
            {
                let label = ui.label("Your message, changed:");
                ui.add(
                    egui::TextEdit::multiline(text)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
                let mut done = false;
                ui.horizontal(|ui| {
                    if ui.button("Save the change").clicked() {
                        let text = text.clone();
                        here.converse_keeping(
                            "Message changed",
                            Converse::Edit {
                                thread: thread.clone(),
                                message: message.id.clone(),
                                text: text.clone(),
                            },
                            EDIT,
                            (message.id.clone(), text),
                        );
                        done = true;
                    }
                    if ui.button("Cancel").clicked() {
                        done = true;
                    }
                });
                if done {
                    self.editing = None;
                }
                return;
            }
            ui.label(&message.text);
            ui.horizontal_wrapped(|ui| {
                // Reactions given so far, each a toggle for this member.
                let mut toggled: Option<(&str, bool)> = None;
                for (emoji, word) in REACTIONS {
                    let Some(who) = message.reactions.get(emoji).filter(|w| !w.is_empty()) else {
                        continue;
                    };
                    let reacted = here.me.is_some_and(|me| who.contains(me));
                    if ui
                        .selectable_label(reacted, format!("{emoji} {}", who.len()))
                        .on_hover_text(format!("{word}: {}", names(here, who.iter())))
                        .clicked()
                    {
                        toggled = Some((emoji, !reacted));
                    }
                }
                let choosing = self.reacting.as_ref() == Some(&message.id);
                if ui.selectable_label(choosing, "React").clicked() {
                    self.reacting = (!choosing).then(|| message.id.clone());
                }
                if choosing {
                    // The choices, as plain buttons a keyboard reaches in order.
                    for (emoji, word) in REACTIONS {
                        if ui.button(format!("{emoji} {word}")).clicked() {
                            toggled = Some((emoji, true));
                            self.reacting = None;
                        }
                    }
                }
                if let Some((emoji, on)) = toggled {
                    here.converse(
                        if on {
                            "Reaction sent"
                        } else {
                            "Reaction taken back"
                        },
                        Converse::React {
                            thread: thread.clone(),
                            message: message.id.clone(),
                            emoji: emoji.to_owned(),
                            on,
                        },
                    );
                }
                if ui.button("Reply").clicked() {
                    self.quoting = Some(message.id.clone());
                }
                if can_answer
                    && !answer
                    && message.by.as_ref() != entry.created_by.as_ref()
                    && ui
                        .button("✔ Mark as the answer")
                        .on_hover_text("The question is answered by this message")
                        .clicked()
                {
                    here.converse(
                        "Marked as the answer",
                        Converse::MarkAnswered {
                            thread: thread.clone(),
                            answer: Some(message.id.clone()),
                        },
                    );
                }
                if own && ui.button("Edit").clicked() {
                    self.editing = Some((message.id.clone(), message.text.clone()));
                }
                if (own || here.can().moderate) && ui.button("Delete").clicked() {
                    here.converse(
                        "Message deleted",
                        Converse::Delete {
                            thread: thread.clone(),
                            message: message.id.clone(),
                        },
                    );
                }
            });
        });
    }

    fn compose_ui(
        &mut self,
        ui: &mut Ui,
        thread: &ThreadId,
        read: &ThreadRead,
        here: &mut Here<'_>,
    ) {
        if let Some(quoted) = self.quoting.as_ref().and_then(|q| read.view.message(q)) {
            let who = quoted
                .by
                .as_ref()
                .map_or("someone", |m| here.view.member_name(m));
            let text: String = quoted.text.chars().take(80).collect();
            let mut cancel = false;
            ui.horizontal_wrapped(|ui| {
                ui.weak(format!("Replying to {who}: {text}"));
                cancel = ui.small_button("✖ Not this one").clicked();
            });
            if cancel {
                self.quoting = None;
            }
        }
        let response = labelled_multiline(
            ui,
            "Your reply (@Name mentions someone)",
            &mut self.reply,
            2,
        );
        mention_suggestions_ui(ui, &mut self.reply, here);
        let send_keys = response.has_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter) && i.modifiers.command);
        if (primary_button(ui, "Send")
            .on_hover_text("Ctrl+Enter")
            .clicked()
            || send_keys)
            && !self.reply.trim().is_empty()
        {
            let text = std::mem::take(&mut self.reply);
            let mentions = mentions_in(&text, here.view.members.values());
            here.converse_keeping(
                "Reply sent",
                Converse::Reply(NewReply {
                    id: MessageId::generate(),
                    thread: thread.clone(),
                    text: text.clone(),
                    reply_to: self.quoting.take(),
                    mentions,
                }),
                REPLY,
                text,
            );
        }
    }
}

/// Members' names, joined with commas.
fn names<'a>(
    here: &Here<'_>,
    members: impl Iterator<Item = &'a commonroom_model::MemberId>,
) -> String {
    members
        .map(|m| here.view.member_name(m).to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The "new since you last looked" line.
fn divider_ui(ui: &mut Ui) {
    let colour = crate::theme::palette(ui).link;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("New since you last looked")
                .color(colour)
                .strong(),
        );
        ui.separator();
    });
}

/// Members whose name starts with the word being typed after an `@`, as buttons that
/// complete it.
fn mention_suggestions_ui(ui: &mut Ui, text: &mut String, here: &Here<'_>) {
    let Some(at) = text.rfind('@') else { return };
    let partial = text[at + 1..].to_lowercase();
    if partial.contains('\n') || partial.len() > 30 {
        return;
    }
    let names: Vec<String> = here
        .view
        .active_members()
        .into_iter()
        .filter(|m| m.name.to_lowercase().starts_with(&partial) && m.name.to_lowercase() != partial)
        .take(5)
        .map(|m| m.name.clone())
        .collect();
    if names.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.weak("Mention:");
        for name in names {
            if ui.button(format!("@{name}")).clicked() {
                text.truncate(at);
                text.push('@');
                text.push_str(&name);
                text.push(' ');
            }
        }
    });
}

/// The new-thread form; true when it is done (posted or cancelled).
fn form_ui(
    ui: &mut Ui,
    form: &mut ThreadForm,
    index: &ConversationIndex,
    here: &mut Here<'_>,
) -> bool {
    ui.heading(if form.question {
        "Ask a question"
    } else {
        "Start a discussion"
    });
    if let Some(theme) = form.theme.as_ref().and_then(|t| here.view.themes.get(t)) {
        ui.label(format!("Carries on the meeting theme “{}”.", theme.name));
        if !form.named {
            form.title = theme.name.clone();
            form.named = true;
        }
    }
    ui.checkbox(
        &mut form.question,
        "This is a question (it can be marked answered)",
    );
    let channels: Vec<_> = index
        .channels
        .iter()
        .filter(|c| !c.stewards_only || here.can().manage_membership)
        .collect();
    let chosen = form
        .channel
        .get_or_insert_with(|| ChannelId::new(GENERAL))
        .clone();
    ui.horizontal_wrapped(|ui| {
        ui.label("Channel:");
        for channel in channels {
            if ui
                .selectable_label(chosen == channel.id, format!("#{}", channel.name))
                .clicked()
            {
                form.channel = Some(channel.id.clone());
            }
        }
    });
    labelled_text(ui, "Title", &mut form.title);
    labelled_multiline(
        ui,
        "Your message (@Name mentions someone)",
        &mut form.text,
        4,
    );
    mention_suggestions_ui(ui, &mut form.text, here);
    labelled_text(
        ui,
        "Tags, separated by commas (they help find who can help)",
        &mut form.tags,
    );
    if form.question {
        let helpers = suggest_helpers(
            here.view,
            Some(index),
            here.me,
            &format!("{} {}", form.title, form.text),
            &form.tags(),
        );
        if !helpers.is_empty() {
            ui.strong("Members who might help");
            for helper in helpers {
                let mention = format!("@{}", helper.name);
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!("{} ({})", helper.name, helper.matched.join(", ")));
                    if helper.answered > 0 {
                        ui.weak(crate::widgets::count(
                            helper.answered,
                            "question answered",
                            "questions answered",
                        ));
                    }
                    let already = form.text.contains(&mention);
                    if !already && ui.button(format!("Mention {}", helper.name)).clicked() {
                        if !form.text.is_empty() && !form.text.ends_with(' ') {
                            form.text.push(' ');
                        }
                        form.text.push_str(&mention);
                        form.text.push(' ');
                    }
                });
            }
        }
    }
    let mut done = false;
    ui.horizontal(|ui| {
        let label = if form.question { "Ask" } else { "Post" };
        if primary_button(ui, label).clicked() {
            let mentions = mentions_in(&form.text, here.view.members.values());
            here.converse_keeping(
                if form.question {
                    "Question asked"
                } else {
                    "Discussion started"
                },
                Converse::StartThread(NewThread {
                    id: ThreadId::generate(),
                    first: MessageId::generate(),
                    channel: form
                        .channel
                        .clone()
                        .unwrap_or_else(|| ChannelId::new(GENERAL)),
                    title: form.title.clone(),
                    text: form.text.clone(),
                    question: form.question,
                    tags: form.tags(),
                    mentions,
                    theme: form.theme.clone(),
                }),
                FORM,
                form.clone(),
            );
            done = true;
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    done
}
