//! Frames through the stages: first the band stages paint every frame of a chunk
//! band by band (`paint`), then each frame goes through the per-frame stages
//! (`render`); snapshots of kept stages, and the resting frame the detectability
//! labels need.

use minisim_spec::StepKind;
use minisim_steps::motion_crop;
use minisim_steps::stage::{self, Band, Frame, FrameBuffers, FrameValues, Plane};
use rayon::prelude::*;

use crate::perf::{PerfTracker, Phase, timed};
use crate::scene::Scene;

/// Where one frame's results go: its slice of the chunk's observed movie and of each
/// kept stage's movie (in stage order, those of the band stages first).
pub(crate) struct FrameSlots<'a> {
    pub counts: Option<&'a mut [u16]>,
    pub intensity: Option<&'a mut [f32]>,
    pub snapshots: Vec<&'a mut [f32]>,
}

/// Which stages frames go through and what is kept of them.
pub(crate) struct Pass<'a> {
    /// The stages, in canonical order (non-movie ones are skipped).
    pub stages: &'a [StepKind],
    /// Stages after which the frame is copied into the next snapshot slot.
    pub snapshot_stages: &'a [StepKind],
    /// Per-phase timing.
    pub perf: Option<&'a PerfTracker>,
}

impl Pass<'_> {
    /// The band stages (a prefix of the movie stages) and the per-frame ones.
    fn split(&self) -> (Vec<StepKind>, Vec<StepKind>) {
        self.stages
            .iter()
            .copied()
            .filter(|k| k.makes_movie())
            .partition(|&k| stage::by_band(k))
    }
}

/// Paint the band stages of `pass` on the canvases of a chunk (`canvases` holds one
/// zeroed canvas per frame, frame after frame), bands in parallel; after each kept
/// band stage, copy every frame's FOV into its next snapshot slot.
pub(crate) fn paint(
    scene: &Scene,
    pass: &Pass<'_>,
    values: &[FrameValues],
    canvases: &mut [f32],
    slots: &mut [FrameSlots<'_>],
) {
    let g = scene.geometry;
    let (w, len) = (g.canvas.width, g.canvas.len());
    let (band_stages, _) = pass.split();
    let mut snap = 0;
    for kind in band_stages {
        // Per band, every frame's rows of that band.
        let bands: Vec<_> = stage::bands(g.canvas.height).collect();
        let mut planes: Vec<Vec<&mut [f32]>> = bands.iter().map(|_| Vec::new()).collect();
        for canvas in canvases.chunks_exact_mut(len.max(1)) {
            for (band_planes, rows) in planes
                .iter_mut()
                .zip(canvas.chunks_mut(stage::BAND_ROWS * w))
            {
                band_planes.push(rows);
            }
        }
        bands.into_par_iter().zip(planes).enumerate().for_each_init(
            Vec::new,
            |scratch, (index, (rows, planes))| {
                let mut band = Band {
                    index,
                    rows,
                    width: w,
                    planes,
                    scratch,
                };
                timed(pass.perf, Phase::Stage(kind), || {
                    stage::apply_band(kind, &scene.spec, &scene.prepared, values, &mut band)
                });
            },
        );
        if pass.snapshot_stages.contains(&kind) {
            slots
                .par_iter_mut()
                .zip(canvases.par_chunks_exact(len.max(1)))
                .for_each(|(slot, canvas)| {
                    if let Some(dst) = slot.snapshots.get_mut(snap) {
                        motion_crop::crop(canvas, g.canvas, g.margin, dst, g.fov);
                    }
                });
            snap += 1;
        }
    }
}

/// Take frame `index`, painted on `canvas` by `paint`, through the per-frame stages
/// of `pass` into `slots`; `first_snapshot` is the number of snapshot slots the band
/// stages filled.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render(
    scene: &Scene,
    pass: &Pass<'_>,
    index: u64,
    values: &FrameValues,
    canvas: &mut [f32],
    buffers: &mut FrameBuffers,
    slots: FrameSlots<'_>,
    first_snapshot: usize,
) {
    let FrameSlots {
        counts,
        intensity,
        mut snapshots,
    } = slots;
    let (_, frame_stages) = pass.split();
    let mut frame = Frame {
        index,
        geometry: scene.geometry,
        rng: &scene.rng,
        plane: Plane::Canvas,
        canvas,
        buffers,
        counts,
    };
    let mut snap = snapshots.iter_mut().skip(first_snapshot);
    for kind in frame_stages {
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

/// The number of snapshot slots the band stages of `pass` fill.
pub(crate) fn band_snapshots(pass: &Pass<'_>) -> usize {
    let (band_stages, _) = pass.split();
    band_stages
        .iter()
        .filter(|k| pass.snapshot_stages.contains(k))
        .count()
}

/// Copy the frame's current image (FOV-sized) into `dst`.
fn copy_out(frame: &Frame<'_>, dst: &mut [f32]) {
    let g = frame.geometry;
    match frame.plane {
        Plane::Canvas => motion_crop::crop(frame.canvas, g.canvas, g.margin, dst, g.fov),
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
    let values = [stage::resting(&scene.spec, &scene.prepared)];
    let mut out = vec![0f32; g.fov.len()];
    let mut canvas = vec![0f32; g.canvas.len()];
    let mut buffers = FrameBuffers::new(&g);
    let pass = Pass {
        stages: &stages,
        snapshot_stages: &[],
        perf: None,
    };
    let mut slots = [FrameSlots {
        counts: None,
        intensity: None,
        snapshots: Vec::new(),
    }];
    paint(scene, &pass, &values, &mut canvas, &mut slots);
    let [slot] = slots;
    let slot = FrameSlots {
        intensity: Some(&mut out),
        ..slot
    };
    render(
        scene,
        &pass,
        0,
        &values[0],
        &mut canvas,
        &mut buffers,
        slot,
        0,
    );
    Some(out)
}
