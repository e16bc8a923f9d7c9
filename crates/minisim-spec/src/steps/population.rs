//! A population of `place_neurons`: one group of cells with its own anatomy and,
//! optionally, its own activity and indicator.

use serde::{Deserialize, Serialize};

use crate::steps::place_neurons::{CellFields, cell_bounds};
use crate::steps::{Calcium, Morphology, Spikes};
use crate::validate::Validator;

/// One population. Every field left `null` takes the value of the enclosing
/// `place_neurons` step, so a population only states how it differs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Population {
    /// Label reported with the ground truth (default `"population<i>"`).
    pub name: Option<String>,
    /// Density of expressing somata, cells per mm³ (> 0).
    pub density_per_mm3: Option<f64>,
    /// `[shallowest, deepest]` soma depth below the tissue surface, µm (0 ≤ min ≤ max).
    /// Default: the step's slab centred on the focal plane.
    pub depth_range_um: Option<[f64; 2]>,
    /// Explicit soma centres `[depth, y, x]`, µm (depth below the surface; y, x from
    /// the FOV's top-left edge). When given, density and depth range are not used.
    pub positions_um: Option<Vec<[f64; 3]>>,
    /// Mean soma radius, µm (> 0).
    pub soma_radius_mean_um: Option<f64>,
    /// Standard deviation of the soma radius, µm (≥ 0).
    pub soma_radius_sd_um: Option<f64>,
    /// Standard deviation of the in-plane aspect ratio, in [0, 0.5].
    pub soma_aspect_sd: Option<f64>,
    /// Nucleus radius as a fraction of the soma radius, in [0, 1].
    pub nucleus_fraction: Option<f64>,
    /// Cell shape (`soma` or `cytosolic`).
    pub morphology: Option<Morphology>,
    /// Irregularity of the soma outline, in [0, 1].
    pub irregularity: Option<f64>,
    /// Minimum distance between soma centres within this population, µm (≥ 0).
    pub min_separation_um: Option<f64>,
    /// σ of the lognormal expression level (≥ 0).
    pub expression_sigma: Option<f64>,
    /// Median expression relative to the step's cells (> 0). Default 1.
    pub expression_scale: Option<f64>,
    /// This population's spike model (a complete `spikes` block; its unset fields
    /// take the `spikes` defaults). Default: the `spikes` step's.
    pub activity: Option<Spikes>,
    /// This population's indicator (a complete `calcium` block). Default: the
    /// `calcium` step's.
    pub calcium: Option<Calcium>,
}

impl Population {
    pub(crate) fn validate(&self, v: &mut Validator) {
        cell_bounds(
            v,
            CellFields {
                density_per_mm3: self.density_per_mm3,
                soma_radius_mean_um: self.soma_radius_mean_um,
                soma_radius_sd_um: self.soma_radius_sd_um,
                soma_aspect_sd: self.soma_aspect_sd,
                min_separation_um: self.min_separation_um,
                nucleus_fraction: self.nucleus_fraction,
                expression_sigma: self.expression_sigma,
                irregularity: self.irregularity,
            },
        );
        if let Some([lo, hi]) = self.depth_range_um {
            v.range(
                "depth_range_um[0]",
                lo,
                0.0,
                3000.0,
                "depths below the tissue surface",
            );
            v.range(
                "depth_range_um[1]",
                hi,
                0.0,
                3000.0,
                "depths below the tissue surface",
            );
            if lo.is_finite() && hi.is_finite() && hi < lo {
                v.fail(
                    "depth_range_um",
                    format!("must satisfy min <= max (got [{lo}, {hi}])"),
                );
            }
        }
        if let Some(positions) = &self.positions_um {
            if positions.len() > 100_000 {
                v.fail(
                    "positions_um",
                    format!("may list at most 100000 cells (got {})", positions.len()),
                );
            }
            for (i, p) in positions.iter().enumerate() {
                let at = |j: usize| format!("positions_um[{i}][{j}]");
                v.range(&at(0), p[0], 0.0, 3000.0, "depths below the tissue surface");
                v.range(&at(1), p[1], -1e5, 1e5, "µm from the FOV's top edge");
                v.range(&at(2), p[2], -1e5, 1e5, "µm from the FOV's left edge");
            }
        }
        if let Some(s) = self.expression_scale {
            v.range_above(
                "expression_scale",
                s,
                0.0,
                1000.0,
                "a population's median expression relative to the step's",
            );
        }
        if let Some(a) = &self.activity {
            v.within("activity", |v| a.validate(v));
        }
        if let Some(c) = &self.calcium {
            v.within("calcium", |v| c.validate(v));
        }
    }
}
