//! Specs drawn at random over the physical ranges of the presets, shared by the
//! recovery and comparison tests.

use minisim_render::{Movie, SimulateOptions, simulate};
use minisim_spec::{Spec, Step};
use ndarray::Array3;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// What a drawn spec was rendered with.
#[allow(dead_code)]
pub struct Truth {
    pub gain: f64,
    pub read_noise: f64,
    pub black: f64,
    pub tau: f64,
    pub edge: f64,
}

/// A spec drawn with `seed` (`long`: 8–10 minute recordings at 4–5 Hz) and what it
/// was drawn with.
#[allow(
    dead_code,
    reason = "the export test renders a preset, not drawn specs"
)]
pub fn draw(seed: u64, long: bool) -> (Spec, Truth) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut d = Spec::default().to_draft();
    d.seed = seed;
    // Long recordings at nVista-like low rates for bleaching; short ones otherwise.
    let (rate, frames) = if long {
        ([4.0, 5.0][rng.random_range(0..2)], 2400u64)
    } else {
        ([10.0, 20.0, 30.0][rng.random_range(0..3)], 900u64)
    };
    d.acquisition.frames = frames;
    d.acquisition.frame_rate_hz = rate;
    let side = if long {
        rng.random_range(80..=112u32)
    } else {
        rng.random_range(160..=192u32)
    };
    d.acquisition.fov_px = [side, side + rng.random_range(0..=32u32)];
    d.acquisition.pixel_um = rng.random_range(2.5..3.5);
    let duration = frames as f64 / rate;
    let gain: f64 = (rng.random_range(0.12f64.ln()..2.0f64.ln())).exp();
    // Read noise of at least half a quantisation step.
    let read_noise: f64 = rng.random_range((0.5 / gain).max(1.5)..(0.5 / gain).max(1.5) + 6.0);
    let black = rng.random_range(10.0..200.0f64).round();
    let tau = duration * rng.random_range(0.3..1.5);
    let edge = rng.random_range(0.5..0.95);
    for step in &mut d.steps {
        // One `if let` per kind (the architecture test forbids catch-all arms over
        // `Step`); each step takes at most one branch, in pipeline order.
        if let Step::PlaceNeurons(p) = step {
            p.density_per_mm3 = rng.random_range(12_000.0..35_000.0);
        }
        if let Step::Digitize(p) = step {
            p.bit_depth = [12, 16][rng.random_range(0..2)];
            p.gain_dn_per_e = gain;
            p.read_noise_e = read_noise;
            p.black_level_dn = black;
            p.row_noise_e = rng.random_range(0.0..1.5);
        }
        if let Step::Vignette(p) = step {
            p.edge_ratio = edge;
            p.aperture_radius = rng.random_range(1.0..1.25);
            p.aperture_softness_px = rng.random_range(3.0..10.0);
        }
        if let Step::PhotonField(p) = step {
            p.photons_per_unit = rng.random_range(150.0..600.0);
            p.bleach_amplitude = rng.random_range(0.1..0.4);
            p.bleach_time_constant_s = tau;
        }
        if let Step::MotionCrop(p) = step {
            p.ou_sigma_um = rng.random_range(0.4..2.0);
            p.ou_tau_s = rng.random_range(0.5..2.0);
        }
    }
    (
        Spec::new(d).expect("drawn spec is valid"),
        Truth {
            gain,
            read_noise,
            black,
            tau,
            edge,
        },
    )
}

/// Render a spec; the observed movie as `f32` and the ground-truth motion path.
pub fn render(spec: &Spec) -> (Array3<f32>, ndarray::Array2<f64>) {
    let rec = simulate(spec, &SimulateOptions::default()).expect("render");
    let movie = match rec.observed {
        Movie::Counts(a) => a.mapv(|v| v as f32),
        Movie::Intensity(a) => a,
    };
    (movie, rec.truth.motion_px)
}

/// Print each statistic's mean and seed-to-seed standard deviation (n − 1) over
/// `profiles` (one per render of the same spec, differing only in the seed): the
/// measurement behind the comparison tolerances.
#[allow(dead_code, reason = "the recovery test measures no spread")]
pub fn print_spread(profiles: &[minisim_calibrate::compare::Profile]) {
    let Some(first) = profiles.first() else {
        return;
    };
    for (i, stat) in first.stats.iter().enumerate() {
        let v: Vec<f64> = profiles.iter().map(|p| p.stats[i].value).collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd =
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1).max(1) as f64).sqrt();
        eprintln!(
            "  {}: mean {m:.4} sd {sd:.4} ({:.1} %)",
            stat.name,
            100.0 * sd / m.abs()
        );
    }
}
