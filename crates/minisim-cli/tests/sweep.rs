//! `minisim-cli sweep` end to end: rows to a file, run directories and gather, the
//! sbatch script of --dry-run, --resume bookkeeping, and nothing left behind on failure.
//! (A live Slurm cluster is exercised by `.ci/slurm-sweep`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")).join(name)
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args(args)
        .current_dir(dir)
        .env("MINISIM_CACHE", dir.join("cache"))
        // No Slurm here: sbatch and squeue are not found.
        .env("PATH", "/nonexistent")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The columns that must agree between two runs of the same points.
fn reproducible(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let header = &rows[0];
    let keep: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c.as_str(), "host" | "cached" | "seconds") && !c.ends_with("_s"))
        .map(|(i, _)| i)
        .collect();
    rows.iter()
        .map(|r| keep.iter().map(|&i| r[i].clone()).collect())
        .collect()
}

#[test]
fn a_run_directory_gathers_to_the_rows_of_a_plain_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let sweep = data("sweep-tiny.json");
    let sweep = sweep.to_str().unwrap();
    let plain = cli(d, &["sweep", sweep, "--out", "plain.csv", "--jobs", "2"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    let plain_rows = csv_rows(&d.join("plain.csv"));
    assert_eq!(plain_rows.len(), 7);
    assert!(plain_rows[0].starts_with(&[
        "point".into(),
        "steps.digitize.gain_dn_per_e".into(),
        "seed".into(),
        "cache_key".into(),
        "model_version".into(),
        "host".into(),
    ]));

    // Shards 3 and 1 of 3 into a run directory: gather names what shard 2 lacks and
    // writes nothing.
    for k in ["3/3", "1/3"] {
        let o = cli(d, &["sweep", sweep, "--run-dir", "run", "--shard", k]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = cli(d, &["sweep", "gather", "run", "--out", "rows.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 of 6 points have no row: 1, 4 (shard(s) 2 of 3)"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("rows.csv").exists());
    let o = cli(
        d,
        &[
            "sweep",
            "gather",
            "run",
            "--out",
            "some.csv",
            "--allow-missing",
        ],
    );
    assert!(o.status.success());
    assert_eq!(csv_rows(&d.join("some.csv")).len(), 5);

    // A shard count other than the run's is refused; the whole run without --shard
    // fills in the missing shard only.
    let o = cli(d, &["sweep", sweep, "--run-dir", "run", "--shard", "1/2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the run has 3 shards, not 2"),
        "{}",
        stderr(&o)
    );
    let o = cli(d, &["sweep", sweep, "--run-dir", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 point(s) written, 4 already had rows"),
        "{}",
        stderr(&o)
    );
    let o = cli(d, &["sweep", "gather", "run", "--out", "rows.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        reproducible(&csv_rows(&d.join("rows.csv"))),
        reproducible(&plain_rows)
    );
}

#[test]
fn dry_run_prints_the_script_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let sweep = data("sweep-tiny.json");
    let o = cli(
        d,
        &[
            "sweep",
            sweep.to_str().unwrap(),
            "--slurm",
            "--run-dir",
            "run",
            "--array-size",
            "3",
            "--cpus-per-task",
            "2",
            "--time",
            "01:00:00",
            "--dry-run",
            "--exe",
            "/opt/minisim-cli",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let script = String::from_utf8_lossy(&o.stdout);
    let run = std::path::absolute(d.join("run")).unwrap();
    let run = run.to_str().unwrap();
    for line in [
        "#SBATCH --array=1-3".to_owned(),
        "#SBATCH --cpus-per-task=2".into(),
        "#SBATCH --time=01:00:00".into(),
        format!("#SBATCH --output={run}/logs/%A_%a.out"),
        format!("exec /opt/minisim-cli sweep {run}/sweep.json --run-dir {run} --cache"),
        "--shard \"${SLURM_ARRAY_TASK_ID}/3\" --jobs 2".into(),
    ] {
        assert!(script.contains(&line), "{line} not in\n{script}");
    }
    assert!(
        !d.join("run").exists(),
        "--dry-run created the run directory"
    );
}

#[test]
fn a_failed_submission_leaves_no_run_and_resume_needs_one() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let sweep = data("sweep-tiny.json");
    let sweep = sweep.to_str().unwrap();
    let o = cli(d, &["sweep", sweep, "--slurm", "--run-dir", "run"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("sbatch not found on PATH"),
        "{}",
        stderr(&o)
    );
    assert!(
        !d.join("run").exists(),
        "a failed submission left its run directory"
    );

    let o = cli(
        d,
        &["sweep", sweep, "--slurm", "--run-dir", "run", "--resume"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no run to resume"), "{}", stderr(&o));

    // A complete local run: --resume has nothing to submit (no Slurm needed to say so).
    let o = cli(d, &["sweep", sweep, "--run-dir", "run", "--shard", "1/2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = cli(d, &["sweep", sweep, "--slurm", "--run-dir", "run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already holds a run"), "{}", stderr(&o));
    let o = cli(
        d,
        &[
            "sweep",
            sweep,
            "--slurm",
            "--run-dir",
            "run",
            "--resume",
            "--dry-run",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("#SBATCH --array=2\n"));
    // A different sweep into the same run directory is refused.
    let other = d.join("other.json");
    std::fs::write(
        &other,
        std::fs::read_to_string(sweep)
            .unwrap()
            .replace("[0, 1, 2]", "[0, 1, 3]"),
    )
    .unwrap();
    let o = cli(d, &["sweep", other.to_str().unwrap(), "--run-dir", "run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("different sweep"), "{}", stderr(&o));
    let o = cli(d, &["sweep", "gather", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a run directory"),
        "{}",
        stderr(&o)
    );
}

/// With a stand-in `sbatch` and `squeue` on PATH: the submission records its job and
/// Slurm settings, and `--resume` reuses them (cache and executable included) unless
/// given again.
#[test]
fn resume_reuses_the_first_submissions_settings() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bin = d.join("bin");
    std::fs::create_dir(&bin).unwrap();
    // No other program is on PATH: the stand-ins use shell builtins only.
    let sbatch = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\necho 4242\n",
        bin.join("sbatch.log").display()
    );
    for (name, body) in [
        ("sbatch", sbatch.as_str()),
        ("squeue", "#!/bin/sh\nexit 0\n"),
    ] {
        let p = bin.join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
            .args(args)
            .current_dir(d)
            .env("MINISIM_CACHE", d.join("cache"))
            .env("PATH", &bin)
            .output()
            .unwrap()
    };
    let sweep = data("sweep-tiny.json");
    let sweep = sweep.to_str().unwrap();
    let o = run(&[
        "sweep",
        sweep,
        "--slurm",
        "--run-dir",
        "run",
        "--array-size",
        "3",
        "--time",
        "01:00:00",
        "--mem",
        "2G",
        "--partition",
        "cpu",
        "--cpus-per-task",
        "2",
        "--cache",
        "shared-cache",
        "--exe",
        "/opt/minisim-cli",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "4242");
    let log = std::fs::read_to_string(bin.join("sbatch.log")).unwrap();
    assert!(
        log.starts_with("--parsable ") && log.contains("slurm-1.sbatch"),
        "{log}"
    );
    let jobs = std::fs::read_to_string(d.join("run/jobs.jsonl")).unwrap();
    assert!(
        jobs.contains("\"job_id\":\"4242\"") && jobs.contains("\"array\":\"1-3\""),
        "{jobs}"
    );

    // Shard 1 done here; a resume without options resubmits shards 2 and 3 as before.
    let o = run(&[
        "sweep",
        sweep,
        "--run-dir",
        "run",
        "--shard",
        "1/3",
        "--cache",
        "shared-cache",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "sweep",
        sweep,
        "--slurm",
        "--run-dir",
        "run",
        "--resume",
        "--dry-run",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let script = String::from_utf8_lossy(&o.stdout);
    let cache = std::path::absolute(d.join("shared-cache")).unwrap();
    for line in [
        "#SBATCH --array=2-3\n".to_owned(),
        "#SBATCH --time=01:00:00\n".into(),
        "#SBATCH --mem=2G\n".into(),
        "#SBATCH --partition=cpu\n".into(),
        "#SBATCH --cpus-per-task=2\n".into(),
        "exec /opt/minisim-cli sweep".to_owned(),
        format!("--cache {}", cache.display()),
    ] {
        assert!(script.contains(&line), "{line:?} not in\n{script}");
    }
    // An option given again wins.
    let o = run(&[
        "sweep",
        sweep,
        "--slurm",
        "--run-dir",
        "run",
        "--resume",
        "--dry-run",
        "--time",
        "04:00:00",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("#SBATCH --time=04:00:00\n"));
    // A real resume submits and records the second job.
    let o = run(&["sweep", sweep, "--slurm", "--run-dir", "run", "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("run/slurm-2.sbatch").exists());
    assert_eq!(
        std::fs::read_to_string(d.join("run/jobs.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
}
