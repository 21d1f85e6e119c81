//! One community open in the engine: its document, storage, view and known peers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use automerge::ChangeHash;
use commonroom_model::history::ActivityLog;
use commonroom_model::{CommunityDoc, CommunityView, MemberId, Touched};

use crate::device::DeviceId;
use crate::error::EngineError;
use crate::peers::KnownPeers;
use crate::storage::CommunityStorage;

/// How long a community must be quiet before its stored pieces are compacted.
pub(crate) const QUIET_BEFORE_COMPACTING: Duration = Duration::from_secs(2);

/// How long after a failed compaction it is tried again.
const COMPACTION_RETRY: Duration = Duration::from_secs(5);

/// The known-peer list is written at most this often (it changes on every connection).
const PEERS_WRITE_GAP: Duration = Duration::from_millis(500);

/// One community open on this device.
pub(crate) struct Open<C> {
    pub(crate) doc: CommunityDoc,
    pub(crate) store: C,
    pub(crate) me: Option<MemberId>,
    pub(crate) peers: KnownPeers,
    /// The known-peer list changed since it was last written.
    pub(crate) peers_dirty: bool,
    /// When the document last changed (compaction waits for a quiet moment).
    pub(crate) last_change: Duration,
    /// The community has arrived (its schema is readable); stays true once set.
    pub(crate) ready: bool,
    /// The document changed since the gate was last computed, and when that was.
    pub(crate) gate_stale: bool,
    pub(crate) gate_checked: Duration,
    /// The `last_change` at which housekeeping last looked at compaction (it looks once
    /// per quiet spell, not on every tick).
    compaction_looked: Option<Duration>,
    /// After a failed compaction, not before this.
    compaction_retry: Option<Duration>,
    /// When the known-peer list was last written.
    peers_written: Option<Duration>,
    /// The materialised view, once someone asked for it; kept current from what each
    /// change touched, so the window never waits for a whole-community read per change.
    view: Option<Arc<CommunityView>>,
    /// The activity feed, read whole the first time it is asked for and then only from
    /// the changes that arrived since.
    pub(crate) activity: ActivityLog,
    /// The whole community as handed to new members, shared by every connection that
    /// sends it (kept until the next compaction; sync sends what it lacks).
    snapshot: Option<Arc<Vec<u8>>>,
    /// The admitted devices as last written to the local `devices` setting.
    remembered_devices: Option<String>,
    /// The community's side documents (conversations), opened when first needed.
    pub(crate) sides: crate::sides::Sides<C>,
}

impl<C: CommunityStorage> Open<C> {
    pub(crate) fn new(
        doc: CommunityDoc,
        store: C,
        me: Option<MemberId>,
        peers: KnownPeers,
        now: Duration,
    ) -> Self {
        let ready = doc.is_ready();
        Self {
            doc,
            store,
            me,
            peers,
            peers_dirty: false,
            last_change: now,
            ready,
            gate_stale: true,
            gate_checked: now,
            compaction_looked: None,
            compaction_retry: None,
            peers_written: None,
            view: None,
            activity: ActivityLog::default(),
            snapshot: None,
            remembered_devices: None,
            sides: crate::sides::Sides::default(),
        }
    }

    /// The community's name, or words saying it has not arrived.
    pub(crate) fn name(&self) -> String {
        self.doc
            .community()
            .map(|c| c.name)
            .unwrap_or_else(|_| "(not yet received)".into())
    }

    /// The materialised view, read whole the first time it is asked for.
    pub(crate) fn view(&mut self) -> Result<Arc<CommunityView>, EngineError> {
        if let Some(view) = &self.view {
            return Ok(Arc::clone(view));
        }
        let view = Arc::new(CommunityView::hydrate(&mut self.doc)?);
        self.view = Some(Arc::clone(&view));
        Ok(view)
    }

    /// Brings the materialised view up to date after a change (copying it first if a
    /// reader still holds the previous snapshot).
    pub(crate) fn refresh_view(&mut self, touched: &Touched) {
        if let Some(view) = &mut self.view
            && let Err(error) = Arc::make_mut(view).refresh(&mut self.doc, touched)
        {
            tracing::warn!(%error, "could not refresh the view; it will be read again");
            self.view = None;
        }
    }

    /// Writes down the admitted devices when they changed (a device-local setting), so a
    /// copy of the document damaged on this disk still knows whom to ask.
    pub(crate) fn remember_devices(&mut self, admitted: &BTreeSet<DeviceId>) {
        let text = admitted
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        if self.remembered_devices.as_deref() == Some(text.as_str()) {
            return;
        }
        match self.store.write_local("devices", &text) {
            Ok(()) => self.remembered_devices = Some(text),
            Err(error) => tracing::warn!(%error, "could not remember the community's devices"),
        }
    }

    /// Who may help a community not readable here: the devices remembered and the peers known.
    pub(crate) fn recovery_peers(&mut self) -> Vec<DeviceId> {
        if self.remembered_devices.is_none() {
            self.remembered_devices = self.store.read_local("devices").ok().flatten();
        }
        self.remembered_devices
            .iter()
            .flat_map(|text| text.lines())
            .chain(self.peers.peers.keys().map(String::as_str))
            .filter_map(|id| id.trim().parse().ok())
            .collect()
    }

    /// The community for a new member, read or saved once and then shared.
    pub(crate) fn snapshot(&mut self) -> Arc<Vec<u8>> {
        if let Some(snapshot) = &self.snapshot {
            return Arc::clone(snapshot);
        }
        let bytes = match self.store.snapshot_bytes() {
            Ok(Some(stored)) => stored,
            _ => self.doc.save(),
        };
        let snapshot = Arc::new(bytes);
        self.snapshot = Some(Arc::clone(&snapshot));
        snapshot
    }

    /// Drops the changes made after `before` because they could not be saved, so that
    /// what this device holds is what is on its disk.
    pub(crate) fn forget_unsaved(&mut self, before: &[ChangeHash]) {
        if let Err(rewind) = self.doc.rewind(before) {
            tracing::error!(%rewind, "unsaved changes could not be dropped");
        }
    }

    /// Makes changes just received from a peer durable: stored as the bytes came when
    /// everything before them was already stored, otherwise by writing all that is missing.
    /// Notes a community that has just arrived whole.
    pub(crate) fn save_received(
        &mut self,
        everything_saved_before: bool,
        raw: &[u8],
        now: Duration,
    ) -> Result<(), commonroom_store::StoreError> {
        if everything_saved_before {
            self.store.persist_received(raw, self.doc.automerge_mut())?;
        } else {
            self.store.persist(self.doc.automerge_mut())?;
        }
        self.last_change = now;
        if !self.ready && self.doc.is_ready() {
            self.ready = true;
            if let Ok(c) = self.doc.community() {
                let _ = self.store.write_local("name", &c.name);
            }
        }
        Ok(())
    }

    /// When housekeeping next has something to do, if ever.
    pub(crate) fn housekeeping_due(&self) -> Option<Duration> {
        let peers = self.peers_dirty.then(|| {
            self.peers_written
                .map_or(Duration::ZERO, |t| t + PEERS_WRITE_GAP)
        });
        let compaction = (self.store.pieces() > 0
            && self.compaction_looked != Some(self.last_change))
        .then(|| {
            (self.last_change + QUIET_BEFORE_COMPACTING)
                .max(self.compaction_retry.unwrap_or_default())
        });
        match (peers, compaction) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Housekeeping when nothing is urgent: write the known-peer list, compact when quiet
    /// (or at once when `force`, as on shutdown).
    pub(crate) fn housekeeping(&mut self, now: Duration, force: bool) {
        let peers_due = self
            .peers_written
            .is_none_or(|t| now >= t + PEERS_WRITE_GAP);
        if self.peers_dirty && (peers_due || force) {
            self.peers_dirty = false;
            self.peers_written = Some(now);
            let text = self.peers.to_text();
            if let Err(e) = self.store.write_local("peers", &text) {
                tracing::warn!(error = %e, "could not save the known-peer list");
            }
        }
        let quiet = now >= self.last_change + QUIET_BEFORE_COMPACTING
            && self.compaction_retry.is_none_or(|t| now >= t);
        if quiet || force {
            self.sides.compact();
        }
        if (quiet || force) && self.store.pieces() > 0 {
            let pieces = self.store.pieces();
            match self.store.maybe_compact(self.doc.automerge_mut()) {
                Ok(()) => {
                    self.compaction_looked = Some(self.last_change);
                    self.compaction_retry = None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "compaction failed; the pieces stay and it is tried again shortly");
                    self.compaction_retry = Some(now + COMPACTION_RETRY);
                }
            }
            if self.store.pieces() != pieces {
                self.snapshot = None;
            }
        }
    }
}
