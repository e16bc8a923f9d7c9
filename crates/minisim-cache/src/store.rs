//! The content-addressed cache: `<root>/<cache_key>/` holds one recording.
//!
//! Invariants: an entry appears only complete (written to a hidden temporary sibling,
//! fsynced, renamed); concurrent writers of one key all succeed and leave one valid
//! entry; a corrupt entry is a miss that is re-simulated and replaced; hidden
//! directories (`.…tmp-…`, `.trash-…`) are never entries.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use minisim_render::{Recording, SimulateOptions, simulate};
use minisim_spec::Spec;

use crate::error::{CacheError, io};
use crate::manifest::MANIFEST;
use crate::persist::{Persist, read_manifest, sync_dir, temp_dir, write_files};

/// The cache root: `$MINISIM_CACHE` if set and non-empty, else the platform cache
/// directory (`~/.cache/minisim` on Linux, via `directories`).
pub fn cache_dir() -> Result<PathBuf, CacheError> {
    if let Some(dir) = std::env::var_os("MINISIM_CACHE").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "minisim")
        .map(|d| d.cache_dir().to_owned())
        .ok_or(CacheError::NoCacheDir)
}

fn root_or_default(root: Option<&Path>) -> Result<PathBuf, CacheError> {
    match root {
        Some(r) => Ok(r.to_owned()),
        None => cache_dir(),
    }
}

/// How `simulate_cached_with` produced its recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from a valid entry.
    Hit,
    /// Simulated and stored (no entry existed).
    Miss,
    /// The entry was damaged: simulated again and replaced.
    Healed {
        /// What was wrong with it.
        reason: String,
    },
}

/// Serve `spec`'s recording from the cache, or simulate and store it.
///
/// Hit: load and verify. Miss: simulate with default options and store atomically.
/// A corrupt entry is logged (`tracing::warn`), re-simulated and replaced. `root`
/// defaults to [`cache_dir`].
pub fn simulate_cached(spec: &Spec, root: Option<&Path>) -> Result<Recording, CacheError> {
    simulate_cached_with(spec, root, &SimulateOptions::default()).map(|(rec, _)| rec)
}

/// `simulate_cached` with render options (chunking, timing) and the outcome. The cache
/// holds complete recordings only, so `options.until` must be `None`.
pub fn simulate_cached_with(
    spec: &Spec,
    root: Option<&Path>,
    options: &SimulateOptions,
) -> Result<(Recording, CacheOutcome), CacheError> {
    if let Some(stage) = options.until {
        return Err(CacheError::Partial { stage });
    }
    let root = root_or_default(root)?;
    let key = spec.cache_key();
    let dest = root.join(&key);
    let mut outcome = CacheOutcome::Miss;
    if dest.exists() || dest.is_symlink() {
        match load_entry(&dest, &key) {
            Ok(rec) => {
                touch(&dest);
                return Ok((rec, CacheOutcome::Hit));
            }
            Err(e) if e.is_corruption() => {
                tracing::warn!(entry = %dest.display(), error = %e, "corrupt cache entry; re-simulating");
                outcome = CacheOutcome::Healed {
                    reason: e.to_string(),
                };
                discard(&root, &key)?;
            }
            Err(e) => return Err(e),
        }
    }
    let options = SimulateOptions {
        memory_limit: options
            .memory_limit
            .resolve(minisim_io::system::available_memory),
        ..options.clone()
    };
    let rec = simulate(spec, &options)?;
    store(&rec, &root)?;
    Ok((rec, outcome))
}

/// Load the cache entry `dir`, which must hold the recording of `key` (its directory
/// name): a copied or renamed entry would serve the wrong recording.
pub fn load_entry(dir: &Path, key: &str) -> Result<Recording, CacheError> {
    let manifest = read_manifest(dir)?;
    if manifest.cache_key != key {
        return Err(CacheError::WrongKey {
            entry: dir.to_owned(),
            stored: manifest.cache_key,
        });
    }
    let rec = Recording::load(dir)?;
    if rec.spec.cache_key() != key {
        return Err(CacheError::WrongKey {
            entry: dir.to_owned(),
            stored: rec.spec.cache_key(),
        });
    }
    Ok(rec)
}

/// Move a damaged entry (directory, file or link) aside atomically and delete it.
fn discard(root: &Path, key: &str) -> Result<(), CacheError> {
    let dest = root.join(key);
    let trash = root.join(format!(".trash-{key}-{}", std::process::id()));
    match fs::rename(&dest, &trash) {
        Ok(()) => {
            let _ = if trash.is_dir() && !trash.is_symlink() {
                fs::remove_dir_all(&trash)
            } else {
                fs::remove_file(&trash)
            };
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(&dest, "remove damaged entry")(e)),
    }
}

/// Put a recording into the cache under its key (atomically; a valid entry already
/// there is kept, a damaged one replaced).
pub fn store(rec: &Recording, root: &Path) -> Result<PathBuf, CacheError> {
    fs::create_dir_all(root).map_err(io(root, "create directory"))?;
    let dest = root.join(&rec.cache_key);
    let mut tmp = temp_dir(&dest)?;
    write_files(rec, tmp.path())?;
    loop {
        match fs::rename(tmp.path(), &dest) {
            Ok(()) => {
                tmp.forget();
                break;
            }
            Err(e) if dest.exists() || dest.is_symlink() => {
                // Another writer got there first. Keep theirs if it is valid.
                if load_entry(&dest, &rec.cache_key).is_ok() {
                    return Ok(dest);
                }
                // Damaged: move it aside (atomic), then retry the rename.
                discard(root, &rec.cache_key).map_err(|_| io(&dest, "replace damaged entry")(e))?;
            }
            Err(e) => return Err(io(&dest, "rename into place")(e)),
        }
    }
    sync_dir(root)?;
    Ok(dest)
}

/// Mark an entry as just used (for least-recently-used collection).
fn touch(entry: &Path) {
    if let Ok(f) = fs::File::options().write(true).open(entry.join(MANIFEST)) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// One cache entry, as listed.
#[derive(Debug, Clone)]
pub struct EntryInfo {
    /// The cache key (directory name).
    pub key: String,
    /// Its directory.
    pub path: PathBuf,
    /// Total size of its files, bytes.
    pub bytes: u64,
    /// Last use (manifest modification time).
    pub last_used: SystemTime,
    /// `(frames, height, width)` of the observed movie, if the manifest is readable.
    pub shape: Option<(usize, usize, usize)>,
}

impl EntryInfo {
    /// Time since last use.
    pub fn age(&self) -> Duration {
        SystemTime::now()
            .duration_since(self.last_used)
            .unwrap_or_default()
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// True for a cache key: 64 lowercase hex digits. Only such directories are entries,
/// so nothing else in the cache root is ever listed or collected.
fn is_key(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Every entry under `root`, oldest use first. Only directories named by a cache key
/// are entries; anything else in the root is ignored.
pub fn list(root: Option<&Path>) -> Result<Vec<EntryInfo>, CacheError> {
    let root = root_or_default(root)?;
    let mut out = Vec::new();
    let dir = match fs::read_dir(&root) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io(&root, "list")(e)),
    };
    for item in dir.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        if !is_key(&name) || !item.path().is_dir() {
            continue;
        }
        let path = item.path();
        let last_used = fs::metadata(path.join(MANIFEST))
            .or_else(|_| fs::metadata(&path))
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let shape = read_manifest(&path).ok().and_then(|m| {
            let s = &m.arrays.get("observed")?.shape;
            (s.len() == 3).then(|| (s[0], s[1], s[2]))
        });
        out.push(EntryInfo {
            key: name,
            bytes: dir_bytes(&path),
            last_used,
            shape,
            path,
        });
    }
    out.sort_by(|a, b| a.last_used.cmp(&b.last_used).then(a.key.cmp(&b.key)));
    Ok(out)
}

/// An entry and the outcome of verifying it.
pub type Verified = (EntryInfo, Result<(), CacheError>);

/// Load every entry; the result per entry is `Ok` or the reason it is bad.
pub fn verify(root: Option<&Path>) -> Result<Vec<Verified>, CacheError> {
    Ok(list(root)?
        .into_iter()
        .map(|e| {
            let r = load_entry(&e.path, &e.key).map(|_| ());
            (e, r)
        })
        .collect())
}

/// Remove the entry `key` (atomically: renamed aside, then deleted).
pub fn remove(root: Option<&Path>, key: &str) -> Result<(), CacheError> {
    let root = root_or_default(root)?;
    let path = root.join(key);
    if !is_key(key) || !path.is_dir() {
        return Err(CacheError::NotARecording { entry: path });
    }
    let trash = root.join(format!(".trash-{key}-{}", std::process::id()));
    fs::rename(&path, &trash).map_err(io(&path, "remove"))?;
    fs::remove_dir_all(&trash).map_err(io(&trash, "remove"))
}

/// What `gc` did.
#[derive(Debug, Clone, Default)]
pub struct GcReport {
    /// Keys removed, least recently used first.
    pub removed: Vec<String>,
    /// Bytes freed.
    pub freed: u64,
    /// Bytes left in entries.
    pub remaining: u64,
}

/// Remove least-recently-used entries until the total is at most `max_bytes`; also
/// remove temporary directories left by killed writers more than an hour ago.
pub fn gc(root: Option<&Path>, max_bytes: u64) -> Result<GcReport, CacheError> {
    let root = root_or_default(root)?;
    // Temporaries of writers that died (and old trash of interrupted removals).
    minisim_io::atomic::remove_stale(&root);
    if let Ok(dir) = fs::read_dir(&root) {
        for item in dir.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            let old = item
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| {
                    SystemTime::now().duration_since(t).unwrap_or_default()
                        > Duration::from_secs(3600)
                })
                .unwrap_or(false);
            if name.starts_with(".trash-") && old {
                let _ = fs::remove_dir_all(item.path());
            }
        }
    }
    let entries = list(Some(&root))?;
    let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
    let mut report = GcReport::default();
    for e in entries {
        if total <= max_bytes {
            break;
        }
        remove(Some(&root), &e.key)?;
        total -= e.bytes;
        report.freed += e.bytes;
        report.removed.push(e.key);
    }
    report.remaining = total;
    Ok(report)
}
