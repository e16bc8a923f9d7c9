//! One row per sweep point: what identifies, reproduces and summarises it.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use minisim_cache::{CacheOutcome, simulate_cached_with};
use minisim_render::{PerfTracker, Phase, SimulateOptions};
use minisim_spec::{Axis, MODEL_VERSION, SpecError, SweptSpec};
use serde_json::{Map, Value, json};

use crate::metrics::metrics;

/// A row: column name → JSON value (`null` for "not applicable").
pub type Row = Map<String, Value>;

/// The metric columns of [`metrics`](crate::metrics()), in column order.
const METRICS: [&str; 5] = [
    "cells_in_fov",
    "mean_counts",
    "adc_utilisation",
    "fraction_saturated",
    "median_pnr_in_focus",
];

/// Columns that depend only on the plan and the point (with the axis columns): equal
/// whichever shard, host, job count or cache state produced the row.
pub const REPRODUCIBLE: [&str; 9] = [
    "point",
    "cache_key",
    "model_version",
    "cells_in_fov",
    "mean_counts",
    "adc_utilisation",
    "fraction_saturated",
    "median_pnr_in_focus",
    "error",
];

/// Column order: `point`, one column per axis path, `cache_key`, `model_version`,
/// `host`, `cached`, the metrics, `seconds`, one `<phase>_s` per pipeline phase, `error`.
pub fn columns(axes: &[Axis]) -> Vec<String> {
    let mut cols = vec!["point".to_owned()];
    cols.extend(axes.iter().map(|a| a.path.clone()));
    cols.extend(
        ["cache_key", "model_version", "host", "cached"]
            .into_iter()
            .chain(METRICS)
            .chain(["seconds"])
            .map(str::to_owned),
    );
    cols.extend(Phase::ALL.iter().map(|p| format!("{}_s", p.name())));
    cols.push("error".to_owned());
    cols
}

/// This machine's host name (Linux: `/proc/sys/kernel/hostname`), `unknown` if unknown.
pub fn host() -> String {
    minisim_io::atomic::host()
}

/// How a point ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Simulated or served from the cache; the row holds its metrics.
    Done,
    /// The point's spec is invalid (deterministic: the row records the error).
    Invalid,
    /// Rendering or caching failed (possibly transient: the message says why).
    Failed(String),
}

/// Simulate point `i` through the cache and make its row.
pub(crate) fn point_row(
    i: usize,
    point: Result<SweptSpec, SpecError>,
    axes: &[Axis],
    cache: Option<&Path>,
) -> (Row, Outcome) {
    let mut row = Row::new();
    row.insert("point".into(), json!(i));
    let point = match point {
        Ok(p) => p,
        Err(e) => {
            for a in axes {
                row.insert(a.path.clone(), Value::Null);
            }
            row.insert("model_version".into(), json!(MODEL_VERSION));
            row.insert("host".into(), json!(host()));
            row.insert("error".into(), json!(e.to_string()));
            return (row, Outcome::Invalid);
        }
    };
    for (path, value) in point.axes() {
        row.insert(path.clone(), value.clone());
    }
    row.insert("cache_key".into(), json!(point.cache_key()));
    row.insert("model_version".into(), json!(MODEL_VERSION));
    row.insert("host".into(), json!(host()));
    let perf = Arc::new(PerfTracker::new());
    let start = Instant::now();
    let options = SimulateOptions {
        perf: Some(perf.clone()),
        ..Default::default()
    };
    match simulate_cached_with(&point, cache, &options) {
        Ok((rec, outcome)) => {
            row.insert("cached".into(), json!(outcome == CacheOutcome::Hit));
            row.extend(metrics(&rec));
            row.insert("seconds".into(), json!(start.elapsed().as_secs_f64()));
            for phase in Phase::ALL {
                let t = perf.get(phase);
                let v = if outcome == CacheOutcome::Hit || t.calls == 0 {
                    Value::Null
                } else {
                    json!(t.time.as_secs_f64())
                };
                row.insert(format!("{}_s", phase.name()), v);
            }
            (row, Outcome::Done)
        }
        Err(e) => {
            let message = e.to_string();
            row.insert("error".into(), json!(message));
            (row, Outcome::Failed(message))
        }
    }
}

/// The first reproducible column (or axis) on which two rows of the same point differ.
pub(crate) fn first_difference(a: &Row, b: &Row, axes: &[Axis]) -> Option<String> {
    let null = Value::Null;
    REPRODUCIBLE
        .iter()
        .map(|c| c.to_string())
        .chain(axes.iter().map(|a| a.path.clone()))
        .find(|c| a.get(c).unwrap_or(&null) != b.get(c).unwrap_or(&null))
}
