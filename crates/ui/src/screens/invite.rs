//! The Invite dialog: choose for how many people and how long, then an invite made only when
//! asked, as a message that says who invites whom and what to do (with a copy button),
//! holding a `commonroom://` link and the ticket, and the link as a QR code.

use egui::{Context, Sense, Ui, Vec2};

use crate::here::Here;

/// How long an invite may be made valid for, in days, as offered in the dialog.
pub const VALIDITY_CHOICES: [u64; 4] = [1, 7, 14, 30];

/// For how many people one invite may be made, as offered in the dialog.
pub const GROUP_CHOICES: [u32; 6] = [1, 3, 5, 10, 20, 50];

/// What the person chose for the next invite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InviteChoice {
    /// How many days it stays valid.
    pub days: u64,
    /// How many people may join with it.
    pub people: u32,
}

impl Default for InviteChoice {
    fn default() -> Self {
        Self {
            days: crate::bridge::INVITE_DAYS,
            people: 1,
        }
    }
}

/// Draws the dialog; returns whether it stays open, and whether an invite should be made
/// now with `choice`.
pub fn invite_ui(
    ctx: &Context,
    community: &commonroom_model::CommunityId,
    here: &mut Here<'_>,
    ticket: Option<&Result<String, String>>,
    choice: &mut InviteChoice,
    asked: bool,
) -> (bool, bool) {
    let mut open = true;
    let mut create = false;
    egui::Window::new("Invite people")
        .id(egui::Id::unique(("invite", community)))
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .show(ctx, |ui| {
            if !here.can().manage_membership {
                ui.label(format!(
                    "Only facilitators and core-group members invite people to {}. Ask {} to invite them.",
                    here.view.community.name,
                    here.stewards()
                ));
                return;
            }
            ui.label(format!(
                "Make an invite to {} and send it by WhatsApp, email or text.",
                here.view.community.name
            ));
            ui.horizontal_wrapped(|ui| {
                let label = ui.label("For");
                egui::ComboBox::from_id_salt("invite_people")
                    .selected_text(people_text(choice.people))
                    .show_ui(ui, |ui| {
                        for people in GROUP_CHOICES {
                            ui.selectable_value(&mut choice.people, people, people_text(people));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label("valid for");
                egui::ComboBox::from_id_salt("invite_validity")
                    .selected_text(days_text(choice.days))
                    .show_ui(ui, |ui| {
                        for days in VALIDITY_CHOICES {
                            ui.selectable_value(&mut choice.days, days, days_text(days));
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            create = ui.button("Create invite").clicked();
            ui.label("Any member whose Commonroom is open can let them in, on the same Wi-Fi or online; you need not be there.");
            ui.add_space(8.0);
            match ticket {
                None if asked => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Making an invite…");
                    });
                }
                None => {}
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                Some(Ok(ticket)) => match commonroom_proto::Ticket::decode(ticket) {
                    Ok(decoded) => {
                        let message = decoded.message(
                            Some(here.my_name()),
                            &here.view.community.name,
                            choice.days,
                            choice.people,
                        );
                        ticket_ui(ui, "Invite message", &message, &decoded.link());
                    }
                    Err(_) => ticket_ui(ui, "Invite message", ticket, ticket),
                },
            }
            open_invites_ui(ui, here);
        });
    (open, create)
}

fn people_text(people: u32) -> String {
    if people == 1 {
        "1 person".into()
    } else {
        format!("up to {people} people")
    }
}

fn days_text(days: u64) -> String {
    if days == 1 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}

/// Invites that can still be used, each with a button to withdraw it.
fn open_invites_ui(ui: &mut Ui, here: &mut Here<'_>) {
    let open = here.view.open_invites(here.now);
    ui.add_space(8.0);
    ui.separator();
    ui.strong(format!("Open invites ({})", open.len()));
    let mut withdraw = Vec::new();
    egui::ScrollArea::vertical()
        .id_salt("open_invites")
        .max_height(160.0)
        .show(ui, |ui| {
            for invite in open {
                ui.horizontal(|ui| {
                    let by = invite
                        .created_by
                        .as_ref()
                        .map_or("someone", |m| here.view.member_name(m));
                    let what = match &invite.for_member {
                        Some(member) => {
                            format!("links a device of {}", here.view.member_name(member))
                        }
                        None if invite.uses > 1 => {
                            format!("{} of {} places left", invite.uses_left(), invite.uses)
                        }
                        None => "one new member".to_owned(),
                    };
                    ui.label(format!(
                        "{what}, made by {by}, until {}",
                        crate::widgets::when(invite.expires_at)
                    ));
                    if ui
                        .small_button("Withdraw")
                        .on_hover_text("Nobody can use it after this")
                        .clicked()
                    {
                        withdraw.push(invite.id.clone());
                    }
                });
            }
        });
    for id in withdraw {
        here.send(
            "Invite withdrawn",
            commonroom_model::Command::RevokeInvite(id),
        );
    }
}

/// An invite as a message to copy (shown under `label`), with "Copied" once copied, and
/// `qr` (its link) as a QR code.
pub fn ticket_ui(ui: &mut Ui, label: &str, message: &str, qr: &str) {
    let label = ui.label(label);
    let mut shown = message.to_owned();
    // A message is several lines: it scrolls, so the QR code and open invites stay in view.
    egui::ScrollArea::vertical()
        .id_salt("invite_text")
        .max_height(130.0)
        .show(ui, |ui| {
            ui.add(
                egui::TextEdit::multiline(&mut shown)
                    .desired_rows(6)
                    .desired_width(ui.available_width().min(480.0)),
            )
            .labelled_by(label.id);
        });
    let copied_id = ui.scope_id().with(("copied", qr));
    let copied = ui.data(|d| d.get_temp::<bool>(copied_id)).unwrap_or(false);
    ui.horizontal_wrapped(|ui| {
        if ui.button("📋 Copy invite").clicked() {
            ui.ctx().copy_text(message.to_owned());
            ui.data_mut(|d| d.insert_temp(copied_id, true));
        }
        if copied {
            ui.label("Copied: paste it into WhatsApp, an email or a text.");
        }
    });
    ui.add_space(8.0);
    qr_ui(ui, qr);
}

/// Paints `text` as a QR code (dark modules on white, with a quiet zone).
fn qr_ui(ui: &mut Ui, text: &str) {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        ui.weak("(too long for a QR code)");
        return;
    };
    let width = code.width();
    let colours = code.to_colors();
    let quiet = 4;
    let modules = width + 2 * quiet;
    let module = (200.0 / modules as f32).max(2.0);
    let side = module * modules as f32;
    let (response, painter) = ui.allocate_painter(Vec2::splat(side), Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 0.0, crate::theme::QR_LIGHT);
    for (index, colour) in colours.iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            let x = (index % width + quiet) as f32 * module;
            let y = (index / width + quiet) as f32 * module;
            let cell = egui::Rect::from_min_size(rect.min + Vec2::new(x, y), Vec2::splat(module));
            painter.rect_filled(cell, 0.0, crate::theme::QR_DARK);
        }
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Invite QR code"));
}
