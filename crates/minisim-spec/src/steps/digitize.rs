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
        v.count(
            "bit_depth",
            self.bit_depth as u64,
            1,
            16,
            "counts are stored as 16-bit integers",
        );
        v.range_above(
            "gain_dn_per_e",
            self.gain_dn_per_e,
            0.0,
            1000.0,
            "a conversion gain",
        );
        let e = "electrons RMS; sensors read 0.5–50 e⁻";
        v.range("read_noise_e", self.read_noise_e, 0.0, 10_000.0, e);
        v.range(
            "black_level_dn",
            self.black_level_dn,
            0.0,
            65_535.0,
            "a count",
        );
        v.range_above(
            "full_well_e",
            self.full_well_e,
            0.0,
            1e8,
            "pixels hold 1e3–1e6 electrons",
        );
        v.range(
            "prnu_sd",
            self.prnu_sd,
            0.0,
            0.49,
            "pixel gain spread; sensors have 0.5–2 %",
        );
        v.range("row_noise_e", self.row_noise_e, 0.0, 10_000.0, e);
    }
}
