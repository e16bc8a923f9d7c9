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
        v.range(
            "particles_per_mm2",
            self.particles_per_mm2,
            0.0,
            100_000.0,
            "beyond this the optics are opaque",
        );
        v.range_above(
            "diameter_um",
            self.diameter_um,
            0.0,
            500.0,
            "debris of 1–100 µm",
        );
        v.range(
            "diameter_sigma",
            self.diameter_sigma,
            0.0,
            2.0,
            "a lognormal σ",
        );
        let [lo, hi] = self.opacity;
        v.range("opacity[0]", lo, 0.0, 1.0, "a fraction of the light");
        v.range("opacity[1]", hi, 0.0, 1.0, "a fraction of the light");
        if lo.is_finite() && hi.is_finite() && lo > hi {
            v.fail(
                "opacity",
                format!("must satisfy min <= max (got [{lo}, {hi}])"),
            );
        }
        v.range("blur_um", self.blur_um, 0.0, 500.0, "a defocus blur SD");
    }
}
