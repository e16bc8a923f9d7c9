//! Parameters of `vasculature`: absorbing, pulsating vessels.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Blood vessels crossing the field: absorbing masks whose depth pulsates slowly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vasculature {
    /// Number of vessels (0 disables them). Default 4.
    pub vessels: u64,
    /// Smallest vessel diameter, µm (> 0). Default 8.
    pub width_min_um: f64,
    /// Largest vessel diameter, µm (≥ width_min_um). Default 25.
    pub width_max_um: f64,
    /// Fraction of light absorbed at a vessel's centre line, in [0, 1]. Default 0.4.
    pub absorption: f64,
    /// Relative amplitude of vasomotion (diameter oscillation), in [0, 1]. Default 0.1.
    pub vasomotion_amplitude: f64,
    /// Frequency of vasomotion, Hz (> 0). Default 0.1.
    pub vasomotion_hz: f64,
    /// Depth of the `vessels` curves below the tissue surface, µm (≥ 0): they are
    /// blurred by the optics' defocus at that depth, like tree layers. `null` draws
    /// them in focus (sharp). Default `null`.
    pub depth_um: Option<f64>,
    /// Relative SD of the tissue's global transmission through blood volume and
    /// oxygenation changes (haemodynamics), in [0, 0.2]: every pixel is multiplied by
    /// 1 − σ·u(t), u a unit Ornstein–Uhlenbeck process. 0 disables. Default 0.01.
    pub hemodynamic_sd: f64,
    /// Time constant of the haemodynamic process, s (> 0). Default 3.
    pub hemodynamic_tau_s: f64,
    /// Branching vessel trees in depth layers, drawn in addition to the `vessels`
    /// curves (set `vessels` to 0 for trees only). Default `null`.
    pub layers: Option<Vec<VesselLayer>>,
}

/// One depth layer of branching vessel trees grown in from the canvas edges: radii
/// taper by Murray's law (r³ = r₁³ + r₂³ at each bifurcation), headings wander, and the
/// layer is blurred by the optics' defocus at its depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VesselLayer {
    /// Depth below the tissue surface, µm (≥ 0). Default 30.
    pub depth_um: f64,
    /// Number of trees entering from the edges (≥ 1). Default 3.
    pub roots: u64,
    /// Trunk diameter, µm (> 0). Default 30.
    pub root_diameter_um: f64,
    /// A branch ends once its diameter falls below this, µm (> 0, < trunk). Default 4.
    pub min_diameter_um: f64,
    /// Fraction of light absorbed at a vessel's centre line, in [0, 1]. Default 0.5.
    pub absorption: f64,
    /// Probability of a bifurcation per growth step, in [0, 1). Default 0.2.
    pub branch_probability: f64,
    /// SD of the heading change per step, degrees (≥ 0). Default 8.
    pub tortuosity_deg: f64,
    /// Turn of the thinner child at a bifurcation, degrees (≥ 0). Default 35.
    pub branch_angle_deg: f64,
    /// Main child's share of the parent's r³ at a bifurcation, in (0.5, 1). Default 0.7.
    pub main_share: f64,
    /// Growth step as a multiple of the current radius (> 0). Default 1.5.
    pub step_per_radius: f64,
}

impl Default for VesselLayer {
    fn default() -> Self {
        VesselLayer {
            depth_um: 30.0,
            roots: 3,
            root_diameter_um: 30.0,
            min_diameter_um: 4.0,
            absorption: 0.5,
            branch_probability: 0.2,
            tortuosity_deg: 8.0,
            branch_angle_deg: 35.0,
            main_share: 0.7,
            step_per_radius: 1.5,
        }
    }
}

impl VesselLayer {
    fn validate(&self, v: &mut Validator) {
        v.range(
            "depth_um",
            self.depth_um,
            0.0,
            3000.0,
            "depths below the tissue surface",
        );
        v.count("roots", self.roots, 1, 100, "a bound on setup time");
        let size = "vessels are 3–500 µm across";
        v.range_above("root_diameter_um", self.root_diameter_um, 0.0, 500.0, size);
        v.range_above("min_diameter_um", self.min_diameter_um, 0.0, 500.0, size);
        if self.min_diameter_um >= self.root_diameter_um {
            v.fail(
                "min_diameter_um",
                format!(
                    "must be below root_diameter_um (got {} >= {})",
                    self.min_diameter_um, self.root_diameter_um
                ),
            );
        }
        v.range(
            "absorption",
            self.absorption,
            0.0,
            1.0,
            "a fraction of the light",
        );
        v.range(
            "branch_probability",
            self.branch_probability,
            0.0,
            0.95,
            "per growth step; 1 would branch at every step",
        );
        v.range(
            "tortuosity_deg",
            self.tortuosity_deg,
            0.0,
            90.0,
            "heading change per step",
        );
        v.range(
            "branch_angle_deg",
            self.branch_angle_deg,
            0.0,
            180.0,
            "an angle",
        );
        if !(self.main_share > 0.5 && self.main_share < 1.0) {
            v.fail(
                "main_share",
                format!("must lie in (0.5, 1) (got {})", self.main_share),
            );
        }
        v.range(
            "step_per_radius",
            self.step_per_radius,
            0.1,
            20.0,
            "growth step in radii",
        );
    }
}

impl Default for Vasculature {
    fn default() -> Self {
        Vasculature {
            vessels: 4,
            width_min_um: 8.0,
            width_max_um: 25.0,
            absorption: 0.4,
            vasomotion_amplitude: 0.1,
            vasomotion_hz: 0.1,
            depth_um: None,
            hemodynamic_sd: 0.01,
            hemodynamic_tau_s: 3.0,
            layers: None,
        }
    }
}

impl Vasculature {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.count("vessels", self.vessels, 0, 200, "a bound on setup time");
        let size = "vessels are 3–500 µm across";
        v.range_above("width_min_um", self.width_min_um, 0.0, 500.0, size);
        v.range_above("width_max_um", self.width_max_um, 0.0, 500.0, size);
        if self.width_max_um < self.width_min_um {
            v.fail(
                "width_max_um",
                format!(
                    "must be at least width_min_um (got {} < {})",
                    self.width_max_um, self.width_min_um
                ),
            );
        }
        v.range(
            "absorption",
            self.absorption,
            0.0,
            1.0,
            "a fraction of the light",
        );
        v.range(
            "vasomotion_amplitude",
            self.vasomotion_amplitude,
            0.0,
            0.9,
            "relative diameter change; vessels dilate by 5–30 %",
        );
        v.range_above(
            "vasomotion_hz",
            self.vasomotion_hz,
            0.0,
            10.0,
            "vasomotion and heartbeat are below 10 Hz in mice",
        );
        if let Some(depth) = self.depth_um {
            v.range(
                "depth_um",
                depth,
                0.0,
                3000.0,
                "depths below the tissue surface",
            );
        }
        v.range(
            "hemodynamic_sd",
            self.hemodynamic_sd,
            0.0,
            0.2,
            "haemodynamic absorption changes fluorescence by a few %",
        );
        v.range_above(
            "hemodynamic_tau_s",
            self.hemodynamic_tau_s,
            0.0,
            10_000.0,
            "a correlation time",
        );
        for (i, layer) in self.layers.iter().flatten().enumerate() {
            v.within(&format!("layers[{i}]"), |v| layer.validate(v));
        }
    }
}
