//! `cargo xtask`: developer automation for minisim.
//!
//! - `cargo xtask sweep SWEEP.json [--out rows.csv|rows.jsonl] [--shard K/N] [--jobs J]`
//! - `cargo xtask bench [--quick] [--json OUT] [--scenario NAME]…`

mod bench;
mod metrics;
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
    },
    /// (internal) One benchmark measurement in a fresh process.
    #[command(hide = true)]
    BenchRun {
        #[arg(long)]
        scenario: String,
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

fn bench_task(quick: bool, json: Option<PathBuf>, scenarios: &[String]) -> anyhow::Result<()> {
    let report = bench::run_all(quick, scenarios)?;
    if let Some(path) = json {
        bench::write_json(&report, &path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = match Cli::parse().task {
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
        } => bench_task(quick, json, &scenario),
        Task::BenchRun {
            scenario,
            mode,
            threads,
            quick,
        } => bench::run_one(&scenario, &mode, threads, quick).map(|r| println!("{r}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
