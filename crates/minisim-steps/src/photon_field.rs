//! Photoelectrons, photobleaching and excitation flicker (`photon_field` step).
//!
//! Model: expected photoelectrons per pixel and frame
//!     λ(t, p) = k · I(t, p) · b(t) · (1 + ε(t)),
//! k = `photons_per_unit`, b(t) = 1 − a·(1 − e^{−t/τ_b}) evaluated at mid-exposure
//! (population photobleaching), ε = σ_ε·u(t), u a unit OU process with time constant
//! τ_ε (LED drive and thermal drift of the excitation source).
//! Units: I dimensionless, λ in e⁻, t in s. Sources: docs/physics.md#steps.photon_field.

use minisim_spec::PhotonField;
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

/// Scale a frame by its gain.
pub fn apply(gain: f64, frame: &mut [f32]) {
    let g = gain as f32;
    frame.iter_mut().for_each(|v| *v *= g);
}
