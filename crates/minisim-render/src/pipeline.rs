//! The chunked frame pipeline and `simulate`.
//!
//! A `Renderer` prepares the scene once, then yields chunks of frames. For each chunk
//! it first runs the per-frame recursions in frame order (calcium state, neuropil
//! traces: O(cells) per frame, serial), then renders the chunk's frames in parallel —
//! each frame independently, with streams keyed by frame index — and returns them in
//! order. Hence the output is bit-identical for any chunk size and thread count.

use std::sync::Arc;

use minisim_spec::{Spec, StepKind};
use minisim_steps::calcium::{self, CellState};
use minisim_steps::composite::HaloGrid;
use minisim_steps::{
    Dims, Streams, composite, digitize, leakage, motion_crop, neuropil, photon_field, vasculature,
    vignette,
};
use ndarray::{Array1, Array2, Array3};
use rayon::prelude::*;

use crate::error::RenderError;
use crate::labels;
use crate::perf::{PerfTracker, Phase, timed};
use crate::recording::{CellTable, Csr, GroundTruth, Movie, Recording};
use crate::scene::{Geometry, Scene, label};
use crate::streams::StageStreams;

/// Rows per digitize block: each block of each frame has its own stream.
const ROW_BLOCK: usize = 16;

/// Options of a render. `Default`: the whole pipeline, 16-frame chunks, no timing.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Stop after this stage; `observed` is then that stage's movie. Must be a step of
    /// the spec. Stages before `composite` make no movie (`observed` has 0 frames).
    pub until: Option<StepKind>,
    /// Frames per chunk (≥ 1). Changes memory and parallelism, never the output.
    pub chunk_frames: usize,
    /// Per-phase timing.
    pub perf: Option<Arc<PerfTracker>>,
}

impl Default for SimulateOptions {
    fn default() -> Self {
        SimulateOptions {
            until: None,
            chunk_frames: 16,
            perf: None,
        }
    }
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

fn phase_of(kind: StepKind) -> Phase {
    match kind {
        StepKind::Neuropil => Phase::Neuropil,
        StepKind::Vasculature => Phase::Vasculature,
        StepKind::MotionCrop => Phase::MotionCrop,
        StepKind::Vignette => Phase::Vignette,
        StepKind::PhotonField => Phase::PhotonField,
        StepKind::Leakage => Phase::Leakage,
        StepKind::Digitize => Phase::Digitize,
        _ => Phase::Composite,
    }
}

/// Streams chunks of a recording from one prepared scene.
pub struct Renderer {
    scene: Scene,
    chunk_frames: usize,
    perf: Option<Arc<PerfTracker>>,
    keep_truth: bool,
    next: u64,
    calcium: Vec<CellState>,
    neuropil_state: Vec<f64>,
    snapshot_stages: Vec<StepKind>,
    /// ΔF/F, frame-major (frames × cells), if truth is kept.
    dff: Vec<f32>,
    /// Neuropil traces, frame-major (frames × K), if truth is kept.
    traces: Vec<f32>,
    /// Largest ΔF/F per cell so far (always kept: it labels detectability).
    peak_dff: Vec<f32>,
    /// Per-cell intact fluorophore fraction at the next frame's start (bleaching).
    bleach: Vec<f64>,
    /// Per-cell intact fraction, frame-major (frames × cells), if truth is kept.
    bleach_truth: Vec<f32>,
}

/// Per-frame temporal inputs: ΔF/F per cell, neuropil trace per component and the
/// intact fluorophore fraction per cell (empty without per-cell bleaching).
struct FrameInputs {
    dff: Vec<f32>,
    traces: Vec<f64>,
    bleach: Vec<f32>,
}

/// Scratch planes reused by one worker across frames (no allocation per frame).
struct Buffers {
    canvas: Vec<f32>,
    coarse: Vec<f32>,
    fov: Vec<f32>,
    scratch: Vec<f32>,
    /// One blur sample, FOV-sized (intra-exposure motion blur).
    sample: Vec<f32>,
}

impl Buffers {
    fn new(g: &Geometry, grid: HaloGrid) -> Self {
        Buffers {
            canvas: vec![0.0; g.canvas.len()],
            coarse: vec![0.0; grid.dims.len()],
            fov: vec![0.0; g.fov.len()],
            scratch: Vec::new(),
            sample: Vec::new(),
        }
    }
}

/// Where one frame's results go: its slice of the chunk's observed movie and of each
/// snapshot stage's movie.
struct FrameSlots<'a> {
    counts: Option<&'a mut [u16]>,
    intensity: Option<&'a mut [f32]>,
    snapshots: Vec<&'a mut [f32]>,
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
        let perf = options.perf.clone();
        let scene = timed(perf.as_deref(), Phase::Setup, || {
            Scene::prepare(spec, options.until)
        });
        let n_cells = scene.cells.len();
        let calcium = vec![CellState::default(); n_cells];
        let neuropil_state = match spec.neuropil() {
            Some(p) if scene.runs(StepKind::Neuropil) => neuropil::initial_state(
                p,
                &mut StageStreams::new(spec.seed(), label::NEUROPIL_TIME).stream(0),
            ),
            _ => Vec::new(),
        };
        let snapshot_stages = spec
            .output()
            .snapshot_stages
            .iter()
            .copied()
            .filter(|k| scene.runs(*k))
            .collect();
        Ok(Renderer {
            scene,
            chunk_frames: options.chunk_frames,
            perf,
            keep_truth,
            next: 0,
            calcium,
            neuropil_state,
            snapshot_stages,
            dff: Vec::new(),
            traces: Vec::new(),
            peak_dff: vec![0.0; n_cells],
            bleach: vec![1.0; n_cells],
            bleach_truth: Vec::new(),
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

    /// True if the observed movie is sensor counts.
    pub fn makes_counts(&self) -> bool {
        self.last_stage() == Some(StepKind::Digitize)
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
            .footprints
            .iter()
            .flatten()
            .map(|fp| fp.bytes())
            .sum()
    }

    /// Frames rendered so far.
    pub fn frames_done(&self) -> u64 {
        self.next
    }

    fn temporal(&mut self, f: u64) -> FrameInputs {
        let s = &self.scene;
        let timing = s.geometry.timing;
        let mut dff = vec![0f32; s.cells.len()];
        if s.runs(StepKind::Calcium) {
            for (c, out) in dff.iter_mut().enumerate() {
                let x = calcium::advance(
                    &mut self.calcium[c],
                    &s.recursions[c],
                    &s.trains.times_s[c],
                    f,
                    timing,
                );
                let [saturation, hill] = s.saturation[c];
                *out = calcium::saturate(x, saturation, hill) as f32;
            }
        }
        let mut traces = Vec::new();
        if let Some(p) = s.spec.neuropil().filter(|_| s.runs(StepKind::Neuropil)) {
            let mean = if dff.is_empty() {
                0.0
            } else {
                dff.iter().map(|&v| v as f64).sum::<f64>() / dff.len() as f64
            };
            traces = neuropil::traces(p, &self.neuropil_state, mean);
            let mut rng = StageStreams::new(s.spec.seed(), label::NEUROPIL_TIME).stream(f + 1);
            neuropil::advance(p, &mut self.neuropil_state, timing.period_s, &mut rng);
        }
        for (peak, &d) in self.peak_dff.iter_mut().zip(&dff) {
            *peak = peak.max(d);
        }
        let mut bleach = Vec::new();
        if let Some(b) = s
            .spec
            .photon_field()
            .and_then(|p| p.cell_bleaching.as_ref())
            && !s.excitation.is_empty()
        {
            bleach = self.bleach.iter().map(|&q| q as f32).collect();
            for ((q, &e), &d) in self.bleach.iter_mut().zip(&s.excitation).zip(&dff) {
                *q = photon_field::bleach_step(b, *q, e, d as f64, timing.period_s);
            }
        }
        if self.keep_truth {
            self.dff.extend_from_slice(&dff);
            self.traces.extend(traces.iter().map(|&v| v as f32));
            self.bleach_truth.extend_from_slice(&bleach);
        }
        FrameInputs {
            dff,
            traces,
            bleach,
        }
    }

    /// Render frame `f` through `stages` (a prefix of the scene's stages) into `slots`.
    fn render_frame(
        &self,
        f: u64,
        stages: &[StepKind],
        inputs: &FrameInputs,
        buf: &mut Buffers,
        slots: FrameSlots<'_>,
    ) {
        let s = &self.scene;
        let g = s.geometry;
        let perf = self.perf.as_deref();
        let spec = &s.spec;
        let Buffers {
            canvas,
            coarse,
            fov,
            scratch,
            sample,
        } = buf;
        let FrameSlots {
            mut counts,
            intensity,
            mut snapshots,
        } = slots;
        canvas.fill(0.0);
        let mut on_canvas = true;
        let mut snap = 0;
        for &stage in stages {
            if !stage.makes_movie() {
                continue;
            }
            timed(perf, phase_of(stage), || match stage {
                StepKind::Composite => {
                    coarse.fill(0.0);
                    for (c, ((fp, &b), &d)) in s
                        .footprints
                        .iter()
                        .zip(&s.brightness)
                        .zip(&inputs.dff)
                        .enumerate()
                    {
                        if let Some(fp) = fp {
                            // q = 1 without per-cell bleaching; b·1 is exact, so the
                            // scale is then b·(1 + d) to the bit.
                            let q = inputs.bleach.get(c).copied().unwrap_or(1.0);
                            let scale = b * q * (1.0 + d);
                            if let Some(core) = &fp.core {
                                composite::add(core, scale, canvas, g.canvas);
                            }
                            if let Some(halo) = &fp.halo {
                                composite::add(halo, scale, coarse, s.halo_grid.dims);
                            }
                        }
                    }
                    s.halo_grid.upsample_add(coarse, canvas, g.canvas);
                }
                StepKind::Neuropil => neuropil::add(&s.neuropil, &inputs.traces, canvas),
                StepKind::Vasculature => {
                    let p = spec.vasculature().expect("stage runs");
                    vasculature::apply(p, &s.vessels, g.frame_mid_s(f), canvas);
                }
                StepKind::MotionCrop => {
                    let p = spec.motion_crop().expect("stage runs");
                    let plane = motion_crop::Canvas {
                        data: canvas,
                        dims: g.canvas,
                        margin: g.margin,
                    };
                    let start = s.motion[f as usize];
                    let next = s.motion.get(f as usize + 1).copied().unwrap_or(start);
                    let fraction = g.timing.exposure_s / g.timing.period_s;
                    let positions =
                        motion_crop::blur_positions(start, next, fraction, p.exposure_blur_samples);
                    if let [only] = positions[..] {
                        motion_crop::shift_crop(p, plane, only, fov, g.fov, scratch);
                    } else {
                        fov.fill(0.0);
                        sample.resize(g.fov.len(), 0.0);
                        let weight = 1.0 / positions.len() as f32;
                        for pos in positions {
                            motion_crop::shift_crop(p, plane, pos, sample, g.fov, scratch);
                            fov.iter_mut()
                                .zip(sample.iter())
                                .for_each(|(a, &b)| *a += weight * b);
                        }
                    }
                    on_canvas = false;
                }
                StepKind::Vignette => {
                    to_fov(&mut on_canvas, canvas, fov, g);
                    vignette::apply(&s.vignette, fov);
                }
                StepKind::PhotonField => {
                    to_fov(&mut on_canvas, canvas, fov, g);
                    photon_field::apply(s.gains[f as usize], fov);
                }
                StepKind::Leakage => leakage::apply(&s.leakage, fov),
                StepKind::Digitize => {
                    let p = spec.digitize().expect("stage runs");
                    let out = counts
                        .as_deref_mut()
                        .expect("a counts slot when digitize runs");
                    let blocks = g.fov.height.div_ceil(ROW_BLOCK) as u64;
                    let streams = StageStreams::new(spec.seed(), label::DIGITIZE);
                    let w = g.fov.width;
                    for (b, ((lam, prnu), dst)) in fov
                        .chunks(ROW_BLOCK * w)
                        .zip(s.prnu.chunks(ROW_BLOCK * w))
                        .zip(out.chunks_mut(ROW_BLOCK * w))
                        .enumerate()
                    {
                        let mut rng = streams.stream(f * blocks + b as u64);
                        digitize::digitize_rows(p, lam, prnu, w, &mut rng, dst);
                    }
                }
                _ => {}
            });
            if self.snapshot_stages.contains(&stage)
                && let Some(dst) = snapshots.get_mut(snap)
            {
                let dst = &mut **dst;
                snap += 1;
                if on_canvas {
                    motion_crop::crop(canvas, g.canvas, g.margin, dst, g.fov);
                } else if stage == StepKind::Digitize {
                    let c = counts.as_deref().expect("counts written");
                    dst.iter_mut().zip(c).for_each(|(d, &c)| *d = c as f32);
                } else {
                    dst.copy_from_slice(fov);
                }
            }
        }
        if let Some(out) = intensity {
            to_fov(&mut on_canvas, canvas, fov, g);
            out.copy_from_slice(fov);
        }
    }

    /// Expected electrons (intensity without `photon_field`) of each FOV pixel in frame
    /// 0 with every cell at rest and the neuropil at its mean, before the sensor; `None`
    /// without a movie stage or frames.
    fn resting_frame(&self) -> Option<Vec<f32>> {
        let g = self.scene.geometry;
        if !self.makes_movie() || g.frames == 0 {
            return None;
        }
        let stages: Vec<StepKind> = self
            .scene
            .stages
            .iter()
            .copied()
            .filter(|&k| k != StepKind::Digitize)
            .collect();
        let inputs = FrameInputs {
            dff: vec![0.0; self.scene.cells.len()],
            traces: vec![0.0; self.scene.neuropil.len()],
            bleach: Vec::new(),
        };
        let mut out = vec![0f32; g.fov.len()];
        let mut buf = Buffers::new(&g, self.scene.halo_grid);
        let slots = FrameSlots {
            counts: None,
            intensity: Some(&mut out),
            snapshots: Vec::new(),
        };
        self.render_frame(0, &stages, &inputs, &mut buf, slots);
        Some(out)
    }

    /// Render the next chunk, or `None` after the last frame.
    pub fn next_chunk(&mut self) -> Option<Chunk> {
        let g = self.scene.geometry;
        if self.next >= g.frames {
            return None;
        }
        let start = self.next;
        let end = (start + self.chunk_frames as u64).min(g.frames);
        let perf = self.perf.clone();
        let inputs: Vec<FrameInputs> = timed(perf.as_deref(), Phase::Composite, || {
            (start..end).map(|f| self.temporal(f)).collect()
        });
        self.next = end;
        let n = (end - start) as usize;
        if !self.makes_movie() {
            return Some(Chunk {
                start,
                frames: n,
                observed: ChunkMovie::Intensity(Vec::new()),
                snapshots: Vec::new(),
            });
        }
        let len = g.fov.len();
        let counts = self.makes_counts();
        let mut observed_u16 = if counts {
            vec![0u16; n * len]
        } else {
            Vec::new()
        };
        let mut observed_f32 = if counts {
            Vec::new()
        } else {
            vec![0f32; n * len]
        };
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
        for (slot, frame) in slots.iter_mut().zip(observed_u16.chunks_mut(len)) {
            slot.counts = Some(frame);
        }
        for (slot, frame) in slots.iter_mut().zip(observed_f32.chunks_mut(len)) {
            slot.intensity = Some(frame);
        }
        for stage in snapshot_data.iter_mut() {
            for (slot, frame) in slots.iter_mut().zip(stage.chunks_mut(len)) {
                slot.snapshots.push(frame);
            }
        }
        let this = &*self;
        let grid = self.scene.halo_grid;
        slots
            .into_par_iter()
            .zip(inputs.par_iter())
            .enumerate()
            .for_each_init(
                || Buffers::new(&g, grid),
                |buf, (i, (slot, inp))| {
                    this.render_frame(start + i as u64, &this.scene.stages, inp, buf, slot)
                },
            );
        let observed = if counts {
            ChunkMovie::Counts(observed_u16)
        } else {
            ChunkMovie::Intensity(observed_f32)
        };
        let snapshots = self
            .snapshot_stages
            .iter()
            .copied()
            .zip(snapshot_data)
            .collect();
        Some(Chunk {
            start,
            frames: n,
            observed,
            snapshots,
        })
    }

    /// The ground truth of the frames rendered (call after the last chunk).
    pub fn into_truth(self) -> GroundTruth {
        let perf = self.perf.clone();
        timed(perf.as_deref(), Phase::Finalize, || truth(self))
    }
}

fn to_fov(on_canvas: &mut bool, canvas: &[f32], fov: &mut [f32], g: Geometry) {
    if *on_canvas {
        motion_crop::crop(canvas, g.canvas, g.margin, fov, g.fov);
        *on_canvas = false;
    }
}

#[allow(clippy::ptr_arg)]
fn crop_plane(plane: &[f32], g: Geometry) -> Vec<f32> {
    let mut out = vec![0f32; g.fov.len()];
    motion_crop::crop(plane, g.canvas, g.margin, &mut out, g.fov);
    out
}

fn plane(data: Vec<f32>, fov: Dims, fill: f32) -> Array2<f32> {
    let data = if data.is_empty() {
        vec![fill; fov.len()]
    } else {
        data
    };
    Array2::from_shape_vec((fov.height, fov.width), data).expect("FOV-sized map")
}

fn truth(r: Renderer) -> GroundTruth {
    let resting = r.resting_frame();
    let s = &r.scene;
    let g = s.geometry;
    let frames = r.next as usize;
    let n = s.cells.len();
    let m_um = g.margin as f64 * g.pixel_um;
    let fov_um = [
        g.fov.height as f64 * g.pixel_um,
        g.fov.width as f64 * g.pixel_um,
    ];
    let mut cells = CellTable::default();
    for (i, c) in s.cells.iter().enumerate() {
        let (x, y) = (c.x_um - m_um, c.y_um - m_um);
        cells.id.push(i as u32);
        cells.x_um.push(x);
        cells.y_um.push(y);
        cells.z_um.push(c.z_um);
        cells.radius_um.push(c.radius_um);
        cells.expression.push(c.expression);
        cells
            .in_fov
            .push((0.0..fov_um[1]).contains(&x) && (0.0..fov_um[0]).contains(&y));
        cells.focus_weight.push(s.focus_weight[i]);
        cells.population.push(s.population[i]);
        cells.depth_um.push(s.depth_um[i]);
        cells.rate_hz.push(s.trains.rate_hz[i]);
        cells
            .ensemble
            .push(s.trains.ensemble[i].map_or(-1, |e| e as i32));
    }
    let mut footprints = Csr {
        indptr: vec![0],
        shape: (n, g.fov.len()),
        ..Default::default()
    };
    for c in 0..n {
        let dense = s
            .footprints
            .get(c)
            .and_then(Option::as_ref)
            .and_then(|fp| composite::rasterize(fp, g.canvas));
        if let Some(fp) = dense {
            let b = s.brightness[c];
            for py in 0..fp.dims.height {
                let y = fp.y0 + py as i64 - g.margin as i64;
                if !(0..g.fov.height as i64).contains(&y) {
                    continue;
                }
                for px in 0..fp.dims.width {
                    let x = fp.x0 + px as i64 - g.margin as i64;
                    let w = fp.weights[py * fp.dims.width + px];
                    if w != 0.0 && (0..g.fov.width as i64).contains(&x) {
                        footprints
                            .indices
                            .push((y as usize * g.fov.width + x as usize) as i32);
                        footprints.data.push(w * b);
                    }
                }
            }
        }
        footprints.indptr.push(footprints.indices.len() as i64);
    }
    let dff = rows_by_frame(r.dff, frames, n);
    let cell_bleach = if r.bleach_truth.is_empty() {
        Array2::zeros((n, 0))
    } else {
        rows_by_frame(r.bleach_truth, frames, n)
    };
    let k = s.neuropil.len();
    let traces = if k > 0 {
        rows_by_frame(r.traces, frames, k)
    } else {
        Array2::zeros((0, 0))
    };
    let mut comps = Vec::with_capacity(k * g.fov.len());
    for map in &s.neuropil {
        comps.extend(crop_plane(map, g));
    }
    let motion: Vec<f64> = if s.motion.is_empty() {
        vec![0.0; g.frames as usize * 2]
    } else {
        s.motion.iter().flatten().copied().collect()
    };
    let vessels = match s.spec.vasculature() {
        Some(p) if !s.vessels.is_empty() => {
            let rest = minisim_spec::Vasculature {
                vasomotion_amplitude: 0.0,
                ..p.clone()
            };
            let mut ones = vec![1f32; g.canvas.len()];
            vasculature::apply(&rest, &s.vessels, 0.0, &mut ones);
            crop_plane(&ones, g)
        }
        _ => Vec::new(),
    };
    let vignette = plane(s.vignette.clone(), g.fov, 1.0);
    let vessels = plane(vessels, g.fov, 1.0);
    label_cells(
        &mut cells,
        &footprints,
        &r.peak_dff,
        resting,
        &vignette,
        &vessels,
        s,
    );
    GroundTruth {
        cells,
        footprints,
        spikes: s.trains.times_s.clone(),
        calcium_dff: dff,
        neuropil_components: Array3::from_shape_vec((k, g.fov.height, g.fov.width), comps)
            .expect("K × H × W"),
        neuropil_traces: traces,
        motion_px: Array2::from_shape_vec((g.frames as usize, 2), motion).expect("frames × 2"),
        vignette,
        vessels,
        leakage: plane(s.leakage.clone(), g.fov, 0.0),
        photon_gain: Array1::from(s.gains.clone()),
        focal_depth_um: s.focal_depth_um,
        cell_bleach,
    }
}

/// A frame-major buffer (frames × rows) as `rows × frames`; `rows × 0` when it does
/// not hold every frame (truth not kept).
fn rows_by_frame(data: Vec<f32>, frames: usize, rows: usize) -> Array2<f32> {
    if data.len() != frames * rows {
        return Array2::zeros((rows, 0));
    }
    Array2::from_shape_vec((frames, rows), data)
        .expect("frames × rows")
        .reversed_axes()
        .as_standard_layout()
        .into_owned()
}

/// Fill the cell table's focus and detectability labels (see `labels.rs`).
fn label_cells(
    cells: &mut CellTable,
    footprints: &Csr,
    peak_dff: &[f32],
    resting: Option<Vec<f32>>,
    vignette: &Array2<f32>,
    vessels: &Array2<f32>,
    s: &Scene,
) {
    cells.in_focus = cells
        .focus_weight
        .iter()
        .map(|&w| w >= labels::IN_FOCUS_WEIGHT)
        .collect();
    cells.peak_dff = peak_dff.to_vec();
    let resting = resting.unwrap_or_default();
    let shot = s.runs(StepKind::PhotonField);
    let digitize = s.spec.digitize().filter(|_| s.runs(StepKind::Digitize));
    let gain = if shot && !s.gains.is_empty() {
        s.gains.iter().sum::<f64>() / s.gains.len() as f64
    } else {
        1.0
    };
    let noise = labels::Noise {
        to_electrons: vignette
            .iter()
            .zip(vessels.iter())
            .map(|(&v, &t)| gain * v as f64 * t as f64)
            .collect(),
        resting: &resting,
        prnu: if digitize.is_some() { &s.prnu } else { &[] },
        sensor_var: digitize.map_or(0.0, |d| d.read_noise_e.powi(2) + d.row_noise_e.powi(2)),
        shot: shot && !resting.is_empty(),
    };
    cells.peak_snr = if resting.is_empty() {
        vec![0.0; cells.len()]
    } else {
        labels::peak_snr(footprints, peak_dff, &noise)
    };
    cells.detectable = cells
        .peak_snr
        .iter()
        .map(|&v| v >= labels::DETECTABLE_SNR)
        .collect();
}

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
    let mut observed_u16 = Vec::new();
    let mut observed_f32 = Vec::new();
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
    let observed = if counts {
        Movie::Counts(Array3::from_shape_vec(shape, observed_u16).expect("frames × H × W"))
    } else {
        Movie::Intensity(Array3::from_shape_vec(shape, observed_f32).expect("frames × H × W"))
    };
    let snapshots = snapshots
        .into_iter()
        .map(|(k, d)| (k, Array3::from_shape_vec(shape, d).expect("frames × H × W")))
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
