//! `cargo xtask sweep`: run every point of a sweep file through the cache and write one
//! tidy row per point.
//!
//! Sweep file: `{"base": "<preset>" | {spec…}, "axes": [{"path": "…", "values": […]}, …]}`.
//! Rows hold `point`, one column per axis path, `cache_key`, `cached`, the metrics of
//! `metrics.rs`, `seconds` and per-phase seconds (`<phase>_s`, empty when served from
//! the cache), or `error` for an invalid combination.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use minisim::{
    Axis, CacheOutcome, PerfTracker, Phase, SimulateOptions, Spec, simulate_cached_with, sweep,
};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::metrics;

/// What may stand as a sweep's base.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Base {
    /// A preset name.
    Preset(String),
    /// An inline spec.
    Spec(Value),
}

/// A sweep file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The spec every point starts from.
    pub base: Base,
    /// Ordered axes; the first varies slowest.
    #[serde(default)]
    pub axes: Vec<Axis>,
}

/// `K/N`: this task runs points i with i mod N = K − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 2/8")?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| "K is not a number")?,
            n.trim().parse().map_err(|_| "N is not a number")?,
        );
        if n == 0 || k == 0 || k > n {
            return Err(format!("need 1 <= K <= N (got {k}/{n})"));
        }
        Ok(Shard { k, n })
    }
}

/// Load a sweep file and its base spec.
pub fn load(path: &Path) -> anyhow::Result<(Spec, Vec<Axis>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read sweep file", path.display()))?;
    let file: SweepFile = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a sweep file", path.display()))?;
    let base = match file.base {
        Base::Preset(name) => {
            Spec::preset(&name).with_context(|| format!("{}: base", path.display()))?
        }
        Base::Spec(v) => {
            Spec::from_value(v).with_context(|| format!("{}: base", path.display()))?
        }
    };
    Ok((base, file.axes))
}

/// Run the points of `shard` (all when `None`) with `jobs` parallel points.
pub fn run(
    base: &Spec,
    axes: &[Axis],
    shard: Option<Shard>,
    jobs: usize,
    cache: Option<&Path>,
    progress: bool,
) -> anyhow::Result<Vec<Map<String, Value>>> {
    let points = sweep(base, axes)?;
    let indices: Vec<usize> = (0..points.points())
        .filter(|i| shard.is_none_or(|s| i % s.n == s.k - 1))
        .collect();
    let bar = if progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let b = ProgressBar::new(indices.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} points ({eta})")
                .expect("template"),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()?;
    let rows: Vec<Map<String, Value>> = pool.install(|| {
        indices
            .par_iter()
            .map(|&i| {
                let row = row(i, points.point(i).expect("index in range"), axes, cache);
                bar.inc(1);
                row
            })
            .collect()
    });
    bar.finish_and_clear();
    Ok(rows)
}

fn row(
    i: usize,
    point: Result<minisim::SweptSpec, minisim::SpecError>,
    axes: &[Axis],
    cache: Option<&Path>,
) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("point".into(), json!(i));
    let point = match point {
        Ok(p) => p,
        Err(e) => {
            for a in axes {
                row.insert(a.path.clone(), Value::Null);
            }
            row.insert("error".into(), json!(e.to_string()));
            return row;
        }
    };
    for (path, value) in point.axes() {
        row.insert(path.clone(), value.clone());
    }
    row.insert("cache_key".into(), json!(point.cache_key()));
    let perf = Arc::new(PerfTracker::new());
    let start = Instant::now();
    let options = SimulateOptions {
        perf: Some(perf.clone()),
        ..Default::default()
    };
    match simulate_cached_with(&point, cache, &options) {
        Ok((rec, outcome)) => {
            row.insert("cached".into(), json!(outcome == CacheOutcome::Hit));
            row.extend(metrics::of(&rec));
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
        }
        Err(e) => {
            row.insert("error".into(), json!(e.to_string()));
        }
    }
    row
}

/// Column order: point, axes, then the rest in a fixed order.
pub fn columns(axes: &[Axis]) -> Vec<String> {
    let mut cols = vec!["point".to_owned()];
    cols.extend(axes.iter().map(|a| a.path.clone()));
    for c in [
        "cache_key",
        "cached",
        "cells_in_fov",
        "mean_counts",
        "adc_utilisation",
        "fraction_saturated",
        "median_pnr_in_focus",
        "seconds",
    ] {
        cols.push(c.to_owned());
    }
    cols.extend(Phase::ALL.iter().map(|p| format!("{}_s", p.name())));
    cols.push("error".to_owned());
    cols
}

/// Write rows as CSV or JSON lines, chosen by the extension; `None` writes JSON lines
/// to stdout. The file is written whole to a temporary sibling, then renamed.
pub fn write(
    rows: &[Map<String, Value>],
    axes: &[Axis],
    out: Option<&PathBuf>,
) -> anyhow::Result<()> {
    let csv = out
        .and_then(|p| p.extension())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut buf: Vec<u8> = Vec::new();
    if csv {
        let cols = columns(axes);
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(&cols)?;
        for r in rows {
            w.write_record(cols.iter().map(|c| match r.get(c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            }))?;
        }
        w.flush()?;
        drop(w);
    } else {
        for r in rows {
            buf.extend(serde_json::to_vec(r)?);
            buf.push(b'\n');
        }
    }
    match out {
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&buf)?;
        }
        Some(path) => {
            match path.extension().map(|e| e.to_string_lossy().to_lowercase()) {
                Some(e) if e == "csv" || e == "jsonl" || e == "json" => {}
                _ => bail!("{}: --out must end in .csv or .jsonl", path.display()),
            }
            minisim_io::atomic::write(path, &buf)
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    Ok(())
}
