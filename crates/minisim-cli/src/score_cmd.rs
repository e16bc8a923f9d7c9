//! `score` and `export-rois`: extraction results against a recording's ground truth.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use minisim::score::{
    self, Estimate, Options, PixelOrder, Report, ShiftConvention, read_footprints, read_matrix,
};
use minisim::{DETECTABLE_SNR, Persist, Recording};
use serde_json::json;

use crate::failure::usage;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Order {
    /// y·W + x (numpy's default).
    C,
    /// x·H + y (column-major, CaImAn's A).
    F,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Convention {
    /// Shifts that register the frames (−displacement), as CaImAn, Suite2p, minian.
    Correction,
    /// The tissue displacement itself (minisim's motion_px).
    Displacement,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TruthKind {
    /// The ballistic core of each cell (its image through the PSF, no scattered halo).
    Core,
    /// Core + scattered halo (all the light each cell puts on the sensor).
    Total,
}

impl From<TruthKind> for score::Truth {
    fn from(t: TruthKind) -> Self {
        match t {
            TruthKind::Core => score::Truth::Core,
            TruthKind::Total => score::Truth::Total,
        }
    }
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Which true footprints to match against.
    #[arg(long, value_enum, default_value = "core")]
    truth: TruthKind,
    /// Energy fraction kept when binarising footprints.
    #[arg(long, default_value_t = score::ENERGY_FRACTION)]
    energy_fraction: f64,
    /// Expected peak SNR from which a cell is detectable.
    #[arg(long, default_value_t = DETECTABLE_SNR)]
    snr_threshold: f64,
    /// Pixel order of sparse footprint files.
    #[arg(long, value_enum, default_value = "c")]
    pixel_order: Order,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Recording directory (written by `minisim-cli simulate -o DIR` or the cache).
    recording: PathBuf,
    /// Footprints: (n, H, W) .npy, scipy .npz (CSR/CSC), or PREFIX of PREFIX_{data,indices,indptr}.npy.
    #[arg(long, value_name = "FILE")]
    footprints: Option<PathBuf>,
    /// Traces, (n, frames) .npy.
    #[arg(long, value_name = "FILE", requires = "footprints")]
    traces: Option<PathBuf>,
    /// Spikes or deconvolved activity, (n, frames) .npy; values above --spike-threshold are events.
    #[arg(long, value_name = "FILE", requires = "footprints")]
    spikes: Option<PathBuf>,
    /// Rigid shifts [dy, dx] per frame, (frames, 2) .npy.
    #[arg(long, value_name = "FILE")]
    shifts: Option<PathBuf>,
    /// Estimated vignette / background field, (H, W) .npy.
    #[arg(long, value_name = "FILE")]
    vignette: Option<PathBuf>,
    /// Estimated leakage / dark field, (H, W) .npy.
    #[arg(long, value_name = "FILE")]
    leakage: Option<PathBuf>,
    /// Label of your result in the table.
    #[arg(long, default_value = "yours")]
    name: String,
    #[command(flatten)]
    matching: MatchArgs,
    /// IoU from which a footprint pair matches.
    #[arg(long, default_value_t = score::IOU_THRESHOLD)]
    iou_threshold: f64,
    /// Spike matching tolerance, ± frames.
    #[arg(long, default_value_t = 2)]
    spike_tolerance: u64,
    /// A frame whose spike value exceeds this is an event.
    #[arg(long, default_value_t = 0.0)]
    spike_threshold: f64,
    /// What --shifts holds.
    #[arg(long, value_enum, default_value = "correction")]
    shift_convention: Convention,
    /// neurofinder's centre-distance threshold, px.
    #[arg(long, default_value_t = score::neurofinder::THRESHOLD_PX)]
    centre_threshold: f64,
    /// Score only your result, not the oracle and threshold-ROI baselines.
    #[arg(long)]
    no_baselines: bool,
    /// Also write the reports as JSON.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Do not report progress (the oracle's demixing) on stderr.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Recording directory.
    recording: PathBuf,
    /// Output JSON (neurofinder regions: [{"coordinates": [[y, x], ...]}, ...]).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Export these footprints instead of the ground truth (same formats as `score`).
    #[arg(long, value_name = "FILE")]
    footprints: Option<PathBuf>,
    /// Only detectable cells (ground truth only).
    #[arg(long, conflicts_with = "footprints")]
    detectable_only: bool,
    #[command(flatten)]
    matching: MatchArgs,
}

pub fn load(dir: &Path) -> anyhow::Result<Recording> {
    if !dir.join(minisim::MANIFEST).is_file() {
        return Err(usage(
            format!(
                "{} is not a recording directory (no recording.json)",
                dir.display()
            ),
            "write one with `minisim-cli simulate -o DIR` (or use a cache entry from `minisim-cli cache ls`)",
        ));
    }
    Recording::load(dir).with_context(|| format!("loading the recording {}", dir.display()))
}

fn input<T>(r: Result<T, score::ScoreError>) -> anyhow::Result<T> {
    r.map_err(|e| {
        usage(
            e.to_string(),
            "docs/scoring.md lists the accepted layouts and shapes",
        )
    })
}

fn order(o: Order) -> PixelOrder {
    match o {
        Order::C => PixelOrder::C,
        Order::F => PixelOrder::Fortran,
    }
}

fn field(
    path: &Option<PathBuf>,
    what: &'static str,
    h: usize,
    w: usize,
) -> anyhow::Result<Option<ndarray::Array2<f64>>> {
    path.as_ref()
        .map(|p| {
            input(read_matrix(
                p,
                what,
                Some(h),
                w,
                &format!("({h}, {w}) = (H, W)"),
            ))
        })
        .transpose()
}

/// Write `text` to `path` atomically (temporary sibling, then rename).
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    minisim_io::atomic::write(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn opt_num(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.3}"))
}

fn table(reports: &[Report]) -> String {
    let mut out = format!(
        "{:<16} {:>5} {:>7} {:>9} {:>6} {:>6} {:>10} {:>6} {:>5} {:>7} {:>9} {:>8} {:>11}\n",
        "estimate",
        "n",
        "matched",
        "precision",
        "recall",
        "F1",
        "recall_det",
        "F1_det",
        "IoU",
        "trace_r",
        "oracle_r*",
        "spike_F1",
        "motion_rmse"
    );
    for r in reports {
        out += &format!(
            "{:<16} {:>5} {:>7} {:>9.3} {:>6.3} {:>6.3} {:>10.3} {:>6.3} {:>5.2} {:>7} {:>9} {:>8} {:>11}\n",
            r.name,
            r.estimates,
            r.matched,
            r.precision,
            r.recall,
            r.f1,
            r.recall_detectable,
            r.f1_detectable,
            r.mean_iou,
            opt_num(r.trace_r_median),
            opt_num(r.trace_r_oracle_same_cells),
            opt_num(r.spike_f1),
            opt_num(r.motion_rmse_px),
        );
    }
    out
}

pub fn score_cmd(a: ScoreArgs) -> anyhow::Result<()> {
    let rec = load(&a.recording)?;
    let (h, w) = rec.truth.vignette.dim();
    let frames = rec.observed.frames().max(rec.truth.motion_px.nrows());
    let opt = Options {
        truth: a.matching.truth.into(),
        energy_fraction: a.matching.energy_fraction,
        iou_threshold: a.iou_threshold,
        snr_threshold: a.matching.snr_threshold,
        spike_tolerance_frames: a.spike_tolerance,
        spike_threshold: a.spike_threshold,
        shift_convention: match a.shift_convention {
            Convention::Correction => ShiftConvention::Correction,
            Convention::Displacement => ShiftConvention::Displacement,
        },
        centre_threshold_px: a.centre_threshold,
    };
    input(opt.check())?;
    let mut reports = Vec::new();
    let user =
        a.footprints.is_some() || a.shifts.is_some() || a.vignette.is_some() || a.leakage.is_some();
    if user {
        let footprints = match &a.footprints {
            Some(p) => input(read_footprints(p, h, w, order(a.matching.pixel_order)))?,
            None => score::Footprints {
                height: h,
                width: w,
                ..Default::default()
            },
        };
        let n = footprints.len();
        let need = format!("({n}, {frames}) = (components in --footprints, frames)");
        let est = Estimate {
            name: a.name.clone(),
            traces: a
                .traces
                .as_ref()
                .map(|p| input(read_matrix(p, "traces", Some(n), frames, &need)))
                .transpose()?,
            spikes: a
                .spikes
                .as_ref()
                .map(|p| input(read_matrix(p, "spikes", Some(n), frames, &need)))
                .transpose()?,
            shifts: a
                .shifts
                .as_ref()
                .map(|p| {
                    input(read_matrix(
                        p,
                        "shifts",
                        Some(frames),
                        2,
                        &format!("({frames}, 2) = (frames, [dy, dx])"),
                    ))
                })
                .transpose()?,
            vignette: field(&a.vignette, "vignette", h, w)?,
            leakage: field(&a.leakage, "leakage", h, w)?,
            footprints,
        };
        reports.push(input(score::score(&rec, &est, &opt))?);
    }
    if !a.no_baselines {
        if !a.no_progress {
            eprintln!("demixing the oracle's traces with the true footprints ...");
        }
        let oracle = score::oracle(&rec, &opt);
        if let Some(first) = reports.pop() {
            reports.push(score::with_ceiling(first, &rec, &oracle, &opt));
        }
        reports.push(input(score::score(&rec, &oracle, &opt))?);
        reports.push(input(score::score(
            &rec,
            &score::threshold_rois(&rec, &opt),
            &opt,
        ))?);
    }
    if reports.is_empty() {
        return Err(usage(
            "nothing to score: --no-baselines without --footprints, --shifts or a field",
            "pass your extractor's output, e.g. --footprints A.npy --traces C.npy",
        ));
    }
    let first = &reports[0];
    println!(
        "{}: {} cells with a {} footprint in the {h}×{w} FOV, {} detectable (peak SNR ≥ {}); match at IoU ≥ {} of footprints binarised at {} of their energy",
        a.recording.display(),
        first.truth_cells,
        opt.truth.name(),
        first.detectable_cells,
        opt.snr_threshold,
        opt.iou_threshold,
        opt.energy_fraction
    );
    print!("{}", table(&reports));
    if reports
        .iter()
        .any(|r| r.trace_r_oracle_same_cells.is_some())
    {
        println!(
            "oracle_r*: the oracle's median trace r on the same matched cells (the ceiling for them)"
        );
    }
    for r in &reports {
        if let (Some(c), Some(g)) = (r.motion_r, r.motion_gain) {
            println!(
                "motion of {}: r dy {:.3} dx {:.3}; amplitude × {:.2} (dy) × {:.2} (dx) of the truth",
                r.name, c[0], c[1], g[0], g[1]
            );
        }
    }
    println!(
        "neurofinder (centres closer than {} px):",
        opt.centre_threshold_px
    );
    for r in &reports {
        let c = r.neurofinder;
        println!(
            "  {:<16} recall {:.4}  precision {:.4}  combined {:.4}  inclusion {:.4}  exclusion {:.4}",
            r.name, c.recall, c.precision, c.combined, c.inclusion, c.exclusion
        );
    }
    if let Some(out) = &a.json {
        let doc = json!({
            "recording": a.recording,
            "cache_key": rec.cache_key,
            "options": {
                "truth": opt.truth,
                "energy_fraction": opt.energy_fraction,
                "iou_threshold": opt.iou_threshold,
                "snr_threshold": opt.snr_threshold,
                "spike_tolerance_frames": opt.spike_tolerance_frames,
                "spike_threshold": opt.spike_threshold,
                "shift_convention": opt.shift_convention,
                "centre_threshold_px": opt.centre_threshold_px,
            },
            "reports": reports,
        });
        write_atomic(
            out,
            &serde_json::to_string_pretty(&doc).expect("serialisable"),
        )?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

pub fn export_rois(a: ExportArgs) -> anyhow::Result<()> {
    let rec = load(&a.recording)?;
    let (h, w) = rec.truth.vignette.dim();
    let fraction = a.matching.energy_fraction;
    input(
        Options {
            energy_fraction: fraction,
            snr_threshold: a.matching.snr_threshold,
            ..Default::default()
        }
        .check(),
    )?;
    let sets: Vec<Vec<u32>> = match &a.footprints {
        Some(p) => input(read_footprints(p, h, w, order(a.matching.pixel_order)))?
            .binarized(fraction)
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect(),
        None => {
            let (ids, sets) = score::truth_regions(&rec, a.matching.truth.into(), fraction);
            let snr = &rec.truth.cells.peak_snr;
            ids.into_iter()
                .zip(sets)
                .filter(|(c, _)| !a.detectable_only || snr[*c] >= a.matching.snr_threshold)
                .map(|(_, s)| s)
                .collect()
        }
    };
    let regions: Vec<serde_json::Value> = sets
        .iter()
        .map(|s| {
            let coords: Vec<[usize; 2]> = s
                .iter()
                .map(|&p| [p as usize / w, p as usize % w])
                .collect();
            json!({ "coordinates": coords })
        })
        .collect();
    write_atomic(
        &a.output,
        &serde_json::to_string(&regions).expect("serialisable"),
    )?;
    eprintln!("wrote {} regions to {}", regions.len(), a.output.display());
    Ok(())
}
