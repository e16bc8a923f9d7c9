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
        if let Some(r) = self.rise_ms {
            v.range_above("rise_ms", r, 0.0, 5000.0, "indicators rise in 1–500 ms");
        }
        if let Some(d) = self.decay_ms {
            v.range_above(
                "decay_ms",
                d,
                0.0,
                60_000.0,
                "indicators decay in 0.05–10 s",
            );
        }
        if k.decay_ms.is_finite() && k.rise_ms.is_finite() && k.decay_ms < 1.5 * k.rise_ms {
            v.fail(
                "decay_ms",
                format!(
                    "must be at least 1.5 × rise_ms (got {} < {}); the double-exponential kernel degenerates as decay approaches rise",
                    k.decay_ms,
                    1.5 * k.rise_ms
                ),
            );
        }
        if let Some(a) = self.dff_per_spike {
            v.range_above(
                "dff_per_spike",
                a,
                0.0,
                50.0,
                "one spike raises ΔF/F by 0.01–1",
            );
        }
        v.range_above(
            "saturation_dff",
            self.saturation_dff,
            0.0,
            1000.0,
            "indicators saturate at ΔF/F of 1–100",
        );
        v.range(
            "hill_n",
            self.hill_n,
            0.5,
            10.0,
            "Hill coefficients of calcium indicators are 1–4",
        );
        v.range(
            "kinetics_cv",
            self.kinetics_cv,
            0.0,
            1.0,
            "a coefficient of variation",
        );
    }
}
