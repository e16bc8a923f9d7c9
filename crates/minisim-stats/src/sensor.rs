//! What the sensor and the fluorophore leave in the movie: the bleaching drift (change
//! of the frame-mean trace from its first to its last tenth, relative) and the
//! photon-transfer gain (slope of the temporal variance, from frame differences,
//! against the temporal mean over the central pixels: DN per e⁻ for a linear sensor).

use ndarray::{Array3, s};

use crate::filter::central;

/// `(bleaching drift, photon-transfer gain)`.
pub fn bleach_and_gain(movie: &Array3<f32>) -> (f64, f64) {
    let (t, h, w) = movie.dim();
    if t < 2 {
        return (0.0, 0.0);
    }
    let trace: Vec<f64> = (0..t)
        .map(|f| movie.slice(s![f, .., ..]).mean().unwrap_or(0.0) as f64)
        .collect();
    let k = (t / 10).max(1);
    let first = trace[..k].iter().sum::<f64>() / k as f64;
    let last = trace[t - k..].iter().sum::<f64>() / k as f64;
    let px = central(h, w, 0.7);
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for &(y, x) in &px {
        let ts = movie.slice(s![.., y, x]);
        let mean = ts.mean().unwrap_or(0.0) as f64;
        let var = (1..t)
            .map(|f| ((ts[f] - ts[f - 1]) as f64).powi(2))
            .sum::<f64>()
            / (2.0 * (t - 1) as f64);
        sx += mean;
        sy += var;
        sxx += mean * mean;
        sxy += mean * var;
    }
    let n = px.len() as f64;
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    ((last - first) / first, slope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_steps::Stream;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Poisson};

    #[test]
    fn photon_transfer_slope_is_the_gain() {
        let mut rng = Stream::seed_from_u64(3);
        let gain = 0.4;
        let lambda: Vec<f64> = (0..64 * 64)
            .map(|i| 50.0 + (i % 64) as f64 * 10.0)
            .collect();
        let movie = Array3::from_shape_fn((100, 64, 64), |(_, y, x)| {
            (gain * Poisson::new(lambda[y * 64 + x]).unwrap().sample(&mut rng)) as f32
        });
        let (drift, slope) = bleach_and_gain(&movie);
        assert!((slope - gain).abs() < 0.02, "{slope}");
        assert!(drift.abs() < 0.01, "{drift}");
    }
}
