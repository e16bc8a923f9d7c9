//! Parameters of `neuropil`: smooth low-rank background.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Out-of-focus neuropil and tissue autofluorescence: a few smooth spatial components,
/// each with a slow trace partly driven by population activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Neuropil {
    /// Number of spatial components (≥ 1). Default 3.
    pub components: u64,
    /// Correlation length of the spatial components, µm (> 0). Default 60.
    pub spatial_scale_um: f64,
    /// Mean background intensity, in units of an in-focus cell's resting peak (≥ 0).
    /// Default 1.5.
    pub amplitude: f64,
    /// Relative spatial modulation of each component around its mean, in [0, 1].
    /// Default 0.3.
    pub spatial_contrast: f64,
    /// Time constant of the component traces (Ornstein–Uhlenbeck), s (> 0). Default 5.
    pub time_constant_s: f64,
    /// Stationary standard deviation of each trace, relative to its mean (≥ 0).
    /// Default 0.08.
    pub trace_sd: f64,
    /// Fraction of the trace that follows mean population ΔF/F rather than its own
    /// noise, in [0, 1]. Default 0.5.
    pub population_coupling: f64,
}

impl Default for Neuropil {
    fn default() -> Self {
        Neuropil {
            components: 3,
            spatial_scale_um: 60.0,
            amplitude: 1.5,
            spatial_contrast: 0.3,
            time_constant_s: 5.0,
            trace_sd: 0.08,
            population_coupling: 0.5,
        }
    }
}

impl Neuropil {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.count(
            "components",
            self.components,
            1,
            64,
            "a low-rank background",
        );
        v.range(
            "spatial_scale_um",
            self.spatial_scale_um,
            1.0,
            10_000.0,
            "from a soma to beyond any field of view",
        );
        v.range(
            "amplitude",
            self.amplitude,
            0.0,
            1000.0,
            "intensity units, 1 = an in-focus soma",
        );
        v.range(
            "spatial_contrast",
            self.spatial_contrast,
            0.0,
            1.0,
            "a relative modulation",
        );
        v.range_above(
            "time_constant_s",
            self.time_constant_s,
            0.0,
            100_000.0,
            "background fluctuations last from ms to a day",
        );
        v.range(
            "trace_sd",
            self.trace_sd,
            0.0,
            10.0,
            "a ΔF/F standard deviation",
        );
        v.range(
            "population_coupling",
            self.population_coupling,
            0.0,
            1.0,
            "a fraction",
        );
    }
}
