//! Electrons not from the fluorophores (`leakage` step).
//!
//! Model: a fixed map of expected electrons per pixel and frame, added to λ:
//!     L(p) = E·max(0, D + σ_D·z_p) (dark current with DSNU, z_p ~ N(0, 1)),
//! replaced by E·D_hot on a random `hot_pixel_fraction` of pixels, plus excitation
//! bleed-through B·(1 + ½·g(p)), g a unit linear gradient across the sensor in a random
//! direction (mean B). E is the exposure in s.
//! Units: e⁻ per pixel and frame. Sources: docs/physics.md#steps.leakage.

use minisim_spec::Leakage;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::stage::{Context, Frame, FrameValues, Prepared, Stage};
use crate::truth::{GroundTruth, fov_plane};
use crate::{Dims, Stream, Streams};

/// The `leakage` stage.
pub struct Kind;

impl Stage for Kind {
    type Params = Leakage;
    /// The leakage map over the FOV, e⁻ per frame.
    type Prepared = Vec<f32>;
    type State = ();
    type Values = ();

    fn prepare(p: &Leakage, ctx: &Context<'_>, _: &Prepared) -> Vec<f32> {
        let g = ctx.geometry;
        map(
            p,
            g.fov,
            g.timing.exposure_s,
            &mut ctx.streams("leakage").stream(0),
        )
    }

    fn apply(_: &Leakage, own: &Vec<f32>, _: &FrameValues, frame: &mut Frame<'_>) {
        apply(own, frame.fov());
    }

    fn truth(
        _: &Leakage,
        own: &Vec<f32>,
        _: (),
        _: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        truth.leakage = fov_plane(own.clone(), &ctx.geometry);
    }
}

/// The leakage map over the FOV, e⁻ per frame.
pub fn map(params: &Leakage, fov: Dims, exposure_s: f64, rng: &mut Stream) -> Vec<f32> {
    let angle = rng.random_range(0.0..std::f64::consts::TAU);
    let (s, c) = angle.sin_cos();
    let half = fov.height.max(fov.width) as f64 / 2.0;
    let (cy, cx) = (fov.height as f64 / 2.0, fov.width as f64 / 2.0);
    let mut out = Vec::with_capacity(fov.len());
    for y in 0..fov.height {
        for x in 0..fov.width {
            let z: f64 = StandardNormal.sample(rng);
            let hot = rng.random_bool(params.hot_pixel_fraction);
            let rate = if hot {
                params.hot_pixel_e_per_s
            } else {
                (params.dark_current_e_per_s + params.dsnu_e_per_s * z).max(0.0)
            };
            let g = ((y as f64 + 0.5 - cy) * s + (x as f64 + 0.5 - cx) * c) / half;
            out.push((rate * exposure_s + params.bleedthrough_e * (1.0 + 0.5 * g)) as f32);
        }
    }
    out
}

/// Add the map to a frame of expected electrons.
pub fn apply(map: &[f32], frame: &mut [f32]) {
    frame.iter_mut().zip(map).for_each(|(v, &m)| *v += m);
}
