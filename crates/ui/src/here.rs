//! [`Here`]: what a screen is given each frame (the community it shows, who is looking, and
//! where to put the changes and navigation it asks for).

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

    /// The name of this device's member, or "you".
    pub fn my_name(&self) -> &str {
        self.me.map(|id| self.view.member_name(id)).unwrap_or("you")
    }
}
