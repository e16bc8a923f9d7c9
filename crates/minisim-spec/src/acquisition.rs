//! What the microscope records: frame count and timing, field of view, optics.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Timing, field of view and optics of the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Acquisition {
    /// Number of frames (≥ 1). Default 1000.
    pub frames: u64,
    /// Frame rate in Hz (> 0). Default 20.
    pub frame_rate_hz: f64,
    /// Exposure per frame in ms, ≤ the frame period; `null` means the whole frame
    /// period (rolling-shutter CMOS at full duty). Default `null`.
    pub exposure_ms: Option<f64>,
    /// Field of view in pixels, `[height, width]`. Default `[256, 256]`.
    pub fov_px: [u32; 2],
    /// Size of one pixel in the focal plane, µm. Default 1.66 (≈ 1 mm over 608 px,
    /// UCLA Miniscope v4).
    pub pixel_um: f64,
    /// The optical path from the focal plane to the sensor.
    pub optics: Optics,
}

impl Default for Acquisition {
    fn default() -> Self {
        Acquisition {
            frames: 1000,
            frame_rate_hz: 20.0,
            exposure_ms: None,
            fov_px: [256, 256],
            pixel_um: 1.66,
            optics: Optics::default(),
        }
    }
}

impl Acquisition {
    /// Frame period in ms.
    pub fn frame_period_ms(&self) -> f64 {
        1000.0 / self.frame_rate_hz
    }

    /// Exposure in ms: the explicit value or the frame period.
    pub fn exposure_ms(&self) -> f64 {
        self.exposure_ms.unwrap_or_else(|| self.frame_period_ms())
    }

    /// Recording duration in s (`frames / frame_rate_hz`).
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 / self.frame_rate_hz
    }

    /// Field of view `[height, width]` in µm.
    pub fn fov_um(&self) -> [f64; 2] {
        [
            self.fov_px[0] as f64 * self.pixel_um,
            self.fov_px[1] as f64 * self.pixel_um,
        ]
    }

    pub(crate) fn validate(&self, v: &mut Validator) {
        v.at_least_one("frames", self.frames);
        v.positive("frame_rate_hz", self.frame_rate_hz);
        if let Some(exposure) = self.exposure_ms {
            v.positive("exposure_ms", exposure);
            let period = self.frame_period_ms();
            if exposure.is_finite() && period.is_finite() && exposure > period * (1.0 + 1e-12) {
                v.fail(
                    "exposure_ms",
                    format!("must not exceed the frame period 1000/frame_rate_hz (got {exposure} > {period})"),
                );
            }
        }
        for (i, &n) in self.fov_px.iter().enumerate() {
            if n < 2 {
                v.fail(
                    &format!("fov_px[{i}]"),
                    format!("must be at least 2 pixels (got {n})"),
                );
            }
        }
        v.positive("pixel_um", self.pixel_um);
        v.within("optics", |v| self.optics.validate(v));
    }
}

/// Objective/GRIN optics and the tissue they look into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Optics {
    /// Object-side numerical aperture, `0 < na < tissue_index`. Default 0.3.
    pub na: f64,
    /// Peak emission wavelength of the indicator, nm. Default 515 (GFP).
    pub emission_nm: f64,
    /// Refractive index of the tissue (≥ 1). Default 1.36.
    pub tissue_index: f64,
    /// RMS blur of the lens's aberrations in the focal plane, µm (≥ 0). Default 2.
    pub aberration_um: f64,
    /// Scattering length of the emission light in tissue, µm (> 0). Default 100.
    pub scattering_length_um: f64,
    /// Depth of the focal plane below the tissue surface (the lens face), µm (≥ 0):
    /// the tissue path that scatters light from the focal plane. Default 150.
    /// `"auto"` picks the plane with the most expected detectable cells (needs
    /// `place_neurons.populations` with depth ranges; docs/physics.md).
    pub focal_depth_um: FocalDepth,
    /// Petzval radius of the field curvature, µm (> 0), or `null` for a flat field.
    /// Off-axis the focal surface lies shallower by the sagitta R − √(R² − r²).
    /// Default `null`.
    pub field_curvature_radius_um: Option<f64>,
}

/// The focal plane's depth below the tissue surface: a number of µm or `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FocalDepth {
    /// Fixed depth, µm.
    Um(f64),
    /// Chosen per recording to maximise the expected number of detectable cells.
    Auto,
}

impl FocalDepth {
    /// The fixed depth, or `None` for `"auto"` (resolved by the renderer).
    pub fn um(self) -> Option<f64> {
        match self {
            FocalDepth::Um(v) => Some(v),
            FocalDepth::Auto => None,
        }
    }
}

impl Serialize for FocalDepth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FocalDepth::Um(v) => s.serialize_f64(*v),
            FocalDepth::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for FocalDepth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = FocalDepth;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a depth in µm or \"auto\"")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<FocalDepth, E> {
                Ok(FocalDepth::Um(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FocalDepth, E> {
                Ok(FocalDepth::Um(v as f64))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FocalDepth, E> {
                Ok(FocalDepth::Um(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FocalDepth, E> {
                if v == "auto" {
                    Ok(FocalDepth::Auto)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Default for Optics {
    fn default() -> Self {
        Optics {
            na: 0.3,
            emission_nm: 515.0,
            tissue_index: 1.36,
            aberration_um: 2.0,
            scattering_length_um: 100.0,
            focal_depth_um: FocalDepth::Um(150.0),
            field_curvature_radius_um: None,
        }
    }
}

impl Optics {
    /// How much shallower the focal surface lies at `r_um` from the optical axis, µm (≥ 0):
    /// the sagitta R − √(R² − r²) of the Petzval surface (0 for a flat field).
    pub fn curvature_shift_um(&self, r_um: f64) -> f64 {
        match self.field_curvature_radius_um {
            Some(radius) => {
                let r = r_um.abs().min(radius);
                radius - (radius * radius - r * r).sqrt()
            }
            None => 0.0,
        }
    }

    /// A copy with the focal depth fixed at `depth_um` (resolves `"auto"`).
    pub fn with_focal_depth(&self, depth_um: f64) -> Optics {
        Optics {
            focal_depth_um: FocalDepth::Um(depth_um),
            ..self.clone()
        }
    }

    /// Half-angle of the light cone in tissue, radians: `asin(na / tissue_index)`.
    pub fn half_angle_rad(&self) -> f64 {
        (self.na / self.tissue_index).asin()
    }

    fn validate(&self, v: &mut Validator) {
        if !(self.tissue_index.is_finite() && self.tissue_index >= 1.0) {
            v.fail(
                "tissue_index",
                format!("must be at least 1 (got {})", self.tissue_index),
            );
        }
        if !(self.na.is_finite() && self.na > 0.0 && self.na < self.tissue_index) {
            v.fail(
                "na",
                format!(
                    "must satisfy 0 < na < tissue_index (got na = {}, tissue_index = {})",
                    self.na, self.tissue_index
                ),
            );
        }
        v.positive("emission_nm", self.emission_nm);
        v.non_negative("aberration_um", self.aberration_um);
        v.positive("scattering_length_um", self.scattering_length_um);
        if let FocalDepth::Um(d) = self.focal_depth_um {
            v.non_negative("focal_depth_um", d);
        }
        if let Some(r) = self.field_curvature_radius_um {
            v.positive("field_curvature_radius_um", r);
        }
    }
}
