//! `score`: an extraction result against a recording's ground truth, as
//! `minisim-cli score --json` reports it.

use minisim::score::{self as scoring, Estimate, Footprints, Options, ShiftConvention, Truth};
use ndarray::Array2;
use numpy::{PyArray2, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::py_json;
use crate::recording::PyRecording;

/// `np.asarray(x, dtype=float64)` as a 2-d array, checked against `(rows, cols)`.
fn matrix(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    what: &str,
    rows: Option<usize>,
    cols: usize,
    expected: &str,
) -> PyResult<Array2<f64>> {
    let np = py.import("numpy")?;
    let a = np.call_method1("asarray", (x, "float64"))?;
    let a = a
        .cast::<PyArray2<f64>>()
        .map_err(|_| PyValueError::new_err(format!("{what}: expected a 2-d array {expected}")))?;
    let a = a.to_owned_array();
    let (r, c) = a.dim();
    if rows.is_some_and(|n| n != r) || c != cols {
        return Err(PyValueError::new_err(format!(
            "{what}: shape ({r}, {c}), expected {expected}"
        )));
    }
    Ok(a)
}

/// Footprints from a dense `(n, H, W)` array or a sparse `(n, H·W)` matrix (row-major
/// pixels, anything with `.tocsr()`).
fn footprints(py: Python<'_>, x: &Bound<'_, PyAny>, h: usize, w: usize) -> PyResult<Footprints> {
    let np = py.import("numpy")?;
    let mut f = Footprints {
        height: h,
        width: w,
        ..Default::default()
    };
    if x.hasattr("tocsr")? {
        let csr = x.call_method0("tocsr")?;
        let (n, px): (usize, usize) = csr.getattr("shape")?.extract()?;
        if px != h * w {
            return Err(PyValueError::new_err(format!(
                "footprints: sparse shape ({n}, {px}), expected (n, {}) = (components, H·W)",
                h * w
            )));
        }
        let get = |name: &str, dtype: &str| -> PyResult<Vec<f64>> {
            np.call_method1("asarray", (csr.getattr(name)?, dtype))?
                .call_method0("tolist")?
                .extract()
        };
        let (data, indices, indptr) = (
            get("data", "float64")?,
            get("indices", "float64")?,
            get("indptr", "float64")?,
        );
        for k in 0..n {
            let r = indptr[k] as usize..indptr[k + 1] as usize;
            f.indices
                .push(indices[r.clone()].iter().map(|&i| i as u32).collect());
            f.weights.push(data[r].iter().map(|&v| v as f32).collect());
        }
        return Ok(f);
    }
    let a = np.call_method1("asarray", (x, "float32"))?;
    let shape: Vec<usize> = a.getattr("shape")?.extract()?;
    if shape.len() != 3 || shape[1] != h || shape[2] != w {
        return Err(PyValueError::new_err(format!(
            "footprints: shape {shape:?}, expected (n, {h}, {w}) = (components, H, W) or a sparse (n, H·W) matrix"
        )));
    }
    let flat = a.call_method1("reshape", ((shape[0], h * w),))?;
    let rows: Vec<Vec<f32>> = flat.call_method0("tolist")?.extract()?;
    for row in rows {
        let (idx, wts): (Vec<u32>, Vec<f32>) = row
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(i, &v)| (i as u32, v))
            .unzip();
        f.indices.push(idx);
        f.weights.push(wts);
    }
    Ok(f)
}

fn score_err(e: &minisim::ScoreError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Score an extraction result against the recording's ground truth, beside the oracle
/// and threshold-ROI baselines (`baselines=True`): the reports of
/// `minisim-cli score --json` (one dict per estimate; docs/scoring.md defines them).
///
/// `footprints`: dense `(n, H, W)` or sparse `(n, H·W)`; `traces`, `spikes`:
/// `(n, frames)`; `shifts`: `(frames, 2)` `[dy, dx]` px, by default the correction
/// (CaImAn, Suite2p, minian) — `shift_convention="displacement"` for the motion itself.
#[pyfunction]
#[pyo3(signature = (rec, footprints=None, traces=None, spikes=None, shifts=None, *, name="yours", baselines=true, truth="core", iou_threshold=None, energy_fraction=None, snr_threshold=None, spike_tolerance_frames=None, spike_threshold=None, shift_convention="correction"))]
#[allow(clippy::too_many_arguments)]
pub fn score<'py>(
    py: Python<'py>,
    rec: &mut PyRecording,
    footprints: Option<&Bound<'py, PyAny>>,
    traces: Option<&Bound<'py, PyAny>>,
    spikes: Option<&Bound<'py, PyAny>>,
    shifts: Option<&Bound<'py, PyAny>>,
    name: &str,
    baselines: bool,
    truth: &str,
    iou_threshold: Option<f64>,
    energy_fraction: Option<f64>,
    snr_threshold: Option<f64>,
    spike_tolerance_frames: Option<u64>,
    spike_threshold: Option<f64>,
    shift_convention: &str,
) -> PyResult<Bound<'py, PyList>> {
    let d = Options::default();
    let opt = Options {
        truth: match truth {
            "core" => Truth::Core,
            "total" => Truth::Total,
            other => {
                return Err(PyValueError::new_err(format!(
                    "truth={other:?}: \"core\" or \"total\""
                )));
            }
        },
        iou_threshold: iou_threshold.unwrap_or(d.iou_threshold),
        energy_fraction: energy_fraction.unwrap_or(d.energy_fraction),
        snr_threshold: snr_threshold.unwrap_or(d.snr_threshold),
        spike_tolerance_frames: spike_tolerance_frames.unwrap_or(d.spike_tolerance_frames),
        spike_threshold: spike_threshold.unwrap_or(d.spike_threshold),
        shift_convention: match shift_convention {
            "correction" => ShiftConvention::Correction,
            "displacement" => ShiftConvention::Displacement,
            other => {
                return Err(PyValueError::new_err(format!(
                    "shift_convention={other:?}: \"correction\" or \"displacement\""
                )));
            }
        },
        centre_threshold_px: d.centre_threshold_px,
    };
    opt.check().map_err(|e| score_err(&e))?;
    let reports = rec.with_movie(py, |py, r| -> PyResult<Vec<scoring::Report>> {
        let (h, w) = r.truth.vignette.dim();
        let frames = r.observed.frames().max(r.truth.motion_px.nrows());
        let mut reports = Vec::new();
        if footprints.is_some() || shifts.is_some() {
            let fp = match footprints {
                Some(f) => self::footprints(py, f, h, w)?,
                None => Footprints {
                    height: h,
                    width: w,
                    ..Default::default()
                },
            };
            let n = fp.indices.len();
            let need = format!("({n}, {frames}) = (components, frames)");
            let est = Estimate {
                name: name.to_owned(),
                traces: traces
                    .map(|t| matrix(py, t, "traces", Some(n), frames, &need))
                    .transpose()?,
                spikes: spikes
                    .map(|t| matrix(py, t, "spikes", Some(n), frames, &need))
                    .transpose()?,
                shifts: shifts
                    .map(|s| matrix(py, s, "shifts", Some(frames), 2, &format!("({frames}, 2)")))
                    .transpose()?,
                footprints: fp,
                ..Default::default()
            };
            reports.push(
                py.detach(|| scoring::score(r, &est, &opt))
                    .map_err(|e| score_err(&e))?,
            );
        }
        if baselines {
            let (oracle, rois) =
                py.detach(|| (scoring::oracle(r, &opt), scoring::threshold_rois(r, &opt)));
            if let Some(first) = reports.pop() {
                reports.push(scoring::with_ceiling(first, r, &oracle, &opt));
            }
            reports.push(scoring::score(r, &oracle, &opt).map_err(|e| score_err(&e))?);
            reports.push(scoring::score(r, &rois, &opt).map_err(|e| score_err(&e))?);
        }
        if reports.is_empty() {
            return Err(PyValueError::new_err(
                "nothing to score: baselines=False without footprints or shifts",
            ));
        }
        Ok(reports)
    })??;
    let text = serde_json::to_string(&reports).expect("reports serialise");
    Ok(py_json(py, &text)?.cast_into::<PyList>()?)
}
