//! The fixed geometry of a recording: field of view, canvas (FOV + motion margin),
//! pixel size, frame timing and frame count.
//!
//! Invariant: depends on the spec only (the margin on the spec's `motion_crop` step, not
//! on how far a render goes), so cells and maps are the same whatever `until` is.

use minisim_spec::Spec;

use crate::{Dims, motion_crop};

/// Frame timing shared by every stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Frame period, s.
    pub period_s: f64,
    /// Exposure, s (≤ period).
    pub exposure_s: f64,
}

/// Fixed geometry of a recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Field of view, px.
    pub fov: Dims,
    /// FOV plus the motion margin on every side, px.
    pub canvas: Dims,
    /// Motion margin, px (0 without `motion_crop`).
    pub margin: usize,
    /// Pixel size, µm.
    pub pixel_um: f64,
    /// Frame period and exposure.
    pub timing: Timing,
    /// Number of frames.
    pub frames: u64,
}

impl Geometry {
    /// Geometry of a spec.
    pub fn of(spec: &Spec) -> Geometry {
        let a = spec.acquisition();
        let fov = Dims {
            height: a.fov_px[0] as usize,
            width: a.fov_px[1] as usize,
        };
        let margin = spec
            .motion_crop()
            .map_or(0, |m| motion_crop::margin_px(m, a.pixel_um));
        Geometry {
            fov,
            canvas: Dims {
                height: fov.height + 2 * margin,
                width: fov.width + 2 * margin,
            },
            margin,
            pixel_um: a.pixel_um,
            timing: Timing {
                period_s: 1.0 / a.frame_rate_hz,
                exposure_s: a.exposure_ms() / 1000.0,
            },
            frames: a.frames,
        }
    }

    /// Middle of frame `f`'s exposure, s.
    pub fn frame_mid_s(&self, f: u64) -> f64 {
        f as f64 * self.timing.period_s + self.timing.exposure_s / 2.0
    }

    /// Recording duration, s (`frames × period`).
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 * self.timing.period_s
    }

    /// The margin in µm (canvas coordinates of the FOV's top-left edge).
    pub fn margin_um(&self) -> f64 {
        self.margin as f64 * self.pixel_um
    }
}
