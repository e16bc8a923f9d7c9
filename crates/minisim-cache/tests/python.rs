//! numpy and scipy read a saved recording and agree with its manifest.
//! Skipped when Python's numpy/scipy are missing, unless MINISIM_REQUIRE_READERS is set
//! (CI sets it, so there the test always runs).

use std::process::Command;

use minisim_cache::Persist;
use minisim_render::{SimulateOptions, simulate};
use minisim_spec::Spec;
use serde_json::json;

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import numpy, scipy"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("MINISIM_REQUIRE_READERS").is_some() {
        panic!("MINISIM_REQUIRE_READERS is set but python3 with numpy and scipy is not available");
    }
    ok
}

#[test]
fn numpy_and_scipy_read_a_saved_recording() {
    if !python_ready() {
        eprintln!("skipped: python3 with numpy and scipy not found");
        return;
    }
    let spec = Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([40, 50])),
            ("acquisition.frames", json!(9)),
            ("output.snapshot_stages", json!(["composite"])),
        ])
        .unwrap();
    let rec = simulate(&spec, &SimulateOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec");
    rec.save(&path).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/check_recording.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: 9x40x50"));
}
