//! Parameters of `calcium`: indicator kinetics and saturation.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Genetically encoded calcium indicators with published single-spike kinetics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// GCaMP6f (Chen et al. 2013).
    Gcamp6f,
    /// GCaMP6s (Chen et al. 2013).
    Gcamp6s,
    /// jGCaMP7f (Dana et al. 2019).
    Gcamp7f,
    /// jGCaMP8m (Zhang et al. 2023).
    Gcamp8m,
    /// Kinetics given entirely by `rise_ms`, `decay_ms` and `dff_per_spike`.
    Custom,
}

/// Single-spike kinetics of an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kinetics {
    /// Rise time constant of the double exponential, ms.
    pub rise_ms: f64,
    /// Decay time constant of the double exponential, ms.
    pub decay_ms: f64,
    /// Peak ΔF/F of one isolated spike, before saturation.
    pub dff_per_spike: f64,
}

impl Indicator {
    /// Published kinetics of the preset; `None` for `Custom`. Values and sources in
    /// docs/physics.md#calcium (decay constants are half-decay times / ln 2).
    pub fn preset(self) -> Option<Kinetics> {
        let (rise_ms, decay_ms, dff_per_spike) = match self {
            Indicator::Gcamp6f => (45.0, 205.0, 0.19),
            Indicator::Gcamp6s => (180.0, 790.0, 0.23),
            Indicator::Gcamp7f => (30.0, 390.0, 0.22),
            Indicator::Gcamp8m => (8.0, 170.0, 0.30),
            Indicator::Custom => return None,
        };
        Some(Kinetics {
            rise_ms,
            decay_ms,
            dff_per_spike,
        })
    }
}

/// Indicator kinetics: a double-exponential kernel per spike, integrated over the
/// exposure, passed through a Hill-type saturation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Calcium {
    /// Indicator preset. Default `gcamp6f`.
    pub indicator: Indicator,
    /// Rise time constant, ms (> 0); overrides the preset; required for `custom`.
    pub rise_ms: Option<f64>,
    /// Decay time constant, ms (> rise_ms); overrides the preset; required for `custom`.
    pub decay_ms: Option<f64>,
    /// Peak ΔF/F of one spike (> 0); overrides the preset; required for `custom`.
    pub dff_per_spike: Option<f64>,
    /// ΔF/F at which the indicator saturates (> 0). Default 5.
    pub saturation_dff: f64,
    /// Hill coefficient of the saturation (≥ 0.5). Default 2.
    pub hill_n: f64,
    /// Coefficient of variation across cells of rise, decay and amplitude (lognormal),
    /// in [0, 1]. Default 0.15.
    pub kinetics_cv: f64,
}

impl Default for Calcium {
    fn default() -> Self {
        Calcium {
            indicator: Indicator::Gcamp6f,
            rise_ms: None,
            decay_ms: None,
            dff_per_spike: None,
            saturation_dff: 5.0,
            hill_n: 2.0,
            kinetics_cv: 0.15,
        }
    }
}

impl Calcium {
    /// Effective kinetics: the preset with any explicit field taking precedence.
    /// For `custom`, every missing field is NaN (validation rejects that).
    pub fn kinetics(&self) -> Kinetics {
        let base = self.indicator.preset().unwrap_or(Kinetics {
            rise_ms: f64::NAN,
            decay_ms: f64::NAN,
            dff_per_spike: f64::NAN,
        });
        Kinetics {
            rise_ms: self.rise_ms.unwrap_or(base.rise_ms),
            decay_ms: self.decay_ms.unwrap_or(base.decay_ms),
            dff_per_spike: self.dff_per_spike.unwrap_or(base.dff_per_spike),
        }
    }

    pub(crate) fn validate(&self, v: &mut Validator) {
        if self.indicator == Indicator::Custom {
            for (field, value) in [
                ("rise_ms", self.rise_ms),
                ("decay_ms", self.decay_ms),
                ("dff_per_spike", self.dff_per_spike),
            ] {
                if value.is_none() {
                    v.fail(field, "is required when indicator is \"custom\"");
                }
            }
        }
        let k = self.kinetics();
        if !k.rise_ms.is_nan() {
            v.positive("rise_ms", k.rise_ms);
        }
        if !k.decay_ms.is_nan() {
            v.positive("decay_ms", k.decay_ms);
            if k.decay_ms <= k.rise_ms {
                v.fail(
                    "decay_ms",
                    format!(
                        "must be greater than rise_ms (got {} ≤ {})",
                        k.decay_ms, k.rise_ms
                    ),
                );
            }
        }
        if !k.dff_per_spike.is_nan() {
            v.positive("dff_per_spike", k.dff_per_spike);
        }
        v.positive("saturation_dff", self.saturation_dff);
        if !(self.hill_n.is_finite() && self.hill_n >= 0.5) {
            v.fail(
                "hill_n",
                format!("must be at least 0.5 (got {})", self.hill_n),
            );
        }
        v.fraction("kinetics_cv", self.kinetics_cv);
    }
}
