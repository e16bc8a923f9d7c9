//! Vignetting: the mean of the ring 0.85–0.95 R over the disc < 0.15 R of the
//! Gaussian-smoothed (σ = 4 px) mean image, R half the shorter side.

use ndarray::Array2;

use crate::filter::gauss_blur;

/// Edge over centre of the mean image.
pub fn edge_centre(mean: &Array2<f32>) -> f64 {
    let mut m = mean.clone();
    gauss_blur(&mut m, 4.0);
    let (h, w) = m.dim();
    let r = h.min(w) as f64 / 2.0;
    let (cy, cx) = (h as f64 / 2.0, w as f64 / 2.0);
    let (mut ring, mut nr, mut centre, mut nc) = (0.0, 0, 0.0, 0);
    for ((y, x), &v) in m.indexed_iter() {
        let d = (y as f64 + 0.5 - cy).hypot(x as f64 + 0.5 - cx) / r;
        if (0.85..0.95).contains(&d) {
            ring += v as f64;
            nr += 1;
        } else if d < 0.15 {
            centre += v as f64;
            nc += 1;
        }
    }
    (ring / nr.max(1) as f64) / (centre / nc.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_over_centre_of_a_quadratic_falloff() {
        // V(r) = 1 − 0.4 (r/R)²: the ring 0.85–0.95 R averages ≈ 1 − 0.4 · 0.81 = 0.676.
        let n = 200;
        let mean = Array2::from_shape_fn((n, n), |(y, x)| {
            let r = (y as f64 + 0.5 - 100.0).hypot(x as f64 + 0.5 - 100.0) / 100.0;
            (1.0 - 0.4 * r * r) as f32
        });
        let ratio = edge_centre(&mean);
        assert!((ratio - 0.676).abs() < 0.01, "{ratio}");
    }
}
