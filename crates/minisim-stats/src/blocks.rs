//! Variance of the block-averaged movie: how much of it a few components explain.
//!
//! The movie is averaged over non-overlapping `b × b` blocks (partial blocks at the
//! edges dropped), each block's trace has its mean removed, and the `(T, blocks)`
//! matrix X gives the covariance's eigenvalues λ (PCA via the T × T Gram matrix).
//!
//! - top-k share: (λ₁ + … + λ_k) / Σλ;
//! - global-mean share: B · var(m) / Σλ, with m(t) the mean over the B blocks of X(t):
//!   1 when every block carries the same trace, ≈ 1/B for independent blocks.

use nalgebra::{DMatrix, SymmetricEigen};
use ndarray::{Array3, s};

/// The `(T, blocks)` matrix of block means, each column's mean removed.
pub fn block_matrix(movie: &Array3<f32>, b: usize) -> DMatrix<f64> {
    let (t, h, w) = movie.dim();
    let (bh, bw) = (h / b, w / b);
    let mut x = DMatrix::<f64>::zeros(t, bh * bw);
    for f in 0..t {
        for by in 0..bh {
            for bx in 0..bw {
                x[(f, by * bw + bx)] = movie
                    .slice(s![f, by * b..(by + 1) * b, bx * b..(bx + 1) * b])
                    .iter()
                    .map(|&v| v as f64)
                    .sum::<f64>()
                    / (b * b) as f64;
            }
        }
    }
    for mut col in x.column_iter_mut() {
        let m = col.mean();
        col.add_scalar_mut(-m);
    }
    x
}

/// Eigenvalues of XXᵀ, largest first (non-negative).
fn spectrum(x: &DMatrix<f64>) -> Vec<f64> {
    let gram = x * x.transpose();
    let mut ev: Vec<f64> = SymmetricEigen::new(gram)
        .eigenvalues
        .iter()
        .map(|v| v.max(0.0))
        .collect();
    ev.sort_by(|a, b| b.total_cmp(a));
    ev
}

/// Share of the block-averaged variance in the first `k` components (`b × b` blocks).
pub fn top_share(movie: &Array3<f32>, b: usize, k: usize) -> f64 {
    let ev = spectrum(&block_matrix(movie, b));
    let total: f64 = ev.iter().sum();
    ev.iter().take(k).sum::<f64>() / total.max(1e-300)
}

/// Share of the block-averaged variance in the global mean (`b × b` blocks).
pub fn global_share(movie: &Array3<f32>, b: usize) -> f64 {
    let x = block_matrix(movie, b);
    let (t, blocks) = x.shape();
    if t == 0 || blocks == 0 {
        return 0.0;
    }
    let total: f64 = x.iter().map(|v| v * v).sum();
    let global: f64 = x
        .row_iter()
        .map(|row| {
            let m = row.sum() / blocks as f64;
            m * m
        })
        .sum();
    blocks as f64 * global / total.max(1e-300)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_steps::Stream;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn a_global_sinusoid_is_all_global_and_one_component() {
        let movie = Array3::from_shape_fn((120, 40, 50), |(t, y, x)| {
            100.0 + (y + x) as f32 * 0.1 + 5.0 * (t as f32 * 0.21).sin()
        });
        assert!((global_share(&movie, 10) - 1.0).abs() < 1e-9);
        assert!((top_share(&movie, 10, 1) - 1.0).abs() < 1e-9);
    }

    /// Independent white noise per pixel: the 20 blocks are independent, the global
    /// share is ≈ 1/20 (its spread over 400 frames ≈ √(2/400)/20 relative), and the
    /// top 3 of 20 equal eigenvalues (Marchenko–Pastur spread at 20/400) hold ≈ 3/20
    /// plus the spread: below 0.25.
    #[test]
    fn independent_noise_spreads_over_the_blocks() {
        let mut rng = Stream::seed_from_u64(7);
        let movie = Array3::from_shape_fn((400, 40, 50), |_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z as f32
        });
        let g = global_share(&movie, 10);
        assert!((g - 0.05).abs() < 0.02, "{g}");
        let top = top_share(&movie, 10, 3);
        assert!(top > 0.15 && top < 0.25, "{top}");
    }
}
