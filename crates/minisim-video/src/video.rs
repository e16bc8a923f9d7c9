//! `simulate_video`: stream a spec's frames into a file in bounded memory.
//!
//! The renderer yields chunks; each goes to the sink and is dropped, so memory holds
//! the scene plus one chunk, whatever the number of frames. The counts written are
//! `simulate(spec).observed` exactly (same renderer, same streams).

use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use minisim_io::atomic::TempPath;
use minisim_render::{
    Cancel, ChunkMovie, MemoryLimit, Movie, PerfTracker, Phase, Progress, RenderError, Renderer,
    SimulateOptions, timed,
};
use minisim_spec::Spec;

use crate::avi::{AviCodec, AviSink};
use crate::error::{VideoError, io};
use crate::format::{Format, resolve};
use crate::npy::NpySink;
use crate::sink::{FrameSink, Frames, SinkConfig};

/// Options of `simulate_video`. `Default`: 16-frame chunks, the spec's frame rate,
/// range `[0, 2^bit_depth − 1]`, the container's default codec, a progress bar when
/// stderr is a terminal, automatic BigTIFF.
#[derive(Debug, Clone)]
pub struct VideoOptions {
    /// Frames per chunk (≥ 1): memory and parallelism, never the output.
    pub chunk_frames: usize,
    /// Playback rate written in the file, Hz; default the spec's frame rate.
    pub fps: Option<f64>,
    /// Value shown as black in 8-bit formats; default 0.
    pub vmin: Option<f64>,
    /// Value shown as white in 8-bit formats; default `2^bit_depth − 1` with a sensor,
    /// required for 8-bit formats of sensorless specs.
    pub vmax: Option<f64>,
    /// Codec: `Y800` (default for .avi), `MJPG`, `FFV1` (default for .mkv), `H264`
    /// (default for .mp4); case-insensitive. TIFF and NPY take none.
    pub codec: Option<String>,
    /// Show a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// Per-phase timing (render phases plus `encode_write` and `finalize`).
    pub perf: Option<Arc<PerfTracker>>,
    /// Force (`Some(true)`) or forbid BigTIFF; `None` uses it past 4 GiB.
    pub bigtiff: Option<bool>,
    /// The memory the render may use (default: what the system has available).
    pub memory_limit: MemoryLimit,
    /// Check before rendering that the output fits on its file system (exact-size
    /// formats: Y800 AVI, TIFF, NPY). Default true.
    pub check_free_space: bool,
    /// Called after each chunk is written with the number of frames written so far
    /// (from the calling thread).
    pub on_frames: Option<Progress>,
    /// Checked after each chunk: once cancelled, `simulate_video` stops, removes the
    /// partial file and returns `VideoError::Render(RenderError::Cancelled)`.
    pub cancel: Option<Cancel>,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            chunk_frames: 16,
            fps: None,
            vmin: None,
            vmax: None,
            codec: None,
            progress: true,
            perf: None,
            bigtiff: None,
            memory_limit: MemoryLimit::Available,
            check_free_space: true,
            on_frames: None,
            cancel: None,
        }
    }
}

/// A hidden temporary sibling of `dest` to write into (removed unless committed),
/// after checking that `dest`'s directory exists.
fn temp_file(dest: &Path) -> Result<(File, TempPath), VideoError> {
    let parent = minisim_io::atomic::parent_of(dest);
    if !parent.is_dir() {
        let (kind, what) = if parent.exists() {
            (std::io::ErrorKind::NotADirectory, "is not a directory")
        } else {
            (
                std::io::ErrorKind::NotFound,
                "does not exist; create it first",
            )
        };
        return Err(VideoError::Io {
            path: parent,
            action: "output directory",
            error: std::io::Error::new(kind, what),
        });
    }
    TempPath::file(dest).map_err(io(&parent, "cannot create a file in the output directory"))
}

/// Size of the finished file for formats whose size is known in advance (headers and
/// indexes included, rounded up), `None` for compressed ones.
pub fn output_bytes(format: Format, config: &SinkConfig) -> Option<u64> {
    let frames = config.frames;
    let pixels = config.pixels() as u64;
    let sample = if config.intensity { 4 } else { 2 };
    match format {
        Format::AviY800 => {
            let row = (config.width as u64).next_multiple_of(4);
            Some(frames.saturating_mul(row * config.height as u64 + 48) + 64 * 1024)
        }
        Format::Tiff => Some(frames.saturating_mul(pixels * sample + 512) + 4096),
        Format::Npy => Some(frames.saturating_mul(pixels * sample) + 128),
        Format::AviMjpg | Format::MkvFfv1 | Format::H264 => None,
    }
}

fn bad(path: &Path, message: String) -> VideoError {
    VideoError::BadOption {
        path: path.to_owned(),
        message,
    }
}

/// Check the options against the spec and the format, before any rendering.
fn sink_config(
    spec: &Spec,
    path: &Path,
    format: Format,
    options: &VideoOptions,
) -> Result<SinkConfig, VideoError> {
    let a = spec.acquisition();
    let sensor = spec.digitize();
    let fps = options.fps.unwrap_or(a.frame_rate_hz);
    if !(fps.is_finite() && (0.01..=10_000.0).contains(&fps)) {
        return Err(bad(
            path,
            format!(
                "fps must lie in [0.01, 10000] (got {fps}); containers store the rate in thousandths of a frame per second"
            ),
        ));
    }
    if options.chunk_frames == 0 {
        return Err(bad(path, "chunk_frames must be at least 1".to_owned()));
    }
    let counts = sensor.is_some()
        && spec
            .export()
            .is_none_or(|e| e.dtype == minisim_spec::ExportDtype::U16);
    if !counts && format == Format::MkvFfv1 {
        return Err(VideoError::NeedsCounts {
            path: path.to_owned(),
            codec: "FFV1".to_owned(),
        });
    }
    let vmin = options.vmin.unwrap_or(0.0);
    let vmax = match (options.vmax, sensor) {
        (Some(v), _) => v,
        (None, Some(d)) => d.max_count() as f64,
        (None, None) if format.is_8bit() => {
            return Err(VideoError::VmaxRequired {
                path: path.to_owned(),
            });
        }
        (None, None) => 1.0,
    };
    if !(vmin.is_finite() && vmax.is_finite() && vmax > vmin) {
        return Err(bad(
            path,
            format!("vmax must be greater than vmin (got vmin = {vmin}, vmax = {vmax})"),
        ));
    }
    let [height, width] = spec.observed_dims();
    Ok(SinkConfig {
        height: height as usize,
        width: width as usize,
        frames: a.frames,
        fps,
        vmin,
        vmax,
        intensity: !counts,
    })
}

/// Check the free space (exact-size formats, unless disabled), then open the sink on a
/// hidden temporary sibling of `path`; the file appears at `path` when the returned
/// `TempPath` is committed.
fn open_output(
    path: &Path,
    format: Format,
    config: &SinkConfig,
    options: &VideoOptions,
) -> Result<(Box<dyn FrameSink>, TempPath), VideoError> {
    if options.check_free_space
        && let Some(needed) = output_bytes(format, config)
        && let Some(free) = minisim_io::system::free_space(&minisim_io::atomic::parent_of(path))
        && needed > free
    {
        return Err(VideoError::NoSpace {
            path: path.to_owned(),
            needed,
            free,
        });
    }
    let (file, temp) = temp_file(path)?;
    let sink = open_sink(
        format,
        file,
        temp.path().to_owned(),
        config,
        options.bigtiff,
    )?;
    Ok((sink, temp))
}

/// Open the sink for `format` on `file`.
fn open_sink(
    format: Format,
    file: File,
    path: PathBuf,
    config: &SinkConfig,
    bigtiff: Option<bool>,
) -> Result<Box<dyn FrameSink>, VideoError> {
    Ok(match format {
        Format::AviY800 => Box::new(AviSink::create(file, path, config, AviCodec::Y800)?),
        Format::AviMjpg => Box::new(AviSink::create(file, path, config, AviCodec::Mjpg)?),
        Format::Npy => Box::new(NpySink::create(file, path, config)?),
        Format::Tiff => {
            let big =
                bigtiff.unwrap_or(crate::tiff::data_bytes(config) > crate::tiff::CLASSIC_LIMIT);
            crate::tiff::create(file, path, config, big)?
        }
        #[cfg(feature = "ffmpeg")]
        Format::MkvFfv1 | Format::H264 => {
            drop(file);
            Box::new(crate::ffmpeg::FfmpegSink::create(path, config, format)?)
        }
        #[cfg(not(feature = "ffmpeg"))]
        Format::MkvFfv1 | Format::H264 => {
            unreachable!("resolve() rejects ffmpeg formats without the feature")
        }
    })
}

fn progress_bar(frames: u64, show: bool) -> ProgressBar {
    if !(show && std::io::stderr().is_terminal()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(frames);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} frames ({per_sec}, ETA {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

/// Render `spec` straight into `path`, in bounded memory. The format comes from the
/// extension and `options.codec`; every check happens before rendering, and the file
/// appears at `path` only when complete (on error nothing is left behind).
///
/// Returns the path written.
pub fn simulate_video(
    spec: &Spec,
    path: &Path,
    options: &VideoOptions,
) -> Result<PathBuf, VideoError> {
    let format = resolve(path, options.codec.as_deref())?;
    let config = sink_config(spec, path, format, options)?;
    let (mut sink, temp) = open_output(path, format, &config, options)?;
    let perf = options.perf.clone();
    let render_options = SimulateOptions {
        until: None,
        chunk_frames: options.chunk_frames,
        perf: perf.clone(),
        memory_limit: options
            .memory_limit
            .resolve(minisim_io::system::available_memory),
        progress: None,
        cancel: None,
    };
    let mut renderer = Renderer::new(spec, &render_options, false)?;
    let cancelled = || options.cancel.as_ref().is_some_and(|c| c.is_cancelled());
    let bar = progress_bar(config.frames, options.progress);
    // Rendering and writing overlap: a thread renders chunk k + 1 while this one
    // encodes and writes chunk k (at most two chunks in flight, so memory stays one
    // scene plus a few chunks). A write error drops the receiver, which stops the
    // renderer at its next chunk.
    std::thread::scope(|scope| -> Result<(), VideoError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let producer = scope.spawn(move || {
            while let Some(chunk) = renderer.next_chunk() {
                if tx.send(chunk).is_err() {
                    break;
                }
            }
        });
        let mut done = 0u64;
        let written = rx.iter().try_for_each(|chunk| {
            if cancelled() {
                return Err(VideoError::Render(RenderError::Cancelled));
            }
            timed(perf.as_deref(), Phase::EncodeWrite, || {
                match &chunk.observed {
                    ChunkMovie::Counts(c) => sink.write(Frames::Counts(c)),
                    ChunkMovie::Intensity(c) => sink.write(Frames::Intensity(c)),
                }
            })?;
            bar.inc(chunk.frames as u64);
            done += chunk.frames as u64;
            if let Some(p) = &options.on_frames {
                (p.0)(done);
            }
            Ok(())
        });
        drop(rx);
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        written
    })?;
    timed(perf.as_deref(), Phase::Finalize, || sink.finish())?;
    temp.commit().map_err(io(path, "rename into place"))?;
    bar.finish_and_clear();
    Ok(path.to_owned())
}

/// Write an already rendered movie (a `Recording`'s `observed`, rendered from `spec`)
/// to `path` through the same sinks as [`simulate_video`]: same format choice, range,
/// checks and atomic commit, so the file equals what `simulate_video(spec, path)`
/// writes when the movie is the spec's full observed movie. Used by
/// `minisim-cli simulate --video` (the movie of the same render) and `export`.
pub fn write_movie(
    spec: &Spec,
    movie: &Movie,
    path: &Path,
    options: &VideoOptions,
) -> Result<PathBuf, VideoError> {
    let format = resolve(path, options.codec.as_deref())?;
    let (frames, height, width) = movie.shape();
    let intensity = matches!(movie, Movie::Intensity(_));
    let mut config = sink_config(spec, path, format, options)?;
    if intensity && config.intensity != intensity && format.is_8bit() && options.vmax.is_none() {
        return Err(VideoError::VmaxRequired {
            path: path.to_owned(),
        });
    }
    config.frames = frames as u64;
    config.height = height;
    config.width = width;
    config.intensity = intensity;
    if intensity && format == Format::MkvFfv1 {
        return Err(VideoError::NeedsCounts {
            path: path.to_owned(),
            codec: "FFV1".to_owned(),
        });
    }
    let (mut sink, temp) = open_output(path, format, &config, options)?;
    let perf = options.perf.clone();
    let bar = progress_bar(config.frames, options.progress);
    let per = options.chunk_frames.max(1);
    for first in (0..frames).step_by(per) {
        let last = (first + per).min(frames);
        let slice = ndarray::s![first..last, .., ..];
        timed(perf.as_deref(), Phase::EncodeWrite, || match movie {
            Movie::Counts(a) => {
                let block = a.slice(slice);
                let block = block.as_standard_layout();
                sink.write(Frames::Counts(block.as_slice().expect("standard layout")))
            }
            Movie::Intensity(a) => {
                let block = a.slice(slice);
                let block = block.as_standard_layout();
                sink.write(Frames::Intensity(
                    block.as_slice().expect("standard layout"),
                ))
            }
        })?;
        bar.inc((last - first) as u64);
    }
    timed(perf.as_deref(), Phase::Finalize, || sink.finish())?;
    temp.commit().map_err(io(path, "rename into place"))?;
    bar.finish_and_clear();
    Ok(path.to_owned())
}
