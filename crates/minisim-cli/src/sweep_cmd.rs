//! `minisim-cli sweep`: run a sweep locally (rows to a file or a run directory), submit
//! it as a Slurm job array, resume it, and gather a run directory's rows.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use minisim::sweeps::slurm::{self, ScriptInput, SlurmOptions};
use minisim::sweeps::{
    Format, Gathered, JobRecord, Plan, PointEvent, RunDir, RunOptions, Shard, SlurmDefaults,
    gather, run, run_shard_into, write_rows,
};

use crate::failure::usage;

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  minisim-cli sweep examples/sweeps/gain-quick.json --out rows.csv --jobs 2\n  minisim-cli sweep big.json --slurm --run-dir /shared/runs/big --array-size 32 --time 02:00:00\n  minisim-cli sweep big.json --slurm --run-dir /shared/runs/big --resume\n  minisim-cli sweep gather /shared/runs/big --out rows.csv"
)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// Sweep file: {"base": "<preset>" | {spec}, "axes": [{"path", "values"}, …]}.
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Output rows, .csv or .jsonl (default: JSON lines on stdout).
    #[arg(long, conflicts_with_all = ["run_dir", "slurm"])]
    out: Option<PathBuf>,
    /// Run only shard K of N (points i with i mod N = K − 1).
    #[arg(long, value_name = "K/N", conflicts_with = "slurm")]
    shard: Option<Shard>,
    /// Points simulated at once (each render also uses every core).
    #[arg(long, default_value_t = 1, conflicts_with = "slurm")]
    jobs: usize,
    /// Cache directory (default: $MINISIM_CACHE or the platform cache directory); with
    /// --slurm it must be on a file system the compute nodes share.
    #[arg(long)]
    cache: Option<PathBuf>,
    /// No progress bar (terminal) or per-point log lines (otherwise).
    #[arg(long)]
    no_progress: bool,
    /// Append rows per point to this run directory (created if new; a rerun skips the
    /// points that have rows). With --slurm: where the job array keeps the plan, rows
    /// and logs (on a shared file system).
    #[arg(long, value_name = "DIR")]
    run_dir: Option<PathBuf>,
    /// Submit the sweep as a Slurm job array (task K runs shard K) and print the job id.
    #[arg(long, requires = "run_dir")]
    slurm: bool,
    /// With --slurm: array tasks, i.e. shards (default: one per point, at most 1000).
    #[arg(long, requires = "slurm")]
    array_size: Option<usize>,
    /// With --slurm: the partition.
    #[arg(long, requires = "slurm")]
    partition: Option<String>,
    /// With --slurm: the time limit per task (HH:MM:SS, D-HH:MM, …).
    #[arg(long, requires = "slurm")]
    time: Option<String>,
    /// With --slurm: CPUs per task; each task runs this many points at once (default 1).
    #[arg(long, requires = "slurm")]
    cpus_per_task: Option<usize>,
    /// With --slurm: memory per task (e.g. 8G).
    #[arg(long, requires = "slurm")]
    mem: Option<String>,
    /// With --slurm: the job name (default minisim-sweep).
    #[arg(long, requires = "slurm")]
    job_name: Option<String>,
    /// With --slurm: the minisim-cli the tasks run (default: this one).
    #[arg(long, requires = "slurm")]
    exe: Option<PathBuf>,
    /// With --slurm: print the sbatch script and change nothing.
    #[arg(long, requires = "slurm")]
    dry_run: bool,
    /// With --slurm: resubmit only the shards of --run-dir that lack rows, with the
    /// first submission's options (and cache and executable) unless given again.
    #[arg(long, requires = "slurm")]
    resume: bool,
}

#[derive(Debug, Subcommand)]
enum SweepCommand {
    /// Merge a run directory's shard rows in sweep order; fails listing the missing
    /// points unless --allow-missing.
    Gather {
        /// The run directory (of `sweep --run-dir` or `sweep --slurm`).
        run_dir: PathBuf,
        /// Output rows, .csv or .jsonl (default: JSON lines on stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the rows present even when points are missing.
        #[arg(long)]
        allow_missing: bool,
    },
}

pub fn sweep_cmd(a: SweepArgs) -> anyhow::Result<()> {
    if let Some(SweepCommand::Gather {
        run_dir,
        out,
        allow_missing,
    }) = a.command
    {
        return gather_cmd(&run_dir, out.as_deref(), allow_missing);
    }
    let file = a.file.clone().expect("clap requires the sweep file");
    if let Some(out) = &a.out {
        Format::of(out)?;
    }
    if a.jobs == 0 {
        return Err(usage(
            "--jobs 0: at least one point must run",
            "use --jobs 1 or more",
        ));
    }
    let plan = Plan::load(&file)?;
    if a.slurm {
        return submit(&a, &file, &plan);
    }
    let progress = Progress::new(!a.no_progress);
    let on_point = |e: &PointEvent| progress.point(e);
    let options = RunOptions {
        shard: a.shard.unwrap_or(Shard::ALL),
        jobs: a.jobs,
        cache: a.cache.as_deref(),
        on_point: Some(&on_point),
    };
    let start = Instant::now();
    if let Some(dir) = &a.run_dir {
        let dir = RunDir::open_or_create(dir, &plan, a.shard.map(Shard::n))?;
        let shards: Vec<Shard> = match a.shard {
            Some(s) => vec![s],
            None => (1..=dir.shards())
                .map(|k| Shard::new(k, dir.shards()).expect("k in 1..=n"))
                .collect(),
        };
        let mut failed = Vec::new();
        let (mut skipped, mut written) = (0, 0);
        for shard in shards {
            progress.start(shard.indices(plan.points()).count());
            let report = run_shard_into(&dir, &RunOptions { shard, ..options })?;
            skipped += report.skipped;
            written += report.written;
            failed.extend(report.failed);
        }
        progress.finish();
        eprintln!(
            "{}: {written} point(s) written, {skipped} already had rows, in {:.1} s",
            dir.path().display(),
            start.elapsed().as_secs_f64()
        );
        if !failed.is_empty() {
            let list: Vec<String> = failed.iter().map(|(p, m)| format!("{p} ({m})")).collect();
            anyhow::bail!(
                "{} point(s) failed and have no row: {}; rerun the same command to retry them",
                failed.len(),
                list.join("; ")
            );
        }
        return Ok(());
    }
    progress.start(options.shard.indices(plan.points()).count());
    let rows = run(&plan, &options)?;
    progress.finish();
    write_rows(&rows, &plan.axes, a.out.as_deref())?;
    let errors = rows.iter().filter(|r| r.contains_key("error")).count();
    if let Some(out) = &a.out {
        eprintln!(
            "wrote {} rows to {} in {:.1} s",
            rows.len(),
            out.display(),
            start.elapsed().as_secs_f64()
        );
    }
    if errors > 0 {
        anyhow::bail!(
            "{errors} of {} point(s) failed (see their `error` column)",
            rows.len()
        );
    }
    Ok(())
}

/// A point progress bar on a terminal, one log line per point otherwise (Slurm logs).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
}

impl Progress {
    fn new(show: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        Progress {
            bar: (show && terminal).then(|| {
                let b = indicatif::ProgressBar::new(0);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{elapsed_precise} [{bar:40}] {pos}/{len} points (ETA {eta})",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                b
            }),
            lines: show && !terminal,
        }
    }

    fn start(&self, points: usize) {
        if let Some(b) = &self.bar {
            b.set_length(points as u64);
            b.set_position(0);
        }
    }

    fn point(&self, e: &PointEvent) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        if self.lines {
            let r = e.row;
            let what = if let Some(m) = e.failed {
                format!("FAILED (no row written): {m}")
            } else if let Some(m) = r.get("error").and_then(|v| v.as_str()) {
                format!("invalid: {m}")
            } else {
                format!(
                    "{} in {:.2} s",
                    if r.get("cached") == Some(&serde_json::Value::Bool(true)) {
                        "cached"
                    } else {
                        "rendered"
                    },
                    r["seconds"].as_f64().unwrap_or(0.0)
                )
            };
            eprintln!("[{}/{}] point {}: {what}", e.done, e.total, r["point"]);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Points as compact ranges: `1, 4-6, 9`.
fn ranges(points: &[usize]) -> String {
    let tasks: Vec<usize> = points.iter().map(|p| p + 1).collect();
    slurm::array_list(&tasks)
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => format!(
                "{}-{}",
                a.parse::<usize>().expect("number") - 1,
                b.parse::<usize>().expect("number") - 1
            ),
            None => (r.parse::<usize>().expect("number") - 1).to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn report_problems(g: &Gathered) {
    for p in &g.problems {
        eprintln!("warning: {p}");
    }
    for d in &g.duplicates {
        eprintln!(
            "warning: point {} has {} identical rows ({}); kept the first",
            d.point,
            d.places.len(),
            d.places.join(", ")
        );
    }
}

fn gather_cmd(run_dir: &Path, out: Option<&Path>, allow_missing: bool) -> anyhow::Result<()> {
    if let Some(out) = out {
        Format::of(out)?;
    }
    let dir = RunDir::open(run_dir)?;
    let g = gather(&dir)?;
    report_problems(&g);
    if !g.complete() {
        let message = format!(
            "{}: {} of {} points have no row: {} (shard(s) {} of {})",
            dir.path().display(),
            g.missing.len(),
            g.points,
            ranges(&g.missing),
            slurm::array_list(&g.incomplete_shards),
            g.shards
        );
        if !allow_missing {
            return Err(usage(
                message,
                format!(
                    "`minisim-cli sweep {} --run-dir {} --slurm --resume` resubmits those shards (or run them here without --slurm); --allow-missing writes the rows present",
                    dir.sweep_file().display(),
                    dir.path().display()
                ),
            ));
        }
        eprintln!("warning: {message}");
    }
    write_rows(&g.rows, &dir.plan().axes, out)?;
    eprintln!(
        "gathered {} of {} rows from {} shard(s){}",
        g.rows.len(),
        g.points,
        g.shards,
        out.map(|o| format!(" into {}", o.display()))
            .unwrap_or_default()
    );
    Ok(())
}

/// Remove a run directory this command just created (only its own entries when the
/// directory existed, empty, before).
fn undo_create(path: &Path, existed: bool) {
    if !existed {
        let _ = std::fs::remove_dir_all(path);
        return;
    }
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("{}: cannot make absolute", p.display()))
}

fn submit(a: &SweepArgs, file: &Path, plan: &Plan) -> anyhow::Result<()> {
    let run_path = absolute(a.run_dir.as_deref().expect("clap requires --run-dir"))?;
    let has_run = run_path.join(minisim::sweeps::RUN_FILE).exists();
    // A resumed run's first submission supplies what is not given again.
    let stored = if a.resume && has_run {
        RunDir::open(&run_path)?.slurm_defaults()?
    } else {
        None
    };
    let options = SlurmOptions {
        array_size: a.array_size,
        partition: a
            .partition
            .clone()
            .or_else(|| stored.as_ref().and_then(|d| d.partition.clone())),
        time: a
            .time
            .clone()
            .or_else(|| stored.as_ref().and_then(|d| d.time.clone())),
        cpus_per_task: a
            .cpus_per_task
            .or(stored.as_ref().map(|d| d.cpus_per_task))
            .unwrap_or(1),
        mem: a
            .mem
            .clone()
            .or_else(|| stored.as_ref().and_then(|d| d.mem.clone())),
        job_name: a
            .job_name
            .clone()
            .or_else(|| stored.as_ref().map(|d| d.job_name.clone()))
            .unwrap_or_else(|| "minisim-sweep".into()),
    };
    options.validate()?;
    let cache = match (&a.cache, &stored) {
        (Some(c), _) => absolute(c)?,
        (None, Some(d)) => d.cache.clone(),
        (None, None) => absolute(&minisim::cache_dir()?)?,
    };
    let exe = match (&a.exe, &stored) {
        (Some(e), _) => absolute(e)?,
        (None, Some(d)) => d.exe.clone(),
        (None, None) => std::env::current_exe()
            .and_then(|p| p.canonicalize())
            .context("cannot find this program's path; pass --exe")?,
    };
    // The run directory (existing, or as it will be made) and the shards to submit.
    let (existing, shards, tasks) = if a.resume {
        if !has_run {
            return Err(usage(
                format!("{}: no run to resume (no run.json)", run_path.display()),
                "submit it first without --resume",
            ));
        }
        let dir = RunDir::open(&run_path)?;
        dir.check_plan(plan)?;
        if let Some(n) = a.array_size
            && n != dir.shards()
        {
            return Err(usage(
                format!(
                    "--array-size {n}: the run in {} has {} shards",
                    dir.path().display(),
                    dir.shards()
                ),
                "leave --array-size out when resuming",
            ));
        }
        let ids: Vec<String> = dir.jobs()?.into_iter().map(|j| j.job_id).collect();
        let live = slurm::active(&ids)?;
        if !live.is_empty() {
            anyhow::bail!(
                "job(s) {} of this run are still queued or running; wait for them (or scancel them) before resuming",
                live.join(", ")
            );
        }
        let g = gather(&dir)?;
        report_problems(&g);
        if g.complete() {
            eprintln!(
                "{}: all {} points have rows; nothing to resubmit",
                dir.path().display(),
                g.points
            );
            return Ok(());
        }
        eprintln!(
            "{}: {} of {} points have no row ({}); resubmitting shard(s) {}",
            dir.path().display(),
            g.missing.len(),
            g.points,
            ranges(&g.missing),
            slurm::array_list(&g.incomplete_shards)
        );
        let shards = dir.shards();
        (Some(dir), shards, g.incomplete_shards)
    } else {
        if has_run {
            return Err(usage(
                format!("{}: already holds a run", run_path.display()),
                "add --resume to resubmit its unfinished shards, or choose a new --run-dir",
            ));
        }
        let shards = options.shards(plan.points())?;
        (None, shards, (1..=shards).collect())
    };
    let text = slurm::script(&ScriptInput {
        exe: &exe,
        run_dir: &run_path,
        cache: &cache,
        points: plan.points(),
        shards,
        tasks: &tasks,
        options: &options,
    })?;
    if a.dry_run {
        print!("{text}");
        return Ok(());
    }
    let fresh = existing.is_none();
    let existed = run_path.exists();
    let dir = match existing {
        Some(d) => d,
        None => RunDir::create(&run_path, plan, shards)?,
    };
    let script = dir.next_script()?;
    let defaults = SlurmDefaults {
        partition: options.partition.clone(),
        time: options.time.clone(),
        cpus_per_task: options.cpus_per_task,
        mem: options.mem.clone(),
        job_name: options.job_name.clone(),
        cache: cache.clone(),
        exe: exe.clone(),
    };
    let saved = if fresh {
        dir.save_slurm_defaults(&defaults)
    } else {
        Ok(())
    };
    let submitted = saved.map_err(anyhow::Error::from).and_then(|()| {
        minisim_io::atomic::write(&script, text.as_bytes())
            .with_context(|| format!("{}: cannot write", script.display()))?;
        Ok(slurm::submit(&script, dir.path())?)
    });
    let job_id = match submitted {
        Ok(id) => id,
        Err(e) => {
            // Nothing was submitted: leave no run behind (a resumed run keeps its rows).
            if fresh {
                undo_create(dir.path(), existed);
            } else {
                let _ = std::fs::remove_file(&script);
            }
            return Err(e);
        }
    };
    let array = slurm::array_list(&tasks);
    dir.record_job(&JobRecord {
        job_id: job_id.clone(),
        array: array.clone(),
        script: script
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    })?;
    eprintln!(
        "submitted job {job_id}: shard(s) {array} of {shards} for {} ({} points); rows in {}/rows, logs in {}",
        file.display(),
        plan.points(),
        dir.path().display(),
        dir.logs_dir().display()
    );
    eprintln!(
        "when it has finished: minisim-cli sweep gather {} --out rows.csv",
        dir.path().display()
    );
    println!("{job_id}");
    Ok(())
}
