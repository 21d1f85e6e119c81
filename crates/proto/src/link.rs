//! Invite links (`commonroom://join/<ticket>`) and the plain-words invite message.
//!
//! A link is the same ticket behind the app's own URL scheme, so that opening it (from a
//! browser, a mail client or `xdg-open`) starts Commonroom on the join screen. Everything
//! that reads an invite goes through [`read_invite`], which takes a ticket, a link, or a
//! whole pasted message with either inside.

use crate::invite::{InviteError, TICKET_PREFIX, Ticket};

/// The URL scheme Commonroom registers with the desktop.
pub const LINK_SCHEME: &str = "commonroom";
/// What every invite link starts with.
pub const LINK_PREFIX: &str = "commonroom://join/";
/// The longest link read (a ticket is a few hundred characters).
const MAX_LINK_CHARS: usize = 4_000;

/// Why a `commonroom:` link could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    /// The text does not start with `commonroom:`.
    #[error("this is not a Commonroom link (it should start with {LINK_PREFIX})")]
    NotALink,
    /// A `commonroom:` link that asks for something other than joining.
    #[error(
        "this Commonroom link does not hold an invite (an invite link starts with {LINK_PREFIX})"
    )]
    NotAnInvite,
    /// The link is far longer than any invite.
    #[error("this Commonroom link is too long to be an invite; copy the whole invite again")]
    TooLong,
    /// The link's percent-escapes are broken or hide non-text bytes.
    #[error("this Commonroom link is damaged (broken %-escapes); copy the whole invite again")]
    BadEscape,
    /// The link names a join, but its ticket is not valid.
    #[error("{0}")]
    Ticket(#[from] InviteError),
}

impl Ticket {
    /// The ticket as a `commonroom://join/...` link.
    pub fn link(&self) -> String {
        format!("{LINK_PREFIX}{}", self.encode())
    }

    /// The invite as a message to send: who invites whom to what, and what to do with it,
    /// in plain words, with the link and the ticket. `inviter` is the inviting member's name
    /// if known; `community` the community's name; `days` how long the invite stays valid;
    /// `people` how many may join with it.
    pub fn message(
        &self,
        inviter: Option<&str>,
        community: &str,
        days: u64,
        people: u32,
    ) -> String {
        let days = if days == 1 {
            "1 day".to_owned()
        } else {
            format!("{days} days")
        };
        let who = match inviter {
            Some(name) => format!("{name} invites you to join \"{community}\" on Commonroom."),
            None => format!("You are invited to join \"{community}\" on Commonroom."),
        };
        let whom = if people <= 1 {
            "one person".to_owned()
        } else {
            format!("up to {people} people")
        };
        format!(
            "{who}\n\
             If Commonroom is installed, open this link: {link}\n\
             Or open Commonroom, choose \"Join with an invite\" and paste this whole message.\n\
             The invite works for {whom}, for {days}. Any member's Commonroom that is open \
             (on the same Wi-Fi, or online) can let you in.\n\
             Invite: {ticket}",
            link = self.link(),
            ticket = self.encode(),
        )
    }
}

/// Whether `text` is meant as a `commonroom:` link (the scheme, in any case).
pub fn is_link(text: &str) -> bool {
    let text = text.trim_start();
    text.get(..LINK_SCHEME.len() + 1)
        .is_some_and(|head| head.eq_ignore_ascii_case("commonroom:"))
}

/// Reads the ticket out of a `commonroom://join/<ticket>` link. Accepts what desktops and
/// browsers do to links: any case in the scheme, `commonroom:join/`, a trailing `/`,
/// percent-escapes, and a query or fragment after the ticket (ignored).
pub fn ticket_from_link(text: &str) -> Result<Ticket, LinkError> {
    let text = text.trim();
    if !is_link(text) {
        return Err(LinkError::NotALink);
    }
    if text.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong);
    }
    let rest = &text[LINK_SCHEME.len() + 1..];
    let rest = rest.trim_start_matches('/');
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let Some((action, ticket)) = rest.split_once('/') else {
        return Err(if rest.eq_ignore_ascii_case("join") {
            LinkError::Ticket(InviteError::Damaged("the link has no invite after join/"))
        } else {
            LinkError::NotAnInvite
        });
    };
    if !action.eq_ignore_ascii_case("join") {
        return Err(LinkError::NotAnInvite);
    }
    let ticket = percent_decode(ticket.trim_end_matches('/'))?;
    if ticket.trim().is_empty() {
        return Err(LinkError::Ticket(InviteError::Damaged(
            "the link has no invite after join/",
        )));
    }
    Ok(Ticket::decode(&ticket)?)
}

/// Reads an invite from what a person pasted or opened: a bare ticket, a link, or a whole
/// invite message with one of them inside.
pub fn read_invite(text: &str) -> Result<Ticket, LinkError> {
    let trimmed = text.trim();
    if is_link(trimmed) && !trimmed.contains(char::is_whitespace) {
        return ticket_from_link(trimmed);
    }
    match Ticket::decode(trimmed) {
        Err(InviteError::NotATicket) => {}
        other => return Ok(other?),
    }
    // A message: the first word that is a ticket or an invite link.
    let mut first_error = None;
    for word in trimmed.split_whitespace() {
        let word = word.trim_matches(|c: char| matches!(c, '"' | '\'' | '<' | '>' | '(' | ')'));
        let found = if is_link(word) {
            ticket_from_link(word)
        } else if word.to_lowercase().starts_with(TICKET_PREFIX) {
            Ticket::decode(word).map_err(LinkError::from)
        } else {
            continue;
        };
        match found {
            Ok(ticket) => return Ok(ticket),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or(LinkError::Ticket(InviteError::NotATicket)))
}

/// Undoes `%XX` escapes; the result must be text.
fn percent_decode(text: &str) -> Result<String, LinkError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(LinkError::BadEscape)?;
            let hex = std::str::from_utf8(hex).map_err(|_| LinkError::BadEscape)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| LinkError::BadEscape)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| LinkError::BadEscape)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            community: "01M82QKCX3MFGN3BRQ27ZABEEJ".into(),
            inviter: [7; 32],
            addrs: vec!["127.0.0.1:4433".parse().unwrap()],
            relay: Some("https://relay.example.org./".into()),
            secret: [9; 32],
            others: Vec::new(),
        }
    }

    #[test]
    fn links_round_trip_as_desktops_hand_them_over() {
        let link = ticket().link();
        assert!(link.starts_with("commonroom://join/commonroom1"), "{link}");
        assert_eq!(ticket_from_link(&link).unwrap(), ticket());
        let body = &link[LINK_PREFIX.len()..];
        for variant in [
            format!("COMMONROOM://Join/{body}"),
            format!("commonroom:join/{body}"),
            format!("{link}/"),
            format!("{link}?from=mail#top"),
            format!("  {link}\n"),
            format!("{LINK_PREFIX}%63{}", &body[1..]),
        ] {
            assert_eq!(ticket_from_link(&variant).unwrap(), ticket(), "{variant}");
        }
    }

    #[test]
    fn bad_links_get_plain_errors() {
        assert_eq!(ticket_from_link("https://x.org"), Err(LinkError::NotALink));
        assert_eq!(
            ticket_from_link("commonroom://settings/x"),
            Err(LinkError::NotAnInvite)
        );
        assert_eq!(
            ticket_from_link("commonroom://"),
            Err(LinkError::NotAnInvite)
        );
        assert!(matches!(
            ticket_from_link("commonroom://join/"),
            Err(LinkError::Ticket(InviteError::Damaged(_)))
        ));
        assert_eq!(
            ticket_from_link("commonroom://join/hello"),
            Err(LinkError::Ticket(InviteError::NotATicket))
        );
        assert_eq!(
            ticket_from_link("commonroom://join/%zz"),
            Err(LinkError::BadEscape)
        );
        assert_eq!(
            ticket_from_link("commonroom://join/%ff%fe"),
            Err(LinkError::BadEscape)
        );
        assert_eq!(
            ticket_from_link(&format!("commonroom://join/{}", "a".repeat(5_000))),
            Err(LinkError::TooLong)
        );
        let link = ticket().link();
        assert!(matches!(
            ticket_from_link(&link[..link.len() - 10]),
            Err(LinkError::Ticket(InviteError::Damaged(_)))
        ));
        // Every message says what to do.
        for error in [
            LinkError::NotALink,
            LinkError::NotAnInvite,
            LinkError::BadEscape,
        ] {
            assert!(error.to_string().contains("Commonroom link"), "{error}");
        }
    }

    #[test]
    fn any_link_text_is_refused_or_read_without_panicking() {
        let link = ticket().link();
        for cut in 0..link.len() {
            let _ = ticket_from_link(&link[..cut]);
            let _ = read_invite(&link[cut..]);
        }
        for text in [
            "commonroom:",
            "commonroom:%",
            "commonroom://join/%4",
            "commonroom:é/é",
        ] {
            assert!(ticket_from_link(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_message_says_what_to_do_and_reads_back() {
        let message = ticket().message(Some("Alex"), "Family Support", 7, 1);
        assert!(message.starts_with("Alex invites you to join \"Family Support\""));
        assert!(message.contains("works for one person"));
        assert!(
            ticket()
                .message(None, "Family Support", 7, 20)
                .contains("works for up to 20 people")
        );
        assert!(message.contains("open this link: commonroom://join/"));
        assert!(message.contains("Join with an invite"));
        assert!(message.contains("for 7 days"));
        assert!(ticket().message(None, "X", 1, 1).contains("for 1 day."));
        assert_eq!(read_invite(&message).unwrap(), ticket());
        assert_eq!(read_invite(&ticket().encode()).unwrap(), ticket());
        assert_eq!(read_invite(&ticket().link()).unwrap(), ticket());
        assert_eq!(
            read_invite("just some words"),
            Err(LinkError::Ticket(InviteError::NotATicket))
        );
        let damaged = format!("Join us: {}", &ticket().link()[..60]);
        assert!(matches!(
            read_invite(&damaged),
            Err(LinkError::Ticket(InviteError::Damaged(_)))
        ));
    }
}
