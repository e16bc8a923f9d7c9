//! Radial falloff and circular aperture (`vignette` step).
//!
//! Model: with r the distance from the FOV centre and R half the shorter FOV side (px),
//!     V(r) = max(0, 1 − (1 − e)·(r/R)²) · A(r),
//! e the edge ratio (V(R)/V(0) when the aperture is wider than R), and A the aperture:
//! a smoothstep from 1 to 0 across `aperture_softness_px` centred on r = ρ·R.
//! The quadratic is the leading term of the cos⁴ law and of GRIN-lens vignetting.
//! Sources: docs/physics.md#steps.vignette.

use minisim_spec::Vignette;

use crate::Dims;
use crate::stage::{Context, Frame, FrameValues, Prepared, Stage};
use crate::truth::{GroundTruth, fov_plane};

/// The `vignette` stage.
pub struct Kind;

impl Stage for Kind {
    type Params = Vignette;
    /// The transmission map over the FOV.
    type Prepared = Vec<f32>;
    type State = ();
    type Values = ();

    fn prepare(p: &Vignette, ctx: &Context<'_>, _: &Prepared) -> Vec<f32> {
        map(p, ctx.geometry.fov)
    }

    fn apply(_: &Vignette, own: &Vec<f32>, _: &FrameValues, frame: &mut Frame<'_>) {
        apply(own, frame.fov());
    }

    fn truth(
        _: &Vignette,
        own: &Vec<f32>,
        _: (),
        _: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        truth.vignette = fov_plane(own.clone(), &ctx.geometry);
    }
}

/// Transmission at `r_px` from the centre, with `half_px` = R.
pub fn transmission(params: &Vignette, r_px: f64, half_px: f64) -> f64 {
    let falloff = (1.0 - (1.0 - params.edge_ratio) * (r_px / half_px).powi(2)).max(0.0);
    let edge = params.aperture_radius * half_px;
    let soft = params.aperture_softness_px;
    let aperture = if soft <= 0.0 {
        if r_px <= edge { 1.0 } else { 0.0 }
    } else {
        let s = (0.5 + (edge - r_px) / soft).clamp(0.0, 1.0);
        s * s * (3.0 - 2.0 * s)
    };
    falloff * aperture
}

/// The transmission map over the FOV (pixel centres).
pub fn map(params: &Vignette, fov: Dims) -> Vec<f32> {
    let half = fov.height.min(fov.width) as f64 / 2.0;
    let (cy, cx) = (fov.height as f64 / 2.0, fov.width as f64 / 2.0);
    let mut out = Vec::with_capacity(fov.len());
    for y in 0..fov.height {
        for x in 0..fov.width {
            let r = (y as f64 + 0.5 - cy).hypot(x as f64 + 0.5 - cx);
            out.push(transmission(params, r, half) as f32);
        }
    }
    out
}

/// Multiply a FOV frame by the map.
pub fn apply(map: &[f32], frame: &mut [f32]) {
    frame.iter_mut().zip(map).for_each(|(v, &m)| *v *= m);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_over_centre_equals_the_parameter() {
        let params = Vignette {
            edge_ratio: 0.62,
            ..Default::default()
        };
        let half = 128.0;
        let ratio = transmission(&params, half, half) / transmission(&params, 0.0, half);
        assert!((ratio - 0.62).abs() < 1e-12);
        // Far outside the aperture nothing passes.
        assert_eq!(transmission(&params, 2.0 * half, half), 0.0);
    }
}
