//! Parameters of `photon_field`: photoelectrons, bleaching and excitation flicker.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Scale intensity to expected photoelectrons per pixel and frame, with
/// photobleaching and excitation-LED flicker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhotonField {
    /// Expected photoelectrons per pixel and frame for intensity 1 (> 0). Default 200.
    pub photons_per_unit: f64,
    /// Fraction of the signal lost to bleaching as t → ∞, in [0, 1]. Default 0.2.
    pub bleach_amplitude: f64,
    /// Time constant of bleaching, s (> 0). Default 300.
    pub bleach_time_constant_s: f64,
    /// Relative standard deviation of the excitation flicker (OU), ≥ 0. Default 0.003
    /// (LED output under constant-current drive drifts by well under 1 %).
    pub flicker_sd: f64,
    /// Correlation time of the flicker, s (> 0). Default 0.5.
    pub flicker_tau_s: f64,
    /// Per-cell photobleaching with turnover (beside the global trend above).
    /// Default `null` (off).
    pub cell_bleaching: Option<CellBleaching>,
}

/// Per-cell photobleaching: each cell's intact-fluorophore fraction q obeys
/// dq/dt = −k·E·(1 + ΔF/F)·q + (1 − q)/τ, with E the excitation at the cell (1 at the
/// FOV centre, `excitation_edge_ratio` at half the shorter FOV side, quadratic in
/// between) times `excitation_intensity`. The cell's brightness is scaled by q.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CellBleaching {
    /// Bleach rate at unit excitation and resting emission, 1/s (≥ 0). Default 6.3e-6.
    pub susceptibility_per_s: f64,
    /// Fluorophore turnover (recovery) time constant, s (> 0). Default 20 000.
    pub turnover_tau_s: f64,
    /// Excitation level, dimensionless (≥ 0; 1 = a typical continuous level). Default 1.
    pub excitation_intensity: f64,
    /// Excitation at half the shorter FOV side relative to the centre, in [0, 1].
    /// Default 0.7.
    pub excitation_edge_ratio: f64,
}

impl Default for CellBleaching {
    fn default() -> Self {
        CellBleaching {
            susceptibility_per_s: 6.3e-6,
            turnover_tau_s: 20_000.0,
            excitation_intensity: 1.0,
            excitation_edge_ratio: 0.7,
        }
    }
}

impl CellBleaching {
    fn validate(&self, v: &mut Validator) {
        v.range(
            "susceptibility_per_s",
            self.susceptibility_per_s,
            0.0,
            10.0,
            "GFP-type indicators bleach at ~1e-5 per s at typical 1P excitation",
        );
        v.range_above(
            "turnover_tau_s",
            self.turnover_tau_s,
            0.0,
            1e9,
            "a time constant",
        );
        v.range(
            "excitation_intensity",
            self.excitation_intensity,
            0.0,
            1000.0,
            "relative to a typical continuous level",
        );
        v.range(
            "excitation_edge_ratio",
            self.excitation_edge_ratio,
            0.0,
            1.0,
            "a ratio",
        );
    }
}

impl Default for PhotonField {
    fn default() -> Self {
        PhotonField {
            photons_per_unit: 200.0,
            bleach_amplitude: 0.2,
            bleach_time_constant_s: 300.0,
            flicker_sd: 0.003,
            flicker_tau_s: 0.5,
            cell_bleaching: None,
        }
    }
}

impl PhotonField {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.range_above(
            "photons_per_unit",
            self.photons_per_unit,
            0.0,
            1e7,
            "photoelectrons per pixel and frame; sensors hold at most ~1e6",
        );
        v.range(
            "bleach_amplitude",
            self.bleach_amplitude,
            0.0,
            1.0,
            "a fraction of the signal",
        );
        v.range_above(
            "bleach_time_constant_s",
            self.bleach_time_constant_s,
            0.0,
            1e9,
            "a time constant",
        );
        v.range(
            "flicker_sd",
            self.flicker_sd,
            0.0,
            0.49,
            "relative excitation fluctuation; LED drivers stay below 1 %",
        );
        v.range_above(
            "flicker_tau_s",
            self.flicker_tau_s,
            0.0,
            10_000.0,
            "a correlation time",
        );
        if let Some(c) = &self.cell_bleaching {
            v.within("cell_bleaching", |v| c.validate(v));
        }
    }
}
