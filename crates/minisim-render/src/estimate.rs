//! What a render will need, computed from the spec alone before anything is
//! allocated: the expected number of cells, the scene (footprints, maps, paths,
//! spike trains), the largest transient footprint patch of setup, the per-chunk
//! buffers, and for `simulate` the in-memory movie and ground truth.
//!
//! The figures are expectations (cell counts from densities, patch sizes from the
//! blur of a typical cell), meant to be within a factor of about two: enough to
//! refuse a render that cannot fit before it aborts, and to print in `validate`.
//! Invariant: reading the spec only; O(populations) work.

use minisim_spec::{PlaceNeurons, Spec, SpikeModel, StepKind};
use minisim_steps::composite::HALO_STEP;
use minisim_steps::{Geometry, optics};

use crate::renderer::SimulateOptions;

/// Bytes a render needs, by part.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Estimate {
    /// Expected number of cells placed.
    pub cells: u64,
    /// The prepared scene: footprints, maps, motion path, gains, spike trains.
    pub scene_bytes: u64,
    /// The largest transient of setup: footprint patches being built on every
    /// worker thread.
    pub setup_bytes: u64,
    /// One chunk in flight: its frames, snapshots and the workers' planes.
    pub chunk_bytes: u64,
    /// The whole observed movie and snapshots (`simulate` only).
    pub movie_bytes: u64,
    /// The ground truth (`simulate` only): ΔF/F, traces, footprints, bleaching,
    /// counted twice where it is transposed at the end.
    pub truth_bytes: u64,
}

impl Estimate {
    /// Peak memory of `simulate` (everything in memory).
    pub fn in_memory(&self) -> u64 {
        self.scene_bytes
            .saturating_add(self.setup_bytes.max(self.chunk_bytes))
            .saturating_add(self.movie_bytes)
            .saturating_add(self.truth_bytes)
    }

    /// Peak memory of a streaming render (`simulate_video`): the scene and the chunks
    /// in flight (one being rendered, one queued, one being written; counted as whole
    /// chunks, which overstates the last two).
    pub fn streaming(&self) -> u64 {
        self.scene_bytes
            .saturating_add(self.setup_bytes.max(self.chunk_bytes.saturating_mul(3)))
    }

    /// Bytes of a saved recording (`.npy` files): the movie and the truth.
    pub fn saved_bytes(&self) -> u64 {
        self.movie_bytes.saturating_add(self.truth_bytes / 2)
    }
}

/// Saturating product of non-negative factors as bytes.
fn bytes(factors: &[f64]) -> u64 {
    let p: f64 = factors.iter().product();
    if p.is_finite() && p < u64::MAX as f64 {
        p.max(0.0) as u64
    } else {
        u64::MAX
    }
}

/// Expected cells of one population (or the step as one), and the depth span of
/// its cells around the focal plane, µm.
fn population_cells(p: &PlaceNeurons, g: &Geometry, depths: Option<[f64; 2]>) -> (f64, f64) {
    let pad = 4.0 * p.soma_radius_mean_um;
    let area_mm2 = (g.canvas.width as f64 * g.pixel_um + pad)
        * (g.canvas.height as f64 * g.pixel_um + pad)
        * 1e-6;
    let thickness = match depths {
        Some([lo, hi]) if hi > lo => hi - lo,
        Some(_) => 2.0 * p.soma_radius_mean_um,
        None => p.slab_um,
    };
    (p.density_per_mm3 * area_mm2 * thickness * 1e-3, thickness)
}

/// The estimate of rendering `spec` with `options` (`in_memory`: `simulate`, which
/// keeps the movie and the truth; otherwise a stream).
pub fn estimate(spec: &Spec, options: &SimulateOptions, in_memory: bool) -> Estimate {
    let g = Geometry::of(spec);
    let fov = g.fov.len() as f64;
    let canvas = g.canvas.len() as f64;
    let frames = g.frames as f64;
    let threads = rayon::current_num_threads().max(1) as f64;
    let optics = &spec.acquisition().optics;

    // Cells and their span around focus.
    let (mut cells, mut span_um) = (0.0f64, 0.0f64);
    let mut radius_um = 6.0;
    if let Some(p) = spec.place_neurons() {
        radius_um = p.soma_radius_mean_um;
        match &p.populations {
            None => {
                let (n, t) = population_cells(p, &g, None);
                cells = n;
                span_um = t;
            }
            Some(pops) => {
                for (k, pop) in pops.iter().enumerate() {
                    let Some(q) = p.population(k) else { continue };
                    let (n, t) = match &pop.positions_um {
                        Some(pos) => (pos.len() as f64, 0.0),
                        None => population_cells(&q, &g, pop.depth_range_um),
                    };
                    cells += n;
                    span_um = span_um.max(t);
                }
            }
        }
        cells = cells.min(p.max_cells as f64);
    }
    let n = cells.max(0.0);

    // Footprints: a typical cell a quarter of the span from focus, truncated where
    // the Gaussian falls to 1e-3 of its peak (3.7 σ); the largest before truncation.
    let mut scene = 0.0f64;
    let mut setup = 0.0f64;
    let mut truth_footprints = 0.0f64;
    if let Some(c) = spec.composite() {
        let r_px = radius_um / g.pixel_um;
        let typical = optics::psf_sigma_um(optics, span_um / 4.0) / g.pixel_um;
        let widest = optics::psf_sigma_um(optics, span_um / 2.0) / g.pixel_um;
        let core = (2.0 * (r_px + 3.7 * typical) + 1.0).powi(2);
        let depth = optics.focal_depth_um.um().unwrap_or(span_um);
        let halo_sigma_px =
            ((c.halo_spread * depth).powi(2) + (typical * g.pixel_um).powi(2)).sqrt() / g.pixel_um;
        let halo_full = (2.0 * 3.7 * halo_sigma_px + 1.0).powi(2).min(canvas);
        let halo_nodes = halo_full / (HALO_STEP * HALO_STEP) as f64;
        scene += n * (core + halo_nodes) * 4.0;
        truth_footprints = n * (core + halo_full).min(fov) * 8.0;
        let side = 2.0 * (1.5 * r_px + 4.0 * widest + 2.0) + 1.0;
        setup = threads * side * side * 4.0 * 2.0;
    }
    // Spike trains: mean rate × duration × 8 bytes per spike.
    if let Some(s) = spec.spikes() {
        let mean_rate = match s.model {
            SpikeModel::LognormalBursts => {
                s.rate_median_hz
                    * (s.rate_sigma * s.rate_sigma / 2.0).exp()
                    * (1.0 + s.burst_probability * (s.burst_size_mean - 1.0))
            }
            SpikeModel::TwoState => {
                let t = &s.two_state;
                let f = t.active_fraction();
                f * t.active_rate_hz + (1.0 - f) * t.quiescent_rate_hz
            }
        };
        scene += n * mean_rate * g.duration_s() * 8.0;
    }
    scene += n * 200.0; // cell, shape, kinetics, labels
    if let Some(p) = spec.neuropil() {
        scene += p.components as f64 * canvas * 4.0;
    }
    if let Some(p) = spec.vasculature() {
        let trees = p.layers.iter().flatten().map(|l| l.roots).sum::<u64>() as f64;
        scene += (p.vessels as f64 + trees) * canvas.sqrt() * 200.0;
    }
    scene += frames * (16.0 + 8.0); // motion path, photon gains
    scene += fov * 4.0 * 4.0; // vignette, dust, leakage, PRNU

    // One chunk: its frames and snapshots, per-frame values, the workers' planes.
    let chunk = options.chunk_frames.max(1).min(g.frames.max(1) as usize) as f64;
    let counts = spec
        .kinds()
        .last()
        .is_some_and(|&k| k == StepKind::Digitize);
    let pixel = if counts { 2.0 } else { 4.0 };
    let snaps = spec.output().snapshot_stages.len() as f64;
    let planes = threads * (canvas * 2.0 + fov * 3.0 + canvas / 8.0) * 4.0;
    // The chunk's output frames, its per-frame values, its canvases (the renderer keeps
    // one per frame of the chunk) and the workers' planes.
    let chunk_bytes = bytes(&[chunk, fov, pixel + 4.0 * snaps])
        .saturating_add(bytes(&[chunk, n.max(1.0), 16.0]))
        .saturating_add(bytes(&[chunk, canvas, 4.0]))
        .saturating_add(bytes(&[planes]));

    let (movie, truth) = if in_memory {
        let movie = bytes(&[frames, fov, pixel + 4.0 * snaps]);
        let bleaching = spec
            .photon_field()
            .is_some_and(|p| p.cell_bleaching.is_some());
        let per_frame = n * (1.0 + bleaching as u8 as f64)
            + spec.neuropil().map_or(0.0, |p| p.components as f64);
        let truth = bytes(&[frames, per_frame, 4.0, 2.0])
            .saturating_add(bytes(&[truth_footprints]))
            .saturating_add(bytes(&[fov, 4.0, 6.0]));
        (movie, truth)
    } else {
        (0, 0)
    };
    Estimate {
        cells: n.round() as u64,
        scene_bytes: bytes(&[scene]),
        setup_bytes: bytes(&[setup]),
        chunk_bytes,
        movie_bytes: movie,
        truth_bytes: truth,
    }
}

/// `bytes` as people read it (`1.3 GiB`).
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    let units = [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (size, unit) in units {
        if b >= size as f64 {
            return format!("{:.1} {unit}", b / size as f64);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_movie_dominates_long_recordings_and_scales_with_frames() {
        let spec = Spec::default();
        let o = SimulateOptions::default();
        let e = estimate(&spec, &o, true);
        // 1000 × 256 × 256 u16 counts.
        assert_eq!(e.movie_bytes, 1000 * 256 * 256 * 2);
        // The default spec places ~460 cells (golden: 458).
        assert!((300..700).contains(&e.cells), "{}", e.cells);
        let long = spec
            .with_override(
                "acquisition.frames",
                json!(1_000_000_000_000u64 / 1_000_000),
            )
            .unwrap();
        let el = estimate(&long, &o, true);
        assert!(el.movie_bytes >= 1000 * e.movie_bytes);
        // Streaming keeps no movie.
        assert_eq!(estimate(&long, &o, false).movie_bytes, 0);
        assert!(estimate(&long, &o, false).streaming() < 200 << 20);
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
