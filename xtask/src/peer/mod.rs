//! `cargo xtask bench --peer`: minisim against py-minisim 1.0.3 on the same work, in
//! the same run.
//!
//! The peer is installed from PyPI into a virtual environment under the target
//! directory (`target/peer/venv`, created once and reused while it holds exactly
//! py-minisim 1.0.3). Each peer spec (py-minisim's own schema, `bench/peer-specs/`) is
//! translated by the importer (`Spec::from_py_minisim_json`); then, per repetition and
//! interleaved so that drifts of the machine hit both engines alike: py `simulate`,
//! minisim `simulate`, py `simulate_video` (Y800 AVI), minisim `simulate_video` (Y800
//! AVI, what `minisim-cli render` does). Every measurement is a fresh process timing
//! only the call (after imports and spec validation) and reporting its own peak
//! resident set; the best wall time of the repetitions and the largest peak RSS are
//! compared.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The peer's PyPI name and version.
pub const PEER: (&str, &str) = ("minisim", "1.0.3");

/// The runner the venv's Python executes.
const RUN_PY: &str = include_str!("run.py");

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The cargo target directory (`$CARGO_TARGET_DIR` or `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The peer specs shipped with the repository.
pub fn default_specs() -> Vec<PathBuf> {
    let dir = workspace_root().join("bench/peer-specs");
    ["full256.json", "full512.json"]
        .iter()
        .map(|f| dir.join(f))
        .collect()
}

/// The venv's Python, creating the venv and installing the peer if needed.
pub fn ensure_venv() -> anyhow::Result<PathBuf> {
    let venv = target_dir().join("peer/venv");
    let python = venv.join("bin/python");
    if installed_version(&python).as_deref() == Some(PEER.1) {
        return Ok(python);
    }
    eprintln!(
        "installing {}=={} from PyPI into {} …",
        PEER.0,
        PEER.1,
        venv.display()
    );
    pip_install_into(&venv, &[&format!("{}=={}", PEER.0, PEER.1)])?;
    match installed_version(&python) {
        Some(v) if v == PEER.1 => Ok(python),
        other => bail!(
            "after pip install, the venv holds {} {:?}, not {}",
            PEER.0,
            other,
            PEER.1
        ),
    }
}

/// Create the virtual environment `venv` if it has no Python yet and `pip install`
/// `requirements` into it; returns its Python.
pub fn pip_install_into(venv: &Path, requirements: &[&str]) -> anyhow::Result<PathBuf> {
    let python = venv.join("bin/python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .context("cannot run python3 (needed for the virtual environment)")?;
        if !status.success() {
            bail!(
                "python3 -m venv {} failed ({status}); on Debian install python3-venv",
                venv.display()
            );
        }
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(requirements)
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !status.success() {
        bail!("pip install {} failed ({status})", requirements.join(" "));
    }
    Ok(python)
}

fn installed_version(python: &Path) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            &format!(
                "import importlib.metadata as m; print(m.version('{}'))",
                PEER.0
            ),
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A peer spec and its translation.
struct Case {
    name: String,
    py_spec: PathBuf,
    minisim_spec: PathBuf,
    fov: (u64, u64),
    frames: u64,
    unmapped: Vec<String>,
}

/// Translate a py-minisim spec (quick: a tenth of the duration, at least 1 s) and
/// write both forms under the work directory.
fn prepare(path: &Path, work: &Path, quick: bool) -> anyhow::Result<Case> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut py: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    if quick {
        let duration = py
            .pointer("/acquisition/duration_s")
            .and_then(Value::as_f64)
            .with_context(|| format!("{}: no acquisition.duration_s", path.display()))?;
        py["acquisition"]["duration_s"] = json!((duration / 10.0).max(1.0));
    }
    let py_text = serde_json::to_string_pretty(&py)?;
    let import = minisim::Spec::from_py_minisim_json(&py_text)
        .with_context(|| format!("{}: the importer rejects it", path.display()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "peer".into());
    let py_spec = work.join(format!("{name}.py.json"));
    let minisim_spec = work.join(format!("{name}.minisim.json"));
    std::fs::write(&py_spec, &py_text)?;
    std::fs::write(&minisim_spec, import.spec.to_json_pretty())?;
    let acq = import.spec.acquisition();
    Ok(Case {
        name,
        py_spec,
        minisim_spec,
        fov: (acq.fov_px[0] as u64, acq.fov_px[1] as u64),
        frames: acq.frames,
        unmapped: import.unmapped.iter().map(ToString::to_string).collect(),
    })
}

fn run_json(mut cmd: Command, what: &str) -> anyhow::Result<Value> {
    let out = cmd
        .output()
        .with_context(|| format!("{what}: cannot start"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("{what}: no JSON on stdout: {stdout}"))?;
    serde_json::from_str(line).with_context(|| format!("{what}: bad JSON {line}"))
}

fn py_run(python: &Path, runner: &Path, mode: &str, case: &Case) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let mut cmd = Command::new(python);
    cmd.arg(runner).arg(mode).arg(&case.py_spec).arg(dir.path());
    run_json(cmd, &format!("py-minisim {mode} {}", case.name))
}

fn minisim_run(mode: &str, case: &Case, threads: usize) -> anyhow::Result<Value> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args([
        "bench-run",
        "--mode",
        mode,
        "--threads",
        &threads.to_string(),
    ])
    .arg("--spec")
    .arg(&case.minisim_spec);
    run_json(cmd, &format!("minisim {mode} {}", case.name))
}

fn best(runs: &[Value]) -> Value {
    let wall = runs
        .iter()
        .filter_map(|r| r["wall_seconds"].as_f64())
        .fold(f64::INFINITY, f64::min);
    let rss = runs
        .iter()
        .filter_map(|r| r["peak_rss_mb"].as_f64())
        .fold(0.0, f64::max);
    json!({ "wall_seconds": wall, "peak_rss_mb": rss, "runs": runs })
}

/// Run the comparison; print a table; return the report's `peer` section.
pub fn run(specs: &[PathBuf], reps: usize, quick: bool, threads: usize) -> anyhow::Result<Value> {
    let python = ensure_venv()?;
    let work = target_dir().join("peer/work");
    std::fs::create_dir_all(&work)?;
    let runner = work.join("run.py");
    std::fs::write(&runner, RUN_PY)?;
    let mut cases = Vec::new();
    for path in specs {
        let case = prepare(path, &work, quick)?;
        let (mut py_sim, mut ms_sim, mut py_vid, mut ms_vid) = (vec![], vec![], vec![], vec![]);
        for rep in 0..reps.max(1) {
            eprintln!("peer {} (repetition {}) …", case.name, rep + 1);
            py_sim.push(py_run(&python, &runner, "simulate", &case)?);
            ms_sim.push(minisim_run("simulate", &case, threads)?);
            py_vid.push(py_run(&python, &runner, "video", &case)?);
            ms_vid.push(minisim_run("video-y800", &case, threads)?);
        }
        // The exact sampler alone at this size, with the small means of a dim
        // one-photon frame: what no pipeline built on it can beat.
        let floor = best(&[minisim_run("floor-small", &case, threads)?]);
        let (py_sim, ms_sim, py_vid, ms_vid) =
            (best(&py_sim), best(&ms_sim), best(&py_vid), best(&ms_vid));
        let mpx_frames = (case.fov.0 * case.fov.1 * case.frames) as f64 / 1e6;
        let wall = |v: &Value| v["wall_seconds"].as_f64().unwrap_or(f64::NAN);
        let rss = |v: &Value| v["peak_rss_mb"].as_f64().unwrap_or(f64::NAN);
        let throughput = |v: &Value| mpx_frames / wall(v);
        let sim_speedup = wall(&py_sim) / wall(&ms_sim);
        let vid_speedup = wall(&py_vid) / wall(&ms_vid);
        let vid_memory = rss(&ms_vid) / rss(&py_vid);
        let floor_speedup = wall(&py_vid) / wall(&floor);
        println!(
            "{:<10} {}×{}×{}  simulate: py {:>7.2} s {:>6.0} MB | minisim {:>6.2} s {:>6.0} MB | ×{:<5.1}  video: py {:>7.2} s {:>6.0} MB | minisim {:>6.2} s {:>5.0} MB | ×{:<5.1} memory {:.3}  sampler floor (λ≤10) {:.2} s = py video / {:.1}",
            case.name,
            case.fov.1,
            case.fov.0,
            case.frames,
            wall(&py_sim),
            rss(&py_sim),
            wall(&ms_sim),
            rss(&ms_sim),
            sim_speedup,
            wall(&py_vid),
            rss(&py_vid),
            wall(&ms_vid),
            rss(&ms_vid),
            vid_speedup,
            vid_memory,
            wall(&floor),
            floor_speedup,
        );
        let entry = |v: &Value| {
            let mut v = v.clone();
            v["mpx_frames_per_s"] = json!(throughput(&v));
            v
        };
        cases.push(json!({
            "spec": case.name,
            "fov_px": [case.fov.0, case.fov.1],
            "frames": case.frames,
            "unmapped": case.unmapped,
            "py_simulate": entry(&py_sim),
            "minisim_simulate": entry(&ms_sim),
            "py_simulate_video": entry(&py_vid),
            "minisim_render": entry(&ms_vid),
            "simulate_speedup": sim_speedup,
            "render_speedup": vid_speedup,
            "render_memory_ratio": vid_memory,
            "sampler_floor_small": entry(&floor),
            "py_simulate_video_over_floor": floor_speedup,
        }));
    }
    Ok(json!({
        "peer": format!("py-minisim {} (PyPI {}=={})", PEER.1, PEER.0, PEER.1),
        "threads": threads,
        "repetitions": reps.max(1),
        "quick": quick,
        "method": "fresh process per measurement, interleaved py simulate / minisim simulate / py simulate_video / minisim render (Y800 AVI); wall time of the call only (best of the repetitions), peak RSS of the process (largest)",
        "cases": cases,
    }))
}
