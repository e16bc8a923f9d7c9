//! `Recording` ⇄ directory of `.npy` files plus `recording.json`.
//!
//! Layout (every file loadable with plain `numpy.load`):
//! `observed.npy` (u16 counts or f32), `snapshot_<stage>.npy`, `cells_<column>.npy`,
//! `footprints_{indptr,indices,data}.npy` (scipy CSR over H·W pixels),
//! `spikes_{times,indptr}.npy` (ragged spike times as CSR rows), `calcium_dff.npy`,
//! `neuropil_{components,traces}.npy`, `motion_px.npy`, `vignette.npy`, `vessels.npy`,
//! `leakage.npy`, `photon_gain.npy`, `focal_depth_um.npy` (one value), `cell_bleach.npy`.
//!
//! Invariants: files are written to a temporary sibling directory, fsynced, and the
//! directory is renamed into place, so a reader never sees a partial recording; `load`
//! checks the format version, the spec's hash against the key, and every array's
//! dtype, shape, size and blake3 checksum.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use minisim_render::{CellTable, Csr, GroundTruth, Movie, Recording};
use minisim_spec::{Spec, StepKind};
use ndarray::{Array1, ArrayBase, Data, Dimension, Ix1, Ix2, Ix3};
use ndarray_npy::WritableElement;

use crate::error::{CacheError, io};
use crate::manifest::{ArrayEntry, FORMAT_VERSION, MANIFEST, Manifest};
use crate::npy::{self, Element};

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
    fn put<S, D>(&mut self, name: &str, array: &ArrayBase<S, D>) -> Result<(), CacheError>
    where
        S: Data,
        S::Elem: Element + WritableElement,
        D: Dimension,
    {
        let file = format!("{name}.npy");
        let bytes = npy::encode(array);
        let path = self.dir.join(&file);
        write_synced(&path, &bytes)?;
        self.arrays.insert(
            name.to_owned(),
            ArrayEntry {
                file,
                dtype: S::Elem::DESCR.to_owned(),
                shape: array.shape().to_vec(),
                blake3: blake3::hash(&bytes).to_hex().to_string(),
                bytes: bytes.len() as u64,
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

/// A fresh temporary directory next to `dest` (hidden, unique per process and call).
pub(crate) fn temp_sibling(dest: &Path) -> Result<PathBuf, CacheError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent, "create directory"))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = parent.join(format!(
        ".{name}.tmp-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir(&tmp).map_err(io(&tmp, "create directory"))?;
    Ok(tmp)
}

/// Write every file of `rec` into `dir` (an existing empty directory) and fsync.
pub(crate) fn write_files(rec: &Recording, dir: &Path) -> Result<(), CacheError> {
    let mut w = Writer {
        dir: dir.to_owned(),
        arrays: BTreeMap::new(),
    };
    match &rec.observed {
        Movie::Counts(a) => w.put("observed", a)?,
        Movie::Intensity(a) => w.put("observed", a)?,
    }
    for (stage, a) in &rec.snapshots {
        w.put(&format!("snapshot_{stage}"), a)?;
    }
    let t = &rec.truth;
    let c = &t.cells;
    w.put("cells_id", &Array1::from(c.id.clone()))?;
    w.put("cells_x_um", &Array1::from(c.x_um.clone()))?;
    w.put("cells_y_um", &Array1::from(c.y_um.clone()))?;
    w.put("cells_z_um", &Array1::from(c.z_um.clone()))?;
    w.put("cells_depth_um", &Array1::from(c.depth_um.clone()))?;
    w.put("cells_population", &Array1::from(c.population.clone()))?;
    w.put("cells_radius_um", &Array1::from(c.radius_um.clone()))?;
    w.put("cells_expression", &Array1::from(c.expression.clone()))?;
    w.put("cells_in_fov", &Array1::from(c.in_fov.clone()))?;
    w.put("cells_focus_weight", &Array1::from(c.focus_weight.clone()))?;
    w.put("cells_rate_hz", &Array1::from(c.rate_hz.clone()))?;
    w.put("cells_ensemble", &Array1::from(c.ensemble.clone()))?;
    w.put("cells_in_focus", &Array1::from(c.in_focus.clone()))?;
    w.put("cells_peak_dff", &Array1::from(c.peak_dff.clone()))?;
    w.put("cells_peak_snr", &Array1::from(c.peak_snr.clone()))?;
    w.put("cells_detectable", &Array1::from(c.detectable.clone()))?;
    w.put(
        "footprints_indptr",
        &Array1::from(t.footprints.indptr.clone()),
    )?;
    w.put(
        "footprints_indices",
        &Array1::from(t.footprints.indices.clone()),
    )?;
    w.put("footprints_data", &Array1::from(t.footprints.data.clone()))?;
    let mut indptr = vec![0i64];
    let mut times = Vec::new();
    for cell in &t.spikes {
        times.extend_from_slice(cell);
        indptr.push(times.len() as i64);
    }
    w.put("spikes_times", &Array1::from(times))?;
    w.put("spikes_indptr", &Array1::from(indptr))?;
    w.put("calcium_dff", &t.calcium_dff)?;
    w.put("neuropil_components", &t.neuropil_components)?;
    w.put("neuropil_traces", &t.neuropil_traces)?;
    w.put("motion_px", &t.motion_px)?;
    w.put("vignette", &t.vignette)?;
    w.put("vessels", &t.vessels)?;
    w.put("leakage", &t.leakage)?;
    w.put("photon_gain", &t.photon_gain)?;
    w.put("focal_depth_um", &Array1::from(vec![t.focal_depth_um]))?;
    w.put("cell_bleach", &t.cell_bleach)?;
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
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
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
    let tmp = temp_sibling(dest)?;
    let result = write_files(rec, &tmp).and_then(|()| {
        // An empty directory at `dest` is replaced by the rename.
        fs::rename(&tmp, dest).map_err(|e| {
            if dest.exists() {
                CacheError::Exists {
                    path: dest.to_owned(),
                }
            } else {
                io(dest, "rename into place")(e)
            }
        })
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    } else if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    result
}

/// Read the manifest of `entry`.
pub(crate) fn read_manifest(entry: &Path) -> Result<Manifest, CacheError> {
    let path = entry.join(MANIFEST);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CacheError::NotARecording {
                entry: entry.to_owned(),
            });
        }
        Err(e) => return Err(io(&path, "read")(e)),
    };
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

    fn dtype(&self, name: &str) -> Result<&str, CacheError> {
        Ok(&self.entry_of(name)?.dtype)
    }

    fn get<T: Element, D: Dimension>(
        &self,
        name: &str,
    ) -> Result<ndarray::Array<T, D>, CacheError> {
        let e = self.entry_of(name)?;
        let path = self.entry.join(&e.file);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(CacheError::MissingFile {
                    entry: self.entry.to_owned(),
                    array: name.to_owned(),
                    file: e.file.clone(),
                });
            }
            Err(err) => return Err(io(&path, "read")(err)),
        };
        let array = npy::decode::<T>(&bytes, self.entry, &e.file, &e.dtype, &e.shape)?;
        if blake3::hash(&bytes).to_hex().as_str() != e.blake3 {
            return Err(CacheError::ChecksumMismatch {
                entry: self.entry.to_owned(),
                file: e.file.clone(),
            });
        }
        if array.ndim() != D::NDIM.unwrap_or(array.ndim()) {
            return Err(CacheError::ShapeMismatch {
                entry: self.entry.to_owned(),
                file: e.file.clone(),
                expected: vec![0; D::NDIM.unwrap_or(0)],
                found: array.shape().to_vec(),
            });
        }
        Ok(npy::fixed(array))
    }

    fn vec<T: Element>(&self, name: &str) -> Result<Vec<T>, CacheError> {
        Ok(self.get::<T, Ix1>(name)?.to_vec())
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
    let observed = if r.dtype("observed")? == u16::DESCR {
        Movie::Counts(r.get::<u16, Ix3>("observed")?)
    } else {
        Movie::Intensity(r.get::<f32, Ix3>("observed")?)
    };
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
        snapshots.push((stage, r.get::<f32, Ix3>(&format!("snapshot_{stage}"))?));
    }
    let cells = CellTable {
        id: r.vec("cells_id")?,
        x_um: r.vec("cells_x_um")?,
        y_um: r.vec("cells_y_um")?,
        z_um: r.vec("cells_z_um")?,
        depth_um: r.vec("cells_depth_um")?,
        population: r.vec("cells_population")?,
        radius_um: r.vec("cells_radius_um")?,
        expression: r.vec("cells_expression")?,
        in_fov: r.vec("cells_in_fov")?,
        focus_weight: r.vec("cells_focus_weight")?,
        rate_hz: r.vec("cells_rate_hz")?,
        ensemble: r.vec("cells_ensemble")?,
        in_focus: r.vec("cells_in_focus")?,
        peak_dff: r.vec("cells_peak_dff")?,
        peak_snr: r.vec("cells_peak_snr")?,
        detectable: r.vec("cells_detectable")?,
    };
    let n = cells.id.len();
    let vignette = r.get::<f32, Ix2>("vignette")?;
    let pixels = vignette.len();
    let footprints = Csr {
        indptr: r.vec("footprints_indptr")?,
        indices: r.vec("footprints_indices")?,
        data: r.vec("footprints_data")?,
        shape: (n, pixels),
    };
    let inconsistent = |reason: String| CacheError::Inconsistent {
        entry: entry.to_owned(),
        reason,
    };
    let columns = [
        ("x_um", cells.x_um.len()),
        ("y_um", cells.y_um.len()),
        ("z_um", cells.z_um.len()),
        ("depth_um", cells.depth_um.len()),
        ("population", cells.population.len()),
        ("radius_um", cells.radius_um.len()),
        ("expression", cells.expression.len()),
        ("in_fov", cells.in_fov.len()),
        ("focus_weight", cells.focus_weight.len()),
        ("rate_hz", cells.rate_hz.len()),
        ("ensemble", cells.ensemble.len()),
        ("in_focus", cells.in_focus.len()),
        ("peak_dff", cells.peak_dff.len()),
        ("peak_snr", cells.peak_snr.len()),
        ("detectable", cells.detectable.len()),
    ];
    if let Some((name, len)) = columns.into_iter().find(|&(_, len)| len != n) {
        return Err(inconsistent(format!(
            "cells_{name} has {len} entries but cells_id has {n}"
        )));
    }
    if footprints.indptr.len() != n + 1
        || footprints.indptr.last().copied() != Some(footprints.indices.len() as i64)
        || footprints.indices.len() != footprints.data.len()
    {
        return Err(inconsistent(
            "footprint CSR arrays disagree with the cell count".into(),
        ));
    }
    let times: Vec<f64> = r.vec("spikes_times")?;
    let indptr: Vec<i64> = r.vec("spikes_indptr")?;
    if indptr.len() != n + 1 || indptr.last().copied() != Some(times.len() as i64) {
        return Err(inconsistent(
            "spike CSR arrays disagree with the cell count".into(),
        ));
    }
    let spikes = indptr
        .windows(2)
        .map(|w| times[w[0] as usize..w[1] as usize].to_vec())
        .collect();
    let truth = GroundTruth {
        cells,
        footprints,
        spikes,
        calcium_dff: r.get("calcium_dff")?,
        neuropil_components: r.get("neuropil_components")?,
        neuropil_traces: r.get("neuropil_traces")?,
        motion_px: r.get("motion_px")?,
        vignette,
        vessels: r.get("vessels")?,
        leakage: r.get("leakage")?,
        photon_gain: r.get("photon_gain")?,
        cell_bleach: r.get("cell_bleach")?,
        focal_depth_um: match r.vec::<f64>("focal_depth_um")?[..] {
            [f] => f,
            ref other => {
                return Err(inconsistent(format!(
                    "focal_depth_um holds {} values, not 1",
                    other.len()
                )));
            }
        },
    };
    Ok(Recording {
        spec,
        cache_key: manifest.cache_key.clone(),
        observed,
        snapshots,
        truth,
    })
}
