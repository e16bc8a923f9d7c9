//! One score report per estimate, and the two baselines that bracket every score.
//!
//! The ground-truth set is every cell with a non-empty binarised footprint in the FOV,
//! in cell-id order (`truth_regions`); the detectable set is its subset with
//! `peak_snr ≥ Options::snr_threshold`. One matching serves both: precision is
//! matched / estimates, recall is matched / truth cells, and the detectable recall is
//! matched detectable cells / detectable cells (finding a cell too dim to be
//! detectable is not a false positive). Trace and spike scores are over matched pairs.

use minisim_render::{DETECTABLE_SNR, Movie, Recording};
use ndarray::Array2;
use serde::Serialize;

use crate::error::ScoreError;
use crate::fields::field_pearson;
use crate::footprints::Footprints;
use crate::matching::match_footprints;
use crate::motion::{ShiftConvention, rmse};
use crate::neurofinder::{self, Centers, centers};
use crate::spikes::Pooled;
use crate::traces::pearson;
use crate::{ENERGY_FRACTION, IOU_THRESHOLD, harmonic, ratio};

/// Which true footprint a result is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truth {
    /// The ballistic core: the cell's image through the PSF, no scattered halo (what
    /// demixing extractors recover; the default).
    #[default]
    Core,
    /// Core + scattered halo: all the light the cell puts on the sensor.
    Total,
}

impl Truth {
    /// `"core"` or `"total"`.
    pub fn name(self) -> &'static str {
        match self {
            Truth::Core => "core",
            Truth::Total => "total",
        }
    }

    /// The ground truth's footprints of this kind.
    pub fn footprints(self, rec: &Recording) -> &minisim_render::Csr {
        match self {
            Truth::Core => &rec.truth.core_footprints,
            Truth::Total => &rec.truth.footprints,
        }
    }
}

/// Scoring options; `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The true footprints matched against (default: the cores).
    pub truth: Truth,
    /// Energy fraction kept when binarising footprints, in (0, 1].
    pub energy_fraction: f64,
    /// IoU from which a pair matches, in [0, 1].
    pub iou_threshold: f64,
    /// Expected peak SNR from which a cell is detectable, ≥ 0.
    pub snr_threshold: f64,
    /// Spike matching tolerance, ± frames.
    pub spike_tolerance_frames: u64,
    /// Estimated spike arrays: a frame with a value above this is an event.
    pub spike_threshold: f64,
    /// Meaning of estimated shifts.
    pub shift_convention: ShiftConvention,
    /// neurofinder's centre-distance threshold, px.
    pub centre_threshold_px: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            truth: Truth::Core,
            energy_fraction: ENERGY_FRACTION,
            iou_threshold: IOU_THRESHOLD,
            snr_threshold: DETECTABLE_SNR,
            spike_tolerance_frames: 2,
            spike_threshold: 0.0,
            shift_convention: ShiftConvention::Correction,
            centre_threshold_px: neurofinder::THRESHOLD_PX,
        }
    }
}

impl Options {
    /// Check every option's range; the error names the option.
    pub fn check(&self) -> Result<(), ScoreError> {
        let bad = |option, rule, value| {
            Err(ScoreError::Option {
                option,
                rule,
                value,
            })
        };
        if !(self.energy_fraction > 0.0 && self.energy_fraction <= 1.0) {
            return bad("energy_fraction", "in (0, 1]", self.energy_fraction);
        }
        if !(0.0..=1.0).contains(&self.iou_threshold) {
            return bad("iou_threshold", "in [0, 1]", self.iou_threshold);
        }
        if self.snr_threshold.is_nan() || self.snr_threshold < 0.0 {
            return bad("snr_threshold", "≥ 0", self.snr_threshold);
        }
        if !self.spike_threshold.is_finite() {
            return bad("spike_threshold", "finite", self.spike_threshold);
        }
        if self.centre_threshold_px.is_nan() || self.centre_threshold_px <= 0.0 {
            return bad("centre_threshold_px", "> 0", self.centre_threshold_px);
        }
        Ok(())
    }
}

/// An extraction result to score. Arrays are `f64` whatever their file dtype.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimate {
    /// Label in reports.
    pub name: String,
    /// Spatial footprints (n components).
    pub footprints: Footprints,
    /// Temporal traces, `(n, frames)`, any unit.
    pub traces: Option<Array2<f64>>,
    /// Spikes or deconvolved activity, `(n, frames)`; values above the threshold are events.
    pub spikes: Option<Array2<f64>>,
    /// Rigid shifts `[dy, dx]` per frame, `(frames, 2)`, px.
    pub shifts: Option<Array2<f64>>,
    /// Estimated vignette (or background) field, `(H, W)`.
    pub vignette: Option<Array2<f64>>,
    /// Estimated leakage / dark field, `(H, W)`.
    pub leakage: Option<Array2<f64>>,
}

/// Scores of one estimate against one recording (serialised as the CLI's JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The estimate's label.
    pub name: String,
    /// Estimated components.
    pub estimates: usize,
    /// Ground-truth cells with a footprint in the FOV.
    pub truth_cells: usize,
    /// Of those, detectable cells.
    pub detectable_cells: usize,
    /// Matched pairs (IoU ≥ threshold).
    pub matched: usize,
    /// Matched pairs whose cell is detectable.
    pub matched_detectable: usize,
    /// matched / estimates.
    pub precision: f64,
    /// matched / truth cells.
    pub recall: f64,
    /// F1 of precision and recall.
    pub f1: f64,
    /// matched detectable / detectable cells.
    pub recall_detectable: f64,
    /// F1 of precision and the detectable recall.
    pub f1_detectable: f64,
    /// Mean IoU of the matched pairs (0 without matches).
    pub mean_iou: f64,
    /// neurofinder's centre-distance scores on the same regions.
    pub neurofinder: Centers,
    /// Median Pearson r of matched traces with the true ΔF/F.
    pub trace_r_median: Option<f64>,
    /// Mean Pearson r of matched traces.
    pub trace_r_mean: Option<f64>,
    /// Median Pearson r of the oracle's traces on the same matched cells (the ceiling
    /// for this estimate's cells; set by [`with_ceiling`]).
    pub trace_r_oracle_same_cells: Option<f64>,
    /// Ground-truth cell ids of the matched pairs (not serialised).
    #[serde(skip)]
    pub matched_cells: Vec<usize>,
    /// Pooled spike precision over matched pairs (± tolerance frames).
    pub spike_precision: Option<f64>,
    /// Pooled spike recall over matched pairs.
    pub spike_recall: Option<f64>,
    /// F1 of spike precision and recall.
    pub spike_f1: Option<f64>,
    /// Motion RMSE, px, after removing the constant offset.
    pub motion_rmse_px: Option<f64>,
    /// Pearson r of the estimated displacement with the true one, `[dy, dx]`.
    pub motion_r: Option<[f64; 2]>,
    /// Least-squares slope of the estimated displacement on the true one, `[dy, dx]`
    /// (1 = right amplitude).
    pub motion_gain: Option<[f64; 2]>,
    /// Pearson r of the vignette estimate with the true vignette.
    pub vignette_r: Option<f64>,
    /// Pearson r of the leakage estimate with the true leakage.
    pub leakage_r: Option<f64>,
}

fn fov(rec: &Recording) -> (usize, usize) {
    rec.truth.vignette.dim()
}

/// The ground-truth regions: (cell ids, binarised footprints of kind `truth`), for
/// every cell whose binarised footprint in the FOV is non-empty, in id order.
/// `export-rois` writes these, so neurofinder sees the same set.
pub fn truth_regions(
    rec: &Recording,
    truth: Truth,
    energy_fraction: f64,
) -> (Vec<usize>, Vec<Vec<u32>>) {
    let (h, w) = fov(rec);
    let sets = Footprints::from_csr(truth.footprints(rec), h, w).binarized(energy_fraction);
    sets.into_iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .unzip()
}

/// Whether cell `c` is detectable: expected peak SNR ≥ `opt.snr_threshold`.
fn detectable(rec: &Recording, c: usize, opt: &Options) -> bool {
    rec.truth
        .cells
        .peak_snr
        .get(c)
        .is_some_and(|&s| s >= opt.snr_threshold)
}

/// Frames in which a cell fires (0-based, deduplicated), from spike times in s.
fn spike_frames(times_s: &[f64], rate_hz: f64, frames: usize) -> Vec<u64> {
    let mut f: Vec<u64> = times_s
        .iter()
        .filter(|&&t| t >= 0.0)
        .map(|&t| (t * rate_hz).floor() as u64)
        .filter(|&f| (f as usize) < frames)
        .collect();
    f.dedup();
    f
}

fn check_rows(
    what: &'static str,
    a: &Array2<f64>,
    rows: usize,
    cols: usize,
    meaning: &str,
) -> Result<(), ScoreError> {
    if a.dim() != (rows, cols) {
        return Err(ScoreError::Mismatch {
            what,
            reason: format!("shape {:?} but {meaning} need ({rows}, {cols})", a.shape()),
        });
    }
    Ok(())
}

/// Score `est` against the ground truth of `rec`.
pub fn score(rec: &Recording, est: &Estimate, opt: &Options) -> Result<Report, ScoreError> {
    opt.check()?;
    let (h, w) = fov(rec);
    let frames = rec.observed.frames().max(rec.truth.motion_px.nrows());
    let fp = &est.footprints;
    if (fp.height, fp.width) != (h, w) {
        return Err(ScoreError::Mismatch {
            what: "footprints",
            reason: format!(
                "the estimate is {}×{} px but the recording is {h}×{w}",
                fp.height, fp.width
            ),
        });
    }
    let n = fp.len();
    let (ids, truth) = truth_regions(rec, opt.truth, opt.energy_fraction);
    let detectable: Vec<bool> = ids.iter().map(|&c| detectable(rec, c, opt)).collect();
    let sets = fp.binarized(opt.energy_fraction);
    let m = match_footprints(&truth, &sets, opt.iou_threshold);
    let n_det = detectable.iter().filter(|&&d| d).count();
    let matched_det = m.pairs.iter().filter(|p| detectable[p.truth]).count();
    let precision = m.precision();
    let recall_det = ratio(matched_det, n_det);
    let mut report = Report {
        name: est.name.clone(),
        estimates: n,
        truth_cells: truth.len(),
        detectable_cells: n_det,
        matched: m.pairs.len(),
        matched_detectable: matched_det,
        precision,
        recall: m.recall(),
        f1: m.f1(),
        recall_detectable: recall_det,
        f1_detectable: harmonic(precision, recall_det),
        mean_iou: if m.pairs.is_empty() {
            0.0
        } else {
            m.pairs.iter().map(|p| p.iou).sum::<f64>() / m.pairs.len() as f64
        },
        neurofinder: centers(&truth, &sets, w, opt.centre_threshold_px),
        trace_r_median: None,
        trace_r_mean: None,
        trace_r_oracle_same_cells: None,
        matched_cells: m.pairs.iter().map(|p| ids[p.truth]).collect(),
        spike_precision: None,
        spike_recall: None,
        spike_f1: None,
        motion_rmse_px: None,
        motion_r: None,
        motion_gain: None,
        vignette_r: None,
        leakage_r: None,
    };
    let dff = &rec.truth.calcium_dff;
    if let Some(traces) = &est.traces {
        check_rows("traces", traces, n, frames, "(components, frames)")?;
        if dff.ncols() != frames {
            return Err(ScoreError::Missing {
                what: "ΔF/F traces",
                reason: "the spec has no calcium step".into(),
            });
        }
        let mut r: Vec<f64> = m
            .pairs
            .iter()
            .map(|p| {
                let truth: Vec<f64> = dff.row(ids[p.truth]).iter().map(|&v| v as f64).collect();
                pearson(&truth, &traces.row(p.estimate).to_vec())
            })
            .collect();
        if !r.is_empty() {
            report.trace_r_mean = Some(r.iter().sum::<f64>() / r.len() as f64);
            report.trace_r_median = Some(median(&mut r));
        }
    }
    if let Some(spikes) = &est.spikes {
        check_rows("spikes", spikes, n, frames, "(components, frames)")?;
        let rate = rec.spec.acquisition().frame_rate_hz;
        let mut pooled = Pooled::default();
        for p in &m.pairs {
            let truth = rec
                .truth
                .spikes
                .get(ids[p.truth])
                .map_or(Vec::new(), |t| spike_frames(t, rate, frames));
            let estimate: Vec<u64> = spikes
                .row(p.estimate)
                .iter()
                .enumerate()
                .filter(|&(_, &v)| v > opt.spike_threshold)
                .map(|(f, _)| f as u64)
                .collect();
            pooled.add(&truth, &estimate, opt.spike_tolerance_frames);
        }
        report.spike_precision = Some(pooled.precision());
        report.spike_recall = Some(pooled.recall());
        report.spike_f1 = Some(pooled.f1());
    }
    if let Some(shifts) = &est.shifts {
        check_rows("shifts", shifts, frames, 2, "(frames, [dy, dx])")?;
        let truth: Vec<[f64; 2]> = rec
            .truth
            .motion_px
            .rows()
            .into_iter()
            .map(|r| [r[0], r[1]])
            .collect();
        let estimate: Vec<[f64; 2]> = shifts.rows().into_iter().map(|r| [r[0], r[1]]).collect();
        report.motion_rmse_px = Some(rmse(&truth, &estimate, opt.shift_convention));
        report.motion_r = Some(crate::motion::correlation(
            &truth,
            &estimate,
            opt.shift_convention,
        ));
        report.motion_gain = Some(crate::motion::gain(&truth, &estimate, opt.shift_convention));
    }
    if let Some(v) = &est.vignette {
        report.vignette_r = Some(field_pearson(&rec.truth.vignette, v)?);
    }
    if let Some(l) = &est.leakage {
        report.leakage_r = Some(field_pearson(&rec.truth.leakage, l)?);
    }
    Ok(report)
}

/// Median of a non-empty list (sorts it).
fn median(r: &mut [f64]) -> f64 {
    r.sort_by(f64::total_cmp);
    let k = r.len();
    if k % 2 == 1 {
        r[k / 2]
    } else {
        (r[k / 2 - 1] + r[k / 2]) / 2.0
    }
}

/// Fill `report.trace_r_oracle_same_cells`: the median trace r of `oracle` (an
/// estimate from [`oracle`], whose rows are the detectable cells in id order) on the
/// cells `report` matched and the oracle covers. A method's trace r is judged against
/// this: the readout a perfect-spatial-knowledge extractor gets on the same cells.
pub fn with_ceiling(
    mut report: Report,
    rec: &Recording,
    oracle: &Estimate,
    opt: &Options,
) -> Report {
    let Some(traces) = &oracle.traces else {
        return report;
    };
    if report.trace_r_median.is_none() {
        return report;
    }
    let rows: Vec<usize> = (0..rec.truth.cells.len())
        .filter(|&c| detectable(rec, c, opt))
        .collect();
    let dff = &rec.truth.calcium_dff;
    let mut r: Vec<f64> = report
        .matched_cells
        .iter()
        .filter_map(|&c| rows.binary_search(&c).ok().map(|row| (c, row)))
        .filter(|&(c, _)| c < dff.nrows() && dff.ncols() == traces.ncols())
        .map(|(c, row)| {
            let truth: Vec<f64> = dff.row(c).iter().map(|&v| v as f64).collect();
            pearson(&truth, &traces.row(row).to_vec())
        })
        .collect();
    if !r.is_empty() {
        report.trace_r_oracle_same_cells = Some(median(&mut r));
    }
    report
}

/// Flat pixel values of frame `t`.
fn frame(movie: &Movie, t: usize, out: &mut Vec<f64>) {
    out.clear();
    match movie {
        Movie::Counts(a) => out.extend(a.index_axis(ndarray::Axis(0), t).iter().map(|&v| v as f64)),
        Movie::Intensity(a) => {
            out.extend(a.index_axis(ndarray::Axis(0), t).iter().map(|&v| v as f64))
        }
    }
}

/// Mean of the movie over each pixel set, per frame: `(sets, frames)`. Empty sets
/// give zeros.
pub fn roi_traces(movie: &Movie, sets: &[Vec<u32>]) -> Array2<f64> {
    let frames = movie.frames();
    let mut out = Array2::zeros((sets.len(), frames));
    let mut buf = Vec::new();
    for t in 0..frames {
        frame(movie, t, &mut buf);
        for (i, set) in sets.iter().enumerate() {
            if !set.is_empty() {
                out[[i, t]] = set.iter().map(|&p| buf[p as usize]).sum::<f64>() / set.len() as f64;
            }
        }
    }
    out
}

/// The oracle, a ceiling for every score: footprints are the true footprints (of kind
/// `opt.truth`) of the detectable cells; traces are the movie demixed with perfect
/// spatial knowledge (`demix`: least squares on every cell's true total footprint as
/// the sensor sees it, frames registered with the true motion, a fitted low-rank
/// background, divided by the photon gain). Its detectable recall and precision are 1
/// by construction.
pub fn oracle(rec: &Recording, opt: &Options) -> Estimate {
    let (h, w) = fov(rec);
    let cells = &rec.truth.cells;
    let detectable = |c: usize| detectable(rec, c, opt);
    let footprints = Footprints::from_csr(opt.truth.footprints(rec), h, w).select(detectable);
    // Demix over every cell with light in the FOV, as the sensor sees it.
    let mut sensor = Footprints::from_csr(&rec.truth.footprints, h, w);
    let t = &rec.truth;
    let transmission: Vec<f32> = (0..h * w)
        .map(|p| {
            let (y, x) = (p / w, p % w);
            t.vignette[[y, x]] * t.dust[[y, x]] * t.vessels[[y, x]]
        })
        .collect();
    for (idx, wts) in sensor.indices.iter().zip(sensor.weights.iter_mut()) {
        for (&p, v) in idx.iter().zip(wts.iter_mut()) {
            *v *= transmission[p as usize];
        }
    }
    let lit: Vec<usize> = (0..sensor.len())
        .filter(|&c| !sensor.indices[c].is_empty())
        .collect();
    let sensor = sensor.select(|c| !sensor.indices[c].is_empty());
    let rank = (t.neuropil_components.shape()[0] + 2).min(MAX_BACKGROUND_RANK);
    let demixed = crate::demix::demix(rec, &sensor, rank);
    let frames = demixed.ncols();
    let keep: Vec<usize> = (0..cells.len()).filter(|&c| detectable(c)).collect();
    let traces = Array2::from_shape_fn((keep.len(), frames), |(i, f)| {
        lit.binary_search(&keep[i])
            .map_or(0.0, |row| demixed[[row, f]])
    });
    Estimate {
        name: "oracle".into(),
        traces: Some(traces),
        footprints,
        ..Default::default()
    }
}

/// Largest background rank of the oracle's demixing (neuropil components + 2: the
/// frame-mean illumination and one more slow mode).
pub const MAX_BACKGROUND_RANK: usize = 10;

/// A naive extractor: threshold a peak-to-noise image and read out its connected
/// components.
///
/// 1. Peak-to-noise image: per pixel, (max over frames of a 3-frame running mean −
///    the temporal mean) / the frame-difference noise (RMS of x(t+1) − x(t) over √2);
/// 2. local background removed by subtracting a box mean of side 4 soma diameters;
/// 3. pixels above median + 3·(1.4826·MAD) of that image, 4-connected components;
/// 4. components with an area between π(r/2)² and π(3r)² (r = mean soma radius in
///    px) are kept, weighted by the image; traces as in `roi_traces`.
pub fn threshold_rois(rec: &Recording, opt: &Options) -> Estimate {
    let (h, w) = fov(rec);
    let movie = &rec.observed;
    let frames = movie.frames();
    let px = h * w;
    let mut image = vec![0f64; px];
    if frames >= 3 {
        let (mut sum, mut diff2) = (vec![0f64; px], vec![0f64; px]);
        let mut peak = vec![f64::NEG_INFINITY; px];
        let mut window: Vec<Vec<f64>> = vec![Vec::new(), Vec::new(), Vec::new()];
        for t in 0..frames {
            let mut cur = Vec::new();
            frame(movie, t, &mut cur);
            if t > 0 {
                let prev = &window[(t - 1) % 3];
                for p in 0..px {
                    diff2[p] += (cur[p] - prev[p]).powi(2);
                }
            }
            for p in 0..px {
                sum[p] += cur[p];
            }
            window[t % 3] = cur;
            if t >= 2 {
                for p in 0..px {
                    let m = (window[0][p] + window[1][p] + window[2][p]) / 3.0;
                    peak[p] = peak[p].max(m);
                }
            }
        }
        for p in 0..px {
            let mean = sum[p] / frames as f64;
            let noise = (diff2[p] / (frames - 1) as f64 / 2.0).sqrt().max(1e-9);
            image[p] = (peak[p] - mean) / noise;
        }
    }
    let pixel_um = rec.spec.observed_pixel_um();
    let radius_px = rec
        .spec
        .place_neurons()
        .map_or(6.0, |p| p.soma_radius_mean_um)
        / pixel_um;
    let half = (4.0 * radius_px).round().max(1.0) as usize;
    let local = box_mean(&image, h, w, half);
    let flat: Vec<f64> = image.iter().zip(&local).map(|(a, b)| a - b).collect();
    let mut sorted = flat.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let mut dev: Vec<f64> = flat.iter().map(|v| (v - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = dev.get(dev.len() / 2).copied().unwrap_or(0.0);
    let threshold = median + 3.0 * 1.4826 * mad;
    let (min_area, max_area) = (
        std::f64::consts::PI * (radius_px / 2.0).powi(2),
        std::f64::consts::PI * (3.0 * radius_px).powi(2),
    );
    let mut label = vec![false; px];
    let mut footprints = Footprints {
        height: h,
        width: w,
        ..Default::default()
    };
    for start in 0..px {
        if label[start] || flat[start] <= threshold {
            continue;
        }
        let mut stack = vec![start];
        label[start] = true;
        let mut comp = Vec::new();
        while let Some(p) = stack.pop() {
            comp.push(p as u32);
            let (y, x) = (p / w, p % w);
            let mut visit = |q: usize| {
                if !label[q] && flat[q] > threshold {
                    label[q] = true;
                    stack.push(q);
                }
            };
            if y > 0 {
                visit(p - w);
            }
            if y + 1 < h {
                visit(p + w);
            }
            if x > 0 {
                visit(p - 1);
            }
            if x + 1 < w {
                visit(p + 1);
            }
        }
        let area = comp.len() as f64;
        if area >= min_area && area <= max_area {
            comp.sort_unstable();
            footprints
                .weights
                .push(comp.iter().map(|&p| flat[p as usize] as f32).collect());
            footprints.indices.push(comp);
        }
    }
    let sets = footprints.binarized(opt.energy_fraction);
    Estimate {
        name: "threshold-roi".into(),
        traces: Some(roi_traces(movie, &sets)),
        footprints,
        ..Default::default()
    }
}

/// Mean over a (2·half + 1)² box clipped at the edges (summed-area table).
fn box_mean(image: &[f64], h: usize, w: usize, half: usize) -> Vec<f64> {
    let mut sat = vec![0f64; (h + 1) * (w + 1)];
    for y in 0..h {
        for x in 0..w {
            sat[(y + 1) * (w + 1) + x + 1] =
                image[y * w + x] + sat[y * (w + 1) + x + 1] + sat[(y + 1) * (w + 1) + x]
                    - sat[y * (w + 1) + x];
        }
    }
    let mut out = vec![0f64; h * w];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(half), (y + half + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(half), (x + half + 1).min(w));
            let s = sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0]
                + sat[y0 * (w + 1) + x0];
            out[y * w + x] = s / ((y1 - y0) * (x1 - x0)) as f64;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mean_of_a_constant_is_the_constant() {
        let img = vec![2.5; 7 * 5];
        assert!(
            box_mean(&img, 7, 5, 2)
                .iter()
                .all(|&v| (v - 2.5).abs() < 1e-12)
        );
        let ramp: Vec<f64> = (0..9).map(|i| i as f64).collect();
        // 3×3 image, half 1: centre pixel = mean of all 9 = 4.
        assert!((box_mean(&ramp, 3, 3, 1)[4] - 4.0).abs() < 1e-12);
    }

    #[test]
    fn options_out_of_range_name_the_option() {
        let o = Options {
            energy_fraction: 0.0,
            ..Default::default()
        };
        assert!(
            o.check()
                .unwrap_err()
                .to_string()
                .contains("energy_fraction")
        );
        let o = Options {
            iou_threshold: 1.5,
            ..Default::default()
        };
        assert!(o.check().unwrap_err().to_string().contains("iou_threshold"));
        assert!(Options::default().check().is_ok());
    }
}
