//! Merge a run directory's shard rows in sweep order.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::row::first_difference;
use crate::{Row, RunDir, Shard, SweepError};

/// A point with more than one row (their reproducible columns agree; only the first
/// is kept).
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    /// The sweep point index.
    pub point: usize,
    /// `file:line` of each of its rows.
    pub places: Vec<String>,
}

/// The merged rows of a run directory and what is missing from them.
#[derive(Debug)]
pub struct Gathered {
    /// Points in the sweep.
    pub points: usize,
    /// Shards of the run.
    pub shards: usize,
    /// One row per point that has one, in sweep order.
    pub rows: Vec<Row>,
    /// Points without a row, ascending.
    pub missing: Vec<usize>,
    /// Shards with at least one missing point, ascending (what `--resume` resubmits).
    pub incomplete_shards: Vec<usize>,
    /// Points with several agreeing rows.
    pub duplicates: Vec<Duplicate>,
    /// Torn last lines, unreadable lines and stray files, one message each (the rows
    /// they would have held count as missing).
    pub problems: Vec<String>,
}

impl Gathered {
    /// Whether every point has a row.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Read every shard file of `dir`. Rows of the same point must agree on the
/// reproducible columns and on the plan's cache key for that point
/// ([`SweepError::Conflict`] otherwise); rows for points beyond the sweep are problems.
pub fn gather(dir: &RunDir) -> Result<Gathered, SweepError> {
    let points = dir.meta().points;
    let shards = dir.shards();
    let axes = &dir.plan().axes;
    let sweep = dir.plan().sweep();
    let mut problems = Vec::new();
    let mut by_point: BTreeMap<usize, Vec<(String, Row)>> = BTreeMap::new();
    for k in 1..=shards {
        let file = dir.rows_file(k);
        let name = file
            .strip_prefix(dir.path())
            .unwrap_or(&file)
            .display()
            .to_string();
        let read = dir.read_shard(k)?;
        if read.torn {
            problems.push(format!(
                "{name}: unterminated last line ignored (a task died while writing it)"
            ));
        }
        for line in &read.corrupt {
            problems.push(format!("{name}:{line}: not a row; ignored"));
        }
        for (line, row) in read.rows {
            let p = row["point"].as_u64().expect("rows have a point") as usize;
            if p >= points {
                problems.push(format!(
                    "{name}:{line}: point {p} is beyond the sweep's {points} points; ignored"
                ));
                continue;
            }
            if Shard::of(p, shards).k() != k {
                problems.push(format!(
                    "{name}:{line}: point {p} belongs to shard {} (kept)",
                    Shard::of(p, shards).k()
                ));
            }
            by_point
                .entry(p)
                .or_default()
                .push((format!("{name}:{line}"), row));
        }
    }
    let mut rows = Vec::with_capacity(by_point.len());
    let mut duplicates = Vec::new();
    let mut missing = Vec::new();
    for p in 0..points {
        let Some(found) = by_point.remove(&p) else {
            missing.push(p);
            continue;
        };
        let places: Vec<String> = found.iter().map(|(place, _)| place.clone()).collect();
        let first = &found[0].1;
        for (_, other) in &found[1..] {
            if let Some(column) = first_difference(first, other, axes) {
                return Err(SweepError::Conflict {
                    point: p,
                    column,
                    places,
                });
            }
        }
        if let (Some(Ok(spec)), Some(Value::String(key))) = (sweep.point(p), first.get("cache_key"))
            && &spec.cache_key() != key
        {
            return Err(SweepError::Conflict {
                point: p,
                column: "cache_key (against the run's sweep.json)".into(),
                places,
            });
        }
        if found.len() > 1 {
            duplicates.push(Duplicate { point: p, places });
        }
        rows.push(found.into_iter().next().expect("non-empty").1);
    }
    let mut incomplete_shards: Vec<usize> =
        missing.iter().map(|&p| Shard::of(p, shards).k()).collect();
    incomplete_shards.dedup();
    incomplete_shards.sort_unstable();
    incomplete_shards.dedup();
    Ok(Gathered {
        points,
        shards,
        rows,
        missing,
        incomplete_shards,
        duplicates,
        problems,
    })
}
