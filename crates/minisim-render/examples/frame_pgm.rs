//! Write frame N of the default spec's observed movie, its mean image and the composite
//! snapshot as PGM files (developer look-see).

use minisim_render::{Movie, SimulateOptions, simulate};
use minisim_spec::{Spec, StepKind};

fn write_pgm(path: &str, data: &[f32], h: usize, w: usize) {
    let (lo, hi) = data
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let mut bytes = format!("P5\n{w} {h}\n255\n").into_bytes();
    bytes.extend(
        data.iter()
            .map(|&v| (255.0 * (v - lo) / (hi - lo).max(1e-9)) as u8),
    );
    std::fs::write(path, bytes).unwrap();
}

fn main() {
    let spec = Spec::default()
        .with_override("acquisition.frames", serde_json::json!(200))
        .unwrap()
        .with_override("output.snapshot_stages", serde_json::json!(["composite"]))
        .unwrap();
    let rec = simulate(&spec, &SimulateOptions::default()).unwrap();
    let (t, h, w) = rec.observed.shape();
    let Movie::Counts(c) = &rec.observed else {
        panic!()
    };
    let frame: Vec<f32> = c
        .slice(ndarray::s![100, .., ..])
        .iter()
        .map(|&v| v as f32)
        .collect();
    write_pgm("/tmp/frame.pgm", &frame, h, w);
    let mean: Vec<f32> = c
        .mean_axis(ndarray::Axis(0))
        .unwrap()
        .iter()
        .map(|&v| v as f32)
        .collect::<Vec<_>>();
    let _ = t;
    let max: Vec<f32> = c
        .map_axis(ndarray::Axis(0), |v| *v.iter().max().unwrap() as f32)
        .iter()
        .copied()
        .collect();
    let maxmean: Vec<f32> = max.iter().zip(&mean).map(|(a, b)| a - b).collect();
    write_pgm("/tmp/mean.pgm", &mean, h, w);
    write_pgm("/tmp/maxmean.pgm", &maxmean, h, w);
    let comp = rec.snapshot(StepKind::Composite).unwrap();
    let cf: Vec<f32> = comp
        .slice(ndarray::s![100, .., ..])
        .iter()
        .copied()
        .collect();
    write_pgm("/tmp/composite.pgm", &cf, h, w);
}
