//! The subcommands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use minisim::{
    CacheOutcome, MemoryLimit, PRESETS, PerfTracker, Persist, SimulateOptions, Spec, StepKind,
    VideoOptions, cache_dir, cache_gc, cache_list, cache_remove, cache_verify, estimate,
    human_bytes, simulate, simulate_cached_with, simulate_video,
};

use crate::calibrate_cmd::{CalibrateArgs, CompareArgs, calibrate_cmd, compare_cmd};
use crate::failure::usage;
use crate::preview;
use crate::report::{ReportArgs, report_cmd};
use crate::score_cmd::{ExportArgs, ScoreArgs, export_rois, score_cmd};
use crate::spec_input::{SpecArgs, set_threads};
use crate::sweep_cmd::{SweepArgs, sweep_cmd};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a spec straight to a video or stack file (.avi, .tif, .npy; .mkv/.mp4 with ffmpeg).
    Render(RenderArgs),
    /// Simulate a recording and write it as a directory of .npy files + recording.json.
    Simulate(SimulateArgs),
    /// Check a spec; print its canonical JSON (stdout) and cache key (stderr).
    Validate(ValidateArgs),
    /// List or show the built-in presets.
    Presets {
        #[command(subcommand)]
        command: PresetsCommand,
    },
    /// Inspect and manage the recording cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Draw a PNG: mean image, max projection with cell outlines, motion path, ΔF/F traces.
    Preview(PreviewArgs),
    /// Score extraction results (footprints, traces, spikes, shifts, fields) against a recording's ground truth, beside the oracle and threshold-ROI baselines.
    Score(ScoreArgs),
    /// Write a recording's ground-truth regions (or given footprints) in the neurofinder regions format.
    ExportRois(ExportArgs),
    /// Translate a spec of the Python minisim (v1.0.x) into a minisim spec; report what cannot be mapped.
    Import(ImportArgs),
    /// Write a saved recording's movie as a video or stack file (.avi, .tif, .npy; .mkv/.mp4 with ffmpeg).
    Export(ExportMovieArgs),
    /// Write one self-contained HTML page about a recording (or a spec, rendered):
    /// preview, frames, cell counts, photon budget, realism statistics, timing, spec.
    Report(ReportArgs),
    /// Run every point of a sweep through the cache (one row of metrics per point),
    /// locally, into a run directory, or as a Slurm job array; gather a run's rows.
    Sweep(SweepArgs),
    /// Fit a spec to a real movie (sensor, vignette, bleaching, motion, brightness),
    /// with a report of every estimate and its uncertainty.
    Calibrate(CalibrateArgs),
    /// Two movies' statistics side by side, each inside or outside its tolerance.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct ExportMovieArgs {
    /// Recording directory (written by `minisim-cli simulate -o DIR` or the cache).
    recording: PathBuf,
    /// Output file; its extension chooses the format.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    #[command(flatten)]
    video: VideoArgs,
}

/// How a movie is written to a file (shared by `simulate --video` and `export`).
#[derive(Debug, Args)]
pub struct VideoArgs {
    /// Codec: Y800 (default for .avi), MJPG, FFV1 (.mkv), H264 (.mp4).
    #[arg(long)]
    codec: Option<String>,
    /// Value shown as black in 8-bit formats (default 0).
    #[arg(long)]
    vmin: Option<f64>,
    /// Value shown as white in 8-bit formats (default 2^bit_depth − 1).
    #[arg(long)]
    vmax: Option<f64>,
    /// Do not show a progress bar.
    #[arg(long)]
    no_progress: bool,
}

impl VideoArgs {
    fn options(&self, force: bool) -> VideoOptions {
        VideoOptions {
            codec: self.codec.clone(),
            vmin: self.vmin,
            vmax: self.vmax,
            progress: !self.no_progress,
            check_free_space: !force,
            memory_limit: memory_limit(force),
            ..Default::default()
        }
    }
}

/// A frame progress bar on stderr (hidden unless stderr is a terminal and `show`).
pub fn frame_bar(frames: u64, show: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !(show && std::io::stderr().is_terminal()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(frames);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} frames ({per_sec}, ETA {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The py-minisim spec (JSON of `Spec.model_dump_json()`).
    input: PathBuf,
    /// Output spec (canonical JSON).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    spec: SpecArgs,
    /// Output file; its extension chooses the format.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    #[command(flatten)]
    video: VideoArgs,
    /// Playback rate written in the file (default: the spec's frame rate).
    #[arg(long)]
    fps: Option<f64>,
    /// Frames rendered per chunk (memory and parallelism; never changes the output).
    #[arg(long, default_value_t = 16)]
    chunk_frames: usize,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print a table of time per pipeline phase.
    #[arg(long)]
    perf: bool,
    /// Skip the memory and free-space checks made before rendering.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    spec: SpecArgs,
    /// Output directory (must not exist or be empty).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Stop after this stage (e.g. composite); observed is then that stage's movie.
    #[arg(long, value_name = "STAGE")]
    until: Option<String>,
    /// Serve from / store into the cache ($MINISIM_CACHE or the platform cache dir).
    #[arg(long)]
    cached: bool,
    /// Keep these stages' movies as snapshots too (repeatable).
    #[arg(long = "snapshot", value_name = "STAGE")]
    snapshots: Vec<String>,
    /// Also write the observed movie of this same render to a video or stack file
    /// (.avi, .tif, .npy; .mkv/.mp4 with ffmpeg), e.g. for an extractor.
    #[arg(long, value_name = "FILE")]
    video: Option<PathBuf>,
    /// Codec of --video: Y800 (default for .avi), MJPG, FFV1 (.mkv), H264 (.mp4).
    #[arg(long, requires = "video")]
    codec: Option<String>,
    /// Do not show a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print a table of time per pipeline phase.
    #[arg(long)]
    perf: bool,
    /// Skip the memory and free-space checks made before rendering.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    spec: SpecArgs,
    /// Print only the cache key.
    #[arg(long)]
    key: bool,
}

#[derive(Debug, Subcommand)]
pub enum PresetsCommand {
    /// Names and descriptions.
    List,
    /// A preset's canonical JSON.
    Show { name: String },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory.
    Path,
    /// List entries: key, size, last use, frames×H×W.
    Ls,
    /// Load and check every entry; exit 1 if any is corrupt.
    Verify,
    /// Remove least-recently-used entries until the cache fits in SIZE (e.g. 500M, 2G).
    Gc {
        #[arg(long, value_name = "SIZE")]
        max_size: String,
    },
    /// Remove one entry.
    Rm { key: String },
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    spec: SpecArgs,
    /// Output figure: .png or .svg.
    #[arg(short, long, value_name = "PNG|SVG")]
    output: PathBuf,
    /// Which cells get outlines on the max projection (and traces).
    #[arg(long, value_enum, default_value = "detectable")]
    outlines: preview::Outlines,
    /// Print the panel boxes (px) as JSON on stdout.
    #[arg(long, hide = true)]
    print_layout: bool,
    #[command(flatten)]
    render: FigureRender,
}

/// How the figure commands (`preview`, `report`) render a spec.
#[derive(Debug, Args)]
pub struct FigureRender {
    /// Render at most this many frames.
    #[arg(long, default_value_t = 400)]
    frames: u64,
    /// Do not show a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Skip the memory check made before rendering.
    #[arg(long)]
    force: bool,
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Render(a) => render(a),
        Command::Simulate(a) => simulate_cmd(a),
        Command::Validate(a) => validate(a),
        Command::Presets { command } => presets(command),
        Command::Cache { command } => cache(command),
        Command::Preview(a) => preview_cmd(a),
        Command::Score(a) => score_cmd(a),
        Command::ExportRois(a) => export_rois(a),
        Command::Import(a) => import(a),
        Command::Export(a) => export_movie(a),
        Command::Sweep(a) => sweep_cmd(a),
        Command::Report(a) => report_cmd(a),
        Command::Calibrate(a) => calibrate_cmd(a),
        Command::Compare(a) => compare_cmd(a),
    }
}

fn perf_table(perf: &Option<Arc<PerfTracker>>) {
    if let Some(p) = perf {
        eprint!("{}", p.table());
    }
}

fn render(a: RenderArgs) -> anyhow::Result<()> {
    set_threads(a.threads)?;
    let spec = a.spec.load()?;
    let perf = a.perf.then(|| Arc::new(PerfTracker::new()));
    let options = VideoOptions {
        chunk_frames: a.chunk_frames,
        fps: a.fps,
        perf: perf.clone(),
        ..a.video.options(a.force)
    };
    let start = Instant::now();
    let path = simulate_video(&spec, &a.output, &options)?;
    let acq = spec.acquisition();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "wrote {}: {} frames of {}×{} px in {:.1} s ({:.0} frames/s)",
        path.display(),
        acq.frames,
        acq.fov_px[0],
        acq.fov_px[1],
        secs,
        acq.frames as f64 / secs.max(1e-9)
    );
    perf_table(&perf);
    Ok(())
}

/// The memory limit of a render: what the system has, or none with `--force`.
pub fn memory_limit(force: bool) -> MemoryLimit {
    if force {
        MemoryLimit::Unchecked
    } else {
        MemoryLimit::Available
    }
}

fn parse_stage(name: &str, flag: &str) -> anyhow::Result<StepKind> {
    name.parse::<StepKind>().map_err(|e| {
        usage(
            format!("{flag} {name}: {e}"),
            "stages are step kinds, in pipeline order",
        )
    })
}

fn simulate_cmd(a: SimulateArgs) -> anyhow::Result<()> {
    set_threads(a.threads)?;
    let mut spec = a.spec.load()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_stage(s, "--until"))
        .transpose()?;
    if !a.snapshots.is_empty() {
        let stages: Vec<String> = a
            .snapshots
            .iter()
            .map(|s| parse_stage(s, "--snapshot").map(|k| k.name().to_owned()))
            .collect::<anyhow::Result<_>>()?;
        spec = spec
            .with_override("output.snapshot_stages", serde_json::json!(stages))
            .context("--snapshot")?;
    }
    if a.cached && until.is_some() {
        return Err(usage(
            "--until cannot be combined with --cached",
            "the cache holds complete recordings only",
        ));
    }
    if let Ok(mut entries) = std::fs::read_dir(&a.output)
        && entries.next().is_some()
    {
        return Err(usage(
            format!("{}: already exists and is not empty", a.output.display()),
            "choose a new output directory",
        ));
    }
    if let Some(video) = &a.video {
        if until.is_some() {
            return Err(usage(
                "--video cannot be combined with --until",
                "the video holds the observed movie of the full pipeline",
            ));
        }
        minisim::video_format(video, a.codec.as_deref()).map_err(|e| {
            usage(
                e.to_string(),
                "choose .avi, .tif, .npy (.mkv/.mp4 with the ffmpeg feature)",
            )
        })?;
        if video.starts_with(&a.output) {
            return Err(usage(
                format!(
                    "--video {} lies inside the output directory",
                    video.display()
                ),
                "the recording directory holds only the recording; write the video beside it",
            ));
        }
    }
    let perf = a.perf.then(|| Arc::new(PerfTracker::new()));
    let bar = Arc::new(frame_bar(spec.acquisition().frames, !a.no_progress));
    let progress = {
        let bar = bar.clone();
        minisim::Progress(Arc::new(move |done| bar.set_position(done)))
    };
    let options = SimulateOptions {
        until,
        perf: perf.clone(),
        memory_limit: memory_limit(a.force),
        progress: Some(progress),
        ..Default::default()
    };
    if !a.force {
        let needed = estimate(&spec, &options, true).saved_bytes();
        if let Some(free) = minisim_io::system::free_space(&a.output)
            && needed > free
        {
            anyhow::bail!(
                "{}: the recording needs about {} on disk but {} is free; choose another directory, or use fewer frames or a smaller field of view (force it with --force)",
                a.output.display(),
                human_bytes(needed),
                human_bytes(free)
            );
        }
    }
    let start = Instant::now();
    let rec = if a.cached {
        report_cache(&spec, simulate_cached_with(&spec, None, &options)?)
    } else {
        simulate(&spec, &options)?
    };
    bar.finish_and_clear();
    rec.save(&a.output)?;
    if let Some(video) = &a.video {
        let written = minisim::write_movie(
            &spec,
            &rec.observed,
            video,
            &VideoOptions {
                codec: a.codec.clone(),
                progress: !a.no_progress,
                check_free_space: !a.force,
                ..Default::default()
            },
        )
        .with_context(|| {
            format!(
                "--video {} (the recording itself was saved)",
                video.display()
            )
        })?;
        eprintln!(
            "wrote {} (the same render's observed movie)",
            written.display()
        );
    }
    let (t, h, w) = rec.observed.shape();
    eprintln!(
        "wrote {}: {t}×{h}×{w} observed, {} cells, key {} ({:.1} s)",
        a.output.display(),
        rec.truth.cells.len(),
        &rec.cache_key[..16],
        start.elapsed().as_secs_f64()
    );
    perf_table(&perf);
    Ok(())
}

/// The recording of a cached simulate, saying on stderr when a damaged entry was
/// repaired.
fn report_cache(
    spec: &Spec,
    (rec, outcome): (minisim::Recording, CacheOutcome),
) -> minisim::Recording {
    if let CacheOutcome::Healed { reason } = &outcome {
        eprintln!(
            "warning: cache entry {} was damaged ({reason}); re-simulated and replaced",
            &spec.cache_key()[..16]
        );
    }
    rec
}

fn validate(a: ValidateArgs) -> anyhow::Result<()> {
    let spec = a.spec.load()?;
    if a.key {
        println!("{}", spec.cache_key());
        return Ok(());
    }
    println!("{}", spec.to_json_pretty());
    eprintln!("valid; cache key {}", spec.cache_key());
    let o = SimulateOptions::default();
    let (mem, stream) = (estimate(&spec, &o, true), estimate(&spec, &o, false));
    let a_ = spec.acquisition();
    let frame_bytes = a_.fov_px[0] as u64 * a_.fov_px[1] as u64;
    eprintln!(
        "estimate: ~{} cells; scene {}, setup {}, chunk {}; `simulate` needs ~{} in memory (movie {}, ground truth {}) and ~{} on disk; `render` needs ~{} in memory and writes ~{} (8-bit AVI) or ~{} (16-bit TIFF/NPY)",
        mem.cells,
        human_bytes(mem.scene_bytes),
        human_bytes(mem.setup_bytes),
        human_bytes(mem.chunk_bytes),
        human_bytes(mem.in_memory()),
        human_bytes(mem.movie_bytes),
        human_bytes(mem.truth_bytes),
        human_bytes(mem.saved_bytes()),
        human_bytes(stream.streaming()),
        human_bytes(a_.frames.saturating_mul(frame_bytes)),
        human_bytes(a_.frames.saturating_mul(frame_bytes * 2)),
    );
    if let Some(free) = minisim_io::system::available_memory() {
        eprintln!("this machine has {} of memory available", human_bytes(free));
    }
    Ok(())
}

fn presets(command: PresetsCommand) -> anyhow::Result<()> {
    match command {
        PresetsCommand::List => {
            for p in PRESETS {
                println!("{:<10} {}", p.name, p.description);
            }
            println!(
                "\nSCOPE+REGION (e.g. miniscope-v4+ca1): a scope's hardware imaging a region's tissue"
            );
            for p in minisim::SCOPES {
                println!("  scope  {:<13} {}", p.name, p.description);
            }
            for p in minisim::REGIONS {
                println!("  region {:<13} {}", p.name, p.description);
            }
        }
        PresetsCommand::Show { name } => {
            let spec = Spec::preset(&name).map_err(|_| {
                usage(
                    format!(
                        "{name}: unknown preset; available: {}",
                        minisim::preset_names()
                    ),
                    "`minisim-cli presets list` describes them",
                )
            })?;
            println!("{}", spec.to_json_pretty());
        }
    }
    Ok(())
}

/// Parse `500M`, `2G`, `1.5GiB`, `100k` or plain bytes (powers of 1024).
pub fn parse_size(text: &str) -> anyhow::Result<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| {
        usage(
            format!("--max-size {text}: not a size"),
            "use e.g. 500M, 2G or 1048576",
        )
    })?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(usage(
                format!("--max-size {text}: unknown unit \"{other}\""),
                "use K, M, G or T",
            ));
        }
    };
    Ok((value * scale as f64) as u64)
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

fn cache(command: CacheCommand) -> anyhow::Result<()> {
    match command {
        CacheCommand::Path => println!("{}", cache_dir()?.display()),
        CacheCommand::Ls => {
            let entries = cache_list(None)?;
            println!("{:<64} {:>10} {:>10} shape", "key", "size", "last use");
            for e in &entries {
                let shape = e
                    .shape
                    .map(|(t, h, w)| format!("{t}×{h}×{w}"))
                    .unwrap_or_else(|| "?".into());
                println!(
                    "{:<64} {:>10} {:>9}m {}",
                    e.key,
                    human(e.bytes),
                    e.age().as_secs() / 60,
                    shape
                );
            }
            eprintln!(
                "{} entries, {} in {}",
                entries.len(),
                human(entries.iter().map(|e| e.bytes).sum()),
                cache_dir()?.display()
            );
        }
        CacheCommand::Verify => {
            let results = cache_verify(None)?;
            let mut bad = 0;
            for (e, r) in &results {
                match r {
                    Ok(()) => println!("ok      {}", e.key),
                    Err(err) => {
                        bad += 1;
                        println!("CORRUPT {}: {err}", e.key);
                    }
                }
            }
            if bad > 0 {
                anyhow::bail!(
                    "{bad} of {} cache entries are corrupt; `minisim-cli cache rm KEY` removes one, a cached simulate re-creates it",
                    results.len()
                );
            }
            eprintln!("{} entries verified", results.len());
        }
        CacheCommand::Gc { max_size } => {
            let max = parse_size(&max_size)?;
            let report = cache_gc(None, max)?;
            eprintln!(
                "removed {} entries ({}); {} remain",
                report.removed.len(),
                human(report.freed),
                human(report.remaining)
            );
        }
        CacheCommand::Rm { key } => {
            cache_remove(None, &key)
                .map_err(|e| usage(e.to_string(), "`minisim-cli cache ls` lists the keys"))?;
            eprintln!("removed {key}");
        }
    }
    Ok(())
}

fn import(a: ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.input).map_err(|e| {
        usage(
            format!("cannot read {}: {e}", a.input.display()),
            "pass the path of a py-minisim spec (JSON)",
        )
    })?;
    let imported = Spec::from_py_minisim_json(&text).map_err(|e| {
        usage(
            format!("{}: {e}", a.input.display()),
            "docs/py-minisim.md lists the py-minisim fields and how each maps",
        )
    })?;
    crate::score_cmd::write_atomic(&a.output, &(imported.spec.to_json_pretty() + "\n"))?;
    for u in &imported.unmapped {
        eprintln!("not mapped: {u}");
    }
    eprintln!(
        "wrote {} (key {}); {} field(s) not mapped",
        a.output.display(),
        &imported.spec.cache_key()[..16],
        imported.unmapped.len()
    );
    Ok(())
}

/// Check an output file path before any work: its extension, that it is not a
/// directory, and that its directory exists.
pub fn check_output_file(
    path: &std::path::Path,
    extensions: &[&str],
    what: &str,
) -> anyhow::Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !extensions.contains(&ext.as_str()) {
        return Err(usage(
            format!(
                "{}: {what} writes {}",
                path.display(),
                extensions.join(" or ")
            ),
            format!("name the output *.{}", extensions[0]),
        ));
    }
    if path.is_dir() {
        return Err(usage(
            format!("{}: is a directory", path.display()),
            "give a file name",
        ));
    }
    let parent = minisim_io::atomic::parent_of(path);
    if !parent.is_dir() {
        return Err(usage(
            format!("{}: directory does not exist", parent.display()),
            "create it first",
        ));
    }
    Ok(())
}

impl FigureRender {
    /// Set the thread count (once, before any render).
    pub fn threads(&self) -> anyhow::Result<()> {
        set_threads(self.threads)
    }

    /// `spec` shortened to at most `frames` frames, rendered in memory with a frame
    /// progress bar.
    pub fn render(
        &self,
        spec: &SpecArgs,
        perf: Option<Arc<PerfTracker>>,
    ) -> anyhow::Result<minisim::Recording> {
        let mut spec = spec.load()?;
        if spec.acquisition().frames > self.frames {
            spec = spec
                .with_override("acquisition.frames", serde_json::json!(self.frames))
                .context("--frames")?;
        }
        let bar = Arc::new(frame_bar(spec.acquisition().frames, !self.no_progress));
        let on_frames = {
            let bar = bar.clone();
            minisim::Progress(Arc::new(move |done| bar.set_position(done)))
        };
        let rec = simulate(
            &spec,
            &SimulateOptions {
                memory_limit: memory_limit(self.force),
                progress: Some(on_frames),
                perf,
                ..Default::default()
            },
        )?;
        bar.finish_and_clear();
        Ok(rec)
    }
}

fn preview_cmd(a: PreviewArgs) -> anyhow::Result<()> {
    check_output_file(&a.output, &["png", "svg"], "preview")?;
    a.render.threads()?;
    let rec = a.render.render(&a.spec, None)?;
    let layout = preview::write(&rec, &a.output, &a.spec.describe(), a.outlines)?;
    if a.print_layout {
        println!("{}", layout.json());
    }
    eprintln!(
        "wrote {}: {}×{} px: mean image | max projection with outlines; motion (µm) | ΔF/F traces",
        a.output.display(),
        layout.width,
        layout.height
    );
    Ok(())
}

fn export_movie(a: ExportMovieArgs) -> anyhow::Result<()> {
    let rec = crate::score_cmd::load(&a.recording)?;
    let path = minisim::write_movie(&rec.spec, &rec.observed, &a.output, &a.video.options(false))?;
    let (t, h, w) = rec.observed.shape();
    eprintln!(
        "wrote {}: {t} frames of {h}×{w} px from {}",
        path.display(),
        a.recording.display()
    );
    Ok(())
}
