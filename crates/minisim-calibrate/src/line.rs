//! Weighted least-squares straight line, shared by the photon-transfer and
//! vignette fits.

/// A fitted line `y = intercept + slope·x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Slope.
    pub slope: f64,
    /// Intercept at x = 0.
    pub intercept: f64,
    /// Standard error of the slope: the weighted residual variance (χ²/dof) times
    /// the slope's entry of the inverse normal matrix, so it holds whether or not
    /// the weights are absolute.
    pub slope_sd: f64,
}

/// Fit `(x, y, weight)` points; `None` with fewer than 3 points or no spread in x.
pub fn fit(pts: &[(f64, f64, f64)]) -> Option<Line> {
    if pts.len() < 3 {
        return None;
    }
    let (mut sw, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y, w) in pts {
        sw += w;
        sx += w * x;
        sy += w * y;
        sxx += w * x * x;
        sxy += w * x * y;
    }
    let det = sw * sxx - sx * sx;
    if det.is_nan() || det <= 0.0 {
        return None;
    }
    let slope = (sw * sxy - sx * sy) / det;
    let intercept = (sy - slope * sx) / sw;
    let chi2: f64 = pts
        .iter()
        .map(|&(x, y, w)| w * (y - intercept - slope * x).powi(2))
        .sum();
    let slope_sd = (chi2 / (pts.len() as f64 - 2.0) * sw / det).sqrt();
    Some(Line {
        slope,
        intercept,
        slope_sd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_and_residual_scaled_error() {
        let l = fit(&[(0.0, 1.0, 1.0), (1.0, 3.0, 1.0), (2.0, 5.0, 1.0)]).unwrap();
        assert!((l.slope - 2.0).abs() < 1e-12 && (l.intercept - 1.0).abs() < 1e-12);
        assert!(l.slope_sd < 1e-9);
        // Residuals ±1 alternating on x = 0..4: slope sd = √(χ²/dof · 1/Sxx).
        let pts: Vec<_> = (0..4)
            .map(|i| (i as f64, if i % 2 == 0 { 1.0 } else { -1.0 }, 1.0))
            .collect();
        let l = fit(&pts).unwrap();
        let chi2: f64 = pts
            .iter()
            .map(|&(x, y, _)| (y - l.intercept - l.slope * x).powi(2))
            .sum();
        assert!((l.slope_sd - (chi2 / 2.0 / 5.0).sqrt()).abs() < 1e-12);
        assert!(fit(&[(1.0, 1.0, 1.0), (1.0, 2.0, 1.0), (1.0, 3.0, 1.0)]).is_none());
    }
}
