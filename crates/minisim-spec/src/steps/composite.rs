//! Parameters of `composite`: footprints from the optics × fluorescence.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// How each cell's light reaches the focal plane image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Composite {
    /// Footprints are truncated where they fall below this fraction of their peak,
    /// in (0, 0.5). Default 1e-3.
    pub psf_truncation: f64,
    /// Brightness of the nucleus relative to the cytoplasm, in [0, 1]. Default 0.3.
    pub nucleus_brightness: f64,
    /// Fraction of the scattered (non-ballistic) emission that is still collected,
    /// spread into a broad halo, in [0, 1]. Default 0.5.
    pub scatter_collection: f64,
    /// Width of the scattering halo per µm of tissue path: σ_halo = halo_spread · path,
    /// dimensionless (≥ 0). Default 0.15.
    pub halo_spread: f64,
    /// Resting fluorescence of a cell of expression 1 at the centre of an in-focus
    /// soma, in image intensity units (> 0). Default 1.
    pub resting_brightness: f64,
}

impl Default for Composite {
    fn default() -> Self {
        Composite {
            psf_truncation: 1e-3,
            nucleus_brightness: 0.3,
            scatter_collection: 0.5,
            halo_spread: 0.15,
            resting_brightness: 1.0,
        }
    }
}

impl Composite {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.range(
            "psf_truncation",
            self.psf_truncation,
            1e-6,
            0.49,
            "footprints are cut below this fraction of their peak; below 1e-6 they grow without changing the image",
        );
        v.range(
            "nucleus_brightness",
            self.nucleus_brightness,
            0.0,
            1.0,
            "relative to the cytoplasm",
        );
        v.range(
            "scatter_collection",
            self.scatter_collection,
            0.0,
            1.0,
            "a fraction of the scattered light",
        );
        v.range(
            "halo_spread",
            self.halo_spread,
            0.0,
            2.0,
            "the halo widens by at most the tissue path (µm per µm)",
        );
        v.range_above(
            "resting_brightness",
            self.resting_brightness,
            0.0,
            1000.0,
            "intensity units, 1 = an in-focus soma",
        );
    }
}
