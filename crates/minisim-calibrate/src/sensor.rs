//! The sensor from the movie: bit depth and clipping, conversion gain, black level,
//! read noise and row noise.
//!
//! **Photon transfer.** A pixel with mean μ (DN) under shot noise, read noise σ_r (e⁻)
//! and quantisation (1 DN steps) has temporal variance v = g·(μ − b′) + g²σ_r² + 1/12,
//! g the gain (DN/e⁻) and b′ the mean of an unlit pixel. The 4-neighbour high-pass of
//! frame differences, D = d − ¼Σ_N d (see [`crate::accumulate`]), cancels signals that
//! are slow in time or smooth in space, and for independent pixel noise
//! E[½D²] = v_i + (1/16)·Σ_N v_j. With v linear in μ this is exactly
//! y_i = g·m_i + 1.25·c + 0.375·s, where m_i = μ_i + (1/16)·Σ_N μ_j,
//! c = g²σ_r² + 1/12 − g·b′ and s the row-noise variance (DN²): the row term survives
//! the high-pass with weight ¼ + 2/16. The fit: pixels (not clipped, nor next to a
//! clipped one) in 64 equal-count bins of m; each bin's median y (corrected by
//! 1 + 1/(T−1) for the median of a χ² with ≈ 2(T−1)/3 degrees of freedom), weighted
//! least squares with weights 1/y²; the slope's standard error from the residuals.
//!
//! **Row noise.** The second difference of row means of d, h_i = r_i − ½(r_{i−1} +
//! r_{i+1}), has E[h²] = 3s + (3/W)·v̄ (v̄ the mean pixel variance); with the
//! intercept above this gives s and c.
//!
//! **Black level.** The unlit pixels (outside the lens's image circle) have mean
//! b′ = b + g·n, n the electrons that reach them anyway (dark current, excitation
//! bleed-through). n cannot be told from b in a movie: it comes from the scope
//! preset's `leakage`, so b = b′ − g·n. Without unlit pixels the black level comes from
//! the scope preset. Read noise follows from c: σ_r² = (c + g·b′ − 1/12)/g² − n.
//! When g·σ_r < 0.5 DN quantisation dominates and σ_r is reported as a bound.

use minisim_stats::filter::gauss_blur;
use ndarray::Array2;

use crate::accumulate::Summary;
use crate::estimate::Estimate;

/// Equal-count bins of the photon-transfer fit.
const BINS: usize = 64;

/// The sensor's estimates.
#[derive(Debug, Clone)]
pub struct Sensor {
    /// ADC bits (`None` for non-integer data).
    pub bit_depth: Option<u32>,
    /// Fraction of samples at the ADC's largest count.
    pub clipped_fraction: f64,
    /// Conversion gain, DN/e⁻.
    pub gain_dn_per_e: Estimate,
    /// Mean of the unlit pixels, DN (black level plus leakage electrons × gain).
    pub dark_mean_dn: Option<f64>,
    /// Black level, DN.
    pub black_level_dn: Estimate,
    /// Read noise, e⁻ RMS.
    pub read_noise_e: Estimate,
    /// Row noise, e⁻ RMS.
    pub row_noise_e: Estimate,
    /// Unlit-pixel mask (the lens's image circle is its complement), when found.
    pub unlit: Option<Array2<bool>>,
    /// The fit's bins: `(m, y)` medians, for the report's noise-vs-mean figure.
    pub bins: Vec<(f64, f64)>,
    /// Pixels in the photon-transfer fit (interior, no clipped value nearby).
    pub transfer_pixels: usize,
}

/// What the scope preset says about what the movie cannot: electrons reaching an
/// unlit pixel per frame, and the black level and read noise to fall back on.
#[derive(Debug, Clone)]
pub struct SensorPrior {
    /// Where the priors come from, for the notes ("scope preset ucla-v4", or
    /// "default spec (no --scope)").
    pub source: String,
    /// Leakage electrons per frame in an unlit pixel.
    pub unlit_electrons: f64,
    /// Black level, DN.
    pub black_level_dn: f64,
    /// Read noise, e⁻.
    pub read_noise_e: f64,
}

/// Estimate the sensor from a summary.
pub fn estimate(sum: &Summary, prior: &SensorPrior) -> Sensor {
    let (h, w) = sum.mean.dim();
    let (bit_depth, full, clipped_fraction) = depth(&sum.hist);
    let quant = if sum.hist.is_empty() { 0.0 } else { 1.0 / 12.0 };
    // Pixels whose high-pass saw no clipped value.
    let clipped = |y: usize, x: usize| full.is_some_and(|f| sum.max[[y, x]] as f64 >= f);
    let mut pts: Vec<(f64, f64)> = Vec::with_capacity(h * w);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            if clipped(y, x)
                || clipped(y - 1, x)
                || clipped(y + 1, x)
                || clipped(y, x - 1)
                || clipped(y, x + 1)
            {
                continue;
            }
            let m = sum.mean[[y, x]]
                + (sum.mean[[y - 1, x]]
                    + sum.mean[[y + 1, x]]
                    + sum.mean[[y, x - 1]]
                    + sum.mean[[y, x + 1]])
                    / 16.0;
            pts.push((m, sum.hp_var[[y, x]]));
        }
    }
    let t = sum.frames.max(2) as f64;
    let (slope, intercept, slope_sd, bins) = fit(&mut pts, 1.0 + 1.0 / (t - 1.0));
    let g = slope.max(1e-9);
    // Row noise and the pixel intercept from the two equations.
    let mean_all = sum.mean.mean().unwrap_or(0.0);
    let hh = sum.row_h_sq;
    let wf = w as f64;
    let c = (intercept - 0.125 * hh + 0.375 * g * mean_all / wf) / (1.25 - 0.375 / wf);
    let s = ((hh - 3.0 / wf * (g * mean_all + c)) / 3.0).max(0.0);
    let row_noise_e = Estimate::measured(
        s.sqrt() / g,
        None,
        "second difference of row means of frame differences",
    );
    let unlit = unlit_mask(&sum.mean);
    let n = prior.unlit_electrons;
    let (dark_mean_dn, black, b_eff) = match &unlit {
        Some(mask) => {
            let (s, k) = sum
                .mean
                .iter()
                .zip(mask)
                .filter(|(_, m)| **m)
                .fold((0.0, 0usize), |(s, k), (v, _)| (s + v, k + 1));
            let dark = s / k as f64;
            let sd = sum
                .mean
                .iter()
                .zip(mask)
                .filter(|(_, m)| **m)
                .fold(0.0, |a, (v, _)| a + (v - dark).powi(2))
                / (k as f64 * (k as f64 - 1.0).max(1.0));
            (
                Some(dark),
                Estimate::measured(
                    dark - g * n,
                    Some(sd.sqrt()),
                    format!(
                        "mean of {k} unlit pixels ({dark:.2} DN) less {n:.2} leakage e⁻ × gain ({})",
                        prior.source
                    ),
                ),
                dark,
            )
        }
        None => (
            None,
            Estimate::prior(
                prior.black_level_dn,
                format!(
                    "no unlit pixels (the image circle fills the frame): {}",
                    prior.source
                ),
            ),
            prior.black_level_dn + g * n,
        ),
    };
    let var_e = (c + g * b_eff - quant) / (g * g) - n;
    let read_noise_e = if unlit.is_none() {
        Estimate::prior(
            prior.read_noise_e,
            format!(
                "read noise and black level are confounded without unlit pixels: {}",
                prior.source
            ),
        )
    } else if var_e <= 0.0 || var_e.sqrt() * g < 0.5 {
        Estimate::bound(
            (var_e.max(0.0).sqrt()).max(0.5 / g),
            "upper bound: read noise is below half a quantisation step",
        )
    } else {
        Estimate::measured(
            var_e.sqrt(),
            None,
            "photon-transfer intercept at the unlit pixels' mean, less quantisation and leakage shot noise",
        )
    };
    Sensor {
        bit_depth,
        clipped_fraction,
        gain_dn_per_e: Estimate::measured(
            g,
            Some(slope_sd),
            format!(
                "photon transfer over {} pixels: slope of high-passed temporal variance on mean",
                pts.len()
            ),
        ),
        dark_mean_dn,
        black_level_dn: black,
        read_noise_e,
        row_noise_e,
        unlit,
        bins,
        transfer_pixels: pts.len(),
    }
}

/// `(bit depth, full scale, clipped fraction)` from the histogram of integer values.
fn depth(hist: &[u64]) -> (Option<u32>, Option<f64>, f64) {
    let Some(top) = hist.iter().rposition(|&c| c > 0) else {
        return (None, None, 0.0);
    };
    let bits = [8u32, 10, 12, 14, 16]
        .into_iter()
        .find(|&b| top < (1usize << b))
        .unwrap_or(16);
    let full = (1usize << bits) - 1;
    let total: u64 = hist.iter().sum();
    let clipped = if top == full {
        hist[full] as f64 / total as f64
    } else {
        0.0
    };
    (Some(bits), Some(full as f64), clipped)
}

/// Weighted line through bin medians: `(slope, intercept, slope sd, bins)`.
fn fit(pts: &mut [(f64, f64)], median_correction: f64) -> (f64, f64, f64, Vec<(f64, f64)>) {
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let per = (pts.len() / BINS).max(1);
    let mut bins = Vec::new();
    for chunk in pts.chunks(per) {
        if chunk.len() < per / 2 {
            continue;
        }
        let mut m: Vec<f64> = chunk.iter().map(|p| p.0).collect();
        let mut y: Vec<f64> = chunk.iter().map(|p| p.1).collect();
        let mm = minisim_stats::filter::percentile(&mut m, 0.5);
        let ym = minisim_stats::filter::percentile(&mut y, 0.5) * median_correction;
        bins.push((mm, ym));
    }
    // Weights 1/y²: the scatter of a bin's median variance is proportional to it.
    let weighted: Vec<_> = bins
        .iter()
        .map(|&(x, y)| (x, y, 1.0 / (y * y).max(1e-12)))
        .collect();
    match crate::line::fit(&weighted) {
        Some(l) => (l.slope, l.intercept, l.slope_sd, bins),
        None => (0.0, 0.0, f64::INFINITY, bins),
    }
}

/// Pixels outside the image circle: the smoothed (σ = 3 px) mean image within 2 % of
/// the way from its 0.2 % quantile to its median. An unlit region is a plateau at the
/// floor; a lit frame's darkest corner is a slope, so `None` unless the plateau holds
/// at least 1 % of the frame (and 50 pixels).
pub fn unlit_mask(mean: &Array2<f64>) -> Option<Array2<bool>> {
    let mut smooth = mean.mapv(|v| v as f32);
    gauss_blur(&mut smooth, 3.0);
    let mut v: Vec<f64> = smooth.iter().map(|&x| x as f64).collect();
    let lo = minisim_stats::filter::percentile(&mut v, 0.002);
    let mid = minisim_stats::filter::percentile(&mut v, 0.5);
    let cut = lo + 0.02 * (mid - lo);
    let mask = smooth.mapv(|x| (x as f64) <= cut);
    let k = mask.iter().filter(|&&m| m).count();
    (k >= 50 && k as f64 >= 0.01 * mean.len() as f64 && mid > lo).then_some(mask)
}
