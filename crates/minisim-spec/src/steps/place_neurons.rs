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
    /// How far the tissue (every population's cells) extends beyond the FOV's edges,
    /// µm (≥ 0); `null` (default) = the whole render canvas (motion and blur margins)
    /// plus a soma diameter, so the blurred light of cells out of view reaches the
    /// edge pixels as in real tissue. The py-minisim import sets py's motion margin
    /// (its tissue ends there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tissue_margin_um: Option<f64>,
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
            tissue_margin_um: None,
        }
    }
}

/// The per-cell fields shared by the step and its populations (`None`: not set).
pub(crate) struct CellFields {
    pub density_per_mm3: Option<f64>,
    pub soma_radius_mean_um: Option<f64>,
    pub soma_radius_sd_um: Option<f64>,
    pub soma_aspect_sd: Option<f64>,
    pub min_separation_um: Option<f64>,
    pub nucleus_fraction: Option<f64>,
    pub expression_sigma: Option<f64>,
    pub irregularity: Option<f64>,
}

/// Bounds of the per-cell fields, for the step and for each population.
pub(crate) fn cell_bounds(v: &mut Validator, f: CellFields) {
    if let Some(d) = f.density_per_mm3 {
        v.range_above(
            "density_per_mm3",
            d,
            0.0,
            5e6,
            "the densest neural tissue (cerebellar granule layer) holds ~4 million cells per mm³",
        );
    }
    if let Some(r) = f.soma_radius_mean_um {
        v.range(
            "soma_radius_mean_um",
            r,
            1.0,
            50.0,
            "somata are 2–100 µm across",
        );
        if let Some(sd) = f.soma_radius_sd_um
            && sd.is_finite()
            && r.is_finite()
            && sd > r
        {
            v.fail(
                "soma_radius_sd_um",
                format!("must be at most soma_radius_mean_um = {r} µm (got {sd}); radii are drawn ≥ 0.3 × the mean"),
            );
        }
    }
    if let Some(sd) = f.soma_radius_sd_um {
        v.range(
            "soma_radius_sd_um",
            sd,
            0.0,
            50.0,
            "at most the mean radius",
        );
    }
    if let Some(a) = f.soma_aspect_sd {
        v.range(
            "soma_aspect_sd",
            a,
            0.0,
            0.5,
            "aspect ratios are drawn in [0.5, 1.5]",
        );
    }
    if let Some(d) = f.min_separation_um {
        v.range(
            "min_separation_um",
            d,
            0.0,
            200.0,
            "a hard-core distance of a few soma diameters at most",
        );
    }
    if let Some(n) = f.nucleus_fraction {
        v.range(
            "nucleus_fraction",
            n,
            0.0,
            1.0,
            "a fraction of the soma radius",
        );
    }
    if let Some(s) = f.expression_sigma {
        v.range(
            "expression_sigma",
            s,
            0.0,
            3.0,
            "a lognormal σ of 3 already spans four decades of brightness",
        );
    }
    if let Some(i) = f.irregularity {
        v.range("irregularity", i, 0.0, 1.0, "a fraction");
    }
}

impl PlaceNeurons {
    pub(crate) fn validate(&self, v: &mut Validator) {
        if let Some(m) = self.tissue_margin_um {
            v.range(
                "tissue_margin_um",
                m,
                0.0,
                10_000.0,
                "tissue beyond the FOV, µm; light from farther than 10 mm never reaches it",
            );
        }
        cell_bounds(
            v,
            CellFields {
                density_per_mm3: Some(self.density_per_mm3),
                soma_radius_mean_um: Some(self.soma_radius_mean_um),
                soma_radius_sd_um: Some(self.soma_radius_sd_um),
                soma_aspect_sd: Some(self.soma_aspect_sd),
                min_separation_um: Some(self.min_separation_um),
                nucleus_fraction: Some(self.nucleus_fraction),
                expression_sigma: Some(self.expression_sigma),
                irregularity: Some(self.irregularity),
            },
        );
        v.range_above(
            "slab_um",
            self.slab_um,
            0.0,
            2000.0,
            "cells farther than 1 mm from focus add nothing but blur",
        );
        v.count(
            "max_cells",
            self.max_cells,
            1,
            2_000_000,
            "a bound on memory and setup time (2 million cells is a 1 mm² × 1 mm cortex column)",
        );
        v.range(
            "dendrite_count_mean",
            self.dendrite_count_mean,
            0.0,
            20.0,
            "neurons have 1–15 primary dendrites",
        );
        v.range_above(
            "dendrite_length_um",
            self.dendrite_length_um,
            0.0,
            500.0,
            "proximal dendrites visible in 1P are tens of µm long",
        );
        v.range_above(
            "dendrite_width_um",
            self.dendrite_width_um,
            0.0,
            20.0,
            "dendrites are 0.5–10 µm wide",
        );
        v.range(
            "dendrite_branch_probability",
            self.dendrite_branch_probability,
            0.0,
            1.0,
            "a probability",
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
