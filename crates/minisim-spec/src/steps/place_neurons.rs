//! Parameters of `place_neurons`: somata in a slab around the focal plane.

use serde::{Deserialize, Serialize};

use crate::steps::Population;
use crate::validate::Validator;

/// The shape of the expressing cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Morphology {
    /// Soma-targeted indicator: the soma only.
    #[default]
    Soma,
    /// Cytosolic indicator: soma plus proximal dendrites.
    Cytosolic,
}

/// Where the somata are and how bright they express.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlaceNeurons {
    /// Density of expressing somata, cells per mm³ (> 0). Default 20 000.
    pub density_per_mm3: f64,
    /// Thickness of the slab of tissue centred on the focal plane that holds cells, µm
    /// (> 0). Default 100.
    pub slab_um: f64,
    /// Mean soma radius, µm (> 0). Default 6.
    pub soma_radius_mean_um: f64,
    /// Standard deviation of the soma radius across cells, µm (≥ 0). Default 1.
    pub soma_radius_sd_um: f64,
    /// Standard deviation of the in-plane aspect ratio around 1 (ellipsoidal somata),
    /// dimensionless, in [0, 0.5]. Default 0.1.
    pub soma_aspect_sd: f64,
    /// Minimum distance between soma centres, µm (≥ 0). Default 10.
    pub min_separation_um: f64,
    /// Nucleus radius as a fraction of the soma radius, in [0, 1]. Default 0.5.
    pub nucleus_fraction: f64,
    /// σ of the lognormal expression level (median 1), dimensionless (≥ 0). Default 0.4.
    pub expression_sigma: f64,
    /// Upper bound on the number of cells placed (≥ 1), over all populations.
    /// Default 20 000.
    pub max_cells: u64,
    /// Cell shape: `soma` (filled ellipsoid with a dim nucleus) or `cytosolic` (soma
    /// plus tapering, branching proximal dendrites). Default `soma`.
    pub morphology: Morphology,
    /// Irregularity of the soma outline, in [0, 1]: the radius is modulated by smooth
    /// angular noise of relative SD ≈ 0.15·irregularity. Default 0 (smooth ellipse).
    pub irregularity: f64,
    /// Mean number of primary dendrites of a `cytosolic` cell (≥ 0). Default 4.
    pub dendrite_count_mean: f64,
    /// Mean length of a primary dendrite, µm (> 0). Default 24.
    pub dendrite_length_um: f64,
    /// Width of a dendrite at the soma, µm (> 0); tapers to a third at the tip.
    /// Default 3.
    pub dendrite_width_um: f64,
    /// Probability that a primary dendrite branches once, in [0, 1]. Default 0.4.
    pub dendrite_branch_probability: f64,
    /// Several populations placed together (e.g. a thin layer over a deep volume),
    /// each inheriting every field it leaves `null` from this step; `null` (default)
    /// = one population described by the fields above.
    pub populations: Option<Vec<Population>>,
}

impl Default for PlaceNeurons {
    fn default() -> Self {
        PlaceNeurons {
            density_per_mm3: 20_000.0,
            slab_um: 100.0,
            soma_radius_mean_um: 6.0,
            soma_radius_sd_um: 1.0,
            soma_aspect_sd: 0.1,
            min_separation_um: 10.0,
            nucleus_fraction: 0.5,
            expression_sigma: 0.4,
            max_cells: 20_000,
            morphology: Morphology::Soma,
            irregularity: 0.0,
            dendrite_count_mean: 4.0,
            dendrite_length_um: 24.0,
            dendrite_width_um: 3.0,
            dendrite_branch_probability: 0.4,
            populations: None,
        }
    }
}

impl PlaceNeurons {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.positive("density_per_mm3", self.density_per_mm3);
        v.positive("slab_um", self.slab_um);
        v.positive("soma_radius_mean_um", self.soma_radius_mean_um);
        v.non_negative("soma_radius_sd_um", self.soma_radius_sd_um);
        if !(self.soma_aspect_sd.is_finite() && (0.0..=0.5).contains(&self.soma_aspect_sd)) {
            v.fail(
                "soma_aspect_sd",
                format!("must lie in [0, 0.5] (got {})", self.soma_aspect_sd),
            );
        }
        v.non_negative("min_separation_um", self.min_separation_um);
        v.fraction("nucleus_fraction", self.nucleus_fraction);
        v.non_negative("expression_sigma", self.expression_sigma);
        v.at_least_one("max_cells", self.max_cells);
        v.fraction("irregularity", self.irregularity);
        v.non_negative("dendrite_count_mean", self.dendrite_count_mean);
        v.positive("dendrite_length_um", self.dendrite_length_um);
        v.positive("dendrite_width_um", self.dendrite_width_um);
        v.fraction(
            "dendrite_branch_probability",
            self.dendrite_branch_probability,
        );
        if let Some(pops) = &self.populations {
            if pops.is_empty() {
                v.fail(
                    "populations",
                    "must list at least one population, or be null",
                );
            }
            for (i, p) in pops.iter().enumerate() {
                v.within(&format!("populations[{i}]"), |v| p.validate(v));
            }
        }
    }

    /// The population `i` with every unset field taken from this step.
    pub fn population(&self, i: usize) -> Option<PlaceNeurons> {
        let p = self.populations.as_ref()?.get(i)?;
        Some(PlaceNeurons {
            density_per_mm3: p.density_per_mm3.unwrap_or(self.density_per_mm3),
            soma_radius_mean_um: p.soma_radius_mean_um.unwrap_or(self.soma_radius_mean_um),
            soma_radius_sd_um: p.soma_radius_sd_um.unwrap_or(self.soma_radius_sd_um),
            soma_aspect_sd: p.soma_aspect_sd.unwrap_or(self.soma_aspect_sd),
            nucleus_fraction: p.nucleus_fraction.unwrap_or(self.nucleus_fraction),
            min_separation_um: p.min_separation_um.unwrap_or(self.min_separation_um),
            expression_sigma: p.expression_sigma.unwrap_or(self.expression_sigma),
            morphology: p.morphology.unwrap_or(self.morphology),
            irregularity: p.irregularity.unwrap_or(self.irregularity),
            populations: None,
            ..self.clone()
        })
    }

    /// Names of the populations (`population<i>` when unnamed); one entry, the
    /// step's own, without `populations`.
    pub fn population_names(&self) -> Vec<String> {
        match &self.populations {
            Some(pops) => pops
                .iter()
                .enumerate()
                .map(|(i, p)| p.name.clone().unwrap_or_else(|| format!("population{i}")))
                .collect(),
            None => vec!["population0".to_owned()],
        }
    }
}
