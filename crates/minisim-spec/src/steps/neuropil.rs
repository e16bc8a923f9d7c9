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
        v.at_least_one("components", self.components);
        v.positive("spatial_scale_um", self.spatial_scale_um);
        v.non_negative("amplitude", self.amplitude);
        v.fraction("spatial_contrast", self.spatial_contrast);
        v.positive("time_constant_s", self.time_constant_s);
        v.non_negative("trace_sd", self.trace_sd);
        v.fraction("population_coupling", self.population_coupling);
    }
}
