//! Population bleaching from the frame-mean trace.
//!
//! The `photon_field` model scales the fluorescence by 1 − a·(1 − e^{−t/τ}); the
//! frame mean less the unlit level is S·(1 − a + a·e^{−t/τ}) = α + β·e^{−t/τ} plus
//! the slow fluctuations of background and activity. For each τ on a log grid from a
//! tenth of a frame period to 30 × the recording, α and β by least squares; τ
//! minimises the residual and a = β/(α + β).
//!
//! The uncertainty is a delete-one-block jackknife over ten contiguous blocks of the
//! recording, on ln τ: the slow fluctuations of the frame mean (ensemble events,
//! neuropil, vasomotion; ≈ 1–2 % of the signal over tens of seconds) are what limits
//! τ, and dropping the block that holds one of them moves the fit by as much as that
//! fluctuation pulled it. When the best τ lies at the top of the grid, or its
//! jackknife interval reaches it, the movie is too short to see the curvature of the
//! decay: τ is reported as a lower bound (the interval's lower end) and the initial
//! slope a/τ is what the movie shows.

use crate::estimate::Estimate;

/// Blocks of the jackknife.
const BLOCKS: usize = 10;

/// The bleaching estimates.
#[derive(Debug, Clone)]
pub struct BleachFit {
    /// Relative amplitude a.
    pub amplitude: Estimate,
    /// Time constant τ, s. When the movie only bounds it, the bound is the larger of
    /// the recording's length and the jackknife interval's lower end.
    pub time_constant_s: Estimate,
    /// The least-squares τ paired with `amplitude`, s: together they reproduce the
    /// movie's frame mean (when τ is a bound, its initial slope a/τ). The fitted spec
    /// uses this pair.
    pub fit_time_constant_s: f64,
    /// What the decay leaves: the frame mean's slow fluctuations ([`fluctuation`]).
    pub fluctuation: Fluctuation,
}

/// The frame mean's fluctuations about the fitted decay (haemodynamics, neuropil,
/// ensemble events; minisim's neuropil and photon-field dynamics).
#[derive(Debug, Clone)]
pub struct Fluctuation {
    /// RMS of the residual over the fitted level (a fraction).
    pub rms_fraction: Estimate,
    /// Correlation time: the lag at which the residual's autocorrelation first falls
    /// to 1/e, linearly interpolated, s. Frame-mean noise (white) lowers every lag
    /// below zero's equally, so a noisy trace reads shorter.
    pub time_s: Estimate,
}

/// The residual's RMS over `level` and its 1/e correlation time at `rate_hz`; the
/// time is a bound when the autocorrelation stays above 1/e over a quarter of the
/// trace.
pub fn fluctuation(residual: &[f64], level: f64, rate_hz: f64) -> Fluctuation {
    let n = residual.len().max(1);
    let mean = residual.iter().sum::<f64>() / n as f64;
    let c = |k: usize| {
        residual
            .iter()
            .zip(&residual[k.min(residual.len())..])
            .map(|(a, b)| (a - mean) * (b - mean))
            .sum::<f64>()
            / n as f64
    };
    let c0 = c(0);
    let rms_fraction = Estimate::measured(
        c0.sqrt() / level.abs().max(1e-12),
        None,
        "RMS of the frame mean about the fitted decay, over the level",
    );
    let max_lag = n / 4;
    let mut prev = 1.0;
    let mut time = None;
    for k in 1..=max_lag {
        let r = if c0 > 0.0 { c(k) / c0 } else { 0.0 };
        let e = (-1f64).exp();
        if r <= e {
            time = Some(((k - 1) as f64 + (prev - e) / (prev - r)) / rate_hz);
            break;
        }
        prev = r;
    }
    let time_s = match time {
        Some(t) => Estimate::measured(
            t,
            None,
            "1/e lag of the autocorrelation of the frame mean about the fitted decay",
        ),
        None => Estimate::bound(
            max_lag as f64 / rate_hz,
            "lower bound: correlated over a quarter of the recording",
        ),
    };
    Fluctuation {
        rms_fraction,
        time_s,
    }
}

/// The least-squares fit over the frames where `keep` holds: `(grid index, α, β)`.
fn best_fit(y: &[f64], t: &[f64], grid: &[f64], keep: impl Fn(usize) -> bool) -> (usize, f64, f64) {
    let mut best = (0, 0.0, 0.0, f64::INFINITY);
    for (i, &tau) in grid.iter().enumerate() {
        let (mut m, mut su, mut suu, mut sy, mut suy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (f, (&t, &y)) in t.iter().zip(y).enumerate() {
            if !keep(f) {
                continue;
            }
            let u = (-t / tau).exp();
            m += 1.0;
            su += u;
            suu += u * u;
            sy += y;
            suy += u * y;
        }
        let det = m * suu - su * su;
        let (alpha, beta) = if det.abs() < 1e-12 * m * m {
            (sy / m, 0.0)
        } else {
            ((suu * sy - su * suy) / det, (m * suy - su * sy) / det)
        };
        let ss: f64 = t
            .iter()
            .zip(y)
            .enumerate()
            .filter(|(f, _)| keep(*f))
            .map(|(_, (&t, &y))| (y - alpha - beta * (-t / tau).exp()).powi(2))
            .sum();
        if ss < best.3 {
            best = (i, alpha, beta, ss);
        }
    }
    (best.0, best.1, best.2)
}

/// Fit `trace` (frame means, DN) less `dark` at `rate_hz`.
pub fn estimate(trace: &[f64], dark: f64, rate_hz: f64) -> BleachFit {
    let n = trace.len();
    if n < 10 * BLOCKS {
        return BleachFit {
            amplitude: Estimate::bound(0.0, "too few frames"),
            time_constant_s: Estimate::bound(0.0, "too few frames"),
            fit_time_constant_s: 1.0,
            fluctuation: Fluctuation {
                rms_fraction: Estimate::bound(0.0, "too few frames"),
                time_s: Estimate::bound(0.0, "too few frames"),
            },
        };
    }
    let duration = n as f64 / rate_hz;
    let y: Vec<f64> = trace.iter().map(|v| v - dark).collect();
    let t: Vec<f64> = (0..n).map(|f| (f as f64 + 0.5) / rate_hz).collect();
    let lo = 0.1 / rate_hz;
    let hi = 30.0 * duration;
    let steps = 200;
    let grid: Vec<f64> = (0..=steps)
        .map(|i| lo * (hi / lo).powf(i as f64 / steps as f64))
        .collect();
    let (best, alpha, beta) = best_fit(&y, &t, &grid, |_| true);
    let tau = grid[best];
    let amplitude = beta / (alpha + beta);
    let fluct = if beta <= 0.0 {
        let m = y.iter().sum::<f64>() / n as f64;
        let r: Vec<f64> = y.iter().map(|v| v - m).collect();
        fluctuation(&r, m, rate_hz)
    } else {
        let r: Vec<f64> = y
            .iter()
            .zip(&t)
            .map(|(v, t)| v - alpha - beta * (-t / tau).exp())
            .collect();
        fluctuation(&r, alpha + beta, rate_hz)
    };
    if beta <= 0.0 {
        return BleachFit {
            amplitude: Estimate::bound(0.0, "the frame mean does not decay: no bleaching seen"),
            time_constant_s: Estimate::bound(hi, "no decay seen"),
            fit_time_constant_s: hi,
            fluctuation: fluct,
        };
    }
    let len = n / BLOCKS;
    let logs: Vec<f64> = (0..BLOCKS)
        .map(|j| {
            let (i, _, _) = best_fit(&y, &t, &grid, |f| f / len != j);
            grid[i].ln()
        })
        .collect();
    let mean = logs.iter().sum::<f64>() / BLOCKS as f64;
    let k = BLOCKS as f64;
    let sd_log = ((k - 1.0) / k * logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>()).sqrt();
    let upper = tau * sd_log.exp();
    if best == grid.len() - 1 || upper >= hi {
        let slope = amplitude / tau;
        return BleachFit {
            amplitude: Estimate::bound(
                amplitude.min(1.0),
                format!(
                    "the decay is nearly linear over the recording (initial slope {slope:.2e}/s): amplitude and τ are not separable"
                ),
            ),
            time_constant_s: Estimate::bound(
                (tau / sd_log.exp()).max(duration),
                "lower bound: the recording is too short for the curvature of the decay",
            ),
            fit_time_constant_s: tau,
            fluctuation: fluct,
        };
    }
    BleachFit {
        amplitude: Estimate::measured(
            amplitude,
            None,
            "exponential fit to the frame mean less the unlit level",
        ),
        time_constant_s: Estimate::measured(
            tau,
            Some(tau * sd_log),
            "exponential fit to the frame mean; error by a 10-block jackknife",
        ),
        fit_time_constant_s: tau,
        fluctuation: fluct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// A noiseless exponential decay: τ and the amplitude exactly.
    #[test]
    fn fits_a_clean_decay() {
        let rate = 10.0;
        let trace: Vec<f64> = (0..600)
            .map(|f| {
                let t = (f as f64 + 0.5) / rate;
                5.0 + 100.0 * (1.0 - 0.3 * (1.0 - (-t / 25.0).exp()))
            })
            .collect();
        let fit = estimate(&trace, 5.0, rate);
        assert_eq!(fit.time_constant_s.quality, crate::Quality::Measured);
        assert!((fit.time_constant_s.value / 25.0 - 1.0).abs() < 0.02);
        assert!((fit.amplitude.value - 0.3).abs() < 0.01);
    }

    /// An AR(1) residual of coefficient φ: autocorrelation φ^k, so the 1/e time is
    /// −1/ln φ frames; its RMS is σ/√(1 − φ²).
    #[test]
    fn ar1_fluctuations_have_their_time_and_size() {
        let (phi, sigma, rate, n) = (0.95f64, 1.0, 10.0, 20_000);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let mut x = 0.0;
        let r: Vec<f64> = (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                x = phi * x + sigma * z;
                x
            })
            .collect();
        let f = fluctuation(&r, 100.0, rate);
        let time = -1.0 / phi.ln() / rate; // 1.95 s
        // Over 20 000 frames (≈ 500 correlation times) the estimates' SDs are a few %.
        assert!((f.time_s.value / time - 1.0).abs() < 0.15, "{:?}", f.time_s);
        let rms = sigma / (1.0 - phi * phi).sqrt() / 100.0;
        assert!(
            (f.rms_fraction.value / rms - 1.0).abs() < 0.1,
            "{:?}",
            f.rms_fraction
        );
    }

    /// A decay far slower than the recording: τ is a lower bound no shorter than the
    /// recording, and the fitted pair keeps the initial slope a/τ.
    #[test]
    fn a_slow_decay_is_a_bound_that_keeps_the_slope() {
        let rate = 30.0;
        let (a, tau) = (0.25, 600.0);
        // White noise of 0.5 DN per frame hides the curvature (≈ 0.04 DN over 33 s).
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let trace: Vec<f64> = (0..1000)
            .map(|f| {
                let t = (f as f64 + 0.5) / rate;
                let z: f64 = StandardNormal.sample(&mut rng);
                8.0 + 100.0 * (1.0 - a * (1.0 - (-t / tau).exp())) + 0.5 * z
            })
            .collect();
        let fit = estimate(&trace, 8.0, rate);
        assert_eq!(fit.time_constant_s.quality, crate::Quality::Bound);
        assert!(fit.time_constant_s.value >= 1000.0 / rate);
        let slope = fit.amplitude.value / fit.fit_time_constant_s;
        // The slope's standard error from the noise is 0.5·√(12/N)/D ≈ 0.0016 DN/s,
        // 4 % of the true 0.042 DN/s; the curvature lowers the mean slope by ≈ 2.7 %.
        assert!(
            (slope / (a / tau) - 1.0).abs() < 3.0 * 0.04 + 0.027,
            "{slope}"
        );
    }
}
