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

#[cfg(test)]
mod tests {
    use super::*;

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
