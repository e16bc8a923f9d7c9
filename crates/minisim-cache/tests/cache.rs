//! Persistence and cache behaviour: round trips, each corruption's error and its
//! healing, crash safety and concurrent writers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use minisim_cache::{CacheError, Persist, gc, list, remove, simulate_cached, verify};
use minisim_render::{Movie, Recording, SimulateOptions, simulate};
use minisim_spec::{Axis, Spec, sweep};
use ndarray::Array3;
use serde_json::json;

fn small() -> Spec {
    Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([48, 64])),
            ("acquisition.frames", json!(12)),
            (
                "output.snapshot_stages",
                json!(["composite", "motion_crop"]),
            ),
        ])
        .unwrap()
}

fn rec_of(spec: &Spec) -> Recording {
    simulate(spec, &SimulateOptions::default()).unwrap()
}

#[test]
fn save_load_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let rec = rec_of(&small());
    let path = dir.path().join("rec");
    rec.save(&path).unwrap();
    let back = Recording::load(&path).unwrap();
    assert_eq!(back.spec, rec.spec);
    assert_eq!(back.cache_key, rec.cache_key);
    assert_eq!(back.observed, rec.observed);
    assert_eq!(back.snapshots, rec.snapshots);
    assert_eq!(back.truth.cells, rec.truth.cells);
    assert_eq!(back.truth.footprints, rec.truth.footprints);
    assert_eq!(back.truth.spikes, rec.truth.spikes);
    assert_eq!(back.truth, rec.truth);
    assert_eq!(back, rec);
    // Sensorless recordings keep their f32 movie.
    let sensorless = Spec::from_json(
        r#"{"acquisition": {"frames": 3, "fov_px": [8, 9]}, "steps": [{"kind": "neuropil"}]}"#,
    )
    .unwrap();
    let rec = rec_of(&sensorless);
    rec.save(&dir.path().join("f32")).unwrap();
    let back = Recording::load(&dir.path().join("f32")).unwrap();
    assert!(matches!(back.observed, Movie::Intensity(_)));
    assert_eq!(back, rec);
}

#[test]
fn save_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let rec = rec_of(&small());
    let path = dir.path().join("rec");
    rec.save(&path).unwrap();
    let err = rec.save(&path).unwrap_err();
    assert!(matches!(err, CacheError::Exists { .. }), "{err}");
    assert!(err.to_string().contains("already exists"));
    // No temporary directories are left behind.
    let hidden: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty());
}

#[test]
fn swept_spec_and_plain_spec_hit_the_same_entry() {
    let root = tempfile::tempdir().unwrap();
    let point = sweep(&small(), &[Axis::new("seed", [5])])
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let plain = small().with_override("seed", json!(5)).unwrap();
    let a = simulate_cached(&point, Some(root.path())).unwrap();
    let entries = list(Some(root.path())).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key, plain.cache_key());
    assert_eq!(entries[0].shape, Some((12, 48, 64)));
    let b = simulate_cached(&plain, Some(root.path())).unwrap();
    assert_eq!(a, b);
    assert_eq!(list(Some(root.path())).unwrap().len(), 1);
}

/// One corruption: what to do to the entry and the error `load` must give.
struct Corruption {
    name: &'static str,
    apply: fn(&Path),
    check: fn(&CacheError) -> bool,
}

fn rewrite_manifest(entry: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = entry.join("recording.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_string(&v).unwrap()).unwrap();
}

fn corruptions() -> Vec<Corruption> {
    vec![
        Corruption {
            name: "missing file",
            apply: |e| std::fs::remove_file(e.join("calcium_dff.npy")).unwrap(),
            check: |err| matches!(err, CacheError::MissingFile { array, .. } if array == "calcium_dff"),
        },
        Corruption {
            name: "truncated file",
            apply: |e| {
                let p = e.join("observed.npy");
                let bytes = std::fs::read(&p).unwrap();
                std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
            },
            check: |err| matches!(err, CacheError::SizeMismatch { file, .. } if file == "observed.npy"),
        },
        Corruption {
            name: "wrong dtype",
            apply: |e| {
                let a = Array3::<f32>::zeros((12, 48, 64));
                ndarray_npy::write_npy(e.join("observed.npy"), &a).unwrap();
            },
            check: |err| matches!(err, CacheError::DtypeMismatch { expected, found, .. } if expected == "<u2" && found == "<f4"),
        },
        Corruption {
            name: "wrong shape",
            apply: |e| {
                let a = Array3::<u16>::zeros((11, 48, 64));
                ndarray_npy::write_npy(e.join("observed.npy"), &a).unwrap();
            },
            check: |err| matches!(err, CacheError::ShapeMismatch { expected, found, .. } if expected == &vec![12, 48, 64] && found == &vec![11, 48, 64]),
        },
        Corruption {
            name: "flipped byte",
            apply: |e| {
                let p = e.join("footprints_data.npy");
                let mut bytes = std::fs::read(&p).unwrap();
                let last = bytes.len() - 1;
                bytes[last] ^= 0x40;
                std::fs::write(&p, bytes).unwrap();
            },
            check: |err| matches!(err, CacheError::ChecksumMismatch { file, .. } if file == "footprints_data.npy"),
        },
        Corruption {
            name: "edited spec",
            apply: |e| rewrite_manifest(e, |v| v["spec"]["seed"] = json!(12345)),
            check: |err| matches!(err, CacheError::SpecEdited { .. }),
        },
        Corruption {
            name: "unknown format version",
            apply: |e| rewrite_manifest(e, |v| v["format_version"] = json!(99)),
            check: |err| matches!(err, CacheError::UnknownFormat { found: 99, .. }),
        },
        Corruption {
            name: "garbled manifest",
            apply: |e| std::fs::write(e.join("recording.json"), "{ not json").unwrap(),
            check: |err| matches!(err, CacheError::BadManifest { .. }),
        },
    ]
}

#[test]
fn each_corruption_has_its_error_and_simulate_cached_heals_it() {
    let spec = small();
    let good = rec_of(&spec);
    for c in corruptions() {
        let root = tempfile::tempdir().unwrap();
        let entry = root.path().join(spec.cache_key());
        simulate_cached(&spec, Some(root.path())).unwrap();
        (c.apply)(&entry);
        let err = Recording::load(&entry).unwrap_err();
        assert!((c.check)(&err), "{}: unexpected error {err:?}", c.name);
        assert!(
            err.to_string().contains(&*entry.to_string_lossy()),
            "{}: error names the entry: {err}",
            c.name
        );
        assert!(err.is_corruption(), "{}", c.name);
        let healed = simulate_cached(&spec, Some(root.path())).unwrap();
        assert_eq!(healed, good, "{}", c.name);
        assert_eq!(
            Recording::load(&entry).unwrap(),
            good,
            "{}: entry replaced",
            c.name
        );
        assert_eq!(list(Some(root.path())).unwrap().len(), 1, "{}", c.name);
    }
}

#[test]
fn list_verify_remove_and_gc() {
    let root = tempfile::tempdir().unwrap();
    let specs: Vec<Spec> = (0..3)
        .map(|s| small().with_override("seed", json!(s)).unwrap())
        .collect();
    for s in &specs {
        simulate_cached(s, Some(root.path())).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // Use the first again: it becomes the most recent.
    simulate_cached(&specs[0], Some(root.path())).unwrap();
    let entries = list(Some(root.path())).unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(
        entries[2].key,
        specs[0].cache_key(),
        "most recently used last"
    );
    let one = entries[0].bytes;
    assert!(one > 0);
    let results = verify(Some(root.path())).unwrap();
    assert!(results.iter().all(|(_, r)| r.is_ok()));
    std::fs::remove_file(entries[0].path.join("vignette.npy")).unwrap();
    let bad = verify(Some(root.path())).unwrap();
    assert_eq!(bad.iter().filter(|(_, r)| r.is_err()).count(), 1);
    // Keep room for two entries: the least recently used goes.
    let total: u64 = entries.iter().map(|e| e.bytes).sum();
    let report = gc(Some(root.path()), total - one / 2).unwrap();
    assert_eq!(report.removed, vec![entries[0].key.clone()]);
    assert_eq!(list(Some(root.path())).unwrap().len(), 2);
    remove(Some(root.path()), &specs[0].cache_key()).unwrap();
    assert_eq!(list(Some(root.path())).unwrap().len(), 1);
    assert!(remove(Some(root.path()), "no-such-key").is_err());
}

#[test]
fn cache_dir_honours_the_environment() {
    // Only this test touches MINISIM_CACHE in this process.
    unsafe { std::env::set_var("MINISIM_CACHE", "/tmp/minisim-test-root") };
    assert_eq!(
        minisim_cache::cache_dir().unwrap(),
        PathBuf::from("/tmp/minisim-test-root")
    );
    unsafe { std::env::remove_var("MINISIM_CACHE") };
    let default = minisim_cache::cache_dir().unwrap();
    assert!(default.ends_with("minisim"), "{}", default.display());
}

// ---- multi-process tests: the test binary re-runs itself as a child ----

const CHILD_ENV: &str = "MINISIM_CACHE_TEST_CHILD";

fn big() -> Spec {
    // Large enough that saving takes a while (≈ 100 MB of snapshots).
    Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([128, 128])),
            ("acquisition.frames", json!(300)),
            (
                "output.snapshot_stages",
                json!([
                    "composite",
                    "neuropil",
                    "vasculature",
                    "motion_crop",
                    "vignette"
                ]),
            ),
        ])
        .unwrap()
}

/// Entry point of child processes; does nothing in a normal test run.
#[test]
fn child_process_entry() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    let root = PathBuf::from(std::env::var("CHILD_ROOT").unwrap());
    match role.as_str() {
        "save" => {
            let rec = rec_of(&big());
            println!("READY");
            minisim_cache::store(&rec, &root).unwrap();
            println!("SAVED");
        }
        "cached" => {
            let rec = simulate_cached(&small(), Some(&root)).unwrap();
            let Movie::Counts(c) = &rec.observed else {
                panic!()
            };
            let mut h = blake3::Hasher::new();
            for v in c.iter() {
                h.update(&v.to_le_bytes());
            }
            println!("HASH {}", h.finalize().to_hex());
        }
        other => panic!("unknown role {other}"),
    }
}

fn child(role: &str, root: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_entry",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, role)
    .env("CHILD_ROOT", root)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    cmd
}

#[test]
fn a_writer_killed_mid_save_leaves_no_entry() {
    let root = tempfile::tempdir().unwrap();
    let mut proc = child("save", root.path()).spawn().unwrap();
    // Wait until the temporary directory holds some files, then kill.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let started = std::fs::read_dir(root.path()).map(|d| {
            d.flatten().any(|e| {
                e.file_name().to_string_lossy().contains(".tmp-")
                    && std::fs::read_dir(e.path())
                        .map(|f| f.count() >= 2)
                        .unwrap_or(false)
            })
        });
        if started.unwrap_or(false) {
            break;
        }
        assert!(Instant::now() < deadline, "child never started saving");
        std::thread::sleep(Duration::from_millis(2));
    }
    proc.kill().unwrap(); // SIGKILL on Unix
    proc.wait().unwrap();
    assert!(
        list(Some(root.path())).unwrap().is_empty(),
        "a killed writer leaves no visible entry"
    );
    assert!(!root.path().join(big().cache_key()).exists());
}

#[test]
fn four_concurrent_processes_agree_and_leave_one_entry() {
    let root = tempfile::tempdir().unwrap();
    let procs: Vec<_> = (0..4)
        .map(|_| child("cached", root.path()).spawn().unwrap())
        .collect();
    let hashes: Vec<String> = procs
        .into_iter()
        .map(|p| {
            let out = p.wait_with_output().unwrap();
            assert!(out.status.success());
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .find_map(|l| l.split_once("HASH ").map(|(_, h)| h.trim().to_owned()))
                .expect("child printed its hash")
        })
        .collect();
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
    let entries = list(Some(root.path())).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(Recording::load(&entries[0].path).is_ok());
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temporary directories left");
}

#[test]
fn only_key_named_directories_are_entries() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("my-results")).unwrap();
    simulate_cached(&small(), Some(root.path())).unwrap();
    let entries = list(Some(root.path())).unwrap();
    assert_eq!(entries.len(), 1);
    gc(Some(root.path()), 0).unwrap();
    assert!(
        root.path().join("my-results").is_dir(),
        "gc never touches other directories"
    );
    assert!(remove(Some(root.path()), "my-results").is_err());
}
