//! Motion estimates against the true tissue displacement.

use serde::{Deserialize, Serialize};

/// What an estimated shift series means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShiftConvention {
    /// The shift that registers the frame (undoes the motion): −displacement. What
    /// CaImAn, Suite2p and minian report.
    #[default]
    Correction,
    /// The tissue displacement itself (minisim's `motion_px`).
    Displacement,
}

/// Root-mean-square error, px, of estimated `[dy, dx]` shifts against the true
/// displacement, after removing the mean difference (the choice of template frame
/// is arbitrary, so a constant offset is not an error). 0 for no frames.
pub fn rmse(truth: &[[f64; 2]], estimate: &[[f64; 2]], convention: ShiftConvention) -> f64 {
    let n = truth.len().min(estimate.len());
    if n == 0 {
        return 0.0;
    }
    let sign = match convention {
        ShiftConvention::Correction => -1.0,
        ShiftConvention::Displacement => 1.0,
    };
    let diff: Vec<[f64; 2]> = (0..n)
        .map(|t| {
            [
                sign * estimate[t][0] - truth[t][0],
                sign * estimate[t][1] - truth[t][1],
            ]
        })
        .collect();
    let mean = [
        diff.iter().map(|d| d[0]).sum::<f64>() / n as f64,
        diff.iter().map(|d| d[1]).sum::<f64>() / n as f64,
    ];
    let ss: f64 = diff
        .iter()
        .map(|d| (d[0] - mean[0]).powi(2) + (d[1] - mean[1]).powi(2))
        .sum();
    (ss / n as f64).sqrt()
}

/// Pearson r of the estimated displacement (in `convention`, turned into a
/// displacement) with the true one, per axis `[dy, dx]`; an axis without true motion
/// scores 0. Unlike [`rmse`] this ignores the scale: an estimate with the right time
/// course but the wrong amplitude correlates fully.
pub fn correlation(
    truth: &[[f64; 2]],
    estimate: &[[f64; 2]],
    convention: ShiftConvention,
) -> [f64; 2] {
    let n = truth.len().min(estimate.len());
    let sign = match convention {
        ShiftConvention::Correction => -1.0,
        ShiftConvention::Displacement => 1.0,
    };
    let axis = |k: usize| {
        let t: Vec<f64> = truth[..n].iter().map(|v| v[k]).collect();
        let e: Vec<f64> = estimate[..n].iter().map(|v| sign * v[k]).collect();
        crate::traces::pearson(&t, &e)
    };
    [axis(0), axis(1)]
}

/// Least-squares slope of the estimated displacement on the true one, per axis: 1 for
/// the right amplitude, 2 for shifts twice too large; 0 without true motion.
pub fn gain(truth: &[[f64; 2]], estimate: &[[f64; 2]], convention: ShiftConvention) -> [f64; 2] {
    let n = truth.len().min(estimate.len());
    let sign = match convention {
        ShiftConvention::Correction => -1.0,
        ShiftConvention::Displacement => 1.0,
    };
    let axis = |k: usize| {
        if n == 0 {
            return 0.0;
        }
        let mt = truth[..n].iter().map(|v| v[k]).sum::<f64>() / n as f64;
        let me = estimate[..n].iter().map(|v| sign * v[k]).sum::<f64>() / n as f64;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for t in 0..n {
            let x = truth[t][k] - mt;
            sxy += x * (sign * estimate[t][k] - me);
            sxx += x * x;
        }
        if sxx == 0.0 { 0.0 } else { sxy / sxx }
    };
    [axis(0), axis(1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_and_gain_see_time_course_and_amplitude() {
        let truth: Vec<[f64; 2]> = (0..50)
            .map(|t| [(t as f64 * 0.3).sin(), (t as f64 * 0.17).cos()])
            .collect();
        let doubled: Vec<[f64; 2]> = truth
            .iter()
            .map(|v| [-2.0 * v[0] + 1.0, -2.0 * v[1]])
            .collect();
        let r = correlation(&truth, &doubled, ShiftConvention::Correction);
        assert!(
            (r[0] - 1.0).abs() < 1e-12 && (r[1] - 1.0).abs() < 1e-12,
            "{r:?}"
        );
        let g = gain(&truth, &doubled, ShiftConvention::Correction);
        assert!(
            (g[0] - 2.0).abs() < 1e-12 && (g[1] - 2.0).abs() < 1e-12,
            "{g:?}"
        );
        let r = correlation(&truth, &doubled, ShiftConvention::Displacement);
        assert!(
            (r[0] + 1.0).abs() < 1e-12,
            "wrong convention flips the sign: {r:?}"
        );
        let still = vec![[0.0, 0.0]; 50];
        assert_eq!(
            correlation(&still, &doubled, ShiftConvention::Correction),
            [0.0, 0.0]
        );
        assert_eq!(
            gain(&still, &doubled, ShiftConvention::Correction),
            [0.0, 0.0]
        );
    }

    #[test]
    fn rmse_with_sign_conventions_and_offsets() {
        let truth: Vec<[f64; 2]> = (0..20)
            .map(|t| [(t as f64).sin(), 0.5 * t as f64])
            .collect();
        let correction: Vec<[f64; 2]> = truth.iter().map(|d| [-d[0] + 3.0, -d[1] - 1.0]).collect();
        assert!(rmse(&truth, &correction, ShiftConvention::Correction) < 1e-12);
        // Read with the wrong sign the error is twice the (centred) motion.
        let wrong = rmse(&truth, &correction, ShiftConvention::Displacement);
        assert!(wrong > 1.0, "{wrong}");
        // A 0.3 px error on every frame alternating in sign: RMSE 0.3.
        let noisy: Vec<[f64; 2]> = truth
            .iter()
            .enumerate()
            .map(|(t, d)| [d[0] + if t % 2 == 0 { 0.3 } else { -0.3 }, d[1]])
            .collect();
        assert!((rmse(&truth, &noisy, ShiftConvention::Displacement) - 0.3).abs() < 1e-12);
        assert_eq!(rmse(&[], &[], ShiftConvention::Correction), 0.0);
    }
}
