//! `Recording` ⇄ directory of `.npy` files plus `recording.json`.
//!
//! Layout (every file loadable with plain `numpy.load`):
//! `observed.npy` (u16 counts or f32), `snapshot_<stage>.npy`, `cells_<column>.npy`,
//! `footprints_{indptr,indices,data}.npy` (scipy CSR over H·W pixels),
//! `spikes_{times,indptr}.npy` (ragged spike times as CSR rows), `calcium_dff.npy`,
//! `neuropil_{components,traces}.npy`, `motion_px.npy`, `vignette.npy`, `vessels.npy`,
//! `leakage.npy`, `photon_gain.npy`, `hemodynamic.npy`, `focal_depth_um.npy` (one
//! value), `cell_bleach.npy`.
//!
//! Invariants: files are written to a temporary sibling directory, fsynced, and the
//! directory is renamed into place, so a reader never sees a partial recording; `load`
//! checks the format version, the spec's hash against the key, and every array's
//! dtype, shape, size and blake3 checksum.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use minisim_io::atomic::TempPath;
use minisim_render::{Dtype, TruthArray, TruthError};
use minisim_render::{GroundTruth, Movie, Recording};
use minisim_spec::{Spec, StepKind};
use ndarray::{CowArray, Ix3};

use crate::error::{CacheError, io};
use crate::manifest::{ArrayEntry, FORMAT_VERSION, MANIFEST, Manifest};
use crate::npy;

/// Save and load recordings as directories (`rec.save(dir)`, `Recording::load(dir)`).
pub trait Persist: Sized {
    /// Write to a new directory `dir` (it must not exist or be empty). The directory
    /// appears only when complete.
    fn save(&self, dir: &Path) -> Result<(), CacheError>;
    /// Read and verify a directory written by `save`.
    fn load(dir: &Path) -> Result<Self, CacheError>;
}

impl Persist for Recording {
    fn save(&self, dir: &Path) -> Result<(), CacheError> {
        save(self, dir)
    }
    fn load(dir: &Path) -> Result<Self, CacheError> {
        load(dir)
    }
}

struct Writer {
    dir: PathBuf,
    arrays: BTreeMap<String, ArrayEntry>,
}

impl Writer {
    /// Stream `array` into `<name>.npy` (header, then blocks of data), hashing as it
    /// goes, so memory stays bounded whatever the array's size.
    fn put(&mut self, name: &str, array: &TruthArray<'_>) -> Result<(), CacheError> {
        let file = format!("{name}.npy");
        let path = self.dir.join(&file);
        let f = fs::File::create(&path).map_err(io(&path, "create"))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        let mut hasher = blake3::Hasher::new();
        let mut written = 0u64;
        let mut result = Ok(());
        let mut put = |block: &[u8]| {
            if result.is_ok() {
                hasher.update(block);
                written += block.len() as u64;
                result = out.write_all(block);
            }
        };
        put(&npy::header(array));
        array.le_blocks(&mut put);
        result.map_err(io(&path, "write"))?;
        let f = out
            .into_inner()
            .map_err(|e| io(&path, "write")(e.into_error()))?;
        f.sync_all().map_err(io(&path, "fsync"))?;
        self.arrays.insert(
            name.to_owned(),
            ArrayEntry {
                file,
                dtype: array.dtype().descr().to_owned(),
                shape: array.shape().to_vec(),
                blake3: hasher.finalize().to_hex().to_string(),
                bytes: written,
            },
        );
        Ok(())
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let mut f = fs::File::create(path).map_err(io(path, "create"))?;
    f.write_all(bytes).map_err(io(path, "write"))?;
    f.sync_all().map_err(io(path, "fsync"))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), CacheError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir, "fsync"))
}

/// A fresh hidden temporary directory next to `dest`, removed unless committed.
pub(crate) fn temp_dir(dest: &Path) -> Result<TempPath, CacheError> {
    TempPath::dir(dest).map_err(io(dest, "create temporary directory"))
}

/// The observed movie as an array of the layout.
fn movie(m: &Movie) -> TruthArray<'_> {
    match m {
        Movie::Counts(a) => TruthArray::U16(CowArray::from(a.view().into_dyn())),
        Movie::Intensity(a) => TruthArray::F32(CowArray::from(a.view().into_dyn())),
    }
}

/// Write every file of `rec` into `dir` (an existing empty directory) and fsync.
pub(crate) fn write_files(rec: &Recording, dir: &Path) -> Result<(), CacheError> {
    let mut w = Writer {
        dir: dir.to_owned(),
        arrays: BTreeMap::new(),
    };
    w.put("observed", &movie(&rec.observed))?;
    for (stage, a) in &rec.snapshots {
        w.put(
            &format!("snapshot_{stage}"),
            &TruthArray::F32(CowArray::from(a.view().into_dyn())),
        )?;
    }
    for (name, array) in rec.truth.arrays() {
        w.put(name, &array)?;
    }
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        model_version: minisim_spec::MODEL_VERSION,
        cache_key: rec.cache_key.clone(),
        spec: rec.spec.to_value(),
        snapshot_stages: rec
            .snapshots
            .iter()
            .map(|(k, _)| k.name().to_owned())
            .collect(),
        arrays: w.arrays,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| CacheError::BadManifest {
        entry: dir.to_owned(),
        reason: e.to_string(),
    })?;
    write_synced(&dir.join(MANIFEST), text.as_bytes())?;
    sync_dir(dir)
}

fn save(rec: &Recording, dest: &Path) -> Result<(), CacheError> {
    if let Ok(mut entries) = fs::read_dir(dest)
        && entries.next().is_some()
    {
        return Err(CacheError::Exists {
            path: dest.to_owned(),
        });
    }
    if dest.is_file() {
        return Err(CacheError::Exists {
            path: dest.to_owned(),
        });
    }
    let tmp = temp_dir(dest)?;
    write_files(rec, tmp.path())?;
    // An empty directory at `dest` is replaced by the rename.
    tmp.commit().map_err(|e| {
        if dest.exists() {
            CacheError::Exists {
                path: dest.to_owned(),
            }
        } else {
            io(dest, "rename into place")(e)
        }
    })
}

/// Read a file inside an entry: a missing file is `missing()`, any other failure
/// (a directory, a symlink loop, permissions) means the entry is damaged.
fn read_in_entry(
    entry: &Path,
    file: &str,
    missing: impl FnOnce() -> CacheError,
) -> Result<Vec<u8>, CacheError> {
    let path = entry.join(file);
    match fs::read(&path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !path.is_symlink() => Err(missing()),
        Err(e) => Err(CacheError::Unreadable {
            entry: entry.to_owned(),
            file: file.to_owned(),
            error: e.to_string(),
        }),
    }
}

/// Read the manifest of `entry`.
pub(crate) fn read_manifest(entry: &Path) -> Result<Manifest, CacheError> {
    if !entry.is_dir() {
        return Err(CacheError::NotARecording {
            entry: entry.to_owned(),
        });
    }
    let bytes = read_in_entry(entry, MANIFEST, || CacheError::NotARecording {
        entry: entry.to_owned(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| CacheError::BadManifest {
        entry: entry.to_owned(),
        reason: format!("not UTF-8 text ({e})"),
    })?;
    // Check the version before the full schema, so a future layout gets the right error.
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CacheError::BadManifest {
            entry: entry.to_owned(),
            reason: e.to_string(),
        })?;
    let found = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64);
    if found != Some(FORMAT_VERSION as u64) {
        return Err(CacheError::UnknownFormat {
            entry: entry.to_owned(),
            found: found.unwrap_or(0) as u32,
            supported: FORMAT_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|e| CacheError::BadManifest {
        entry: entry.to_owned(),
        reason: e.to_string(),
    })
}

struct Reader<'a> {
    entry: &'a Path,
    manifest: &'a Manifest,
}

impl Reader<'_> {
    fn entry_of(&self, name: &str) -> Result<&ArrayEntry, CacheError> {
        self.manifest
            .arrays
            .get(name)
            .ok_or_else(|| CacheError::BadManifest {
                entry: self.entry.to_owned(),
                reason: format!("array `{name}` is not listed"),
            })
    }

    /// The array `name`, decoded as `dtype` after checking size, header and checksum.
    fn get(&self, name: &str, dtype: Dtype) -> Result<TruthArray<'static>, CacheError> {
        let e = self.entry_of(name)?;
        if e.file.contains(['/', '\\']) || e.file.starts_with('.') {
            return Err(CacheError::BadManifest {
                entry: self.entry.to_owned(),
                reason: format!("array `{name}` names file {:?} outside the entry", e.file),
            });
        }
        let bytes = read_in_entry(self.entry, &e.file, || CacheError::MissingFile {
            entry: self.entry.to_owned(),
            array: name.to_owned(),
            file: e.file.clone(),
        })?;
        let array = npy::decode(&bytes, self.entry, &e.file, dtype, &e.dtype, &e.shape)?;
        if blake3::hash(&bytes).to_hex().as_str() != e.blake3 {
            return Err(CacheError::ChecksumMismatch {
                entry: self.entry.to_owned(),
                file: e.file.clone(),
            });
        }
        Ok(array)
    }

    /// A movie (`frames × H × W`) of u16 counts or f32 intensity.
    fn movie(&self, name: &str) -> Result<Movie, CacheError> {
        let dtype = if self.entry_of(name)?.dtype == Dtype::U16.descr() {
            Dtype::U16
        } else {
            Dtype::F32
        };
        let rank = |found: &[usize]| CacheError::ShapeMismatch {
            entry: self.entry.to_owned(),
            file: format!("{name}.npy"),
            expected: vec![0; 3],
            found: found.to_vec(),
        };
        match self.get(name, dtype)? {
            TruthArray::U16(a) => {
                let shape = a.shape().to_vec();
                Ok(Movie::Counts(
                    a.into_owned()
                        .into_dimensionality::<Ix3>()
                        .map_err(|_| rank(&shape))?,
                ))
            }
            TruthArray::F32(a) => {
                let shape = a.shape().to_vec();
                Ok(Movie::Intensity(
                    a.into_owned()
                        .into_dimensionality::<Ix3>()
                        .map_err(|_| rank(&shape))?,
                ))
            }
            other => Err(CacheError::DtypeMismatch {
                entry: self.entry.to_owned(),
                file: format!("{name}.npy"),
                expected: dtype.descr().to_owned(),
                found: other.dtype().descr().to_owned(),
            }),
        }
    }
}

/// Why the entry's arrays do not make a ground truth: a file's fault, or theirs
/// together.
enum EntryTruthError {
    File(CacheError),
    Truth(TruthError),
}

impl From<TruthError> for EntryTruthError {
    fn from(e: TruthError) -> Self {
        EntryTruthError::Truth(e)
    }
}

/// Verify the spec of a manifest: it parses and hashes to the stored key.
pub(crate) fn checked_spec(entry: &Path, manifest: &Manifest) -> Result<Spec, CacheError> {
    let spec = Spec::from_value(manifest.spec.clone()).map_err(|error| CacheError::BadSpec {
        entry: entry.to_owned(),
        error,
    })?;
    let actual = spec.cache_key_for_model(manifest.model_version);
    if actual != manifest.cache_key {
        return Err(CacheError::SpecEdited {
            entry: entry.to_owned(),
            stored: manifest.cache_key.clone(),
            actual,
        });
    }
    Ok(spec)
}

fn load(entry: &Path) -> Result<Recording, CacheError> {
    let manifest = read_manifest(entry)?;
    let spec = checked_spec(entry, &manifest)?;
    let r = Reader {
        entry,
        manifest: &manifest,
    };
    let observed = r.movie("observed")?;
    let mut snapshots = Vec::new();
    for name in &manifest.snapshot_stages {
        let stage: StepKind = name
            .parse()
            .map_err(
                |e: minisim_spec::steps::UnknownKind| CacheError::BadManifest {
                    entry: entry.to_owned(),
                    reason: e.to_string(),
                },
            )?;
        match r.movie(&format!("snapshot_{stage}"))? {
            Movie::Intensity(a) => snapshots.push((stage, a)),
            Movie::Counts(_) => {
                return Err(CacheError::DtypeMismatch {
                    entry: entry.to_owned(),
                    file: format!("snapshot_{stage}.npy"),
                    expected: Dtype::F32.descr().to_owned(),
                    found: Dtype::U16.descr().to_owned(),
                });
            }
        }
    }
    let truth =
        GroundTruth::from_arrays(|name, dtype| r.get(name, dtype).map_err(EntryTruthError::File))
            .map_err(|e| match e {
            EntryTruthError::File(e) => e,
            EntryTruthError::Truth(e) => CacheError::Inconsistent {
                entry: entry.to_owned(),
                reason: e.to_string(),
            },
        })?;
    Ok(Recording {
        spec,
        cache_key: manifest.cache_key.clone(),
        observed,
        snapshots,
        truth,
    })
}
