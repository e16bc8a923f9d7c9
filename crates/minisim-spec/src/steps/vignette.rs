//! Parameters of `vignette`: radial falloff and circular aperture.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Radial falloff of the GRIN lens/objective and its circular aperture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vignette {
    /// Transmission at the middle of the FOV's shorter edge relative to the centre,
    /// in (0, 1]. Default 0.7.
    pub edge_ratio: f64,
    /// Radius of the circular aperture in units of half the shorter FOV side (> 0);
    /// values ≥ √2 leave the corners open. Default 1.3.
    pub aperture_radius: f64,
    /// Width of the aperture's soft edge, px (≥ 0). Default 4.
    pub aperture_softness_px: f64,
}

impl Default for Vignette {
    fn default() -> Self {
        Vignette {
            edge_ratio: 0.7,
            aperture_radius: 1.3,
            aperture_softness_px: 4.0,
        }
    }
}

impl Vignette {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.range_above(
            "edge_ratio",
            self.edge_ratio,
            0.0,
            1.0,
            "a transmission ratio",
        );
        v.range_above(
            "aperture_radius",
            self.aperture_radius,
            0.0,
            1000.0,
            "in half FOV sides; ≥ √2 leaves the corners open",
        );
        v.range(
            "aperture_softness_px",
            self.aperture_softness_px,
            0.0,
            10_000.0,
            "an edge width in pixels",
        );
    }
}
