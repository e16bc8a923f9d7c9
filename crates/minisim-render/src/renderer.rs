//! The `Renderer`: prepares the scene once, then yields chunks of frames.
//!
//! For each chunk it first runs the serial per-frame recursions in frame order (each
//! kind's `advance`: calcium state, neuropil traces, per-cell bleaching; O(cells) per
//! frame), then renders the chunk's frames in parallel — each frame independently,
//! with streams keyed by frame index — and returns them in order. Hence the output is
//! bit-identical for any chunk size and thread count.

use std::sync::{Arc, Mutex};

use minisim_spec::{Spec, StepKind};
use minisim_steps::stage::{self, FrameBuffers, FrameValues, States};
use minisim_steps::{Geometry, GroundTruth};
use rayon::prelude::*;

use crate::error::RenderError;
use crate::estimate::{Estimate, estimate, human_bytes};
use crate::export::Exporter;
use crate::frame::{self, FrameSlots};
use crate::perf::{PerfTracker, Phase, timed};
use crate::scene::Scene;
use crate::truth;

/// Options of a render. `Default`: the whole pipeline, 16-frame chunks, no timing.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Stop after this stage; `observed` is then that stage's movie. Must be a step of
    /// the spec. Stages before `composite` make no movie (`observed` has 0 frames). The
    /// ground truth is the same whatever `until` is.
    pub until: Option<StepKind>,
    /// Frames per chunk (≥ 1). Changes memory and parallelism, never the output.
    pub chunk_frames: usize,
    /// Per-phase timing.
    pub perf: Option<Arc<PerfTracker>>,
    /// The memory the render may use, checked against the estimate before setup.
    pub memory_limit: MemoryLimit,
    /// Called by `simulate` after each chunk with the number of frames done.
    pub progress: Option<Progress>,
    /// Checked by `simulate` before each chunk: once cancelled, it stops and returns
    /// [`RenderError::Cancelled`](crate::RenderError::Cancelled).
    pub cancel: Option<Cancel>,
}

/// A cancellation flag shared with a running render (e.g. set on Ctrl-C). Cloning
/// shares the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Ask the render to stop at its next chunk.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A progress callback: receives the number of frames rendered so far.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Default for SimulateOptions {
    fn default() -> Self {
        SimulateOptions {
            until: None,
            chunk_frames: 16,
            perf: None,
            memory_limit: MemoryLimit::Available,
            progress: None,
            cancel: None,
        }
    }
}

impl MemoryLimit {
    /// Resolve `Available` with `probe` (the system's available memory; `None` when
    /// it cannot be told, which leaves the render unchecked).
    pub fn resolve(self, probe: impl FnOnce() -> Option<u64>) -> MemoryLimit {
        match self {
            MemoryLimit::Available => probe().map_or(MemoryLimit::Unchecked, MemoryLimit::Bytes),
            other => other,
        }
    }
}

/// How much memory a render may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryLimit {
    /// What the system has available when the render starts. The facade's
    /// `simulate`, `simulate_cached` and `simulate_video` resolve it; this crate
    /// alone cannot ask the system and leaves it unchecked.
    #[default]
    Available,
    /// A budget, bytes.
    Bytes(u64),
    /// No check (`--force`): the render may abort if memory runs out.
    Unchecked,
}

/// Frames of one chunk of the observed movie, row-major, frame after frame.
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkMovie {
    /// Sensor counts.
    Counts(Vec<u16>),
    /// Intensity / expected electrons.
    Intensity(Vec<f32>),
}

/// A run of consecutive frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Index of the first frame.
    pub start: u64,
    /// Number of frames.
    pub frames: usize,
    /// The observed frames.
    pub observed: ChunkMovie,
    /// Snapshot frames per kept stage (FOV-sized), in canonical order.
    pub snapshots: Vec<(StepKind, Vec<f32>)>,
}

/// The parts of an estimate, for error messages.
fn describe(e: &Estimate, in_memory: bool) -> String {
    let mut parts = format!(
        "scene {} for ~{} cells, setup {}, chunk {}",
        human_bytes(e.scene_bytes),
        e.cells,
        human_bytes(e.setup_bytes),
        human_bytes(e.chunk_bytes)
    );
    if in_memory {
        parts += &format!(
            ", movie {}, ground truth {}",
            human_bytes(e.movie_bytes),
            human_bytes(e.truth_bytes)
        );
    }
    parts
}

/// Streams chunks of a recording from one prepared scene.
pub struct Renderer {
    scene: Scene,
    chunk_frames: usize,
    perf: Option<Arc<PerfTracker>>,
    next: u64,
    states: States,
    snapshot_stages: Vec<StepKind>,
    /// The canvases of the chunk being rendered, frame after frame (reused).
    canvases: Vec<f32>,
    /// Sensor frames of the chunk before the export (reused; empty without one).
    raw_counts: Vec<u16>,
    raw_intensity: Vec<f32>,
    /// Frame buffers reused across the parallel jobs of every chunk.
    buffers: BufferPool,
}

/// Frame buffers kept across a chunk's parallel jobs and across chunks. Rayon makes a
/// fresh init value per job it splits off (about one per frame): allocating a zeroed
/// FOV plane and growing the scratch planes each time cost ~1 % of a render's
/// instructions, plus the kernel's zeroing of the new pages. Holds at most as many
/// buffers as jobs ran at once. A stage overwrites what it reads of them (as within a
/// job, where one set serves many frames), so reuse changes no bit.
#[derive(Default)]
struct BufferPool(Mutex<Vec<FrameBuffers>>);

impl BufferPool {
    /// A set of buffers for geometry `g`, back in the pool when dropped.
    fn take(&self, g: &Geometry) -> Pooled<'_> {
        let reused = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop();
        Pooled {
            buffers: Some(reused.unwrap_or_else(|| FrameBuffers::new(g))),
            pool: self,
        }
    }
}

/// Buffers taken from a [`BufferPool`].
struct Pooled<'a> {
    buffers: Option<FrameBuffers>,
    pool: &'a BufferPool,
}

impl Pooled<'_> {
    fn get(&mut self) -> &mut FrameBuffers {
        self.buffers.as_mut().expect("present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.buffers.take() {
            self.pool
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(b);
        }
    }
}

impl Renderer {
    /// Check the options and prepare the scene (the `setup` phase). With `keep_truth`
    /// false the per-frame ground truth (ΔF/F, traces) is not accumulated, so memory
    /// stays bounded for long streams.
    pub fn new(
        spec: &Spec,
        options: &SimulateOptions,
        keep_truth: bool,
    ) -> Result<Renderer, RenderError> {
        if options.chunk_frames == 0 {
            return Err(RenderError::ZeroChunk);
        }
        if let Some(stage) = options.until
            && !spec.has(stage)
        {
            return Err(RenderError::UntilNotInSpec {
                stage,
                available: spec
                    .kinds()
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if let MemoryLimit::Bytes(available) = options.memory_limit {
            let e = estimate(spec, options, keep_truth);
            let needed = if keep_truth {
                e.in_memory()
            } else {
                e.streaming()
            };
            if needed > available {
                return Err(RenderError::TooLarge {
                    needed,
                    available,
                    detail: describe(&e, keep_truth),
                });
            }
        }
        let perf = options.perf.clone();
        let (scene, states) = timed(perf.as_deref(), Phase::Setup, || {
            let scene = Scene::prepare(spec, options.until, keep_truth);
            let mut states = States::default();
            let ctx = scene.context();
            for kind in spec.kinds() {
                stage::start(kind, &ctx, &scene.prepared, &mut states);
            }
            (scene, states)
        });
        let snapshot_stages = spec
            .output()
            .snapshot_stages
            .iter()
            .copied()
            .filter(|k| scene.stages.contains(k))
            .collect();
        Ok(Renderer {
            scene,
            chunk_frames: options.chunk_frames,
            perf,
            next: 0,
            states,
            snapshot_stages,
            canvases: Vec::new(),
            raw_counts: Vec::new(),
            raw_intensity: Vec::new(),
            buffers: BufferPool::default(),
        })
    }

    /// Geometry of the recording.
    pub fn geometry(&self) -> Geometry {
        self.scene.geometry
    }

    /// The last stage rendered.
    pub fn last_stage(&self) -> Option<StepKind> {
        self.scene.stages.last().copied()
    }

    /// True if the observed movie is sensor counts (`u16`).
    pub fn makes_counts(&self) -> bool {
        self.sensor_counts() && self.scene.export.as_ref().is_none_or(|e| e.keeps_counts())
    }

    /// True if the last stage writes sensor counts (before any export).
    fn sensor_counts(&self) -> bool {
        self.last_stage().is_some_and(stage::writes_counts)
    }

    /// Size of the observed frames: the FOV, or the export's output.
    pub fn output_dims(&self) -> minisim_steps::Dims {
        self.scene
            .export
            .as_ref()
            .map_or(self.scene.geometry.fov, |e| e.dims())
    }

    /// True if the observed movie has frames (a movie stage runs).
    pub fn makes_movie(&self) -> bool {
        self.last_stage().is_some_and(StepKind::makes_movie)
    }

    /// The spec being rendered.
    pub fn spec(&self) -> &Spec {
        &self.scene.spec
    }

    /// Bytes held by the cells' footprint patches (bounding boxes of f32 weights).
    pub fn footprint_bytes(&self) -> usize {
        self.scene
            .prepared
            .composite
            .as_ref()
            .map_or(0, |c| c.bytes())
    }

    /// Frames rendered so far.
    pub fn frames_done(&self) -> u64 {
        self.next
    }

    /// The serial part of frame `f`: every kind's `advance`, in canonical order.
    fn advance(&mut self, f: u64) -> FrameValues {
        let mut values = FrameValues::default();
        let ctx = self.scene.context();
        for kind in self.scene.spec.kinds() {
            if stage::advances(kind) {
                timed(self.perf.as_deref(), Phase::Stage(kind), || {
                    stage::advance(
                        kind,
                        &ctx,
                        &self.scene.prepared,
                        &mut self.states,
                        f,
                        &mut values,
                    )
                });
            }
        }
        values
    }

    /// The frames the next chunk will hold, or `None` after the last frame.
    pub fn next_frames(&self) -> Option<std::ops::Range<u64>> {
        let frames = self.scene.geometry.frames;
        (self.next < frames).then(|| self.next..(self.next + self.chunk_frames as u64).min(frames))
    }

    /// Render the next chunk, or `None` after the last frame.
    pub fn next_chunk(&mut self) -> Option<Chunk> {
        let frames = self.next_frames()?;
        let n = (frames.end - frames.start) as usize;
        let len = if self.makes_movie() {
            n * self.output_dims().len()
        } else {
            0
        };
        let counts = self.makes_counts();
        let mut observed_u16 = if counts { vec![0u16; len] } else { Vec::new() };
        let mut observed_f32 = if counts { Vec::new() } else { vec![0f32; len] };
        let (start, frames, snapshots) =
            self.next_chunk_into(&mut observed_u16, &mut observed_f32)?;
        let observed = if counts {
            ChunkMovie::Counts(observed_u16)
        } else {
            ChunkMovie::Intensity(observed_f32)
        };
        Some(Chunk {
            start,
            frames,
            observed,
            snapshots,
        })
    }

    /// Render the next chunk into `counts` (when the observed movie is counts) or
    /// `intensity` (otherwise): slices of exactly the chunk's frames × observed pixels
    /// (`output_dims`; see `next_frames`; the other one and, without a movie, both
    /// are ignored). Returns the first frame, the number of frames and the snapshots
    /// (FOV-sized), or `None` after the last frame.
    #[allow(clippy::type_complexity)]
    pub fn next_chunk_into(
        &mut self,
        counts_out: &mut [u16],
        intensity_out: &mut [f32],
    ) -> Option<(u64, usize, Vec<(StepKind, Vec<f32>)>)> {
        if self.scene.export.is_none() || !self.makes_movie() {
            return self.render_chunk_into(counts_out, intensity_out);
        }
        // Sensor frames into scratch, then the export into the caller's slices.
        let n = self.next_frames().map_or(0, |r| (r.end - r.start) as usize);
        let fov_len = self.scene.geometry.fov.len();
        let sensor_counts = self.sensor_counts();
        let mut raw_u16 = std::mem::take(&mut self.raw_counts);
        let mut raw_f32 = std::mem::take(&mut self.raw_intensity);
        if sensor_counts {
            raw_u16.resize(n * fov_len, 0);
        } else {
            raw_f32.resize(n * fov_len, 0.0);
        }
        let result = self.render_chunk_into(&mut raw_u16, &mut raw_f32);
        if let (Some(export), Some((start, _, _))) = (&self.scene.export, &result) {
            let out_len = self.output_dims().len();
            let counts = self.makes_counts();
            let perf = self.perf.as_deref();
            timed(perf, Phase::Export, || {
                let frames: Vec<(usize, &mut [u16], &mut [f32])> = if counts {
                    counts_out
                        .chunks_mut(out_len)
                        .take(n)
                        .enumerate()
                        .map(|(i, c)| (i, c, &mut [][..]))
                        .collect()
                } else {
                    intensity_out
                        .chunks_mut(out_len)
                        .take(n)
                        .enumerate()
                        .map(|(i, c)| (i, &mut [][..], c))
                        .collect()
                };
                frames.into_par_iter().for_each_init(
                    || (Vec::new(), Vec::new(), Vec::new()),
                    |(raw, out, tmp), (i, c_out, f_out)| {
                        let src: &[f32] = if sensor_counts {
                            raw.clear();
                            raw.extend(
                                raw_u16[i * fov_len..(i + 1) * fov_len]
                                    .iter()
                                    .map(|&v| v as f32),
                            );
                            raw
                        } else {
                            &raw_f32[i * fov_len..(i + 1) * fov_len]
                        };
                        let f = *start + i as u64;
                        if counts {
                            out.resize(out_len, 0.0);
                            export.frame(f, src, out, tmp);
                            Exporter::to_counts(out, c_out);
                        } else {
                            export.frame(f, src, f_out, tmp);
                        }
                    },
                );
            });
        }
        self.raw_counts = raw_u16;
        self.raw_intensity = raw_f32;
        result
    }

    /// Render the next chunk of sensor frames into `counts` or `intensity` (FOV-sized
    /// frames), as `next_chunk_into` describes.
    #[allow(clippy::type_complexity)]
    fn render_chunk_into(
        &mut self,
        counts_out: &mut [u16],
        intensity_out: &mut [f32],
    ) -> Option<(u64, usize, Vec<(StepKind, Vec<f32>)>)> {
        let g = self.scene.geometry;
        let range = self.next_frames()?;
        let (start, end) = (range.start, range.end);
        let values: Vec<FrameValues> = (start..end).map(|f| self.advance(f)).collect();
        self.next = end;
        let n = (end - start) as usize;
        if !self.makes_movie() {
            return Some((start, n, Vec::new()));
        }
        let len = g.fov.len();
        let counts = self.sensor_counts();
        let mut snapshot_data: Vec<Vec<f32>> = self
            .snapshot_stages
            .iter()
            .map(|_| vec![0f32; n * len])
            .collect();
        let mut slots: Vec<FrameSlots<'_>> = (0..n)
            .map(|_| FrameSlots {
                counts: None,
                intensity: None,
                snapshots: Vec::new(),
            })
            .collect();
        if counts {
            for (slot, frame) in slots.iter_mut().zip(counts_out.chunks_mut(len.max(1))) {
                slot.counts = Some(frame);
            }
        } else {
            for (slot, frame) in slots.iter_mut().zip(intensity_out.chunks_mut(len.max(1))) {
                slot.intensity = Some(frame);
            }
        }
        for stage in snapshot_data.iter_mut() {
            for (slot, frame) in slots.iter_mut().zip(stage.chunks_mut(len.max(1))) {
                slot.snapshots.push(frame);
            }
        }
        let scene = &self.scene;
        let pass = frame::Pass {
            stages: &scene.stages,
            snapshot_stages: &self.snapshot_stages,
            perf: self.perf.as_deref(),
        };
        let canvas_len = g.canvas.len();
        // Zeroed in parallel, frame by frame (the buffer is reused across chunks).
        self.canvases.resize(n * canvas_len, 0.0);
        self.canvases
            .par_chunks_mut(canvas_len.max(1))
            .for_each(|c| c.fill(0.0));
        frame::paint(scene, &pass, &values, &mut self.canvases, &mut slots);
        let first_snapshot = frame::band_snapshots(&pass);
        let pool = &self.buffers;
        slots
            .into_par_iter()
            .zip(values.par_iter())
            .zip(self.canvases.par_chunks_exact_mut(canvas_len.max(1)))
            .enumerate()
            .for_each_init(
                || pool.take(&g),
                |buffers, (i, ((slot, v), canvas))| {
                    frame::render(
                        scene,
                        &pass,
                        start + i as u64,
                        v,
                        canvas,
                        buffers.get(),
                        slot,
                        first_snapshot,
                    )
                },
            );
        let snapshots = self
            .snapshot_stages
            .iter()
            .copied()
            .zip(snapshot_data)
            .collect();
        Some((start, n, snapshots))
    }

    /// The ground truth of the frames rendered (call after the last chunk).
    pub fn into_truth(self) -> GroundTruth {
        let perf = self.perf.clone();
        timed(perf.as_deref(), Phase::Finalize, || {
            truth::assemble(&self.scene, self.states, self.next as usize)
        })
    }
}
