//! [`DataDir`]: the locked root of one device's Commonroom data.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use automerge::AutoCommit;

use crate::atomic::{create_dir_durably, write_durably};
use crate::community::{self, CommunityStore, Loaded};
use crate::error::StoreError;

const DEVICE_KEY: &str = "device.key";
const COMMUNITIES: &str = "communities";
/// The folder, inside a community's, that holds its side documents (conversations).
const SIDE_DIR: &str = "docs";

/// A data directory held exclusively by this process until dropped.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Opens (creating if needed) and locks a data directory.
    ///
    /// Fails with [`StoreError::Locked`] if another process has it open.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        // A relative path (`--data-dir notes`) is taken from the current directory once,
        // so every parent directory synced later has a name.
        let root =
            std::path::absolute(root.as_ref()).map_err(StoreError::io("finding", root.as_ref()))?;
        let existed = root.is_dir();
        create_dir_durably(&root)?;
        // Community notes are private to the members: only this user may read the
        // directory. One made looser (by hand, or by a backup tool) is tightened again; a
        // new one is simply made private.
        if loose_permissions(&root) {
            if existed {
                tracing::warn!(path = %root.display(), "the data directory could be read by other users; it is now private to you");
            }
            restrict_dir(&root)?;
        }
        let lock_path = root.join(".lock");
        let mut lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
            .map_err(StoreError::io("opening lock file", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = Self::holder(&root);
                return Err(StoreError::Locked(root, holder));
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::io("locking", &lock_path)(e)),
        }
        // Who holds it, for the error another process shows while it waits.
        let _ = write_holder(&mut lock);
        create_dir_durably(&root.join(COMMUNITIES))?;
        Ok(Self { root, _lock: lock })
    }

    /// Which process holds (or last held) the lock of `root`, as written by it: its process
    /// id and command.
    pub fn holder(root: impl AsRef<Path>) -> Option<String> {
        let text = std::fs::read_to_string(root.as_ref().join(".lock")).ok()?;
        let text = text.trim();
        (!text.is_empty()).then(|| text.chars().take(200).collect())
    }

    /// Whether another process currently holds the lock of `root` (without taking it).
    pub fn is_locked(root: impl AsRef<Path>) -> bool {
        let lock_path = root.as_ref().join(".lock");
        match OpenOptions::new().write(true).open(lock_path) {
            Ok(file) => matches!(file.try_lock(), Err(TryLockError::WouldBlock)),
            Err(_) => false,
        }
    }

    /// The directory's path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// This device's 32-byte secret key, created on first use and kept with 0600 permissions.
    pub fn device_secret(&self) -> Result<[u8; 32], StoreError> {
        let path = self.root.join(DEVICE_KEY);
        match fs::read(&path) {
            Ok(bytes) => {
                restrict_permissions(&path)?;
                bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt {
                        path: path.clone(),
                        reason: format!("a device key is 32 bytes, this file has {}", bytes.len()),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A new key is a new device, which no community here admits: with
                // communities stored, a missing key is a loss to report, not to paper over.
                if !self.community_ids()?.is_empty() {
                    return Err(StoreError::MissingDeviceKey(path));
                }
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| StoreError::Io {
                    action: "generating a device key for",
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                write_durably(&self.root, DEVICE_KEY, &key, 0o600)?;
                Ok(key)
            }
            Err(e) => Err(StoreError::io("reading", &path)(e)),
        }
    }

    fn communities_dir(&self) -> PathBuf {
        self.root.join(COMMUNITIES)
    }

    fn community_dir(&self, id: &str) -> Result<PathBuf, StoreError> {
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(StoreError::InvalidId(id.to_owned()));
        }
        Ok(self.communities_dir().join(id))
    }

    /// Ids of the communities stored here, sorted.
    pub fn community_ids(&self) -> Result<Vec<String>, StoreError> {
        subdirectories(&self.communities_dir())
    }

    /// Whether a community is stored here.
    pub fn has_community(&self, id: &str) -> bool {
        self.community_dir(id).map(|d| d.is_dir()).unwrap_or(false)
    }

    /// Reads a device-local setting of a stored community (such as its cached name) without
    /// loading the community.
    pub fn read_local(&self, id: &str, name: &str) -> Result<Option<String>, StoreError> {
        community::read_local(&self.community_dir(id)?, name)
    }

    /// Stores a new community: its first snapshot is durable when this returns.
    pub fn create_community(
        &self,
        id: &str,
        doc: &mut AutoCommit,
    ) -> Result<CommunityStore, StoreError> {
        self.create_community_with(id, doc, &[])
    }

    /// Creates a community with its device-local settings (`(name, value)` pairs, such as
    /// who this device is and which peer to ask for the rest) in one step: the community
    /// appears only once all of it is durable, so a crash half-way leaves nothing behind
    /// that could never sync (a staging directory, ignored and replaced next time).
    pub fn create_community_with(
        &self,
        id: &str,
        doc: &mut AutoCommit,
        locals: &[(&str, &str)],
    ) -> Result<CommunityStore, StoreError> {
        let dir = self.community_dir(id)?;
        if dir.exists() {
            return Err(StoreError::CommunityExists(id.to_owned()));
        }
        if locals.is_empty() {
            return community::create(dir, doc);
        }
        let parent = self.communities_dir();
        let staging = parent.join(format!(".new-{id}"));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(StoreError::io("removing", &staging))?;
        }
        let store = community::create(staging.clone(), doc)?;
        for (name, value) in locals {
            store.write_local(name, value)?;
        }
        drop(store);
        fs::rename(&staging, &dir).map_err(StoreError::io("moving into place", &dir))?;
        crate::atomic::sync_dir(&parent)?;
        Ok(community::load(id, dir)?.store)
    }

    /// Loads a community, setting aside damaged files (reported in [`Loaded::problems`]).
    pub fn open_community(&self, id: &str) -> Result<Loaded, StoreError> {
        let dir = self.community_dir(id)?;
        if !dir.is_dir() {
            return Err(StoreError::UnknownCommunity(id.to_owned()));
        }
        community::load(id, dir)
    }
}

impl DataDir {
    /// Where a community's side document `key` lives: `communities/<id>/docs/<key>/`
    /// (keys are letters, digits and dashes only, so a key never names another path).
    fn side_dir(&self, id: &str, key: &str) -> Result<PathBuf, StoreError> {
        let valid = !key.is_empty()
            && key.len() <= 64
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Err(StoreError::InvalidId(key.to_owned()));
        }
        Ok(self.community_dir(id)?.join(SIDE_DIR).join(key))
    }

    /// The keys of a community's stored side documents, sorted (none if it has none).
    pub fn side_doc_keys(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let dir = self.community_dir(id)?.join(SIDE_DIR);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        subdirectories(&dir)
    }

    /// Loads a side document of a community, or `None` if none is stored under `key`.
    pub fn open_side_doc(&self, id: &str, key: &str) -> Result<Option<Loaded>, StoreError> {
        let dir = self.side_dir(id, key)?;
        if !dir.is_dir() {
            return Ok(None);
        }
        community::load(key, dir).map(Some)
    }

    /// Stores a new side document of a community: durable when this returns.
    pub fn create_side_doc(
        &self,
        id: &str,
        key: &str,
        doc: &mut AutoCommit,
    ) -> Result<CommunityStore, StoreError> {
        let dir = self.side_dir(id, key)?;
        if dir.exists() {
            // A side document left empty by a crash before its first write: start again.
            if let Ok(Some(loaded)) = self.open_side_doc(id, key) {
                let mut store = loaded.store;
                store.persist(doc)?;
                return Ok(store);
            }
        }
        create_dir_durably(&self.community_dir(id)?.join(SIDE_DIR))?;
        community::create_staged(dir, doc)
    }
}

/// The names of `dir`'s subdirectories, sorted, leaving out hidden ones (staging).
fn subdirectories(dir: &Path) -> Result<Vec<String>, StoreError> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(StoreError::io("listing", dir))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

fn restrict_dir(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .map_err(StoreError::io("restricting permissions of", path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Whether other users may read or enter `path`.
fn loose_permissions(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path).map_err(StoreError::io("reading permissions of", path))?;
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))
                .map_err(StoreError::io("restricting permissions of", path))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes this process's id and what it is doing (its subcommand, or the app) into the
/// lock file it holds.
fn write_holder(lock: &mut File) -> std::io::Result<()> {
    use std::io::{Seek, Write};
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_lowercase()))
        .take(2)
        .collect();
    let doing = if words.is_empty() {
        "the Commonroom app".to_owned()
    } else {
        format!("`commonroom {}`", words.join(" "))
    };
    let text = format!("{doing}, process {}", std::process::id());
    lock.set_len(0)?;
    lock.seek(std::io::SeekFrom::Start(0))?;
    lock.write_all(text.as_bytes())
}
