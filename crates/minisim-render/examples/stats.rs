//! Print summary statistics of a spec's recording: `cargo run --release -p minisim-render --example stats [spec.json]`.

use minisim_render::{Movie, PerfTracker, SimulateOptions, simulate};
use minisim_spec::Spec;
use std::sync::Arc;

fn main() {
    let spec = match std::env::args().nth(1) {
        Some(path) => {
            Spec::from_json(&std::fs::read_to_string(path).expect("read spec")).expect("valid spec")
        }
        None => Spec::default(),
    };
    let perf = Arc::new(PerfTracker::new());
    let start = std::time::Instant::now();
    let rec = simulate(
        &spec,
        &SimulateOptions {
            perf: Some(perf.clone()),
            ..Default::default()
        },
    )
    .expect("simulate");
    let secs = start.elapsed().as_secs_f64();
    let (t, h, w) = rec.observed.shape();
    println!(
        "{t}×{h}×{w} in {secs:.2} s ({:.1} frames/s)",
        t as f64 / secs
    );
    if let Movie::Counts(c) = &rec.observed {
        let n = c.len() as f64;
        let mean = c.iter().map(|&v| v as f64).sum::<f64>() / n;
        let max = c.iter().copied().max().unwrap_or(0);
        let sat = c
            .iter()
            .filter(|&&v| v == spec.digitize().unwrap().max_count())
            .count() as f64
            / n;
        println!("counts: mean {mean:.1}, max {max}, saturated {:.5}", sat);
    }
    let truth = &rec.truth;
    let in_fov = truth.cells.in_fov.iter().filter(|&&b| b).count();
    println!(
        "cells {} ({} in FOV), footprint nnz {} ({:.1} MB)",
        truth.cells.len(),
        in_fov,
        truth.footprints.data.len(),
        truth.footprints.data.len() as f64 * 8.0 / 1e6
    );
    let spikes: usize = truth.spikes.iter().map(Vec::len).sum();
    println!(
        "spikes {spikes}, mean dff {:.4}",
        truth.calcium_dff.mean().unwrap_or(0.0)
    );
    print!("{}", perf.table());
}
