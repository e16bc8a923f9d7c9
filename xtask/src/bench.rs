//! `cargo xtask bench`: throughput, setup time, peak memory and the RNG floor.
//!
//! Every measurement runs in a child process (`xtask bench-run …`) so that its peak
//! resident set (VmHWM) is its own and its thread pool has the requested size. The RNG
//! floor is one exact Poisson and one Gaussian draw per pixel-frame with the fastest
//! sampler the project has (the batched `math::poisson::Batch` digitize uses), parallel
//! over frames like the pipeline; the pipeline/floor ratio is wall time over wall time
//! at the same thread count. `--peer` adds the side-by-side run against py-minisim
//! (`peer.rs`).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use minisim::physics::math::poisson;
use minisim::physics::{Stream, digitize};
use minisim::{PerfTracker, Phase, SimulateOptions, Spec, VideoOptions, simulate, simulate_video};
use rand::SeedableRng;
use rayon::prelude::*;
use serde_json::{Map, Value, json};

/// A benchmark scenario.
pub struct Scenario {
    pub name: &'static str,
    pub fov: u32,
    pub frames: u64,
    pub quick_frames: u64,
    pub density: Option<f64>,
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "256x256x2000",
        fov: 256,
        frames: 2000,
        quick_frames: 200,
        density: None,
    },
    Scenario {
        name: "512x512x2000",
        fov: 512,
        frames: 2000,
        quick_frames: 200,
        density: None,
    },
    Scenario {
        name: "dense-512x512x2000",
        fov: 512,
        frames: 2000,
        quick_frames: 200,
        density: Some(25_000.0),
    },
    Scenario {
        name: "1024x1024x300",
        fov: 1024,
        frames: 300,
        quick_frames: 30,
        density: None,
    },
];

fn scenario(name: &str) -> anyhow::Result<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .with_context(|| format!("unknown scenario {name}"))
}

pub fn spec_of(s: &Scenario, quick: bool) -> Spec {
    let mut spec = Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([s.fov, s.fov])),
            (
                "acquisition.frames",
                json!(if quick { s.quick_frames } else { s.frames }),
            ),
        ])
        .expect("valid scenario");
    if let Some(d) = s.density {
        spec = spec
            .with_override("steps.place_neurons.density_per_mm3", json!(d))
            .expect("valid density");
    }
    spec
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn phases(perf: &PerfTracker, pixel_frames: f64) -> Value {
    let mut m = Map::new();
    for p in Phase::ALL {
        let t = perf.get(p);
        if t.calls == 0 {
            continue;
        }
        let secs = t.time.as_secs_f64();
        m.insert(
            p.name().into(),
            json!({ "cpu_seconds": secs, "calls": t.calls, "mpx_frames_per_cpu_s": if p == Phase::Setup || secs == 0.0 { Value::Null } else { json!(pixel_frames / secs / 1e6) } }),
        );
    }
    Value::Object(m)
}

/// What a child measures: a named scenario or a spec file.
pub enum Target<'a> {
    Scenario(&'a str),
    Spec(&'a Path),
}

/// Run one measurement in this process (the child side).
pub fn run_one(
    target: Target<'_>,
    mode: &str,
    threads: usize,
    quick: bool,
) -> anyhow::Result<Value> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()?;
    let (name, spec) = match target {
        Target::Scenario(name) => (name.to_owned(), spec_of(scenario(name)?, quick)),
        Target::Spec(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            (path.display().to_string(), Spec::from_json(&text)?)
        }
    };
    let frames = spec.acquisition().frames;
    let [h, w] = spec.acquisition().fov_px;
    let pixel_frames = frames as f64 * h as f64 * w as f64;
    let perf = Arc::new(PerfTracker::new());
    let start = Instant::now();
    let mut out = Map::new();
    match mode {
        "simulate" => {
            let rec = simulate(
                &spec,
                &SimulateOptions {
                    perf: Some(perf.clone()),
                    ..Default::default()
                },
            )?;
            out.insert("cells".into(), json!(rec.truth.cells.len()));
            out.insert(
                "footprint_mb".into(),
                json!(rec.truth.footprints.data.len() as f64 * 4.0 / 1e6),
            );
        }
        "video-y800" | "video-tiff" => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join(if mode == "video-y800" {
                "b.avi"
            } else {
                "b.tif"
            });
            simulate_video(
                &spec,
                &path,
                &VideoOptions {
                    perf: Some(perf.clone()),
                    progress: false,
                    ..Default::default()
                },
            )?;
            out.insert("file_bytes".into(), json!(std::fs::metadata(&path)?.len()));
        }
        "floor" | "floor-small" => {
            let means = if mode == "floor" {
                vec![FLOOR_MEAN; w as usize]
            } else {
                small_means(w as usize)
            };
            out.insert(
                "checksum".into(),
                json!(floor(h as usize, &means, frames) / pixel_frames),
            );
        }
        other => bail!("unknown mode {other}"),
    }
    let wall = start.elapsed().as_secs_f64();
    out.insert("scenario".into(), json!(name));
    out.insert("engine".into(), json!("minisim"));
    out.insert("mode".into(), json!(mode));
    out.insert("threads".into(), json!(threads));
    out.insert("frames".into(), json!(frames));
    out.insert("wall_seconds".into(), json!(wall));
    out.insert("frames_per_s".into(), json!(frames as f64 / wall));
    out.insert("peak_rss_mb".into(), json!(peak_rss_mb()));
    if !mode.starts_with("floor") {
        out.insert(
            "setup_seconds".into(),
            json!(perf.get(Phase::Setup).time.as_secs_f64()),
        );
        out.insert("phases".into(), phases(&perf, pixel_frames));
    }
    Ok(Value::Object(out))
}

/// The floor's mean (e⁻ per pixel-frame): the default spec's typical pixel.
const FLOOR_MEAN: f64 = 300.0;

/// The small-λ floor's row of means: 0.5, 1.5, …, 9.5 e⁻ repeated (mean 5), the
/// inversion range a dim one-photon frame lives in (py-minisim's `full256` has almost
/// every pixel below 10 e⁻).
fn small_means(width: usize) -> Vec<f64> {
    (0..width).map(|x| (x % 10) as f64 + 0.5).collect()
}

/// The RNG floor: per pixel-frame one exact Poisson deviate (mean from `row`, the same
/// for every row) and one standard normal, drawn as digitize draws them (the batched
/// sampler `math::poisson::Batch`, one stream per 16-row block of each frame),
/// parallel over frames. Returns the sum of the draws (so none is elided).
fn floor(height: usize, row: &[f64], frames: u64) -> f64 {
    let width = row.len();
    (0..frames)
        .into_par_iter()
        .map(|f| {
            let blocks = height.div_ceil(digitize::ROW_BLOCK) as u64;
            let means = row;
            let (mut k, mut z) = (vec![0.0; width], vec![0.0; width]);
            let mut acc = 0.0;
            for b in 0..blocks {
                let mut rng = Stream::seed_from_u64(f * blocks + b);
                let mut batch = poisson::Batch::new(&mut rng);
                let rows = digitize::ROW_BLOCK.min(height - b as usize * digitize::ROW_BLOCK);
                for _ in 0..rows {
                    batch.poisson_normal(means, &mut k, &mut z, &mut rng);
                    acc += k.iter().sum::<f64>() + z.iter().sum::<f64>();
                }
            }
            acc
        })
        .sum()
}

fn child(name: &str, mode: &str, threads: usize, quick: bool) -> anyhow::Result<Value> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "bench-run",
        "--scenario",
        name,
        "--mode",
        mode,
        "--threads",
        &threads.to_string(),
    ]);
    if quick {
        cmd.arg("--quick");
    }
    let out = cmd.output()?;
    if !out.status.success() {
        bail!(
            "{name} {mode} ×{threads}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_owned();
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = mem
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map(|k| k / 1024.0 / 1024.0);
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "cpu": model,
        "logical_cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": mem_gib,
        "rustc": rustc,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "vector_isa": vector_isa(),
    })
}

/// The widest instruction set the vector kernels dispatch to on this CPU (the kernels
/// are compiled for AVX-512, AVX2 and NEON and chosen at run time): the sampler's
/// speed, and so every ratio of the report, depends on it.
fn vector_isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            return "avx512";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "avx2";
        }
        "baseline"
    }
    #[cfg(target_arch = "aarch64")]
    {
        "neon"
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "baseline"
    }
}

fn get(v: &Value, k: &str) -> f64 {
    v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// Run every scenario and mode; print a table; return the report.
pub fn run_all(quick: bool, only: &[String]) -> anyhow::Result<Value> {
    let mut scenarios = Vec::new();
    for s in SCENARIOS
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|o| o == s.name))
    {
        eprintln!("bench {} …", s.name);
        let sim1 = child(s.name, "simulate", 1, quick)?;
        let sim2 = child(s.name, "simulate", 2, quick)?;
        let y800 = child(s.name, "video-y800", 2, quick)?;
        let tiff = child(s.name, "video-tiff", 2, quick)?;
        let floor1 = child(s.name, "floor", 1, quick)?;
        let floor2 = child(s.name, "floor", 2, quick)?;
        let small2 = child(s.name, "floor-small", 2, quick)?;
        let ratio2 = get(&sim2, "wall_seconds") / get(&floor2, "wall_seconds");
        let ratio1 = get(&sim1, "wall_seconds") / get(&floor1, "wall_seconds");
        let speedup = get(&sim1, "wall_seconds") / get(&sim2, "wall_seconds");
        println!(
            "{:<20} cells {:>5}  setup {:>6.3} s  simulate {:>7.1} fps (1t {:>6.1})  y800 {:>7.1} fps  tiff {:>7.1} fps  floor {:>7.1} fps (λ≤10 {:>7.1})  pipeline/floor {:>4.2} (1t {:>4.2})  1→2 threads ×{:.2}  peak RSS sim {:>6.0} MB  video {:>5.0} MB",
            s.name,
            sim2.get("cells").and_then(Value::as_u64).unwrap_or(0),
            get(&sim2, "setup_seconds"),
            get(&sim2, "frames_per_s"),
            get(&sim1, "frames_per_s"),
            get(&y800, "frames_per_s"),
            get(&tiff, "frames_per_s"),
            get(&floor2, "frames_per_s"),
            get(&small2, "frames_per_s"),
            ratio2,
            ratio1,
            speedup,
            get(&sim2, "peak_rss_mb"),
            get(&y800, "peak_rss_mb"),
        );
        scenarios.push(json!({
            "scenario": s.name,
            "runs": [sim1, sim2, y800, tiff, floor1, floor2, small2],
            "pipeline_over_floor_2_threads": ratio2,
            "pipeline_over_floor_1_thread": ratio1,
            "speedup_1_to_2_threads": speedup,
        }));
    }
    Ok(json!({ "quick": quick, "machine": machine(), "scenarios": scenarios }))
}

/// Write the report as pretty JSON.
pub fn write_json(report: &Value, path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(report)? + "\n")
        .with_context(|| format!("{}: cannot write", path.display()))
}
