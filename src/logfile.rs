//! The log file of the app and of `serve`, in the platform's usual place for logs, kept
//! small: when it reaches [`MAX_BYTES`] it becomes `commonroom.log.old` (replacing the one
//! before) and a new one starts, so the two together never exceed twice that.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The size at which the log file is set aside and a new one started.
pub const MAX_BYTES: u64 = 1024 * 1024;
/// The log file's name in [`log_dir`].
pub const FILE_NAME: &str = "commonroom.log";

/// Where the log file goes: `COMMONROOM_LOG_DIR` if set, else `~/.local/state/commonroom`
/// on Linux, `~/Library/Logs/Commonroom` on macOS, the local app data folder's `logs` on
/// Windows. `None` when there is no home directory.
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("COMMONROOM_LOG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if cfg!(target_os = "macos") {
        let base = directories::BaseDirs::new()?;
        return Some(base.home_dir().join("Library/Logs/Commonroom"));
    }
    let dirs = directories::ProjectDirs::from("org", "Commonroom", "commonroom")?;
    Some(match dirs.state_dir() {
        Some(state) => state.to_path_buf(),
        None => dirs.data_local_dir().join("logs"),
    })
}

/// An append-only log file that sets itself aside at `max` bytes.
pub struct LogFile {
    path: PathBuf,
    file: File,
    written: u64,
    max: u64,
}

impl LogFile {
    /// Opens (creating the folder and file) `dir/commonroom.log`, setting aside one already
    /// at `max` bytes, and writes a line saying who started.
    pub fn open(dir: &Path, max: u64) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE_NAME);
        let mut log = Self {
            file: append(&path)?,
            written: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            path,
            max: max.max(1024),
        };
        if log.written >= log.max {
            log.rotate()?;
        }
        let started = format!(
            "--- Commonroom {} started (process {}) at {}\n",
            env!("CARGO_PKG_VERSION"),
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        log.write_all(started.as_bytes())?;
        Ok(log)
    }

    /// The file's path.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn rotate(&mut self) -> io::Result<()> {
        let old = self.path.with_extension("log.old");
        std::fs::rename(&self.path, old)?;
        self.file = append(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.max {
            self.rotate()?;
        }
        // One record longer than the whole file is cut, so the bound holds.
        let take = buf.len().min(self.max as usize);
        let n = self.file.write(&buf[..take])?;
        self.written += n as u64;
        Ok(if take < buf.len() { buf.len() } else { n })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_stays_within_its_bound_and_keeps_the_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = LogFile::open(dir.path(), 4096).unwrap();
        for i in 0..1000 {
            writeln!(log, "line {i:04} of what the app did").unwrap();
        }
        log.write_all(&[b'x'; 10_000]).unwrap();
        writeln!(log, "the last line").unwrap();
        let current = std::fs::read_to_string(log.path()).unwrap();
        let old = std::fs::read(dir.path().join("commonroom.log.old")).unwrap();
        assert!(current.len() <= 4096, "{}", current.len());
        assert!(old.len() <= 4096, "{}", old.len());
        assert!(current.ends_with("the last line\n"), "{current}");
        // Reopening a full log sets it aside and says who started.
        let mut full = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        full.write_all(&[b'y'; 5000]).unwrap();
        drop(log);
        let log = LogFile::open(dir.path(), 4096).unwrap();
        let fresh = std::fs::read_to_string(log.path()).unwrap();
        assert!(fresh.starts_with("--- Commonroom "), "{fresh}");
        assert!(fresh.len() < 200);
    }
}
