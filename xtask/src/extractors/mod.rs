//! `cargo xtask extractors`: real extraction pipelines run end to end on minisim
//! recordings and scored against the truth, beside the oracle and threshold-ROI
//! baselines.
//!
//! Each extractor is one entry of [`EXTRACTORS`]: its PyPI requirements (pinned) and a
//! runner script that reads a recording directory and writes `A.npy` (units, H, W),
//! `C.npy`, `S.npy` (units, frames), `shifts.npy` (frames, 2; correction convention),
//! `params.json` and `timing.json`. The venv lives under the target directory
//! (`target/extractors/<name>/venv`, created once, reused while its requirements are
//! unchanged). Adding an extractor = one script + one table entry.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use minisim::score::{self, Estimate, Options, PixelOrder, Report, Truth};
use minisim::{Persist, Recording, SimulateOptions, Spec};
use serde_json::{Value, json};

use crate::peer::target_dir;

/// An extraction pipeline run from Python.
pub struct Extractor {
    /// Name (CLI and report label).
    pub name: &'static str,
    /// pip requirements, pinned (what the pipeline needs to run at all).
    pub requirements: &'static [&'static str],
    /// File name of the runner script (written into the venv directory).
    pub script_name: &'static str,
    /// The runner script.
    pub script: &'static str,
}

/// The extractors `cargo xtask extractors` knows.
pub const EXTRACTORS: &[Extractor] = &[Extractor {
    name: "minian",
    // minian 2.0.2 fails with xarray ≥ 2026 (`open_group() got an unexpected keyword
    // argument 'zarr_format'`), hence the pin.
    requirements: &["minian==2.0.2", "xarray==2025.12.0"],
    script_name: "run_minian.py",
    script: include_str!("run_minian.py"),
}];

/// The extractor's venv Python, installing its requirements if the venv does not hold
/// exactly them yet.
fn ensure_venv(x: &Extractor) -> anyhow::Result<PathBuf> {
    let venv = target_dir().join("extractors").join(x.name).join("venv");
    let python = venv.join("bin/python");
    let marker = venv.join("minisim-requirements.txt");
    let wanted = x.requirements.join("\n");
    if python.exists() && std::fs::read_to_string(&marker).ok().as_deref() == Some(&wanted) {
        return Ok(python);
    }
    eprintln!(
        "installing {} into {} (once) …",
        x.requirements.join(" "),
        venv.display()
    );
    let python = crate::peer::pip_install_into(&venv, x.requirements)?;
    minisim_io::atomic::write(&marker, wanted.as_bytes())?;
    Ok(python)
}

/// What to run.
pub struct Args {
    /// Preset to render.
    pub preset: String,
    /// Field of view override, `[H, W]`.
    pub fov: Option<[u32; 2]>,
    /// Frames override.
    pub frames: Option<u64>,
    /// Extractors to run (default: all).
    pub only: Vec<String>,
    /// Check the CI conditions (see [`check`]).
    pub check: bool,
    /// Write the results as JSON.
    pub json: Option<PathBuf>,
}

/// Render, run every extractor, score, print the table; with `check`, fail unless
/// each extractor beats the threshold-ROI baseline on detectable recall, stays below
/// the oracle's detectable F1, and its motion estimate correlates with the truth.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if let Some(bad) = args
        .only
        .iter()
        .find(|n| !EXTRACTORS.iter().any(|x| x.name == n.as_str()))
    {
        let known: Vec<&str> = EXTRACTORS.iter().map(|x| x.name).collect();
        bail!("--extractor {bad}: unknown; known: {}", known.join(", "));
    }
    let mut spec =
        Spec::preset(&args.preset).with_context(|| format!("--preset {}", args.preset))?;
    if let Some(fov) = args.fov {
        spec = spec.with_override("acquisition.fov_px", json!(fov))?;
    }
    if let Some(frames) = args.frames {
        spec = spec.with_override("acquisition.frames", json!(frames))?;
    }
    let a = spec.acquisition();
    let label = format!(
        "{}-{}x{}x{}",
        args.preset, a.fov_px[0], a.fov_px[1], a.frames
    );
    let work = target_dir().join("extractors/runs").join(&label);
    let rec_dir = work.join("rec");
    let rec = match Recording::load(&rec_dir) {
        Ok(rec) if rec.cache_key == spec.cache_key() => rec,
        _ => {
            if rec_dir.exists() {
                std::fs::remove_dir_all(&rec_dir)?;
            }
            std::fs::create_dir_all(&work)?;
            eprintln!("rendering {label} …");
            let rec = minisim::simulate(&spec, &SimulateOptions::default())?;
            rec.save(&rec_dir)?;
            rec
        }
    };
    let opt = Options::default();
    let mut rows: Vec<Value> = Vec::new();
    let mut reports: Vec<(Truth, Vec<Report>)> = Vec::new();
    let oracles: Vec<(Truth, Estimate)> = [Truth::Core, Truth::Total]
        .into_iter()
        .map(|truth| {
            let o = Options {
                truth,
                ..opt.clone()
            };
            (truth, score::oracle(&rec, &o))
        })
        .collect();
    let threshold = score::threshold_rois(&rec, &opt);
    let mut seconds = Vec::new();
    for x in EXTRACTORS
        .iter()
        .filter(|x| args.only.is_empty() || args.only.iter().any(|n| n == x.name))
    {
        let python = ensure_venv(x)?;
        let script = python
            .parent()
            .and_then(Path::parent)
            .expect("venv/bin/python")
            .join(x.script_name);
        std::fs::write(&script, x.script)?;
        let out = work.join(x.name);
        if out.exists() {
            std::fs::remove_dir_all(&out)?;
        }
        let log_path = work.join(format!("{}.log", x.name));
        eprintln!(
            "running {} on {label} (its output: {}) …",
            x.name,
            log_path.display()
        );
        let log = std::fs::File::create(&log_path)?;
        let start = Instant::now();
        let status = Command::new(&python)
            .arg(&script)
            .arg(&rec_dir)
            .arg(&out)
            .stdout(log)
            .status()
            .with_context(|| format!("cannot run {}", python.display()))?;
        if !status.success() {
            bail!(
                "{} failed on {label} ({status}); see {}",
                x.name,
                log_path.display()
            );
        }
        let secs = start.elapsed().as_secs_f64();
        seconds.push((x.name, secs));
        let est = read_estimate(x.name, &out, &rec)?;
        for (truth, oracle) in &oracles {
            let o = Options {
                truth: *truth,
                ..opt.clone()
            };
            let mine = score::with_ceiling(score::score(&rec, &est, &o)?, &rec, oracle, &o);
            let baselines = [
                score::score(&rec, oracle, &o)?,
                score::score(&rec, &threshold, &o)?,
            ];
            let mut all = vec![mine];
            all.extend(baselines);
            reports.push((*truth, all));
        }
    }
    println!(
        "{label}: {} cells, {} detectable; IoU ≥ {} of footprints binarised at {} of their energy",
        rec.truth.cells.len(),
        rec.truth.cells.detectable.iter().filter(|&&d| d).count(),
        opt.iou_threshold,
        opt.energy_fraction
    );
    println!(
        "| truth | estimate | n | F1 | F1 detectable | recall detectable | mean IoU | trace r | oracle r on the same cells | neurofinder combined | motion r (dy, dx) | motion amplitude × |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (truth, rs) in &reports {
        for r in rs {
            let f = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.3}"));
            let pair = |v: Option<[f64; 2]>, p: usize| {
                v.map_or("–".to_owned(), |v| {
                    format!("{:.*}, {:.*}", p, v[0], p, v[1])
                })
            };
            println!(
                "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.2} | {} | {} | {:.3} | {} | {} |",
                truth.name(),
                r.name,
                r.estimates,
                r.f1,
                r.f1_detectable,
                r.recall_detectable,
                r.mean_iou,
                f(r.trace_r_median),
                f(r.trace_r_oracle_same_cells),
                r.neurofinder.combined,
                pair(r.motion_r, 2),
                pair(r.motion_gain, 2),
            );
            rows.push(json!({ "truth": truth.name(), "report": r }));
        }
    }
    for (name, secs) in &seconds {
        println!("{name}: {secs:.0} s wall for the whole pipeline (process start to export)");
    }
    if let Some(path) = &args.json {
        let doc = json!({
            "label": label,
            "cache_key": rec.cache_key,
            "spec": spec.to_value(),
            "seconds": seconds.iter().map(|(n, s)| json!({ "extractor": n, "seconds": s })).collect::<Vec<_>>(),
            "rows": rows,
        });
        minisim_io::atomic::write(path, serde_json::to_string_pretty(&doc)?.as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    if args.check {
        check(&reports)?;
    }
    Ok(())
}

/// The CI round trip's conditions, on core truth: each extractor finds more of the
/// detectable cells than the threshold-ROI baseline, scores a detectable F1 below the
/// oracle's, and its motion estimate correlates with the truth (r ≥ 0.5 on both axes).
fn check(reports: &[(Truth, Vec<Report>)]) -> anyhow::Result<()> {
    for (truth, rs) in reports.iter().filter(|(t, _)| *t == Truth::Core) {
        let [mine, oracle, threshold] = &rs[..] else {
            bail!("expected three reports");
        };
        let _ = truth;
        if mine.recall_detectable <= threshold.recall_detectable {
            bail!(
                "{}: detectable recall {:.3} not above the threshold-ROI baseline's {:.3}",
                mine.name,
                mine.recall_detectable,
                threshold.recall_detectable
            );
        }
        if mine.f1_detectable >= oracle.f1_detectable {
            bail!(
                "{}: detectable F1 {:.3} not below the oracle's {:.3}",
                mine.name,
                mine.f1_detectable,
                oracle.f1_detectable
            );
        }
        match mine.motion_r {
            Some([dy, dx]) if dy >= 0.5 && dx >= 0.5 => {}
            other => bail!(
                "{}: motion estimate does not follow the truth (r {other:?})",
                mine.name
            ),
        }
        eprintln!(
            "check ok: {} recall_det {:.3} > threshold-ROI {:.3}; F1_det {:.3} < oracle {:.3}; motion r {:?}",
            mine.name,
            mine.recall_detectable,
            threshold.recall_detectable,
            mine.f1_detectable,
            oracle.f1_detectable,
            mine.motion_r
        );
    }
    Ok(())
}

/// An extractor's exported arrays as an `Estimate`.
fn read_estimate(name: &str, out: &Path, rec: &Recording) -> anyhow::Result<Estimate> {
    let (h, w) = rec.truth.vignette.dim();
    let frames = rec.observed.frames();
    let footprints = score::read_footprints(&out.join("A.npy"), h, w, PixelOrder::C)?;
    let n = footprints.len();
    let need = format!("({n}, {frames})");
    Ok(Estimate {
        name: name.to_owned(),
        traces: Some(score::read_matrix(
            &out.join("C.npy"),
            "traces",
            Some(n),
            frames,
            &need,
        )?),
        spikes: Some(score::read_matrix(
            &out.join("S.npy"),
            "spikes",
            Some(n),
            frames,
            &need,
        )?),
        shifts: Some(score::read_matrix(
            &out.join("shifts.npy"),
            "shifts",
            Some(frames),
            2,
            &format!("({frames}, 2)"),
        )?),
        footprints,
        ..Default::default()
    })
}
