//! Durable file writes: temporary file, fsync, rename, directory fsync.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::StoreError;

/// Prefix of temporary files; leftovers from a crash are removed when a directory is opened.
pub(crate) const TMP_PREFIX: &str = ".tmp-";

/// Writes `bytes` to `dir/name` so that after return the file is durable and complete,
/// and after a crash at any moment either the old file or the new one is there, never a mix.
pub(crate) fn write_durably(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    mode: u32,
) -> Result<(), StoreError> {
    let tmp = dir.join(format!("{TMP_PREFIX}{name}"));
    let written = write_then_rename(dir, &tmp, &dir.join(name), bytes, mode);
    if written.is_err() {
        // A full disk must not keep a half-written file that takes the space it lacks.
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// The body of [`write_durably`]: temporary file, fsync, rename, directory fsync.
fn write_then_rename(
    dir: &Path,
    tmp: &Path,
    target: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<(), StoreError> {
    write_synced(tmp, bytes, mode)?;
    fs::rename(tmp, target).map_err(StoreError::io("renaming into place", target))?;
    sync_dir(dir)
}

/// Writes `bytes` to a file at `path` (made or emptied first) and flushes it to disk; its
/// name is durable only once its directory is synced.
pub(crate) fn write_synced(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(StoreError::io("creating", path))?;
    file.write_all(bytes)
        .map_err(StoreError::io("writing", path))?;
    file.sync_all().map_err(StoreError::io("syncing", path))
}

/// Makes a directory's entries (creations, renames, deletions) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(StoreError::io("syncing directory", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates a directory (and parents) and makes its creation durable.
pub(crate) fn create_dir_durably(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(StoreError::io("creating directory", dir))?;
    sync_dir(dir)?;
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Removes leftover temporary files in `dir` (writes that never completed).
pub(crate) fn remove_leftover_tmp(dir: &Path) -> Result<(), StoreError> {
    let entries = fs::read_dir(dir).map_err(StoreError::io("listing", dir))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            let path = entry.path();
            fs::remove_file(&path).map_err(StoreError::io("removing leftover", &path))?;
        }
    }
    Ok(())
}
