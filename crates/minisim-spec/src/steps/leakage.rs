//! Parameters of `leakage`: electrons that do not come from the fluorophores.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Dark current with its non-uniformity, hot pixels and excitation bleed-through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Leakage {
    /// Mean dark current, e⁻ per pixel per s (≥ 0). Default 20.
    pub dark_current_e_per_s: f64,
    /// Dark-signal non-uniformity: standard deviation of the dark current across
    /// pixels, e⁻/s (≥ 0). Default 5.
    pub dsnu_e_per_s: f64,
    /// Fraction of hot pixels, in [0, 1]. Default 2e-4.
    pub hot_pixel_fraction: f64,
    /// Dark current of a hot pixel, e⁻/s (≥ 0). Default 2000.
    pub hot_pixel_e_per_s: f64,
    /// Excitation light leaking through the emission filter, mean e⁻ per pixel and
    /// frame, as a smooth gradient across the sensor (≥ 0). Default 4.
    pub bleedthrough_e: f64,
}

impl Default for Leakage {
    fn default() -> Self {
        Leakage {
            dark_current_e_per_s: 20.0,
            dsnu_e_per_s: 5.0,
            hot_pixel_fraction: 2e-4,
            hot_pixel_e_per_s: 2000.0,
            bleedthrough_e: 4.0,
        }
    }
}

impl Leakage {
    pub(crate) fn validate(&self, v: &mut Validator) {
        let e = "electrons; sensors hold at most ~1e6 per pixel";
        v.range(
            "dark_current_e_per_s",
            self.dark_current_e_per_s,
            0.0,
            1e6,
            e,
        );
        v.range("dsnu_e_per_s", self.dsnu_e_per_s, 0.0, 1e6, e);
        v.range(
            "hot_pixel_fraction",
            self.hot_pixel_fraction,
            0.0,
            0.5,
            "a fraction of the pixels",
        );
        v.range("hot_pixel_e_per_s", self.hot_pixel_e_per_s, 0.0, 1e7, e);
        v.range("bleedthrough_e", self.bleedthrough_e, 0.0, 1e6, e);
    }
}
