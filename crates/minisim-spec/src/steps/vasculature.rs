//! Parameters of `vasculature`: absorbing, pulsating vessels.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Blood vessels crossing the field: absorbing masks whose depth pulsates slowly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vasculature {
    /// Number of vessels (0 disables them). Default 4.
    pub vessels: u64,
    /// Smallest vessel diameter, µm (> 0). Default 8.
    pub width_min_um: f64,
    /// Largest vessel diameter, µm (≥ width_min_um). Default 25.
    pub width_max_um: f64,
    /// Fraction of light absorbed at a vessel's centre line, in [0, 1]. Default 0.4.
    pub absorption: f64,
    /// Relative amplitude of vasomotion (diameter oscillation), in [0, 1]. Default 0.1.
    pub vasomotion_amplitude: f64,
    /// Frequency of vasomotion, Hz (> 0). Default 0.1.
    pub vasomotion_hz: f64,
}

impl Default for Vasculature {
    fn default() -> Self {
        Vasculature {
            vessels: 4,
            width_min_um: 8.0,
            width_max_um: 25.0,
            absorption: 0.4,
            vasomotion_amplitude: 0.1,
            vasomotion_hz: 0.1,
        }
    }
}

impl Vasculature {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.positive("width_min_um", self.width_min_um);
        v.positive("width_max_um", self.width_max_um);
        if self.width_max_um < self.width_min_um {
            v.fail(
                "width_max_um",
                format!(
                    "must be at least width_min_um (got {} < {})",
                    self.width_max_um, self.width_min_um
                ),
            );
        }
        v.fraction("absorption", self.absorption);
        v.fraction("vasomotion_amplitude", self.vasomotion_amplitude);
        v.positive("vasomotion_hz", self.vasomotion_hz);
    }
}
