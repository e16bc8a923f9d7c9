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
use rand_distr::{Distribution, StandardNormal};

use crate::Stream;
use crate::math::ou;

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
