//! The reproductions of the reliability report (issue 15), one test each: every one
//! now ends with an exit code of 1 or 2 and a one-line message naming the path, file
//! or number at fault — never a panic (101), an abort (134) or a silent wrong answer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use minisim::{Persist, Recording};

struct Run {
    code: i32,
    /// stdout then stderr.
    stderr: String,
}

fn cli_in(dir: &Path, cache: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args(args)
        .current_dir(dir)
        .env("MINISIM_CACHE", cache)
        .output()
        .unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{args:?}: {stderr}"
    );
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr,
    }
}

struct Sandbox {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cache: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("work");
        let cache = tmp.path().join("cache");
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox {
            _tmp: tmp,
            dir,
            cache,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        cli_in(&self.dir, &self.cache, args)
    }

    /// Names in the work directory (hidden ones included).
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

fn expect(run: &Run, code: i32, needles: &[&str]) {
    assert_eq!(run.code, code, "{}", run.stderr);
    for n in needles {
        assert!(run.stderr.contains(n), "missing {n:?} in: {}", run.stderr);
    }
}

const SMALL: [&str; 4] = [
    "--set",
    "acquisition.frames=20",
    "--set",
    "acquisition.fov_px=[48,48]",
];

fn small(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = SMALL.to_vec();
    v.extend_from_slice(extra);
    v
}

/// Reproduction 1: Duplicate snapshot stages: a validation error with the path, on the command
/// line, in a spec file, and for `preview`.
#[test]
fn duplicate_snapshot_stages_are_a_validation_error() {
    let s = Sandbox::new();
    let mut args = vec!["simulate"];
    args.extend(small(&[
        "-o",
        "x",
        "--snapshot",
        "composite",
        "--snapshot",
        "composite",
    ]));
    expect(
        &s.run(&args),
        2,
        &["output.snapshot_stages[1]: stage `composite` is already listed"],
    );
    std::fs::write(
        s.dir.join("dup.json"),
        r#"{"output": {"snapshot_stages": ["vignette", "vignette"]}}"#,
    )
    .unwrap();
    for cmd in ["simulate", "preview"] {
        let out = if cmd == "simulate" { "y" } else { "y.png" };
        expect(
            &s.run(&[cmd, "dup.json", "-o", out]),
            2,
            &["dup.json: output.snapshot_stages[1]"],
        );
    }
    assert_eq!(s.names(), vec!["dup.json"]);
}

/// Reproduction 2: Sizes: absurd frame counts and fields of view are validation errors; large but
/// valid ones fail before allocating, naming the numbers and the way out.
#[test]
fn sizes_are_checked_before_allocating() {
    let s = Sandbox::new();
    std::fs::write(
        s.dir.join("huge.json"),
        r#"{"acquisition": {"frames": 1000000000000, "fov_px": [64, 64]}}"#,
    )
    .unwrap();
    expect(
        &s.run(&["render", "huge.json", "-o", "h.avi"]),
        2,
        &["acquisition.frames: must lie in [1, 1e8] (got 1000000000000)"],
    );
    expect(
        &s.run(&[
            "simulate",
            "--set",
            "acquisition.fov_px=[100000,100000]",
            "-o",
            "r",
        ]),
        2,
        &["acquisition.fov_px[0]: must lie in [2, 16384] (got 100000)"],
    );
    // Valid, but a 1e8-frame movie fits neither in memory nor on this disk.
    let big = [
        "--set",
        "acquisition.frames=100000000",
        "--set",
        "acquisition.fov_px=[64,64]",
    ];
    let mut args = vec!["simulate"];
    args.extend(big);
    args.extend(["-o", "r"]);
    let run = s.run(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("needs about") && run.stderr.contains("--force"),
        "{}",
        run.stderr
    );
    let mut args = vec!["render"];
    args.extend(["--set", "acquisition.frames=100000000", "--set"]);
    args.extend(["acquisition.fov_px=[4096,4096]", "-o", "big.avi"]);
    expect(
        &s.run(&args),
        1,
        &["big.avi: the output needs about", "TiB", "free"],
    );
    // `validate` prints the estimate.
    let mut args = vec!["validate"];
    args.extend(big);
    expect(&s.run(&args), 0, &["estimate:", "`simulate` needs ~"]);
    assert_eq!(s.names(), vec!["huge.json"]);
}

fn cache_entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().len() == 64)
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Reproduction 3: An entry copied under another key is never served: verify flags it and a
/// cached simulate re-renders the right recording, saying so.
#[test]
fn the_cache_never_serves_another_keys_recording() {
    let s = Sandbox::new();
    let mut args = vec!["simulate"];
    args.extend(small(&["--set", "seed=1", "--cached", "-o", "one"]));
    expect(&s.run(&args), 0, &[]);
    let one = cache_entries(&s.cache).remove(0);
    let mut args = vec!["validate", "--key"];
    args.extend(small(&["--set", "seed=2"]));
    let key2 = String::from_utf8(
        Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
            .args(&args)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    copy_dir(&one, &s.cache.join(&key2));
    expect(
        &s.run(&["cache", "verify"]),
        1,
        &["holds the recording of key"],
    );
    let mut args = vec!["simulate"];
    args.extend(small(&["--set", "seed=2", "--cached", "-o", "two"]));
    expect(
        &s.run(&args),
        0,
        &[
            "warning: cache entry",
            "was damaged",
            "re-simulated and replaced",
        ],
    );
    let two = Recording::load(&s.dir.join("two")).unwrap();
    let first = Recording::load(&s.dir.join("one")).unwrap();
    assert_eq!(two.cache_key, key2);
    assert_ne!(two.truth.cells.x_um, first.truth.cells.x_um);
    expect(&s.run(&["cache", "verify"]), 0, &["2 entries verified"]);
}

/// Reproduction 4: Every damage `verify` reports is healed by the next cached simulate.
#[test]
fn every_damage_verify_reports_is_healed() {
    let s = Sandbox::new();
    let mut args = vec!["simulate"];
    args.extend(small(&["--cached", "-o", "first"]));
    expect(&s.run(&args), 0, &[]);
    let entry = cache_entries(&s.cache).remove(0);
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    type Damage = Box<dyn Fn(&Path)>;
    let damages: Vec<(&str, Damage)> = vec![
        (
            "garbage manifest",
            Box::new(move |e: &Path| std::fs::write(e.join("recording.json"), &garbage).unwrap()),
        ),
        (
            "array replaced by a directory",
            Box::new(|e: &Path| {
                std::fs::remove_file(e.join("observed.npy")).unwrap();
                std::fs::create_dir(e.join("observed.npy")).unwrap();
            }),
        ),
        (
            "symlink loop",
            Box::new(|e: &Path| {
                std::fs::remove_file(e.join("calcium_dff.npy")).unwrap();
                std::os::unix::fs::symlink(e.join("loop"), e.join("loop.npy")).unwrap();
                std::os::unix::fs::symlink(e.join("loop.npy"), e.join("loop")).unwrap();
                std::os::unix::fs::symlink("loop.npy", e.join("calcium_dff.npy")).unwrap();
            }),
        ),
    ];
    for (i, (what, damage)) in damages.iter().enumerate() {
        damage(&entry);
        let run = s.run(&["cache", "verify"]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        let out = format!("healed{i}");
        let mut args = vec!["simulate"];
        args.extend(small(&["--cached", "-o"]));
        args.push(&out);
        let run = s.run(&args);
        expect(&run, 0, &["was damaged"]);
        expect(&s.run(&["cache", "verify"]), 0, &["1 entries verified"]);
        assert_eq!(
            Recording::load(&s.dir.join(&out)).unwrap(),
            Recording::load(&s.dir.join("first")).unwrap(),
            "{what}"
        );
    }
}

/// Wait until `dir` holds a hidden temporary file (a render in progress).
fn wait_for_temp(dir: &Path) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let found = std::fs::read_dir(dir)
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().contains(".tmp-"));
        if found {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Reproduction 5: Signals: SIGINT and SIGTERM remove the partial output and exit 130/143 with a
/// one-line message; after SIGKILL the next write to the directory removes it.
#[test]
fn signals_leave_no_partial_output() {
    for (signal, code, name) in [("-INT", 130, "SIGINT"), ("-TERM", 143, "SIGTERM")] {
        let s = Sandbox::new();
        let child = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
            .args([
                "render",
                "--set",
                "acquisition.frames=100000",
                "-o",
                "x.avi",
            ])
            .args(["--no-progress", "--force"])
            .current_dir(&s.dir)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(wait_for_temp(&s.dir), "no temporary appeared");
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(
            stderr.contains(&format!("interrupted by {name}: removed 1 partial output")),
            "{stderr}"
        );
        assert!(s.names().is_empty(), "{name}: {:?}", s.names());
    }
    // SIGKILL cannot be caught: the temporary stays until the next write there.
    let s = Sandbox::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args([
            "render",
            "--set",
            "acquisition.frames=100000",
            "-o",
            "x.avi",
        ])
        .args(["--no-progress", "--force"])
        .current_dir(&s.dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for_temp(&s.dir));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(s.names().len(), 1, "{:?}", s.names());
    let mut args = vec!["render"];
    args.extend(small(&["-o", "y.avi", "--no-progress"]));
    expect(&s.run(&args), 0, &[]);
    assert_eq!(s.names(), vec!["y.avi"]);
    // A preview onto a directory, or with the wrong extension, leaves nothing.
    std::fs::create_dir(s.dir.join("existing_dir.avi")).unwrap();
    std::fs::create_dir(s.dir.join("existing_dir.png")).unwrap();
    expect(
        &s.run(&["preview", "-o", "existing_dir.avi"]),
        2,
        &["preview writes png"],
    );
    expect(
        &s.run(&["preview", "-o", "existing_dir.png"]),
        2,
        &["existing_dir.png: is a directory"],
    );
    assert_eq!(
        s.names(),
        vec!["existing_dir.avi", "existing_dir.png", "y.avi"]
    );
}

/// `cache gc` removes temporaries of dead writers in the cache root.
#[test]
fn cache_gc_removes_dead_writers_temporaries() {
    let s = Sandbox::new();
    std::fs::create_dir_all(&s.cache).unwrap();
    let host = minisim_io::atomic::host();
    let dead = s
        .cache
        .join(format!(".{}.tmp-0-0-1-{host}", "a".repeat(64)));
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("observed.npy"), b"partial").unwrap();
    expect(&s.run(&["cache", "gc", "--max-size", "1G"]), 0, &[]);
    assert!(!dead.exists());
}

/// Write `bytes` as `name` in `dir`.
fn put(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn npy(descr: &str, shape: &[u64], data: &[u8]) -> Vec<u8> {
    let mut b = minisim_io::npy::header(descr, shape);
    b.extend_from_slice(data);
    b
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn i64s(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Reproductions 6 and 7: `score` never aborts on a header, and rejects invalid inputs naming the
/// file and the first bad element.
#[test]
fn score_rejects_bad_inputs_with_the_element() {
    let s = Sandbox::new();
    let mut args = vec!["simulate"];
    args.extend(small(&["-o", "rec"]));
    expect(&s.run(&args), 0, &[]);
    let d = &s.dir;
    put(
        d,
        "huge.npy",
        &npy("<f4", &[100_000, 100_000, 100_000], &[0; 64]),
    );
    expect(
        &s.run(&["score", "rec", "--footprints", "huge.npy"]),
        2,
        &["huge.npy", "truncated", "[100000, 100000, 100000]"],
    );
    let full = npy("<f4", &[2, 48, 48], &f32s(&vec![0.5; 2 * 48 * 48]));
    put(d, "trunc.npy", &full[..full.len() - 100]);
    expect(
        &s.run(&["score", "rec", "--footprints", "trunc.npy"]),
        2,
        &["trunc.npy", "truncated"],
    );
    let triplet = |prefix: &str, indices: &[i64], indptr: &[i64]| {
        put(
            d,
            &format!("{prefix}_data.npy"),
            &npy(
                "<f4",
                &[indices.len() as u64],
                &f32s(&vec![1.0; indices.len()]),
            ),
        );
        put(
            d,
            &format!("{prefix}_indices.npy"),
            &npy("<i8", &[indices.len() as u64], &i64s(indices)),
        );
        put(
            d,
            &format!("{prefix}_indptr.npy"),
            &npy("<i8", &[indptr.len() as u64], &i64s(indptr)),
        );
    };
    triplet("neg", &[5, -1, 7], &[0, 2, 3]);
    expect(
        &s.run(&["score", "rec", "--footprints", "neg"]),
        2,
        &["indices[1] = -1"],
    );
    triplet("ptr", &[5, 6, 7], &[0, 2, -5, 3]);
    expect(
        &s.run(&["score", "rec", "--footprints", "ptr"]),
        2,
        &["indptr[2] = -5"],
    );
    let mut fp = vec![0.0f32; 2 * 48 * 48];
    fp[100] = 1.0;
    fp[48 * 48 + 7] = f32::NAN;
    put(d, "nanfp.npy", &npy("<f4", &[2, 48, 48], &f32s(&fp)));
    expect(
        &s.run(&["score", "rec", "--footprints", "nanfp.npy"]),
        2,
        &["nanfp.npy", "NaN", "[1, 0, 7]"],
    );
    let rec = Recording::load(&d.join("rec")).unwrap();
    let n = rec.truth.cells.len() as u64;
    let mut traces = vec![0.1f32; (n * 20) as usize];
    traces[3] = f32::NAN;
    put(d, "nantr.npy", &npy("<f4", &[n, 20], &f32s(&traces)));
    let mut shifts = vec![0.0f32; 40];
    shifts[5] = f32::INFINITY;
    put(d, "infsh.npy", &npy("<f4", &[20, 2], &f32s(&shifts)));
    rec.truth.footprints.indptr.len();
    expect(
        &s.run(&[
            "score",
            "rec",
            "--footprints",
            "rec/footprints",
            "--traces",
            "nantr.npy",
        ]),
        2,
        &["nantr.npy", "NaN", "[0, 3]"],
    );
    expect(
        &s.run(&["score", "rec", "--shifts", "infsh.npy"]),
        2,
        &["infsh.npy", "inf", "[2, 1]"],
    );
}

/// Reproduction 8: Specs the report found crashing, hanging or yielding NaN are validation errors
/// naming the field (or, where the values are physical, render finite truth).
#[test]
fn former_crashing_specs_are_rejected_with_their_path() {
    let s = Sandbox::new();
    let cases: &[(&str, &str)] = &[
        (
            "acquisition.frame_rate_hz=1e-6",
            "acquisition.frame_rate_hz: must lie in",
        ),
        (
            "steps.place_neurons.slab_um=1e5",
            "steps.place_neurons.slab_um: must lie in",
        ),
        (
            "steps.spikes.rate_sigma=1e9",
            "steps.spikes.rate_sigma: must lie in",
        ),
        (
            "steps.spikes.rate_sigma=10",
            "steps.spikes.rate_sigma: must lie in",
        ),
        (
            "acquisition.optics.aberration_um=1e300",
            "acquisition.optics.aberration_um: must lie in",
        ),
        (
            "acquisition.optics.aberration_um=1e9",
            "acquisition.optics.aberration_um: must lie in",
        ),
        (
            "acquisition.optics.na=1e-300",
            "acquisition.optics.na: must lie in",
        ),
        (
            "steps.place_neurons.soma_radius_sd_um=1e300",
            "steps.place_neurons.soma_radius_sd_um",
        ),
        (
            "steps.neuropil.spatial_scale_um=1e300",
            "steps.neuropil.spatial_scale_um: must lie in",
        ),
        (
            "steps.motion_crop.max_shift_um=1e300",
            "steps.motion_crop.max_shift_um: must lie in",
        ),
        (
            "steps.place_neurons.slab_um=1e4",
            "steps.place_neurons.slab_um: must lie in",
        ),
        (
            "steps.motion_crop.jump_rate_hz=1e9",
            "steps.motion_crop.jump_rate_hz: must lie in",
        ),
        (
            "acquisition.optics.scattering_length_um=1",
            "acquisition.optics.scattering_length_um: must lie in",
        ),
        (
            "acquisition.optics.focal_depth_um=20000",
            "acquisition.optics.focal_depth_um: must lie in",
        ),
        (
            "steps.place_neurons.expression_sigma=50",
            "steps.place_neurons.expression_sigma: must lie in",
        ),
    ];
    for (set, needle) in cases {
        let mut args = vec!["simulate"];
        args.extend(small(&["--set"]));
        args.push(set);
        args.extend(["-o", "r"]);
        expect(&s.run(&args), 2, &[needle]);
    }
    // Duplicate keys and an impossible playback rate.
    std::fs::write(s.dir.join("seed.json"), r#"{"seed": 1, "seed": 2}"#).unwrap();
    expect(
        &s.run(&["validate", "seed.json"]),
        2,
        &["seed.json: seed: duplicate key `seed`"],
    );
    let mut args = vec!["render"];
    args.extend(small(&["-o", "x.avi", "--fps=1e-300"]));
    expect(&s.run(&args), 2, &["fps must lie in [0.01, 10000]"]);
    assert_eq!(s.names(), vec!["seed.json"]);
}
