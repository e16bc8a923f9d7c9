//! Rigid motion from the shifts of every frame against the mean of the first 50
//! ([`minisim_stats::motion::Registrar`]).
//!
//! The measured path is the true path plus registration error, which is white from
//! frame to frame; the true path (drift relaxing over ≥ a few frames) has increments
//! that are nearly uncorrelated. So the error variance per axis is minus the lag-1
//! autocovariance of the increments, σ_e² = −cov(Δp_t, Δp_{t−1}) (exact for white
//! error; the drift adds −σ²(1 − e^{−Δt/τ})²/…, negligible for τ ≫ Δt), and the motion
//! variance is var(p) − σ_e². RMS = √(Σ_axes var) about the mean position. The OU
//! correlation time: the lag at which the error-corrected autocovariance falls to 1/e
//! of its zero-lag value, linearly interpolated.

use crate::estimate::Estimate;

/// The motion estimates.
#[derive(Debug, Clone)]
pub struct MotionFit {
    /// RMS displacement about the mean position (both axes), µm.
    pub rms_um: Estimate,
    /// Stationary SD per axis, µm (the OU model's `ou_sigma_um`).
    pub ou_sigma_um: Estimate,
    /// Correlation time, s.
    pub ou_tau_s: Estimate,
    /// Registration error per axis, px.
    pub error_px: f64,
}

/// Fit the path `shifts` (px) at `rate_hz` with pixels of `pixel_um`.
pub fn estimate(shifts: &[[f64; 2]], rate_hz: f64, pixel_um: f64) -> MotionFit {
    let n = shifts.len();
    if n < 10 {
        return MotionFit {
            rms_um: Estimate::bound(0.0, "too few frames"),
            ou_sigma_um: Estimate::bound(0.0, "too few frames"),
            ou_tau_s: Estimate::bound(0.0, "too few frames"),
            error_px: 0.0,
        };
    }
    let mut var = [0.0; 2];
    let mut err = [0.0; 2];
    let mut acov: Vec<f64> = vec![0.0; n / 2];
    for axis in 0..2 {
        let p: Vec<f64> = shifts.iter().map(|s| s[axis]).collect();
        let mean = p.iter().sum::<f64>() / n as f64;
        let c: Vec<f64> = p.iter().map(|v| v - mean).collect();
        let d: Vec<f64> = p.windows(2).map(|w| w[1] - w[0]).collect();
        let dm = d.iter().sum::<f64>() / d.len() as f64;
        let g1 =
            d.windows(2).map(|w| (w[0] - dm) * (w[1] - dm)).sum::<f64>() / (d.len() - 1) as f64;
        err[axis] = (-g1).max(0.0);
        for (k, a) in acov.iter_mut().enumerate() {
            *a += c[..n - k]
                .iter()
                .zip(&c[k..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / n as f64;
        }
        var[axis] = (c.iter().map(|v| v * v).sum::<f64>() / n as f64 - err[axis]).max(0.0);
    }
    acov[0] -= err[0] + err[1];
    let total = var[0] + var[1];
    let tau_frames = acov
        .windows(2)
        .enumerate()
        .find(|(_, w)| w[1] < acov[0] / std::f64::consts::E)
        .map(|(k, w)| {
            let target = acov[0] / std::f64::consts::E;
            k as f64 + (w[0] - target) / (w[0] - w[1]).max(1e-300)
        });
    let ou_tau_s = match tau_frames {
        Some(k) if acov[0] > 0.0 => Estimate::measured(
            k / rate_hz,
            None,
            "1/e lag of the error-corrected autocovariance of the path",
        ),
        _ => Estimate::bound(
            n as f64 / 2.0 / rate_hz,
            "the path does not decorrelate within half the recording",
        ),
    };
    let rms = total.sqrt() * pixel_um;
    MotionFit {
        rms_um: Estimate::measured(
            rms,
            None,
            "registration to the mean of the first 50 frames, less the registration error",
        ),
        ou_sigma_um: Estimate::measured(
            (total / 2.0).sqrt() * pixel_um,
            None,
            "RMS per axis (jumps included: the fitted spec has no separate jumps)",
        ),
        ou_tau_s,
        error_px: ((err[0] + err[1]) / 2.0).sqrt(),
    }
}
