//! Indicator kinetics (`calcium` step).
//!
//! Model: each spike at s adds the double exponential
//!     h(t − s) = A·(e^{−(t−s)/τ_d} − e^{−(t−s)/τ_r}),  t ≥ s,
//! with A chosen so one spike peaks at `dff_per_spike`. The linear ΔF/F of frame f is
//! its mean over the exposure window [t_f, t_f + E):
//!     x_f = (1/E) ∫ Σ_s h(t − s) dt,
//! computed exactly by carrying D = Σ_{s<t_f} e^{−(t_f−s)/τ_d} and R (same with τ_r)
//! from frame to frame, so chunks of any size give the same bits. Saturation:
//!     ΔF/F = x / (1 + (x / sat)^n)^{1/n}
//! (linear for x ≪ sat, → sat as x → ∞; a Hill-type curve with coefficient n).
//! Per-cell variation: τ_r, τ_d and A each × LogNormal with the configured CV.
//! Units: ms in the spec, s inside; ΔF/F dimensionless. Sources: docs/physics.md#steps.calcium.

use minisim_spec::Calcium;
use rand_distr::{Distribution, StandardNormal};

use crate::Stream;

/// One cell's kinetics after per-cell variation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellKinetics {
    /// Rise time constant, s.
    pub rise_s: f64,
    /// Decay time constant, s.
    pub decay_s: f64,
    /// Peak ΔF/F of one spike (before saturation).
    pub dff_per_spike: f64,
}

/// Draw per-cell kinetics: each of rise, decay and amplitude × exp(σZ − σ²/2) with
/// σ² = ln(1 + CV²) (mean-preserving lognormal). Decay is kept ≥ 1.5 × rise.
pub fn cell_kinetics(params: &Calcium, rng: &mut Stream) -> CellKinetics {
    let k = params.kinetics();
    let sigma = (1.0 + params.kinetics_cv.powi(2)).ln().sqrt();
    let mut factor = || {
        let z: f64 = StandardNormal.sample(rng);
        (sigma * z - sigma * sigma / 2.0).exp()
    };
    let rise_s = k.rise_ms / 1000.0 * factor();
    let decay_s = (k.decay_ms / 1000.0 * factor()).max(1.5 * rise_s);
    CellKinetics {
        rise_s,
        decay_s,
        dff_per_spike: k.dff_per_spike * factor(),
    }
}

/// Frame timing shared by all cells.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Frame period, s.
    pub period_s: f64,
    /// Exposure, s (≤ period).
    pub exposure_s: f64,
}

/// Per-cell constants of the recursion.
#[derive(Debug, Clone, Copy)]
pub struct Recursion {
    amp: f64,
    tau: [f64; 2],
    /// e^{−T/τ} per exponential.
    carry: [f64; 2],
    /// τ(1 − e^{−E/τ})/E: weight of the carried state in the frame mean.
    window: [f64; 2],
}

impl Recursion {
    /// Precompute the constants for one cell.
    pub fn new(k: &CellKinetics, timing: Timing) -> Self {
        let (tr, td) = (k.rise_s, k.decay_s);
        // Peak of e^{-t/τd} − e^{-t/τr} at t* = τr·τd/(τd − τr)·ln(τd/τr).
        let t_peak = tr * td / (td - tr) * (td / tr).ln();
        let peak = (-t_peak / td).exp() - (-t_peak / tr).exp();
        let tau = [td, tr];
        let e = timing.exposure_s;
        Recursion {
            amp: k.dff_per_spike / peak,
            tau,
            carry: tau.map(|t| (-timing.period_s / t).exp()),
            window: tau.map(|t| t * (1.0 - (-e / t).exp()) / e),
        }
    }
}

/// State carried across frames for one cell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CellState {
    /// Σ over past spikes of e^{−(t_f − s)/τ_d} and e^{−(t_f − s)/τ_r}.
    sums: [f64; 2],
    /// Index of the first spike not yet folded into `sums`.
    next_spike: usize,
}

/// Linear ΔF/F of frame `f` (before saturation), advancing the state to frame f + 1.
pub fn advance(
    state: &mut CellState,
    rec: &Recursion,
    spikes_s: &[f64],
    frame: u64,
    timing: Timing,
) -> f64 {
    let t0 = frame as f64 * timing.period_s;
    let t_end = t0 + timing.exposure_s;
    let t_next = (frame + 1) as f64 * timing.period_s;
    // Index 0 is the decay exponential (+), 1 the rise exponential (−).
    let sign = [1.0, -1.0];
    let mut x: f64 = (0..2)
        .map(|i| sign[i] * state.sums[i] * rec.window[i])
        .sum();
    let mut sums = [state.sums[0] * rec.carry[0], state.sums[1] * rec.carry[1]];
    let mut j = state.next_spike;
    while j < spikes_s.len() && spikes_s[j] < t_next {
        let s = spikes_s[j];
        for (i, (sum, &tau)) in sums.iter_mut().zip(&rec.tau).enumerate() {
            if s < t_end {
                x += sign[i] * tau * (1.0 - (-(t_end - s) / tau).exp()) / timing.exposure_s;
            }
            *sum += (-(t_next - s) / tau).exp();
        }
        j += 1;
    }
    state.sums = sums;
    state.next_spike = j;
    rec.amp * x
}

/// Saturating nonlinearity `x / (1 + (x/sat)^n)^{1/n}` for x ≥ 0.
pub fn saturate(x: f64, saturation_dff: f64, hill_n: f64) -> f64 {
    if x <= 0.0 {
        return x;
    }
    x / (1.0 + (x / saturation_dff).powf(hill_n)).powf(1.0 / hill_n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_spike_trace(k: CellKinetics, timing: Timing, spike: f64, frames: u64) -> Vec<f64> {
        let rec = Recursion::new(&k, timing);
        let mut st = CellState::default();
        (0..frames)
            .map(|f| advance(&mut st, &rec, &[spike], f, timing))
            .collect()
    }

    #[test]
    fn exposure_mean_matches_numerical_integral() {
        let k = CellKinetics {
            rise_s: 0.05,
            decay_s: 0.4,
            dff_per_spike: 0.2,
        };
        let timing = Timing {
            period_s: 0.05,
            exposure_s: 0.03,
        };
        let spikes = [0.012, 0.061, 0.300, 0.3021];
        let rec = Recursion::new(&k, timing);
        let mut st = CellState::default();
        for f in 0..40u64 {
            let got = advance(&mut st, &rec, &spikes, f, timing);
            let t0 = f as f64 * timing.period_s;
            let n = 20_000;
            let mut acc = 0.0;
            for i in 0..n {
                let t = t0 + (i as f64 + 0.5) / n as f64 * timing.exposure_s;
                for &s in &spikes {
                    if t >= s {
                        acc +=
                            rec.amp * ((-(t - s) / k.decay_s).exp() - (-(t - s) / k.rise_s).exp());
                    }
                }
            }
            let want = acc / n as f64;
            assert!(
                (got - want).abs() < 1e-6 + 1e-4 * want.abs(),
                "frame {f}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn single_spike_peaks_at_dff_per_spike() {
        let k = CellKinetics {
            rise_s: 0.045,
            decay_s: 0.205,
            dff_per_spike: 0.19,
        };
        // A short exposure samples the kernel nearly pointwise.
        let timing = Timing {
            period_s: 0.001,
            exposure_s: 0.0001,
        };
        let trace = single_spike_trace(k, timing, 0.0, 1000);
        let peak = trace.iter().cloned().fold(0.0, f64::max);
        assert!((peak - 0.19).abs() < 0.19 * 0.01, "{peak}");
    }

    #[test]
    fn decay_constant_is_recovered_within_five_percent() {
        let k = CellKinetics {
            rise_s: 0.045,
            decay_s: 0.4,
            dff_per_spike: 0.2,
        };
        let timing = Timing {
            period_s: 0.05,
            exposure_s: 0.05,
        };
        let trace = single_spike_trace(k, timing, 0.5, 100);
        // Fit log-linear over frames ≥ 10·τ_r after the spike, where the rise term is
        // < e^{-10} of the decay term.
        let first = ((0.5 + 10.0 * k.rise_s) / timing.period_s).ceil() as usize;
        let pts: Vec<(f64, f64)> = (first..first + 30)
            .map(|f| (f as f64 * timing.period_s, trace[f].ln()))
            .collect();
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
            / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
        let tau = -1.0 / slope;
        assert!((tau / k.decay_s - 1.0).abs() < 0.05, "{tau}");
    }

    #[test]
    fn saturation_is_linear_then_bounded() {
        assert!((saturate(0.01, 5.0, 2.0) - 0.01).abs() < 1e-5);
        assert!(saturate(1000.0, 5.0, 2.0) < 5.0);
        assert!(saturate(1000.0, 5.0, 2.0) > 4.99);
        assert!(saturate(3.0, 5.0, 2.0) < 3.0);
    }
}
