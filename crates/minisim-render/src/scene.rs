//! `Scene`: everything computed once before the first frame. Each step kind of the
//! spec prepares its part through the stage table (`minisim_steps::stage`), in
//! canonical order, whatever `until` is; only the image work stops at `until`.

use minisim_spec::{Spec, StepKind};
use minisim_steps::stage::{self, Context, Executor, Prepared, RngSource};
use minisim_steps::{Geometry, Stream, Streams};
use rayon::prelude::*;

use crate::export::Exporter;
use crate::streams::StageStreams;

/// The renderer's random streams: `StageStreams` of the spec's seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeedRng {
    pub seed: u64,
}

impl RngSource for SeedRng {
    fn stream(&self, label: &'static str, group: Option<u64>, index: u64) -> Stream {
        let family = StageStreams::new(self.seed, label);
        match group {
            Some(g) => family.group(g).stream(index),
            None => family.stream(index),
        }
    }
}

/// Setup work in parallel on rayon's pool.
pub(crate) struct Rayon;

impl Executor for Rayon {
    fn for_each(&self, n: usize, f: &(dyn Fn(usize) + Sync)) {
        (0..n).into_par_iter().for_each(f);
    }
}

/// The prepared scene of one render.
pub(crate) struct Scene {
    pub spec: Spec,
    pub geometry: Geometry,
    pub rng: SeedRng,
    pub keep_truth: bool,
    /// Every kind of the spec, prepared.
    pub prepared: Prepared,
    /// Kinds whose image work runs (up to `until`), in canonical order.
    pub stages: Vec<StepKind>,
    /// The vendor export of the observed frames (`output.export`).
    pub export: Option<Exporter>,
}

impl Scene {
    pub fn prepare(spec: &Spec, until: Option<StepKind>, keep_truth: bool) -> Scene {
        let mut scene = Scene {
            spec: spec.clone(),
            geometry: Geometry::of(spec),
            rng: SeedRng { seed: spec.seed() },
            keep_truth,
            prepared: Prepared::default(),
            stages: spec
                .kinds()
                .into_iter()
                .filter(|&k| until.is_none_or(|u| k <= u))
                .collect(),
            export: None,
        };
        let mut prepared = Prepared::default();
        {
            let ctx = scene.context();
            for kind in spec.kinds() {
                stage::prepare(kind, &ctx, &mut prepared);
            }
        }
        let path = prepared.motion_crop.as_deref().unwrap_or(&[]);
        scene.export = Exporter::new(spec, scene.geometry.fov, path);
        scene.prepared = prepared;
        scene
    }

    /// What the stages see of this render.
    pub fn context(&self) -> Context<'_> {
        Context {
            spec: &self.spec,
            geometry: self.geometry,
            rng: &self.rng,
            executor: &Rayon,
            keep_truth: self.keep_truth,
        }
    }
}
