//! `cargo xtask`: developer automation for minisim.
//!
//! - `cargo xtask sweep SWEEP.json [--out rows.csv|rows.jsonl] [--shard K/N] [--jobs J]`
//! - `cargo xtask bench [--quick] [--json OUT] [--scenario NAME]… [--peer [--peer-only]
//!   [--peer-spec PY.json]… [--reps N]]`

mod bench;
mod binding;
mod extractors;
mod figures;
mod peer;
mod realism;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "minisim developer tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run every point of a sweep through the cache and write one row per point (alias
    /// of `minisim-cli sweep`; run directories and Slurm are there).
    Sweep {
        /// Sweep file: {"base": "<preset>" | {spec}, "axes": [{"path", "values"}, …]}.
        file: PathBuf,
        /// Output rows: .csv or .jsonl (default: JSON lines on stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only shard K of N (points i with i mod N = K − 1), for job arrays.
        #[arg(long, value_name = "K/N")]
        shard: Option<minisim::sweeps::Shard>,
        /// Points simulated in parallel (each also uses the shared thread pool).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Cache directory (default: $MINISIM_CACHE or the platform cache dir).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Do not show a progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Measure setup, throughput, peak memory and the RNG floor (release build advised).
    Bench {
        /// Tenth of the frames: a fast smoke run.
        #[arg(long)]
        quick: bool,
        /// Write the full report as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Only these scenarios (repeatable).
        #[arg(long)]
        scenario: Vec<String>,
        /// Also run py-minisim 1.0.3 (installed into target/peer/venv) and minisim side by
        /// side on the peer specs.
        #[arg(long)]
        peer: bool,
        /// With --peer: skip the scenarios.
        #[arg(long, requires = "peer")]
        peer_only: bool,
        /// With --peer: py-minisim spec files (default: bench/peer-specs/full256.json and
        /// full512.json).
        #[arg(long, requires = "peer")]
        peer_spec: Vec<PathBuf>,
        /// With --peer: repetitions of each measurement (the best wall time is compared).
        #[arg(long, default_value_t = 1, requires = "peer")]
        reps: usize,
    },
    /// Run real extraction pipelines (minian) on a rendered preset and score them
    /// against the truth (core and total footprints) beside the oracle and
    /// threshold-ROI baselines.
    Extractors {
        /// Preset to render.
        #[arg(long, default_value = "ucla-v4")]
        preset: String,
        /// Field of view, H,W px (default: the preset's).
        #[arg(long, value_delimiter = ',')]
        fov: Vec<u32>,
        /// Frames (default: the preset's).
        #[arg(long)]
        frames: Option<u64>,
        /// Only this extractor (repeatable; default: all).
        #[arg(long)]
        extractor: Vec<String>,
        /// Fail unless each extractor beats the threshold-ROI baseline's detectable
        /// recall, stays below the oracle's detectable F1 and tracks the motion (CI).
        #[arg(long)]
        check: bool,
        /// Also write the results as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Render presets and compare movie statistics with real-recording ranges.
    Realism {
        /// Presets to report (default: every hardware preset and every SCOPE+REGION).
        #[arg(long)]
        preset: Vec<String>,
        /// Spec files to report as well (e.g. a candidate preset).
        #[arg(long)]
        spec: Vec<PathBuf>,
        /// Frames rendered per preset (nVista-class fields: half).
        #[arg(long, default_value_t = 400)]
        frames: u64,
        /// Renders per preset, seeds spec.seed + 0 … K − 1; each statistic is judged on
        /// its median over them, with their extremes beside it.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
        seeds: u64,
        /// Also write the report as Markdown (e.g. docs/realism.md).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Regenerate every image under docs/img/ (previews; a report screenshot with
    /// Chromium) with the release minisim-cli.
    Figures,
    /// The Python package's cost over the Rust API: wall time and peak RSS of
    /// `simulate` in child processes (run it with --release; needs target/py-venv).
    Binding {
        /// Frames of the render.
        #[arg(long, default_value_t = 2000)]
        frames: u64,
        /// Field of view, px (square).
        #[arg(long, default_value_t = 512)]
        size: u32,
        /// Repetitions (best of each is compared).
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// (internal) One benchmark measurement in a fresh process.
    #[command(hide = true)]
    BenchRun {
        #[arg(long, required_unless_present = "spec")]
        scenario: Option<String>,
        #[arg(long, conflicts_with = "scenario")]
        spec: Option<PathBuf>,
        #[arg(long)]
        mode: String,
        #[arg(long)]
        threads: usize,
        #[arg(long)]
        quick: bool,
    },
}

/// What `cargo xtask bench` runs against the peer.
struct PeerArgs {
    on: bool,
    only: bool,
    specs: Vec<PathBuf>,
    reps: usize,
}

fn bench_task(
    quick: bool,
    json: Option<PathBuf>,
    scenarios: &[String],
    peer_args: PeerArgs,
) -> anyhow::Result<()> {
    let mut report = if peer_args.only {
        serde_json::json!({ "quick": quick, "machine": bench::machine(), "scenarios": [] })
    } else {
        bench::run_all(quick, scenarios)?
    };
    if peer_args.on {
        let specs = if peer_args.specs.is_empty() {
            peer::default_specs()
        } else {
            peer_args.specs
        };
        report["peer"] = peer::run(&specs, peer_args.reps, quick, 2)?;
    }
    if let Some(path) = json {
        bench::write_json(&report, &path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn realism_task(
    presets: Vec<String>,
    specs: Vec<PathBuf>,
    frames: u64,
    seeds: u64,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let presets = if presets.is_empty() && !specs.is_empty() {
        Vec::new()
    } else if presets.is_empty() {
        let mut all: Vec<String> = ["ucla-v4", "ucla-v3", "nvista3", "wireless", "ideal"]
            .map(String::from)
            .to_vec();
        for scope in minisim::SCOPES {
            for region in minisim::REGIONS {
                all.push(format!("{}+{}", scope.name, region.name));
            }
        }
        all
    } else {
        presets
    };
    let mut named: Vec<(String, minisim::Spec)> = Vec::new();
    for name in &presets {
        named.push((name.clone(), minisim::Spec::preset(name)?));
    }
    for path in &specs {
        let text = std::fs::read_to_string(path)?;
        named.push((path.display().to_string(), minisim::Spec::from_json(&text)?));
    }
    let mut sections = String::new();
    let mut summary =
        String::from("| preset | frames | inside / with target | outside |\n|---|---|---|---|\n");
    for (name, spec) in &named {
        // nVista-class fields (1280×800) are rendered for half the frames.
        let n = if name.starts_with("nvista3") {
            frames / 2
        } else {
            frames
        };
        let mut runs = Vec::new();
        for k in 0..seeds {
            let seed = spec.seed() + k;
            eprintln!("realism {name} ({n} frames, seed {seed}) …");
            let seeded = spec.with_override("seed", serde_json::json!(seed))?;
            runs.push(realism::stats(&seeded, n)?);
        }
        let stats = minisim_stats::realism::spread(&runs);
        sections += &format!(
            "\n## {name}\n\n{n} frames, seeds {}–{}.\n\n| statistic | median | seeds min–max | target | seeds inside | inside (median) |\n|---|---|---|---|---|---|\n",
            spec.seed(),
            spec.seed() + seeds - 1
        );
        println!("\n{name} (median of {seeds} seeds; min–max)");
        let (mut inside_n, mut with_target, mut outside) = (0, 0, Vec::new());
        for s in &stats {
            let range = s
                .range
                .map_or("—".to_owned(), |(lo, hi)| format!("{lo:.3}–{hi:.3}"));
            let seeds_inside = match s.range {
                Some(_) => format!("{} / {}", s.seeds_inside, s.seeds),
                None => "—".to_owned(),
            };
            let inside = match s.inside() {
                Some(true) => {
                    inside_n += 1;
                    with_target += 1;
                    "yes"
                }
                Some(false) => {
                    with_target += 1;
                    outside.push(s.name);
                    "**no**"
                }
                None => "—",
            };
            println!(
                "  {:<44} {:>10.4}  ({:.4}–{:.4})   target {:<14} {}",
                s.name,
                s.median,
                s.min,
                s.max,
                range,
                inside.replace('*', "")
            );
            sections += &format!(
                "| {} | {:.4} | {:.4}–{:.4} | {} | {} | {} |\n",
                s.name, s.median, s.min, s.max, range, seeds_inside, inside
            );
        }
        summary += &format!(
            "| [{name}](#{}) | {n} | {inside_n} / {with_target} | {} |\n",
            name.replace(['+', '.'], ""),
            if outside.is_empty() {
                "—".to_owned()
            } else {
                outside.join("; ")
            }
        );
    }
    let md = format!(
        "# Realism report\n\nGenerated by `cargo xtask realism --frames {frames} --seeds {seeds} --out docs/realism.md` (model {}). Every hardware preset and every scope × region combination is rendered at its native size ({frames} frames; nVista-class fields {}) with {seeds} seeds (the preset's seed and the next ones) and measured on each movie alone; a statistic is judged on its median over the seeds, with the seeds' extremes and the number of seeds inside beside it, because statistics of slow processes on short movies vary from seed to seed (the frame-mean CV of a 13-s `ucla-v4` movie ranged 0.0105–0.0201 over seeds 0–3); the definitions are in `crates/minisim-stats` (one module per statistic, each tested on a known case) and docs/physics.md gives every preset value its source.\n\nTargets are ranges of real one-photon recordings: the CNMF-E PNR, edge/centre and brightness ranges from the first calibration (the PNR as CNMF-E computes it: peak of the mean-subtracted, centre-surround-filtered trace over its spectral noise level at 0.25–0.5 cycles/frame; the same filter with a MAD noise level, the definition minisim used until 2026-12, is shown beside it without a target); the frame-mean, block-share, disc-PNR, fine-structure and pixel-noise ranges from three raw-like Inscopix (nVista-class) exports at 5.6–10 Hz with 3 µm pixels (issue 19). Three are carried to each preset's own conditions, by a stated model rather than by tuning: the frame-mean lag-1 range to the preset's frame rate (an exponential autocorrelation, ρ^(f₀/f) over f₀ = 5.6–10 Hz), the motion range to µm (0.04–0.2 px at 3 µm = 0.12–0.6 µm), and the block shares to the exports' block size (their 10×10-pixel blocks of 3 µm pixels are 30 µm; the shares are measured on blocks of round(30 µm / pixel) pixels and judged there, and the 10×10-pixel values are shown beside them). Presets with a vendor export (`output.export`: `nvista3`) are held to the exports' correlated pixel noise (0.38–0.51, frame-difference noise 2–5× the pixel-scale noise); raw-sensor presets to a raw CMOS's (|correlation| ≤ 0.1). `ideal` is deliberately unrealistic (no motion, vessels or sensor noise beyond shot noise) and `wireless` is not calibrated. The frame-mean statistics are taken on the frames as given, so they depend on frame rate and duration; a 13-s, 30-Hz movie does not average slow processes the way a 40–70-s, 10-Hz export does (see the note in docs/physics.md, Presets).\n\n## Summary\n\n{summary}\n## Previews\n\nMean image, max projection with the detectable cells' outlines, motion path and the most active detectable cells' ΔF/F of 200 frames (`minisim-cli preview --preset P --frames 200 -o docs/img/realism-P.png`, `+` written as `_`; `cargo xtask figures` regenerates them):\n\n{{PREVIEWS}}\n{sections}",
        minisim::MODEL_VERSION,
        frames / 2,
    )
    .replace("{PREVIEWS}", &previews());
    if let Some(path) = out {
        std::fs::write(&path, md)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The previews shown in the realism report (made by `cargo xtask figures`).
fn previews() -> String {
    figures::REALISM_PREVIEWS
        .iter()
        .map(|p| {
            format!(
                "**{p}**\n\n![{p}](img/realism-{}.png)\n",
                p.replace('+', "_")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Benchmarks measure the release build: a debug `cargo xtask bench` re-runs itself
/// as `cargo run --release -p xtask -- bench …` with the same arguments.
fn bench_in_release() -> anyhow::Result<()> {
    let status =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["run", "--release", "--quiet", "--package", "xtask", "--"])
            .args(std::env::args_os().skip(1))
            .status()?;
    if !status.success() {
        anyhow::bail!("the release bench failed ({status})");
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cfg!(debug_assertions) && matches!(cli.task, Task::Bench { .. }) {
        eprintln!("(benchmarks run the release build)");
        return match bench_in_release() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        };
    }
    let result = match cli.task {
        Task::Sweep {
            file,
            out,
            shard,
            jobs,
            cache,
            no_progress,
        } => sweep::task(
            &file,
            out.as_ref(),
            shard,
            jobs,
            cache.as_deref(),
            !no_progress,
        ),
        Task::Bench {
            quick,
            json,
            scenario,
            peer,
            peer_only,
            peer_spec,
            reps,
        } => bench_task(
            quick,
            json,
            &scenario,
            PeerArgs {
                on: peer,
                only: peer_only,
                specs: peer_spec,
                reps,
            },
        ),
        Task::Realism {
            preset,
            spec,
            frames,
            seeds,
            out,
        } => realism_task(preset, spec, frames, seeds, out),
        Task::Figures => figures::figures(),
        Task::Binding { frames, size, reps } => binding::binding(frames, size, reps),
        Task::Extractors {
            preset,
            fov,
            frames,
            extractor,
            check,
            json,
        } => extractors::run(&extractors::Args {
            preset,
            fov: match fov[..] {
                [] => None,
                [h, w] => Some([h, w]),
                _ => {
                    eprintln!("error: --fov takes H,W");
                    return ExitCode::from(2);
                }
            },
            frames,
            only: extractor,
            check,
            json,
        }),
        Task::BenchRun {
            scenario,
            spec,
            mode,
            threads,
            quick,
        } => {
            let target = match (&scenario, &spec) {
                (Some(name), _) => bench::Target::Scenario(name),
                (None, Some(path)) => bench::Target::Spec(path),
                (None, None) => unreachable!("clap requires one"),
            };
            bench::run_one(target, &mode, threads, quick).map(|r| println!("{r}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
