//! Outputs that appear only complete.
//!
//! [`TempPath`] is a hidden temporary sibling of the destination, named
//! `.NAME.tmp-PID-N-NANOS-HOST` (PID and host of the writer, N a per-process counter,
//! NANOS the sub-second clock at creation). While alive it is listed in a process-wide registry
//! so [`remove_live_temps`] (called from a signal handler) can delete it; `commit`
//! renames it into place and fsyncs the directory; dropping it uncommitted removes it.
//! [`remove_stale`] deletes temporaries whose writer process on this host no longer
//! runs (Linux: `/proc/PID` is gone); temporaries of other hosts (a cache on a shared
//! file system) or where liveness cannot be told only when older than a day.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Paths of the temporaries this process is writing.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set by `remove_live_temps`: the process is exiting, no new temporary may start.
static CLOSING: AtomicBool = AtomicBool::new(false);

fn closing() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "the process is shutting down")
}

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary file or directory next to its destination.
#[derive(Debug)]
pub struct TempPath {
    path: PathBuf,
    dest: PathBuf,
    dir: bool,
    done: bool,
}

/// The directory a destination lives in (`.` for a bare file name).
pub fn parent_of(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// A fresh temporary name next to `dest`.
fn temp_name(dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_owned());
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    parent_of(dest).join(format!(
        ".{name}.tmp-{}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        host()
    ))
}

/// This machine's host name (Linux: `/proc/sys/kernel/hostname`), `unknown` if it
/// cannot be read; never contains a path separator.
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace(['/', '\\'], "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

impl TempPath {
    /// Create the temporary with `make` and register it, atomically with respect to
    /// `remove_live_temps` (which a signal handler may run at any moment).
    fn create<T>(
        dest: &Path,
        dir: bool,
        make: impl FnOnce(&Path) -> io::Result<T>,
    ) -> io::Result<(T, TempPath)> {
        let path = temp_name(dest);
        let mut live = live();
        if CLOSING.load(Ordering::SeqCst) {
            return Err(closing());
        }
        let made = make(&path)?;
        live.push(path.clone());
        Ok((
            made,
            TempPath {
                path,
                dest: dest.to_owned(),
                dir,
                done: false,
            },
        ))
    }

    /// Create a temporary file for `dest` (its directory must exist), open for
    /// reading and writing. Stale temporaries of dead writers in that directory are
    /// removed first.
    pub fn file(dest: &Path) -> io::Result<(File, TempPath)> {
        remove_stale(&parent_of(dest));
        TempPath::create(dest, false, |path| {
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(path)
        })
    }

    /// Create a temporary directory for `dest`, creating `dest`'s parent if needed.
    pub fn dir(dest: &Path) -> io::Result<TempPath> {
        let parent = parent_of(dest);
        fs::create_dir_all(&parent)?;
        remove_stale(&parent);
        TempPath::create(dest, true, |path| fs::create_dir(path)).map(|((), t)| t)
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Rename into place (replacing a file, or an empty directory, at the
    /// destination) and fsync the directory so the rename survives a crash.
    pub fn commit(mut self) -> io::Result<()> {
        fs::rename(&self.path, &self.dest)?;
        self.forget();
        let _ = File::open(parent_of(&self.dest)).and_then(|d| d.sync_all());
        Ok(())
    }

    /// Stop tracking the temporary without removing it (the caller renamed it).
    pub fn forget(&mut self) {
        self.done = true;
        live().retain(|p| p != &self.path);
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.done {
            let _ = if self.dir {
                fs::remove_dir_all(&self.path)
            } else {
                fs::remove_file(&self.path)
            };
            live().retain(|p| p != &self.path);
        }
    }
}

/// Write `bytes` to `dest` atomically (temporary sibling, fsync, rename).
pub fn write(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let (mut file, temp) = TempPath::file(dest)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    temp.commit()
}

/// Remove every temporary this process is writing and refuse new ones (for a
/// signal handler that is about to exit). Returns the paths removed.
pub fn remove_live_temps() -> Vec<PathBuf> {
    let mut live = live();
    CLOSING.store(true, Ordering::SeqCst);
    std::mem::take(&mut *live)
        .into_iter()
        .filter(|p| {
            let removed = if p.is_dir() {
                fs::remove_dir_all(p)
            } else {
                fs::remove_file(p)
            };
            removed.is_ok()
        })
        .collect()
}

/// The writer PID and host of a temporary name (`.NAME.tmp-PID-N-NANOS-HOST`; the
/// host is `None` for names without one), if it is one.
pub fn temp_owner(file_name: &str) -> Option<(u32, Option<&str>)> {
    if !file_name.starts_with('.') {
        return None;
    }
    let at = file_name.rfind(".tmp-")?;
    let mut parts = file_name[at + 5..].splitn(4, '-');
    let pid = parts.next()?.parse().ok()?;
    let host = parts.nth(2).filter(|h| !h.is_empty());
    Some((pid, host))
}

/// The writer PID of a temporary name, if it is one.
pub fn temp_pid(file_name: &str) -> Option<u32> {
    temp_owner(file_name).map(|(pid, _)| pid)
}

/// True if a process with this PID runs (Linux: `/proc/PID` exists). `None` where
/// that cannot be told.
pub fn pid_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        Some(Path::new(&format!("/proc/{pid}")).exists())
    } else {
        None
    }
}

/// Remove the temporaries in `dir` left by writers that no longer run (or, where
/// liveness cannot be told, that are older than a day). Returns what was removed.
pub fn remove_stale(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    let here = host();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((pid, owner)) = temp_owner(&name) else {
            continue;
        };
        let local = owner == Some(here.as_str());
        if local && pid == me {
            continue;
        }
        let stale = match pid_alive(pid).filter(|_| local) {
            Some(alive) => !alive,
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(24 * 3600)),
        };
        if !stale {
            continue;
        }
        let path = entry.path();
        let ok = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if ok.is_ok() {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_drop_removes() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        let (file, temp) = TempPath::file(&dest).unwrap();
        drop(file);
        let tmp = temp.path().to_owned();
        assert!(tmp.exists() && temp_pid(&tmp.file_name().unwrap().to_string_lossy()).is_some());
        drop(temp);
        assert!(!tmp.exists() && !dest.exists());
        write(&dest, b"hello").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"hello");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn stale_temporaries_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // PID 0 never names a user process: a dead writer on this host.
        let dead = dir.path().join(format!(".x.avi.tmp-0-3-123-{}", host()));
        fs::write(&dead, b"partial").unwrap();
        let mine = dir
            .path()
            .join(format!(".y.avi.tmp-{}-0-1-{}", std::process::id(), host()));
        fs::write(&mine, b"in progress").unwrap();
        // Another host's writer (shared file system), recent: kept.
        let remote = dir.path().join(".z.avi.tmp-0-0-1-some-other-host");
        fs::write(&remote, b"theirs").unwrap();
        let other = dir.path().join("x.avi");
        fs::write(&other, b"finished").unwrap();
        if pid_alive(1).is_some() {
            assert_eq!(remove_stale(dir.path()), vec![dead.clone()]);
            assert!(!dead.exists());
        }
        assert!(mine.exists() && other.exists() && remote.exists());
        assert_eq!(
            temp_owner(".rec.tmp-42-0-7-node-3"),
            Some((42, Some("node-3")))
        );
        assert_eq!(temp_pid(".rec.tmp-42-0-7"), Some(42));
        assert_eq!(temp_pid("rec.tmp-42-0-7"), None);
        assert_eq!(temp_pid(".trash-abc"), None);
    }
}
