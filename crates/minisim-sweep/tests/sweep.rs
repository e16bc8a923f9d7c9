//! The sweep runner end to end on tiny specs: shards, run directories, gather, resume
//! after a torn write, and the sbatch script against its golden file.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use minisim_sweep::slurm::{ScriptInput, SlurmOptions, script};
use minisim_sweep::{
    Plan, REPRODUCIBLE, Row, RunDir, RunOptions, Shard, SweepError, gather, run, run_shard_into,
};

/// A 2×3 sweep of 24×24 px × 8-frame recordings (milliseconds per point).
const SWEEP: &str = r#"{
  "base": {
    "seed": 3,
    "acquisition": { "frames": 8, "fov_px": [24, 24] },
    "steps": [
      { "kind": "place_neurons", "density_per_mm3": 40000 },
      { "kind": "spikes", "rate_median_hz": 1.0 },
      { "kind": "calcium" },
      { "kind": "composite" },
      { "kind": "neuropil" },
      { "kind": "photon_field" },
      { "kind": "digitize", "bit_depth": 10, "gain_dn_per_e": 1.0 }
    ]
  },
  "axes": [
    { "path": "acquisition.optics.na", "values": [0.25, 0.45] },
    { "path": "seed", "values": [0, 1, 2] }
  ]
}"#;

fn plan() -> Plan {
    Plan::parse(SWEEP, Path::new("test-sweep.json")).unwrap()
}

/// The reproducible columns and axis values of a row.
fn key(row: &Row, plan: &Plan) -> Vec<String> {
    REPRODUCIBLE
        .iter()
        .map(|c| c.to_string())
        .chain(plan.axes.iter().map(|a| a.path.clone()))
        .map(|c| format!("{c}={}", row.get(&c).cloned().unwrap_or_default()))
        .collect()
}

fn keys(rows: &[Row], plan: &Plan) -> Vec<Vec<String>> {
    rows.iter().map(|r| key(r, plan)).collect()
}

#[test]
fn sharded_runs_gather_to_the_unsharded_rows() {
    let plan = plan();
    assert_eq!(plan.points(), 6);
    let tmp = tempfile::tempdir().unwrap();
    let local_cache = tmp.path().join("cache-local");
    let local = run(
        &plan,
        &RunOptions {
            cache: Some(&local_cache),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(local.len(), 6);
    for (i, r) in local.iter().enumerate() {
        assert_eq!(r["point"], i);
        assert!(!r.contains_key("error"), "{r:?}");
        assert_eq!(r["model_version"], minisim_spec::MODEL_VERSION);
        assert!(r["mean_counts"].as_f64().unwrap() > 0.0);
    }
    // Distinct seeds give distinct recordings.
    assert_ne!(local[0]["cache_key"], local[1]["cache_key"]);
    // Axis values in sweep order, first axis slowest.
    assert_eq!(local[3]["acquisition.optics.na"], 0.45);
    assert_eq!(local[3]["seed"], 0);

    for n in 1..=4 {
        let dir = RunDir::create(&tmp.path().join(format!("run-{n}")), &plan, n).unwrap();
        let cache = tmp.path().join(format!("cache-{n}"));
        for k in (1..=n).rev() {
            let report = run_shard_into(
                &dir,
                &RunOptions {
                    shard: Shard::new(k, n).unwrap(),
                    jobs: 2,
                    cache: Some(&cache),
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(report.skipped, 0);
            assert!(report.failed.is_empty());
        }
        let g = gather(&dir).unwrap();
        assert!(g.complete(), "{n} shards: missing {:?}", g.missing);
        assert!(g.duplicates.is_empty() && g.problems.is_empty());
        assert_eq!(keys(&g.rows, &plan), keys(&local, &plan), "{n} shards");
    }
}

#[test]
fn gather_names_a_missing_shard_and_resume_fills_it() {
    let plan = plan();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let dir = RunDir::create(&tmp.path().join("run"), &plan, 3).unwrap();
    for k in [1, 3] {
        run_shard_into(
            &dir,
            &RunOptions {
                shard: Shard::new(k, 3).unwrap(),
                cache: Some(&cache),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let g = gather(&dir).unwrap();
    assert!(!g.complete());
    assert_eq!(g.missing, vec![1, 4]);
    assert_eq!(g.incomplete_shards, vec![2]);
    assert_eq!(g.rows.len(), 4);

    // Re-running a finished shard skips its points and writes nothing twice.
    let again = run_shard_into(
        &dir,
        &RunOptions {
            shard: Shard::new(1, 3).unwrap(),
            cache: Some(&cache),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((again.skipped, again.written), (2, 0));

    run_shard_into(
        &dir,
        &RunOptions {
            shard: Shard::new(2, 3).unwrap(),
            cache: Some(&cache),
            ..Default::default()
        },
    )
    .unwrap();
    let g = gather(&dir).unwrap();
    assert!(g.complete() && g.duplicates.is_empty(), "{g:?}");
}

#[test]
fn a_torn_row_counts_as_missing_and_the_next_run_replaces_it() {
    let plan = plan();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let dir = RunDir::create(&tmp.path().join("run"), &plan, 2).unwrap();
    let shard = RunOptions {
        shard: Shard::new(1, 2).unwrap(),
        cache: Some(&cache),
        ..Default::default()
    };
    run_shard_into(&dir, &shard).unwrap();
    // Simulate a task killed inside the write of its last row: cut the file mid-line.
    let file = dir.rows_file(1);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let torn = format!(
        "{}\n{}\n{}",
        lines[0],
        lines[1],
        &lines[2][..lines[2].len() / 2]
    );
    std::fs::write(&file, torn).unwrap();

    let g = gather(&dir).unwrap();
    assert_eq!(g.rows.iter().filter(|r| r["point"] == 4).count(), 0);
    assert!(g.missing.contains(&4), "{:?}", g.missing);
    assert!(
        g.problems.iter().any(|p| p.contains("unterminated")),
        "{:?}",
        g.problems
    );

    let report = run_shard_into(&dir, &shard).unwrap();
    assert_eq!((report.skipped, report.written), (2, 1));
    let read = dir.read_shard(1).unwrap();
    assert!(!read.torn && read.corrupt.is_empty());
    assert_eq!(read.rows.len(), 3);
}

#[test]
fn gather_reports_duplicates_and_refuses_disagreeing_rows() {
    let plan = plan();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let dir = RunDir::create(&tmp.path().join("run"), &plan, 2).unwrap();
    for k in 1..=2 {
        run_shard_into(
            &dir,
            &RunOptions {
                shard: Shard::new(k, 2).unwrap(),
                cache: Some(&cache),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let first_line = std::fs::read_to_string(dir.rows_file(1))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let append = |line: &str| {
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.rows_file(2))
            .unwrap();
        writeln!(f, "{line}").unwrap();
    };
    // The same row again (e.g. two tasks ran the same shard): reported, kept once.
    append(&first_line);
    let g = gather(&dir).unwrap();
    assert!(g.complete());
    assert_eq!(g.rows.len(), 6);
    assert_eq!(g.duplicates.len(), 1);
    assert_eq!(g.duplicates[0].point, 0);
    assert_eq!(g.duplicates[0].places.len(), 2);
    assert!(g.problems.iter().any(|p| p.contains("belongs to shard 1")));

    // A row for the same point with other metrics: an error naming point and column.
    let mut row: Row = serde_json::from_str(&first_line).unwrap();
    row.insert("mean_counts".into(), serde_json::json!(-1.0));
    append(&serde_json::to_string(&row).unwrap());
    let e = gather(&dir).unwrap_err();
    assert!(matches!(e, SweepError::Conflict { point: 0, .. }), "{e}");
    assert!(e.to_string().contains("mean_counts"), "{e}");
}

#[test]
fn run_directories_refuse_a_different_sweep_or_shard_count() {
    let plan = plan();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("run");
    RunDir::create(&path, &plan, 3).unwrap();
    // Same plan, same shards: reopened.
    assert_eq!(
        RunDir::open_or_create(&path, &plan, Some(3))
            .unwrap()
            .shards(),
        3
    );
    let e = RunDir::open_or_create(&path, &plan, Some(2)).unwrap_err();
    assert!(e.to_string().contains("3 shards"), "{e}");
    let other = Plan::parse(&SWEEP.replace("0.45", "0.5"), Path::new("other.json")).unwrap();
    let e = RunDir::open_or_create(&path, &other, None).unwrap_err();
    assert!(e.to_string().contains("different sweep"), "{e}");
    let e = RunDir::create(&path, &plan, 3).unwrap_err();
    assert!(e.to_string().contains("already holds a run"), "{e}");
    // A directory with other files is not taken over.
    let busy = tmp.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let e = RunDir::create(&busy, &plan, 1).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    assert_eq!(
        std::fs::read_to_string(busy.join("notes.txt")).unwrap(),
        "mine"
    );
    // A run of another model version is refused.
    let meta = path.join("run.json");
    let text = std::fs::read_to_string(&meta).unwrap().replace(
        &format!("\"model_version\": {}", minisim_spec::MODEL_VERSION),
        "\"model_version\": 1",
    );
    std::fs::write(&meta, text).unwrap();
    let e = RunDir::open(&path).unwrap_err();
    assert!(e.to_string().contains("model version 1"), "{e}");
    // A shard of the wrong count is refused by the runner.
    let dir2 = RunDir::create(&tmp.path().join("run2"), &plan, 2).unwrap();
    let e = run_shard_into(
        &dir2,
        &RunOptions {
            shard: Shard::new(1, 3).unwrap(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("K/2"), "{e}");
}

#[test]
fn bad_sweep_files_name_the_file_and_path() {
    let e = Plan::parse("{\"base\": \"quick\", \"axes\": [", Path::new("s.json")).unwrap_err();
    assert!(
        matches!(e, SweepError::Parse { .. }) && e.to_string().starts_with("s.json"),
        "{e}"
    );
    let e = Plan::parse(r#"{"base": "nope"}"#, Path::new("s.json")).unwrap_err();
    assert!(e.to_string().contains("s.json: base"), "{e}");
    let e = Plan::parse(
        r#"{"base": "quick", "axes": [{"path": "steps.calcium.nope", "values": [1]}]}"#,
        Path::new("s.json"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("steps.calcium.nope"), "{e}");
    let e = Plan::load(Path::new("/nonexistent/sweep.json")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/sweep.json"), "{e}");
    // An invalid combination is that point's error, not the sweep's.
    let plan = Plan::parse(
        r#"{"base": "quick", "axes": [{"path": "acquisition.optics.na", "values": [-1]}]}"#,
        Path::new("s.json"),
    )
    .unwrap();
    let rows = run(&plan, &RunOptions::default()).unwrap();
    assert!(
        rows[0]["error"]
            .as_str()
            .unwrap()
            .contains("acquisition.optics.na")
    );
}

#[test]
fn the_sbatch_script_matches_its_golden_file() {
    let options = SlurmOptions {
        partition: Some("cpu".into()),
        time: Some("02:00:00".into()),
        cpus_per_task: 2,
        mem: Some("8G".into()),
        ..Default::default()
    };
    let input = ScriptInput {
        exe: Path::new("/opt/minisim/bin/minisim-cli"),
        run_dir: Path::new("/shared/runs/na-by-seed"),
        cache: Path::new("/shared/cache/minisim"),
        points: 6,
        shards: 3,
        tasks: &[1, 2, 3],
        options: &options,
    };
    let full = script(&input).unwrap();
    minisim_testkit::assert_golden(
        &minisim_testkit::golden_path(env!("CARGO_MANIFEST_DIR"), "sweep-3-shards.sbatch"),
        &full,
    );
    let resume = script(&ScriptInput {
        tasks: &[2],
        ..input
    })
    .unwrap();
    assert!(resume.contains("#SBATCH --array=2\n"), "{resume}");
    let defaults = script(&ScriptInput {
        options: &SlurmOptions::default(),
        ..input
    })
    .unwrap();
    minisim_testkit::assert_golden(
        &minisim_testkit::golden_path(env!("CARGO_MANIFEST_DIR"), "sweep-defaults.sbatch"),
        &defaults,
    );
    let e = script(&ScriptInput {
        run_dir: Path::new("relative/run"),
        ..input
    })
    .unwrap_err();
    assert!(e.to_string().contains("absolute"), "{e}");
}
