//! Behaviour of the renderer: determinism, `until`, snapshots, ground-truth
//! consistency and pipeline-level statistics.

use minisim_render::{Movie, RenderError, SimulateOptions, simulate};
use minisim_spec::{Spec, StepKind};
use serde_json::json;

fn small(frames: u64) -> Spec {
    Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([40, 56])),
            ("acquisition.frames", json!(frames)),
            ("steps.place_neurons.density_per_mm3", json!(60000.0)),
            ("steps.spikes.rate_median_hz", json!(2.0)),
        ])
        .unwrap()
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

#[test]
fn output_is_identical_for_any_chunk_size() {
    let spec = small(23);
    let all = run(&spec, 23);
    for chunk in [1, 7] {
        let other = run(&spec, chunk);
        assert_eq!(other.observed, all.observed, "chunk_frames = {chunk}");
        assert_eq!(other.truth, all.truth, "chunk_frames = {chunk}");
    }
}

#[test]
fn output_is_identical_for_one_and_two_threads() {
    let spec = small(12);
    let in_pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run(&spec, 4))
    };
    let one = in_pool(1);
    let two = in_pool(2);
    assert_eq!(one.observed, two.observed);
    assert_eq!(one.truth, two.truth);
}

#[test]
fn different_seeds_differ() {
    let a = run(&small(5), 5);
    let b = run(&small(5).with_override("seed", json!(1)).unwrap(), 5);
    assert_ne!(a.observed, b.observed);
    assert_ne!(a.truth.cells, b.truth.cells);
}

#[test]
fn until_each_stage_equals_that_stage_of_the_full_render() {
    // Every kind, the opt-in ones included.
    let mut draft = small(6).into_draft();
    draft
        .steps
        .push(minisim_spec::Step::Dust(Default::default()));
    let spec = Spec::new(draft).unwrap();
    let movie_stages: Vec<StepKind> = StepKind::ALL
        .into_iter()
        .filter(|k| k.makes_movie())
        .collect();
    assert_eq!(spec.kinds(), StepKind::ALL.to_vec());
    let spec = spec
        .with_override(
            "output.snapshot_stages",
            json!(movie_stages.iter().map(|k| k.name()).collect::<Vec<_>>()),
        )
        .unwrap();
    let full = run(&spec, 4);
    assert_eq!(full.snapshots.len(), movie_stages.len());
    for &stage in &movie_stages {
        let snap = full.snapshot(stage).unwrap();
        assert_eq!(snap.shape(), &[6, 40, 56], "{stage}");
        let partial = simulate(
            &spec,
            &SimulateOptions {
                until: Some(stage),
                ..Default::default()
            },
        )
        .unwrap();
        match (&partial.observed, stage) {
            (Movie::Counts(c), StepKind::Digitize) => assert_eq!(c.mapv(|v| v as f32), *snap),
            (Movie::Intensity(i), _) => assert_eq!(i, snap, "{stage}"),
            _ => panic!("{stage}: unexpected movie kind"),
        }
    }
    // The final snapshot of digitize is the observed movie itself.
    let Movie::Counts(counts) = &full.observed else {
        panic!("counts expected")
    };
    assert_eq!(
        counts.mapv(|v| v as f32),
        *full.snapshot(StepKind::Digitize).unwrap()
    );
    // The ground truth does not depend on `until`: every kind of the spec is prepared
    // and advanced; only the image work stops. Stages before composite make no movie.
    for stage in spec.kinds() {
        let rec = simulate(
            &spec,
            &SimulateOptions {
                until: Some(stage),
                ..Default::default()
            },
        )
        .unwrap();
        if !stage.makes_movie() {
            assert_eq!(rec.observed.frames(), 0, "{stage}");
        }
        assert_eq!(rec.truth, full.truth, "{stage}: truth depends on until");
    }
}

#[test]
fn until_a_stage_not_in_the_spec_is_an_error_before_work() {
    let spec =
        Spec::from_json(r#"{"steps": [{"kind": "neuropil"}, {"kind": "photon_field"}]}"#).unwrap();
    let err = simulate(
        &spec,
        &SimulateOptions {
            until: Some(StepKind::Digitize),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(
        err,
        RenderError::UntilNotInSpec {
            stage: StepKind::Digitize,
            ..
        }
    ));
    assert!(err.to_string().contains("neuropil, photon_field"), "{err}");
    let zero = simulate(
        &spec,
        &SimulateOptions {
            chunk_frames: 0,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(zero, RenderError::ZeroChunk);
}

#[test]
fn sensorless_specs_give_intensity() {
    let spec = Spec::from_json(r#"{"acquisition": {"frames": 3, "fov_px": [20, 30]}, "steps": [{"kind": "neuropil"}, {"kind": "vignette"}]}"#).unwrap();
    let rec = run(&spec, 2);
    match &rec.observed {
        Movie::Intensity(a) => assert_eq!(a.shape(), &[3, 20, 30]),
        Movie::Counts(_) => panic!("no sensor, no counts"),
    }
}

/// The composite stage is exactly Σ_c footprint_c · (1 + ΔF/F_c) of the ground truth
/// (before motion: the snapshot is an unshifted crop).
#[test]
fn composite_snapshot_is_explained_by_the_ground_truth() {
    let spec = small(8)
        .with_override("output.snapshot_stages", json!(["composite"]))
        .unwrap();
    let rec = run(&spec, 8);
    let snap = rec.snapshot(StepKind::Composite).unwrap();
    let fp = &rec.truth.footprints;
    let dff = &rec.truth.calcium_dff;
    assert_eq!(fp.shape, (rec.truth.cells.len(), 40 * 56));
    assert_eq!(dff.shape(), &[rec.truth.cells.len(), 8]);
    for t in 0..8 {
        let mut model = vec![0f64; 40 * 56];
        for c in 0..fp.shape.0 {
            for j in fp.indptr[c] as usize..fp.indptr[c + 1] as usize {
                model[fp.indices[j] as usize] += fp.data[j] as f64 * (1.0 + dff[[c, t]] as f64);
            }
        }
        for (p, &m) in model.iter().enumerate() {
            let got = snap[[t, p / 56, p % 56]] as f64;
            assert!(
                (got - m).abs() < 1e-4 * (1.0 + m),
                "t {t} p {p}: {got} vs {m}"
            );
        }
    }
}

/// Through the whole pipeline on a flat field: E[DN] = G·(λ + dark) + black and
/// Var[DN] = G²·(λ + dark + read²) + 1/12 (dark electrons are Poisson too).
#[test]
fn digitized_flat_field_follows_the_photon_transfer_model() {
    let spec = Spec::from_value(json!({
        "seed": 3,
        "acquisition": {"frames": 50, "fov_px": [64, 64], "frame_rate_hz": 20.0},
        "steps": [
            {"kind": "neuropil", "amplitude": 1.0, "spatial_contrast": 0.0, "trace_sd": 0.0, "population_coupling": 0.0},
            {"kind": "photon_field", "photons_per_unit": 400.0, "bleach_amplitude": 0.0, "flicker_sd": 0.0},
            {"kind": "leakage", "dark_current_e_per_s": 200.0, "dsnu_e_per_s": 0.0, "hot_pixel_fraction": 0.0, "bleedthrough_e": 0.0},
            {"kind": "digitize", "bit_depth": 12, "gain_dn_per_e": 0.8, "read_noise_e": 5.0, "black_level_dn": 100.0, "prnu_sd": 0.0, "row_noise_e": 0.0}
        ]
    }))
    .unwrap();
    let rec = run(&spec, 16);
    let Movie::Counts(c) = &rec.observed else {
        panic!()
    };
    let n = c.len() as f64;
    let mean = c.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = c.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let (g, lambda, dark, read, black) = (0.8, 400.0, 200.0 * 0.05, 5.0, 100.0);
    let want_mean = g * (lambda + dark) + black;
    let want_var = g * g * (lambda + dark + read * read) + 1.0 / 12.0;
    let se_mean = (want_var / n).sqrt();
    let se_var = want_var * (2.0 / n).sqrt();
    assert!(
        (mean - want_mean).abs() < 5.0 * se_mean,
        "mean {mean} vs {want_mean}"
    );
    assert!(
        (var - want_var).abs() < 5.0 * se_var,
        "var {var} vs {want_var}"
    );
}

#[test]
fn saturation_at_full_well_and_adc_limit() {
    let base = json!({
        "acquisition": {"frames": 4, "fov_px": [16, 16]},
        "steps": [
            {"kind": "neuropil", "amplitude": 1.0, "spatial_contrast": 0.0},
            {"kind": "photon_field", "photons_per_unit": 100000.0},
            {"kind": "digitize", "bit_depth": 16, "gain_dn_per_e": 1.0, "full_well_e": 5000.0, "read_noise_e": 0.0, "row_noise_e": 0.0, "black_level_dn": 0.0}
        ]
    });
    let rec = run(&Spec::from_value(base.clone()).unwrap(), 4);
    let Movie::Counts(c) = &rec.observed else {
        panic!()
    };
    assert!(
        c.iter().all(|&v| v == 5000),
        "full well clips at 5000 e⁻ × 1 DN/e⁻"
    );
    let adc = Spec::from_value(base)
        .unwrap()
        .with_override("steps.digitize.bit_depth", json!(10))
        .unwrap();
    let Movie::Counts(c) = &run(&adc, 4).observed else {
        panic!()
    };
    assert!(c.iter().all(|&v| v == 1023), "ADC clips at 2^10 − 1");
}

/// On a flat field, V(r)/V(0) = 1 − (1 − e)(r/R)²: the edge ratio e is recovered from
/// the movie at any radius inside the aperture.
#[test]
fn vignette_edge_ratio_is_recovered_from_the_movie() {
    let spec = Spec::from_value(json!({
        "acquisition": {"frames": 1, "fov_px": [65, 65]},
        "steps": [
            {"kind": "neuropil", "amplitude": 1.0, "spatial_contrast": 0.0, "trace_sd": 0.0},
            {"kind": "vignette", "edge_ratio": 0.62, "aperture_radius": 2.0}
        ]
    }))
    .unwrap();
    let rec = run(&spec, 1);
    let Movie::Intensity(m) = &rec.observed else {
        panic!()
    };
    let centre = m[[0, 32, 32]] as f64; // pixel centre at 32.5 = FOV centre
    let half = 32.5;
    for (y, x) in [(32usize, 0usize), (0, 32), (10, 50), (60, 30)] {
        let r = ((y as f64 + 0.5 - 32.5).powi(2) + (x as f64 + 0.5 - 32.5).powi(2)).sqrt();
        let e = 1.0 - (1.0 - m[[0, y, x]] as f64 / centre) * (half / r).powi(2);
        assert!((e - 0.62).abs() < 1e-4, "at ({y}, {x}): {e}");
    }
}

#[test]
fn motion_path_is_bounded_by_max_shift() {
    let spec = small(400)
        .with_overrides([
            ("steps.motion_crop.max_shift_um", json!(2.0)),
            ("steps.motion_crop.jump_rate_hz", json!(2.0)),
            ("steps.motion_crop.jump_um", json!(5.0)),
        ])
        .unwrap();
    let rec = simulate(
        &spec,
        &SimulateOptions {
            until: Some(StepKind::MotionCrop),
            ..Default::default()
        },
    )
    .unwrap();
    let limit = 2.0 / spec.acquisition().pixel_um;
    let path = &rec.truth.motion_px;
    assert_eq!(path.shape(), &[400, 2]);
    assert!(path.iter().all(|v| v.abs() <= limit + 1e-12));
    assert!(
        path.iter().any(|v| v.abs() > 0.99 * limit),
        "jumps reach the clamp"
    );
}

/// Footprint memory of the default spec at 512×512 (issue 4 asks < 50 MB).
#[test]
fn footprint_memory_at_512_is_bounded() {
    let spec = Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([512, 512])),
            ("acquisition.frames", json!(1)),
        ])
        .unwrap();
    let options = SimulateOptions {
        until: Some(StepKind::Composite),
        ..Default::default()
    };
    let renderer = minisim_render::Renderer::new(&spec, &options, false).unwrap();
    let bytes = renderer.footprint_bytes();
    let rec = simulate(&spec, &options).unwrap();
    let csr = rec.truth.footprints.data.len() * 4;
    eprintln!(
        "footprints at 512×512: {} cells, {:.1} MB of patches in the renderer, {:.1} MB of non-zero weights in the truth",
        rec.truth.cells.len(),
        bytes as f64 / 1e6,
        csr as f64 / 1e6
    );
    assert!(bytes < 50_000_000, "{bytes} bytes in the renderer");
    assert!(csr < 50_000_000, "{csr} bytes in the ground truth");
}

/// Every shipped preset renders (shortened), with counts within its ADC range.
#[test]
fn every_preset_renders() {
    let mut names: Vec<String> = minisim_spec::PRESETS
        .iter()
        .map(|p| p.name.to_owned())
        .collect();
    for scope in minisim_spec::SCOPES {
        for region in minisim_spec::REGIONS {
            names.push(format!("{}+{}", scope.name, region.name));
        }
    }
    for name in &names {
        let spec = Spec::preset(name.as_str())
            .unwrap()
            .with_overrides([
                ("acquisition.frames", json!(3)),
                ("acquisition.fov_px", json!([48, 64])),
            ])
            .unwrap();
        let rec = run(&spec, 2);
        let [h, w] = spec.observed_dims();
        assert_eq!(
            rec.observed.shape(),
            (3, h as usize, w as usize),
            "{}",
            name.as_str()
        );
        if let (Movie::Counts(c), Some(d)) = (&rec.observed, spec.digitize()) {
            assert!(c.iter().all(|&v| v <= d.max_count()), "{}", name.as_str());
            assert!(
                c.iter().any(|&v| v > 0),
                "{}: a movie, not black",
                name.as_str()
            );
        }
    }
}

/// Intra-exposure motion blur: without motion it changes nothing; with fast motion it
/// removes high-frequency energy (mean |Laplacian| of the frames drops).
#[test]
fn exposure_blur_averages_the_path_during_the_exposure() {
    let laplacian = |m: &ndarray::Array3<f32>| {
        let (t, h, w) = m.dim();
        let mut acc = 0.0f64;
        for f in 0..t {
            for y in 1..h - 1 {
                for x in 1..w - 1 {
                    let l = 4.0 * m[[f, y, x]]
                        - m[[f, y - 1, x]]
                        - m[[f, y + 1, x]]
                        - m[[f, y, x - 1]]
                        - m[[f, y, x + 1]];
                    acc += l.abs() as f64;
                }
            }
        }
        acc
    };
    let until = SimulateOptions {
        until: Some(StepKind::MotionCrop),
        ..Default::default()
    };
    let movie = |spec: &Spec| match simulate(spec, &until).unwrap().observed {
        Movie::Intensity(m) => m,
        Movie::Counts(_) => panic!("intensity expected before digitize"),
    };
    let still = small(6)
        .with_overrides([
            ("steps.motion_crop.ou_sigma_um", json!(0.0)),
            ("steps.motion_crop.jump_rate_hz", json!(0.0)),
        ])
        .unwrap();
    let a = movie(&still);
    let b = movie(
        &still
            .with_override("steps.motion_crop.exposure_blur_samples", json!(5))
            .unwrap(),
    );
    assert!(
        a.iter()
            .zip(b.iter())
            .all(|(x, y)| (x - y).abs() <= 1e-5 * (1.0 + x.abs()))
    );
    let fast = small(6)
        .with_overrides([
            ("steps.motion_crop.ou_sigma_um", json!(6.0)),
            ("steps.motion_crop.ou_tau_s", json!(0.05)),
            ("steps.motion_crop.max_shift_um", json!(20.0)),
        ])
        .unwrap();
    let sharp = laplacian(&movie(&fast));
    let blurred = laplacian(&movie(
        &fast
            .with_override("steps.motion_crop.exposure_blur_samples", json!(8))
            .unwrap(),
    ));
    assert!(blurred < 0.9 * sharp, "blurred {blurred} vs sharp {sharp}");
}

/// The detectability labels equal their definition recomputed independently from the
/// ground truth: on a spec without neuropil, motion, vessels, vignette, flicker or
/// bleaching, the resting electrons of a pixel are photons × Σ_c footprint_c + dark.
#[test]
fn detectability_labels_follow_their_definition() {
    let (photons, dark_e, read, row) = (300.0, 2.0, 4.0, 1.5);
    let spec = Spec::from_value(json!({
        "seed": 11,
        "acquisition": {"frames": 120, "fov_px": [48, 48], "frame_rate_hz": 20.0},
        "steps": [
            {"kind": "place_neurons", "density_per_mm3": 60000.0},
            {"kind": "spikes", "rate_median_hz": 1.0},
            {"kind": "calcium"},
            {"kind": "composite"},
            {"kind": "photon_field", "photons_per_unit": photons, "bleach_amplitude": 0.0, "flicker_sd": 0.0},
            {"kind": "leakage", "dark_current_e_per_s": dark_e * 20.0, "dsnu_e_per_s": 0.0, "hot_pixel_fraction": 0.0, "bleedthrough_e": 0.0},
            {"kind": "digitize", "prnu_sd": 0.0, "read_noise_e": read, "row_noise_e": row}
        ]
    }))
    .unwrap();
    let rec = run(&spec, 16);
    let t = &rec.truth;
    let c = &t.cells;
    let fp = &t.footprints;
    let mut resting = vec![0f64; 48 * 48];
    for cell in 0..c.len() {
        for j in fp.indptr[cell] as usize..fp.indptr[cell + 1] as usize {
            resting[fp.indices[j] as usize] += fp.data[j] as f64;
        }
    }
    let exposure_s = 1.0 / 20.0;
    let mut detectable = 0;
    for cell in 0..c.len() {
        let peak = t.calcium_dff.row(cell).iter().fold(0f32, |a, &b| a.max(b));
        assert_eq!(c.peak_dff[cell], peak);
        assert_eq!(c.in_focus[cell], c.focus_weight[cell] >= 0.5);
        let range = fp.indptr[cell] as usize..fp.indptr[cell + 1] as usize;
        let want = match range.max_by(|&a, &b| fp.data[a].total_cmp(&fp.data[b])) {
            Some(j) if peak > 0.0 => {
                let p = fp.indices[j] as usize;
                let lambda = photons * resting[p] + dark_e * 20.0 * exposure_s;
                fp.data[j] as f64 * peak as f64 * photons
                    / (lambda + read * read + row * row).sqrt()
            }
            _ => 0.0,
        };
        let got = c.peak_snr[cell];
        assert!(
            (got - want).abs() <= 1e-4 * want.max(1.0),
            "cell {cell}: {got} vs {want}"
        );
        assert_eq!(c.detectable[cell], got >= 3.0);
        detectable += c.detectable[cell] as usize;
    }
    // Not a degenerate split: some cells are detectable, some are not.
    assert!(
        detectable > 0 && detectable < c.len(),
        "{detectable} of {}",
        c.len()
    );
}

/// The opt-in `dust` stage multiplies the FOV by its truth map, which stays fixed on
/// the sensor while the tissue moves, and darkens the mean of the recording.
#[test]
fn dust_is_a_static_transmission_map_on_the_sensor() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dust.json"),
    )
    .unwrap();
    let spec = Spec::from_json(&text)
        .unwrap()
        .with_override("output.snapshot_stages", json!(["vignette", "dust"]))
        .unwrap();
    let rec = simulate(&spec, &SimulateOptions::default()).unwrap();
    let (before, after) = (
        rec.snapshot(StepKind::Vignette).unwrap(),
        rec.snapshot(StepKind::Dust).unwrap(),
    );
    let map = &rec.truth.dust;
    assert!(map.iter().any(|&t| t < 0.9), "no dark spot in the dust map");
    for f in 0..before.shape()[0] {
        let expected = &before.index_axis(ndarray::Axis(0), f) * map;
        assert_eq!(after.index_axis(ndarray::Axis(0), f), expected, "frame {f}");
    }
    // Without the step the map is all ones and nothing else changes upstream.
    let mut draft = spec.to_draft();
    draft.steps.retain(|s| s.kind() != StepKind::Dust);
    draft.output.snapshot_stages = vec![StepKind::Vignette];
    let clean = simulate(&Spec::new(draft).unwrap(), &SimulateOptions::default()).unwrap();
    assert!(clean.truth.dust.iter().all(|&t| t == 1.0));
    assert_eq!(clean.snapshot(StepKind::Vignette), Some(before));
}

/// Haemodynamics multiplies every pixel of frame t by the truth's h(t): with vessels
/// off, the vasculature stage's movie is the composite's times h(t).
#[test]
fn hemodynamics_scales_each_frame_by_its_truth() {
    let spec = Spec::from_value(json!({
        "acquisition": {"frames": 8, "fov_px": [24, 28]},
        "steps": [
            {"kind": "place_neurons", "density_per_mm3": 60000},
            {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"},
            {"kind": "vasculature", "vessels": 0, "hemodynamic_sd": 0.05, "hemodynamic_tau_s": 0.2}
        ],
        "output": {"snapshot_stages": ["composite"]}
    }))
    .unwrap();
    let rec = simulate(&spec, &SimulateOptions::default()).unwrap();
    let h = &rec.truth.hemodynamic;
    assert_eq!(h.len(), 8);
    assert!(h.iter().any(|&v| (v - 1.0).abs() > 1e-3), "{h:?}");
    let Movie::Intensity(out) = &rec.observed else {
        panic!("sensorless")
    };
    let composite = &rec.snapshots[0].1;
    for ((t, y, x), &v) in out.indexed_iter() {
        let want = composite[[t, y, x]] * h[t] as f32;
        assert!(
            (v - want).abs() <= 1e-5 * want.abs().max(1.0),
            "{v} vs {want}"
        );
    }
}

/// A render cancelled before it starts, or from its progress callback after the first
/// chunk, stops with `Cancelled` and renders no further chunk.
#[test]
fn cancel_stops_the_render_at_the_next_chunk() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use minisim_render::{Cancel, Progress};
    let spec = small(40);
    let cancel = Cancel::new();
    cancel.cancel();
    let early = simulate(
        &spec,
        &SimulateOptions {
            cancel: Some(cancel),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(early, RenderError::Cancelled);

    let cancel = Cancel::new();
    let seen = Arc::new(AtomicU64::new(0));
    let progress = {
        let (cancel, seen) = (cancel.clone(), seen.clone());
        Progress(Arc::new(move |done| {
            seen.store(done, Ordering::SeqCst);
            cancel.cancel();
        }))
    };
    let stopped = simulate(
        &spec,
        &SimulateOptions {
            chunk_frames: 8,
            progress: Some(progress),
            cancel: Some(cancel.clone()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(stopped, RenderError::Cancelled);
    assert_eq!(seen.load(Ordering::SeqCst), 8, "exactly one chunk rendered");
    assert!(cancel.is_cancelled());
}
