//! The status bar: peers in the room, last sync, offline state, saved or saving.

use std::time::Duration;

use chrono::Utc;
use egui::Ui;

use crate::state::{Data, Notice};

/// How long a notice stays in the status bar.
const NOTICE_FOR: Duration = Duration::from_secs(6);

/// "3 minutes ago" for a time in milliseconds since the epoch.
pub fn ago(millis: i64) -> String {
    let seconds = (Utc::now().timestamp_millis() - millis).max(0) / 1000;
    match seconds {
        0..=9 => "just now".into(),
        10..=59 => format!("{seconds} seconds ago"),
        60..=3599 => format!("{} min ago", seconds / 60),
        3600..=86_399 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// Draws the status bar for the shown community.
pub fn status_ui(ui: &mut Ui, data: &Data, current: Option<&commonroom_model::CommunityId>) {
    ui.horizontal_wrapped(|ui| {
        if let Some(state) = current.and_then(|id| data.communities.get(id)) {
            let online = state.online_peers();
            let removed = state
                .view
                .as_ref()
                .zip(state.me.as_ref())
                .is_some_and(|(view, me)| view.is_removed(me));
            let last_sync = state.peers.iter().filter_map(|p| p.last_sync).max();
            // Said as it is: live while connected (changes travel at once), the last sync
            // only when offline, and no promise of syncing to a removed member.
            let text = match (removed, online, last_sync) {
                (true, _, _) => "Removed from this community: this copy no longer syncs".into(),
                (false, 0, Some(at)) => format!("Offline · last synced {}", ago(at)),
                (false, 0, None) => "Offline · nothing synced yet".into(),
                (false, 1, _) => "Live with 1 other device: changes travel at once".into(),
                (false, n, _) => format!("Live with {n} other devices: changes travel at once"),
            };
            let colour = if online > 0 {
                crate::theme::palette(ui).success
            } else {
                ui.visuals().weak_text_color()
            };
            ui.colored_label(colour, text).on_hover_ui(|ui| {
                if online == 0 && !removed {
                    ui.label("Your changes stay on this laptop and go to the others when a member is online (on the same Wi-Fi, or both online).");
                }
                if state.peers.is_empty() {
                    ui.label("No other devices known yet. Invite someone with ✉ Invite.");
                }
                for peer in &state.peers {
                    let who = peer
                        .member
                        .as_ref()
                        .map(|(_, name)| name.clone())
                        .unwrap_or_else(|| peer.endpoint.fmt_short().to_string());
                    let seen = peer
                        .last_sync
                        .map(|at| format!("last sync {}", ago(at)))
                        .unwrap_or_else(|| "never synced".into());
                    let online = if peer.online { "online" } else { "offline" };
                    ui.label(format!("{who}: {online}, {seen}"));
                }
            });
            ui.separator();
        }
        if data.pending_writes > 0 {
            ui.spinner();
            ui.label("Saving…");
        } else {
            ui.label("✔ All changes saved on this laptop");
        }
        if let Some((notice, at)) = &data.notice
            && at.elapsed() < NOTICE_FOR
        {
            ui.separator();
            match notice {
                Notice::Done(text) => ui.label(text),
                Notice::Failed(text) => ui.colored_label(ui.visuals().error_fg_color, text),
            };
            ui.ctx().request_repaint_after(NOTICE_FOR);
        }
    });
}

/// The banner a removed member sees: plainly what happened and what it means.
pub fn removed_ui(
    ui: &mut Ui,
    here: &crate::here::Here<'_>,
    removal: &commonroom_model::entities::Removal,
) {
    let by = removal
        .by
        .as_ref()
        .map_or("a facilitator", |by| here.view.member_name(by));
    let mut text = format!(
        "You were removed from {} by {by} on {}.",
        here.view.community.name,
        crate::widgets::when(removal.at)
    );
    if let Some(reason) = &removal.reason {
        text.push_str(&format!(" Reason given: {reason}."));
    }
    ui.add_space(crate::theme::space::S);
    ui.colored_label(
        ui.visuals().error_fg_color,
        egui::RichText::new(text).strong(),
    );
    ui.label(
        "You can still read what was on this laptop, but it no longer syncs with the other \
         members and you can no longer change it. If this is a mistake, ask them to invite you again.",
    );
    ui.add_space(crate::theme::space::S);
}
