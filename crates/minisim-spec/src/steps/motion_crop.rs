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

/// Which generator makes the motion path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MotionModel {
    /// Ornstein–Uhlenbeck drift plus rare jumps (`ou_*`, `jump_*`).
    #[default]
    Ou,
    /// Locomotion: a damped oscillator driven by a wandering gait rhythm plus red
    /// noise (`locomotion`).
    Locomotion,
    /// The user's per-frame path (`trajectory_um`).
    Trajectory,
}

/// Locomotion-driven brain motion: the brain as a damped oscillator on the skull
/// (natural frequency `resonance_hz`, damping ratio `damping_ratio`), driven along y by
/// the gait rhythm (frequency `gait_hz` wandering as an OU process of SD
/// `gait_wander_hz` and time constant `gait_wander_tau_s`) and on both axes by red
/// noise (OU, `noise_tau_s`). The two parts are mixed with variance shares
/// `locomotion_fraction` and 1 − fraction, and the total RMS displacement over the
/// recording (before the `max_shift_um` clamp) is `amplitude_um`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Locomotion {
    /// Mean stride frequency, Hz (> 0). Default 7 (mice run at 6–8 Hz).
    pub gait_hz: f64,
    /// SD of the stride frequency's wandering, Hz (≥ 0). Default 0.5.
    pub gait_wander_hz: f64,
    /// Time constant of the wandering, s (> 0). Default 2.
    pub gait_wander_tau_s: f64,
    /// Natural frequency of the brain-on-skull oscillator, Hz (> 0). Default 6.
    pub resonance_hz: f64,
    /// Damping ratio (> 0). Default 0.5.
    pub damping_ratio: f64,
    /// Time constant of the red-noise drive, s (> 0). Default 0.3.
    pub noise_tau_s: f64,
    /// RMS displacement, µm (≥ 0). Default 1.
    pub amplitude_um: f64,
    /// Share of the motion variance due to the gait rhythm, in [0, 1]. Default 0.5.
    pub locomotion_fraction: f64,
}

impl Default for Locomotion {
    fn default() -> Self {
        Locomotion {
            gait_hz: 7.0,
            gait_wander_hz: 0.5,
            gait_wander_tau_s: 2.0,
            resonance_hz: 6.0,
            damping_ratio: 0.5,
            noise_tau_s: 0.3,
            amplitude_um: 1.0,
            locomotion_fraction: 0.5,
        }
    }
}

impl Locomotion {
    fn validate(&self, v: &mut Validator) {
        v.range_above(
            "gait_hz",
            self.gait_hz,
            0.0,
            30.0,
            "rodent stride rates are 2–15 Hz",
        );
        v.range(
            "gait_wander_hz",
            self.gait_wander_hz,
            0.0,
            10.0,
            "a frequency spread",
        );
        let tau = "a correlation time";
        v.range_above(
            "gait_wander_tau_s",
            self.gait_wander_tau_s,
            0.0,
            1000.0,
            tau,
        );
        v.range_above(
            "resonance_hz",
            self.resonance_hz,
            0.0,
            200.0,
            "brain–skull resonances are 1–50 Hz",
        );
        v.range_above(
            "damping_ratio",
            self.damping_ratio,
            0.0,
            10.0,
            "a damping ratio",
        );
        v.range_above("noise_tau_s", self.noise_tau_s, 0.0, 1000.0, tau);
        v.range(
            "amplitude_um",
            self.amplitude_um,
            0.0,
            100.0,
            "brain motion is 0.1–20 µm RMS",
        );
        v.range(
            "locomotion_fraction",
            self.locomotion_fraction,
            0.0,
            1.0,
            "a fraction",
        );
    }
}

/// Rigid motion: an Ornstein–Uhlenbeck drift plus rare jumps (or locomotion, or a
/// given path), clamped to a maximum shift; the shifted canvas is cropped to the
/// field of view.
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
    /// Path generator. Default `ou`.
    pub model: MotionModel,
    /// Parameters of the `locomotion` model.
    pub locomotion: Locomotion,
    /// The `trajectory` model's path: one `[dy, dx]` tissue displacement per frame,
    /// µm, each within ±`max_shift_um`. Default `null`.
    pub trajectory_um: Option<Vec<[f64; 2]>>,
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
            model: MotionModel::Ou,
            locomotion: Locomotion::default(),
            trajectory_um: None,
        }
    }
}

impl MotionCrop {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.range(
            "ou_sigma_um",
            self.ou_sigma_um,
            0.0,
            100.0,
            "brain motion is 0.1–20 µm RMS",
        );
        v.range_above(
            "ou_tau_s",
            self.ou_tau_s,
            0.0,
            10_000.0,
            "a correlation time",
        );
        v.range(
            "jump_rate_hz",
            self.jump_rate_hz,
            0.0,
            10.0,
            "jumps (licks, grooming) happen a few times per minute",
        );
        v.range("jump_um", self.jump_um, 0.0, 100.0, "a jump of the brain");
        v.range_above(
            "max_shift_um",
            self.max_shift_um,
            0.0,
            500.0,
            "the canvas grows by this margin; real displacements stay below 50 µm",
        );
        v.within("locomotion", |v| self.locomotion.validate(v));
        match (&self.trajectory_um, self.model) {
            (None, MotionModel::Trajectory) => {
                v.fail("trajectory_um", "is required by model \"trajectory\"");
            }
            (Some(_), m) if m != MotionModel::Trajectory => {
                v.fail(
                    "trajectory_um",
                    "is only used by model \"trajectory\" (set model or remove it)",
                );
            }
            (Some(path), _) => {
                let bound = self.max_shift_um;
                if let Some((i, p)) = path
                    .iter()
                    .enumerate()
                    .find(|(_, p)| !p.iter().all(|c| c.is_finite() && c.abs() <= bound))
                {
                    v.fail(
                        &format!("trajectory_um[{i}]"),
                        format!("must lie within ±max_shift_um = ±{bound} µm (got {p:?})"),
                    );
                }
            }
            _ => {}
        }
        v.count(
            "exposure_blur_samples",
            self.exposure_blur_samples as u64,
            1,
            16,
            "positions averaged per exposure; 16 resolves any blur below a pixel",
        );
    }
}
