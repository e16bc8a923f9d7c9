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

pub use crate::geometry::Timing;
use crate::stage::{Context, FrameValues, Prepared, Stage};
use crate::truth::{GroundTruth, rows_by_frame};
use crate::{Stream, Streams};

/// The `calcium` stage.
pub struct Kind;

/// Per-cell constants: the kinetics recursion and the saturation curve.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    /// One recursion per cell.
    pub recursions: Vec<Recursion>,
    /// `[saturation_dff, hill_n]` per cell (its population's indicator, if it has one).
    pub saturation: Vec<[f64; 2]>,
}

/// The serial state: every cell's recursion state, its largest ΔF/F so far and (when
/// per-frame truth is kept) ΔF/F frame after frame.
#[derive(Debug, Clone, Default)]
pub struct State {
    cells: Vec<CellState>,
    peak: Vec<f32>,
    history: Vec<f32>,
}

impl Stage for Kind {
    type Params = Calcium;
    type Prepared = Cells;
    type State = State;
    const ADVANCES: bool = true;
    /// ΔF/F of every cell in the frame (after saturation).
    type Values = Vec<f32>;

    fn prepare(p: &Calcium, ctx: &Context<'_>, prepared: &Prepared) -> Cells {
        let streams = ctx.streams("calcium");
        let population: &[u32] = prepared
            .place_neurons
            .as_ref()
            .map_or(&[], |q| &q.population);
        let pops = ctx
            .spec
            .place_neurons()
            .and_then(|q| q.populations.as_ref());
        let (recursions, saturation) = population
            .iter()
            .enumerate()
            .map(|(c, &k)| {
                let own = pops
                    .and_then(|pops| pops.get(k as usize))
                    .and_then(|q| q.calcium.as_ref());
                let p = own.unwrap_or(p);
                let kinetics = cell_kinetics(p, &mut streams.stream(c as u64));
                (
                    Recursion::new(&kinetics, ctx.geometry.timing),
                    [p.saturation_dff, p.hill_n],
                )
            })
            .unzip();
        Cells {
            recursions,
            saturation,
        }
    }

    fn start(_: &Calcium, own: &Cells, _: &Context<'_>) -> State {
        let n = own.recursions.len();
        State {
            cells: vec![CellState::default(); n],
            peak: vec![0.0; n],
            history: Vec::new(),
        }
    }

    fn advance(
        _: &Calcium,
        own: &Cells,
        prepared: &Prepared,
        state: &mut State,
        frame: u64,
        _: &FrameValues,
        ctx: &Context<'_>,
    ) -> Vec<f32> {
        let trains: &[Vec<f64>] = prepared.spikes.as_ref().map_or(&[], |t| &t.times_s);
        let timing = ctx.geometry.timing;
        let dff: Vec<f32> = state
            .cells
            .iter_mut()
            .enumerate()
            .map(|(c, cell)| {
                let spikes = trains.get(c).map_or(&[][..], Vec::as_slice);
                let x = advance(cell, &own.recursions[c], spikes, frame, timing);
                let [saturation, hill] = own.saturation[c];
                saturate(x, saturation, hill) as f32
            })
            .collect();
        for (peak, &d) in state.peak.iter_mut().zip(&dff) {
            *peak = peak.max(d);
        }
        if ctx.keep_truth {
            state.history.extend_from_slice(&dff);
        }
        dff
    }

    fn resting(_: &Calcium, own: &Cells) -> Vec<f32> {
        vec![0.0; own.recursions.len()]
    }

    fn truth(
        _: &Calcium,
        own: &Cells,
        state: State,
        frames: usize,
        _: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        truth.calcium_dff = rows_by_frame(state.history, frames, own.recursions.len());
        truth.cells.peak_dff = state.peak;
    }
}

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
