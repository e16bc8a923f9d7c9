//! The frame-mean trace m(t) (the mean over all pixels of frame t, frames as given):
//! its coefficient of variation std(m)/mean(m) and lag-1 autocorrelation
//! Σ_t (m_t − m̄)(m_{t+1} − m̄) / Σ_t (m_t − m̄)².

use ndarray::{Array3, Axis};

/// The frame-mean trace.
pub fn trace(movie: &Array3<f32>) -> Vec<f64> {
    movie
        .axis_iter(Axis(0))
        .map(|f| f.iter().map(|&v| v as f64).sum::<f64>() / f.len().max(1) as f64)
        .collect()
}

/// `(CV, lag-1 autocorrelation)` of the frame-mean trace; zeros for fewer than 2
/// frames or a constant trace.
pub fn cv_and_lag1(movie: &Array3<f32>) -> (f64, f64) {
    let m = trace(movie);
    let n = m.len();
    if n < 2 {
        return (0.0, 0.0);
    }
    let mean = m.iter().sum::<f64>() / n as f64;
    let ss: f64 = m.iter().map(|v| (v - mean).powi(2)).sum();
    if ss == 0.0 || mean == 0.0 {
        return (0.0, 0.0);
    }
    let cv = (ss / n as f64).sqrt() / mean.abs();
    let lag: f64 = m.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
    (cv, lag / ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_steps::Stream;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// Frames offset by white noise σ around μ: CV = σ/μ (sampling error
    /// CV/√(2T) = 2.2 % at T = 1000), lag-1 autocorrelation ≈ −1/T ± 1/√T.
    #[test]
    fn white_frame_noise() {
        let mut rng = Stream::seed_from_u64(11);
        let offsets: Vec<f32> = (0..1000)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                z as f32 * 2.0
            })
            .collect();
        let movie = Array3::from_shape_fn((1000, 8, 8), |(t, y, x)| {
            100.0 + offsets[t] + (y * 8 + x) as f32 * 0.01
        });
        let (cv, lag1) = cv_and_lag1(&movie);
        assert!((cv / 0.02 - 1.0).abs() < 4.0 * 0.022, "{cv}");
        assert!(lag1.abs() < 4.0 / 1000f64.sqrt(), "{lag1}");
    }

    /// An AR(1) frame mean with φ = 0.8: lag-1 autocorrelation φ, with a standard
    /// error ≈ √((1 − φ²)/T) = 0.019 at T = 1000.
    #[test]
    fn ar1_frame_mean() {
        let mut rng = Stream::seed_from_u64(12);
        let mut x = 0.0f64;
        let trace: Vec<f32> = (0..1000)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                x = 0.8 * x + z;
                x as f32
            })
            .collect();
        let movie = Array3::from_shape_fn((1000, 4, 4), |(t, _, _)| 50.0 + trace[t]);
        let (_, lag1) = cv_and_lag1(&movie);
        assert!((lag1 - 0.8).abs() < 4.0 * 0.019, "{lag1}");
    }
}
