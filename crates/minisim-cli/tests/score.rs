//! `minisim-cli score` and `export-rois` end to end, and agreement with Python's
//! `neurofinder` (skipped when python3 with neurofinder is missing, unless
//! MINISIM_REQUIRE_READERS is set — CI sets it and installs neurofinder).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::cli;

use minisim::score::{Footprints, Options};
use minisim::{Persist, Recording};
use ndarray::Array3;
use ndarray_npy::WriteNpyExt;
use serde_json::Value;

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A recording plus an imperfect estimate: two thirds of the true regions (every
/// fourth moved 3 px right), and four square false positives.
fn setup(dir: &Path) -> Recording {
    ok(cli(
        dir,
        &[
            "simulate",
            "--set",
            "acquisition.fov_px=[96,96]",
            "--set",
            "acquisition.frames=200",
            "-o",
            "rec",
        ],
    ));
    let rec = Recording::load(&dir.join("rec")).unwrap();
    let (h, w) = (96, 96);
    let truth = Footprints::from_csr(&rec.truth.footprints, h, w);
    let (ids, _) = minisim::score::truth_regions(&rec, minisim::score::Truth::Core, 0.9);
    let keep: Vec<usize> = ids.iter().copied().filter(|c| c % 3 != 0).collect();
    let mut est = Array3::<f32>::zeros((keep.len() + 4, h, w));
    for (k, &c) in keep.iter().enumerate() {
        let dx = if k % 4 == 0 { 3 } else { 0 };
        for (&p, &v) in truth.indices[c].iter().zip(&truth.weights[c]) {
            let (y, x) = (p as usize / w, p as usize % w + dx);
            if x < w {
                est[[k, y, x]] = v;
            }
        }
    }
    for f in 0..4 {
        for y in 0..5 {
            for x in 0..5 {
                est[[keep.len() + f, 10 + 20 * f + y, 90 + x - 5]] = 1.0;
            }
        }
    }
    est.write_npy(std::fs::File::create(dir.join("est.npy")).unwrap())
        .unwrap();
    rec
}

#[test]
fn score_prints_a_table_writes_json_and_agrees_with_the_library() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rec = setup(dir);
    let table = ok(cli(
        dir,
        &[
            "score",
            "rec",
            "--footprints",
            "est.npy",
            "--json",
            "s.json",
        ],
    ));
    for row in ["yours", "oracle", "threshold-roi", "neurofinder"] {
        assert!(table.contains(row), "{table}");
    }
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("s.json")).unwrap()).unwrap();
    let reports = doc["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 3);
    // The CLI's numbers are the library's.
    let est =
        minisim::score::read_footprints(&dir.join("est.npy"), 96, 96, Default::default()).unwrap();
    let lib = minisim::score::score(
        &rec,
        &minisim::score::Estimate {
            name: "yours".into(),
            footprints: est,
            ..Default::default()
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(reports[0]["precision"].as_f64(), Some(lib.precision));
    assert_eq!(reports[0]["recall"].as_f64(), Some(lib.recall));
    assert!(lib.precision < 1.0 && lib.recall < 1.0 && lib.matched > 0);
    // Oracle: F1 1 on detectable cells.
    assert_eq!(reports[1]["f1_detectable"].as_f64(), Some(1.0));
    // Deterministic: a second run writes the same JSON.
    ok(cli(
        dir,
        &[
            "score",
            "rec",
            "--footprints",
            "est.npy",
            "--json",
            "t.json",
        ],
    ));
    assert_eq!(
        std::fs::read(dir.join("s.json")).unwrap(),
        std::fs::read(dir.join("t.json")).unwrap()
    );
}

#[test]
fn bad_inputs_exit_2_naming_both_shapes_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    ndarray::Array2::<f64>::zeros((3, 200))
        .write_npy(std::fs::File::create(dir.join("traces.npy")).unwrap())
        .unwrap();
    let out = cli(
        dir,
        &[
            "score",
            "rec",
            "--footprints",
            "est.npy",
            "--traces",
            "traces.npy",
            "--json",
            "s.json",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("traces.npy") && err.contains("[3, 200]") && err.contains(", 200)"),
        "{err}"
    );
    assert!(!dir.join("s.json").exists());
    let out = cli(dir, &["score", "est.npy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a recording directory"));
    let out = cli(dir, &["score", "rec", "--iou-threshold", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("iou_threshold"));
    let out = cli(dir, &["export-rois", "rec", "-o", "no-dir/r.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("no-dir").exists());
}

fn neurofinder_ready() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import numpy; numpy.NaN = numpy.nan; import neurofinder",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("MINISIM_REQUIRE_READERS").is_some() {
        panic!("MINISIM_REQUIRE_READERS is set but python3 with neurofinder is not available");
    }
    ok
}

#[test]
fn neurofinder_agrees_with_minisim_score_on_exported_regions() {
    if !neurofinder_ready() {
        eprintln!("skipped: python3 with neurofinder not found (pip install neurofinder)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    ok(cli(dir, &["export-rois", "rec", "-o", "truth.json"]));
    ok(cli(
        dir,
        &[
            "export-rois",
            "rec",
            "--footprints",
            "est.npy",
            "-o",
            "est.json",
        ],
    ));
    ok(cli(
        dir,
        &[
            "score",
            "rec",
            "--footprints",
            "est.npy",
            "--json",
            "s.json",
        ],
    ));
    let regions: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    assert!(regions.as_array().unwrap().len() > 10);
    assert!(regions[0]["coordinates"][0].as_array().unwrap().len() == 2);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/neurofinder_check.py"
    );
    let out = Command::new("python3")
        .args([script, "truth.json", "est.json", "s.json", "yours"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    // Negative control: neurofinder on (truth, truth) scores 1, which is not what
    // `yours` scored, so the script must report a disagreement.
    let out = Command::new("python3")
        .args([script, "truth.json", "truth.json", "s.json", "yours"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn import_translates_a_py_minisim_spec_and_reports_unmapped_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/py-minisim/readme-example.json"
    );
    let out = cli(dir, &["import", example, "-o", "ours.json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("not mapped: acquisition.focal_depth_in_tissue_um"),
        "{err}"
    );
    // The result is a valid minisim spec with the same key as the library's import.
    let text = std::fs::read_to_string(dir.join("ours.json")).unwrap();
    let spec = minisim::Spec::from_json(&text).unwrap();
    let lib =
        minisim::Spec::from_py_minisim_json(&std::fs::read_to_string(example).unwrap()).unwrap();
    assert_eq!(spec.cache_key(), lib.spec.cache_key());
    ok(cli(dir, &["validate", "ours.json", "--key"]));
    // Bad input: exit 2, the path and field named, nothing written.
    std::fs::write(
        dir.join("bad.json"),
        r#"{"steps": [{"kind": "sensor", "photons_per_unit": -1}]}"#,
    )
    .unwrap();
    let out = cli(dir, &["import", "bad.json", "-o", "bad-ours.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("photons_per_unit"),
        "{err}"
    );
    assert!(!dir.join("bad-ours.json").exists());
}
