//! `Scene`: everything computed once before the first frame — cells, spikes,
//! kinetics, footprints, background components, vessels, the motion path and the
//! per-pixel maps. Everything per cell is O(cells × patch), never O(cells × H × W).

use minisim_spec::{Spec, StepKind};
use minisim_steps::calcium::{self, Recursion, Timing};
use minisim_steps::composite::{self, Footprint, HaloGrid};
use minisim_steps::place_neurons::{self, Cell, Region};
use minisim_steps::spikes::{self, Trains};
use minisim_steps::vasculature::{self, Vessel};
use minisim_steps::{
    Dims, Streams, digitize, leakage, motion_crop, neuropil, photon_field, vignette,
};
use rayon::prelude::*;

use crate::streams::StageStreams;

/// Stream labels, one per purpose. Changing one changes output: bump MODEL_VERSION.
pub(crate) mod label {
    pub const PLACE: &str = "place_neurons";
    pub const SPIKES: &str = "spikes";
    pub const CALCIUM: &str = "calcium";
    pub const NEUROPIL_SPACE: &str = "neuropil.space";
    pub const NEUROPIL_TIME: &str = "neuropil.time";
    pub const VASCULATURE: &str = "vasculature";
    pub const MOTION: &str = "motion_crop";
    pub const PHOTON: &str = "photon_field";
    pub const LEAKAGE: &str = "leakage";
    pub const PRNU: &str = "digitize.prnu";
    pub const DIGITIZE: &str = "digitize";
}

/// Fixed geometry of a recording.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// Field of view, px.
    pub fov: Dims,
    /// FOV plus the motion margin on every side, px.
    pub canvas: Dims,
    /// Motion margin, px (0 without `motion_crop`).
    pub margin: usize,
    /// Pixel size, µm.
    pub pixel_um: f64,
    /// Frame period and exposure.
    pub timing: Timing,
    /// Number of frames.
    pub frames: u64,
}

impl Geometry {
    /// Geometry of a spec. The margin depends on the spec's `motion_crop` step, not on
    /// how far a render goes, so cells are the same whatever `until` is.
    pub fn of(spec: &Spec) -> Geometry {
        let a = spec.acquisition();
        let fov = Dims {
            height: a.fov_px[0] as usize,
            width: a.fov_px[1] as usize,
        };
        let margin = spec
            .motion_crop()
            .map_or(0, |m| motion_crop::margin_px(m, a.pixel_um));
        Geometry {
            fov,
            canvas: Dims {
                height: fov.height + 2 * margin,
                width: fov.width + 2 * margin,
            },
            margin,
            pixel_um: a.pixel_um,
            timing: Timing {
                period_s: 1.0 / a.frame_rate_hz,
                exposure_s: a.exposure_ms() / 1000.0,
            },
            frames: a.frames,
        }
    }

    /// Middle of frame `f`'s exposure, s.
    pub fn frame_mid_s(&self, f: u64) -> f64 {
        f as f64 * self.timing.period_s + self.timing.exposure_s / 2.0
    }
}

/// The prepared scene of one render.
pub(crate) struct Scene {
    pub spec: Spec,
    pub geometry: Geometry,
    /// Stages that run, in canonical order (up to `until`).
    pub stages: Vec<StepKind>,
    pub cells: Vec<Cell>,
    pub trains: Trains,
    pub recursions: Vec<Recursion>,
    pub footprints: Vec<Option<Footprint>>,
    /// The coarse grid the halos live on.
    pub halo_grid: HaloGrid,
    /// expression × resting brightness, per cell.
    pub brightness: Vec<f32>,
    pub focus_weight: Vec<f64>,
    pub neuropil: Vec<Vec<f32>>,
    pub vessels: Vec<Vessel>,
    pub motion: Vec<[f64; 2]>,
    pub vignette: Vec<f32>,
    pub gains: Vec<f64>,
    pub leakage: Vec<f32>,
    pub prnu: Vec<f32>,
}

impl Scene {
    pub fn runs(&self, kind: StepKind) -> bool {
        self.stages.contains(&kind)
    }

    pub fn prepare(spec: &Spec, until: Option<StepKind>) -> Scene {
        let g = Geometry::of(spec);
        let seed = spec.seed();
        let stages: Vec<StepKind> = spec
            .kinds()
            .into_iter()
            .filter(|&k| until.is_none_or(|u| k <= u))
            .collect();
        let runs = |k| stages.contains(&k);
        let streams = |label| StageStreams::new(seed, label);

        let cells = match spec.place_neurons() {
            Some(p) if runs(StepKind::PlaceNeurons) => {
                let pad = 2.0 * p.soma_radius_mean_um;
                let region = Region {
                    x_um: [-pad, g.canvas.width as f64 * g.pixel_um + pad],
                    y_um: [-pad, g.canvas.height as f64 * g.pixel_um + pad],
                };
                place_neurons::place(p, region, &mut streams(label::PLACE).stream(0))
            }
            _ => Vec::new(),
        };
        let n = cells.len();
        let duration_s = g.frames as f64 * g.timing.period_s;
        let trains = match spec.spikes() {
            Some(p) if runs(StepKind::Spikes) => {
                spikes::draw(p, n, duration_s, &streams(label::SPIKES))
            }
            _ => Trains {
                times_s: vec![Vec::new(); n],
                rate_hz: vec![0.0; n],
                ensemble: vec![None; n],
            },
        };
        let recursions = match spec.calcium() {
            Some(p) if runs(StepKind::Calcium) => {
                let s = streams(label::CALCIUM);
                (0..n)
                    .map(|c| {
                        let k = calcium::cell_kinetics(p, &mut s.stream(c as u64));
                        Recursion::new(&k, g.timing)
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let optics = &spec.acquisition().optics;
        let (footprints, brightness, focus_weight) = match spec.composite() {
            Some(p) => {
                let fps = if runs(StepKind::Composite) {
                    cells
                        .par_iter()
                        .map(|c| composite::footprint(p, optics, c, g.pixel_um, g.canvas))
                        .collect()
                } else {
                    Vec::new()
                };
                let bright = cells
                    .iter()
                    .map(|c| (c.expression * p.resting_brightness) as f32)
                    .collect();
                let focus = cells
                    .iter()
                    .map(|c| composite::focus_weight(p, optics, c))
                    .collect();
                (fps, bright, focus)
            }
            None => (Vec::new(), vec![0.0; n], vec![0.0; n]),
        };
        let neuropil = match spec.neuropil() {
            Some(p) if runs(StepKind::Neuropil) => {
                neuropil::components(p, g.canvas, g.pixel_um, &streams(label::NEUROPIL_SPACE))
            }
            _ => Vec::new(),
        };
        let vessels = match spec.vasculature() {
            Some(p) if runs(StepKind::Vasculature) => vasculature::prepare(
                p,
                g.canvas,
                g.pixel_um,
                &mut streams(label::VASCULATURE).stream(0),
            ),
            _ => Vec::new(),
        };
        let motion = match spec.motion_crop() {
            Some(p) if runs(StepKind::MotionCrop) => motion_crop::path(
                p,
                g.frames,
                g.timing.period_s,
                g.pixel_um,
                &mut streams(label::MOTION).stream(0),
            ),
            _ => Vec::new(),
        };
        let vignette = match spec.vignette() {
            Some(p) if runs(StepKind::Vignette) => vignette::map(p, g.fov),
            _ => Vec::new(),
        };
        let gains = match spec.photon_field() {
            Some(p) if runs(StepKind::PhotonField) => photon_field::gains(
                p,
                g.frames,
                g.timing.period_s,
                |f| g.frame_mid_s(f),
                &mut streams(label::PHOTON).stream(0),
            ),
            _ => Vec::new(),
        };
        let leakage = match spec.leakage() {
            Some(p) if runs(StepKind::Leakage) => leakage::map(
                p,
                g.fov,
                g.timing.exposure_s,
                &mut streams(label::LEAKAGE).stream(0),
            ),
            _ => Vec::new(),
        };
        let prnu = match spec.digitize() {
            Some(p) if runs(StepKind::Digitize) => {
                digitize::prnu_map(p, g.fov, &mut streams(label::PRNU).stream(0))
            }
            _ => Vec::new(),
        };
        Scene {
            spec: spec.clone(),
            geometry: g,
            stages,
            cells,
            trains,
            recursions,
            footprints,
            halo_grid: HaloGrid::of(g.canvas),
            brightness,
            focus_weight,
            neuropil,
            vessels,
            motion,
            vignette,
            gains,
            leakage,
            prnu,
        }
    }
}
