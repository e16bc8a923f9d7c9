//! `output.export`: what vendor software does to the frames before users see them.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Resampling kernel of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKernel {
    /// Linear interpolation (triangle kernel, support 2 px).
    Bilinear,
    /// Keys' cubic convolution with a = −0.5 (support 4 px), as in MATLAB's and
    /// OpenCV's bicubic resize.
    #[default]
    Bicubic,
}

/// Stored sample type of the exported movie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportDtype {
    /// Counts rounded to the nearest integer and clamped to [0, 65535] (`u16`).
    #[default]
    U16,
    /// Unrounded `f32` (counts or intensity).
    F32,
}

/// Vendor export of the digitised frames: spatial binning, resampling to a target
/// pixel size, rigid motion correction, stored type. Applied in that order to every
/// observed frame; the ground truth's spatial maps go through the same binning and
/// resampling. Snapshots stay at the sensor's pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Export {
    /// Spatial binning factor k (≥ 1): each output pixel is the mean of a k × k block
    /// of sensor pixels (partial blocks at the right and bottom edges are dropped).
    /// Default 1.
    pub bin: u32,
    /// Resample the binned frames to this pixel size, µm (> 0). `null` keeps the
    /// binned pixels. Default `null`.
    pub pixel_um: Option<f64>,
    /// Kernel for resampling and motion correction. Default `bicubic`.
    pub kernel: ExportKernel,
    /// When downsampling, widen the kernel by the scale factor (anti-aliasing, as
    /// MATLAB's `imresize` and scikit-image's `rescale` do). Default true.
    pub antialias: bool,
    /// Rigid motion correction by the vendor: each frame is shifted back by the
    /// tissue's displacement (the ground-truth path, i.e. a perfect registration) with
    /// `kernel`; edges are clamped. Default false.
    pub motion_correction: bool,
    /// Stored sample type. Default `u16`.
    pub dtype: ExportDtype,
}

impl Default for Export {
    fn default() -> Self {
        Export {
            bin: 1,
            pixel_um: None,
            kernel: ExportKernel::Bicubic,
            antialias: true,
            motion_correction: false,
            dtype: ExportDtype::U16,
        }
    }
}

impl Export {
    /// Output size `[height, width]` of a sensor window `fov_px` with pixels of
    /// `pixel_um`: ⌊fov/bin⌋, then ⌊n·(pixel·bin)/target⌋ (at least 1) when resampling.
    pub fn dims(&self, fov_px: [u32; 2], pixel_um: f64) -> [u32; 2] {
        let binned = fov_px.map(|n| (n / self.bin.max(1)).max(1));
        match self.pixel_um {
            None => binned,
            Some(target) => {
                let from = pixel_um * self.bin.max(1) as f64;
                binned.map(|n| ((n as f64 * from / target + 1e-9).floor() as u32).max(1))
            }
        }
    }

    /// Output pixel size, µm.
    pub fn pixel_um(&self, pixel_um: f64) -> f64 {
        self.pixel_um.unwrap_or(pixel_um * self.bin.max(1) as f64)
    }

    pub(crate) fn validate(&self, fov_px: [u32; 2], pixel_um: f64, v: &mut Validator) {
        v.count("bin", self.bin as u64, 1, 64, "vendor binning is 1–8×");
        if self.bin > fov_px[0].min(fov_px[1]) {
            v.fail(
                "bin",
                format!(
                    "is larger than the field of view ({}×{} px)",
                    fov_px[0], fov_px[1]
                ),
            );
        }
        if let Some(p) = self.pixel_um {
            v.range_above("pixel_um", p, 0.0, 1000.0, "exported pixels of 0.1–20 µm");
            let from = pixel_um * self.bin.max(1) as f64;
            if p.is_finite() && p > 0.0 && !(from / 16.0..=from * 16.0).contains(&p) {
                v.fail(
                    "pixel_um",
                    format!(
                        "resampling from {from} µm to {p} µm is beyond a factor of 16 either way; bin first"
                    ),
                );
            }
        }
    }
}
