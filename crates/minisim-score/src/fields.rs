//! 2-D fields (vignette, leakage, background) against the ground truth.

use ndarray::Array2;

use crate::error::ScoreError;
use crate::traces::pearson;

/// Pearson correlation of two fields over their pixels (0 if either is constant).
/// Shapes must agree; the error names both.
pub fn field_pearson(truth: &Array2<f32>, estimate: &Array2<f64>) -> Result<f64, ScoreError> {
    if truth.dim() != estimate.dim() {
        return Err(ScoreError::Mismatch {
            what: "field",
            reason: format!(
                "the estimate has shape {:?} but the ground truth has {:?}",
                estimate.shape(),
                truth.shape()
            ),
        });
    }
    let a: Vec<f64> = truth.iter().map(|&v| v as f64).collect();
    let b: Vec<f64> = estimate.iter().copied().collect();
    Ok(pearson(&a, &b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_correlation_and_shape_errors() {
        let truth = Array2::from_shape_fn((8, 9), |(y, x)| {
            (1.0 - 0.01 * (y * y + x * x) as f64) as f32
        });
        let scaled = truth.mapv(|v| 2.0 * v as f64 + 1.0);
        assert!((field_pearson(&truth, &scaled).unwrap() - 1.0).abs() < 1e-9);
        let err = field_pearson(&truth, &Array2::zeros((9, 8)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("[9, 8]") && err.contains("[8, 9]"), "{err}");
    }
}
