//! The Invite dialog: a one-use invite as a message that says what to do with it (with a
//! copy button), holding a `commonroom://` link and the ticket, and the link as a QR code.

use egui::{Color32, Context, Sense, Ui, Vec2};

use crate::here::Here;

/// How long an invite may be made valid for, in days, as offered in the dialog.
pub const VALIDITY_CHOICES: [u64; 4] = [1, 7, 14, 30];

/// Draws the dialog; returns whether it stays open, and whether a new ticket is wanted
/// (the person chose another validity in `days`).
pub fn invite_ui(
    ctx: &Context,
    community: &commonroom_model::CommunityId,
    here: &mut Here<'_>,
    ticket: Option<&Result<String, String>>,
    days: &mut u64,
) -> (bool, bool) {
    let mut open = true;
    let mut remake = false;
    egui::Window::new("Invite someone")
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
                "Send this invite to one person you want in {}. It works once.",
                here.view.community.name
            ));
            ui.horizontal(|ui| {
                let label = ui.label("Valid for");
                let before = *days;
                egui::ComboBox::from_id_salt("invite_validity")
                    .selected_text(days_text(*days))
                    .show_ui(ui, |ui| {
                        for choice in VALIDITY_CHOICES {
                            ui.selectable_value(days, choice, days_text(choice));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                remake = *days != before;
            });
            ui.label("They open the link in it, or paste the whole message into “Join with an invite”; your Commonroom must be open while they join, on the same Wi-Fi or with both of you online.");
            ui.add_space(8.0);
            match ticket {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Making an invite…");
                    });
                }
                Some(Err(error)) => {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                Some(Ok(ticket)) => match commonroom_proto::Ticket::decode(ticket) {
                    Ok(decoded) => ticket_ui(
                        ui,
                        &decoded.message(&here.view.community.name, *days),
                        &decoded.link(),
                    ),
                    Err(_) => ticket_ui(ui, ticket, ticket),
                },
            }
            open_invites_ui(ui, here);
        });
    (open, remake)
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
                        None => "a new member".to_owned(),
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

/// An invite as copyable `text` (a message or a bare ticket), and its `link` as a QR code.
pub fn ticket_ui(ui: &mut Ui, text: &str, link: &str) {
    let label = ui.label("Invite ticket");
    let mut shown = text.to_owned();
    // A message is several lines: it scrolls, so the QR code and open invites stay in view.
    egui::ScrollArea::vertical()
        .id_salt("invite_text")
        .max_height(130.0)
        .show(ui, |ui| {
            ui.add(
                egui::TextEdit::multiline(&mut shown)
                    .desired_rows(4)
                    .desired_width(460.0)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id);
        });
    if ui.button("📋 Copy invite").clicked() {
        ui.ctx().copy_text(text.to_owned());
    }
    ui.add_space(8.0);
    qr_ui(ui, link);
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
    painter.rect_filled(rect, 0.0, Color32::WHITE);
    for (index, colour) in colours.iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            let x = (index % width + quiet) as f32 * module;
            let y = (index / width + quiet) as f32 * module;
            let cell = egui::Rect::from_min_size(rect.min + Vec2::new(x, y), Vec2::splat(module));
            painter.rect_filled(cell, 0.0, Color32::BLACK);
        }
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Invite QR code"));
}
