//! `simulate`: a whole recording in memory, chunk after chunk from one `Renderer`.

use minisim_spec::{Spec, StepKind};
use ndarray::Array3;

use crate::error::RenderError;
use crate::recording::{Movie, Recording};
use crate::renderer::{ChunkMovie, Renderer, SimulateOptions};

/// Simulate a whole recording in memory.
///
/// Output is bit-identical for any `chunk_frames` and thread count.
pub fn simulate(spec: &Spec, options: &SimulateOptions) -> Result<Recording, RenderError> {
    let mut renderer = Renderer::new(spec, options, true)?;
    let g = renderer.geometry();
    let frames = if renderer.makes_movie() {
        g.frames as usize
    } else {
        0
    };
    let shape = (frames, g.fov.height, g.fov.width);
    let counts = renderer.makes_counts();
    let len = frames.saturating_mul(g.fov.len());
    let mut observed_u16: Vec<u16> = Vec::new();
    let mut observed_f32: Vec<f32> = Vec::new();
    let oom = |bytes: usize| RenderError::OutOfMemory {
        what: "the observed movie",
        bytes: bytes as u64,
    };
    if counts {
        observed_u16
            .try_reserve_exact(len)
            .map_err(|_| oom(len.saturating_mul(2)))?;
    } else {
        observed_f32
            .try_reserve_exact(len)
            .map_err(|_| oom(len.saturating_mul(4)))?;
    }
    let mut snapshots: Vec<(StepKind, Vec<f32>)> = Vec::new();
    while let Some(chunk) = renderer.next_chunk() {
        match chunk.observed {
            ChunkMovie::Counts(c) => observed_u16.extend(c),
            ChunkMovie::Intensity(c) => observed_f32.extend(c),
        }
        for (k, data) in chunk.snapshots {
            match snapshots.iter_mut().find(|(kk, _)| *kk == k) {
                Some(slot) => slot.1.extend(data),
                None => snapshots.push((k, data)),
            }
        }
    }
    // Invariant: the chunks hold every frame of the FOV, so every movie is
    // frames × H × W (a mismatch is a renderer bug, not an input error).
    const SHAPE: &str = "chunks cover frames × H × W";
    let observed = if counts {
        Movie::Counts(Array3::from_shape_vec(shape, observed_u16).expect(SHAPE))
    } else {
        Movie::Intensity(Array3::from_shape_vec(shape, observed_f32).expect(SHAPE))
    };
    let snapshots = snapshots
        .into_iter()
        .map(|(k, d)| (k, Array3::from_shape_vec(shape, d).expect(SHAPE)))
        .collect();
    let truth = renderer.into_truth();
    Ok(Recording {
        spec: spec.clone(),
        cache_key: spec.cache_key(),
        observed,
        snapshots,
        truth,
    })
}
