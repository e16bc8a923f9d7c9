//! The vendor export (`output.export`): binning, resampling, motion correction and the
//! stored type applied to the observed frames, the ground truth carried through the
//! same map, determinism, and bad input.

use minisim_render::{Movie, SimulateOptions, simulate};
use minisim_spec::Spec;
use ndarray::{Array2, Array3, Axis, s};
use serde_json::json;

fn base(frames: u64) -> Spec {
    Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([40, 52])),
            ("acquisition.frames", json!(frames)),
            ("steps.place_neurons.density_per_mm3", json!(60000.0)),
            ("steps.spikes.rate_median_hz", json!(2.0)),
        ])
        .unwrap()
}

fn with_export(spec: &Spec, export: serde_json::Value) -> Spec {
    spec.with_override("output.export", export).unwrap()
}

fn run(spec: &Spec, chunk_frames: usize) -> minisim_render::Recording {
    simulate(
        spec,
        &SimulateOptions {
            chunk_frames,
            ..Default::default()
        },
    )
    .unwrap()
}

fn counts(m: &Movie) -> Array3<f32> {
    match m {
        Movie::Counts(c) => c.mapv(|v| v as f32),
        Movie::Intensity(i) => i.clone(),
    }
}

/// Binning ×2 stored as f32 is exactly the mean of each 2 × 2 block of the sensor's
/// counts (partial blocks dropped), and the u16 export is that mean rounded.
#[test]
fn binning_is_the_block_mean_of_the_sensor_counts() {
    let raw = run(&base(4), 4);
    let raw = counts(&raw.observed);
    let f32_spec = with_export(&base(4), json!({"bin": 2, "dtype": "f32"}));
    let binned = run(&f32_spec, 4);
    assert_eq!(f32_spec.observed_dims(), [20, 26]);
    let Movie::Intensity(b) = &binned.observed else {
        panic!("f32 export is an intensity movie")
    };
    assert_eq!(b.dim(), (4, 20, 26));
    for ((t, y, x), &v) in b.indexed_iter() {
        let block = raw.slice(s![t, 2 * y..2 * y + 2, 2 * x..2 * x + 2]);
        let want = block.sum() / 4.0;
        assert!((v - want).abs() < 1e-3, "({t},{y},{x}): {v} vs {want}");
    }
    let u16_spec = with_export(&base(4), json!({"bin": 2}));
    let Movie::Counts(c) = &run(&u16_spec, 4).observed else {
        panic!("u16 export keeps counts")
    };
    assert!(c.iter().zip(b.iter()).all(|(&c, &f)| c == f.round() as u16));
}

/// The export is linear, so the composite movie (no noise) of an exported spec is
/// the exported footprints times (1 + ΔF/F): the truth is carried through the same
/// map as the frames.
#[test]
fn exported_truth_explains_the_exported_composite() {
    let spec = Spec::from_value(json!({
        "acquisition": {"frames": 6, "fov_px": [44, 48], "pixel_um": 1.5},
        "steps": [
            {"kind": "place_neurons", "density_per_mm3": 60000},
            {"kind": "spikes", "rate_median_hz": 3.0},
            {"kind": "calcium"},
            {"kind": "composite"}
        ],
        "output": {"export": {"bin": 2, "pixel_um": 4.0, "kernel": "bicubic"}}
    }))
    .unwrap();
    let rec = run(&spec, 3);
    let Movie::Intensity(movie) = &rec.observed else {
        panic!("no sensor: intensity")
    };
    let [h, w] = spec.observed_dims();
    assert_eq!(movie.dim(), (6, h as usize, w as usize));
    let fp = &rec.truth.footprints;
    assert_eq!(fp.shape.1, (h * w) as usize);
    for t in 0..6 {
        let mut want = vec![0f64; (h * w) as usize];
        for c in 0..fp.shape.0 {
            let gain = 1.0 + rec.truth.calcium_dff[[c, t]] as f64;
            let (a, b) = (fp.indptr[c] as usize, fp.indptr[c + 1] as usize);
            for (&p, &v) in fp.indices[a..b].iter().zip(&fp.data[a..b]) {
                want[p as usize] += v as f64 * gain;
            }
        }
        let got = movie.index_axis(Axis(0), t);
        let peak = want.iter().cloned().fold(0.0, f64::max);
        for (g, w) in got.iter().zip(&want) {
            assert!((*g as f64 - w).abs() < 1e-4 * peak.max(1.0), "{g} vs {w}");
        }
    }
}

/// Motion correction with the true path registers the frames: the exported movie of
/// a static scene that moves is steadier than the uncorrected one (frame-to-frame
/// change of the mean-subtracted movie), and the truth's residual motion is zero.
#[test]
fn motion_correction_registers_the_frames() {
    let moving = Spec::from_value(json!({
        "acquisition": {"frames": 12, "fov_px": [48, 48], "pixel_um": 1.0},
        "steps": [
            {"kind": "place_neurons", "density_per_mm3": 80000},
            {"kind": "spikes", "rate_median_hz": 0.001},
            {"kind": "calcium"},
            {"kind": "composite"},
            {"kind": "motion_crop", "ou_sigma_um": 3.0, "ou_tau_s": 0.2}
        ]
    }))
    .unwrap();
    let change = |m: &Array3<f32>| {
        let inner = m.slice(s![.., 6..18, 6..18]);
        let mut total = 0.0;
        for t in 1..m.dim().0 {
            let d = &inner.index_axis(Axis(0), t) - &inner.index_axis(Axis(0), t - 1);
            total += d.mapv(|v| (v as f64).powi(2)).sum();
        }
        total
    };
    let plain = with_export(
        &moving,
        json!({"bin": 2, "kernel": "bicubic", "dtype": "f32"}),
    );
    let fixed = with_export(
        &moving,
        json!({"bin": 2, "kernel": "bicubic", "motion_correction": true, "dtype": "f32"}),
    );
    let (a, b) = (run(&plain, 12), run(&fixed, 12));
    let (ca, cb) = (change(&counts(&a.observed)), change(&counts(&b.observed)));
    assert!(cb < 0.2 * ca, "corrected {cb} vs uncorrected {ca}");
    assert!(b.truth.motion_px.iter().all(|&v| v == 0.0));
    // Uncorrected: the path in exported pixels (half the sensor's).
    let raw = run(&moving, 12);
    let half: Array2<f64> = raw.truth.motion_px.mapv(|v| v / 2.0);
    assert_eq!(a.truth.motion_px, half);
}

#[test]
fn exports_are_identical_for_any_chunk_size_and_thread_count() {
    let spec = with_export(
        &base(9),
        json!({"bin": 2, "pixel_um": 2.9, "kernel": "bicubic", "motion_correction": true}),
    );
    let all = run(&spec, 9);
    for chunk in [1, 4] {
        let other = run(&spec, chunk);
        assert_eq!(other.observed, all.observed, "chunk_frames = {chunk}");
        assert_eq!(other.truth, all.truth, "chunk_frames = {chunk}");
    }
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| run(&spec, 3));
    assert_eq!(one.observed, all.observed);
}

#[test]
fn bad_exports_name_the_field() {
    for (export, field, words) in [
        (json!({"bin": 0}), "output.export.bin", "must lie in"),
        (json!({"bin": 100}), "output.export.bin", "must lie in"),
        (
            json!({"pixel_um": 0.0}),
            "output.export.pixel_um",
            "must lie in",
        ),
        (
            json!({"pixel_um": 100.0}),
            "output.export.pixel_um",
            "beyond a factor of 16",
        ),
        (
            json!({"kernel": "lanczos"}),
            "output.export.kernel",
            "unknown variant",
        ),
        (json!({"binning": 2}), "output.export", "unknown field"),
    ] {
        let err = base(2)
            .with_override("output.export", export.clone())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(field) && err.contains(words),
            "{export}: {err}"
        );
    }
}
