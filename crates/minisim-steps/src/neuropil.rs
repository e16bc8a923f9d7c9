//! Neuropil and diffuse background (`neuropil` step).
//!
//! Model: K smooth spatial components S_k(p) = (A/K)·max(0, 1 + c·G_k(p)), G_k a
//! unit-variance Gaussian random field with correlation length ℓ (math::field), so the
//! mean background is A. Each component's ΔF/F trace is
//!     b_k(t) = (1 − κ)·σ·u_k(t) + κ·m(t),
//! u_k a unit OU process with time constant τ, m(t) the mean ΔF/F of all cells
//! (neuropil is made of the same neurons' processes), κ the population coupling.
//! Frame contribution: Σ_k S_k(p)·(1 + b_k(t)).
//! Units: intensity (1 = in-focus resting soma peak), τ in s. Sources:
//! docs/physics.md#steps.neuropil.

use minisim_spec::Neuropil;
use ndarray::Array3;
use rand_distr::{Distribution, StandardNormal};

use crate::math::{field, ou, simd};
use crate::stage::{Band, Context, FrameValues, Prepared, Stage};
use crate::truth::{GroundTruth, rows_by_frame};
use crate::{Dims, Stream, Streams, motion_crop};

/// The `neuropil` stage.
pub struct Kind;

/// The serial state: each component's unit OU value and (when per-frame truth is
/// kept) the traces frame after frame.
#[derive(Debug, Clone, Default)]
pub struct State {
    u: Vec<f64>,
    history: Vec<f32>,
}

impl Stage for Kind {
    type Params = Neuropil;
    /// Spatial components on the canvas.
    type Prepared = Vec<Vec<f32>>;
    type State = State;
    const ADVANCES: bool = true;
    const BY_BAND: bool = true;
    /// Each component's ΔF/F in the frame.
    type Values = Vec<f64>;

    fn prepare(p: &Neuropil, ctx: &Context<'_>, _: &Prepared) -> Vec<Vec<f32>> {
        let g = ctx.geometry;
        components(p, g.canvas, g.pixel_um, &ctx.streams("neuropil.space"))
    }

    fn start(p: &Neuropil, _: &Vec<Vec<f32>>, ctx: &Context<'_>) -> State {
        State {
            u: initial_state(p, &mut ctx.streams("neuropil.time").stream(0)),
            history: Vec::new(),
        }
    }

    /// Traces of frame f from the state and the frame's mean cell ΔF/F, then the OU
    /// step with stream f + 1 of `neuropil.time`.
    fn advance(
        p: &Neuropil,
        _: &Vec<Vec<f32>>,
        _: &Prepared,
        state: &mut State,
        frame: u64,
        earlier: &FrameValues,
        ctx: &Context<'_>,
    ) -> Vec<f64> {
        let dff: &[f32] = earlier.calcium.as_deref().unwrap_or(&[]);
        let mean = if dff.is_empty() {
            0.0
        } else {
            dff.iter().map(|&v| v as f64).sum::<f64>() / dff.len() as f64
        };
        let out = traces(p, &state.u, mean);
        let mut rng = ctx.streams("neuropil.time").stream(frame + 1);
        advance(p, &mut state.u, ctx.geometry.timing.period_s, &mut rng);
        if ctx.keep_truth {
            state.history.extend(out.iter().map(|&v| v as f32));
        }
        out
    }

    /// The neuropil at its mean (every trace 0).
    fn resting(_: &Neuropil, own: &Vec<Vec<f32>>) -> Vec<f64> {
        vec![0.0; own.len()]
    }

    /// Σ_k S_k·(1 + b_k(t)) on one band of every frame of the chunk, each pixel
    /// summing its components in order.
    fn apply_band(_: &Neuropil, own: &Vec<Vec<f32>>, values: &[FrameValues], band: &mut Band<'_>) {
        let w = band.width;
        for (k, map) in own.iter().enumerate() {
            let src = &map[band.rows.start * w..band.rows.end * w];
            for (plane, v) in band.planes.iter_mut().zip(values) {
                let b = v
                    .neuropil
                    .as_deref()
                    .and_then(|t| t.get(k))
                    .copied()
                    .unwrap_or(0.0);
                simd::axpy(plane, (1.0 + b) as f32, src);
            }
        }
    }

    fn truth(
        _: &Neuropil,
        own: &Vec<Vec<f32>>,
        state: State,
        frames: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        let g = ctx.geometry;
        let k = own.len();
        let mut comps = vec![0f32; k * g.fov.len()];
        for (map, out) in own.iter().zip(comps.chunks_exact_mut(g.fov.len().max(1))) {
            motion_crop::crop(map, g.canvas, g.margin, out, g.fov);
        }
        if let Ok(c) = Array3::from_shape_vec((k, g.fov.height, g.fov.width), comps) {
            truth.neuropil_components = c;
        }
        if k > 0 {
            truth.neuropil_traces = rows_by_frame(state.history, frames, k);
        }
    }
}

/// Spatial components on the canvas, each already scaled to its share of the mean.
pub fn components(
    params: &Neuropil,
    canvas: Dims,
    pixel_um: f64,
    streams: &impl Streams,
) -> Vec<Vec<f32>> {
    let k = params.components as usize;
    let share = (params.amplitude / k as f64) as f32;
    let contrast = params.spatial_contrast as f32;
    (0..k)
        .map(|i| {
            let mut rng = streams.stream(i as u64);
            let mut map = field::smooth_field(
                canvas.height,
                canvas.width,
                params.spatial_scale_um / pixel_um,
                &mut rng,
            );
            map.iter_mut()
                .for_each(|v| *v = share * (1.0 + contrast * *v).max(0.0));
            map
        })
        .collect()
}

/// Initial unit-OU state, one value per component (stationary draw).
pub fn initial_state(params: &Neuropil, rng: &mut Stream) -> Vec<f64> {
    (0..params.components)
        .map(|_| StandardNormal.sample(rng))
        .collect()
}

/// Each component's ΔF/F in the current frame, given the state and the mean
/// population ΔF/F of that frame.
pub fn traces(params: &Neuropil, state: &[f64], mean_dff: f64) -> Vec<f64> {
    let c = params.population_coupling;
    state
        .iter()
        .map(|&u| (1.0 - c) * params.trace_sd * u + c * mean_dff)
        .collect()
}

/// Advance the state by one frame of `dt_s`.
pub fn advance(params: &Neuropil, state: &mut [f64], dt_s: f64, rng: &mut Stream) {
    let rho = ou::rho(dt_s, params.time_constant_s);
    for u in state {
        *u = ou::step(*u, rho, StandardNormal.sample(rng));
    }
}

/// Add Σ_k S_k·(1 + b_k) to a canvas plane.
pub fn add(components: &[Vec<f32>], traces: &[f64], canvas: &mut [f32]) {
    for (map, &b) in components.iter().zip(traces) {
        let scale = (1.0 + b) as f32;
        for (c, &m) in canvas.iter_mut().zip(map) {
            *c += scale * m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    struct Seeds;
    impl Streams for Seeds {
        fn stream(&self, index: u64) -> Stream {
            Stream::seed_from_u64(index + 11)
        }
    }

    #[test]
    fn components_average_to_the_amplitude() {
        let params = Neuropil {
            spatial_contrast: 0.2,
            ..Default::default()
        };
        let dims = Dims {
            height: 300,
            width: 300,
        };
        let maps = components(&params, dims, 1.0, &Seeds);
        let total: f64 = maps.iter().flat_map(|m| m.iter()).map(|&v| v as f64).sum();
        let mean = total / dims.len() as f64;
        // With contrast 0.2 the clamp at 0 is > 5σ away: the mean is exact.
        assert!((mean - params.amplitude).abs() < 1e-3, "{mean}");
    }
}
