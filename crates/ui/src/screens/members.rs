//! The member directory: search and filters, a virtualised list, profiles, and editing
//! (including "this is me").

use commonroom_model::commands::{MemberPatch, NewMember};
use commonroom_model::entities::Member;
use commonroom_model::{Command, MemberId, Role};
use egui::Ui;

use crate::here::Here;
use crate::widgets::{labelled_text, matches, primary_button, split_list};

/// The member directory's state.
#[derive(Default)]
pub struct MembersScreen {
    /// Search text.
    pub search: String,
    /// Only members with this role.
    pub role: Option<Role>,
    /// Only members with this focus area.
    pub focus: Option<String>,
    /// The selected member.
    pub selected: Option<MemberId>,
    /// An open add or edit form.
    pub form: Option<MemberForm>,
    /// The import box, when open: the pasted rows and the last problems found.
    pub import: Option<(String, Vec<String>)>,
    /// The device-link ticket panel is open.
    pub linking: bool,
    /// A removal being confirmed: the reason typed so far.
    pub removing: Option<String>,
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "members.form";
/// Where pasted rows come back from when their import fails.
const IMPORT: &str = "members.import";
/// Where a removal's reason comes back from when the removal fails.
const REMOVAL: &str = "members.removal";

/// The add/edit member form.
#[derive(Clone, Debug, Default)]
pub struct MemberForm {
    /// The member being edited (`None` adds one).
    pub editing: Option<MemberId>,
    /// Display name.
    pub name: String,
    /// Organisation.
    pub organisation: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Focus areas, comma separated.
    pub focus: String,
    /// Contact.
    pub contact: String,
    /// Lived experience (self-declared, only offered on one's own profile).
    pub lived_experience: bool,
}

impl MemberForm {
    fn from_member(member: &Member) -> Self {
        Self {
            editing: Some(member.id.clone()),
            name: member.name.clone(),
            organisation: member.organisation.clone().unwrap_or_default(),
            roles: member.roles.iter().cloned().collect(),
            focus: member.focus.iter().cloned().collect::<Vec<_>>().join(", "),
            contact: member.contact.clone().unwrap_or_default(),
            lived_experience: member.lived_experience,
        }
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl MembersScreen {
    /// Opens an empty "add member" form.
    pub fn start_new(&mut self) {
        self.form = Some(MemberForm {
            roles: vec![Role::Member],
            ..Default::default()
        });
    }

    /// The members the search and filters let through, sorted by name.
    pub fn filtered<'v>(&self, here: &Here<'v>) -> Vec<&'v Member> {
        let mut members: Vec<&Member> = here
            .view
            .active_members()
            .into_iter()
            .filter(|m| self.role.as_ref().is_none_or(|r| m.roles.contains(r)))
            .filter(|m| self.focus.as_ref().is_none_or(|f| m.focus.contains(f)))
            .filter(|m| {
                matches(&m.name, &self.search)
                    || m.organisation
                        .as_deref()
                        .is_some_and(|o| matches(o, &self.search))
            })
            .collect();
        members.sort_by_cached_key(|m| m.name.to_lowercase());
        members
    }

    /// Draws the directory.
    pub fn members_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Members");
            if ui.button("➕ Add member").on_hover_text("Ctrl+N").clicked() {
                self.start_new();
            }
            if ui
                .button("Import from a spreadsheet")
                .on_hover_text(
                    "Paste rows with a header: name, organisation, roles, focus, contact",
                )
                .clicked()
            {
                self.import = Some((String::new(), Vec::new()));
            }
            if let Some(me) = here.me.cloned()
                && ui.button("✏ Edit my profile").clicked()
                && let Some(member) = here.view.members.get(&me)
            {
                self.form = Some(MemberForm::from_member(member));
            }
        });
        self.filters_ui(ui, here);
        ui.separator();
        if let Some(form) = here.take_returned::<MemberForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(rows) = here.take_returned::<String>(IMPORT) {
            self.import = Some((rows, Vec::new()));
        }
        if let Some((member, reason)) = here.take_returned::<(MemberId, String)>(REMOVAL) {
            // The removal did not happen: its confirmation opens again with the reason.
            self.selected = Some(member);
            self.removing = Some(reason);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, here) {
                self.form = None;
            }
            return;
        }
        if let Some((text, problems)) = &mut self.import {
            if import_ui(ui, text, problems, here) {
                self.import = None;
            }
            return;
        }
        let members = self.filtered(here);
        crate::widgets::detail_panel(ui, "member_profile", |ui| self.profile_ui(ui, here));
        ui.weak(crate::widgets::count(members.len(), "member", "members"));
        egui::ScrollArea::vertical()
            .id_salt("member_list")
            .auto_shrink(false)
            .show_rows(
                ui,
                crate::theme::row_height(ui),
                members.len(),
                |ui, rows| {
                    for member in &members[rows] {
                        let mut text = member.name.clone();
                        if here.me == Some(&member.id) {
                            text.push_str(" (you)");
                        }
                        if let Some(org) = &member.organisation {
                            text.push_str(" · ");
                            text.push_str(org);
                        }
                        let selected = self.selected.as_ref() == Some(&member.id);
                        if ui.selectable_label(selected, text).clicked() {
                            self.selected = Some(member.id.clone());
                            self.removing = None;
                            self.linking = false;
                        }
                    }
                },
            );
    }

    fn filters_ui(&mut self, ui: &mut Ui, here: &Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Search members");
            ui.add(egui::TextEdit::singleline(&mut self.search).desired_width(180.0))
                .labelled_by(label.id);
            let label = ui.label("Role");
            egui::ComboBox::from_id_salt("role_filter")
                .selected_text(
                    self.role
                        .as_ref()
                        .map(|r| r.title().to_owned())
                        .unwrap_or_else(|| "any".into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.role, None, "any");
                    for role in Role::ALL {
                        ui.selectable_value(&mut self.role, Some(role.clone()), role.title());
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Focus area");
            egui::ComboBox::from_id_salt("focus_filter")
                .selected_text(self.focus.clone().unwrap_or_else(|| "any".into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.focus, None, "any");
                    for (focus, count) in here.view.focus_areas() {
                        let text = format!("{focus} ({count})");
                        ui.selectable_value(&mut self.focus, Some(focus), text);
                    }
                })
                .response
                .labelled_by(label.id);
        });
    }

    fn profile_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        let Some(member) = self
            .selected
            .as_ref()
            .and_then(|id| here.view.members.get(id))
        else {
            ui.weak("Select a member to see their profile.");
            return;
        };
        ui.heading(&member.name);
        if here.me == Some(&member.id) {
            ui.label("This is you.");
        }
        if let Some(org) = &member.organisation {
            ui.label(org);
        }
        let roles: Vec<&str> = member.roles.iter().map(|r| r.title()).collect();
        ui.label(format!("Roles: {}", roles.join(", ")));
        let focus: Vec<&str> = member.focus.iter().map(String::as_str).collect();
        ui.label(format!(
            "Focus areas: {}",
            if focus.is_empty() {
                "none yet".into()
            } else {
                focus.join(", ")
            }
        ));
        if let Some(contact) = &member.contact {
            ui.label(format!("Contact: {contact}"));
        }
        if member.lived_experience && here.me == Some(&member.id) {
            ui.label("You have said you bring lived experience.");
        }
        match here.talk.and_then(|t| t.index.as_ref()) {
            Some(Ok(index)) => {
                let helped: Vec<&str> = index
                    .helped_with(&member.id)
                    .map(|t| t.title.as_str())
                    .collect();
                if !helped.is_empty() {
                    ui.label(format!(
                        "Answered {}: {}",
                        crate::widgets::count(helped.len(), "question", "questions"),
                        helped.join("; ")
                    ));
                }
            }
            Some(Err(_)) => {}
            None => here.wants_talk = true,
        }
        ui.label(format!("Joined {}", crate::widgets::when(member.joined_at)));
        let attended = here.view.attended_by(&member.id);
        ui.label(format!(
            "Came to {}",
            crate::widgets::count(attended.len(), "event", "events")
        ));
        for event in attended.iter().take(5) {
            if ui
                .link(format!(
                    "{} · {}",
                    crate::widgets::when(event.start),
                    event.title
                ))
                .clicked()
            {
                here.go(crate::tabs::Tab::Events, Some(event.id.to_string()));
            }
        }
        if let Some(removal) = here.view.removals.get(&member.id) {
            let by = removal
                .by
                .as_ref()
                .map_or("a facilitator", |by| here.view.member_name(by));
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("Removed by {by} on {}", crate::widgets::when(removal.at)),
            );
        }
        ui.add_space(crate::theme::space::M);
        ui.horizontal_wrapped(|ui| {
            if ui.button("✏ Edit profile").clicked() {
                self.form = Some(MemberForm::from_member(member));
            }
            here.history_button(ui, commonroom_model::EntityKind::Member, member.id.as_str());
        });
        ui.add_space(crate::theme::space::M);
        self.devices_ui(ui, here, member);
        self.removal_ui(ui, here, member);
    }

    /// A member's devices: unlink a lost one; on your own profile, link another.
    fn devices_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, member: &Member) {
        let own = here.me == Some(&member.id);
        let may_change = own || here.can().manage_membership;
        ui.strong("Devices");
        let linked: Vec<(&String, &commonroom_model::entities::Device)> = member
            .devices
            .iter()
            .filter(|(_, d)| d.unlinked_at.is_none())
            .collect();
        if linked.is_empty() {
            ui.weak("No linked devices: this member is in the directory only.");
        }
        for (device, info) in linked {
            ui.horizontal_wrapped(|ui| {
                let short: String = device.chars().take(8).collect();
                ui.label(format!("{} ({short}…)", info.label))
                    .on_hover_text(format!("Device id {device}"));
                if here.this_device == Some(device.as_str()) {
                    // Unlinking the laptop you are using would cut it off: do it from another.
                    ui.weak("this laptop");
                } else if may_change
                    && ui
                        .small_button("Unlink")
                        .on_hover_text("For a lost or retired device: it can no longer sync")
                        .clicked()
                {
                    here.send(
                        "Device unlinked",
                        Command::UnlinkDevice {
                            member: member.id.clone(),
                            device: device.clone(),
                        },
                    );
                }
            });
        }
        if own && here.removal().is_none() {
            if ui
                .button("Link another device")
                .on_hover_text("Use Commonroom on a second laptop as yourself")
                .clicked()
            {
                self.linking = true;
                here.wants_link_ticket = true;
            }
            if self.linking {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.label(
                        "On your other device, choose \"Join with an invite\", paste this ticket and \
                         give that device a name. It works once, for one day, while this \
                         Commonroom is open.",
                    );
                    match here.link_ticket {
                        None => {
                            ui.spinner();
                        }
                        Some(Err(error)) => {
                            crate::theme::form_error(ui, error);
                        }
                        Some(Ok(ticket)) => {
                            let link = commonroom_proto::Ticket::decode(ticket)
                                .map(|t| t.link())
                                .unwrap_or_else(|_| ticket.clone());
                            crate::screens::invite::ticket_ui(ui, "Invite ticket", ticket, &link)
                        }
                    }
                    if ui.button("Done").clicked() {
                        self.linking = false;
                    }
                });
            }
        }
    }

    /// Removing a member (stewards only), with a reason and a confirmation.
    fn removal_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>, member: &Member) {
        if !here.can().manage_membership
            || here.me == Some(&member.id)
            || here.view.is_removed(&member.id)
        {
            return;
        }
        ui.add_space(crate::theme::space::L);
        match &mut self.removing {
            None => {
                if ui
                    .button("Remove from the community")
                    .on_hover_text("Their devices stop syncing with everyone who sees this")
                    .clicked()
                {
                    self.removing = Some(String::new());
                }
            }
            Some(reason) => {
                let mut close = false;
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.label(format!(
                        "Remove {} from the community? Their devices will no longer sync with \
                         anyone who has seen this. They keep what is already on their laptop.",
                        member.name
                    ));
                    labelled_text(ui, "Reason (optional, members see it)", reason);
                    ui.horizontal_wrapped(|ui| {
                        if primary_button(ui, "Remove").clicked() {
                            let typed = (member.id.clone(), reason.clone());
                            let reason = optional(reason);
                            here.send_keeping(
                                format!("{} removed", member.name),
                                Command::RemoveMember {
                                    id: member.id.clone(),
                                    reason,
                                },
                                REMOVAL,
                                typed,
                            );
                            close = true;
                        } else if ui.button("Cancel").clicked() {
                            close = true;
                        }
                    });
                });
                if close {
                    self.removing = None;
                }
            }
        }
    }
}

/// Draws the add/edit form; returns true when it is done (saved or cancelled).
fn form_ui(ui: &mut Ui, form: &mut MemberForm, here: &mut Here<'_>) -> bool {
    let own = form.editing.is_some() && form.editing.as_ref() == here.me;
    ui.heading(match (&form.editing, own) {
        (None, _) => "Add a member",
        (Some(_), true) => "Your profile",
        (Some(_), false) => "Edit member",
    });
    labelled_text(ui, "Name", &mut form.name);
    labelled_text(ui, "Organisation", &mut form.organisation);
    let may_set_roles = here.can().manage_membership;
    ui.horizontal_wrapped(|ui| {
        ui.label("Roles");
        if !may_set_roles {
            ui.disable();
        }
        for role in Role::ALL {
            let mut on = form.roles.contains(role);
            if ui.checkbox(&mut on, role.title()).changed() {
                if on {
                    form.roles.push(role.clone());
                } else {
                    form.roles.retain(|r| r != role);
                }
            }
        }
    });
    if !may_set_roles {
        ui.weak(format!(
            "Roles are given by the facilitators and core group ({}).",
            here.stewards()
        ));
    }
    labelled_text(ui, "Focus areas (comma separated)", &mut form.focus);
    labelled_text(ui, "Contact", &mut form.contact);
    if own {
        ui.checkbox(
            &mut form.lived_experience,
            "I bring lived experience (only you see this here)",
        );
    }
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Save member").clicked() && !form.name.trim().is_empty() {
            let command = match &form.editing {
                None => Command::AddMember(NewMember {
                    id: MemberId::generate(),
                    name: form.name.trim().into(),
                    organisation: optional(&form.organisation),
                    roles: form.roles.clone(),
                    focus: split_list(&form.focus),
                    contact: optional(&form.contact),
                }),
                Some(id) => Command::EditMember(
                    id.clone(),
                    MemberPatch {
                        name: Some(form.name.trim().into()),
                        organisation: Some(optional(&form.organisation)),
                        roles: Some(form.roles.clone()),
                        focus: Some(split_list(&form.focus)),
                        contact: Some(optional(&form.contact)),
                        lived_experience: own.then_some(form.lived_experience),
                    },
                ),
            };
            let what = if form.editing.is_some() {
                "Profile saved"
            } else {
                "Member added"
            };
            here.send_keeping(what, command, FORM, form.clone());
            done = true;
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    done
}

/// The import box: paste rows from a spreadsheet or a CSV file; returns true when done.
fn import_ui(
    ui: &mut Ui,
    text: &mut String,
    problems: &mut Vec<String>,
    here: &mut Here<'_>,
) -> bool {
    ui.heading("Import members from a spreadsheet");
    ui.label(
        "Copy the rows from your spreadsheet, header row included, and paste them here. \
         Columns: name (needed), organisation, roles, focus, contact; several roles or focus \
         areas in one cell are separated by ;",
    );
    crate::widgets::labelled_multiline(ui, "Rows to import", text, 8);
    for problem in problems.iter() {
        crate::theme::form_error(ui, problem);
    }
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Import members").clicked() {
            match commonroom_model::import::members_from_csv(text, here.view) {
                Ok(members) if members.is_empty() => {
                    *problems = vec!["There are no rows under the header.".into()];
                }
                Ok(members) => {
                    here.send_keeping(
                        format!("{} members imported", members.len()),
                        Command::ImportMembers(members),
                        IMPORT,
                        text.clone(),
                    );
                    done = true;
                }
                Err(errors) => {
                    *problems = std::iter::once(
                        "Nothing was imported. Fix these lines and try again:".to_owned(),
                    )
                    .chain(errors.iter().map(ToString::to_string))
                    .collect();
                }
            }
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    done
}
