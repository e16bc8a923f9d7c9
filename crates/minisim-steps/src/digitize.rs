//! The image sensor (`digitize` step).
//!
//! Model, per pixel p of frame f with expected electrons λ (signal + leakage):
//!     n = min(Poisson(λ·g_p), full_well)            shot noise, PRNU g_p ~ 1 + σ_g·z
//!     v = n + σ_r·ξ + ρ_row                         read noise, row (banding) noise
//!     DN = clamp(round(G·v + black), 0, 2^bits − 1)
//! so E[DN] = G·λ + black and Var[DN] = G²·(λ + σ_r² + σ_row²) + 1/12 away from the
//! clips. Units: e⁻, DN. Sources: docs/physics.md#steps.digitize (EMVA 1288 model).
//!
//! Invariant: a row block's output depends only on its λ rows and its stream.

use minisim_spec::Digitize;
use rand_distr::{Distribution, Poisson, StandardNormal};

use crate::stage::{Context, Frame, FrameValues, Plane, Prepared, Stage};
use crate::{Dims, Stream, Streams};

/// Rows per block: each block of each frame draws from its own stream (index
/// `frame × blocks + block` of `digitize`), fixed so the output never depends on the
/// thread count.
pub const ROW_BLOCK: usize = 16;

/// The `digitize` stage.
pub struct Kind;

impl Stage for Kind {
    type Params = Digitize;
    /// The PRNU gain map over the FOV.
    type Prepared = Vec<f32>;
    type State = ();
    type Values = ();
    const WRITES_COUNTS: bool = true;

    fn prepare(p: &Digitize, ctx: &Context<'_>, _: &Prepared) -> Vec<f32> {
        prnu_map(
            p,
            ctx.geometry.fov,
            &mut ctx.streams("digitize.prnu").stream(0),
        )
    }

    fn apply(p: &Digitize, own: &Vec<f32>, _: &FrameValues, frame: &mut Frame<'_>) {
        let g = frame.geometry;
        let f = frame.index;
        let rng = frame.rng;
        frame.fov();
        let Some(out) = frame.counts.as_deref_mut() else {
            debug_assert!(false, "the renderer gives a counts slot to digitize");
            return;
        };
        let w = g.fov.width;
        let blocks = g.fov.height.div_ceil(ROW_BLOCK) as u64;
        for (b, ((lam, prnu), dst)) in frame
            .buffers
            .fov
            .chunks(ROW_BLOCK * w)
            .zip(own.chunks(ROW_BLOCK * w))
            .zip(out.chunks_mut(ROW_BLOCK * w))
            .enumerate()
        {
            let mut stream = rng.stream("digitize", None, f * blocks + b as u64);
            digitize_rows(p, lam, prnu, w, &mut stream, dst);
        }
        frame.plane = Plane::Counts;
    }
}

/// The PRNU gain map over the FOV (mean 1).
pub fn prnu_map(params: &Digitize, fov: Dims, rng: &mut Stream) -> Vec<f32> {
    (0..fov.len())
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            (1.0 + params.prnu_sd * z).max(0.0) as f32
        })
        .collect()
}

/// One Poisson draw of mean `lambda` (0 for λ ≤ 0).
pub fn poisson(lambda: f64, rng: &mut Stream) -> f64 {
    if lambda > 0.0 && lambda.is_finite() {
        Poisson::new(lambda).map(|p| p.sample(rng)).unwrap_or(0.0)
    } else {
        0.0
    }
}

/// Digitise whole rows: `lambda` and `prnu` are `rows × width`, `out` receives counts.
pub fn digitize_rows(
    params: &Digitize,
    lambda: &[f32],
    prnu: &[f32],
    width: usize,
    rng: &mut Stream,
    out: &mut [u16],
) {
    let max = params.max_count() as f64;
    for ((lam_row, g_row), out_row) in lambda
        .chunks_exact(width)
        .zip(prnu.chunks_exact(width))
        .zip(out.chunks_exact_mut(width))
    {
        let z: f64 = StandardNormal.sample(rng);
        let row_offset = params.row_noise_e * z;
        for ((&lam, &g), o) in lam_row.iter().zip(g_row).zip(out_row.iter_mut()) {
            let n = poisson(lam as f64 * g as f64, rng).min(params.full_well_e);
            let xi: f64 = StandardNormal.sample(rng);
            let v = n + params.read_noise_e * xi + row_offset;
            *o = (params.gain_dn_per_e * v + params.black_level_dn)
                .round()
                .clamp(0.0, max) as u16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn moments(params: &Digitize, lambda: f32, n: usize, seed: u64) -> (f64, f64) {
        let width = 1000;
        let rows = n / width;
        let lam = vec![lambda; rows * width];
        let g = vec![1.0f32; rows * width];
        let mut out = vec![0u16; rows * width];
        digitize_rows(
            params,
            &lam,
            &g,
            width,
            &mut Stream::seed_from_u64(seed),
            &mut out,
        );
        let mean = out.iter().map(|&v| v as f64).sum::<f64>() / out.len() as f64;
        let var =
            out.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (out.len() - 1) as f64;
        (mean, var)
    }

    #[test]
    fn mean_and_variance_follow_the_photon_transfer_model() {
        let params = Digitize {
            bit_depth: 12,
            gain_dn_per_e: 0.5,
            read_noise_e: 4.0,
            black_level_dn: 50.0,
            prnu_sd: 0.0,
            row_noise_e: 0.0,
            ..Default::default()
        };
        let lambda = 300.0;
        let n = 200_000;
        let (mean, var) = moments(&params, lambda as f32, n, 7);
        let g = params.gain_dn_per_e;
        let want_mean = g * lambda + params.black_level_dn;
        let want_var = g * g * (lambda + params.read_noise_e.powi(2)) + 1.0 / 12.0;
        // Standard errors: sd/√n for the mean, var·√(2/n) for the variance (Gaussian
        // approximation; the excess kurtosis of Poisson(300) is 1/300).
        let se_mean = want_var.sqrt() / (n as f64).sqrt();
        let se_var = want_var * (2.0 / n as f64).sqrt();
        assert!(
            (mean - want_mean).abs() < 5.0 * se_mean,
            "mean {mean} vs {want_mean}"
        );
        assert!(
            (var - want_var).abs() < 5.0 * se_var,
            "var {var} vs {want_var}"
        );
    }

    #[test]
    fn full_well_and_adc_clip() {
        let full = Digitize {
            bit_depth: 16,
            gain_dn_per_e: 1.0,
            full_well_e: 1000.0,
            read_noise_e: 0.0,
            row_noise_e: 0.0,
            black_level_dn: 0.0,
            ..Default::default()
        };
        let (mean, var) = moments(&full, 5000.0, 10_000, 8);
        assert_eq!(mean, 1000.0);
        assert_eq!(var, 0.0);
        let adc = Digitize {
            bit_depth: 8,
            gain_dn_per_e: 1.0,
            ..Default::default()
        };
        let (mean, _) = moments(&adc, 5000.0, 10_000, 9);
        assert_eq!(mean, 255.0);
    }
}
