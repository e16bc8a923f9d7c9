//! Parameters of `dust`: debris on the optics (opt-in).

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Particles on an optical surface between the tissue and the sensor (the GRIN lens's
/// top face, a protective window): static dark spots that do not move with the
/// tissue. Each particle is a disc of opacity `a` and diameter `d` in object space,
/// defocused by the surface's distance from the conjugate plane (Gaussian blur of SD
/// `blur_um`). Default: off (not part of the default pipeline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dust {
    /// Particles per mm² of the field of view (object space), ≥ 0. Default 20.
    pub particles_per_mm2: f64,
    /// Median particle diameter in object space, µm (> 0). Default 6.
    pub diameter_um: f64,
    /// σ of the lognormal particle diameter, in [0, 2]. Default 0.5.
    pub diameter_sigma: f64,
    /// Opacity of a particle at its centre, drawn uniformly in `[min, max]`
    /// (0 ≤ min ≤ max ≤ 1). Default `[0.2, 0.6]`.
    pub opacity: [f64; 2],
    /// SD of the defocus blur of the dusty surface, µm (≥ 0). Default 4.
    pub blur_um: f64,
}

impl Default for Dust {
    fn default() -> Self {
        Dust {
            particles_per_mm2: 20.0,
            diameter_um: 6.0,
            diameter_sigma: 0.5,
            opacity: [0.2, 0.6],
            blur_um: 4.0,
        }
    }
}

impl Dust {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.non_negative("particles_per_mm2", self.particles_per_mm2);
        v.positive("diameter_um", self.diameter_um);
        if !(self.diameter_sigma.is_finite() && (0.0..=2.0).contains(&self.diameter_sigma)) {
            v.fail(
                "diameter_sigma",
                format!("must lie in [0, 2] (got {})", self.diameter_sigma),
            );
        }
        let [lo, hi] = self.opacity;
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi && hi <= 1.0) {
            v.fail(
                "opacity",
                format!("must satisfy 0 <= min <= max <= 1 (got [{lo}, {hi}])"),
            );
        }
        v.non_negative("blur_um", self.blur_um);
    }
}
