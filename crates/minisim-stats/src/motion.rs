//! Rigid motion by phase correlation: central square of up to 256 px, Gaussian
//! low-pass σ = 1.5 px against fixed-pattern noise, Hann window, half-whitened
//! cross-power, 3-point Gaussian sub-pixel peak.
//!
//! - [`frame_to_frame`]: the median and 99th percentile of |shift| between consecutive
//!   frames, px;
//! - [`Registrar`]: shifts of frames against one fixed reference frame (the
//!   calibration's motion path).

use std::sync::Arc;

use ndarray::{Array2, Array3, ArrayView2, s};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::filter::{gauss_blur, percentile};

/// The windowed spectrum of a central square and the peak search of the
/// cross-power, shared by [`frame_to_frame`] and [`Registrar`].
struct Correlator {
    n: usize,
    y0: usize,
    x0: usize,
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
    hann: Vec<f64>,
}

impl Correlator {
    fn new(h: usize, w: usize) -> Correlator {
        let n = 256.min(h).min(w);
        let mut planner = FftPlanner::<f64>::new();
        Correlator {
            n,
            y0: (h - n) / 2,
            x0: (w - n) / 2,
            fwd: planner.plan_fft_forward(n),
            inv: planner.plan_fft_inverse(n),
            hann: (0..n)
                .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos())
                .collect(),
        }
    }

    fn fft2(&self, data: &mut [Complex<f64>], plan: &Arc<dyn Fft<f64>>) {
        let n = self.n;
        for row in data.chunks_exact_mut(n) {
            plan.process(row);
        }
        let mut col = vec![Complex::new(0.0, 0.0); n];
        for x in 0..n {
            for y in 0..n {
                col[y] = data[y * n + x];
            }
            plan.process(&mut col);
            for y in 0..n {
                data[y * n + x] = col[y];
            }
        }
    }

    /// The spectrum of the frame's blurred, windowed central square.
    fn spectrum(&self, frame: ArrayView2<'_, f32>) -> Vec<Complex<f64>> {
        let n = self.n;
        let mut plane = frame
            .slice(s![self.y0..self.y0 + n, self.x0..self.x0 + n])
            .to_owned();
        gauss_blur(&mut plane, 1.5);
        let mean = plane.mean().unwrap_or(0.0) as f64;
        let mut data: Vec<Complex<f64>> = plane
            .indexed_iter()
            .map(|((y, x), &v)| Complex::new((v as f64 - mean) * self.hann[y] * self.hann[x], 0.0))
            .collect();
        self.fft2(&mut data, &self.fwd);
        data
    }

    /// The shift `[dy, dx]` (px) that carries `b`'s content onto `a`'s.
    fn shift(&self, a: &[Complex<f64>], b: &[Complex<f64>]) -> [f64; 2] {
        let n = self.n;
        let mut r: Vec<Complex<f64>> = a
            .iter()
            .zip(b)
            .map(|(a, b)| {
                let c = a * b.conj();
                // Half-whitening keeps the peak smooth (≈ Gaussian), so a 3-point
                // Gaussian fit locates it without the integer bias of a δ-like peak.
                c / (c.norm().sqrt() + 1e-12)
            })
            .collect();
        self.fft2(&mut r, &self.inv);
        let (mut best, mut by, mut bx) = (f64::MIN, 0, 0);
        for (i, v) in r.iter().enumerate() {
            if v.re > best {
                best = v.re;
                by = i / n;
                bx = i % n;
            }
        }
        let at = |y: usize, x: usize| r[(y % n) * n + (x % n)].re;
        let sub = |m: f64, c: f64, p: f64| {
            // Gaussian fit on the logarithms when all three are positive, else parabolic.
            let (m, c, p) = if m > 0.0 && c > 0.0 && p > 0.0 {
                (m.ln(), c.ln(), p.ln())
            } else {
                (m, c, p)
            };
            let d = m - 2.0 * c + p;
            if d.abs() < 1e-12 {
                0.0
            } else {
                0.5 * (m - p) / d
            }
        };
        let dy = by as f64 + sub(at(by + n - 1, bx), best, at(by + 1, bx));
        let dx = bx as f64 + sub(at(by, bx + n - 1), best, at(by, bx + 1));
        let wrap = |d: f64| if d > n as f64 / 2.0 { d - n as f64 } else { d };
        [wrap(dy), wrap(dx)]
    }
}

/// `(median, p99)` of the frame-to-frame shift magnitude, px.
pub fn frame_to_frame(movie: &Array3<f32>) -> (f64, f64) {
    let (t, h, w) = movie.dim();
    let c = Correlator::new(h, w);
    let mut prev = c.spectrum(movie.slice(s![0, .., ..]));
    let mut shifts = Vec::with_capacity(t.saturating_sub(1));
    for f in 1..t {
        let cur = c.spectrum(movie.slice(s![f, .., ..]));
        let [dy, dx] = c.shift(&prev, &cur);
        shifts.push(dy.hypot(dx));
        prev = cur;
    }
    (
        percentile(&mut shifts.clone(), 0.5),
        percentile(&mut shifts, 0.99),
    )
}

/// Shifts of frames against one reference frame, by the same phase correlation.
pub struct Registrar {
    correlator: Correlator,
    reference: Vec<Complex<f64>>,
}

impl Registrar {
    /// A registrar against `reference` (`height × width`).
    pub fn new(reference: &Array2<f32>) -> Registrar {
        let (h, w) = reference.dim();
        let correlator = Correlator::new(h, w);
        let reference = correlator.spectrum(reference.view());
        Registrar {
            correlator,
            reference,
        }
    }

    /// The displacement `[dy, dx]` (px) of `frame`'s content relative to the
    /// reference: positive when the content moved down/right.
    pub fn shift(&self, frame: ArrayView2<'_, f32>) -> [f64; 2] {
        let spectrum = self.correlator.spectrum(frame);
        let [dy, dx] = self.correlator.shift(&spectrum, &self.reference);
        [dy, dx]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_steps::Stream;
    use rand::SeedableRng;

    #[test]
    fn phase_correlation_recovers_a_known_sub_pixel_shift() {
        // Gaussian blobs moving 0.3 px per frame diagonally (0.3/√2 along each axis).
        let mut rng = Stream::seed_from_u64(2);
        let blobs: Vec<(f64, f64)> = (0..60)
            .map(|_| {
                (
                    rand::RngExt::random_range(&mut rng, 10.0..118.0),
                    rand::RngExt::random_range(&mut rng, 10.0..118.0),
                )
            })
            .collect();
        let movie = Array3::from_shape_fn((11, 128, 128), |(t, y, x)| {
            let step = 0.3 / std::f64::consts::SQRT_2;
            let (dy, dx) = (step * t as f64, step * t as f64);
            blobs
                .iter()
                .map(|&(by, bx)| {
                    (-((y as f64 - by - dy).powi(2) + (x as f64 - bx - dx).powi(2)) / 8.0).exp()
                })
                .sum::<f64>() as f32
        });
        let (median, _) = frame_to_frame(&movie);
        assert!((median - 0.3).abs() < 0.05, "{median}");
    }

    #[test]
    fn registrar_gives_the_sign_and_size_of_a_displacement() {
        let mut rng = Stream::seed_from_u64(5);
        let blobs: Vec<(f64, f64)> = (0..60)
            .map(|_| {
                (
                    rand::RngExt::random_range(&mut rng, 10.0..118.0),
                    rand::RngExt::random_range(&mut rng, 10.0..118.0),
                )
            })
            .collect();
        let frame = |dy: f64, dx: f64| {
            Array2::from_shape_fn((128, 128), |(y, x)| {
                blobs
                    .iter()
                    .map(|&(by, bx)| {
                        (-((y as f64 - by - dy).powi(2) + (x as f64 - bx - dx).powi(2)) / 8.0).exp()
                    })
                    .sum::<f64>() as f32
            })
        };
        let reg = Registrar::new(&frame(0.0, 0.0));
        let [dy, dx] = reg.shift(frame(0.6, -1.3).view());
        assert!(
            (dy - 0.6).abs() < 0.05 && (dx + 1.3).abs() < 0.05,
            "{dy} {dx}"
        );
    }
}
