//! Invite tickets and the proof a joiner gives.
//!
//! An invite is an Ed25519 key pair made for one use. Its public half goes into the
//! community document (with an expiry); its secret half travels in the ticket. The joiner
//! signs a statement naming the community and its own endpoint id, so the proof cannot be
//! replayed by another device.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// Text that starts every ticket.
pub const TICKET_PREFIX: &str = "commonroom1";
/// Version 2 added the inviter's home relay, version 3 other members who can let the
/// joiner in. A ticket is written in the lowest version that holds what it carries, so
/// earlier releases still read the tickets they can use.
const TICKET_VERSION: u8 = 3;
/// Most other members a ticket names besides the inviter.
pub const MAX_TICKET_PEERS: usize = 3;
/// Most addresses a ticket gives for each other member.
const MAX_PEER_ADDRS: usize = 4;
const MAX_TICKET_CHARS: usize = 2_000;
const MAX_ADDRS: usize = 16;
/// The longest relay URL a ticket carries (one length byte).
pub const MAX_RELAY_URL: usize = 255;

/// Why a ticket or an invite proof is not acceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InviteError {
    /// The text is not a Commonroom ticket.
    #[error("this is not a Commonroom invite (it should start with {TICKET_PREFIX})")]
    NotATicket,
    /// The ticket is damaged or cut short.
    #[error("the invite text is damaged or incomplete ({0}); copy the whole invite again")]
    Damaged(&'static str),
    /// The signature does not match the invite.
    #[error("the invite proof is forged or for another device")]
    BadProof,
}

/// What a joiner needs: where to find the inviter and the invite secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The community's id.
    pub community: String,
    /// The inviter's endpoint id (an Ed25519 public key).
    pub inviter: [u8; 32],
    /// Addresses where the inviter was listening when the ticket was made.
    pub addrs: Vec<SocketAddr>,
    /// The inviter's home relay (an iroh relay URL), through which a joiner on another
    /// network reaches the inviter; `None` with relays off.
    pub relay: Option<String>,
    /// The one-time invite secret.
    pub secret: [u8; 32],
    /// Other member devices that can let the joiner in while the inviter is away (any
    /// member's node can check the invite: it is in the shared document), at most
    /// [`MAX_TICKET_PEERS`].
    pub others: Vec<TicketPeer>,
}

/// A member device named in a ticket besides the inviter, and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketPeer {
    /// Its endpoint id.
    pub id: [u8; 32],
    /// Its direct addresses when the ticket was made (at most 4 are written).
    pub addrs: Vec<SocketAddr>,
    /// Its home relay.
    pub relay: Option<String>,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("community", &self.community)
            .field("inviter", &data_encoding::HEXLOWER.encode(&self.inviter))
            .field("addrs", &self.addrs)
            .field("relay", &self.relay)
            .field("others", &self.others.len())
            .finish_non_exhaustive()
    }
}

impl Ticket {
    /// The ticket as one line of text.
    pub fn encode(&self) -> String {
        let relay = usable_relay(self.relay.as_deref());
        let others = &self.others[..self.others.len().min(MAX_TICKET_PEERS)];
        let version = if !others.is_empty() {
            TICKET_VERSION
        } else if relay.is_some() {
            2
        } else {
            1
        };
        let mut bytes = vec![version];
        let community = self.community.as_bytes();
        bytes.push(community.len().min(255) as u8);
        bytes.extend_from_slice(&community[..community.len().min(255)]);
        bytes.extend_from_slice(&self.inviter);
        bytes.extend_from_slice(&self.secret);
        write_addrs(&mut bytes, &self.addrs, MAX_ADDRS);
        if version >= 2 {
            write_relay(&mut bytes, relay);
        }
        if version >= 3 {
            bytes.push(others.len() as u8);
            for peer in others {
                bytes.extend_from_slice(&peer.id);
                write_addrs(&mut bytes, &peer.addrs, MAX_PEER_ADDRS);
                write_relay(&mut bytes, usable_relay(peer.relay.as_deref()));
            }
        }
        format!(
            "{TICKET_PREFIX}{}",
            data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
        )
    }

    /// Parses a ticket (surrounding whitespace and line breaks from chat apps are ignored).
    pub fn decode(text: &str) -> Result<Self, InviteError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() > MAX_TICKET_CHARS {
            return Err(InviteError::Damaged("too long"));
        }
        let body = compact
            .to_lowercase()
            .strip_prefix(TICKET_PREFIX)
            .map(str::to_uppercase)
            .ok_or(InviteError::NotATicket)?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| InviteError::Damaged("not valid text encoding"))?;
        let mut r = Reader { bytes: &bytes };
        let version = r.u8()?;
        if !(1..=TICKET_VERSION).contains(&version) {
            return Err(InviteError::Damaged("made by an incompatible version"));
        }
        let len = r.u8()? as usize;
        let community = String::from_utf8(r.take(len)?.to_vec())
            .map_err(|_| InviteError::Damaged("bad community id"))?;
        let inviter = r.array()?;
        let secret = r.array()?;
        let addrs = r.addrs(MAX_ADDRS)?;
        let relay = if version >= 2 { r.relay()? } else { None };
        let mut others = Vec::new();
        if version >= 3 {
            let count = r.u8()? as usize;
            if count > MAX_TICKET_PEERS {
                return Err(InviteError::Damaged("too many members named"));
            }
            for _ in 0..count {
                others.push(TicketPeer {
                    id: r.array()?,
                    addrs: r.addrs(MAX_PEER_ADDRS)?,
                    relay: r.relay()?,
                });
            }
        }
        if !r.bytes.is_empty() {
            return Err(InviteError::Damaged("unexpected trailing data"));
        }
        Ok(Self {
            community,
            inviter,
            addrs,
            relay,
            secret,
            others,
        })
    }
}

/// A relay URL worth writing: not empty, and short enough for its length byte.
fn usable_relay(relay: Option<&str>) -> Option<&str> {
    relay.filter(|url| !url.is_empty() && url.len() <= MAX_RELAY_URL)
}

/// Writes at most `max` addresses with their count.
fn write_addrs(bytes: &mut Vec<u8>, addrs: &[SocketAddr], max: usize) {
    let addrs = &addrs[..addrs.len().min(max)];
    bytes.push(addrs.len() as u8);
    for addr in addrs {
        match addr.ip() {
            IpAddr::V4(ip) => {
                bytes.push(4);
                bytes.extend_from_slice(&ip.octets());
            }
            IpAddr::V6(ip) => {
                bytes.push(6);
                bytes.extend_from_slice(&ip.octets());
            }
        }
        bytes.extend_from_slice(&addr.port().to_be_bytes());
    }
}

/// Writes a relay URL with its length (0 for none).
fn write_relay(bytes: &mut Vec<u8>, relay: Option<&str>) {
    let relay = relay.unwrap_or_default();
    bytes.push(relay.len() as u8);
    bytes.extend_from_slice(relay.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], InviteError> {
        if self.bytes.len() < n {
            return Err(InviteError::Damaged("cut short"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, InviteError> {
        Ok(self.take(1)?[0])
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], InviteError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    /// A count of addresses (at most `max`) and the addresses.
    fn addrs(&mut self, max: usize) -> Result<Vec<SocketAddr>, InviteError> {
        let count = self.u8()? as usize;
        if count > max {
            return Err(InviteError::Damaged("too many addresses"));
        }
        let mut addrs = Vec::with_capacity(count);
        for _ in 0..count {
            let ip = match self.u8()? {
                4 => IpAddr::V4(Ipv4Addr::from(self.array::<4>()?)),
                6 => IpAddr::V6(Ipv6Addr::from(self.array::<16>()?)),
                _ => return Err(InviteError::Damaged("bad address")),
            };
            let port = u16::from_be_bytes(self.array()?);
            addrs.push(SocketAddr::new(ip, port));
        }
        Ok(addrs)
    }
    /// A relay URL with its length byte (`None` when empty).
    fn relay(&mut self) -> Result<Option<String>, InviteError> {
        let len = self.u8()? as usize;
        let url = std::str::from_utf8(self.take(len)?)
            .map_err(|_| InviteError::Damaged("bad relay address"))?;
        Ok((!url.is_empty()).then(|| url.to_owned()))
    }
}

/// The bytes a joiner signs: the protocol, the community, and the joiner's own endpoint id.
pub fn join_statement(community: &str, joiner: &[u8; 32]) -> Vec<u8> {
    let mut statement = b"commonroom-join-v1\0".to_vec();
    statement.extend_from_slice(community.as_bytes());
    statement.push(0);
    statement.extend_from_slice(joiner);
    statement
}

/// A one-time invite key pair.
pub struct InviteKey(SigningKey);

impl InviteKey {
    /// The key for an invite secret (from a ticket, or 32 fresh random bytes).
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(secret))
    }

    /// The public half, hex encoded, as recorded in the document.
    pub fn public_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(self.0.verifying_key().as_bytes())
    }

    /// Signs the join statement for `joiner` (hex signature).
    pub fn sign_join(&self, community: &str, joiner: &[u8; 32]) -> String {
        data_encoding::HEXLOWER.encode(&self.0.sign(&join_statement(community, joiner)).to_bytes())
    }
}

/// Checks a joiner's proof against the invite's public key (hex) as recorded in the document.
pub fn verify_join(
    public_hex: &str,
    community: &str,
    joiner: &[u8; 32],
    signature_hex: &str,
) -> Result<(), InviteError> {
    let public: [u8; 32] = decode_hex(public_hex).ok_or(InviteError::BadProof)?;
    let signature: [u8; 64] = decode_hex(signature_hex).ok_or(InviteError::BadProof)?;
    let key = VerifyingKey::from_bytes(&public).map_err(|_| InviteError::BadProof)?;
    key.verify(
        &join_statement(community, joiner),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| InviteError::BadProof)
}

fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .ok()?
        .try_into()
        .ok()
}

/// This device's Automerge actor id in a community: stable across restarts (so the number
/// of actors does not grow with every launch), different per community, and not linkable
/// to the device without its secret key. Derived from a deterministic Ed25519 signature.
pub fn actor_id(secret: &[u8; 32], community: &str) -> [u8; 16] {
    let mut statement = b"commonroom-actor-v1\0".to_vec();
    statement.extend_from_slice(community.as_bytes());
    let signature = SigningKey::from_bytes(secret).sign(&statement).to_bytes();
    let mut actor = [0u8; 16];
    actor.copy_from_slice(&signature[..16]);
    actor
}

/// The Ed25519 public key (endpoint id) of a device's 32-byte secret key.
pub fn public_key_of(secret: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(secret).verifying_key().to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            community: "01M82QKCX3MFGN3BRQ27ZABEEJ".into(),
            inviter: [7; 32],
            addrs: vec![
                "127.0.0.1:4433".parse().unwrap(),
                "[::1]:5555".parse().unwrap(),
            ],
            relay: Some("https://relay.example.org./".into()),
            secret: [9; 32],
            others: Vec::new(),
        }
    }

    #[test]
    fn a_ticket_names_other_members_who_can_let_the_joiner_in() {
        let others = vec![
            TicketPeer {
                id: [1; 32],
                addrs: vec!["10.0.0.2:7000".parse().unwrap()],
                relay: Some("https://relay.example.org./".into()),
            },
            TicketPeer {
                id: [2; 32],
                addrs: Vec::new(),
                relay: None,
            },
        ];
        let with_others = Ticket {
            others: others.clone(),
            ..ticket()
        };
        let text = with_others.encode();
        assert_eq!(Ticket::decode(&text).unwrap(), with_others);
        // Without a relay of the inviter's own, still version 3 and read back the same.
        let lan = Ticket {
            relay: None,
            others,
            ..ticket()
        };
        assert_eq!(Ticket::decode(&lan.encode()).unwrap(), lan);
        // At most three others are written, with at most four addresses each.
        let crowd = Ticket {
            others: (0..6)
                .map(|i| TicketPeer {
                    id: [i; 32],
                    addrs: (0..9)
                        .map(|p| SocketAddr::from(([10, 0, 0, i], 7000 + p)))
                        .collect(),
                    relay: None,
                })
                .collect(),
            ..ticket()
        };
        let read = Ticket::decode(&crowd.encode()).unwrap();
        assert_eq!(read.others.len(), MAX_TICKET_PEERS);
        assert!(read.others.iter().all(|o| o.addrs.len() == 4));
    }

    #[test]
    fn tickets_round_trip_and_survive_chat_apps() {
        let text = ticket().encode();
        assert!(text.len() < 320, "{} chars", text.len());
        assert_eq!(Ticket::decode(&text).unwrap(), ticket());
        let wrapped = format!("  {}\n{}  ", &text[..40], &text[40..].to_uppercase());
        assert_eq!(Ticket::decode(&wrapped).unwrap(), ticket());
        let lan_only = Ticket {
            relay: None,
            ..ticket()
        };
        assert_eq!(Ticket::decode(&lan_only.encode()).unwrap(), lan_only);
    }

    #[test]
    fn a_ticket_without_a_relay_is_version_one_and_later_versions_are_refused() {
        let bytes_of = |text: &str| {
            data_encoding::BASE32_NOPAD
                .decode(text[TICKET_PREFIX.len()..].to_uppercase().as_bytes())
                .unwrap()
        };
        assert_eq!(bytes_of(&ticket().encode())[0], 2);
        let lan_only = Ticket {
            relay: None,
            ..ticket()
        };
        let mut bytes = bytes_of(&lan_only.encode());
        assert_eq!(bytes[0], 1, "readable by releases before relays");
        bytes[0] = 4;
        let future = format!(
            "{TICKET_PREFIX}{}",
            data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
        );
        assert_eq!(
            Ticket::decode(&future),
            Err(InviteError::Damaged("made by an incompatible version"))
        );
    }

    #[test]
    fn damaged_tickets_are_refused_clearly() {
        let text = ticket().encode();
        assert_eq!(Ticket::decode("hello"), Err(InviteError::NotATicket));
        assert!(matches!(
            Ticket::decode(&text[..text.len() - 9]),
            Err(InviteError::Damaged(_))
        ));
        assert!(matches!(
            Ticket::decode(&format!("{text}aaaaaaaa")),
            Err(InviteError::Damaged(_))
        ));
    }

    #[test]
    fn actor_ids_are_stable_per_device_and_community() {
        let a = actor_id(&[1; 32], "c1");
        assert_eq!(a, actor_id(&[1; 32], "c1"));
        assert_ne!(a, actor_id(&[1; 32], "c2"));
        assert_ne!(a, actor_id(&[2; 32], "c1"));
    }

    #[test]
    fn proofs_bind_the_joiner() {
        let key = InviteKey::from_secret(&[3; 32]);
        let joiner = [5; 32];
        let sig = key.sign_join("c1", &joiner);
        assert_eq!(verify_join(&key.public_hex(), "c1", &joiner, &sig), Ok(()));
        assert_eq!(
            verify_join(&key.public_hex(), "c1", &[6; 32], &sig),
            Err(InviteError::BadProof)
        );
        assert_eq!(
            verify_join(&key.public_hex(), "c2", &joiner, &sig),
            Err(InviteError::BadProof)
        );
        let other = InviteKey::from_secret(&[4; 32]);
        assert_eq!(
            verify_join(&other.public_hex(), "c1", &joiner, &sig),
            Err(InviteError::BadProof)
        );
        assert_eq!(
            verify_join("zz", "c1", &joiner, "nonsense"),
            Err(InviteError::BadProof)
        );
    }
}
