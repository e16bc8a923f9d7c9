//! # minisim
//!
//! Simulate one-photon miniscope calcium-imaging recordings with complete ground truth.
//!
//! A [`Spec`] (JSON: seed, acquisition, optics, an ordered set of steps, output) fully
//! determines a recording. Specs are validated on construction, so every `Spec` value
//! is usable; errors name the JSON path they are about. [`simulate`] runs the pipeline
//! place_neurons → spikes → calcium → composite → neuropil → vasculature → motion_crop
//! → vignette → photon_field → leakage → digitize and returns a [`Recording`]: the
//! observed movie, optional stage snapshots and the full ground truth. The same spec
//! gives the same bits, whatever the chunk size or thread count.
//!
//! ```
//! use minisim::{sweep, Axis, Spec};
//!
//! // The built-in default: 256×256 px, 20 Hz, 1000 frames, every step.
//! let spec = Spec::default();
//! println!("cache key {}", spec.cache_key());
//!
//! // Change one field by its dotted path; the result is validated again.
//! let slow = spec.with_override("steps.calcium.indicator", serde_json::json!("gcamp6s"))?;
//! assert_ne!(slow.cache_key(), spec.cache_key());
//!
//! // Render it (here shortened to 20 frames of 64×64 px): counts plus ground truth.
//! let small = spec.with_overrides([
//!     ("acquisition.frames", serde_json::json!(20)),
//!     ("acquisition.fov_px", serde_json::json!([64, 64])),
//! ])?;
//! let rec = minisim::simulate(&small, &minisim::SimulateOptions::default())?;
//! assert_eq!(rec.observed.shape(), (20, 64, 64));
//! println!("{} cells, {} in the field of view", rec.truth.cells.len(),
//!          rec.truth.cells.in_fov.iter().filter(|&&b| b).count());
//!
//! // Save it as .npy files + recording.json (numpy-loadable), and load it back verified.
//! use minisim::Persist;
//! let dir = std::env::temp_dir().join(format!("minisim-doc-{}", std::process::id()));
//! rec.save(&dir)?;
//! assert_eq!(minisim::Recording::load(&dir)?, rec);
//! # std::fs::remove_dir_all(&dir).ok();
//!
//! // Or let the content-addressed cache do it: the second call is a verified load.
//! // let rec = minisim::simulate_cached(&small, None)?;   // $MINISIM_CACHE or ~/.cache/minisim
//!
//! // Stream a long recording straight to disk in bounded memory: .avi (Y800, MJPG),
//! // .tif/.npy (exact counts), .mkv/.mp4 with the `ffmpeg` feature.
//! let movie = std::env::temp_dir().join(format!("minisim-doc-{}.avi", std::process::id()));
//! minisim::simulate_video(&small, &movie, &minisim::VideoOptions::default())?;
//! # std::fs::remove_file(&movie).ok();
//!
//! // Sweep a Cartesian product of overrides (first axis slowest).
//! let points = sweep(&spec, &[
//!     Axis::new("acquisition.optics.na", [0.2, 0.3, 0.4]),
//!     Axis::new("seed", [0, 1]),
//! ])?;
//! assert_eq!(points.len(), 6);
//! # Ok::<(), minisim::Error>(())
//! ```
#![deny(missing_docs)]

pub use minisim_spec::{
    Acquisition, Axis, Bound, Export, ExportDtype, ExportKernel, FocalDepth, Issue, MAX_BLUR_PX,
    MAX_DEPTH_IN_LS, MODEL_VERSION, Optics, Output, PRESETS, Preset, PyImport, REGIONS, SCOPES,
    Spec, SpecDraft, SpecError, Sweep, SweptSpec, Unmapped, parse_assignment, preset_names, steps,
    sweep,
};

/// Every step kind's parameters, [`Step`] and [`StepKind`].
pub use minisim_spec::steps::*;

pub use minisim_render::{
    Cancel, CellTable, Chunk, ChunkMovie, Csr, Dtype, Estimate, Geometry, GroundTruth, MemoryLimit,
    Movie, PerfTracker, Phase, PhaseTime, Progress, Recording, RenderError, Renderer,
    SimulateOptions, TruthArray, TruthError, estimate, human_bytes,
};

/// Simulate a whole recording in memory (see [`minisim_render::simulate`]).
///
/// Before anything is allocated the render's memory is estimated ([`estimate`]) and
/// checked against `options.memory_limit`; the default, [`MemoryLimit::Available`],
/// is what the system has available now, so a spec too large for the machine fails
/// with [`RenderError::TooLarge`] instead of aborting. Output is bit-identical for any
/// `chunk_frames` and thread count.
pub fn simulate(spec: &Spec, options: &SimulateOptions) -> Result<Recording, RenderError> {
    let options = SimulateOptions {
        memory_limit: options
            .memory_limit
            .resolve(minisim_io::system::available_memory),
        ..options.clone()
    };
    minisim_render::simulate(spec, &options)
}

pub use minisim_cache::{
    CacheError, CacheOutcome, EntryInfo, GcReport, MANIFEST, Persist, cache_dir, gc as cache_gc,
    list as cache_list, remove as cache_remove, simulate_cached, simulate_cached_with,
    store as cache_store, verify as cache_verify,
};

pub use minisim_video::{
    AviCodec, AviSink, FrameSink, Frames, NpySink, SinkConfig, VideoError, VideoOptions,
    simulate_video, write_movie,
};

/// Reading movies users have (`.npy`, multi-page `.tif`, uncompressed gray `.avi`,
/// Inscopix `.isxd`) frame by frame as `f32`: [`read::open`], [`read::read_all`];
/// [`read::ArrayReader`] reads a movie already in memory the same way.
pub mod read {
    pub use minisim_video::read::{ArrayReader, MovieInfo, MovieReader, open, read_all};
}

/// Calibration to a real recording: [`calibration::calibrate`] streams a movie once
/// and estimates the sensor (photon transfer), vignette, bleaching and motion, each
/// with its uncertainty or quality flag; [`calibration::Calibration::spec`] writes them
/// into a spec; [`calibration::compare`] sets two movies' statistics side by side
/// within derived tolerances. See docs/calibrate.md.
///
/// ```
/// use minisim::calibration::{Options, calibrate};
/// use minisim::read::ArrayReader;
/// use minisim::{Movie, SimulateOptions, Spec};
/// let spec = Spec::preset("quick")?
///     .with_overrides([("acquisition.frames", serde_json::json!(120))])?;
/// let Movie::Counts(movie) = minisim::simulate(&spec, &SimulateOptions::default())?.observed
/// else { unreachable!() };
/// let mut reader = ArrayReader::new(movie.mapv(|v| v as f32), Some(20.0), Some(2.0));
/// let cal = calibrate(&mut reader, Options::default())?;
/// let gain = spec.digitize().unwrap().gain_dn_per_e;
/// assert!((cal.sensor.gain_dn_per_e.value / gain - 1.0).abs() < 0.1);
/// # Ok::<(), minisim::Error>(())
/// ```
pub use minisim_calibrate as calibration;
pub use minisim_calibrate::CalibrateError;

/// The output format a video path (and optional codec) selects, checked before any
/// rendering: unknown extensions, codecs and ffmpeg formats without the `ffmpeg`
/// feature are errors naming the path.
pub fn video_format(
    path: &std::path::Path,
    codec: Option<&str>,
) -> Result<minisim_video::Format, VideoError> {
    minisim_video::resolve(path, codec)
}

/// Scoring extraction results against the ground truth: footprint matching (IoU,
/// optimal assignment, precision/recall/F1 on all and on detectable cells), trace,
/// spike, motion and field scores, readers for extractor outputs, and the oracle and
/// threshold-ROI baselines. See docs/scoring.md.
pub use minisim_score as score;

pub use minisim_render::{DETECTABLE_SNR, IN_FOCUS_WEIGHT};
pub use minisim_score::ScoreError;

/// The physics kernels, one module per step kind (for power users and benchmarks).
pub use minisim_steps as physics;

/// The sweep runner: sweep files ([`sweeps::Plan`]), shards, one row of metrics per
/// point, run directories for job arrays, [`sweeps::gather`] and Slurm submission
/// ([`sweeps::slurm`]). See docs/sweeps.md.
pub use minisim_sweep as sweeps;
pub use minisim_sweep::SweepError;

/// Summary statistics of a movie (minisim's or a real one) and the realism report's
/// statistics beside the ranges of real recordings ([`stats::realism`]).
pub use minisim_stats as stats;

/// Simulate every point of `axes` over `base` through the cache (`options.cache`, or
/// `$MINISIM_CACHE` / the platform cache directory) and return one row per point in
/// sweep order: `point`, the axis values, `cache_key`, `model_version`, `host`,
/// `cached`, the metrics and per-phase seconds (see [`sweeps::columns`]). An invalid
/// combination is that point's `error`; the other points still run.
///
/// ```
/// use minisim::{Axis, Spec, sweeps::RunOptions};
/// let base = Spec::preset("quick")?.with_overrides([
///     ("acquisition.frames", serde_json::json!(5)),
///     ("acquisition.fov_px", serde_json::json!([32, 32])),
/// ])?;
/// let cache = std::env::temp_dir().join(format!("minisim-doc-sweep-{}", std::process::id()));
/// let rows = minisim::sweep_rows(&base, &[Axis::new("seed", [0, 1])],
///     &RunOptions { cache: Some(&cache), ..Default::default() })?;
/// assert_eq!(rows.len(), 2);
/// assert!(rows[1]["mean_counts"].as_f64().unwrap() > 0.0);
/// # std::fs::remove_dir_all(&cache).ok();
/// # Ok::<(), minisim::Error>(())
/// ```
pub fn sweep_rows(
    base: &Spec,
    axes: &[Axis],
    options: &sweeps::RunOptions,
) -> Result<Vec<sweeps::Row>> {
    let plan = sweeps::Plan::new(base.clone(), axes.to_vec())?;
    Ok(sweeps::run(&plan, options)?)
}

/// Every error minisim's API returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec, an override or a sweep axis is invalid; the message names the path.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A render could not start (e.g. `until` names a stage the spec lacks).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Saving, loading or caching a recording failed; the message names the entry.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// Writing a video or stack failed; the message names the file.
    #[error(transparent)]
    Video(#[from] VideoError),
    /// A scoring input is unreadable or does not fit the recording; the message names
    /// the file and both shapes.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// A sweep file, run directory, gather or Slurm submission failed; the message
    /// names the file, flag or point.
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// Calibration could not read the movie, lacks a quantity (pixel size, frame rate)
    /// no flag or scope gave, or its pilot render failed.
    #[error(transparent)]
    Calibrate(#[from] CalibrateError),
}

/// `Result` with minisim's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
