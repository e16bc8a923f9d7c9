//! `cargo xtask sweep` end to end: rows, cache keys, cache hits on a rerun, shards.

use std::path::Path;
use std::process::Command;

use minisim::Spec;
use serde_json::{Map, Value};

fn example(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/sweeps")
        .join(name)
}

fn run(args: &[&str], cache: &Path, out: &Path) -> Vec<Map<String, Value>> {
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("sweep")
        .args(args)
        .arg("--cache")
        .arg(cache)
        .arg("--out")
        .arg(out)
        .arg("--no-progress")
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The columns that depend only on the spec (not on timing or cache state).
fn stable(row: &Map<String, Value>) -> Map<String, Value> {
    row.iter()
        .filter(|(k, _)| !(k.ends_with("_s") || *k == "seconds" || *k == "cached"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn two_by_two_sweep_rows_keys_cache_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let file = example("na-by-indicator.json");
    let file = file.to_str().unwrap();
    let rows = run(&[file, "--jobs", "2"], &cache, &dir.path().join("a.jsonl"));
    assert_eq!(rows.len(), 4);
    // Keys equal the plain specs with the same overrides (what `validate --set` prints).
    let base: Value = serde_json::from_str::<Value>(&std::fs::read_to_string(file).unwrap())
        .unwrap()["base"]
        .clone();
    let base = Spec::from_value(base).unwrap();
    let expected = [
        ("0.25", "gcamp6f"),
        ("0.25", "gcamp8m"),
        ("0.45", "gcamp6f"),
        ("0.45", "gcamp8m"),
    ];
    for (row, (na, ind)) in rows.iter().zip(expected) {
        let spec = base
            .with_assignment(&format!("acquisition.optics.na={na}"))
            .unwrap()
            .with_assignment(&format!("steps.calcium.indicator={ind}"))
            .unwrap();
        assert_eq!(row["cache_key"], Value::String(spec.cache_key()));
        assert_eq!(row["steps.calcium.indicator"], Value::String(ind.into()));
        assert_eq!(row["cached"], Value::Bool(false));
        assert!(row["cells_in_fov"].as_u64().unwrap() > 0);
        assert!(row["median_pnr_in_focus"].as_f64().unwrap() > 0.0);
        assert!(row["composite_s"].as_f64().unwrap() >= 0.0);
        let util = row["adc_utilisation"].as_f64().unwrap();
        assert!(util > 0.0 && util <= 1.0);
    }
    // A rerun is served from the cache, with the same metrics.
    let again = run(&[file], &cache, &dir.path().join("b.jsonl"));
    assert!(again.iter().all(|r| r["cached"] == Value::Bool(true)));
    assert_eq!(
        again.iter().map(stable).collect::<Vec<_>>(),
        rows.iter().map(stable).collect::<Vec<_>>()
    );
    // Shards 1/2 and 2/2 together are the whole sweep, disjointly.
    let mut sharded = run(
        &[file, "--shard", "1/2"],
        &cache,
        &dir.path().join("s1.jsonl"),
    );
    let second = run(
        &[file, "--shard", "2/2"],
        &cache,
        &dir.path().join("s2.jsonl"),
    );
    assert_eq!(sharded.len() + second.len(), 4);
    sharded.extend(second);
    sharded.sort_by_key(|r| r["point"].as_u64().unwrap());
    assert_eq!(
        sharded.iter().map(stable).collect::<Vec<_>>(),
        rows.iter().map(stable).collect::<Vec<_>>()
    );
}

#[test]
fn csv_output_has_a_header_and_one_line_per_point() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "sweep",
            example("na-by-indicator.json").to_str().unwrap(),
            "--no-progress",
            "--shard",
            "2/4",
            "--out",
        ])
        .arg(&out)
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with(
        "point,acquisition.optics.na,steps.calcium.indicator,cache_key,model_version,host,cached,"
    ));
    assert!(lines[1].starts_with("1,0.25,gcamp8m,"));
}

#[test]
fn bad_sweeps_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"base": "quick", "axes": [{"path": "steps.calcium.decay", "values": [1]}]}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["sweep"])
        .arg(&bad)
        .arg("--no-progress")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("steps.calcium.decay: unknown field `decay`"),
        "{err}"
    );
    // An invalid combination is that point's error; the others run.
    std::fs::write(&bad, r#"{"base": {"acquisition": {"frames": 5, "fov_px": [24, 24]}}, "axes": [{"path": "acquisition.optics.na", "values": [0.3, 2.0]}]}"#).unwrap();
    let rows = dir.path().join("rows.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["sweep"])
        .arg(&bad)
        .args(["--no-progress", "--out"])
        .arg(&rows)
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&rows).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows[0].get("error").is_none());
    assert!(
        rows[1]["error"]
            .as_str()
            .unwrap()
            .contains("acquisition.optics.na")
    );
}

#[test]
fn every_example_sweep_file_loads() {
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sweeps")).unwrap()
    {
        let path = entry.unwrap().path();
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["sweep"])
            .arg(&path)
            .args(["--shard", "1/1000", "--no-progress", "--out"])
            .arg(
                std::env::temp_dir()
                    .join(format!("minisim-sweep-check-{}.jsonl", std::process::id())),
            )
            .arg("--cache")
            .arg(
                std::env::temp_dir()
                    .join(format!("minisim-sweep-check-cache-{}", std::process::id())),
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
