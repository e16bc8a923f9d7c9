//! What calibration cannot start from — non-finite samples, frames without shot
//! noise (constant, ΔF/F), saturation — is refused with a message naming the
//! problem, as is a pixel size or frame rate no spec accepts; a raw movie of Poisson
//! counts passes the same checks.

use minisim_calibrate::{CalibrateError, Options, calibrate};
use minisim_video::read::ArrayReader;
use ndarray::Array3;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal, Poisson};
use rand_xoshiro::Xoshiro256PlusPlus;

fn run(movie: Array3<f32>) -> Result<f64, CalibrateError> {
    let mut reader = ArrayReader::new(movie, Some(10.0), Some(2.0));
    calibrate(&mut reader, Options::default()).map(|c| c.sensor.gain_dn_per_e.value)
}

fn refused(movie: Array3<f32>, needle: &str) {
    match run(movie) {
        Err(e @ CalibrateError::NotRaw(_)) => {
            assert!(e.to_string().contains(needle), "{e}")
        }
        other => panic!("expected NotRaw with {needle:?}, got {other:?}"),
    }
}

/// 64 × 64 × 50 Poisson counts at 1 DN/e⁻ over a black level of 100 DN, the mean
/// rising from `lambda` to `lambda` + 256 e⁻ across the frame (the spread of means
/// the photon-transfer fit needs).
fn raw(lambda: f64, seed: u64) -> Array3<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut movie = Array3::zeros((50, 64, 64));
    for ((_, y, x), v) in movie.indexed_iter_mut() {
        let p = Poisson::new(lambda + (y * 64 + x) as f64 / 16.0).expect("λ > 0");
        *v = (100.0 + p.sample(&mut rng)).round() as f32;
    }
    movie
}

#[test]
fn a_raw_movie_passes_and_its_gain_is_measured() {
    let g = run(raw(50.0, 3)).expect("a raw movie");
    // Gain 1 DN/e⁻. One pixel's variance over 50 frames has a relative SD of
    // √(2/49) ≈ 0.2, so the mean over 4 096 pixels about 0.3 %, and the slope of a
    // fit over a fivefold range of means a few times that: 0.1 is far outside it,
    // and far from the zero slope the checks refuse.
    assert!((g - 1.0).abs() < 0.1, "gain {g}");
}

#[test]
fn constant_frames_are_refused() {
    refused(Array3::from_elem((20, 32, 32), 1000.0), "shot noise");
    refused(Array3::zeros((20, 32, 32)), "shot noise");
}

#[test]
fn a_dff_movie_is_refused() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let n = Normal::new(0.0, 0.1).expect("σ > 0");
    refused(
        Array3::from_shape_simple_fn((50, 64, 64), || n.sample(&mut rng) as f32),
        "shot noise",
    );
}

#[test]
fn a_non_finite_sample_is_refused_with_its_frame() {
    let mut movie = raw(100.0, 2);
    movie[[3, 5, 7]] = f32::NAN;
    refused(
        movie,
        "frame 3 holds a non-finite value (NaN at row 5, column 7)",
    );
}

#[test]
fn a_saturated_movie_is_refused() {
    let movie = raw(300.0, 4).mapv(|v| v.min(255.0));
    refused(movie, "saturated");
}

#[test]
fn a_pixel_size_or_rate_outside_a_specs_range_is_refused_before_reading() {
    for (pixel_um, rate_hz, needle) in [
        (1000.0, 10.0, "the pixel size 1000 µm (from the flag)"),
        (0.01, 10.0, "the pixel size 0.01 µm (from the flag)"),
        (2.0, 0.001, "the frame rate 0.001 Hz (from the flag)"),
    ] {
        let mut reader = ArrayReader::new(raw(50.0, 5), None, None);
        let options = Options {
            pixel_um: Some(pixel_um),
            frame_rate_hz: Some(rate_hz),
            ..Options::default()
        };
        match calibrate(&mut reader, options) {
            Err(e @ CalibrateError::Range(_)) => assert!(e.to_string().contains(needle), "{e}"),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("accepted {pixel_um} µm at {rate_hz} Hz"),
        }
    }
}
