//! `Scene`: everything computed once before the first frame — cells, spikes,
//! kinetics, footprints, background components, vessels, the motion path and the
//! per-pixel maps. Everything per cell is O(cells × patch), never O(cells × H × W).

use minisim_spec::{PlaceNeurons, Spec, Spikes, StepKind};
use minisim_steps::calcium::{self, Recursion, Timing};
use minisim_steps::composite::{self, Footprint, HaloGrid};
use minisim_steps::place_neurons::{self, Cell, Region};
use minisim_steps::shape::{self, Shape};
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
    pub const SHAPE: &str = "place_neurons.shape";
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
    /// Population index per cell (0 without `populations`).
    pub population: Vec<u32>,
    /// Soma depth below the tissue surface per cell, µm.
    pub depth_um: Vec<f64>,
    /// The focal plane's depth below the surface, µm (`"auto"` resolved).
    pub focal_depth_um: f64,
    /// Indicator saturation `[saturation_dff, hill_n]` per cell (with `calcium`).
    pub saturation: Vec<[f64; 2]>,
    /// Relative excitation per cell for per-cell bleaching (empty when off).
    pub excitation: Vec<f64>,
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

        let optics_spec = &spec.acquisition().optics;
        let placed = match spec.place_neurons() {
            Some(p) if runs(StepKind::PlaceNeurons) => place(p, spec, g),
            _ => Placed::default(),
        };
        let Placed {
            mut cells,
            population,
            depth_um,
        } = placed;
        // Field curvature: z becomes the depth below the local (curved) focal surface.
        let sag: Vec<f64> = if optics_spec.field_curvature_radius_um.is_some() {
            let (cx, cy) = (
                g.canvas.width as f64 * g.pixel_um / 2.0,
                g.canvas.height as f64 * g.pixel_um / 2.0,
            );
            cells
                .iter()
                .map(|c| optics_spec.curvature_shift_um((c.x_um - cx).hypot(c.y_um - cy)))
                .collect()
        } else {
            Vec::new()
        };
        let focal_depth_um = match optics_spec.focal_depth_um.um() {
            Some(f) => f,
            None => auto_focus(spec, &cells, &depth_um, &sag),
        };
        if optics_spec.focal_depth_um.um().is_none() {
            for (i, c) in cells.iter_mut().enumerate() {
                c.z_um = depth_um[i] - focal_depth_um;
            }
        }
        for (c, s) in cells.iter_mut().zip(&sag) {
            c.z_um += s;
        }
        let n = cells.len();
        let shapes = draw_shapes(spec, &cells, &population);
        let duration_s = g.frames as f64 * g.timing.period_s;
        let trains = match spec.spikes() {
            Some(p) if runs(StepKind::Spikes) => draw_trains(spec, p, &population, duration_s),
            _ => Trains {
                times_s: vec![Vec::new(); n],
                rate_hz: vec![0.0; n],
                ensemble: vec![None; n],
            },
        };
        let (recursions, saturation) = match spec.calcium() {
            Some(p) if runs(StepKind::Calcium) => {
                let s = streams(label::CALCIUM);
                let pops = spec.place_neurons().and_then(|q| q.populations.as_ref());
                (0..n)
                    .map(|c| {
                        let own = pops
                            .and_then(|pops| pops.get(population[c] as usize))
                            .and_then(|q| q.calcium.as_ref());
                        let p = own.unwrap_or(p);
                        let k = calcium::cell_kinetics(p, &mut s.stream(c as u64));
                        (Recursion::new(&k, g.timing), [p.saturation_dff, p.hill_n])
                    })
                    .unzip()
            }
            _ => (Vec::new(), Vec::new()),
        };
        let optics = &optics_spec.with_focal_depth(focal_depth_um);
        // Per-cell bleaching follows the cells whatever `until` is, like the cells.
        let excitation = match spec.photon_field().and_then(|p| p.cell_bleaching.as_ref()) {
            Some(b) => {
                let m_um = g.margin as f64 * g.pixel_um;
                let (cx, cy) = (
                    m_um + g.fov.width as f64 * g.pixel_um / 2.0,
                    m_um + g.fov.height as f64 * g.pixel_um / 2.0,
                );
                let half = g.fov.width.min(g.fov.height) as f64 * g.pixel_um / 2.0;
                cells
                    .iter()
                    .map(|c| {
                        photon_field::cell_excitation(b, (c.x_um - cx).hypot(c.y_um - cy), half)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let (footprints, brightness, focus_weight) = match spec.composite() {
            Some(p) => {
                let fps = if runs(StepKind::Composite) {
                    cells
                        .par_iter()
                        .enumerate()
                        .map(|(i, c)| {
                            composite::footprint(p, optics, c, shapes.get(i), g.pixel_um, g.canvas)
                        })
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
            Some(p) if runs(StepKind::Vasculature) => {
                let mut v = vasculature::prepare(
                    p,
                    g.canvas,
                    g.pixel_um,
                    &mut streams(label::VASCULATURE).stream(0),
                );
                // Tree layers, blurred by the same optics as cells at their depth.
                let comp = spec.composite().cloned().unwrap_or_default();
                for (k, layer) in p.layers.iter().flatten().enumerate() {
                    let z = layer.depth_um - focal_depth_um;
                    let blur = composite::blur_at(&comp, optics, z).psf_sigma_um / g.pixel_um;
                    v.extend(vasculature::prepare_layer(
                        p,
                        layer,
                        g.canvas,
                        g.pixel_um,
                        blur,
                        &mut streams(label::VASCULATURE).group(k as u64).stream(0),
                    ));
                }
                v
            }
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
            population,
            depth_um,
            focal_depth_um,
            saturation,
            excitation,
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

/// Irregular outlines and dendrites per cell (one stream per cell), or empty when
/// every population is a plain ellipse.
fn draw_shapes(spec: &Spec, cells: &[Cell], population: &[u32]) -> Vec<Shape> {
    let Some(p) = spec.place_neurons() else {
        return Vec::new();
    };
    let params: Vec<PlaceNeurons> = match &p.populations {
        Some(pops) => (0..pops.len())
            .map(|k| p.population(k).expect("index in range"))
            .collect(),
        None => vec![p.clone()],
    };
    let plain =
        |q: &PlaceNeurons| q.irregularity == 0.0 && q.morphology == minisim_spec::Morphology::Soma;
    if params.iter().all(plain) {
        return Vec::new();
    }
    let streams = StageStreams::new(spec.seed(), label::SHAPE);
    cells
        .iter()
        .zip(population)
        .enumerate()
        .map(|(i, (c, &k))| {
            shape::draw(
                &params[k as usize],
                c.radius_um,
                &mut streams.stream(i as u64),
            )
        })
        .collect()
}

/// Cells with their population and absolute depth.
#[derive(Default)]
struct Placed {
    cells: Vec<Cell>,
    population: Vec<u32>,
    depth_um: Vec<f64>,
}

/// Place the cells of `place_neurons`: the step's slab around the focal plane, or each
/// population in turn (own stream group; depth ranges below the surface). With
/// `"auto"` focus, z is first measured from the surface and re-based by the caller.
fn place(p: &PlaceNeurons, spec: &Spec, g: Geometry) -> Placed {
    let stream = StageStreams::new(spec.seed(), label::PLACE);
    let optics = &spec.acquisition().optics;
    let f_ref = optics.focal_depth_um.um().unwrap_or(0.0);
    let region_for = |radius: f64| {
        let pad = 2.0 * radius;
        Region {
            x_um: [-pad, g.canvas.width as f64 * g.pixel_um + pad],
            y_um: [-pad, g.canvas.height as f64 * g.pixel_um + pad],
        }
    };
    let Some(pops) = &p.populations else {
        let cells =
            place_neurons::place(p, region_for(p.soma_radius_mean_um), &mut stream.stream(0));
        return Placed {
            population: vec![0; cells.len()],
            depth_um: cells.iter().map(|c| f_ref + c.z_um).collect(),
            cells,
        };
    };
    let m_um = g.margin as f64 * g.pixel_um;
    let mut out = Placed::default();
    for (k, pop) in pops.iter().enumerate() {
        let q = PlaceNeurons {
            max_cells: p.max_cells.saturating_sub(out.cells.len() as u64),
            ..p.population(k).expect("index in range")
        };
        if q.max_cells == 0 {
            break;
        }
        let mut rng = stream.group(k as u64).stream(0);
        let mut cells = match (&pop.positions_um, pop.depth_range_um) {
            (Some(pos), _) => {
                let centres: Vec<[f64; 3]> = pos
                    .iter()
                    .map(|&[d, y, x]| [d - f_ref, y + m_um, x + m_um])
                    .collect();
                place_neurons::place_at(&q, &centres, &mut rng)
            }
            (None, Some([lo, hi])) => place_neurons::place_in(
                &q,
                region_for(q.soma_radius_mean_um),
                [lo - f_ref, hi - f_ref],
                &mut rng,
            ),
            (None, None) => place_neurons::place(&q, region_for(q.soma_radius_mean_um), &mut rng),
        };
        let scale = pop.expression_scale.unwrap_or(1.0);
        for c in &mut cells {
            c.expression *= scale;
        }
        out.population
            .extend(std::iter::repeat_n(k as u32, cells.len()));
        out.depth_um.extend(cells.iter().map(|c| f_ref + c.z_um));
        out.cells.extend(cells);
    }
    out
}

/// The focal depth (1-µm grid over the cells' depths) maximising the expected number
/// of detectable cells: Σ over cells in focus (focus weight ≥ `IN_FOCUS_WEIGHT`) of
/// exp(−depth/ℓ_s), the fraction of their ballistic light that survives scattering.
/// Ties go to the shallowest plane.
fn auto_focus(spec: &Spec, cells: &[Cell], depth_um: &[f64], sag: &[f64]) -> f64 {
    let optics = &spec.acquisition().optics;
    let comp = spec.composite().cloned().unwrap_or_default();
    let (lo, hi) = depth_um
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &d| {
            (a.min(d), b.max(d))
        });
    if !lo.is_finite() {
        return 0.0;
    }
    let first = lo.floor().max(0.0);
    let planes = (hi.ceil() - first).max(0.0) as usize + 1;
    let scores: Vec<f64> = (0..planes)
        .into_par_iter()
        .map(|i| {
            let f = first + i as f64;
            let o = optics.with_focal_depth(f);
            cells
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    let mut at = *cell;
                    at.z_um = depth_um[c] - f + sag.get(c).copied().unwrap_or(0.0);
                    if composite::focus_weight(&comp, &o, &at) >= crate::labels::IN_FOCUS_WEIGHT {
                        (-depth_um[c] / optics.scattering_length_um).exp()
                    } else {
                        0.0
                    }
                })
                .sum()
        })
        .collect();
    let best = scores
        .iter()
        .enumerate()
        .fold(0, |b, (i, &v)| if v > scores[b] { i } else { b });
    first + best as f64
}

/// Spike trains per cell: the `spikes` step's model for every cell, except cells of
/// populations with their own `activity`, drawn from that population's stream group.
fn draw_trains(spec: &Spec, p: &Spikes, population: &[u32], duration_s: f64) -> Trains {
    let n = population.len();
    let streams = StageStreams::new(spec.seed(), label::SPIKES);
    let own: Vec<Option<&Spikes>> = spec
        .place_neurons()
        .and_then(|q| q.populations.as_ref())
        .map(|pops| pops.iter().map(|q| q.activity.as_ref()).collect())
        .unwrap_or_default();
    if own.iter().all(Option::is_none) {
        return spikes::draw(p, n, duration_s, &streams);
    }
    let mut trains = Trains {
        times_s: vec![Vec::new(); n],
        rate_hz: vec![0.0; n],
        ensemble: vec![None; n],
    };
    let mut groups: Vec<(Option<usize>, Vec<usize>)> = vec![(None, Vec::new())];
    for (k, a) in own.iter().enumerate() {
        if a.is_some() {
            groups.push((Some(k), Vec::new()));
        }
    }
    for (c, &k) in population.iter().enumerate() {
        let k = k as usize;
        let slot = groups
            .iter()
            .position(|(g, _)| *g == Some(k) && own.get(k).is_some_and(Option::is_some))
            .unwrap_or(0);
        groups[slot].1.push(c);
    }
    for (group, members) in groups {
        let (params, family) = match group {
            Some(k) => (own[k].expect("group has activity"), streams.group(k as u64)),
            None => (p, streams),
        };
        let drawn = spikes::draw(params, members.len(), duration_s, &family);
        for (i, c) in members.into_iter().enumerate() {
            trains.times_s[c] = drawn.times_s[i].clone();
            trains.rate_hz[c] = drawn.rate_hz[i];
            trains.ensemble[c] = drawn.ensemble[i];
        }
    }
    trains
}
