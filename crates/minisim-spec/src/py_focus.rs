//! py-minisim's `"auto"` focal plane, evaluated on a representative population.
//!
//! py-minisim resolves `focal_depth_in_tissue_um: "auto"` (with a `sensor` step) by
//! scanning 96 planes between its cells' shallowest and deepest effective depths and
//! keeping the one with the most cells whose transient SNR clears 3 (ties: the most
//! detected signal). Its cells and traces are random, so the plane it picks varies from
//! seed to seed (114–154 µm for `full256.json` over five seeds). The import cannot
//! replay numpy's random streams; it evaluates the same objective, with the same
//! formulas, on a stratified population: depths on quantiles of each population's
//! depth range (weighted by its share of cells), lateral positions on a Halton
//! sequence over the tissue canvas, and the traces' peak and baseline from py-minisim's
//! activity model (two-state gate per frame, Bernoulli spikes on the fine grid, the
//! peak-normalised double exponential, bin-averaged) drawn from a generator seeded by
//! the spec's seed.
//!
//! py-minisim's per-cell SNR (its `detection_snr`):
//!     gain = NA² · e^{−z/ℓ} · σ₀²/(σ₀² + (NA·(e − F))²) · field(y, x) · photons · QE
//!     SNR  = peak_dF · gain / sqrt(baseline · gain + read²)
//! with σ₀² = (0.21 λ/NA)² + (blur · z)², e the depth plus the field-curvature sagitta
//! and field the illumination × vignette falloff at the cell.
//!
//! Invariant: deterministic in its inputs (the generator is seeded by the spec seed).

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Depths of the representative population (quantiles of the layers).
const CELLS: usize = 512;
/// Simulated traces; every depth is paired with each of them (CELLS × TRACES cells).
const TRACES: usize = 64;
/// Planes py-minisim scans (its `_FOCUS_SCAN_N`).
const PLANES: usize = 96;
/// py-minisim's `DETECT_SNR_THRESHOLD`.
const SNR: f64 = 3.0;

/// py-minisim's `cell_activity` parameters (its units: per-frame probabilities, s).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Activity {
    pub spike_sim_hz: f64,
    pub p_quiescent_to_active: f64,
    pub p_active_to_quiescent: f64,
    pub active_rate_hz: f64,
    pub quiescent_rate_hz: f64,
    pub tau_rise_s: f64,
    pub tau_decay_s: f64,
    pub brightness_cv: f64,
    pub f0: f64,
}

impl Activity {
    /// Peak of the double exponential e^{−t/τd} − e^{−t/τr} (py normalises by it).
    pub(crate) fn kernel_peak(&self) -> f64 {
        let (tr, td) = (self.tau_rise_s, self.tau_decay_s);
        let t = tr * td / (td - tr) * (td / tr).ln();
        (-t / td).exp() - (-t / tr).exp()
    }

    /// Expected ΔF per f0 of the activity: mean spike rate × the kernel's integral over
    /// its peak (py's clean trace is spikes ∗ peak-normalised kernel, f0 units).
    pub(crate) fn mean_dff(&self) -> f64 {
        let (qa, aq) = (self.p_quiescent_to_active, self.p_active_to_quiescent);
        let active = if qa + aq > 0.0 { qa / (qa + aq) } else { 0.0 };
        let rate = active * self.active_rate_hz + (1.0 - active) * self.quiescent_rate_hz;
        rate * (self.tau_decay_s - self.tau_rise_s) / self.kernel_peak() / self.f0
    }
}

/// One py-minisim population: its share of the cells and its depth range, µm.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer {
    pub weight: f64,
    pub depth_um: [f64; 2],
}

/// One radial falloff 1 − (1 − falloff)(r/r_corner)^exponent (py's `radial_falloff`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Falloff {
    pub falloff: f64,
    pub exponent: f64,
}

/// Everything py-minisim's yield scan reads.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    pub seed: u64,
    pub fps: f64,
    pub frames: u64,
    pub fov_px: [u32; 2],
    pub pixel_um: f64,
    pub margin_px: u32,
    pub na: f64,
    pub emission_nm: f64,
    pub curvature_um: Option<f64>,
    pub mfp_um: f64,
    pub blur_per_um: f64,
    pub photons: f64,
    pub qe: f64,
    pub read_e: f64,
    pub falloffs: Vec<Falloff>,
    pub layers: Vec<Layer>,
    pub activity: Activity,
}

/// `(peak_dF, baseline)` of `n` cells' traces, f0 units times the cell's gain.
fn traces(scan: &Scan, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<(f64, f64)> {
    let a = scan.activity;
    let bins = (a.spike_sim_hz / scan.fps).round().max(1.0) as usize;
    let hr = bins as f64 * scan.fps;
    let pad = (6.0 * a.tau_decay_s * scan.fps).ceil() as u64;
    let total = scan.frames + pad;
    let (dd, dr) = (
        (-1.0 / (a.tau_decay_s * hr)).exp(),
        (-1.0 / (a.tau_rise_s * hr)).exp(),
    );
    let peak = a.kernel_peak();
    let sigma = (1.0 + a.brightness_cv * a.brightness_cv).ln().sqrt();
    // `simulable` bounds the CV to [0, 10], so σ is finite.
    let gain = Normal::new(-0.5 * sigma * sigma, sigma).expect("σ is finite and ≥ 0");
    let (qa, aq) = (a.p_quiescent_to_active, a.p_active_to_quiescent);
    let stationary = if qa + aq > 0.0 { qa / (qa + aq) } else { 0.0 };
    let (p_on, p_off) = (
        (a.active_rate_hz / hr).min(1.0),
        (a.quiescent_rate_hz / hr).min(1.0),
    );
    (0..n)
        .map(|_| {
            let g = gain.sample(rng).exp();
            let mut active = rng.random::<f64>() < stationary;
            let (mut d, mut r) = (0.0_f64, 0.0_f64);
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for f in 0..total {
                let u = rng.random::<f64>();
                active = if active { u >= aq } else { u < qa };
                let p = if active { p_on } else { p_off };
                let mut sum = 0.0;
                for _ in 0..bins {
                    // The spike of this bin counts in it (kernel value 0 at lag 0).
                    d *= dd;
                    r *= dr;
                    if rng.random::<f64>() < p {
                        d += 1.0;
                        r += 1.0;
                    }
                    sum += (d - r) / peak;
                }
                if f >= pad {
                    let c = a.f0 + sum / bins as f64;
                    lo = lo.min(c);
                    hi = hi.max(c);
                }
            }
            (g * (hi - lo), g * lo)
        })
        .collect()
}

/// Halton radical inverse of `i` in `base`.
fn halton(mut i: usize, base: usize) -> f64 {
    let (mut f, mut x) = (1.0, 0.0);
    while i > 0 {
        f /= base as f64;
        x += f * (i % base) as f64;
        i /= base;
    }
    x
}

/// Depths of the representative cells: quantiles of each layer's range, each layer
/// holding its weight's share of the cells.
fn depths(layers: &[Layer]) -> Vec<f64> {
    let total: f64 = layers.iter().map(|l| l.weight).sum();
    let mut out = Vec::with_capacity(CELLS);
    for l in layers {
        let n = ((l.weight / total) * CELLS as f64).round().max(1.0) as usize;
        let [lo, hi] = l.depth_um;
        out.extend((0..n).map(|i| lo + (i as f64 + 0.5) / n as f64 * (hi - lo)));
    }
    out
}

/// Fine bins the trace simulation may step through (bounds the import's work).
const MAX_BINS: f64 = 5e6;

/// Whether the activity is one the scan can simulate: the values minisim's own
/// validation accepts, within the work bound. Outside it the import falls back to the
/// median depth and validation names the bad field.
fn simulable(scan: &Scan) -> bool {
    let a = scan.activity;
    let bins = (a.spike_sim_hz / scan.fps).round().max(1.0);
    scan.fps > 0.0
        && (0.0..=10.0).contains(&a.brightness_cv)
        && a.tau_rise_s > 0.0
        && a.tau_rise_s < a.tau_decay_s
        && a.tau_decay_s <= 60.0
        && a.f0 > 0.0
        && a.spike_sim_hz > 0.0
        && (scan.frames as f64 + 6.0 * a.tau_decay_s * scan.fps) * bins <= MAX_BINS
}

/// py-minisim's `"auto"` focal depth for this scan's spec, µm below the surface, or
/// `None` when the activity cannot be simulated (see [`simulable`]).
pub(crate) fn focal_depth(scan: &Scan) -> Option<f64> {
    if !simulable(scan) {
        return None;
    }
    let z = depths(&scan.layers);
    if z.is_empty() {
        return Some(0.0);
    }
    let [h, w] = scan.fov_px;
    let m = scan.margin_px as f64;
    let (ch, cw) = (h as f64 + 2.0 * m, w as f64 + 2.0 * m);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(scan.seed);
    let tr = traces(scan, TRACES, &mut rng);
    // Every depth with every trace; lateral positions from the optical axis, px, on a
    // Halton sequence (the field is sampled clipped to the FOV as py-minisim does).
    let z: Vec<f64> = z
        .iter()
        .flat_map(|&d| std::iter::repeat_n(d, tr.len()))
        .collect();
    let tr: Vec<(f64, f64)> = (0..z.len()).map(|i| tr[i % TRACES]).collect();
    let lateral: Vec<(f64, f64)> = (0..z.len())
        .map(|i| {
            let y = (halton(i + 1, 2) - 0.5) * ch;
            let x = (halton(i + 1, 3) - 0.5) * cw;
            (y, x)
        })
        .collect();
    let centre = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let r_corner = centre.0.hypot(centre.1);
    let field = |y: f64, x: f64| -> f64 {
        let iy = (y + centre.0).round().clamp(0.0, h as f64 - 1.0);
        let ix = (x + centre.1).round().clamp(0.0, w as f64 - 1.0);
        let r = (iy - centre.0).hypot(ix - centre.1);
        scan.falloffs
            .iter()
            .map(|f| {
                if r_corner > 0.0 {
                    1.0 - (1.0 - f.falloff) * (r / r_corner).powf(f.exponent)
                } else {
                    1.0
                }
            })
            .product()
    };
    let sag = |r_um: f64| match scan.curvature_um {
        Some(rc) if rc > r_um => rc - (rc * rc - r_um * r_um).sqrt(),
        _ => 0.0,
    };
    let eff: Vec<f64> = z
        .iter()
        .zip(&lateral)
        .map(|(&z, &(y, x))| z + sag((y * scan.pixel_um).hypot(x * scan.pixel_um)))
        .collect();
    let diffraction = 0.21 * (scan.emission_nm / 1000.0) / scan.na;
    let cells: Vec<(f64, f64, f64, f64, f64)> = z
        .iter()
        .zip(&lateral)
        .zip(&eff)
        .zip(&tr)
        .map(|(((&z, &(y, x)), &e), &(peak, base))| {
            let s0 = diffraction.powi(2) + (scan.blur_per_um * z).powi(2);
            let g =
                (-z / scan.mfp_um).exp() * scan.na * scan.na * field(y, x) * scan.photons * scan.qe;
            (e, s0, g, peak, base)
        })
        .collect();
    let (lo, hi) = eff
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &e| {
            (a.min(e), b.max(e))
        });
    let mut best = (0usize, f64::NEG_INFINITY, lo);
    for k in 0..PLANES {
        let f = lo + (hi - lo) * k as f64 / (PLANES - 1) as f64;
        let (mut count, mut signal) = (0usize, 0.0);
        for &(e, s0, g, peak, base) in &cells {
            let d = scan.na * (e - f);
            let gain = g * s0 / (s0 + d * d);
            let noise = (base.max(0.0) * gain + scan.read_e * scan.read_e).sqrt();
            let snr = if noise > 0.0 {
                peak * gain / noise
            } else if peak * gain > 0.0 {
                f64::INFINITY
            } else {
                0.0
            };
            if snr >= SNR {
                count += 1;
                signal += peak * gain;
            }
        }
        if count > best.0 || (count == best.0 && signal > best.1) {
            best = (count, signal, f);
        }
    }
    Some(best.2)
}

/// py-minisim's focus without a sensor: the median effective depth (here the median
/// representative depth; field curvature ignored as the lateral spread is symmetric).
pub(crate) fn median_depth(layers: &[Layer]) -> f64 {
    let mut z = depths(layers);
    if z.is_empty() {
        return 0.0;
    }
    z.sort_by(f64::total_cmp);
    let n = z.len();
    if n % 2 == 1 {
        z[n / 2]
    } else {
        0.5 * (z[n / 2 - 1] + z[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan() -> Scan {
        Scan {
            seed: 42,
            fps: 20.0,
            frames: 400,
            fov_px: [256, 256],
            pixel_um: 1.0,
            margin_px: 16,
            na: 0.45,
            emission_nm: 525.0,
            curvature_um: None,
            mfp_um: 1.0 / (1.0 / 600.0 + 1.0 / 100.0),
            blur_per_um: 0.05,
            photons: 100.0,
            qe: 0.7,
            read_e: 2.0,
            falloffs: vec![],
            layers: vec![Layer {
                weight: 1.0,
                depth_um: [0.0, 200.0],
            }],
            activity: Activity {
                spike_sim_hz: 300.0,
                p_quiescent_to_active: 0.005,
                p_active_to_quiescent: 0.3,
                active_rate_hz: 150.0,
                quiescent_rate_hz: 0.6,
                tau_rise_s: 0.05,
                tau_decay_s: 0.5,
                brightness_cv: 0.3,
                f0: 1.0,
            },
        }
    }

    #[test]
    fn mean_dff_is_rate_times_kernel_area() {
        // Quiescent-only activity at 2 Hz: ΔF per f0 = 2 Hz × (τd − τr)/peak.
        let mut a = scan().activity;
        a.p_quiescent_to_active = 0.0;
        a.quiescent_rate_hz = 2.0;
        let want = 2.0 * 0.45 / a.kernel_peak();
        assert!((a.mean_dff() - want).abs() < 1e-12);
    }

    #[test]
    fn simulated_traces_have_the_analytic_mean() {
        // Mean of a long trace ≈ f0 + mean ΔF: check through the baseline + peak
        // bounds (baseline ≤ mean ≤ baseline + peak) and a plausible baseline ≥ f0·g.
        let s = scan();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let t = traces(&s, 64, &mut rng);
        let peaks: Vec<f64> = t.iter().map(|p| p.0).collect();
        let mean_peak = peaks.iter().sum::<f64>() / peaks.len() as f64;
        // A 0.17-s bout at 150 Hz holds ≈ 25 spikes; its peak is several f0.
        assert!(mean_peak > s.activity.mean_dff(), "{mean_peak}");
        assert!(t.iter().all(|&(p, b)| p >= 0.0 && b > 0.0));
    }

    #[test]
    fn focus_is_deterministic_and_inside_the_layer() {
        let s = scan();
        let f = focal_depth(&s).unwrap();
        assert_eq!(Some(f), focal_depth(&s));
        assert!((0.0..=200.0).contains(&f), "{f}");
    }

    #[test]
    fn a_layer_alone_is_focused_inside_itself() {
        let mut s = scan();
        s.layers = vec![Layer {
            weight: 1.0,
            depth_um: [60.0, 80.0],
        }];
        let f = focal_depth(&s).unwrap();
        assert!((60.0..=80.0).contains(&f), "{f}");
    }

    #[test]
    fn absurd_activity_is_not_simulated() {
        for change in [
            |s: &mut Scan| s.activity.brightness_cv = 1e200,
            |s: &mut Scan| s.activity.tau_rise_s = s.activity.tau_decay_s,
            |s: &mut Scan| s.activity.tau_decay_s = 1e12,
            |s: &mut Scan| s.frames = u64::MAX / 2,
        ] {
            let mut s = scan();
            change(&mut s);
            assert_eq!(focal_depth(&s), None);
        }
    }

    #[test]
    fn median_depth_of_a_uniform_layer_is_its_middle() {
        let l = [Layer {
            weight: 1.0,
            depth_um: [0.0, 200.0],
        }];
        assert!((median_depth(&l) - 100.0).abs() < 1e-9);
    }
}
