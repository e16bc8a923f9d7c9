//! Golden tests of the command line: for each bad input, the exit code and the exact
//! message (stderr) are compared with `tests/golden/<case>.txt`. Commands run inside
//! `tests/data` so paths in messages are short and stable. Refresh with UPDATE_EXPECT=1.

use std::path::Path;
use std::process::{Command, Output};

fn data_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args(args)
        .current_dir(data_dir())
        .env(
            "MINISIM_CACHE",
            std::env::temp_dir().join(format!("minisim-cli-test-cache-{}", std::process::id())),
        )
        .output()
        .unwrap()
}

/// (case name, arguments, expected exit code)
const CASES: &[(&str, &[&str], i32)] = &[
    ("malformed-json", &["validate", "malformed.json"], 2),
    ("unknown-field", &["validate", "unknown-field.json"], 2),
    ("wrong-type", &["validate", "wrong-type.json"], 2),
    ("negative-value", &["validate", "negative.json"], 2),
    (
        "rule-broken",
        &["render", "decay-below-rise.json", "-o", "x.avi"],
        2,
    ),
    (
        "unknown-scope",
        &["validate", "--preset", "miniscope-v9+ca1"],
        2,
    ),
    ("missing-file", &["render", "nope.json", "-o", "x.avi"], 2),
    (
        "unwritable-output-dir",
        &[
            "render",
            "--preset",
            "quick",
            "-o",
            "not-a-dir/x.avi",
            "--no-progress",
        ],
        1,
    ),
    (
        "missing-output-dir",
        &[
            "render",
            "--preset",
            "quick",
            "-o",
            "no-such-dir/x.avi",
            "--no-progress",
        ],
        1,
    ),
    (
        "unknown-stage",
        &[
            "simulate", "--preset", "quick", "--until", "blur", "-o", "out",
        ],
        2,
    ),
    (
        "stage-not-in-spec",
        &[
            "simulate",
            "sensorless.json",
            "--until",
            "digitize",
            "-o",
            "out",
        ],
        2,
    ),
    (
        "unknown-preset",
        &["render", "--preset", "ucla-v9", "-o", "x.avi"],
        2,
    ),
    (
        "bad-set-path",
        &["validate", "--set", "steps.calcium.decay=3"],
        2,
    ),
    (
        "bad-set-kind",
        &["validate", "--set", "steps.blur.sigma=3"],
        2,
    ),
    (
        "bad-set-value",
        &["validate", "--set", "acquisition.optics.na=2"],
        2,
    ),
    (
        "unknown-codec",
        &[
            "render", "--preset", "quick", "-o", "x.avi", "--codec", "XVID",
        ],
        2,
    ),
    (
        "unknown-format",
        &["render", "--preset", "quick", "-o", "x.gif"],
        2,
    ),
    (
        "spec-and-preset",
        &["validate", "negative.json", "--preset", "quick"],
        2,
    ),
    ("missing-output-flag", &["render"], 2),
    ("bad-gc-size", &["cache", "gc", "--max-size", "lots"], 2),
    ("sweep-bad-axis", &["sweep", "sweep-bad-axis.json"], 2),
    ("sweep-not-a-sweep", &["sweep", "negative.json"], 2),
    ("sweep-missing-file", &["sweep", "nope.json"], 2),
    (
        "sweep-bad-out",
        &["sweep", "sweep-tiny.json", "--out", "rows.txt"],
        2,
    ),
    (
        "sweep-slurm-needs-run-dir",
        &["sweep", "sweep-tiny.json", "--slurm"],
        2,
    ),
    (
        "sweep-bad-time",
        &[
            "sweep",
            "sweep-tiny.json",
            "--slurm",
            "--run-dir",
            "run",
            "--time",
            "2h",
        ],
        2,
    ),
    (
        "sweep-too-many-tasks",
        &[
            "sweep",
            "sweep-tiny.json",
            "--slurm",
            "--run-dir",
            "run",
            "--array-size",
            "7",
            "--dry-run",
        ],
        2,
    ),
];

#[test]
fn golden_errors() {
    let golden = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"));
    let mut failures = Vec::new();
    for (name, args, code) in CASES {
        let out = cli(args);
        let actual = format!(
            "$ minisim-cli {}\nexit {}\n{}",
            args.join(" "),
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(*code), "{name}: {actual}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{name}: {stderr}"
        );
        if let Err(e) = minisim_testkit::check(&golden.join(format!("{name}.txt")), &actual) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing was written by the failing commands.
    for leftover in ["x.avi", "x.gif", "out", "rows.txt", "run"] {
        assert!(
            !data_dir().join(leftover).exists(),
            "{leftover} left behind"
        );
    }
}

#[test]
fn validate_prints_the_canonical_spec_and_key() {
    let out = cli(&[
        "validate",
        "--set",
        "steps.calcium.decay_ms=400",
        "--set",
        "seed=3",
    ]);
    assert!(out.status.success());
    let spec = minisim::Spec::from_json(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let expected = minisim::Spec::default()
        .with_assignment("steps.calcium.decay_ms=400")
        .unwrap()
        .with_assignment("seed=3")
        .unwrap();
    assert_eq!(spec, expected);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&expected.cache_key()));
    let key = cli(&[
        "validate",
        "--key",
        "--set",
        "steps.calcium.decay_ms=400",
        "--set",
        "seed=3",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&key.stdout).trim(),
        expected.cache_key()
    );
}

#[test]
fn presets_list_and_show() {
    let out = cli(&["presets", "list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for p in minisim::PRESETS {
        assert!(text.contains(p.name));
    }
    let show = cli(&["presets", "show", "quick"]);
    assert_eq!(
        minisim::Spec::from_json(&String::from_utf8_lossy(&show.stdout)).unwrap(),
        minisim::Spec::preset("quick").unwrap()
    );
}

#[test]
fn simulate_writes_a_loadable_recording_and_render_a_video() {
    use minisim::Persist;
    let dir = tempfile::tempdir().unwrap();
    let rec_dir = dir.path().join("rec");
    let out = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args([
            "simulate",
            "--preset",
            "quick",
            "--set",
            "acquisition.frames=12",
            "--snapshot",
            "composite",
            "-o",
        ])
        .arg(&rec_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = minisim::Recording::load(&rec_dir).unwrap();
    assert_eq!(rec.observed.shape(), (12, 128, 128));
    assert!(rec.snapshot(minisim::StepKind::Composite).is_some());
    let again = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args(["simulate", "--preset", "quick", "-o"])
        .arg(&rec_dir)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "refuses to overwrite");
    let avi = dir.path().join("m.avi");
    let out = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args([
            "render",
            "--preset",
            "quick",
            "--set",
            "acquisition.frames=12",
            "--no-progress",
            "--perf",
            "--threads",
            "1",
            "-o",
        ])
        .arg(&avi)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("encode_write") && stderr.contains("digitize"),
        "--perf table: {stderr}"
    );
    assert!(std::fs::metadata(&avi).unwrap().len() > 12 * 128 * 128);
    let png = dir.path().join("p.png");
    let out = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args(["preview", "--preset", "quick", "--frames", "20", "-o"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
}

#[test]
fn cache_commands() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
            .args(args)
            .env("MINISIM_CACHE", dir.path())
            .output()
            .unwrap()
    };
    let path = run(&["cache", "path"]);
    assert_eq!(
        String::from_utf8_lossy(&path.stdout).trim(),
        dir.path().to_string_lossy()
    );
    let rec = tempfile::tempdir().unwrap().keep().join("out");
    assert!(
        run(&[
            "simulate",
            "--preset",
            "quick",
            "--set",
            "acquisition.frames=5",
            "--cached",
            "-o",
            rec.to_str().unwrap()
        ])
        .status
        .success()
    );
    let ls = run(&["cache", "ls"]);
    assert!(String::from_utf8_lossy(&ls.stdout).contains("5×128×128"));
    assert!(run(&["cache", "verify"]).status.success());
    let gc = run(&["cache", "gc", "--max-size", "0"]);
    assert!(gc.status.success());
    assert!(String::from_utf8_lossy(&gc.stderr).contains("removed 1 entries"));
}

/// `simulate --video` writes the same render's movie beside the recording, `export`
/// writes a saved recording's movie, and both equal `render`'s file byte for byte
/// (NPY holds the counts); bad video paths are refused before rendering, leaving no
/// recording behind.
#[test]
fn simulate_video_and_export_equal_render() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let small = [
        "--preset",
        "quick",
        "--set",
        "acquisition.frames=9",
        "--set",
        "acquisition.fov_px=[40,48]",
        "--no-progress",
    ];
    let with = |head: &[&'static str], tail: &[&'static str]| -> Vec<&'static str> {
        head.iter().chain(&small).chain(tail).copied().collect()
    };
    let (code, err) = run(&with(&["simulate"], &["-o", "rec", "--video", "sim.npy"]));
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run(&with(&["render"], &["-o", "render.npy"]));
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run(&["export", "rec", "-o", "export.npy", "--no-progress"]);
    assert_eq!(code, Some(0), "{err}");
    let render = std::fs::read(dir.path().join("render.npy")).unwrap();
    assert!(render.len() > 9 * 40 * 48 * 2);
    assert_eq!(std::fs::read(dir.path().join("sim.npy")).unwrap(), render);
    assert_eq!(
        std::fs::read(dir.path().join("export.npy")).unwrap(),
        render
    );
    // 8-bit AVI too: export and render agree.
    let (code, err) = run(&with(&["render"], &["-o", "render.avi"]));
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run(&["export", "rec", "-o", "export.avi", "--no-progress"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("export.avi")).unwrap(),
        std::fs::read(dir.path().join("render.avi")).unwrap()
    );
    // Bad inputs: an unknown extension (checked before rendering: no recording left),
    // a missing recording, an existing directory as the target.
    let (code, err) = run(&with(
        &["simulate"],
        &["-o", "rec2", "--video", "movie.xyz"],
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("movie.xyz"), "{err}");
    assert!(!dir.path().join("rec2").exists());
    let (code, err) = run(&["export", "nope", "-o", "x.avi"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("nope") && err.contains("not a recording directory"),
        "{err}"
    );
    std::fs::create_dir(dir.path().join("taken.avi")).unwrap();
    let (code, err) = run(&["export", "rec", "-o", "taken.avi", "--no-progress"]);
    assert_ne!(code, Some(0), "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
