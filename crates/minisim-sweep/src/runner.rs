//! Running a plan's points, in memory or into a run directory.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::row::{Outcome, point_row};
use crate::{Plan, Row, RunDir, Shard, SweepError};

/// One finished point, reported to [`RunOptions::on_point`].
#[derive(Debug)]
pub struct PointEvent<'a> {
    /// Its row (with `error` when it failed).
    pub row: &'a Row,
    /// Points finished so far in this run, this one included.
    pub done: usize,
    /// Points this run has to do.
    pub total: usize,
    /// Why a render or cache step failed (the point keeps no row in a run directory
    /// and is retried by the next run of its shard); `None` for a finished point or an
    /// invalid combination (whose row records the spec error).
    pub failed: Option<&'a str>,
}

/// How to run a plan.
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    /// Which points (default: all).
    pub shard: Shard,
    /// Points simulated at once (each render also uses rayon's global pool). At least 1.
    pub jobs: usize,
    /// Cache directory (default: `$MINISIM_CACHE` or the platform cache directory).
    pub cache: Option<&'a Path>,
    /// Called after each point, from the thread that ran it.
    pub on_point: Option<&'a (dyn Fn(&PointEvent) + Sync)>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            shard: Shard::ALL,
            jobs: 1,
            cache: None,
            on_point: None,
        }
    }
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("shard", &self.shard)
            .field("jobs", &self.jobs)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// Run `indices` of `plan` with `jobs` points at once; `sink` receives each row with
/// its outcome as it finishes. Rows and outcomes are returned in the order of `indices`.
fn run_points(
    plan: &Plan,
    indices: &[usize],
    options: &RunOptions,
    sink: &(dyn Fn(&Row, &Outcome) -> Result<(), SweepError> + Sync),
) -> Result<Vec<(Row, Outcome)>, SweepError> {
    let sweep = plan.sweep();
    let done = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| SweepError::io("<thread pool>", std::io::Error::other(e)))?;
    pool.install(|| {
        indices
            .par_iter()
            .map(|&i| {
                let point = sweep.point(i).expect("index within the sweep");
                let (row, outcome) = point_row(i, point, &plan.axes, options.cache);
                sink(&row, &outcome)?;
                let done = done.fetch_add(1, Ordering::SeqCst) + 1;
                if let Some(report) = options.on_point {
                    report(&PointEvent {
                        row: &row,
                        done,
                        total: indices.len(),
                        failed: match &outcome {
                            Outcome::Failed(m) => Some(m.as_str()),
                            _ => None,
                        },
                    });
                }
                Ok((row, outcome))
            })
            .collect()
    })
}

/// Simulate the points of `options.shard` through the cache and return their rows in
/// sweep order. A point whose combination is invalid, or whose render fails, gets a row
/// with `error` (and no metrics); the other points still run.
pub fn run(plan: &Plan, options: &RunOptions) -> Result<Vec<Row>, SweepError> {
    let indices: Vec<usize> = options.shard.indices(plan.points()).collect();
    let rows = run_points(plan, &indices, options, &|_, _| Ok(()))?;
    Ok(rows.into_iter().map(|(row, _)| row).collect())
}

/// What [`run_shard_into`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardReport {
    /// The shard run.
    pub shard: Shard,
    /// Points that already had a row (skipped).
    pub skipped: usize,
    /// Points run now whose row was written.
    pub written: usize,
    /// Points whose render failed: `(point, message)`; they have no row yet.
    pub failed: Vec<(usize, String)>,
}

/// Run the points of `options.shard` that have no row in `dir` yet, appending each
/// row to the shard's row file as soon as its point finishes. The shard's `n` must be
/// the run's shard count. Points whose render fails get no row (the next run of the
/// shard retries them) and are listed in the report.
pub fn run_shard_into(dir: &RunDir, options: &RunOptions) -> Result<ShardReport, SweepError> {
    let shard = options.shard;
    if shard.n() != dir.shards() {
        return Err(SweepError::run_dir(
            dir.path(),
            format!(
                "the run has {} shards; --shard {shard} does not fit (use K/{})",
                dir.shards(),
                dir.shards()
            ),
        ));
    }
    let appender = dir.appender(shard.k())?;
    let have: BTreeSet<usize> = dir
        .read_shard(shard.k())?
        .rows
        .iter()
        .filter_map(|(_, r)| r["point"].as_u64().map(|p| p as usize))
        .collect();
    let all: Vec<usize> = shard.indices(dir.plan().points()).collect();
    let todo: Vec<usize> = all.iter().copied().filter(|i| !have.contains(i)).collect();
    let rows = run_points(dir.plan(), &todo, options, &|row, outcome| match outcome {
        Outcome::Failed(_) => Ok(()),
        Outcome::Done | Outcome::Invalid => appender.append(row),
    })?;
    let failed: Vec<(usize, String)> = todo
        .iter()
        .zip(rows)
        .filter_map(|(&i, (_, outcome))| match outcome {
            Outcome::Failed(message) => Some((i, message)),
            _ => None,
        })
        .collect();
    Ok(ShardReport {
        shard,
        skipped: all.len() - todo.len(),
        written: todo.len() - failed.len(),
        failed,
    })
}
