//! Photoelectrons, photobleaching and excitation flicker (`photon_field` step).
//!
//! Model: expected photoelectrons per pixel and frame
//!     λ(t, p) = k · I(t, p) · b(t) · (1 + ε(t)),
//! k = `photons_per_unit`, b(t) = 1 − a·(1 − e^{−t/τ_b}) evaluated at mid-exposure
//! (population photobleaching), ε = σ_ε·u(t), u a unit OU process with time constant
//! τ_ε (LED drive and thermal drift of the excitation source).
//! Per-cell bleaching (`cell_bleaching`): each cell's intact fraction q follows
//! dq/dt = −k·E·(1 + ΔF/F)·q + (1 − q)/τ, integrated exactly per frame (`bleach_step`),
//! and scales the cell's brightness in the composite.
//! Units: I dimensionless, λ in e⁻, t in s. Sources: docs/physics.md#steps.photon_field.

use minisim_spec::{CellBleaching, PhotonField};
use ndarray::Array1;
use rand_distr::{Distribution, StandardNormal};

use crate::math::ou;
use crate::stage::{Context, Frame, FrameValues, Prepared, Stage};
use crate::truth::{GroundTruth, rows_by_frame};
use crate::{Stream, Streams};

/// The `photon_field` stage.
pub struct Kind;

/// The per-frame gains and, with per-cell bleaching, each cell's relative excitation.
#[derive(Debug, Clone, Default)]
pub struct Gains {
    /// k·b(t)·(1 + ε(t)) per frame, e⁻ per unit intensity.
    pub gains: Vec<f64>,
    /// Relative excitation per cell (empty without `cell_bleaching`).
    pub excitation: Vec<f64>,
}

/// The serial state of per-cell bleaching: each cell's intact fraction at the next
/// frame's start and (when per-frame truth is kept) the fractions frame after frame.
#[derive(Debug, Clone, Default)]
pub struct State {
    q: Vec<f64>,
    history: Vec<f32>,
}

impl Stage for Kind {
    type Params = PhotonField;
    type Prepared = Gains;
    type State = State;
    const ADVANCES: bool = true;
    /// Each cell's intact fluorophore fraction at the frame's start (empty without
    /// `cell_bleaching`); `composite` scales the cell by it.
    type Values = Vec<f32>;

    fn prepare(p: &PhotonField, ctx: &Context<'_>, prepared: &Prepared) -> Gains {
        let g = ctx.geometry;
        let gains = gains(
            p,
            g.frames,
            g.timing.period_s,
            |f| g.frame_mid_s(f),
            &mut ctx.streams("photon_field").stream(0),
        );
        // Per-cell bleaching follows the cells whatever `until` is, like the cells.
        let excitation = match (&p.cell_bleaching, &prepared.place_neurons) {
            (Some(b), Some(placed)) => {
                let m_um = g.margin_um();
                let (cx, cy) = (
                    m_um + g.fov.width as f64 * g.pixel_um / 2.0,
                    m_um + g.fov.height as f64 * g.pixel_um / 2.0,
                );
                let half = g.fov.width.min(g.fov.height) as f64 * g.pixel_um / 2.0;
                placed
                    .cells
                    .iter()
                    .map(|c| cell_excitation(b, (c.x_um - cx).hypot(c.y_um - cy), half))
                    .collect()
            }
            _ => Vec::new(),
        };
        Gains { gains, excitation }
    }

    fn start(_: &PhotonField, own: &Gains, _: &Context<'_>) -> State {
        State {
            q: vec![1.0; own.excitation.len()],
            history: Vec::new(),
        }
    }

    /// The fractions at the frame's start, then the exact step over the frame with
    /// the cell's ΔF/F held constant.
    fn advance(
        p: &PhotonField,
        own: &Gains,
        _: &Prepared,
        state: &mut State,
        _: u64,
        earlier: &FrameValues,
        ctx: &Context<'_>,
    ) -> Vec<f32> {
        let Some(b) = p
            .cell_bleaching
            .as_ref()
            .filter(|_| !own.excitation.is_empty())
        else {
            return Vec::new();
        };
        let dff: &[f32] = earlier.calcium.as_deref().unwrap_or(&[]);
        let now: Vec<f32> = state.q.iter().map(|&q| q as f32).collect();
        let dt = ctx.geometry.timing.period_s;
        for (i, (q, &e)) in state.q.iter_mut().zip(&own.excitation).enumerate() {
            let d = dff.get(i).copied().unwrap_or(0.0);
            *q = bleach_step(b, *q, e, d as f64, dt);
        }
        if ctx.keep_truth {
            state.history.extend_from_slice(&now);
        }
        now
    }

    fn apply(_: &PhotonField, own: &Gains, _: &FrameValues, frame: &mut Frame<'_>) {
        let gain = own.gains.get(frame.index as usize).copied().unwrap_or(0.0);
        apply(gain, frame.fov());
    }

    fn truth(
        _: &PhotonField,
        own: &Gains,
        state: State,
        frames: usize,
        _: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        truth.photon_gain = Array1::from(own.gains.clone());
        if !state.history.is_empty() {
            truth.cell_bleach = rows_by_frame(state.history, frames, own.excitation.len());
        }
    }
}

/// Bleaching factor b(t) at time `t_s`.
pub fn bleaching(params: &PhotonField, t_s: f64) -> f64 {
    1.0 - params.bleach_amplitude * (1.0 - (-t_s / params.bleach_time_constant_s).exp())
}

/// The gain k·b(t)·(1 + ε(t)) of every frame, e⁻ per unit intensity. `frame_mid_s(f)`
/// is the middle of frame f's exposure.
pub fn gains(
    params: &PhotonField,
    frames: u64,
    dt_s: f64,
    frame_mid_s: impl Fn(u64) -> f64,
    rng: &mut Stream,
) -> Vec<f64> {
    let rho = ou::rho(dt_s, params.flicker_tau_s);
    let mut u: f64 = StandardNormal.sample(rng);
    (0..frames)
        .map(|f| {
            let g = params.photons_per_unit
                * bleaching(params, frame_mid_s(f))
                * (1.0 + params.flicker_sd * u).max(0.0);
            u = ou::step(u, rho, StandardNormal.sample(rng));
            g
        })
        .collect()
}

/// Excitation at a cell `r_um` from the FOV centre, relative: 1 at the centre,
/// `edge_ratio` at `half_side_um`, quadratic in between (clamped at 0), times the
/// excitation intensity.
pub fn cell_excitation(params: &CellBleaching, r_um: f64, half_side_um: f64) -> f64 {
    let x = r_um / half_side_um.max(f64::MIN_POSITIVE);
    params.excitation_intensity * (1.0 - (1.0 - params.excitation_edge_ratio) * x * x).max(0.0)
}

/// Advance a cell's intact fraction q over `dt_s` with excitation `e` and activity
/// ΔF/F `dff` held constant: the exact solution of dq/dt = −k·e·(1 + dff)·q + (1 − q)/τ,
/// q(t + dt) = q∞ + (q − q∞)·exp(−(k' + 1/τ)·dt), k' = k·e·(1 + dff),
/// q∞ = (1/τ)/(k' + 1/τ).
pub fn bleach_step(params: &CellBleaching, q: f64, e: f64, dff: f64, dt_s: f64) -> f64 {
    let k = params.susceptibility_per_s * e * (1.0 + dff).max(0.0);
    let r = 1.0 / params.turnover_tau_s;
    let q_inf = r / (k + r);
    q_inf + (q - q_inf) * (-(k + r) * dt_s).exp()
}

/// Scale a frame by its gain.
pub fn apply(gain: f64, frame: &mut [f32]) {
    let g = gain as f32;
    frame.iter_mut().for_each(|v| *v *= g);
}
