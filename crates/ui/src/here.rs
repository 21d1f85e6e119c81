//! [`Here`]: what a screen is given each frame (the community it shows, who is looking, and
//! where to put the changes and navigation it asks for).

use commonroom_model::entities::Removal;
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::permissions::Abilities;
use commonroom_model::{Command, CommunityId, CommunityView, MemberId, Timestamp};

use crate::tabs::Tab;

/// A request to show something elsewhere in the window.
#[derive(Clone, Debug, PartialEq)]
pub struct Nav {
    /// The screen to show.
    pub tab: Tab,
    /// The id of the item to select there.
    pub select: Option<String>,
}

/// What a person typed (a note's text, a whole form), given back to where it came from if
/// the change made from it fails (a refused value, a full disk), so nothing typed is lost.
pub struct Draft {
    /// Where it came from, such as `"notes.new"`.
    pub field: &'static str,
    /// What was typed, as the screen keeps it.
    pub value: Box<dyn std::any::Any + Send>,
}

impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Draft").field("field", &self.field).finish()
    }
}

/// A change a screen asks for.
#[derive(Debug)]
pub struct Outgoing {
    /// What it does, in words ("Note added").
    pub what: String,
    /// The change.
    pub command: Command,
    /// What was typed, to give back if it fails.
    pub draft: Option<Draft>,
}

/// A conversation command on its way to the node.
pub struct TalkOut {
    /// What it does, in words ("Reply sent").
    pub what: String,
    /// The command.
    pub command: commonroom_model::conversations::Converse,
    /// What was typed, to give back if it fails.
    pub draft: Option<Draft>,
}

/// A screen's view of the world for one frame.
pub struct Here<'a> {
    /// The community's id.
    pub id: &'a CommunityId,
    /// Its latest snapshot.
    pub view: &'a CommunityView,
    /// The member this device is, if known.
    pub me: Option<&'a MemberId>,
    /// The time this frame is drawn at.
    pub now: Timestamp,
    /// Commands to send.
    pub commands: Vec<Outgoing>,
    /// Typed text given back by changes that failed, for screens to take back.
    pub returned: Vec<Draft>,
    /// Where to go next, if anywhere.
    pub nav: Option<Nav>,
    /// The last activity feed read (for the History screen), or why it could not be.
    pub history: Option<&'a Result<Vec<Activity>, String>>,
    /// The feed to read next, when a screen wants a fresh one.
    pub wants_history: Option<ActivityFilter>,
    /// This device's endpoint id (hex), to tell it apart in device lists.
    pub this_device: Option<&'a str>,
    /// This device's member's device-link ticket, once made.
    pub link_ticket: Option<&'a Result<String, String>>,
    /// A screen asks for a new device-link ticket.
    pub wants_link_ticket: bool,
    /// The community's conversations as last read.
    pub talk: Option<&'a crate::state::Talk>,
    /// Conversation commands to send.
    pub talk_commands: Vec<TalkOut>,
    /// The conversations screen wants the index and unread counts read again.
    pub wants_talk: bool,
    /// The conversations screen shows this thread: read it (and mark it read).
    pub wants_thread: Option<commonroom_model::ThreadId>,
    /// Mute (true) or unmute a channel's notifications on this device.
    pub wants_mute: Option<(commonroom_model::ChannelId, bool)>,
}

impl<'a> Here<'a> {
    /// A frame's view of `view`.
    pub fn new(
        id: &'a CommunityId,
        view: &'a CommunityView,
        me: Option<&'a MemberId>,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            view,
            me,
            now,
            commands: Vec::new(),
            returned: Vec::new(),
            nav: None,
            history: None,
            wants_history: None,
            this_device: None,
            link_ticket: None,
            wants_link_ticket: false,
            talk: None,
            talk_commands: Vec::new(),
            wants_mute: None,
            wants_talk: false,
            wants_thread: None,
        }
    }

    /// What this device's member may do (nothing special if unknown).
    pub fn can(&self) -> Abilities {
        self.me
            .map(|me| commonroom_model::permissions::abilities(self.view, me))
            .unwrap_or_default()
    }

    /// This device's member's removal record, if they were removed.
    pub fn removal(&self) -> Option<&'a Removal> {
        self.me.and_then(|me| self.view.removals.get(me))
    }

    /// The stewards' names (who to ask for what only they may do), joined with commas.
    pub fn stewards(&self) -> String {
        let names: Vec<&str> = self
            .view
            .active_members()
            .into_iter()
            .filter(|m| Abilities::of(m.roles.iter()).manage_membership)
            .map(|m| m.name.as_str())
            .collect();
        if names.is_empty() {
            "a facilitator".into()
        } else {
            names.join(", ")
        }
    }

    /// Queues a command; `what` says what it does ("Note added").
    pub fn send(&mut self, what: impl Into<String>, command: Command) {
        self.commands.push(Outgoing {
            what: what.into(),
            command,
            draft: None,
        });
    }

    /// Queues a command made from what was typed into `field` (`value`: the text or the
    /// form); if the change fails, `value` comes back through [`Self::take_returned`].
    pub fn send_keeping<T: std::any::Any + Send>(
        &mut self,
        what: impl Into<String>,
        command: Command,
        field: &'static str,
        value: T,
    ) {
        self.commands.push(Outgoing {
            what: what.into(),
            command,
            draft: Some(Draft {
                field,
                value: Box::new(value),
            }),
        });
    }

    /// Takes back what was typed into `field` for a change that failed, if there is one.
    pub fn take_returned<T: std::any::Any>(&mut self, field: &str) -> Option<T> {
        let at = self.returned.iter().position(|d| d.field == field)?;
        self.returned.remove(at).value.downcast().ok().map(|v| *v)
    }

    /// Queues a conversation command made from what was typed into `field`; if it fails,
    /// `value` comes back through [`Self::take_returned`].
    pub fn converse_keeping<T: std::any::Any + Send>(
        &mut self,
        what: impl Into<String>,
        command: commonroom_model::conversations::Converse,
        field: &'static str,
        value: T,
    ) {
        self.talk_commands.push(TalkOut {
            what: what.into(),
            command,
            draft: Some(Draft {
                field,
                value: Box::new(value),
            }),
        });
    }

    /// Queues a conversation command with nothing typed (a reaction, a pin).
    pub fn converse(
        &mut self,
        what: impl Into<String>,
        command: commonroom_model::conversations::Converse,
    ) {
        self.talk_commands.push(TalkOut {
            what: what.into(),
            command,
            draft: None,
        });
    }

    /// Asks the window to show `tab` with `select` selected.
    pub fn go(&mut self, tab: Tab, select: Option<String>) {
        self.nav = Some(Nav { tab, select });
    }

    /// A "History" button that shows the changes to one entity on the History screen.
    pub fn history_button(
        &mut self,
        ui: &mut egui::Ui,
        kind: commonroom_model::EntityKind,
        id: &str,
    ) {
        if ui
            .button("History")
            .on_hover_text(format!(
                "Who changed this {}, and bring back an earlier state",
                kind.name()
            ))
            .clicked()
        {
            self.go(Tab::History, Some(format!("{}:{id}", kind.collection())));
        }
    }

    /// The name of this device's member, or "you".
    pub fn my_name(&self) -> &str {
        self.me.map(|id| self.view.member_name(id)).unwrap_or("you")
    }
}
