//! Apparent cell scale: the spatial width of what changes in the movie.
//!
//! Definition: each frame less the mean image of the frames of its own parity (even
//! or odd), high-passed by subtracting its Gaussian blur of σ = [`HIGH_PASS_UM`]
//! (out-of-focus background, slow neuropil), gives fₜ. Adjacent frames have opposite
//! parities, so their subtracted means share no frame and no noise: with one mean
//! for all, its noise (σ²/T per pixel) would appear in every pair's product. The spatial cross-covariance of *adjacent* frames,
//! C(d) = Σₜ Σₓ fₜ(x)·fₜ₊₁(x + d) for shifts d along rows and columns, keeps what
//! lasts longer than a frame (calcium transients, which decay over hundreds of ms)
//! and drops what does not (shot and read noise, independent between frames), so it
//! needs no noise model. The apparent cell scale is the half width at half maximum
//! of C(d)/C(0), linearly interpolated and averaged over the two axes, in µm.
//!
//! For Gaussian blobs of SD σ at random positions, C is a Gaussian of SD σ√2 and the
//! scale is 2σ√(ln 2) ≈ 1.665σ. It is what a 1P movie shows, a soma blurred by the
//! point-spread function and scattering, not the soma's own radius.

use ndarray::{Array2, Array3, Axis, s};
use rayon::prelude::*;

use crate::filter::gauss_blur;

/// σ of the blur subtracted as the background, µm.
pub const HIGH_PASS_UM: f64 = 20.0;

/// Largest shift examined, µm (the scale is `None` if C has not halved by then).
pub const MAX_SHIFT_UM: f64 = 25.0;

/// Frames used (the first ones): 99 adjacent pairs bound the cost.
pub const MAX_FRAMES: usize = 100;

/// Pixel-frames used at most (2²⁴): a large frame uses fewer frames, down to
/// [`MIN_FRAMES`]. What the estimate sees is cells × transients, which grows with
/// area × time, so the budget keeps its precision while bounding the cost (a
/// 1280 × 800 frame uses 16 frames; frames up to 409 × 409 px use 100).
pub const MAX_PIXEL_FRAMES: usize = 1 << 24;

/// Frames used at least, whatever the frame size.
pub const MIN_FRAMES: usize = 10;

/// The apparent cell scale (HWHM, µm) of `movie` with pixels of `pixel_um`; `None`
/// with fewer than 3 frames, no temporal structure (C(0) ≤ 0) or no half-maximum
/// within [`MAX_SHIFT_UM`].
pub fn apparent_cell_scale_um(movie: &Array3<f32>, pixel_um: f64) -> Option<f64> {
    let (t, h, w) = movie.dim();
    let t = t
        .min(MAX_FRAMES)
        .min((MAX_PIXEL_FRAMES / (h * w).max(1)).max(MIN_FRAMES));
    let max_shift = ((MAX_SHIFT_UM / pixel_um).ceil() as usize).min(h.min(w) / 4);
    if t < 3 || max_shift < 2 {
        return None;
    }
    let movie = movie.slice(s![..t, .., ..]);
    let means = [
        movie.slice(s![0..;2, .., ..]).mean_axis(Axis(0))?,
        movie.slice(s![1..;2, .., ..]).mean_axis(Axis(0))?,
    ];
    let high_pass = |f: usize| -> Array2<f32> {
        let d = &movie.slice(s![f, .., ..]) - &means[f % 2];
        let mut low = d.clone();
        gauss_blur(&mut low, HIGH_PASS_UM / pixel_um);
        d - low
    };
    let mut c = [vec![0.0f64; max_shift + 1], vec![0.0f64; max_shift + 1]];
    // High-passed frames in parallel batches (the blur dominates the cost), then
    // the adjacent pairs in order.
    let mut last: Option<Array2<f32>> = None;
    for start in (0..t).step_by(BATCH) {
        let batch: Vec<Array2<f32>> = (start..(start + BATCH).min(t))
            .into_par_iter()
            .map(high_pass)
            .collect();
        for next in batch {
            if let Some(prev) = last.take() {
                for (d, [sx, sy]) in shifted_sums(&prev, &next, max_shift)
                    .into_iter()
                    .enumerate()
                {
                    c[0][d] += sx;
                    c[1][d] += sy;
                }
            }
            last = Some(next);
        }
    }
    let mut widths = Vec::new();
    for axis in &c {
        if axis[0] <= 0.0 {
            return None;
        }
        let half = axis[0] / 2.0;
        let d = (1..=max_shift).find(|&d| axis[d] <= half)?;
        let (a, b) = (axis[d - 1], axis[d]);
        widths.push((d - 1) as f64 + (a - half) / (a - b));
    }
    Some(widths.iter().sum::<f64>() / widths.len() as f64 * pixel_um)
}

/// Frames high-passed at once.
const BATCH: usize = 8;

/// C(d) of one adjacent pair for d = 0..=`max_shift`, `[along rows, along columns]`,
/// each normalised by its number of products. Rows: shift along x; columns: shift
/// along y; both directions of each shift, so C is symmetric whatever the drift
/// between frames. Each shift's sums are taken in a fixed order, so the result does
/// not depend on threads.
fn shifted_sums(prev: &Array2<f32>, next: &Array2<f32>, max_shift: usize) -> Vec<[f64; 2]> {
    let (h, w) = prev.dim();
    let (p, n) = (
        prev.as_slice().expect("standard layout"),
        next.as_slice().expect("standard layout"),
    );
    (0..=max_shift)
        .into_par_iter()
        .map(|d| {
            let sx: f64 = p
                .chunks_exact(w)
                .zip(n.chunks_exact(w))
                .map(|(pr, nr)| lagged(pr, nr, d))
                .sum();
            let sy = lagged(p, n, d * w);
            [sx / (h * (w - d)) as f64, sy / ((h - d) * w) as f64]
        })
        .collect()
}

/// Σₓ a(x)·b(x + d) + b(x)·a(x + d) over the x for which x + d is in both slices
/// (one row pair, or whole frames with d a multiple of the width).
fn lagged(a: &[f32], b: &[f32], d: usize) -> f64 {
    let m = a.len() - d;
    a[..m]
        .iter()
        .zip(&b[d..])
        .map(|(&u, &v)| u as f64 * v as f64)
        .sum::<f64>()
        + b[..m]
            .iter()
            .zip(&a[d..])
            .map(|(&u, &v)| u as f64 * v as f64)
            .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_steps::Stream;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    /// Blobs of SD `sigma` px on a grid (jittered, not overlapping), each with an
    /// AR(1) amplitude (correlation 0.8 frame to frame), in white noise of SD 2 over
    /// blob amplitudes of SD 10, a static background and a slow global drift.
    fn blobs(sigma: f64, noise: f64, seed: u64) -> Array3<f32> {
        let (t, n, step) = (60, 192, 24);
        let mut rng = Stream::seed_from_u64(seed);
        let centres: Vec<(f64, f64)> = (0..n / step)
            .flat_map(|i| (0..n / step).map(move |j| (i, j)))
            .map(|(i, j)| {
                (
                    (i * step + step / 2) as f64 + rng.random_range(-2.0..2.0),
                    (j * step + step / 2) as f64 + rng.random_range(-2.0..2.0),
                )
            })
            .collect::<Vec<_>>();
        let mut amp = vec![0.0f64; centres.len()];
        let mut movie = Array3::<f32>::zeros((t, n, n));
        for f in 0..t {
            for a in amp.iter_mut() {
                let z: f64 = StandardNormal.sample(&mut rng);
                *a = 0.8 * *a + 0.6 * 10.0 * z;
            }
            for y in 0..n {
                for x in 0..n {
                    let mut v = 100.0 + 0.05 * x as f64 + 0.5 * f as f64;
                    for (&(cy, cx), &a) in centres.iter().zip(&amp) {
                        let r2 = (y as f64 - cy).powi(2) + (x as f64 - cx).powi(2);
                        if r2 < 36.0 * sigma * sigma {
                            v += a * (-r2 / (2.0 * sigma * sigma)).exp();
                        }
                    }
                    let z: f64 = StandardNormal.sample(&mut rng);
                    movie[[f, y, x]] = (v + noise * z) as f32;
                }
            }
        }
        movie
    }

    #[test]
    fn gaussian_blobs_have_a_scale_of_1_665_sigma() {
        // 2σ√(ln 2) with σ = 2 px at 1 µm/px: 3.33 µm. The high-pass (σ 20 px)
        // narrows a blob's autocorrelation by about (σ/20)², 1 % (4 % at σ = 4);
        // linear interpolation at the half maximum and the 64 blobs' sampling add a
        // few %: 8 % tolerance.
        let (sigma, px) = (2.0, 1.0);
        let expected = 2.0 * sigma * (2f64.ln()).sqrt() * px;
        let s = apparent_cell_scale_um(&blobs(sigma, 2.0, 1), px).unwrap();
        assert!((s / expected - 1.0).abs() < 0.08, "{s} vs {expected}");
        // Twice the blobs' size: twice the scale.
        let s2 = apparent_cell_scale_um(&blobs(2.0 * sigma, 2.0, 2), px).unwrap();
        assert!((s2 / (2.0 * expected) - 1.0).abs() < 0.08, "{s2}");
    }

    #[test]
    fn frame_noise_does_not_widen_or_narrow_it() {
        // Noise as large as the blobs' amplitude SD (5× the first test's): adjacent
        // frames' noise is independent, so the scale stays within the same tolerance.
        let (sigma, px) = (2.0, 1.0);
        let expected = 2.0 * sigma * (2f64.ln()).sqrt() * px;
        let s = apparent_cell_scale_um(&blobs(sigma, 10.0, 4), px).unwrap();
        assert!((s / expected - 1.0).abs() < 0.08, "{s} vs {expected}");
    }
}
