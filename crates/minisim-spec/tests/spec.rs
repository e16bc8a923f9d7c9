//! Behaviour of `Spec`: parsing, canonical order, validation paths, cache keys.

use minisim_spec::{MODEL_VERSION, Spec, SpecError, StepKind};
use serde_json::{Value, json};

fn error_of(text: &str) -> SpecError {
    Spec::from_json(text).expect_err("spec should be rejected")
}

fn assert_issue(err: &SpecError, path: &str, needle: &str) {
    assert!(
        err.issues()
            .iter()
            .any(|i| i.path == path && i.message.contains(needle)),
        "expected an issue at `{path}` containing {needle:?}, got: {err}"
    );
}

#[test]
fn json_round_trip_is_identity() {
    let spec = Spec::default()
        .with_override("steps.calcium.indicator", json!("gcamp8m"))
        .unwrap()
        .with_override("acquisition.exposure_ms", json!(33.5))
        .unwrap();
    let text = spec.to_json_pretty();
    assert_eq!(Spec::from_json(&text).unwrap(), spec);
    let compact = spec.canonical_json();
    assert_eq!(Spec::from_json(&compact).unwrap(), spec);
    // serde round trip too
    let via_serde: Spec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(via_serde, spec);
}

#[test]
fn shuffled_steps_give_equal_specs_and_keys() {
    let spec = Spec::default();
    let mut value = spec.to_value();
    let steps = value["steps"].as_array_mut().unwrap();
    steps.reverse();
    steps.swap(1, 7);
    let shuffled = Spec::from_value(value).unwrap();
    assert_eq!(shuffled, spec);
    assert_eq!(shuffled.cache_key(), spec.cache_key());
    let pipeline: Vec<StepKind> = StepKind::ALL
        .into_iter()
        .filter(|k| k.in_default_pipeline())
        .collect();
    assert_eq!(shuffled.kinds(), pipeline);
    // Opt-in kinds are not part of the default pipeline.
    assert!(!pipeline.contains(&StepKind::Dust));
    assert_eq!(pipeline.len(), StepKind::COUNT - 1);
}

#[test]
fn missing_fields_take_defaults() {
    let spec = Spec::from_json(r#"{"seed": 3}"#).unwrap();
    let expected = Spec::default().with_override("seed", json!(3)).unwrap();
    assert_eq!(spec, expected);
    let partial = Spec::from_json(
        r#"{"steps": [{"kind": "neuropil"}, {"kind": "photon_field", "photons_per_unit": 50}]}"#,
    )
    .unwrap();
    assert_eq!(
        partial.kinds(),
        vec![StepKind::Neuropil, StepKind::PhotonField]
    );
    assert_eq!(partial.photon_field().unwrap().photons_per_unit, 50.0);
    assert_eq!(partial.neuropil().unwrap(), &Default::default());
}

#[test]
fn different_content_gives_different_keys() {
    let a = Spec::default();
    let b = a.with_override("seed", json!(1)).unwrap();
    let c = a
        .with_override("steps.digitize.read_noise_e", json!(3.0000001))
        .unwrap();
    assert_ne!(a.cache_key(), b.cache_key());
    assert_ne!(a.cache_key(), c.cache_key());
    assert_eq!(a.cache_key().len(), 64);
}

#[test]
fn exposure_defaults_to_frame_period() {
    let spec = Spec::default()
        .with_override("acquisition.frame_rate_hz", json!(40.0))
        .unwrap();
    assert_eq!(spec.acquisition().exposure_ms(), 25.0);
}

/// Golden canonical JSON and cache key of the default spec. A change here changes every
/// user's cache entry: bump MODEL_VERSION if output changes, refresh with UPDATE_EXPECT=1.
#[test]
fn golden_default_spec_and_cache_key() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let spec = Spec::default();
    let actual_json = spec.to_json_pretty() + "\n";
    let actual_key = format!("model {MODEL_VERSION}\n{}\n", spec.cache_key());
    minisim_testkit::assert_golden(&dir.join("default_spec.json"), &actual_json);
    minisim_testkit::assert_golden(&dir.join("default_cache_key.txt"), &actual_key);
    let expected_json = std::fs::read_to_string(dir.join("default_spec.json")).unwrap();
    // The golden JSON is itself a valid spec with the same key.
    assert_eq!(
        Spec::from_json(&expected_json).unwrap().cache_key(),
        spec.cache_key()
    );
}

#[test]
fn syntax_error_reports_line_and_column() {
    let err = error_of("{\n  \"seed\": 1,\n  oops\n}");
    match err {
        SpecError::Syntax { line, .. } => assert_eq!(line, 3),
        other => panic!("expected a syntax error, got {other}"),
    }
}

/// One row per validation rule: a JSON spec and the exact path its error must name.
#[test]
fn each_validator_names_its_path() {
    let cases: &[(&str, Value, &str, &str)] = &[
        (
            "unknown top-level field",
            json!({"sede": 1}),
            "sede",
            "unknown field",
        ),
        (
            "unknown acquisition field",
            json!({"acquisition": {"frame": 10}}),
            "acquisition.frame",
            "unknown field",
        ),
        (
            "unknown optics field",
            json!({"acquisition": {"optics": {"NA": 0.3}}}),
            "acquisition.optics.NA",
            "unknown field",
        ),
        (
            "unknown step field",
            json!({"steps": [{"kind": "neuropil", "componentz": 2}]}),
            "steps.neuropil.componentz",
            "unknown field",
        ),
        (
            "unknown nested field",
            json!({"steps": [{"kind": "place_neurons"}, {"kind": "spikes", "ensembles": {"size": 2}}]}),
            "steps.spikes.ensembles.size",
            "unknown field",
        ),
        (
            "unknown kind",
            json!({"steps": [{"kind": "neuropil"}, {"kind": "blur"}]}),
            "steps[1].kind",
            "unknown step kind \"blur\"",
        ),
        (
            "missing kind",
            json!({"steps": [{"amplitude": 1}]}),
            "steps[0].kind",
            "missing",
        ),
        (
            "wrong type",
            json!({"steps": [{"kind": "neuropil", "amplitude": "big"}]}),
            "steps.neuropil.amplitude",
            "invalid type",
        ),
        (
            "negative integer",
            json!({"acquisition": {"frames": -5}}),
            "acquisition.frames",
            "invalid value",
        ),
        (
            "zero frames",
            json!({"acquisition": {"frames": 0}}),
            "acquisition.frames",
            "must lie in [1, 1e8] (got 0)",
        ),
        (
            "duplicate kind",
            json!({"steps": [{"kind": "neuropil"}, {"kind": "neuropil"}]}),
            "steps.neuropil",
            "more than once",
        ),
        (
            "missing requirement",
            json!({"steps": [{"kind": "spikes"}]}),
            "steps.spikes",
            "requires the `place_neurons` step",
        ),
        (
            "movie step needed",
            json!({"steps": [{"kind": "vignette"}]}),
            "steps.vignette",
            "requires a movie step",
        ),
        (
            "digitize needs photons",
            json!({"steps": [{"kind": "neuropil"}, {"kind": "digitize"}]}),
            "steps.digitize",
            "requires the `photon_field` step",
        ),
        (
            "no steps",
            json!({"steps": []}),
            "steps",
            "at least one step",
        ),
        (
            "na zero",
            json!({"acquisition": {"optics": {"na": 0.0}}}),
            "acquisition.optics.na",
            "must lie in [0.05, 1.5] (got 0)",
        ),
        (
            "na above index",
            json!({"acquisition": {"optics": {"na": 1.4}}}),
            "acquisition.optics.na",
            "must be below tissue_index",
        ),
        (
            "soma larger than fov",
            json!({"acquisition": {"fov_px": [16, 64], "pixel_um": 1.0}, "steps": [{"kind": "place_neurons", "soma_radius_mean_um": 9}]}),
            "steps.place_neurons.soma_radius_mean_um",
            "larger than the field of view",
        ),
        (
            "bit depth 0",
            json!({"steps": [{"kind": "neuropil"}, {"kind": "photon_field"}, {"kind": "digitize", "bit_depth": 0}]}),
            "steps.digitize.bit_depth",
            "must lie in [1, 16] (got 0)",
        ),
        (
            "bit depth 17",
            json!({"steps": [{"kind": "neuropil"}, {"kind": "photon_field"}, {"kind": "digitize", "bit_depth": 17}]}),
            "steps.digitize.bit_depth",
            "must lie in [1, 16] (got 17)",
        ),
        (
            "negative rate",
            json!({"steps": [{"kind": "place_neurons"}, {"kind": "spikes", "rate_median_hz": -1}]}),
            "steps.spikes.rate_median_hz",
            "must lie in (0, 50] (got -1)",
        ),
        (
            "zero frame rate",
            json!({"acquisition": {"frame_rate_hz": 0}}),
            "acquisition.frame_rate_hz",
            "must lie in [0.1, 10000] (got 0)",
        ),
        (
            "negative duration",
            json!({"steps": [{"kind": "neuropil", "time_constant_s": -2}]}),
            "steps.neuropil.time_constant_s",
            "must lie in (0, 1e5] (got -2)",
        ),
        (
            "fraction above 1",
            json!({"steps": [{"kind": "neuropil"}, {"kind": "vasculature", "absorption": 1.5}]}),
            "steps.vasculature.absorption",
            "must lie in [0, 1] (got 1.5)",
        ),
        (
            "fraction below 0",
            json!({"steps": [{"kind": "neuropil", "population_coupling": -0.1}]}),
            "steps.neuropil.population_coupling",
            "must lie in [0, 1] (got -0.1)",
        ),
        (
            "exposure too long",
            json!({"acquisition": {"frame_rate_hz": 20, "exposure_ms": 60}}),
            "acquisition.exposure_ms",
            "frame period",
        ),
        (
            "decay not above rise",
            json!({"steps": [{"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium", "rise_ms": 50, "decay_ms": 30}]}),
            "steps.calcium.decay_ms",
            "must be at least 1.5 × rise_ms (got 30 < 75)",
        ),
        (
            "custom incomplete",
            json!({"steps": [{"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium", "indicator": "custom", "rise_ms": 50}]}),
            "steps.calcium.decay_ms",
            "required",
        ),
        (
            "unknown indicator",
            json!({"steps": [{"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium", "indicator": "gcamp9"}]}),
            "steps.calcium.indicator",
            "unknown variant",
        ),
        (
            "snapshot of absent stage",
            json!({"steps": [{"kind": "neuropil"}], "output": {"snapshot_stages": ["vignette"]}}),
            "output.snapshot_stages[0]",
            "not a step of this spec",
        ),
        (
            "snapshot of non-movie stage",
            json!({"output": {"snapshot_stages": ["spikes"]}}),
            "output.snapshot_stages[0]",
            "makes no movie",
        ),
        (
            "fov too small",
            json!({"acquisition": {"fov_px": [1, 64]}}),
            "acquisition.fov_px[0]",
            "must lie in [2, 16384] (got 1)",
        ),
        (
            "decay within 1.5 × rise",
            json!({"steps": [{"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium", "rise_ms": 50, "decay_ms": 60}]}),
            "steps.calcium.decay_ms",
            "must be at least 1.5 × rise_ms (got 60 < 75)",
        ),
        (
            "duplicate snapshot stage",
            json!({"output": {"snapshot_stages": ["composite", "vignette", "composite"]}}),
            "output.snapshot_stages[2]",
            "already listed at output.snapshot_stages[0]",
        ),
        (
            "blur too wide to render",
            json!({"acquisition": {"pixel_um": 0.2, "optics": {"na": 0.8}}, "steps": [{"kind": "place_neurons", "slab_um": 1500}]}),
            "steps.place_neurons.slab_um",
            "at most 100 px can be rendered",
        ),
        (
            "focus beyond 20 scattering lengths",
            json!({"acquisition": {"optics": {"focal_depth_um": 2500, "scattering_length_um": 100}}}),
            "acquisition.optics.focal_depth_um",
            "at most 20 scattering lengths",
        ),
        (
            "radius sd above the mean",
            json!({"steps": [{"kind": "place_neurons", "soma_radius_sd_um": 7}]}),
            "steps.place_neurons.soma_radius_sd_um",
            "at most soma_radius_mean_um",
        ),
        (
            "name disagrees",
            json!({"steps": [{"kind": "neuropil", "name": "bg"}]}),
            "steps.neuropil.name",
            "name is its kind",
        ),
        (
            "root not object",
            json!([1, 2]),
            "(root)",
            "expected a JSON object",
        ),
    ];
    for (what, spec, path, needle) in cases {
        let err = Spec::from_value(spec.clone()).expect_err(what);
        assert!(
            err.issues()
                .iter()
                .any(|i| &i.path == path && i.message.contains(needle)),
            "{what}: expected `{path}` with {needle:?}, got: {err}"
        );
        // The display form leads with the path, as users see it.
        assert!(
            err.to_string().contains(&format!("{path}: ")),
            "{what}: {err}"
        );
    }
}

#[test]
fn all_issues_are_reported_together() {
    let err = error_of(r#"{"acquisition": {"frames": 0, "pixel_um": -1}}"#);
    assert_issue(&err, "acquisition.frames", "must lie in [1, 1e8] (got 0)");
    assert_issue(
        &err,
        "acquisition.pixel_um",
        "must lie in [0.05, 50] (got -1)",
    );
}

#[test]
fn overrides_validate_and_leave_the_original_alone() {
    let base = Spec::default();
    let before = base.clone();
    let err = base
        .with_override("acquisition.optics.na", json!(-1))
        .unwrap_err();
    assert_issue(
        &err,
        "acquisition.optics.na",
        "must lie in [0.05, 1.5] (got -1)",
    );
    assert_eq!(base, before);
    let ok = base
        .with_assignment("steps.spikes.ensembles.count=5")
        .unwrap();
    assert_eq!(ok.spikes().unwrap().ensembles.count, 5);
    let fov = base
        .with_override("acquisition.fov_px[1]", json!(128))
        .unwrap();
    assert_eq!(fov.acquisition().fov_px, [256, 128]);
    let named = base
        .with_assignment("steps.calcium.indicator=gcamp6s")
        .unwrap();
    assert_eq!(
        named.calcium().unwrap().indicator,
        minisim_spec::Indicator::Gcamp6s
    );
}

#[test]
fn override_path_errors_are_specific() {
    let base = Spec::default();
    let no_calcium = Spec::from_json(r#"{"steps": [{"kind": "neuropil"}]}"#).unwrap();
    let cases: &[(&Spec, &str, &str, &str)] = &[
        (
            &base,
            "steps.calcium.decay",
            "steps.calcium.decay",
            "unknown field `decay`",
        ),
        (&base, "steps.blur.sigma", "steps.blur", "unknown step kind"),
        (
            &no_calcium,
            "steps.calcium.decay_ms",
            "steps.calcium",
            "no `calcium` step",
        ),
        (&base, "seed.x", "seed.x", "is a number; cannot descend"),
        (
            &base,
            "acquisition.optics.na.value",
            "acquisition.optics.na.value",
            "cannot descend",
        ),
        (
            &base,
            "acquisition.fov_px.2",
            "acquisition.fov_px.2",
            "out of range",
        ),
        (&base, "bogus", "bogus", "unknown field"),
        (
            &base,
            "steps.calcium.kind",
            "steps.calcium.kind",
            "unknown field",
        ),
    ];
    for (spec, path, at, needle) in cases {
        let err = spec.with_override(path, json!(1)).unwrap_err();
        assert_issue(&err, at, needle);
    }
    assert!(base.with_assignment("no-equals-sign").is_err());
}
