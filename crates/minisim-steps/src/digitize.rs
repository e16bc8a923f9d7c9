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
use multiversion::multiversion;
use rand_distr::{Distribution, StandardNormal};

use crate::math::{lanes, poisson};

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

/// One Poisson draw of mean `lambda` (0 for λ ≤ 0): the exact sampler of
/// `math::poisson` (inversion below 10, Ahrens–Dieter PD above).
#[inline]
pub fn poisson(lambda: f64, rng: &mut Stream) -> f64 {
    poisson::sample(lambda, rng)
}

/// Digitise whole rows: `lambda` and `prnu` are `rows × width`, `out` receives counts.
///
/// The shot noise and read noise come from one [`poisson::Batch`] seeded from `rng`
/// (one Poisson count and one normal per pixel, in pixel order, `poisson::CHUNK`
/// pixels per step, each row starting a new step); the row-noise normal of each row
/// and the batch's rare extra draws come from `rng` itself.
pub fn digitize_rows(
    params: &Digitize,
    lambda: &[f32],
    prnu: &[f32],
    width: usize,
    rng: &mut Stream,
    out: &mut [u16],
) {
    let sensor = Sensor::of(params);
    let mut batch = poisson::Batch::new(rng);
    let mut means = [0.0; poisson::CHUNK];
    let mut counts = [0.0; poisson::CHUNK];
    let mut normals = [0.0; poisson::CHUNK];
    for ((lam_row, g_row), out_row) in lambda
        .chunks_exact(width)
        .zip(prnu.chunks_exact(width))
        .zip(out.chunks_exact_mut(width))
    {
        let z: f64 = StandardNormal.sample(rng);
        let row_offset = params.row_noise_e * z;
        for ((lam, g), dst) in lam_row
            .chunks(poisson::CHUNK)
            .zip(g_row.chunks(poisson::CHUNK))
            .zip(out_row.chunks_mut(poisson::CHUNK))
        {
            let n = lam.len();
            for ((m, &l), &g) in means.iter_mut().zip(lam).zip(g) {
                *m = l as f64 * g as f64;
            }
            batch.poisson_normal(&means[..n], &mut counts[..n], &mut normals[..n], rng);
            to_dn(&sensor, row_offset, &counts[..n], &normals[..n], dst);
        }
    }
}

/// The constants of the conversion from electrons to DN.
struct Sensor {
    gain: f64,
    black: f64,
    read: f64,
    well: f64,
    max: f64,
}

impl Sensor {
    fn of(p: &Digitize) -> Self {
        Sensor {
            gain: p.gain_dn_per_e,
            black: p.black_level_dn,
            read: p.read_noise_e,
            well: p.full_well_e,
            max: p.max_count() as f64,
        }
    }
}

/// DN = clamp(⌊G·(min(n, well) + σ_r·ξ + ρ_row) + black + ½⌋, 0, max) per pixel,
/// vectorised (the clamp first bounds y so that the conversion is exact; a NaN y
/// gives 0).
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
fn to_dn(sensor: &Sensor, row_offset: f64, counts: &[f64], normals: &[f64], out: &mut [u16]) {
    for ((&n, &xi), o) in counts.iter().zip(normals).zip(out.iter_mut()) {
        let n = n.min(sensor.well);
        let y = sensor.gain * (n + sensor.read * xi + row_offset) + sensor.black;
        let y = y.max(-1.0).min(sensor.max + 1.0);
        let dn = (y + 0.5).floor().max(0.0).min(sensor.max);
        // dn is a whole number in [0, 65535].
        *o = lanes::whole_to_bits(dn) as u16;
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
