//! `cargo xtask realism`: summary statistics of each preset's movie beside the ranges
//! seen in real one-photon miniscope recordings. Every statistic uses the movie alone;
//! the definitions live in `minisim-stats` (one module each, tested on known cases):
//! PNR (CNMF-E's, gSig = 5 µm in px; and the disc-kernel PNR at σ = 9 µm with a
//! spectral noise level over the first 100 frames), frame-mean CV and lag-1
//! autocorrelation, top-3 shares of the 8×8- and 10×10-pixel-block movie and the
//! global-mean share (again on 30 µm blocks, which carry the targets), fine structure of the mean image at 3 µm, neighbour correlation of
//! pixel-scale noise, frame-difference / pixel-scale noise, edge/centre,
//! frame-to-frame motion in µm, bleaching drift, photon-transfer gain, brightness.

use minisim::{Movie, SimulateOptions, Spec, simulate};
pub use minisim_stats::realism::Stat;

/// Render `spec` (shortened to `frames`) and compute every statistic
/// ([`minisim_stats::realism::realism`]).
pub fn stats(spec: &Spec, frames: u64) -> anyhow::Result<Vec<Stat>> {
    let spec = if spec.acquisition().frames > frames {
        spec.with_override("acquisition.frames", serde_json::json!(frames))?
    } else {
        spec.clone()
    };
    let rec = simulate(&spec, &SimulateOptions::default())?;
    let movie = match &rec.observed {
        Movie::Counts(c) => c.mapv(|v| v as f32),
        Movie::Intensity(i) => i.clone(),
    };
    Ok(minisim_stats::realism::realism(
        &movie,
        &spec,
        Some(&rec.truth.motion_px),
    ))
}
