//! One frame through the stages: the image work of each kind in canonical order on
//! one worker's planes, the snapshots of kept stages, and the resting frame the
//! detectability labels need.

use minisim_spec::StepKind;
use minisim_steps::motion_crop;
use minisim_steps::stage::{self, Frame, FrameBuffers, FrameValues, Plane};

use crate::perf::{PerfTracker, Phase, timed};
use crate::scene::Scene;

/// Where one frame's results go: its slice of the chunk's observed movie and of each
/// kept stage's movie.
pub(crate) struct FrameSlots<'a> {
    pub counts: Option<&'a mut [u16]>,
    pub intensity: Option<&'a mut [f32]>,
    pub snapshots: Vec<&'a mut [f32]>,
}

/// Which stages a frame goes through and what is kept of it.
pub(crate) struct Pass<'a> {
    /// The stages, in canonical order (non-movie ones are skipped).
    pub stages: &'a [StepKind],
    /// Stages after which the frame is copied into the next snapshot slot.
    pub snapshot_stages: &'a [StepKind],
    /// Per-phase timing.
    pub perf: Option<&'a PerfTracker>,
}

/// Render frame `index` through `pass` into `slots`.
pub(crate) fn render(
    scene: &Scene,
    pass: &Pass<'_>,
    index: u64,
    values: &FrameValues,
    buffers: &mut FrameBuffers,
    slots: FrameSlots<'_>,
) {
    let FrameSlots {
        counts,
        intensity,
        mut snapshots,
    } = slots;
    buffers.canvas.fill(0.0);
    let mut frame = Frame {
        index,
        geometry: scene.geometry,
        rng: &scene.rng,
        plane: Plane::Canvas,
        buffers,
        counts,
    };
    let mut snap = snapshots.iter_mut();
    for &kind in pass.stages.iter().filter(|k| k.makes_movie()) {
        timed(pass.perf, Phase::Stage(kind), || {
            stage::apply(kind, &scene.spec, &scene.prepared, values, &mut frame)
        });
        if pass.snapshot_stages.contains(&kind)
            && let Some(dst) = snap.next()
        {
            copy_out(&frame, dst);
        }
    }
    if let Some(out) = intensity {
        out.copy_from_slice(frame.fov());
    }
}

/// Copy the frame's current image (FOV-sized) into `dst`.
fn copy_out(frame: &Frame<'_>, dst: &mut [f32]) {
    let g = frame.geometry;
    match frame.plane {
        Plane::Canvas => motion_crop::crop(&frame.buffers.canvas, g.canvas, g.margin, dst, g.fov),
        Plane::Fov => dst.copy_from_slice(&frame.buffers.fov),
        Plane::Counts => {
            let counts = frame.counts.as_deref().unwrap_or(&[]);
            dst.iter_mut().zip(counts).for_each(|(d, &c)| *d = c as f32);
        }
    }
}

/// Expected electrons (intensity without `photon_field`) of each FOV pixel in frame
/// 0 with every cell at rest and the neuropil at its mean, through every movie stage
/// of the spec except the sensor; `None` without a movie stage or frames.
pub(crate) fn resting(scene: &Scene) -> Option<Vec<f32>> {
    let g = scene.geometry;
    let stages: Vec<StepKind> = scene
        .spec
        .kinds()
        .into_iter()
        .filter(|&k| k.makes_movie() && !stage::writes_counts(k))
        .collect();
    if stages.is_empty() || g.frames == 0 {
        return None;
    }
    let values = stage::resting(&scene.spec, &scene.prepared);
    let mut out = vec![0f32; g.fov.len()];
    let mut buffers = FrameBuffers::new(&g);
    let slots = FrameSlots {
        counts: None,
        intensity: Some(&mut out),
        snapshots: Vec::new(),
    };
    let pass = Pass {
        stages: &stages,
        snapshot_stages: &[],
        perf: None,
    };
    render(scene, &pass, 0, &values, &mut buffers, slots);
    Some(out)
}
