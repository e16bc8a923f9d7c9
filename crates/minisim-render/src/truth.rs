//! Ground-truth assembly: every kind of the spec fills its part (`Stage::truth`), in
//! canonical order, then the cells get their focus and detectability labels.

use minisim_steps::stage::{self, States};
use minisim_steps::{GroundTruth, optics};

use crate::frame;
use crate::labels;
use crate::scene::Scene;

/// The ground truth after `frames` rendered frames, consuming the serial states.
pub(crate) fn assemble(scene: &Scene, mut states: States, frames: usize) -> GroundTruth {
    let ctx = scene.context();
    let p = &scene.prepared;
    let kept = if scene.keep_truth { frames } else { 0 };
    let mut truth = GroundTruth::empty(
        &scene.geometry,
        p.n_cells(),
        kept,
        p.focal_depth_um(&scene.spec),
    );
    for kind in scene.spec.kinds() {
        stage::truth(kind, &ctx, p, &mut states, frames, &mut truth);
    }
    label(scene, &mut truth);
    if let Some(export) = &scene.export {
        export.truth(&mut truth);
    }
    truth
}

/// Fill the cell table's focus and detectability labels (see `labels.rs`).
fn label(scene: &Scene, truth: &mut GroundTruth) {
    let spec = &scene.spec;
    let resting = frame::resting(scene).unwrap_or_default();
    let cells = &mut truth.cells;
    cells.in_focus = cells
        .focus_weight
        .iter()
        .map(|&w| w >= optics::IN_FOCUS_WEIGHT)
        .collect();
    let shot = spec.photon_field().is_some();
    let gains = &truth.photon_gain;
    let gain = if shot && !gains.is_empty() {
        gains.iter().sum::<f64>() / gains.len() as f64
    } else {
        1.0
    };
    // The mean haemodynamic transmission scales every pixel like the gain.
    let hemo = &truth.hemodynamic;
    let gain = if hemo.is_empty() {
        gain
    } else {
        gain * hemo.iter().sum::<f64>() / hemo.len() as f64
    };
    let digitize = spec.digitize();
    let prnu: &[f32] = match (&scene.prepared.digitize, digitize) {
        (Some(prnu), Some(_)) => prnu,
        _ => &[],
    };
    let noise = labels::Noise {
        to_electrons: truth
            .vignette
            .iter()
            .zip(truth.vessels.iter())
            .zip(truth.dust.iter())
            .map(|((&v, &t), &d)| gain * v as f64 * t as f64 * d as f64)
            .collect(),
        resting: &resting,
        prnu,
        sensor_var: digitize.map_or(0.0, |d| d.read_noise_e.powi(2) + d.row_noise_e.powi(2)),
        shot: shot && !resting.is_empty(),
    };
    cells.peak_snr = if resting.is_empty() {
        vec![0.0; cells.len()]
    } else {
        labels::peak_snr(&truth.footprints, &cells.peak_dff, &noise)
    };
    cells.detectable = cells
        .peak_snr
        .iter()
        .map(|&v| v >= labels::DETECTABLE_SNR)
        .collect();
}
