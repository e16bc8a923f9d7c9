//! `minisim_rs._minisim`: the Python bindings of the `minisim` facade (PyO3 + numpy).
//!
//! Specs are `Spec` objects (validated on construction, like the Rust type); `simulate`
//! releases the GIL while rendering and hands the observed movie to numpy without a
//! second copy (the `ndarray` buffer becomes the numpy array's). Errors are Python
//! exceptions: `SpecError(ValueError)` with `.path` and `.issues`, `RenderError`,
//! `CacheError`, `VideoError`; no panic crosses into Python (PyO3 turns one into
//! `PanicException`, and the library returns errors rather than panicking).

mod convert;
mod errors;
mod interrupt;
mod recording;
mod scoring;
mod spec;

use std::path::PathBuf;
use std::sync::Arc;

use minisim::{Axis, PerfTracker, SimulateOptions, StepKind, VideoOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::json_value;
use crate::errors::{cache_err, render_err, spec_err, video_err};
use crate::interrupt::Watch;
use crate::recording::PyRecording;
use crate::spec::PySpec;

fn stage(name: &str) -> PyResult<StepKind> {
    name.parse::<StepKind>()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("until={name:?}: {e}")))
}

/// Render `spec` in memory and return the `Recording` (observed movie, ground truth).
///
/// `until` stops after that stage (a step kind, e.g. `"photon_field"`); `chunk_frames`
/// sets the frames rendered at once (memory and parallelism only, never the output);
/// `perf=True` records the time per pipeline phase in `rec.perf`; `progress=True` shows
/// a tqdm bar when tqdm is installed. The GIL is released while rendering; Ctrl-C stops
/// the render at its next chunk and raises `KeyboardInterrupt`.
#[pyfunction]
#[pyo3(signature = (spec, until=None, chunk_frames=None, perf=false, progress=false))]
fn simulate(
    py: Python<'_>,
    spec: &PySpec,
    until: Option<&str>,
    chunk_frames: Option<usize>,
    perf: bool,
    progress: bool,
) -> PyResult<PyRecording> {
    let until = until.map(stage).transpose()?;
    let tracker = perf.then(|| Arc::new(PerfTracker::new()));
    let watch = Watch::new(py, progress, spec.inner.acquisition().frames);
    let defaults = SimulateOptions::default();
    let options = SimulateOptions {
        until,
        chunk_frames: chunk_frames.unwrap_or(defaults.chunk_frames),
        perf: tracker.clone(),
        progress: Some(watch.callback()),
        cancel: Some(watch.cancel()),
        ..defaults
    };
    let spec = spec.inner.clone();
    let result = py.detach(move || minisim::simulate(&spec, &options));
    watch.finish(py)?;
    let rec = result.map_err(|e| render_err(&e))?;
    PyRecording::new(py, rec, tracker.as_deref())
}

/// `simulate` through the content-addressed cache (`cache_dir`, else `$MINISIM_CACHE`
/// or the platform cache directory): the first call renders and stores, later calls
/// load and verify. Ctrl-C stops a render and leaves no cache entry.
#[pyfunction]
#[pyo3(signature = (spec, cache_dir=None, progress=false))]
fn simulate_cached(
    py: Python<'_>,
    spec: &PySpec,
    cache_dir: Option<PathBuf>,
    progress: bool,
) -> PyResult<PyRecording> {
    let watch = Watch::new(py, progress, spec.inner.acquisition().frames);
    let options = SimulateOptions {
        progress: Some(watch.callback()),
        cancel: Some(watch.cancel()),
        ..SimulateOptions::default()
    };
    let spec = spec.inner.clone();
    let result = py.detach(move || {
        minisim::simulate_cached_with(&spec, cache_dir.as_deref(), &options).map(|(r, _)| r)
    });
    watch.finish(py)?;
    let rec = result.map_err(|e| cache_err(&e))?;
    PyRecording::new(py, rec, None)
}

/// Stream `spec` to a video or stack file in bounded memory (`.avi`, `.tif`, `.npy`;
/// `.mkv`/`.mp4` when built with ffmpeg). Returns the path written. The file appears
/// only complete; Ctrl-C stops the render and leaves no file.
#[pyfunction]
#[pyo3(signature = (spec, path, progress=true, codec=None, fps=None, vmin=None, vmax=None, chunk_frames=None))]
#[allow(clippy::too_many_arguments)]
fn simulate_video(
    py: Python<'_>,
    spec: &PySpec,
    path: PathBuf,
    progress: bool,
    codec: Option<String>,
    fps: Option<f64>,
    vmin: Option<f64>,
    vmax: Option<f64>,
    chunk_frames: Option<usize>,
) -> PyResult<String> {
    let watch = Watch::new(py, progress, spec.inner.acquisition().frames);
    let defaults = VideoOptions::default();
    let options = VideoOptions {
        codec,
        fps,
        vmin,
        vmax,
        chunk_frames: chunk_frames.unwrap_or(defaults.chunk_frames),
        progress: false,
        on_frames: Some(watch.callback()),
        cancel: Some(watch.cancel()),
        ..defaults
    };
    let spec = spec.inner.clone();
    let result = py.detach(move || minisim::simulate_video(&spec, &path, &options));
    watch.finish(py)?;
    let written = result.map_err(|e| video_err(&e))?;
    Ok(written.display().to_string())
}

/// The specs of a Cartesian product of overrides: `axes` maps dotted paths to lists of
/// values (the first path varies slowest). Every path is checked before any point.
#[pyfunction]
fn sweep(py: Python<'_>, base: &PySpec, axes: &Bound<'_, PyDict>) -> PyResult<Vec<PySpec>> {
    let mut list = Vec::new();
    for (path, values) in axes.iter() {
        let path: String = path.extract()?;
        let values: Vec<serde_json::Value> = values
            .try_iter()?
            .map(|v| json_value(py, &v?))
            .collect::<PyResult<_>>()?;
        list.push(Axis::new(path, values));
    }
    let points = minisim::sweep(&base.inner, &list).map_err(|e| spec_err(py, &e))?;
    points
        .map(|p| {
            p.map(|p| PySpec {
                inner: p.into_spec(),
            })
            .map_err(|e| spec_err(py, &e))
        })
        .collect()
}

#[pymodule]
fn _minisim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySpec>()?;
    m.add_class::<PyRecording>()?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_cached, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_video, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::score, m)?)?;
    errors::register(m)?;
    m.add("MODEL_VERSION", minisim::MODEL_VERSION)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
