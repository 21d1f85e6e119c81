//! [`Here`]: what a screen is given each frame (the community it shows, who is looking, and
//! where to put the changes and navigation it asks for).

use commonroom_model::entities::Removal;
use commonroom_model::history::{Activity, ActivityFilter};
use commonroom_model::permissions::Abilities;
use commonroom_model::{Command, CommunityView, MemberId, Timestamp};

use crate::tabs::Tab;

/// A request to show something elsewhere in the window.
#[derive(Clone, Debug, PartialEq)]
pub struct Nav {
    /// The screen to show.
    pub tab: Tab,
    /// The id of the item to select there.
    pub select: Option<String>,
}

/// A screen's view of the world for one frame.
pub struct Here<'a> {
    /// The community's id.
    pub id: &'a str,
    /// Its latest snapshot.
    pub view: &'a CommunityView,
    /// The member this device is, if known.
    pub me: Option<&'a MemberId>,
    /// The time this frame is drawn at.
    pub now: Timestamp,
    /// Commands to send, with what they do in words.
    pub commands: Vec<(String, Command)>,
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
}

impl<'a> Here<'a> {
    /// A frame's view of `view`.
    pub fn new(
        id: &'a str,
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
            nav: None,
            history: None,
            wants_history: None,
            this_device: None,
            link_ticket: None,
            wants_link_ticket: false,
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
        self.commands.push((what.into(), command));
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
