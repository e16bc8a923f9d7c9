//! `compare`: tolerances that two renders of one spec meet, that a different sensor
//! breaks, and what re-rendering a calibrated spec gives.

mod common;

use common::{draw, render};
use minisim_calibrate::compare::{Profile, compare};
use minisim_calibrate::{Calibration, Options, calibrate};
use minisim_spec::{Spec, Step};
use minisim_video::read::ArrayReader;

fn calibration(spec: &Spec) -> Calibration {
    let (movie, _) = render(spec);
    let a = spec.acquisition();
    let mut reader = ArrayReader::new(movie, None, None);
    calibrate(
        &mut reader,
        Options {
            pixel_um: Some(a.pixel_um),
            frame_rate_hz: Some(a.frame_rate_hz),
            ..Options::default()
        },
    )
    .expect("calibrate")
}

fn with_seed(spec: &Spec, seed: u64) -> Spec {
    let mut d = spec.to_draft();
    d.seed = seed;
    Spec::new(d).expect("valid")
}

/// The seed-to-seed standard deviation of every statistic over five renders of each of
/// four drawn specs and twelve of the default spec at the same size and length (its
/// 8-bit stream; the drawn sensors are 12- or 16-bit): the measurement behind
/// `compare::TOLERANCES` (3 × the largest SD, rounded up).
#[test]
#[ignore]
fn seed_spread() {
    let mut specs: Vec<(String, Spec)> = [101u64, 102, 105, 106]
        .into_iter()
        .map(|base| (format!("spec drawn with seed {base}"), draw(base, false).0))
        .collect();
    specs.push(("default spec, 176 × 176 × 900".into(), default_in_domain()));
    for (i, (name, spec)) in specs.into_iter().enumerate() {
        // Twelve seeds of the default spec: its gain has rare large deviations
        // (−0.6 % at the quick preset's own seed) that five seeds may miss.
        let seeds = if i == 4 { 12 } else { 5 };
        let profiles: Vec<Profile> = (0..seeds)
            .map(|s| calibration(&with_seed(&spec, 1000 + s)).profile())
            .collect();
        eprintln!("{name}:");
        common::print_spread(&profiles);
    }
}

/// The default spec (8-bit stream, 20 Hz) at the drawn specs' size and length.
fn default_in_domain() -> Spec {
    let mut d = Spec::default().to_draft();
    d.acquisition.fov_px = [176, 176];
    d.acquisition.frames = 900;
    Spec::new(d).expect("valid")
}

/// Two renders of one spec (seeds not used for the tolerances) are inside on every
/// statistic.
#[test]
fn two_renders_of_one_spec_compare_inside() {
    let (spec, _) = draw(103, false);
    let a = calibration(&with_seed(&spec, 7)).profile();
    let b = calibration(&with_seed(&spec, 8)).profile();
    let rows = compare(&a, &b);
    let outside: Vec<_> = rows.iter().filter(|r| !r.inside).collect();
    assert!(outside.is_empty(), "{outside:#?}");
    assert!(rows.iter().all(|r| r.compared));
}

/// A sensor with 1.5× the gain is outside on the gain, while the read noise in
/// electrons (unchanged) stays inside.
#[test]
fn a_different_gain_is_outside() {
    let (spec, _) = draw(104, false);
    let mut d = spec.to_draft();
    for s in &mut d.steps {
        if let Step::Digitize(p) = s {
            p.gain_dn_per_e *= 1.5;
        }
    }
    let other = Spec::new(d).expect("valid");
    let rows = compare(
        &calibration(&spec).profile(),
        &calibration(&with_seed(&other, 9)).profile(),
    );
    let row = |name: &str| rows.iter().find(|r| r.name == name).expect("row");
    assert!(!row("gain (DN/e⁻)").inside, "{:?}", row("gain (DN/e⁻)"));
    assert!(
        row("read noise (e⁻)").inside,
        "{:?}",
        row("read noise (e⁻)")
    );
}

/// Somata of twice the radius are outside on the apparent cell scale, and larger.
#[test]
fn larger_somata_are_outside_on_the_cell_scale() {
    let (spec, _) = draw(110, false);
    let mut d = spec.to_draft();
    for s in &mut d.steps {
        if let Step::PlaceNeurons(p) = s {
            p.soma_radius_mean_um *= 2.0;
            p.soma_radius_sd_um *= 2.0;
            p.min_separation_um *= 2.0;
        }
    }
    let other = Spec::new(d).expect("valid");
    let rows = compare(
        &calibration(&spec).profile(),
        &calibration(&with_seed(&other, 12)).profile(),
    );
    let row = rows
        .iter()
        .find(|r| r.name == "apparent cell scale (µm)")
        .expect("row");
    eprintln!("{row:?}");
    assert!(row.compared && !row.inside && row.sim > row.real, "{row:?}");
}

/// Re-rendering the fitted spec of a drawn spec's render (with another seed): every
/// statistic inside; and the fixed point: calibrating that re-render returns the
/// fitted spec's sensor and brightness within the same tolerances. Three drawn specs.
#[test]
fn the_fitted_spec_rerenders_inside_and_is_a_fixed_point() {
    for seed in [107u64, 108, 109] {
        fitted_round_trip(seed);
    }
}

fn fitted_round_trip(seed: u64) {
    let (spec, _) = draw(seed, false);
    let first = calibration(&spec);
    let fitted = with_seed(&first.spec().expect("fit"), 11);
    let second = calibration(&fitted);
    let rows = compare(&first.profile(), &second.profile());
    for r in &rows {
        eprintln!(
            "{:45} {:10.4} {:10.4} ± {:.4} {}",
            r.name, r.real, r.sim, r.tolerance, r.inside
        );
    }
    let outside: Vec<_> = rows.iter().filter(|r| !r.inside).map(|r| r.name).collect();
    assert!(outside.is_empty(), "spec {seed}: outside: {outside:?}");
    // Fixed point: the second fit's parameters against the first's.
    let refit = second.spec().expect("refit");
    let (d1, d2) = (fitted.digitize().unwrap(), refit.digitize().unwrap());
    assert!((d2.gain_dn_per_e / d1.gain_dn_per_e - 1.0).abs() <= 0.005);
    assert!((d2.read_noise_e / d1.read_noise_e - 1.0).abs() <= 0.01);
    assert!((d2.black_level_dn - d1.black_level_dn).abs() <= 0.2);
    let (p1, p2) = (
        fitted.photon_field().unwrap(),
        refit.photon_field().unwrap(),
    );
    assert!((p2.photons_per_unit / p1.photons_per_unit - 1.0).abs() <= 0.27);
}
