//! `simulate`: a whole recording in memory, chunk after chunk from one `Renderer`.

use minisim_spec::{Spec, StepKind};
use ndarray::Array3;

use crate::error::RenderError;
use crate::recording::{Movie, Recording};
use rayon::prelude::*;

use crate::renderer::{Renderer, SimulateOptions};

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
    let out = renderer.output_dims();
    let shape = (frames, out.height, out.width);
    let counts = renderer.makes_counts();
    let len = frames.saturating_mul(out.len());
    let mut observed_u16: Vec<u16> = Vec::new();
    let mut observed_f32: Vec<f32> = Vec::new();
    let oom = |bytes: usize| RenderError::OutOfMemory {
        what: "the observed movie",
        bytes: bytes as u64,
    };
    // Reserved fallibly, then zeroed in parallel (first touch of the pages included);
    // the renderer writes each chunk straight into its frames.
    if counts {
        observed_u16
            .try_reserve_exact(len)
            .map_err(|_| oom(len.saturating_mul(2)))?;
        observed_u16.par_extend(rayon::iter::repeat_n(0u16, len));
    } else {
        observed_f32
            .try_reserve_exact(len)
            .map_err(|_| oom(len.saturating_mul(4)))?;
        observed_f32.par_extend(rayon::iter::repeat_n(0f32, len));
    }
    let mut snapshots: Vec<(StepKind, Vec<f32>)> = Vec::new();
    let frame_len = out.len();
    while let Some(range) = renderer.next_frames() {
        if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(RenderError::Cancelled);
        }
        let (a, b) = if frames > 0 {
            (
                range.start as usize * frame_len,
                range.end as usize * frame_len,
            )
        } else {
            (0, 0)
        };
        let (u16_out, f32_out): (&mut [u16], &mut [f32]) = if counts {
            (&mut observed_u16[a..b], &mut [])
        } else {
            (&mut [], &mut observed_f32[a..b])
        };
        let Some((_, _, chunk_snapshots)) = renderer.next_chunk_into(u16_out, f32_out) else {
            break;
        };
        if let Some(p) = &options.progress {
            (p.0)(range.end);
        }
        for (k, data) in chunk_snapshots {
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
        .map(|(k, d)| {
            let sensor = (frames, g.fov.height, g.fov.width);
            (k, Array3::from_shape_vec(sensor, d).expect(SHAPE))
        })
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
