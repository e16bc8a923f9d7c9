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
    /// Relative standard deviation of the excitation flicker (OU), ≥ 0. Default 0.01.
    pub flicker_sd: f64,
    /// Correlation time of the flicker, s (> 0). Default 0.5.
    pub flicker_tau_s: f64,
}

impl Default for PhotonField {
    fn default() -> Self {
        PhotonField {
            photons_per_unit: 200.0,
            bleach_amplitude: 0.2,
            bleach_time_constant_s: 300.0,
            flicker_sd: 0.01,
            flicker_tau_s: 0.5,
        }
    }
}

impl PhotonField {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.positive("photons_per_unit", self.photons_per_unit);
        v.fraction("bleach_amplitude", self.bleach_amplitude);
        v.positive("bleach_time_constant_s", self.bleach_time_constant_s);
        v.non_negative("flicker_sd", self.flicker_sd);
        if self.flicker_sd.is_finite() && self.flicker_sd >= 0.5 {
            v.fail(
                "flicker_sd",
                format!("must be below 0.5 (got {})", self.flicker_sd),
            );
        }
        v.positive("flicker_tau_s", self.flicker_tau_s);
    }
}
