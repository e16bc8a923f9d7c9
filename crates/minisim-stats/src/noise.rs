//! Temporal against spatial noise, and how the noise of neighbouring pixels correlates.
//!
//! - [`ratio`]: std of (F_{t+1} − F_t)/√2 over the central pixels over Immerkær's
//!   (1996) single-frame noise estimate (Laplacian-of-differences kernel).
//! - [`neighbour_correlation`]: the frame differences d_t = F_{t+1} − F_t minus their
//!   σ = 4 px Gaussian blur (a spatial high-pass that removes the scene and slow
//!   background), then the Pearson correlation of horizontally and of vertically
//!   adjacent values (a border of 8 px dropped). A raw CMOS gives ≈ 0; resampling,
//!   binning or interpolation in the vendor's pipeline makes it positive.

use ndarray::{Array2, Array3, s};

use crate::filter::{PearsonSums, central, gauss_blur};

/// Frame-difference noise over pixel-scale noise.
pub fn ratio(movie: &Array3<f32>) -> f64 {
    let (t, h, w) = movie.dim();
    let px = central(h, w, 0.7);
    let mut sum2 = 0.0;
    let mut n = 0usize;
    for f in 1..t {
        for &(y, x) in &px {
            let d = (movie[[f, y, x]] - movie[[f - 1, y, x]]) as f64 / std::f64::consts::SQRT_2;
            sum2 += d * d;
            n += 1;
        }
    }
    let temporal = (sum2 / n.max(1) as f64).sqrt();
    // Immerkær: σ = √(π/2) / (6 N) Σ |I ∗ [[1,−2,1],[−2,4,−2],[1,−2,1]]|.
    let mut spatial = 0.0;
    let frames = t.min(100);
    for f in 0..frames {
        let (mut acc, mut cnt) = (0.0, 0usize);
        for &(y, x) in &px {
            if y == 0 || x == 0 || y + 1 >= h || x + 1 >= w {
                continue;
            }
            let v = |dy: isize, dx: isize| {
                movie[[f, (y as isize + dy) as usize, (x as isize + dx) as usize]] as f64
            };
            let l = v(-1, -1) + v(-1, 1) + v(1, -1) + v(1, 1)
                - 2.0 * (v(-1, 0) + v(1, 0) + v(0, -1) + v(0, 1))
                + 4.0 * v(0, 0);
            acc += l.abs();
            cnt += 1;
        }
        spatial += (std::f64::consts::PI / 2.0).sqrt() * acc / (6.0 * cnt.max(1) as f64);
    }
    temporal / (spatial / frames.max(1) as f64)
}

/// Border dropped by [`neighbour_correlation`], px.
const BORDER: usize = 8;

/// `[horizontal, vertical]` correlation of adjacent pixels' high-passed frame
/// differences, over the first 100 differences.
pub fn neighbour_correlation(movie: &Array3<f32>) -> [f64; 2] {
    let (t, h, w) = movie.dim();
    if t < 2 || h <= 2 * BORDER + 1 || w <= 2 * BORDER + 1 {
        return [0.0, 0.0];
    }
    let (mut horizontal, mut vertical) = (PearsonSums::default(), PearsonSums::default());
    for f in 0..(t - 1).min(100) {
        let d: Array2<f32> = &movie.slice(s![f + 1, .., ..]) - &movie.slice(s![f, .., ..]);
        let mut low = d.clone();
        gauss_blur(&mut low, 4.0);
        let hp = &d - &low;
        for y in BORDER..h - BORDER {
            for x in BORDER..w - BORDER {
                if x + 1 < w - BORDER {
                    horizontal.push(hp[[y, x]] as f64, hp[[y, x + 1]] as f64);
                }
                if y + 1 < h - BORDER {
                    vertical.push(hp[[y, x]] as f64, hp[[y + 1, x]] as f64);
                }
            }
        }
    }
    [horizontal.value(), vertical.value()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_steps::Stream;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn noise(t: usize, h: usize, w: usize, seed: u64) -> Array3<f32> {
        let mut rng = Stream::seed_from_u64(seed);
        Array3::from_shape_fn((t, h, w), |_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z as f32
        })
    }

    /// White noise: adjacent values are independent; the high-pass (subtracting a σ = 4
    /// blur, Σk² = 1/(4πσ²) ≈ 0.005 of the variance) shifts the correlation by about
    /// −0.005; sampling error ≈ 1/√(50 · 48 · 48) ≈ 0.003.
    #[test]
    fn white_noise_is_uncorrelated() {
        let r = neighbour_correlation(&noise(51, 64, 64, 21));
        assert!(r[0].abs() < 0.02 && r[1].abs() < 0.02, "{r:?}");
    }

    /// A 2 × 2 moving sum of white noise (what bilinear resampling by ½ px does): two of
    /// four terms are shared by horizontal and by vertical neighbours, correlation ½;
    /// the high-pass removes ≈ 4 · 0.005 of the variance (the field's correlations sum
    /// to 4), lowering it to ≈ 0.49.
    #[test]
    fn binned_noise_has_the_shared_fraction() {
        let raw = noise(51, 65, 65, 22);
        let movie = Array3::from_shape_fn((51, 64, 64), |(t, y, x)| {
            raw[[t, y, x]] + raw[[t, y, x + 1]] + raw[[t, y + 1, x]] + raw[[t, y + 1, x + 1]]
        });
        let r = neighbour_correlation(&movie);
        assert!(
            (r[0] - 0.49).abs() < 0.03 && (r[1] - 0.49).abs() < 0.03,
            "{r:?}"
        );
    }

    /// Temporally white, spatially white noise: frame differences and the Laplacian see
    /// the same σ, so the ratio is 1.
    #[test]
    fn white_noise_ratio_is_one() {
        let r = ratio(&noise(60, 64, 64, 23));
        assert!((r - 1.0).abs() < 0.05, "{r}");
    }
}
