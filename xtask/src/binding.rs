//! `cargo xtask binding`: the Python package's cost over the Rust API on the same
//! render, each in a fresh child process, interleaved: wall time of `simulate` and
//! peak RSS (VmHWM) of `minisim_rs.simulate` against `minisim::simulate`
//! (`bench-run --mode simulate`). The package must be installed in target/py-venv
//! (`.ci/run` does it; or `pip install ./crates/minisim-py` there).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use minisim::Spec;
use serde_json::{Value, json};

const PYTHON_CHILD: &str = r#"
import json, sys, time
import minisim_rs as ms
spec = ms.Spec.from_json(open(sys.argv[1]).read())
start = time.perf_counter()
rec = ms.simulate(spec)
wall = time.perf_counter() - start
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"wall_seconds": wall, "peak_rss_mb": float(hwm.split()[1]) / 1024,
                  "shape": list(rec.observed.shape)}))
"#;

fn run_json(cmd: &mut Command, what: &str) -> anyhow::Result<Value> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("{what} printed {text:?}"))
}

pub fn binding(frames: u64, size: u32, reps: usize) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace");
    let python = root.join("target/py-venv/bin/python");
    let check = Command::new(&python)
        .args(["-c", "import minisim_rs"])
        .output();
    if !check.is_ok_and(|o| o.status.success()) {
        bail!(
            "{} cannot import minisim_rs: run `python3 -m venv target/py-venv && target/py-venv/bin/pip install ./crates/minisim-py`",
            python.display()
        );
    }
    let spec = Spec::default().with_overrides([
        ("acquisition.fov_px", json!([size, size])),
        ("acquisition.frames", json!(frames)),
    ])?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("spec.json");
    std::fs::write(&path, spec.to_json_pretty())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = Vec::new();
    for rep in 0..reps.max(1) {
        let rust = run_json(
            Command::new(std::env::current_exe()?)
                .args(["bench-run", "--mode", "simulate", "--threads"])
                .arg(threads.to_string())
                .arg("--spec")
                .arg(&path),
            "the Rust simulate",
        )?;
        let py = run_json(
            Command::new(&python).args(["-c", PYTHON_CHILD]).arg(&path),
            "minisim_rs.simulate",
        )?;
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        eprintln!(
            "rep {}: Rust {:.2} s, {:.0} MB; Python {:.2} s, {:.0} MB",
            rep + 1,
            f(&rust, "wall_seconds"),
            f(&rust, "peak_rss_mb"),
            f(&py, "wall_seconds"),
            f(&py, "peak_rss_mb")
        );
        rows.push((
            f(&rust, "wall_seconds"),
            f(&rust, "peak_rss_mb"),
            f(&py, "wall_seconds"),
            f(&py, "peak_rss_mb"),
        ));
    }
    let best = |i: usize| {
        rows.iter()
            .map(|r| [r.0, r.1, r.2, r.3][i])
            .fold(f64::INFINITY, f64::min)
    };
    let (rw, rm, pw, pm) = (best(0), best(1), best(2), best(3));
    let report = json!({
        "spec": format!("default at {size}×{size} px × {frames} frames"),
        "threads": threads,
        "reps": reps,
        "rust": {"wall_seconds": rw, "peak_rss_mb": rm},
        "python": {"wall_seconds": pw, "peak_rss_mb": pm},
        "wall_overhead": pw / rw - 1.0,
        "rss_ratio": pm / rm,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!(
        "binding overhead {:+.1} % of wall time (best of {reps}); peak RSS Python/Rust {:.3}",
        100.0 * (pw / rw - 1.0),
        pm / rm
    );
    Ok(())
}
