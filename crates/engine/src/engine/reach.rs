//! Members tell each other how to reach member devices, so that nobody depends on the
//! member who invited them.
//!
//! What a device knows of a member device's ways in (direct addresses, home relay) it heard
//! either from that device on a connection (first hand) or from another member
//! ([`Frame::Addresses`]), each with the time the device itself last said it; the newest
//! word wins ([`KnownPeer::hear`]). A member's book goes to a peer once their first sync is
//! done (the peer then holds the membership to check it against); after that, only what
//! changed is passed on, so an address travels the mesh once per change.
//!
//! Architecture invariant: an address book is sent only on a sync connection the gate
//! accepted, and names only devices the gate admits, from a community this device can read.
//! A stranger never gets one, and a removed member's device is no longer named. What is
//! heard is kept only for devices this device's own gate admits.
//!
//! [`KnownPeer::hear`]: crate::peers::KnownPeer::hear

use commonroom_model::CommunityId;
use commonroom_proto::Frame;
use commonroom_proto::frame::{DeviceAddress, MAX_ADDRESSES_PER_FRAME};

use super::{Engine, FIRST_RETRY};
use crate::device::DeviceId;
use crate::io::{ConnId, Outgoing, Output};
use crate::storage::Storage;

impl<S: Storage> Engine<S> {
    /// This device's own entry, if it knows how it can be reached.
    fn own_address(&self) -> Option<DeviceAddress> {
        (!self.direct.is_empty() || self.relay.is_some()).then(|| DeviceAddress {
            device: self.device.to_string(),
            addrs: self.direct.clone(),
            relay: self.relay.clone(),
            seen: self.now.wall.millis(),
        })
    }

    /// What this device would tell a member about `device`, if it knows a way in.
    pub(super) fn entry_for(
        &self,
        community: &CommunityId,
        device: DeviceId,
    ) -> Option<DeviceAddress> {
        if device == self.device {
            return self.own_address();
        }
        let known = self
            .communities
            .get(community)?
            .peers
            .peers
            .get(&device.to_string())?;
        known.reachable().then(|| DeviceAddress {
            device: device.to_string(),
            addrs: known.addrs.clone(),
            relay: known.relay.clone(),
            seen: known.addrs_at.or(known.last_seen).unwrap_or(0),
        })
    }

    /// Whether `device` is a member device of a community this device can read: only then
    /// is its address told or taken. (While a copy is still arriving, the gate lists the
    /// peers to recover from, which nobody has vouched for yet.)
    pub(super) fn vouched_for(&self, community: &CommunityId, device: &DeviceId) -> bool {
        self.communities.get(community).is_some_and(|o| o.ready)
            && self
                .gates
                .get(community)
                .is_some_and(|admitted| admitted.contains(device))
    }

    /// Sends `entries` on a connection, in frames within the protocol's limit.
    fn send_addresses(&mut self, conn: ConnId, entries: &[DeviceAddress]) {
        for chunk in entries.chunks(MAX_ADDRESSES_PER_FRAME) {
            self.out.push(Output::Send {
                conn,
                frame: Outgoing::Frame(Frame::Addresses(chunk.to_vec())),
            });
        }
    }

    /// Sends the member address book on a connection once the peer takes it and the first
    /// sync is done: every device the gate admits that this device knows a way to (itself
    /// among them), but the peer.
    pub(super) fn offer_book(&mut self, conn: ConnId) {
        let Some(live) = self.live.get(&conn) else {
            return;
        };
        if live.book_sent || !live.shares_addresses || !live.reported_in_sync {
            return;
        }
        let (community, peer) = (live.community.clone(), live.peer);
        let book: Vec<DeviceAddress> = self
            .gates
            .get(&community)
            .into_iter()
            .flatten()
            .filter(|d| **d != peer && self.vouched_for(&community, d))
            .filter_map(|d| self.entry_for(&community, *d))
            .collect();
        if let Some(live) = self.live.get_mut(&conn) {
            live.book_sent = true;
        }
        self.send_addresses(conn, &book);
    }

    /// Takes word of how to reach a device, heard at `seen` (first hand when it is the
    /// device itself speaking). When the ways in changed, the transport learns them, a
    /// device not connected is dialed again soon, and the other members hear of it (but
    /// the connection it came on). Returns whether they changed.
    pub(super) fn heard(
        &mut self,
        community: &CommunityId,
        entry: DeviceAddress,
        from: Option<ConnId>,
    ) -> bool {
        let Ok(device) = entry.device.parse::<DeviceId>() else {
            return false;
        };
        if device == self.device || !self.vouched_for(community, &device) {
            return false;
        }
        let seen = entry.seen.min(self.now.wall.millis());
        let Some(open) = self.communities.get_mut(community) else {
            return false;
        };
        let known = open.peers.peers.entry(device.to_string()).or_default();
        let before = known.addrs_at;
        let changed = known.hear(entry.addrs, entry.relay, seen);
        if known.addrs_at != before {
            open.peers_dirty = true;
        }
        if !changed {
            return false;
        }
        let told = DeviceAddress {
            device: entry.device,
            addrs: known.addrs.clone(),
            relay: known.relay.clone(),
            seen,
        };
        self.out.push(Output::Learn {
            peer: device,
            addrs: told.addrs.clone(),
            relay: told.relay.clone(),
        });
        if !self.is_connected(community, &device)
            && let Some(backoff) = self.backoff.get_mut(&(community.clone(), device))
            && !backoff.in_flight
        {
            backoff.next = self.now.elapsed;
            backoff.delay = FIRST_RETRY;
        }
        self.pass_on(community, &[told], from, Some(device));
        true
    }

    /// Tells what changed to every member connection of `community` that has had its book,
    /// but the one it came on and the device it is about.
    pub(super) fn pass_on(
        &mut self,
        community: &CommunityId,
        entries: &[DeviceAddress],
        from: Option<ConnId>,
        about: Option<DeviceId>,
    ) {
        let conns: Vec<ConnId> = self
            .live
            .iter()
            .filter(|(id, l)| {
                l.community == *community
                    && l.book_sent
                    && Some(**id) != from
                    && Some(l.peer) != about
            })
            .map(|(id, _)| *id)
            .collect();
        for conn in conns {
            self.send_addresses(conn, entries);
        }
    }

    /// A member's word on how to reach member devices. The first one on a connection also
    /// says the peer takes address books, so it gets this device's once their sync is done.
    pub(super) fn peer_addresses(&mut self, conn: ConnId, devices: Vec<DeviceAddress>) {
        let Some(live) = self.live.get_mut(&conn) else {
            return;
        };
        live.shares_addresses = true;
        let (community, peer) = (live.community.clone(), live.peer);
        for mut entry in devices {
            if entry.device.parse::<DeviceId>().ok() == Some(peer) {
                // The peer on itself: first hand, and as of now.
                entry.seen = self.now.wall.millis();
            }
            self.heard(&community, entry, Some(conn));
        }
        self.offer_book(conn);
    }

    /// This device's own ways in changed: every member connection that has had the book
    /// hears of it.
    pub(super) fn own_addresses_changed(&mut self) {
        let Some(own) = self.own_address() else {
            return;
        };
        let communities: Vec<CommunityId> = self.communities.keys().cloned().collect();
        for community in communities {
            self.pass_on(&community, std::slice::from_ref(&own), None, None);
        }
    }
}
