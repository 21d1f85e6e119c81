//! Carrying out one command-line command.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use commonroom_model::commands::{
    ActionPatch, CommunityPatch, EventPatch, MemberPatch, NewAction, NewEvent, NewMember, NewNote,
    NewResource, NewTheme, NotePatch, ResourcePatch, ThemePatch,
};
use commonroom_model::export;
use commonroom_model::history::{ActivityFilter, RestoreTarget};
use commonroom_model::pairing;
use commonroom_model::{
    ActionId, Command, Day, EntityKind, EventFormat, EventId, MemberId, NoteId, ResourceId, Role,
    RsvpAnswer, ThemeId, Timestamp,
};

use crate::backend::{Backend, Target};
use crate::cli::{
    ActionFields, CommunityAction, EntityAction, EventAction, EventFields, ExportFormat,
    MemberAction, MemberFields, NoteFields, ResourceFields, ThemeFields,
};

/// Runs a data command on `backend`, writing its result to `out`.
pub fn run(
    backend: &mut dyn Backend,
    command: crate::cli::Command,
    out: &mut dyn Write,
) -> Result<()> {
    use crate::cli::Command as C;
    let local = backend;
    match command {
        C::Create { name, me, domain } => {
            let id = local.create(&name, &me)?;
            if let Some(domain) = domain {
                local.apply(
                    &id,
                    Command::UpdateCommunity(CommunityPatch {
                        domain: Some(domain),
                        ..Default::default()
                    }),
                )?;
            }
            writeln!(out, "{id}")?;
        }
        C::Sample { me } => {
            let id = local.create(commonroom_model::sample::SAMPLE_NAME, &me)?;
            let founder = local
                .me(&id)?
                .ok_or_else(|| anyhow!("the new community has no member for this device"))?;
            for command in commonroom_model::sample::sample_commands(&founder, Timestamp::now()) {
                local.apply(&id, command)?;
            }
            for command in commonroom_model::sample::sample_conversations() {
                local.converse(&id, command)?;
            }
            writeln!(out, "{id}")?;
        }
        C::History {
            community,
            section,
            id,
            by,
            limit,
        } => {
            let session = Target::open(local, &community)?;
            let id = match (section, id) {
                (Some(kind), Some(id)) => Some(session.resolve_id(kind, &id)?),
                _ => None,
            };
            let by = by.map(|b| session.resolve_member(&b)).transpose()?;
            let filter = ActivityFilter {
                collection: section.map(|k| k.collection().to_owned()),
                id,
                by,
            };
            let view = session.view()?;
            for entry in session.history(filter, limit)? {
                writeln!(out, "{}", crate::membership::activity_line(view, &entry))?;
            }
        }
        C::Restore {
            community,
            before,
            section,
            id,
        } => {
            let session = Target::open(local, &community)?;
            let heads = session.point_before(&before)?;
            let target = match id {
                Some(id) => {
                    // The entity may no longer exist now (deleted outright), so an id that
                    // does not resolve against the present is taken as given.
                    let id = session.resolve_id(section, &id).unwrap_or(id);
                    RestoreTarget::Entity(section, id)
                }
                None => RestoreTarget::Section(section),
            };
            session.apply(Command::RestoreAt { heads, target })?;
            writeln!(out, "restored")?;
        }
        C::Device { action } => crate::membership::device(local, action, out)?,
        C::Invites { action } => crate::membership::invites(local, action, out)?,
        C::List => {
            for (id, name) in local.list()? {
                writeln!(out, "{id}  {name}")?;
            }
        }
        C::Show { community, json } => {
            let session = Target::open(local, &community)?;
            let view = session.view()?;
            if json {
                let index = session.conversations()?;
                write!(out, "{}", export::json::with_conversations(view, &index))?;
            } else {
                write!(
                    out,
                    "{}",
                    export::markdown::overview(view, Timestamp::now())
                )?;
            }
        }
        C::Export {
            community,
            format,
            table,
            event,
            impact,
            digest,
            since,
            out: file,
        } => {
            let session = Target::open(local, &community)?;
            let event = event
                .map(|e| session.resolve_id(EntityKind::Event, &e))
                .transpose()?;
            let view = session.view()?;
            let text = match (format, event) {
                (ExportFormat::Markdown | ExportFormat::Text, None) if digest => {
                    let since = since
                        .map(|d| commonroom_model::Day::parse(&d).map(|d| d.start_utc()))
                        .transpose()?;
                    let index = session.conversations()?;
                    let digest =
                        export::digest::Digest::gather(view, &index, since, Timestamp::now());
                    if matches!(format, ExportFormat::Markdown) {
                        digest.markdown(&chrono::Local)
                    } else {
                        digest.text(&chrono::Local)
                    }
                }
                (_, None) if digest => {
                    bail!("--digest goes with --format markdown or --format text")
                }
                (ExportFormat::Markdown, None) if impact => {
                    commonroom_model::insight::impact_report(view, Timestamp::now())
                }
                (_, None) if impact => bail!("--impact goes with --format markdown"),
                (ExportFormat::Markdown, Some(event)) => {
                    export::markdown::event_summary(view, &EventId::new(event))
                        .ok_or_else(|| anyhow!("that event has been removed"))?
                }
                (ExportFormat::Text, Some(event)) => {
                    export::text::event_summary(view, &EventId::new(event), &chrono::Local)
                        .ok_or_else(|| anyhow!("that event has been removed"))?
                }
                (_, Some(_)) => bail!("--event goes with --format markdown or --format text"),
                (format, None) => match format {
                    ExportFormat::Markdown => export::markdown::overview(view, Timestamp::now()),
                    ExportFormat::Json => {
                        export::json::with_conversations(view, &session.conversations()?)
                    }
                    ExportFormat::Ics => export::ics::calendar(view, Timestamp::now()),
                    ExportFormat::Text => bail!(
                        "--format text is the summary of one event for those who could not come: add --event EVENT (see `commonroom event list`)"
                    ),
                    ExportFormat::Csv => {
                        let table = table.parse().map_err(|e: String| anyhow!(e))?;
                        export::csv::table(view, table)
                    }
                },
            };
            match file {
                Some(path) => write_file(&path, text.as_bytes())?,
                None => out.write_all(text.as_bytes())?,
            }
        }
        C::Community {
            action:
                CommunityAction::Edit {
                    community,
                    name,
                    domain,
                    terms,
                    rota,
                },
        } => {
            let session = Target::open(local, &community)?;
            let rota = if rota.is_empty() {
                None
            } else {
                Some(
                    rota.iter()
                        .map(|m| session.resolve_member(m))
                        .collect::<Result<Vec<_>>>()?,
                )
            };
            let applied = session.apply(Command::UpdateCommunity(CommunityPatch {
                name,
                domain,
                terms,
                rota,
            }))?;
            writeln!(out, "{}", applied.id)?;
        }
        C::Member { action } => match action {
            MemberAction::Common(action) => {
                entity(local, out, EntityKind::Member, action, member_command)?
            }
            MemberAction::Import { community, file } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let session = Target::open(local, &community)?;
                let members = commonroom_model::import::members_from_csv(&text, session.view()?)
                    .map_err(|errors| {
                        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                        anyhow!(
                            "nothing imported; fix {} and try again: {}",
                            if errors.len() == 1 {
                                "this line".to_owned()
                            } else {
                                format!("these {} lines", errors.len())
                            },
                            lines.join("; ")
                        )
                    })?;
                let count = members.len();
                session.apply(Command::ImportMembers(members))?;
                writeln!(out, "imported {count} members")?;
            }
        },
        C::Note { action } => entity(local, out, EntityKind::Note, action, note_command)?,
        C::Resource { action } => {
            entity(local, out, EntityKind::Resource, action, resource_command)?
        }
        C::Theme { action } => entity(local, out, EntityKind::Theme, action, theme_command)?,
        C::Action { action } => entity(local, out, EntityKind::Action, action, action_command)?,
        C::Survey { action } => crate::surveys::survey(local, action, out)?,
        C::Story { action } => crate::surveys::story(local, action, out)?,
        C::Channel { action } => crate::talk::channel(local, action, out)?,
        C::Thread { action } => crate::talk::thread(local, action, out)?,
        C::Unread { community, json } => crate::talk::unread(local, &community, json, out)?,
        C::Invite { .. } | C::Join { .. } | C::Serve { .. } | C::Sync { .. } | C::Peers { .. } => {
            bail!("this command needs the network; it is carried out by a node")
        }
        C::Open { .. } => bail!("an invite link is opened by the app, not by a command"),
        C::Event { action } => match action {
            EventAction::Common(action) => {
                entity(local, out, EntityKind::Event, action, event_command)?
            }
            EventAction::Rsvp {
                community,
                event,
                answer,
                member,
            } => {
                let session = Target::open(local, &community)?;
                let event = EventId::new(session.resolve_id(EntityKind::Event, &event)?);
                let member = who(&session, member.as_deref())?;
                let answer = match answer.trim().to_lowercase().as_str() {
                    "none" | "" => None,
                    other => Some(
                        other
                            .parse::<RsvpAnswer>()
                            .map_err(|e| anyhow!("invalid answer: {e}"))?,
                    ),
                };
                let applied = session.apply(Command::Rsvp {
                    event,
                    member,
                    answer,
                })?;
                writeln!(out, "{}", applied.id)?;
            }
            EventAction::Pair {
                community,
                event,
                rounds,
                record,
            } => {
                let session = Target::open(local, &community)?;
                let event = EventId::new(session.resolve_id(EntityKind::Event, &event)?);
                let view = session.view()?;
                let people = pairing::attendees(view, &event);
                if people.len() < 2 {
                    bail!("fewer than two people are checked in (or said yes) for that event");
                }
                let first = view
                    .events
                    .get(&event)
                    .and_then(|e| e.rounds.keys().last())
                    .and_then(|k| k.parse::<u32>().ok())
                    .unwrap_or(0)
                    + 1;
                let proposed = pairing::propose_rounds(
                    &people,
                    &pairing::focus_of(view),
                    &pairing::met_pairs(view),
                    rounds.clamp(1, 20) as usize,
                );
                let names: Vec<Vec<String>> = proposed
                    .iter()
                    .map(|round| {
                        round
                            .iter()
                            .map(|g| {
                                g.iter()
                                    .map(|m| view.member_name(m).to_owned())
                                    .collect::<Vec<_>>()
                                    .join(" & ")
                            })
                            .collect()
                    })
                    .collect();
                for (offset, (round, groups)) in proposed.into_iter().zip(names).enumerate() {
                    let number = first + offset as u32;
                    writeln!(out, "round {number}")?;
                    for group in groups {
                        writeln!(out, "  {group}")?;
                    }
                    if record {
                        session.apply(Command::RecordRound {
                            event: event.clone(),
                            round: number,
                            groups: round,
                        })?;
                    }
                }
            }
            EventAction::CheckIn {
                community,
                event,
                member,
                undo,
            } => {
                let session = Target::open(local, &community)?;
                let event = EventId::new(session.resolve_id(EntityKind::Event, &event)?);
                let member = who(&session, member.as_deref())?;
                let applied = session.apply(Command::CheckIn {
                    event,
                    member,
                    present: !undo,
                })?;
                writeln!(out, "{}", applied.id)?;
            }
        },
    }
    Ok(())
}

fn who(session: &Target<'_>, member: Option<&str>) -> Result<MemberId> {
    match member {
        Some(m) => session.resolve_member(m),
        None => session.require_me(),
    }
}

fn entity<F: clap::Args>(
    local: &mut dyn Backend,
    out: &mut dyn Write,
    kind: EntityKind,
    action: EntityAction<F>,
    build: fn(&Target<'_>, Option<String>, F) -> Result<Command>,
) -> Result<()> {
    let community = match &action {
        EntityAction::Add { community, .. }
        | EntityAction::Edit { community, .. }
        | EntityAction::Remove { community, .. }
        | EntityAction::Restore { community, .. } => community.clone(),
    };
    let session = Target::open(local, &community)?;
    let command = match action {
        EntityAction::Add { fields, .. } => build(&session, None, fields)?,
        EntityAction::Edit { id, fields, .. } => {
            let id = session.resolve_id(kind, &id)?;
            build(&session, Some(id), fields)?
        }
        EntityAction::Remove { id, .. } => {
            let id = session.resolve_id(kind, &id)?;
            if kind == EntityKind::Member {
                Command::RemoveMember {
                    id: MemberId::new(id),
                    reason: None,
                }
            } else {
                Command::Delete(kind, id)
            }
        }
        EntityAction::Restore { id, .. } => {
            if kind == EntityKind::Member {
                bail!("a removed member cannot be restored; invite them again instead");
            }
            Command::Restore(kind, session.resolve_id(kind, &id)?)
        }
    };
    let applied = session.apply(command)?;
    writeln!(out, "{}", applied.id)?;
    Ok(())
}

/// A required field for adding.
fn required(value: Option<String>, flag: &str, what: &str) -> Result<String> {
    value.ok_or_else(|| anyhow!("{what} needs {flag}"))
}

/// An optional field: `Some("")` means "clear it".
fn optional(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| if v.trim().is_empty() { None } else { Some(v) })
}

fn optional_ref<T>(
    value: Option<String>,
    resolve: impl Fn(&str) -> Result<T>,
) -> Result<Option<Option<T>>> {
    match optional(value) {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(v)) => Ok(Some(Some(resolve(&v)?))),
    }
}

fn roles(values: &[String]) -> Result<Vec<Role>> {
    values
        .iter()
        .map(|r| r.parse::<Role>().map_err(|e| anyhow!("invalid role: {e}")))
        .collect()
}

fn resolve_theme(session: &Target<'_>, query: &str) -> Result<ThemeId> {
    session.resolve_theme(query)
}

fn resolve_event(session: &Target<'_>, query: &str) -> Result<EventId> {
    Ok(EventId::new(session.resolve_id(EntityKind::Event, query)?))
}

fn member_command(session: &Target<'_>, id: Option<String>, f: MemberFields) -> Result<Command> {
    let _ = session;
    Ok(match id {
        None => Command::AddMember(NewMember {
            id: MemberId::generate(),
            name: required(f.name, "--name", "a member")?,
            organisation: f.org,
            roles: if f.roles.is_empty() {
                vec![Role::Member]
            } else {
                roles(&f.roles)?
            },
            focus: f.focus,
            contact: f.contact,
        }),
        Some(id) => Command::EditMember(
            MemberId::new(id),
            MemberPatch {
                name: f.name,
                organisation: optional(f.org),
                roles: if f.roles.is_empty() {
                    None
                } else {
                    Some(roles(&f.roles)?)
                },
                focus: if f.focus.is_empty() {
                    None
                } else {
                    Some(f.focus)
                },
                contact: optional(f.contact),
                lived_experience: None,
            },
        ),
    })
}

fn event_command(session: &Target<'_>, id: Option<String>, f: EventFields) -> Result<Command> {
    let time = |t: &str| Timestamp::parse_rfc3339(t).map_err(anyhow::Error::from);
    let format = f
        .format
        .as_deref()
        .map(|v| {
            v.parse::<EventFormat>()
                .map_err(|e| anyhow!("invalid format: {e}"))
        })
        .transpose()?;
    let member = |m: &str| session.resolve_member(m);
    Ok(match id {
        None => Command::AddEvent(NewEvent {
            id: EventId::generate(),
            title: required(f.title, "--title", "an event")?,
            format: format.clone().unwrap_or_default(),
            start: time(&required(f.start, "--start", "an event")?)?,
            end: f
                .end
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(time)
                .transpose()?,
            venue: f.venue,
            call_link: f.link,
            topic: f.topic,
            // Without an agenda, the format's template is a starting point to edit.
            agenda: f.agenda.unwrap_or_else(|| {
                format
                    .clone()
                    .unwrap_or_default()
                    .agenda_template()
                    .to_owned()
            }),
            facilitator: optional_ref(f.facilitator, member)?.flatten(),
            note_taker: optional_ref(f.note_taker, member)?.flatten(),
        }),
        Some(id) => Command::EditEvent(
            EventId::new(id),
            EventPatch {
                title: f.title,
                format,
                start: f.start.as_deref().map(time).transpose()?,
                end: optional_ref(f.end, time)?,
                venue: optional(f.venue),
                call_link: optional(f.link),
                topic: optional(f.topic),
                agenda: f.agenda,
                summary: f.summary,
                facilitator: optional_ref(f.facilitator, member)?,
                note_taker: optional_ref(f.note_taker, member)?,
            },
        ),
    })
}

fn note_command(session: &Target<'_>, id: Option<String>, f: NoteFields) -> Result<Command> {
    let event = optional_ref(f.event, |e| resolve_event(session, e))?;
    let theme = optional_ref(f.theme, |t| resolve_theme(session, t))?;
    Ok(match id {
        None => Command::AddNote(NewNote {
            id: NoteId::generate(),
            text: required(f.text, "--text", "a note")?,
            event: event.flatten(),
            theme: theme.flatten(),
            position: None,
            anonymous: f.anonymous,
        }),
        Some(id) => {
            if f.anonymous {
                bail!("--anonymous applies when adding a note");
            }
            Command::EditNote(
                NoteId::new(id),
                NotePatch {
                    text: f.text,
                    event,
                    theme,
                    position: None,
                },
            )
        }
    })
}

fn resource_command(
    session: &Target<'_>,
    id: Option<String>,
    f: ResourceFields,
) -> Result<Command> {
    let themes = f
        .themes
        .iter()
        .map(|t| resolve_theme(session, t))
        .collect::<Result<Vec<_>>>()?;
    Ok(match id {
        None => Command::AddResource(NewResource {
            id: ResourceId::generate(),
            title: required(f.title, "--title", "a resource")?,
            url: f.url,
            description: f.description.unwrap_or_default(),
            tags: f.tags,
            themes,
        }),
        Some(id) => Command::EditResource(
            ResourceId::new(id),
            ResourcePatch {
                title: f.title,
                url: optional(f.url),
                description: f.description,
                tags: if f.tags.is_empty() {
                    None
                } else {
                    Some(f.tags)
                },
                themes: if themes.is_empty() {
                    None
                } else {
                    Some(themes)
                },
            },
        ),
    })
}

fn theme_command(session: &Target<'_>, id: Option<String>, f: ThemeFields) -> Result<Command> {
    let _ = session;
    Ok(match id {
        None => Command::AddTheme(NewTheme {
            id: ThemeId::generate(),
            name: required(f.name, "--name", "a theme")?,
            description: f.description.unwrap_or_default(),
        }),
        Some(id) => Command::EditTheme(
            ThemeId::new(id),
            ThemePatch {
                name: f.name,
                description: f.description,
            },
        ),
    })
}

fn action_command(session: &Target<'_>, id: Option<String>, f: ActionFields) -> Result<Command> {
    let owner = optional_ref(f.owner, |m| session.resolve_member(m))?;
    let due = optional_ref(f.due, |d| Day::parse(d).map_err(anyhow::Error::from))?;
    let event = optional_ref(f.event, |e| resolve_event(session, e))?;
    let theme = optional_ref(f.theme, |t| resolve_theme(session, t))?;
    Ok(match id {
        None => Command::AddAction(NewAction {
            id: ActionId::generate(),
            text: required(f.text, "--text", "an action")?,
            owner: owner.flatten(),
            due: due.flatten(),
            event: event.flatten(),
            theme: theme.flatten(),
        }),
        Some(id) => {
            if event.is_some() || theme.is_some() {
                bail!("an action's --event and --theme are set when it is added");
            }
            Command::EditAction(
                ActionId::new(id),
                ActionPatch {
                    text: f.text,
                    owner,
                    due,
                    done: if f.done {
                        Some(true)
                    } else if f.not_done {
                        Some(false)
                    } else {
                        None
                    },
                },
            )
        }
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
