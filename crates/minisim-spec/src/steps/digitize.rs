//! Parameters of `digitize`: the image sensor and its ADC.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// CMOS sensor: shot noise, PRNU, read and row noise, gain, black level, full well
/// and ADC clipping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Digitize {
    /// ADC resolution, bits, 1..=16. Default 8.
    pub bit_depth: u32,
    /// Conversion gain, digital numbers per electron (> 0). Default 0.25.
    pub gain_dn_per_e: f64,
    /// Read noise, e⁻ RMS (≥ 0). Default 3.
    pub read_noise_e: f64,
    /// Offset added before quantisation, DN (≥ 0). Default 8.
    pub black_level_dn: f64,
    /// Full-well capacity, e⁻ (> 0). Default 10 000.
    pub full_well_e: f64,
    /// Photo-response non-uniformity: relative standard deviation of pixel gain (≥ 0,
    /// < 0.5). Default 0.01.
    pub prnu_sd: f64,
    /// Row (banding) noise: standard deviation of an offset shared by one row in one
    /// frame, e⁻ (≥ 0). Default 0.5.
    pub row_noise_e: f64,
}

impl Default for Digitize {
    fn default() -> Self {
        Digitize {
            bit_depth: 8,
            gain_dn_per_e: 0.25,
            read_noise_e: 3.0,
            black_level_dn: 8.0,
            full_well_e: 10_000.0,
            prnu_sd: 0.01,
            row_noise_e: 0.5,
        }
    }
}

impl Digitize {
    /// Largest count the ADC can produce, `2^bit_depth − 1`.
    pub fn max_count(&self) -> u16 {
        ((1u32 << self.bit_depth.clamp(1, 16)) - 1) as u16
    }

    pub(crate) fn validate(&self, v: &mut Validator) {
        if !(1..=16).contains(&self.bit_depth) {
            v.fail(
                "bit_depth",
                format!("must satisfy 1 <= bit_depth <= 16 (got {})", self.bit_depth),
            );
        }
        v.positive("gain_dn_per_e", self.gain_dn_per_e);
        v.non_negative("read_noise_e", self.read_noise_e);
        v.non_negative("black_level_dn", self.black_level_dn);
        v.positive("full_well_e", self.full_well_e);
        if !(self.prnu_sd.is_finite() && (0.0..0.5).contains(&self.prnu_sd)) {
            v.fail(
                "prnu_sd",
                format!("must lie in [0, 0.5) (got {})", self.prnu_sd),
            );
        }
        v.non_negative("row_noise_e", self.row_noise_e);
    }
}
