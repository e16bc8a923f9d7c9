//! Debris on the optics (`dust` step, opt-in).
//!
//! Model: N ~ Poisson(ρ·A) particles on an optical surface between the tissue and the
//! sensor, uniform over the FOV padded by their reach (A its area in object space).
//! Particle i is a disc of diameter d_i ~ LogNormal(ln d̄, σ_d) and centre opacity
//! a_i ~ U(a_min, a_max), seen through the surface's defocus blur (Gaussian, SD σ_b).
//! A disc of radius r is replaced by the Gaussian of equal peak and equal blocked
//! flux (SD r/√2); blurring it by σ_b keeps the flux, so the shadow is
//!     1 − A_i·exp(−ρ²/(2s_i²)),  s_i² = r_i²/2 + σ_b²,  A_i = a_i·r_i²/(2s_i²),
//! and the transmission map is the product over particles. The map lives on the
//! sensor (after `motion_crop`): dust does not move with the tissue, which is what
//! makes it a nuisance for motion correction.
//! Units: µm in the spec, FOV px inside; transmission dimensionless.
//! Sources: docs/physics.md#steps.dust.

use minisim_spec::Dust;
use rand::RngExt;
use rand_distr::{Distribution, LogNormal, Poisson};

use crate::stage::{Context, Frame, FrameValues, Prepared, Stage};
use crate::truth::{GroundTruth, fov_plane};
use crate::{Dims, Stream, Streams};

/// The `dust` stage.
pub struct Kind;

impl Stage for Kind {
    type Params = Dust;
    /// The transmission map over the FOV.
    type Prepared = Vec<f32>;
    type State = ();
    type Values = ();

    fn prepare(p: &Dust, ctx: &Context<'_>, _: &Prepared) -> Vec<f32> {
        let g = ctx.geometry;
        map(p, g.fov, g.pixel_um, &mut ctx.streams("dust").stream(0))
    }

    fn apply(_: &Dust, own: &Vec<f32>, _: &FrameValues, frame: &mut Frame<'_>) {
        frame.fov().iter_mut().zip(own).for_each(|(v, &t)| *v *= t);
    }

    fn truth(
        _: &Dust,
        own: &Vec<f32>,
        _: (),
        _: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        truth.dust = fov_plane(own.clone(), &ctx.geometry);
    }
}

/// One particle's shadow: centre (FOV px), peak absorption and SD (px).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shadow {
    /// Centre row, px (continuous).
    pub y_px: f64,
    /// Centre column, px (continuous).
    pub x_px: f64,
    /// Peak absorption A (transmission 1 − A at the centre).
    pub peak: f64,
    /// SD of the Gaussian shadow, px.
    pub sigma_px: f64,
}

/// The shadow of a particle of diameter `d_um` and opacity `a` through a blur of SD
/// `blur_um`: flux-preserving Gaussian (see the module docs), sizes in µm.
pub fn shadow(d_um: f64, a: f64, blur_um: f64) -> (f64, f64) {
    let r = d_um / 2.0;
    let s2 = r * r / 2.0 + blur_um * blur_um;
    (a * r * r / (2.0 * s2), s2.sqrt())
}

/// Draw the particles: positions over the FOV padded by three shadow SDs of a large
/// particle, so shadows reaching in from outside are included.
pub fn particles(params: &Dust, fov: Dims, pixel_um: f64, rng: &mut Stream) -> Vec<Shadow> {
    let large = params.diameter_um * (2.0 * params.diameter_sigma).exp();
    let pad_um = 3.0 * shadow(large, 1.0, params.blur_um).1;
    let (h_um, w_um) = (fov.height as f64 * pixel_um, fov.width as f64 * pixel_um);
    let area_mm2 = (h_um + 2.0 * pad_um) * (w_um + 2.0 * pad_um) * 1e-6;
    let expected = params.particles_per_mm2 * area_mm2;
    let n = if expected > 0.0 {
        Poisson::new(expected).map_or(0, |p| p.sample(rng) as u64)
    } else {
        0
    };
    let Ok(size) = LogNormal::new(params.diameter_um.ln(), params.diameter_sigma) else {
        return Vec::new();
    };
    let [a_lo, a_hi] = params.opacity;
    (0..n)
        .map(|_| {
            let y_um = rng.random_range(-pad_um..h_um + pad_um);
            let x_um = rng.random_range(-pad_um..w_um + pad_um);
            let d = size.sample(rng);
            let a = if a_hi > a_lo {
                rng.random_range(a_lo..a_hi)
            } else {
                a_lo
            };
            let (peak, sigma_um) = shadow(d, a, params.blur_um);
            Shadow {
                y_px: y_um / pixel_um,
                x_px: x_um / pixel_um,
                peak,
                sigma_px: sigma_um / pixel_um,
            }
        })
        .collect()
}

/// The transmission map over the FOV (pixel centres): the product of the shadows,
/// each evaluated within 5 SDs of its centre.
pub fn map(params: &Dust, fov: Dims, pixel_um: f64, rng: &mut Stream) -> Vec<f32> {
    let mut out = vec![1f32; fov.len()];
    for s in particles(params, fov, pixel_um, rng) {
        let reach = 5.0 * s.sigma_px;
        let rows = (s.y_px - reach).floor().max(0.0) as usize
            ..((s.y_px + reach).ceil().max(0.0) as usize).min(fov.height);
        let cols = (s.x_px - reach).floor().max(0.0) as usize
            ..((s.x_px + reach).ceil().max(0.0) as usize).min(fov.width);
        for y in rows {
            let dy = y as f64 + 0.5 - s.y_px;
            for x in cols.clone() {
                let dx = x as f64 + 0.5 - s.x_px;
                let t =
                    1.0 - s.peak * (-(dx * dx + dy * dy) / (2.0 * s.sigma_px * s.sigma_px)).exp();
                out[y * fov.width + x] *= t as f32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_shadow_keeps_the_blocked_flux_and_the_peak_in_focus() {
        // In focus the peak is the opacity; any blur keeps A·2πs² = a·πr².
        let (peak, s) = shadow(6.0, 0.4, 0.0);
        assert!((peak - 0.4).abs() < 1e-12);
        for blur in [0.0, 2.0, 10.0] {
            let (peak, s) = shadow(6.0, 0.4, blur);
            let flux = peak * 2.0 * std::f64::consts::PI * s * s;
            assert!(
                (flux - 0.4 * std::f64::consts::PI * 9.0).abs() < 1e-9,
                "{blur}"
            );
        }
        assert!((s - 3.0 / 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn particle_count_follows_the_density() {
        // ρ·A with A the padded FOV: 50 seeds, Poisson, tolerance 5 standard errors.
        let params = Dust {
            particles_per_mm2: 200.0,
            diameter_sigma: 0.0,
            ..Dust::default()
        };
        let fov = Dims {
            height: 300,
            width: 400,
        };
        let pad = 3.0 * shadow(params.diameter_um, 1.0, params.blur_um).1;
        let area = (300.0 + 2.0 * pad) * (400.0 + 2.0 * pad) * 1e-6;
        let expected = params.particles_per_mm2 * area;
        let runs = 50;
        let total: usize = (0..runs)
            .map(|seed| particles(&params, fov, 1.0, &mut Stream::seed_from_u64(seed)).len())
            .sum();
        let mean = total as f64 / runs as f64;
        let se = (expected / runs as f64).sqrt();
        assert!((mean - expected).abs() < 5.0 * se, "{mean} vs {expected}");
    }

    #[test]
    fn transmission_is_one_without_dust_and_dips_to_one_minus_the_peak() {
        let fov = Dims {
            height: 64,
            width: 64,
        };
        let none = Dust {
            particles_per_mm2: 0.0,
            ..Dust::default()
        };
        assert!(
            map(&none, fov, 1.0, &mut Stream::seed_from_u64(1))
                .iter()
                .all(|&t| t == 1.0)
        );
        let dusty = Dust {
            particles_per_mm2: 2000.0,
            ..Dust::default()
        };
        let m = map(&dusty, fov, 1.0, &mut Stream::seed_from_u64(2));
        assert!(m.iter().all(|&t| (0.0..=1.0).contains(&t)));
        // At least one dark spot deeper than the weakest single shadow can make.
        let weakest = shadow(
            dusty.diameter_um * (-3.0 * dusty.diameter_sigma).exp(),
            0.2,
            4.0,
        )
        .0;
        assert!(
            m.iter().any(|&t| (t as f64) < 1.0 - weakest),
            "no dark spot"
        );
    }
}
