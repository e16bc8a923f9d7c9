//! Property tests over the whole system, with fixed seeds and bounded case counts:
//!
//! - random specs, each field drawn over its valid range (`Spec::bounds`), either fail
//!   validation with a path or render 2–5 small frames with no panic, no NaN or ±∞ in
//!   the movie or the ground truth, within a time bound per case;
//! - random byte damage to a cache entry is detected (or harmless) and healed back to
//!   the identical recording;
//! - random byte damage to the `.npy` inputs of `score` gives an error or a finite
//!   score, never a panic.
//!
//! Geometry is kept small so every case renders in seconds: the field of view is
//! 16–48 px per side, 2–5 frames, and `max_cells` at most 300; every other field spans
//! its whole valid range. `cells_peak_snr` is +∞ by definition for specs without
//! photon noise (no `photon_field`), and must be finite otherwise.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use minisim::{
    CacheOutcome, MemoryLimit, Movie, Persist, Recording, RenderError, SimulateOptions, Spec,
    TruthArray, simulate, simulate_cached_with,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::{Value, json};

/// Time allowed for one case (validation, render of ≤ 5 small frames, checks): far
/// above the seconds a case takes, to catch hangs, not to measure speed.
const CASE_LIMIT: Duration = Duration::from_secs(90);

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A spec with every optional block present (the paths of `Spec::bounds`).
fn maximal() -> Value {
    let mut doc = Spec::default().to_value();
    doc["acquisition"]["exposure_ms"] = json!(20.0);
    doc["acquisition"]["optics"]["field_curvature_radius_um"] = json!(2000.0);
    for step in doc["steps"].as_array_mut().unwrap() {
        match step["kind"].as_str().unwrap() {
            "place_neurons" => {
                step["populations"] = json!([{
                    "name": "all", "density_per_mm3": 10000.0, "depth_range_um": [100.0, 200.0],
                    "positions_um": [[150.0, 10.0, 10.0]], "soma_radius_mean_um": 6.0,
                    "soma_radius_sd_um": 1.0, "soma_aspect_sd": 0.1, "nucleus_fraction": 0.5,
                    "irregularity": 0.0, "min_separation_um": 10.0, "expression_sigma": 0.4,
                    "expression_scale": 1.0, "activity": {},
                    "calcium": {"rise_ms": 50.0, "decay_ms": 500.0, "dff_per_spike": 0.2}
                }]);
            }
            "calcium" => {
                step["rise_ms"] = json!(50.0);
                step["decay_ms"] = json!(500.0);
                step["dff_per_spike"] = json!(0.2);
            }
            "vasculature" => step["layers"] = json!([{}]),
            "photon_field" => step["cell_bleaching"] = json!({}),
            _ => {}
        }
    }
    let steps = doc["steps"].as_array_mut().unwrap();
    let at = steps
        .iter()
        .position(|s| s["kind"] == "photon_field")
        .unwrap();
    steps.insert(at, json!({"kind": "dust"}));
    doc
}

/// The value at a bound path (`a.b[0].c`; `steps.<kind>` selects a step), created
/// as needed for objects.
fn slot<'a>(doc: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut at = doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let (name, indices) = part.split_at(part.find('[').unwrap_or(part.len()));
        at = if name == "steps" {
            let kind = parts.next()?;
            let (kind, rest) = kind.split_at(kind.find('[').unwrap_or(kind.len()));
            let step = at["steps"]
                .as_array_mut()?
                .iter_mut()
                .find(|s| s["kind"] == kind)?;
            index(step, rest)?
        } else {
            index(at.get_mut(name)?, indices)?
        };
    }
    Some(at)
}

fn index<'a>(mut v: &'a mut Value, indices: &str) -> Option<&'a mut Value> {
    for i in indices.split('[').filter(|s| !s.is_empty()) {
        v = v.get_mut(i.trim_end_matches(']').parse::<usize>().ok()?)?;
    }
    Some(v)
}

/// A value of `b`'s interval: log-uniform over wide positive ranges, uniform
/// otherwise, sometimes exactly an end.
fn sample(b: &minisim::Bound, rng: &mut Xoshiro256PlusPlus) -> Value {
    let (lo, hi) = (b.lo, b.hi);
    let v = match rng.random_range(0..10) {
        0 if !b.lo_open => lo,
        1 => hi,
        _ if lo >= 0.0 && hi > 100.0 * lo.max(1e-9) => {
            let a = lo.max(hi * 1e-6).ln();
            rng.random_range(a..=hi.ln()).exp()
        }
        _ => rng.random_range(lo..=hi),
    };
    let v = if b.lo_open && v <= lo {
        lo + (hi - lo) * 1e-3
    } else {
        v
    };
    if b.integer {
        json!(v.round() as u64)
    } else {
        json!(v)
    }
}

fn choose<'a>(rng: &mut Xoshiro256PlusPlus, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

/// A random spec of the fuzz's geometry from `seed`.
fn random_spec(seed: u64, bounds: &[minisim::Bound], base: &Value) -> Value {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut doc = base.clone();
    for b in bounds {
        if rng.random_bool(0.3)
            && let Some(v) = slot(&mut doc, &b.path)
        {
            *v = sample(b, &mut rng);
        }
    }
    let enums: [(&str, &[&str]); 6] = [
        ("steps.spikes.model", &["lognormal_bursts", "two_state"]),
        ("steps.place_neurons.morphology", &["soma", "cytosolic"]),
        ("steps.motion_crop.model", &["ou", "locomotion"]),
        ("steps.motion_crop.interpolation", &["bilinear", "lanczos3"]),
        (
            "steps.calcium.indicator",
            &["gcamp6f", "gcamp6s", "gcamp7f", "gcamp8m", "custom"],
        ),
        ("acquisition.optics.focal_depth_um", &["keep", "auto"]),
    ];
    for (path, options) in enums {
        let pick = choose(&mut rng, options);
        if pick != "keep"
            && let Some(v) = slot(&mut doc, path)
        {
            *v = json!(pick);
        }
    }
    // Drop optional blocks at random so plain specs are covered too.
    for (path, key) in [
        ("steps.place_neurons", "populations"),
        ("steps.vasculature", "layers"),
        ("steps.photon_field", "cell_bleaching"),
    ] {
        if rng.random_bool(0.5)
            && let Some(v) = slot(&mut doc, path)
        {
            v[key] = Value::Null;
        }
    }
    if doc["acquisition"]["optics"]["focal_depth_um"] == "auto"
        && slot(&mut doc, "steps.place_neurons").is_some_and(|p| p["populations"].is_null())
    {
        doc["acquisition"]["optics"]["focal_depth_um"] = json!(150.0);
    }
    let steps = doc["steps"].as_array_mut().unwrap();
    // Sensorless and shorter pipelines too.
    match rng.random_range(0..4) {
        0 => steps.retain(|s| s["kind"] != "digitize" && s["kind"] != "leakage"),
        1 => steps.retain(|s| {
            s["kind"] != "digitize" && s["kind"] != "leakage" && s["kind"] != "photon_field"
        }),
        _ => {}
    }
    repair(&mut doc);
    let a = &mut doc["acquisition"];
    a["frames"] = json!(rng.random_range(2..=5));
    a["fov_px"] = json!([rng.random_range(16..=48), rng.random_range(16..=48)]);
    if let Some(p) = slot(&mut doc, "steps.place_neurons") {
        let cap = p["max_cells"].as_u64().unwrap_or(300).min(300);
        p["max_cells"] = json!(cap);
    }
    doc
}

/// Order the pairs that validation relates (min ≤ max, burst interval ≥ refractory
/// period, decay ≥ 1.5 × rise, …) so most random specs are valid; each value stays
/// inside its own interval.
fn repair(doc: &mut Value) {
    let num = |doc: &mut Value, path: &str| slot(doc, path).and_then(|v| v.as_f64());
    let set = |doc: &mut Value, path: &str, v: f64| {
        if let Some(x) = slot(doc, path) {
            *x = json!(v);
        }
    };
    if let (Some(rate), Some(e)) = (
        num(doc, "acquisition.frame_rate_hz"),
        num(doc, "acquisition.exposure_ms"),
    ) {
        set(doc, "acquisition.exposure_ms", e.min(1000.0 / rate));
    }
    for spikes in [
        "steps.spikes",
        "steps.place_neurons.populations[0].activity",
    ] {
        let get = |doc: &mut Value, f: &str| num(doc, &format!("{spikes}.{f}"));
        if let (Some(r), Some(b)) = (get(doc, "refractory_ms"), get(doc, "burst_isi_ms")) {
            set(doc, &format!("{spikes}.burst_isi_ms"), b.max(r));
            if let Some(m) = get(doc, "rate_median_hz") {
                set(
                    doc,
                    &format!("{spikes}.rate_median_hz"),
                    m.min(0.49 * 1000.0 / r.max(1e-3)),
                );
            }
        }
        if let (Some(a), Some(g)) = (
            get(doc, "two_state.active_rate_hz"),
            get(doc, "two_state.grid_hz"),
        ) {
            set(doc, &format!("{spikes}.two_state.grid_hz"), g.max(a));
        }
    }
    for calcium in [
        "steps.calcium",
        "steps.place_neurons.populations[0].calcium",
    ] {
        if let (Some(r), Some(d)) = (
            num(doc, &format!("{calcium}.rise_ms")),
            num(doc, &format!("{calcium}.decay_ms")),
        ) {
            set(doc, &format!("{calcium}.decay_ms"), d.max(1.5 * r));
        }
    }
    for (lo, hi) in [
        (
            "steps.vasculature.width_min_um",
            "steps.vasculature.width_max_um",
        ),
        (
            "steps.place_neurons.populations[0].depth_range_um[0]",
            "steps.place_neurons.populations[0].depth_range_um[1]",
        ),
        ("steps.dust.opacity[0]", "steps.dust.opacity[1]"),
    ] {
        if let (Some(a), Some(b)) = (num(doc, lo), num(doc, hi))
            && a > b
        {
            set(doc, lo, b);
            set(doc, hi, a);
        }
    }
    if let (Some(min), Some(root)) = (
        num(doc, "steps.vasculature.layers[0].min_diameter_um"),
        num(doc, "steps.vasculature.layers[0].root_diameter_um"),
    ) {
        set(
            doc,
            "steps.vasculature.layers[0].min_diameter_um",
            min.min(0.9 * root),
        );
    }
    for cells in ["steps.place_neurons", "steps.place_neurons.populations[0]"] {
        if let (Some(m), Some(sd)) = (
            num(doc, &format!("{cells}.soma_radius_mean_um")),
            num(doc, &format!("{cells}.soma_radius_sd_um")),
        ) {
            set(doc, &format!("{cells}.soma_radius_sd_um"), sd.min(m));
        }
    }
}

/// Every float of the recording is finite (`cells_peak_snr` may be +∞ without
/// photon noise, never NaN).
fn check_finite(rec: &Recording, noisy: bool) -> Result<(), String> {
    if let Movie::Intensity(m) = &rec.observed
        && let Some(v) = m.iter().find(|v| !v.is_finite())
    {
        return Err(format!("observed holds {v}"));
    }
    for (name, a) in rec.truth.arrays() {
        let bad = match &a {
            TruthArray::F32(x) => x.iter().map(|&v| v as f64).find(|v| !v.is_finite()),
            TruthArray::F64(x) => x.iter().copied().find(|v| !v.is_finite()),
            _ => None,
        };
        match bad {
            Some(v) if name == "cells_peak_snr" && !noisy && v == f64::INFINITY => {}
            Some(v) => return Err(format!("{name} holds {v}")),
            None => {}
        }
    }
    Ok(())
}

#[test]
fn random_valid_specs_render_finite_recordings_or_fail_validation_with_a_path() {
    let bounds = Spec::bounds();
    let base = maximal();
    assert!(
        Spec::from_value(base.clone()).is_ok(),
        "the maximal spec is valid"
    );
    let (rendered, rejected, too_large) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let cases = 48;
    let mut runner = TestRunner::new(config(cases, 0x5eed_0015));
    let result = runner.run(&any::<u64>(), |seed| {
        let doc = random_spec(seed, &bounds, &base);
        let start = Instant::now();
        let spec = match Spec::from_value(doc.clone()) {
            Ok(spec) => spec,
            Err(e) => {
                prop_assert!(!e.issues().is_empty(), "{e}");
                for issue in e.issues() {
                    prop_assert!(
                        issue.path.starts_with("acquisition")
                            || issue.path.starts_with("steps")
                            || issue.path.starts_with("output"),
                        "issue without a field path: {issue}"
                    );
                }
                rejected.fetch_add(1, Ordering::Relaxed);
                if std::env::var_os("FUZZ_VERBOSE").is_some() {
                    eprintln!("rejected: {e}");
                }
                return Ok(());
            }
        };
        let options = SimulateOptions {
            memory_limit: MemoryLimit::Bytes(4 << 30),
            ..Default::default()
        };
        match simulate(&spec, &options) {
            Ok(rec) => {
                let noisy = spec.photon_field().is_some();
                if let Err(e) = check_finite(&rec, noisy) {
                    return Err(TestCaseError::fail(format!("seed {seed}: {e}\n{doc}")));
                }
                rendered.fetch_add(1, Ordering::Relaxed);
            }
            Err(RenderError::TooLarge { .. }) => {
                too_large.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => return Err(TestCaseError::fail(format!("seed {seed}: {e}"))),
        }
        prop_assert!(
            start.elapsed() < CASE_LIMIT,
            "seed {seed} took {:?}\n{doc}",
            start.elapsed()
        );
        Ok(())
    });
    let (r, j, t) = (
        rendered.into_inner(),
        rejected.into_inner(),
        too_large.into_inner(),
    );
    eprintln!(
        "{cases} random specs: {r} rendered, {j} rejected with a path, {t} refused as too large"
    );
    result.unwrap();
    // The test exercises rendering, not only validation.
    assert!(r >= cases as usize / 4, "only {r} of {cases} rendered");
}

/// A small recording in a fresh cache; returns (cache root, spec, recording).
fn cached(root: &Path) -> (Spec, Recording) {
    let spec = Spec::default()
        .with_overrides([
            ("acquisition.frames", json!(6)),
            ("acquisition.fov_px", json!([32, 40])),
        ])
        .unwrap();
    let (rec, _) = simulate_cached_with(&spec, Some(root), &SimulateOptions::default()).unwrap();
    (spec, rec)
}

#[test]
fn random_damage_to_a_cache_entry_is_detected_and_healed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (spec, original) = cached(root);
    let entry = root.join(spec.cache_key());
    let (healed, harmless) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let cases = 60;
    let mut runner = TestRunner::new(config(cases, 0xcac4e));
    let result = runner.run(&any::<u64>(), |seed| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut files: Vec<_> = std::fs::read_dir(&entry)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let file = &files[rng.random_range(0..files.len())];
        let mut bytes = std::fs::read(file).unwrap();
        match rng.random_range(0..5) {
            0 | 1 => {
                let i = rng.random_range(0..bytes.len());
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            2 => bytes.truncate(rng.random_range(0..bytes.len())),
            3 => bytes.extend((0..rng.random_range(1..64)).map(|_| rng.random::<u8>())),
            _ => bytes.clear(),
        }
        std::fs::write(file, &bytes).unwrap();
        let (rec, outcome) = simulate_cached_with(&spec, Some(root), &SimulateOptions::default())
            .map_err(|e| TestCaseError::fail(format!("seed {seed}: {e}")))?;
        prop_assert_eq!(
            &rec,
            &original,
            "seed {}: a different recording was served",
            seed
        );
        match outcome {
            CacheOutcome::Healed { .. } => healed.fetch_add(1, Ordering::Relaxed),
            CacheOutcome::Hit => harmless.fetch_add(1, Ordering::Relaxed),
            CacheOutcome::Miss => return Err(TestCaseError::fail("the entry vanished")),
        };
        // After healing the entry verifies and holds the original again.
        let again = minisim::Recording::load(&entry)
            .map_err(|e| TestCaseError::fail(format!("seed {seed}: not healed: {e}")))?;
        prop_assert_eq!(&again, &original);
        Ok(())
    });
    let (h, n) = (healed.into_inner(), harmless.into_inner());
    eprintln!(
        "{cases} damaged entries: {h} detected and healed, {n} harmless (e.g. JSON whitespace)"
    );
    result.unwrap();
    assert!(
        h >= cases as usize * 3 / 4,
        "only {h} of {cases} damages detected"
    );
}

#[test]
fn random_damage_to_score_inputs_gives_an_error_or_a_finite_score() {
    use minisim::score::{Estimate, Options, PixelOrder, read_footprints, read_matrix, score};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_, rec) = cached(&dir.join("cache"));
    rec.save(&dir.join("rec")).unwrap();
    let (h, w) = (32, 40);
    let n = rec.truth.cells.len();
    let frames = 6;
    // The truth's own footprints (dense) and ΔF/F as an estimate.
    let fp = minisim::score::Footprints::from_csr(&rec.truth.footprints, h, w);
    let mut dense = vec![0f32; n * h * w];
    for (c, (idx, wts)) in fp.indices.iter().zip(&fp.weights).enumerate() {
        for (&p, &v) in idx.iter().zip(wts) {
            dense[c * h * w + p as usize] = v;
        }
    }
    let npy = |descr: &str, shape: &[u64], data: Vec<u8>| {
        let mut b = minisim_io::npy::header(descr, shape);
        b.extend(data);
        b
    };
    let fp_bytes = npy(
        "<f4",
        &[n as u64, h as u64, w as u64],
        dense.iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    let tr_bytes = npy(
        "<f4",
        &[n as u64, frames],
        rec.truth
            .calcium_dff
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
    );
    let (errors, scored) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let cases = 200;
    let mut runner = TestRunner::new(config(cases, 0x5c0e));
    let result = runner.run(&any::<u64>(), |seed| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mut a, mut b) = (fp_bytes.clone(), tr_bytes.clone());
        for _ in 0..rng.random_range(1..4) {
            let target = if rng.random_bool(0.5) { &mut a } else { &mut b };
            match rng.random_range(0..4) {
                // Header bytes are the most interesting to damage.
                0 => {
                    let i = rng.random_range(0..128.min(target.len()));
                    target[i] = rng.random();
                }
                1 => {
                    let i = rng.random_range(0..target.len());
                    target[i] ^= 1 << rng.random_range(0..8);
                }
                2 => target.truncate(rng.random_range(0..target.len())),
                _ => {
                    let i = rng.random_range(0..target.len());
                    let end = (i + 4).min(target.len());
                    target[i..end].copy_from_slice(&f32::NAN.to_le_bytes()[..end - i]);
                }
            }
        }
        let (fa, fb) = (
            dir.join(format!("fp-{seed}.npy")),
            dir.join(format!("tr-{seed}.npy")),
        );
        std::fs::write(&fa, &a).unwrap();
        std::fs::write(&fb, &b).unwrap();
        let est = read_footprints(&fa, h, w, PixelOrder::C).and_then(|footprints| {
            let traces = read_matrix(
                &fb,
                "traces",
                Some(footprints.len()),
                frames as usize,
                "traces",
            )?;
            Ok(Estimate {
                name: "damaged".into(),
                footprints,
                traces: Some(traces),
                spikes: None,
                shifts: None,
                vignette: None,
                leakage: None,
            })
        });
        let _ = std::fs::remove_file(&fa);
        let _ = std::fs::remove_file(&fb);
        match est.and_then(|e| score(&rec, &e, &Options::default())) {
            Ok(report) => {
                let json = serde_json::to_value(&report).unwrap();
                let mut finite = true;
                visit_numbers(&json, &mut |v| finite &= v.is_finite());
                prop_assert!(finite, "seed {}: non-finite score {}", seed, json);
                scored.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    });
    eprintln!(
        "{cases} damaged score inputs: {} errors, {} finite scores",
        errors.into_inner(),
        scored.into_inner()
    );
    result.unwrap();
}

fn visit_numbers(v: &Value, f: &mut impl FnMut(f64)) {
    match v {
        Value::Number(n) => f(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(a) => a.iter().for_each(|x| visit_numbers(x, f)),
        Value::Object(o) => o.values().for_each(|x| visit_numbers(x, f)),
        _ => {}
    }
}
