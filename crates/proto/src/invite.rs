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
/// Version 2 added the inviter's home relay. A ticket without one is still written as
/// version 1, which every release reads.
const TICKET_VERSION: u8 = 2;
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
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("community", &self.community)
            .field("inviter", &data_encoding::HEXLOWER.encode(&self.inviter))
            .field("addrs", &self.addrs)
            .field("relay", &self.relay)
            .finish_non_exhaustive()
    }
}

impl Ticket {
    /// The ticket as one line of text.
    pub fn encode(&self) -> String {
        let relay = self
            .relay
            .as_deref()
            .filter(|url| !url.is_empty() && url.len() <= MAX_RELAY_URL);
        let mut bytes = vec![if relay.is_some() { TICKET_VERSION } else { 1 }];
        let community = self.community.as_bytes();
        bytes.push(community.len().min(255) as u8);
        bytes.extend_from_slice(&community[..community.len().min(255)]);
        bytes.extend_from_slice(&self.inviter);
        bytes.extend_from_slice(&self.secret);
        let addrs = &self.addrs[..self.addrs.len().min(MAX_ADDRS)];
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
        if let Some(relay) = relay {
            bytes.push(relay.len() as u8);
            bytes.extend_from_slice(relay.as_bytes());
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
        if version != 1 && version != TICKET_VERSION {
            return Err(InviteError::Damaged("made by an incompatible version"));
        }
        let len = r.u8()? as usize;
        let community = String::from_utf8(r.take(len)?.to_vec())
            .map_err(|_| InviteError::Damaged("bad community id"))?;
        let inviter = r.array()?;
        let secret = r.array()?;
        let count = r.u8()? as usize;
        if count > MAX_ADDRS {
            return Err(InviteError::Damaged("too many addresses"));
        }
        let mut addrs = Vec::with_capacity(count);
        for _ in 0..count {
            let ip = match r.u8()? {
                4 => IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
                6 => IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
                _ => return Err(InviteError::Damaged("bad address")),
            };
            let port = u16::from_be_bytes(r.array()?);
            addrs.push(SocketAddr::new(ip, port));
        }
        let relay = if version >= 2 {
            let len = r.u8()? as usize;
            let url = std::str::from_utf8(r.take(len)?)
                .map_err(|_| InviteError::Damaged("bad relay address"))?;
            (!url.is_empty()).then(|| url.to_owned())
        } else {
            None
        };
        if !r.bytes.is_empty() {
            return Err(InviteError::Damaged("unexpected trailing data"));
        }
        Ok(Self {
            community,
            inviter,
            addrs,
            relay,
            secret,
        })
    }
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
        }
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
        bytes[0] = 3;
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
