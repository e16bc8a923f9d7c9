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
        v.count(
            "frames",
            self.frames,
            1,
            100_000_000,
            "10⁸ frames is over two months at 20 Hz",
        );
        v.range(
            "frame_rate_hz",
            self.frame_rate_hz,
            0.1,
            10_000.0,
            "from time-lapse (0.1 Hz) to high-speed cameras (10 kHz)",
        );
        if let Some(exposure) = self.exposure_ms {
            v.range_above(
                "exposure_ms",
                exposure,
                0.0,
                10_000.0,
                "a frame's exposure, at most the longest frame period",
            );
            let period = self.frame_period_ms();
            if exposure.is_finite() && period.is_finite() && exposure > period * (1.0 + 1e-12) {
                v.fail(
                    "exposure_ms",
                    format!("must not exceed the frame period 1000/frame_rate_hz (got {exposure} > {period})"),
                );
            }
        }
        for (i, &n) in self.fov_px.iter().enumerate() {
            v.count(
                &format!("fov_px[{i}]"),
                n as u64,
                2,
                16_384,
                "image sensors have at most a few thousand pixels per side",
            );
        }
        v.range(
            "pixel_um",
            self.pixel_um,
            0.05,
            50.0,
            "object-side pixels from below the diffraction limit to 50 µm",
        );
        v.within("optics", |v| self.optics.validate(v));
    }
}

/// Deepest imaging plane in scattering lengths: below e^-20 of the light is ballistic.
pub const MAX_DEPTH_IN_LS: f64 = 20.0;

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
        v.range(
            "tissue_index",
            self.tissue_index,
            1.0,
            1.7,
            "from air to the densest immersion media",
        );
        v.range(
            "na",
            self.na,
            0.05,
            1.5,
            "GRIN lenses and objectives span 0.1–1.0; below 0.05 the depth of field exceeds any slab",
        );
        if (0.05..=1.5).contains(&self.na)
            && self.tissue_index.is_finite()
            && self.na >= self.tissue_index
        {
            v.fail(
                "na",
                format!(
                    "must be below tissue_index, the largest NA light in the tissue can have (got na = {}, tissue_index = {})",
                    self.na, self.tissue_index
                ),
            );
        }
        v.range(
            "emission_nm",
            self.emission_nm,
            350.0,
            1100.0,
            "fluorophores emit between near-UV and near-infrared",
        );
        v.range(
            "aberration_um",
            self.aberration_um,
            0.0,
            50.0,
            "an RMS blur beyond 50 µm leaves no cellular resolution",
        );
        v.range(
            "scattering_length_um",
            self.scattering_length_um,
            10.0,
            5000.0,
            "brain tissue scatters over 50–200 µm in the visible; below 10 µm no ballistic light survives a soma",
        );
        if let FocalDepth::Um(d) = self.focal_depth_um {
            v.range(
                "focal_depth_um",
                d,
                0.0,
                3000.0,
                "working distances of miniscope optics are below 3 mm",
            );
            let ls = self.scattering_length_um;
            if d.is_finite() && ls.is_finite() && ls > 0.0 && d / ls > MAX_DEPTH_IN_LS {
                v.fail(
                    "focal_depth_um",
                    format!(
                        "must be at most {MAX_DEPTH_IN_LS} scattering lengths ({} µm) deep (got {d} µm); beyond that less than e^-{MAX_DEPTH_IN_LS} of the light is ballistic and no image forms",
                        MAX_DEPTH_IN_LS * ls
                    ),
                );
            }
        }
        if let Some(r) = self.field_curvature_radius_um {
            v.range(
                "field_curvature_radius_um",
                r,
                100.0,
                1e7,
                "Petzval radii of miniscope optics are millimetres; 10 m is flat",
            );
        }
    }
}
