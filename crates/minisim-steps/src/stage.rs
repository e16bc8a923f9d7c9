//! The stage contract: how every step kind takes part in a render.
//!
//! A step kind is a module of this crate (named after the kind) with a unit type
//! `Kind` implementing [`Stage`]:
//!
//! | part | when | what |
//! |---|---|---|
//! | `prepare` | once per recording | setup → its `Prepared` (cells, maps, paths); sees the spec, the geometry, random streams and what earlier kinds prepared |
//! | `start`, `advance` | serially, frame after frame | per-frame state (recursions, traces) → the frame's `Values`, which later kinds and `apply` read |
//! | `resting` | for the detectability labels | the `Values` of a frame with every cell at rest |
//! | `apply` | per frame, frames in parallel | the image work on the frame's planes (canvas → FOV → counts) |
//! | `apply_band` | per chunk and band of canvas rows, bands in parallel | for `BY_BAND` stages (the first movie stages, which paint the canvas as weighted sums of static patterns): the image work on every frame of the chunk at once, so each pattern is read once per chunk |
//! | `truth` | once, after the last frame | its part of the [`GroundTruth`] |
//!
//! Its perf phase is its kind. The table at the end of this module is generated from
//! `minisim_spec::step_kind_table!`, so every dispatch over kinds is exhaustive and a
//! new kind cannot be forgotten by the renderer: it only calls the functions here.
//!
//! Invariants: every kind present in the spec is prepared, started and advanced
//! whatever `until` is (the ground truth does not depend on it); `apply` runs for the
//! kinds up to `until`. Randomness comes from the renderer's [`RngSource`] by
//! (label, group, index); parallel setup work goes through its [`Executor`]. This crate
//! still spawns no threads and does no I/O.

use std::sync::OnceLock;

use minisim_spec::{Optics, Spec, StepKind};

use crate::geometry::Geometry;
use crate::truth::GroundTruth;
use crate::{Dims, Stream, Streams, motion_crop};

/// Where random streams come from. Implemented by the renderer, which owns the
/// derivation (seed, label, group, index) → generator; a stage only names its streams.
pub trait RngSource: Sync {
    /// Stream `index` of the family `label` (`"kind"` or `"kind.purpose"`), in
    /// `group` if given (e.g. one population).
    fn stream(&self, label: &'static str, group: Option<u64>, index: u64) -> Stream;
}

/// A family of streams from an [`RngSource`].
#[derive(Clone, Copy)]
pub struct Family<'a> {
    source: &'a dyn RngSource,
    label: &'static str,
    group: Option<u64>,
}

impl<'a> Family<'a> {
    /// The family `label` of `source`.
    pub fn new(source: &'a dyn RngSource, label: &'static str) -> Self {
        Family {
            source,
            label,
            group: None,
        }
    }

    /// An independent family for group `g` of this label.
    pub fn group(self, g: u64) -> Self {
        Family {
            group: Some(g),
            ..self
        }
    }
}

impl Streams for Family<'_> {
    fn stream(&self, index: u64) -> Stream {
        self.source.stream(self.label, self.group, index)
    }
}

/// Runs independent work items, possibly in parallel. Implemented by the renderer.
pub trait Executor: Sync {
    /// Call `f(i)` once for every `i` in `0..n`, in any order, on any threads.
    fn for_each(&self, n: usize, f: &(dyn Fn(usize) + Sync));
}

/// Runs every item on the calling thread, in order (tests, single-threaded tools).
pub struct Serial;

impl Executor for Serial {
    fn for_each(&self, n: usize, f: &(dyn Fn(usize) + Sync)) {
        (0..n).for_each(f);
    }
}

/// What a stage sees of the render outside its own parameters.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The spec being rendered.
    pub spec: &'a Spec,
    /// Its geometry.
    pub geometry: Geometry,
    /// Random streams.
    pub rng: &'a dyn RngSource,
    /// Parallel work.
    pub executor: &'a dyn Executor,
    /// Whether per-frame ground truth (ΔF/F, traces, …) is accumulated.
    pub keep_truth: bool,
}

impl<'a> Context<'a> {
    /// The stream family `label`.
    pub fn streams(&self, label: &'static str) -> Family<'a> {
        Family::new(self.rng, label)
    }

    /// `f(i)` for every `i` in `0..n`, computed through the executor, in index order.
    pub fn map<T: Send + Sync>(&self, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
        map_on(self.executor, n, f)
    }
}

/// `f(i)` for every `i` in `0..n`, computed through `executor`, in index order.
pub fn map_on<T: Send + Sync>(
    executor: &dyn Executor,
    n: usize,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let slots: Vec<OnceLock<T>> = (0..n).map(|_| OnceLock::new()).collect();
    executor.for_each(n, &|i| {
        let _ = slots[i].set(f(i));
    });
    slots
        .into_iter()
        .enumerate()
        .map(|(i, slot)| slot.into_inner().unwrap_or_else(|| f(i)))
        .collect()
}

/// Where a frame's image currently is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    /// On the canvas (FOV + motion margin).
    Canvas,
    /// Cropped (or shifted and cropped) to the FOV.
    Fov,
    /// Digitised into the frame's counts.
    Counts,
}

/// Canvas rows per band of the chunk-wise (`BY_BAND`) stages: a band of every frame
/// of a chunk stays in cache while each pattern is added to all of them. Fixed, so the
/// output never depends on the thread count.
pub const BAND_ROWS: usize = 16;

/// The bands of a canvas of `height` rows: `[start, end)` row ranges of `BAND_ROWS`.
pub fn bands(height: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..height.div_ceil(BAND_ROWS)).map(move |b| b * BAND_ROWS..((b + 1) * BAND_ROWS).min(height))
}

/// One band of canvas rows of every frame of a chunk.
pub struct Band<'a> {
    /// Index of the band (`rows.start / BAND_ROWS`).
    pub index: usize,
    /// Canvas rows `[start, end)`.
    pub rows: std::ops::Range<usize>,
    /// Canvas width, px.
    pub width: usize,
    /// For each frame of the chunk, its rows of this band (row-major, `rows.len() ×
    /// width`).
    pub planes: Vec<&'a mut [f32]>,
    /// Scratch any band stage may resize and use within its `apply_band`.
    pub scratch: &'a mut Vec<f32>,
}

/// Planes one worker reuses from frame to frame (no allocation per frame).
#[derive(Debug, Default)]
pub struct FrameBuffers {
    /// The FOV plane, `geometry.fov` sized.
    pub fov: Vec<f32>,
    /// Scratch planes any stage may resize and use within its `apply` (composite: the
    /// halo grid; motion_crop: the separable pass and blur samples).
    pub scratch: [Vec<f32>; 3],
}

impl FrameBuffers {
    /// Buffers for frames of geometry `g`.
    pub fn new(g: &Geometry) -> Self {
        FrameBuffers {
            fov: vec![0.0; g.fov.len()],
            scratch: Default::default(),
        }
    }
}

/// One frame being rendered.
pub struct Frame<'a> {
    /// Frame index in the recording.
    pub index: u64,
    /// The recording's geometry.
    pub geometry: Geometry,
    /// Random streams.
    pub rng: &'a dyn RngSource,
    /// Where the image is now.
    pub plane: Plane,
    /// The canvas plane (`geometry.canvas` sized), painted by the band stages.
    pub canvas: &'a mut [f32],
    /// The other planes.
    pub buffers: &'a mut FrameBuffers,
    /// Where a counts-writing stage puts the frame's counts (FOV-sized); the renderer
    /// provides it whenever such a stage runs.
    pub counts: Option<&'a mut [u16]>,
}

impl Frame<'_> {
    /// The FOV plane, cropping the canvas to it first if the image is still there.
    pub fn fov(&mut self) -> &mut [f32] {
        if self.plane == Plane::Canvas {
            let g = self.geometry;
            motion_crop::crop(
                self.canvas,
                g.canvas,
                g.margin,
                &mut self.buffers.fov,
                g.fov,
            );
            self.plane = Plane::Fov;
        }
        &mut self.buffers.fov
    }

    /// The canvas plane and its size.
    pub fn canvas(&mut self) -> (&mut [f32], Dims) {
        (&mut *self.canvas, self.geometry.canvas)
    }
}

/// How a step kind takes part in a render (see the module docs).
pub trait Stage {
    /// The kind's parameters (its `minisim-spec` type).
    type Params;
    /// What setup builds once per recording.
    type Prepared: Send + Sync;
    /// Serial per-frame state.
    type State: Send + Default;
    /// What the serial part yields for one frame.
    type Values: Send + Sync + Default;
    /// True for stages that write the frame's counts (the sensor).
    const WRITES_COUNTS: bool = false;
    /// True for stages with a serial per-frame part (`advance` is called only then).
    const ADVANCES: bool = false;
    /// True for stages painted band by band over a whole chunk (`apply_band` instead of
    /// `apply`); they must come before every per-frame movie stage.
    const BY_BAND: bool = false;

    /// Setup: everything computed once. `prepared` holds what earlier kinds prepared.
    fn prepare(params: &Self::Params, ctx: &Context<'_>, prepared: &Prepared) -> Self::Prepared;

    /// The serial state before frame 0.
    fn start(_params: &Self::Params, _own: &Self::Prepared, _ctx: &Context<'_>) -> Self::State {
        Self::State::default()
    }

    /// Advance the serial state over frame `frame`, returning the frame's values.
    /// `earlier` holds this frame's values of the kinds before this one.
    fn advance(
        _params: &Self::Params,
        _own: &Self::Prepared,
        _prepared: &Prepared,
        _state: &mut Self::State,
        _frame: u64,
        _earlier: &FrameValues,
        _ctx: &Context<'_>,
    ) -> Self::Values {
        Self::Values::default()
    }

    /// The values of a frame with every cell at rest (for the detectability labels).
    fn resting(_params: &Self::Params, _own: &Self::Prepared) -> Self::Values {
        Self::Values::default()
    }

    /// The stage's image work on one frame.
    fn apply(
        _params: &Self::Params,
        _own: &Self::Prepared,
        _values: &FrameValues,
        _frame: &mut Frame<'_>,
    ) {
    }

    /// The stage's image work on one band of every frame of a chunk (`BY_BAND`
    /// stages); `values[f]` belongs to the band's `planes[f]`.
    fn apply_band(
        _params: &Self::Params,
        _own: &Self::Prepared,
        _values: &[FrameValues],
        _band: &mut Band<'_>,
    ) {
    }

    /// Fill this kind's part of the ground truth after `frames` frames.
    fn truth(
        _params: &Self::Params,
        _own: &Self::Prepared,
        _state: Self::State,
        _frames: usize,
        _ctx: &Context<'_>,
        _truth: &mut GroundTruth,
    ) {
    }
}

impl Prepared {
    /// Number of cells placed (0 without `place_neurons`).
    pub fn n_cells(&self) -> usize {
        self.place_neurons.as_ref().map_or(0, |p| p.cells.len())
    }

    /// Depth of the focal plane below the surface, µm (`"auto"` resolved by
    /// `place_neurons`; 0 for `"auto"` without cells).
    pub fn focal_depth_um(&self, spec: &Spec) -> f64 {
        self.place_neurons.as_ref().map_or_else(
            || spec.acquisition().optics.focal_depth_um.um().unwrap_or(0.0),
            |p| p.focal_depth_um,
        )
    }

    /// The spec's optics with the focal depth resolved.
    pub fn optics(&self, spec: &Spec) -> Optics {
        spec.acquisition()
            .optics
            .with_focal_depth(self.focal_depth_um(spec))
    }
}

macro_rules! stage_table {
    ($( $(#[$doc:meta])* $variant:ident($ty:ident) = $name:literal, $module:ident, default = $in_default:literal; )*) => {
        /// What setup prepared, per kind (`None` for kinds the spec lacks).
        #[derive(Default)]
        pub struct Prepared {
            $(
                #[doc = concat!("`", $name, "`: see `", stringify!($module), "::Kind`.")]
                pub $module: Option<<crate::$module::Kind as Stage>::Prepared>,
            )*
        }

        /// The serial per-frame state, per kind.
        #[derive(Default)]
        pub struct States {
            $(
                #[doc = concat!("`", $name, "`.")]
                pub $module: Option<<crate::$module::Kind as Stage>::State>,
            )*
        }

        /// One frame's values from the serial part, per kind.
        #[derive(Default)]
        pub struct FrameValues {
            $(
                #[doc = concat!("`", $name, "`.")]
                pub $module: Option<<crate::$module::Kind as Stage>::Values>,
            )*
        }

        /// Prepare `kind` (a step of the spec) after the kinds before it.
        pub fn prepare(kind: StepKind, ctx: &Context<'_>, prepared: &mut Prepared) {
            match kind {
                $(StepKind::$variant => {
                    if let Some(p) = ctx.spec.$module() {
                        let own = <crate::$module::Kind as Stage>::prepare(p, ctx, prepared);
                        prepared.$module = Some(own);
                    }
                })*
            }
        }

        /// The serial state of `kind` before frame 0.
        pub fn start(kind: StepKind, ctx: &Context<'_>, prepared: &Prepared, states: &mut States) {
            match kind {
                $(StepKind::$variant => {
                    if let (Some(p), Some(own)) = (ctx.spec.$module(), prepared.$module.as_ref()) {
                        states.$module = Some(<crate::$module::Kind as Stage>::start(p, own, ctx));
                    }
                })*
            }
        }

        /// Advance `kind` over `frame`, storing its values for this frame in `values`.
        pub fn advance(
            kind: StepKind,
            ctx: &Context<'_>,
            prepared: &Prepared,
            states: &mut States,
            frame: u64,
            values: &mut FrameValues,
        ) {
            match kind {
                $(StepKind::$variant => {
                    if let (Some(p), Some(own), Some(state)) =
                        (ctx.spec.$module(), prepared.$module.as_ref(), states.$module.as_mut())
                    {
                        let v = <crate::$module::Kind as Stage>::advance(
                            p, own, prepared, state, frame, values, ctx,
                        );
                        values.$module = Some(v);
                    }
                })*
            }
        }

        /// The values of a frame with every cell at rest, for every kind of the spec.
        pub fn resting(spec: &Spec, prepared: &Prepared) -> FrameValues {
            let mut values = FrameValues::default();
            $(
                if let (Some(p), Some(own)) = (spec.$module(), prepared.$module.as_ref()) {
                    values.$module = Some(<crate::$module::Kind as Stage>::resting(p, own));
                }
            )*
            values
        }

        /// Apply `kind` to one frame.
        pub fn apply(
            kind: StepKind,
            spec: &Spec,
            prepared: &Prepared,
            values: &FrameValues,
            frame: &mut Frame<'_>,
        ) {
            match kind {
                $(StepKind::$variant => {
                    if let (Some(p), Some(own)) = (spec.$module(), prepared.$module.as_ref()) {
                        <crate::$module::Kind as Stage>::apply(p, own, values, frame);
                    }
                })*
            }
        }

        /// Apply a `BY_BAND` kind to one band of a chunk.
        pub fn apply_band(
            kind: StepKind,
            spec: &Spec,
            prepared: &Prepared,
            values: &[FrameValues],
            band: &mut Band<'_>,
        ) {
            match kind {
                $(StepKind::$variant => {
                    if let (Some(p), Some(own)) = (spec.$module(), prepared.$module.as_ref()) {
                        <crate::$module::Kind as Stage>::apply_band(p, own, values, band);
                    }
                })*
            }
        }

        /// True if `kind` is painted band by band over a chunk.
        pub fn by_band(kind: StepKind) -> bool {
            match kind {
                $(StepKind::$variant => <crate::$module::Kind as Stage>::BY_BAND,)*
            }
        }

        /// True if `kind` has a serial per-frame part (`advance`).
        pub fn advances(kind: StepKind) -> bool {
            match kind {
                $(StepKind::$variant => <crate::$module::Kind as Stage>::ADVANCES,)*
            }
        }

        /// True if `kind` writes the frame's counts.
        pub fn writes_counts(kind: StepKind) -> bool {
            match kind {
                $(StepKind::$variant => <crate::$module::Kind as Stage>::WRITES_COUNTS,)*
            }
        }

        /// Fill `kind`'s part of the ground truth after `frames` frames, consuming its
        /// state.
        pub fn truth(
            kind: StepKind,
            ctx: &Context<'_>,
            prepared: &Prepared,
            states: &mut States,
            frames: usize,
            truth: &mut GroundTruth,
        ) {
            match kind {
                $(StepKind::$variant => {
                    if let (Some(p), Some(own)) = (ctx.spec.$module(), prepared.$module.as_ref()) {
                        let state = states.$module.take().unwrap_or_default();
                        <crate::$module::Kind as Stage>::truth(p, own, state, frames, ctx, truth);
                    }
                })*
            }
        }
    };
}

minisim_spec::step_kind_table!(stage_table);
