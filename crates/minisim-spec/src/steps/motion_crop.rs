//! Parameters of `motion_crop`: rigid brain motion and the crop to the field of view.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Sub-pixel interpolation kernel used to shift the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    /// Bilinear (support 2×2).
    Bilinear,
    /// Lanczos with a = 3 (support 6×6).
    Lanczos3,
}

impl Interpolation {
    /// Pixels of canvas needed beyond the shift on each side.
    pub fn support_px(self) -> u32 {
        match self {
            Interpolation::Bilinear => 1,
            Interpolation::Lanczos3 => 3,
        }
    }
}

/// Rigid motion: an Ornstein–Uhlenbeck drift plus rare jumps, clamped to a maximum
/// shift; the shifted canvas is cropped to the field of view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MotionCrop {
    /// Stationary standard deviation of the drift per axis, µm (≥ 0). Default 1.
    pub ou_sigma_um: f64,
    /// Correlation time of the drift, s (> 0). Default 1.
    pub ou_tau_s: f64,
    /// Rate of sudden jumps, Hz (≥ 0). Default 0.02.
    pub jump_rate_hz: f64,
    /// Size of a jump, µm (≥ 0); a jump then relaxes with `ou_tau_s`. Default 4.
    pub jump_um: f64,
    /// Largest displacement from rest per axis, µm (> 0); sets the canvas margin.
    /// Default 10.
    pub max_shift_um: f64,
    /// Interpolation kernel. Default `lanczos3`.
    pub interpolation: Interpolation,
    /// Intra-exposure motion blur: positions along the tissue's path during the
    /// exposure averaged per frame, 1..=16; 1 = no blur. Default 1.
    pub exposure_blur_samples: u32,
}

impl Default for MotionCrop {
    fn default() -> Self {
        MotionCrop {
            ou_sigma_um: 1.0,
            ou_tau_s: 1.0,
            jump_rate_hz: 0.02,
            jump_um: 4.0,
            max_shift_um: 10.0,
            interpolation: Interpolation::Lanczos3,
            exposure_blur_samples: 1,
        }
    }
}

impl MotionCrop {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.non_negative("ou_sigma_um", self.ou_sigma_um);
        v.positive("ou_tau_s", self.ou_tau_s);
        v.non_negative("jump_rate_hz", self.jump_rate_hz);
        v.non_negative("jump_um", self.jump_um);
        v.positive("max_shift_um", self.max_shift_um);
        if !(1..=16).contains(&self.exposure_blur_samples) {
            v.fail(
                "exposure_blur_samples",
                format!(
                    "must satisfy 1 <= exposure_blur_samples <= 16 (got {})",
                    self.exposure_blur_samples
                ),
            );
        }
    }
}
