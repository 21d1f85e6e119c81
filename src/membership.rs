//! Command-line membership upkeep: the history line format, devices and invites.

use std::io::Write;

use anyhow::{Result, anyhow, bail};
use commonroom_model::history::{Activity, breaks_rules, describe};
use commonroom_model::{Command, CommunityView, MemberId, Timestamp};

use crate::backend::{Backend, Target, unique_prefix};
use crate::cli::{DeviceAction, InvitesAction};

/// One line of `history`: change id, time, and what happened in words.
pub fn activity_line(view: &CommunityView, entry: &Activity) -> String {
    let at = entry
        .at
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| "(no time recorded)".into());
    let short: String = entry.change.chars().take(12).collect();
    let mut line = format!("{short}  {at}  {}", describe(view, entry));
    if let Some(why) = breaks_rules(view, entry) {
        line.push_str(&format!("  [not allowed for their role today: {why}]"));
    }
    line
}

/// `device list` and `device unlink` (linking needs a running node: see `network`).
pub fn device(backend: &mut dyn Backend, action: DeviceAction, out: &mut dyn Write) -> Result<()> {
    match action {
        DeviceAction::Link { .. } => {
            bail!("linking a device needs the network; run it without a node")
        }
        DeviceAction::List { community, member } => {
            let session = Target::open(backend, &community)?;
            let member = whose(&session, member)?;
            let view = session.view()?;
            let Some(stored) = view.members.get(&member) else {
                bail!("no member {member}");
            };
            for (device, info) in &stored.devices {
                let state = match info.unlinked_at {
                    Some(at) => format!("unlinked {}", at.to_rfc3339()),
                    None => format!("linked {}", info.added_at.to_rfc3339()),
                };
                writeln!(out, "{device}  {}  {state}", info.label)?;
            }
        }
        DeviceAction::Unlink {
            community,
            device,
            member,
        } => {
            let session = Target::open(backend, &community)?;
            let member = whose(&session, member)?;
            let view = session.view()?;
            let Some(stored) = view.members.get(&member) else {
                bail!("no member {member}");
            };
            let device = unique_prefix(stored.devices.keys(), &device, "device")?;
            session.apply(Command::UnlinkDevice {
                member,
                device: device.clone(),
            })?;
            writeln!(out, "{device}")?;
        }
    }
    Ok(())
}

/// `invites list` and `invites revoke`.
pub fn invites(
    backend: &mut dyn Backend,
    action: InvitesAction,
    out: &mut dyn Write,
) -> Result<()> {
    match action {
        InvitesAction::List { community } => {
            let session = Target::open(backend, &community)?;
            let view = session.view()?;
            for invite in view.open_invites(Timestamp::now()) {
                let kind = match &invite.for_member {
                    Some(member) => format!("links a device of {}", view.member_name(member)),
                    None if invite.uses > 1 => format!(
                        "invites a group: {} of {} places left",
                        invite.uses_left(),
                        invite.uses
                    ),
                    None => "invites a new member".to_owned(),
                };
                let by = invite
                    .created_by
                    .as_ref()
                    .map_or("unknown", |m| view.member_name(m));
                writeln!(
                    out,
                    "{}  {kind}  by {by}  expires {}",
                    invite.id,
                    invite.expires_at.to_rfc3339()
                )?;
            }
        }
        InvitesAction::Revoke { community, id } => {
            let session = Target::open(backend, &community)?;
            let view = session.view()?;
            let key = unique_prefix(view.invites.keys(), &id, "invite")
                .map_err(|e| anyhow!("{e} (see `commonroom invites list`)"))?;
            session.apply(Command::RevokeInvite(key.clone()))?;
            writeln!(out, "{key}")?;
        }
    }
    Ok(())
}

/// The member named by `--member`, or this device's member.
fn whose(session: &Target<'_>, member: Option<String>) -> Result<MemberId> {
    match member {
        Some(query) => session.resolve_member(&query),
        None => session.require_me(),
    }
}
