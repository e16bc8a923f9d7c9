//! `cargo xtask`: developer automation for minisim.
//!
//! - `cargo xtask sweep SWEEP.json [--out rows.csv|rows.jsonl] [--shard K/N] [--jobs J]`
//! - `cargo xtask bench [--quick] [--json OUT] [--scenario NAME]… [--peer [--peer-only]
//!   [--peer-spec PY.json]… [--reps N]]`

mod bench;
mod extractors;
mod metrics;
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
    /// Run every point of a sweep through the cache and write one row per point.
    Sweep {
        /// Sweep file: {"base": "<preset>" | {spec}, "axes": [{"path", "values"}, …]}.
        file: PathBuf,
        /// Output rows: .csv or .jsonl (default: JSON lines on stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only shard K of N (points i with i mod N = K − 1), for job arrays.
        #[arg(long, value_name = "K/N")]
        shard: Option<sweep::Shard>,
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
        /// Presets to report (default: ucla-v4, ucla-v3, nvista3, wireless, ideal).
        #[arg(long)]
        preset: Vec<String>,
        /// Spec files to report as well (e.g. a candidate preset).
        #[arg(long)]
        spec: Vec<PathBuf>,
        /// Frames rendered per preset.
        #[arg(long, default_value_t = 600)]
        frames: u64,
        /// Also write the report as Markdown (e.g. docs/realism.md).
        #[arg(long)]
        out: Option<PathBuf>,
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

fn sweep_task(
    file: PathBuf,
    out: Option<PathBuf>,
    shard: Option<sweep::Shard>,
    jobs: usize,
    cache: Option<PathBuf>,
    progress: bool,
) -> anyhow::Result<()> {
    let (base, axes) = sweep::load(&file)?;
    let rows = sweep::run(&base, &axes, shard, jobs, cache.as_deref(), progress)?;
    sweep::write(&rows, &axes, out.as_ref())?;
    let failed = rows.iter().filter(|r| r.contains_key("error")).count();
    let hits = rows
        .iter()
        .filter(|r| r.get("cached") == Some(&serde_json::json!(true)))
        .count();
    eprintln!(
        "{} points: {} from the cache, {} simulated, {} failed",
        rows.len(),
        hits,
        rows.len() - hits - failed,
        failed
    );
    if failed > 0 {
        anyhow::bail!("{failed} points failed; see the `error` column");
    }
    Ok(())
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
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let presets = if presets.is_empty() && !specs.is_empty() {
        Vec::new()
    } else if presets.is_empty() {
        ["ucla-v4", "ucla-v3", "nvista3", "wireless", "ideal"]
            .map(String::from)
            .to_vec()
    } else {
        presets
    };
    let mut md = format!(
        "# Realism report\n\nGenerated by `cargo xtask realism --frames {frames} --out docs/realism.md` (model {}). Each preset is rendered for {frames} frames and measured on the movie alone; the definitions are in `crates/minisim-stats` (one module per statistic, each tested on a known case) and docs/physics.md has the presets' sources. Targets are ranges seen in real one-photon miniscope recordings; `ucla-v4`, `ucla-v3` and `nvista3` were calibrated to the first group (PNR … brightness), `wireless` is not yet, and `ideal` is deliberately unrealistic (no motion, flicker or sensor noise beyond shot noise). The frame-mean and 10×10-block statistics (issue 19) compare with three raw-like Inscopix recordings; no preset meets them yet — that is the work of issue 19's physics slices. The disc PNR and the neighbour correlation of pixel noise are reported without a target until raw and vendor-exported presets are told apart (real exports: 0.38–0.51 neighbour correlation; a raw CMOS ≈ 0).\n",
        minisim::MODEL_VERSION
    );
    let mut named: Vec<(String, minisim::Spec)> = Vec::new();
    for name in &presets {
        named.push((name.clone(), minisim::Spec::preset(name)?));
    }
    for path in &specs {
        let text = std::fs::read_to_string(path)?;
        named.push((path.display().to_string(), minisim::Spec::from_json(&text)?));
    }
    for (name, spec) in &named {
        eprintln!("realism {name} …");
        let stats = realism::stats(spec, frames)?;
        md +=
            &format!("\n## {name}\n\n| statistic | value | target | inside |\n|---|---|---|---|\n");
        println!("\n{name}");
        for s in &stats {
            let range = s
                .range
                .map_or("—".to_owned(), |(lo, hi)| format!("{lo}–{hi}"));
            let inside = match s.inside() {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            };
            println!(
                "  {:<40} {:>10.4}   target {:<12} {}",
                s.name,
                s.value,
                range,
                inside.replace('*', "")
            );
            md += &format!("| {} | {:.4} | {} | {} |\n", s.name, s.value, range, inside);
        }
    }
    if let Some(path) = out {
        std::fs::write(&path, md)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
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
        } => sweep_task(file, out, shard, jobs, cache, !no_progress),
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
            out,
        } => realism_task(preset, spec, frames, out),
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
