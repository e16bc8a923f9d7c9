//! Peak-to-noise ratios of the spatially filtered movie.
//!
//! - [`cnmfe`]: CNMF-E's peak-to-noise image as CNMF-E computes it (Zhou et al. 2018
//!   *eLife* 7:e28728; CaImAn's `correlation_pnr`): the first 200 frames filtered with
//!   a centre-surround kernel (Gaussian σ = gSig minus its mean over a (4σ+1)²
//!   window), per pixel (max − mean) over the [spectral noise level](noise_level) of
//!   the filtered trace (at which pure noise gives ≈ 2.7 / 3.3 / 3.9); percentiles
//!   50/90/99 over the central pixels. [`cnmfe_and_mad`] adds the same image with a robust
//!   time-domain noise level ((max − median) / (1.4826 · MAD)), which slow signals
//!   (background, motion, long transients) inflate; minisim used it until 2026-12.
//! - [`disc`]: frames filtered with a zero-mean disc kernel (a Gaussian of σ px
//!   restricted to the disc of radius 2σ, its mean over the disc removed); per pixel the
//!   maximum over time of the mean-subtracted filtered trace over its
//!   [noise level](noise_level); percentiles 50/90 over the pixels whose disc lies
//!   inside the frame.
//!
//! The noise level of both is spectral: σ² = the mean periodogram |X(f)|²/T of the
//! mean-subtracted trace over 0.25–0.5 cycles per frame, the band where calcium
//! transients carry little power (CNMF-E's `get_noise_fft` with `noise_method =
//! 'mean'`; exact in expectation for white noise).

use ndarray::{Array2, Array3, s};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use crate::filter::{box_sum, central, gauss_blur, percentile};

/// CNMF-E's PNR percentiles `[p50, p90, p99]` with the kernel width `g_sig` px.
pub fn cnmfe(movie: &Array3<f32>, g_sig: f64) -> [f64; 3] {
    central_percentiles(&cnmfe_images(movie, g_sig, false).0)
}

/// [`cnmfe`]'s percentiles and, beside them, those of the same filtered movie with a
/// robust time-domain noise level: per pixel (max − median) / (1.4826 · MAD). Slow
/// signals count as noise there, so it reads lower than [`cnmfe`] on movies with a
/// slow background; reported for continuity with earlier reports. The movie is
/// filtered once for both.
pub fn cnmfe_and_mad(movie: &Array3<f32>, g_sig: f64) -> ([f64; 3], [f64; 3]) {
    let filtered = cnmfe_filter(movie, g_sig);
    (
        central_percentiles(&spectral_image(&filtered)),
        central_percentiles(&mad_image(&filtered)),
    )
}

/// Per pixel of a filtered movie, (max − mean) / spectral σ ([`NoiseLevel`]).
fn spectral_image(filtered: &Array3<f32>) -> Array2<f64> {
    let (t, h, w) = filtered.dim();
    let mut noise = NoiseLevel::new(t);
    Array2::from_shape_fn((h, w), |(y, x)| {
        let ts = filtered.slice(s![.., y, x]);
        let (mean, sigma) = noise.of(ts.iter().map(|&v| v as f64));
        let max = ts.iter().map(|&v| v as f64).fold(f64::MIN, f64::max);
        ((max - mean) / sigma.max(1e-12)).max(0.0)
    })
}

/// Per pixel of a filtered movie, (max − median) / (1.4826 · MAD).
fn mad_image(filtered: &Array3<f32>) -> Array2<f64> {
    let (_, h, w) = filtered.dim();
    Array2::from_shape_fn((h, w), |(y, x)| {
        let mut ts: Vec<f64> = filtered
            .slice(s![.., y, x])
            .iter()
            .map(|&v| v as f64)
            .collect();
        let max = ts.iter().cloned().fold(f64::MIN, f64::max);
        let med = percentile(&mut ts, 0.5);
        let mut dev: Vec<f64> = ts.iter().map(|v| (v - med).abs()).collect();
        let mad = percentile(&mut dev, 0.5) * 1.4826;
        (max - med) / mad.max(1e-9)
    })
}

/// Percentiles 50/90/99 of `image` over its central 80 %.
fn central_percentiles(image: &Array2<f64>) -> [f64; 3] {
    let (h, w) = image.dim();
    let mut values: Vec<f64> = central(h, w, 0.8)
        .into_iter()
        .map(|(y, x)| image[[y, x]])
        .collect();
    [
        percentile(&mut values, 0.5),
        percentile(&mut values, 0.9),
        percentile(&mut values, 0.99),
    ]
}

/// The spectral noise level of traces of `t` frames: σ² = the mean of |X(f)|²/T over
/// the frequencies 0.25–0.5 cycles per frame of the mean-subtracted trace.
pub struct NoiseLevel {
    fft: std::sync::Arc<dyn rustfft::Fft<f64>>,
    band: Vec<usize>,
    series: Vec<Complex<f64>>,
}

impl NoiseLevel {
    /// The estimator for traces of `t` frames.
    pub fn new(t: usize) -> Self {
        let fft = FftPlanner::<f64>::new().plan_fft_forward(t);
        let band = (0..=t / 2)
            .filter(|&i| (0.25..=0.5).contains(&(i as f64 / t as f64)))
            .collect();
        Self {
            fft,
            band,
            series: vec![Complex::new(0.0, 0.0); t],
        }
    }

    /// `(mean, σ)` of `trace` (its length is the `t` of [`NoiseLevel::new`]).
    pub fn of(&mut self, trace: impl ExactSizeIterator<Item = f64> + Clone) -> (f64, f64) {
        let t = self.series.len();
        debug_assert_eq!(trace.len(), t);
        let mean = trace.clone().sum::<f64>() / t as f64;
        for (b, v) in self.series.iter_mut().zip(trace) {
            *b = Complex::new(v - mean, 0.0);
        }
        self.fft.process(&mut self.series);
        let power = self
            .band
            .iter()
            .map(|&i| self.series[i].norm_sqr())
            .sum::<f64>()
            / self.band.len().max(1) as f64;
        (mean, (power / t as f64).sqrt())
    }
}

/// The spectral noise level σ of one trace (see [`NoiseLevel`]).
pub fn noise_level(trace: &[f64]) -> f64 {
    NoiseLevel::new(trace.len()).of(trace.iter().copied()).1
}

/// The first 200 frames filtered with CNMF-E's centre-surround kernel of width `g_sig`.
fn cnmfe_filter(movie: &Array3<f32>, g_sig: f64) -> Array3<f32> {
    let t = movie.dim().0.min(200);
    let (_, h, w) = movie.dim();
    let r = (2.0 * g_sig).round() as usize; // (4σ+1)² window
    // Mean of the Gaussian over the window, to make the kernel zero-mean.
    let k = minisim_steps::math::gauss::kernel(g_sig);
    let kr = k.len() / 2;
    let inside: f64 = (0..=2 * r)
        .map(|i| k.get(kr + i - r).copied().unwrap_or(0.0) as f64)
        .sum();
    let kmean = inside * inside / ((2 * r + 1) as f64).powi(2);
    let mut filtered = Array3::<f32>::zeros((t, h, w));
    for f in 0..t {
        let frame = movie.slice(s![f, .., ..]).to_owned();
        let mut g = frame.clone();
        gauss_blur(&mut g, g_sig);
        let b = box_sum(&frame, r);
        filtered
            .slice_mut(s![f, .., ..])
            .assign(&(&g - &b.mapv(|v| v * kmean as f32)));
    }
    filtered
}

/// CNMF-E's images over the first 200 frames filtered with the centre-surround kernel
/// of width `g_sig`: the PNR image ((max − mean) / spectral σ per pixel) and,
/// with `correlation`, the local correlation image (each pixel's mean Pearson
/// correlation with its 8 neighbours; an empty array without).
pub fn cnmfe_images(
    movie: &Array3<f32>,
    g_sig: f64,
    correlation: bool,
) -> (Array2<f64>, Array2<f64>) {
    let filtered = cnmfe_filter(movie, g_sig);
    let (t, h, w) = filtered.dim();
    let pnr = spectral_image(&filtered);
    if !correlation || t < 2 {
        return (pnr, Array2::zeros((0, 0)));
    }
    // Standardised traces, then neighbour products.
    let mut z = filtered;
    for y in 0..h {
        for x in 0..w {
            let mut ts = z.slice_mut(s![.., y, x]);
            let m = ts.mean().unwrap_or(0.0);
            let sd = (ts.iter().map(|v| (v - m).powi(2)).sum::<f32>() / t as f32).sqrt();
            ts.mapv_inplace(|v| if sd > 0.0 { (v - m) / sd } else { 0.0 });
        }
    }
    let corr = Array2::from_shape_fn((h, w), |(y, x)| {
        let (mut sum, mut n) = (0.0, 0);
        for dy in -1i64..=1 {
            for dx in -1i64..=1 {
                let (yy, xx) = (y as i64 + dy, x as i64 + dx);
                if (dy, dx) == (0, 0) || yy < 0 || xx < 0 || yy >= h as i64 || xx >= w as i64 {
                    continue;
                }
                let c: f32 = (0..t)
                    .map(|f| z[[f, y, x]] * z[[f, yy as usize, xx as usize]])
                    .sum();
                sum += c as f64 / t as f64;
                n += 1;
            }
        }
        sum / n.max(1) as f64
    });
    (pnr, corr)
}

/// The zero-mean disc kernel of [`disc`]: `(radius, weights)` over the
/// (2·radius + 1)² square, zero outside the disc.
pub fn disc_kernel(sigma_px: f64) -> (usize, Vec<f64>) {
    let r = (2.0 * sigma_px).round().max(1.0) as usize;
    let side = 2 * r + 1;
    let inside = |dy: f64, dx: f64| dy * dy + dx * dx <= (r * r) as f64;
    let mut k = vec![0f64; side * side];
    let (mut sum, mut n) = (0.0, 0usize);
    for y in 0..side {
        for x in 0..side {
            let (dy, dx) = (y as f64 - r as f64, x as f64 - r as f64);
            if inside(dy, dx) {
                let v = (-(dy * dy + dx * dx) / (2.0 * sigma_px * sigma_px)).exp();
                k[y * side + x] = v;
                sum += v;
                n += 1;
            }
        }
    }
    let mean = sum / n as f64;
    for y in 0..side {
        for x in 0..side {
            let (dy, dx) = (y as f64 - r as f64, x as f64 - r as f64);
            if inside(dy, dx) {
                k[y * side + x] -= mean;
            }
        }
    }
    (r, k)
}

/// 2-D forward or inverse FFT of a row-major `h × w` array in place.
fn fft2(
    data: &mut [Complex<f64>],
    h: usize,
    w: usize,
    rows: &dyn rustfft::Fft<f64>,
    cols: &dyn rustfft::Fft<f64>,
) {
    for row in data.chunks_exact_mut(w) {
        rows.process(row);
    }
    let mut col = vec![Complex::new(0.0, 0.0); h];
    for x in 0..w {
        for y in 0..h {
            col[y] = data[y * w + x];
        }
        cols.process(&mut col);
        for y in 0..h {
            data[y * w + x] = col[y];
        }
    }
}

/// The disc-kernel PNR image (pixels whose disc lies inside the frame; others 0).
/// Frames are filtered by FFT (circular convolution over the frame, exact for those
/// inner pixels since their disc never wraps).
pub fn disc_image(movie: &Array3<f32>, sigma_px: f64) -> Array2<f64> {
    let (t, h, w) = movie.dim();
    let (r, k) = disc_kernel(sigma_px);
    let side = 2 * r + 1;
    let mut out = Array2::<f64>::zeros((h, w));
    if t < 4 || h <= 2 * r || w <= 2 * r {
        return out;
    }
    let mut planner = FftPlanner::<f64>::new();
    let (fr, fc) = (planner.plan_fft_forward(w), planner.plan_fft_forward(h));
    let (ir, ic) = (planner.plan_fft_inverse(w), planner.plan_fft_inverse(h));
    // The kernel centred at (0, 0), wrapped (symmetric, so correlation = convolution).
    let mut kf = vec![Complex::new(0.0, 0.0); h * w];
    for (i, &kv) in k.iter().enumerate() {
        let (dy, dx) = (i / side, i % side);
        let y = (dy + h - r) % h;
        let x = (dx + w - r) % w;
        kf[y * w + x] = Complex::new(kv, 0.0);
    }
    fft2(&mut kf, h, w, fr.as_ref(), fc.as_ref());
    let (ih, iw) = (h - 2 * r, w - 2 * r);
    // Filtered movie over the inner pixels, pixel-major (each pixel's trace contiguous).
    let mut traces = vec![0f32; ih * iw * t];
    let mut buf = vec![Complex::new(0.0, 0.0); h * w];
    let scale = 1.0 / (h * w) as f64;
    for f in 0..t {
        for (b, &v) in buf.iter_mut().zip(movie.slice(s![f, .., ..]).iter()) {
            *b = Complex::new(v as f64, 0.0);
        }
        fft2(&mut buf, h, w, fr.as_ref(), fc.as_ref());
        for (b, kv) in buf.iter_mut().zip(&kf) {
            *b *= kv;
        }
        fft2(&mut buf, h, w, ir.as_ref(), ic.as_ref());
        for y in 0..ih {
            for x in 0..iw {
                traces[(y * iw + x) * t + f] = (buf[(y + r) * w + x + r].re * scale) as f32;
            }
        }
    }
    let mut noise = NoiseLevel::new(t);
    for (p, tr) in traces.chunks_exact(t).enumerate() {
        let (mean, sigma) = noise.of(tr.iter().map(|&v| v as f64));
        let peak = tr.iter().map(|&v| v as f64).fold(f64::MIN, f64::max) - mean;
        out[[p / iw + r, p % iw + r]] = peak / sigma.max(1e-12);
    }
    out
}

/// Disc-kernel PNR percentiles `[p50, p90]` with the Gaussian σ = `sigma_px` (9 µm
/// in pixels for the realism report).
pub fn disc(movie: &Array3<f32>, sigma_px: f64) -> [f64; 2] {
    let (_, h, w) = movie.dim();
    let r = (2.0 * sigma_px).round().max(1.0) as usize;
    let image = disc_image(movie, sigma_px);
    let mut v: Vec<f64> = image
        .indexed_iter()
        .filter(|((y, x), _)| *y >= r && *x >= r && y + r < h && x + r < w)
        .map(|(_, &v)| v)
        .collect();
    [percentile(&mut v, 0.5), percentile(&mut v.clone(), 0.9)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_steps::Stream;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn white(t: usize, h: usize, w: usize, seed: u64) -> Array3<f32> {
        let mut rng = Stream::seed_from_u64(seed);
        Array3::from_shape_fn((t, h, w), |_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z as f32 * 10.0 + 100.0
        })
    }

    #[test]
    fn correlation_image_of_white_noise_is_the_filter_autocorrelation() {
        // Filtered white noise: neighbours correlate at Σ h(u)·h(u+e) / Σ h² for the
        // filter's impulse response h, averaged over the 8 neighbours e.
        let g_sig = 2.0;
        let n = 41;
        let mut delta = Array3::<f32>::zeros((1, n, n));
        delta[[0, n / 2, n / 2]] = 1.0;
        let h = cnmfe_filter(&delta, g_sig);
        let h = h.slice(s![0, .., ..]);
        let energy: f64 = h.iter().map(|&v| (v as f64).powi(2)).sum();
        let mut expected = 0.0;
        for (dy, dx) in [
            (-1, -1),
            (-1, 0),
            (-1, 1),
            (0, -1),
            (0, 1),
            (1, -1),
            (1, 0),
            (1, 1),
        ] {
            let mut c = 0.0;
            for ((y, x), &v) in h.indexed_iter() {
                let (yy, xx) = (y as i64 + dy, x as i64 + dx);
                if yy >= 0 && xx >= 0 && (yy as usize) < n && (xx as usize) < n {
                    c += v as f64 * h[[yy as usize, xx as usize]] as f64;
                }
            }
            expected += c / energy / 8.0;
        }
        let (_, corr) = cnmfe_images(&white(200, 64, 64, 7), g_sig, true);
        assert_eq!(corr.dim(), (64, 64));
        // Interior pixels (the filter's support is 9 px wide); each value has a
        // sampling SD of about 1/√200 = 0.07, the median over ~2000 of them far less.
        let mut v: Vec<f64> = corr.slice(s![8..56, 8..56]).iter().copied().collect();
        let median = percentile(&mut v, 0.5);
        assert!((median - expected).abs() < 0.03, "{median} vs {expected}");

        // A shared trace in a 5×5 patch: its interior pixels correlate near 1.
        let mut movie = white(200, 64, 64, 8);
        let mut rng = Stream::seed_from_u64(9);
        for f in 0..200 {
            let a: f64 = StandardNormal.sample(&mut rng);
            for y in 30..35 {
                for x in 30..35 {
                    movie[[f, y, x]] += 200.0 * a as f32;
                }
            }
        }
        let (_, corr) = cnmfe_images(&movie, g_sig, true);
        // Noise alone correlates at `expected`; the shared trace lifts it above.
        assert!(expected < 0.85, "{expected}");
        assert!(corr[[32, 32]] > 0.95, "{}", corr[[32, 32]]);
    }

    #[test]
    fn pure_noise_pnr_matches_the_max_of_200_normals() {
        // P(max of 200 N(0,1) ≤ x) = Φ(x)^200: the 50/90/99 % points are 2.70, 3.27, 3.89.
        let p = cnmfe(&white(200, 96, 96, 1), 3.0);
        for (got, want, tol) in [(p[0], 2.70, 0.12), (p[1], 3.27, 0.15), (p[2], 3.89, 0.3)] {
            assert!((got - want).abs() < tol, "{p:?}");
        }
    }

    /// The spectral noise level of white noise of SD σ is σ: the band mean of
    /// |X(f)|²/T over the ≈ T/4 frequencies in 0.25–0.5 cycles/frame, each an
    /// exponential of mean σ², has a relative SD of 1/√(T/4) in power, half that in σ
    /// (2.2 % at T = 2000; the tolerance is 4 of them). A slow sinusoid far larger than
    /// the noise (period 100 frames, power at 0.01 cycles/frame, leaking under the
    /// rectangular window as 1/(πTΔf)² ≈ 10⁻⁵ of its power into the band) leaves it
    /// unchanged.
    #[test]
    fn spectral_noise_level_is_sigma_and_ignores_slow_signals() {
        let t = 2000;
        let mut rng = Stream::seed_from_u64(11);
        let noise: Vec<f64> = (0..t)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                3.0 * z
            })
            .collect();
        let sigma = noise_level(&noise);
        assert!(
            (sigma / 3.0 - 1.0).abs() < 4.0 * 0.5 / (t as f64 / 4.0).sqrt(),
            "{sigma}"
        );
        let slow: Vec<f64> = noise
            .iter()
            .enumerate()
            .map(|(i, v)| v + 30.0 * (2.0 * std::f64::consts::PI * i as f64 / 100.0).sin())
            .collect();
        let with_slow = noise_level(&slow);
        assert!(
            (with_slow / sigma - 1.0).abs() < 0.01,
            "{with_slow} vs {sigma}"
        );
    }

    /// A slow, large background (a sinusoid of period 100 frames on a checkerboard of
    /// 8-px squares, so the zero-mean kernel passes it) is signal for CNMF-E's PNR and
    /// noise for the MAD one. At a square's centre the filtered background has
    /// amplitude a = 40·c (c: the filtered checkerboard there) over white noise of
    /// filtered SD σ_f = 10·‖h‖₂ (h: the filter's impulse response). Spectral: the peak
    /// is a plus the noise near the crest (> −3σ_f), the noise level σ_f within ±25 %
    /// (3.5 SDs of a 50-bin band mean), so PNR > (a − 3σ_f)/(1.25σ_f). MAD: the
    /// deviations are |a·sin| plus noise, whose median is ≥ a·sin(π/4) − σ_f, so PNR
    /// ≤ (a + 4σ_f)/(1.4826·(0.707a − σ_f)) (< 1.2 here; pure noise gives 2.7).
    #[test]
    fn slow_background_is_signal_not_noise_for_cnmfe() {
        let (t, n, g_sig) = (200, 64, 3.0);
        let board = |y: usize, x: usize| {
            if (y / 8 + x / 8).is_multiple_of(2) {
                1.0
            } else {
                -1.0
            }
        };
        let mut movie = white(t, n, n, 12);
        for f in 0..t {
            let a = 40.0 * (2.0 * std::f64::consts::PI * f as f64 / 100.0).sin();
            for y in 0..n {
                for x in 0..n {
                    movie[[f, y, x]] += (a * board(y, x)) as f32;
                }
            }
        }
        let (cy, cx) = (36, 36); // the centre of an 8-px square
        let pattern = Array3::from_shape_fn((1, n, n), |(_, y, x)| board(y, x) as f32);
        let c = (cnmfe_filter(&pattern, g_sig)[[0, cy, cx]] as f64).abs();
        let mut delta = Array3::<f32>::zeros((1, n, n));
        delta[[0, n / 2, n / 2]] = 1.0;
        let h = cnmfe_filter(&delta, g_sig);
        let sigma_f = 10.0 * h.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
        let a = 40.0 * c;
        assert!(
            a > 10.0 * sigma_f,
            "the background dominates: {a} vs {sigma_f}"
        );
        let spectral = cnmfe_images(&movie, g_sig, false).0[[cy, cx]];
        assert!(
            spectral > (a - 3.0 * sigma_f) / (1.25 * sigma_f),
            "{spectral}"
        );
        let mad = mad_image(&cnmfe_filter(&movie, g_sig))[[cy, cx]];
        let bound = (a + 4.0 * sigma_f) / (1.4826 * (0.707 * a - sigma_f));
        assert!(mad <= bound && bound < 1.2, "{mad} vs {bound}");
    }

    /// White noise: the spectral noise level is the filtered noise's σ, so the PNR of
    /// each pixel is the maximum of T (correlated across pixels, not in time) normals:
    /// for T = 256 the median of that maximum is 2.78 (Φ(x)^256 = ½) and its 90 % point
    /// 3.33; the band average over 64 frequencies errs by ≈ 1/√64 = 12 % in power, 6 %
    /// in σ, hence the tolerance.
    #[test]
    fn disc_pnr_of_white_noise_is_the_max_of_normals() {
        let p = disc(&white(256, 48, 48, 4), 2.0);
        assert!((p[0] - 2.78).abs() < 0.25, "{p:?}");
        assert!((p[1] - 3.33).abs() < 0.35, "{p:?}");
    }

    /// One transient of amplitude A (spatial Gaussian blob σ_b = 2 px, temporal Gaussian
    /// σ_t = 5 frames, whose power above 0.25 cycles/frame is e^{−2π²σ_t²f²} < 10⁻¹³,
    /// so the noise level sees only the noise) in white noise σ_n: at its centre the
    /// filtered peak is A·⟨k, blob⟩ less its mean over the movie (a share √(2π)σ_t/T),
    /// the filtered noise σ_n·‖k‖₂; PNR = A⟨k, blob⟩(1 − √(2π)σ_t/T) / (σ_n‖k‖₂), up to
    /// the noise at the peak (±3 in PNR units) and the band estimate (±6 %, see above).
    #[test]
    fn disc_pnr_of_a_known_transient() {
        let (t, n, sigma) = (200, 41, 3.0);
        let (amp, noise, blob) = (60.0, 1.0, 2.0);
        let mut movie = white(t, n, n, 5).mapv(|v| (v - 100.0) / 10.0 * noise as f32);
        let c = (n / 2) as f64;
        let sigma_t: f64 = 5.0;
        for f in 0..t {
            let pulse = (-((f as f64 - 100.0) / sigma_t).powi(2) / 2.0).exp();
            for y in 0..n {
                for x in 0..n {
                    let d2 = (y as f64 - c).powi(2) + (x as f64 - c).powi(2);
                    movie[[f, y, x]] += (amp * pulse * (-d2 / (2.0 * blob * blob)).exp()) as f32;
                }
            }
        }
        let (r, k) = disc_kernel(sigma);
        let side = 2 * r + 1;
        let (mut dot, mut norm2) = (0.0, 0.0);
        for (i, &kv) in k.iter().enumerate() {
            let (dy, dx) = ((i / side) as f64 - r as f64, (i % side) as f64 - r as f64);
            dot += kv * (-(dy * dy + dx * dx) / (2.0 * blob * blob)).exp();
            norm2 += kv * kv;
        }
        let share = (2.0 * std::f64::consts::PI).sqrt() * sigma_t / t as f64;
        let expected = amp * dot * (1.0 - share) / (noise * norm2.sqrt());
        let got = disc_image(&movie, sigma)[[n / 2, n / 2]];
        assert!(
            (got - expected).abs() < 3.0 + 0.07 * expected,
            "{got} vs {expected}"
        );
        assert!(
            expected > 20.0,
            "the case is far above the noise: {expected}"
        );
    }
}
