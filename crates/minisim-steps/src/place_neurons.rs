//! Soma placement (`place_neurons` step).
//!
//! Model: a random-sequential-adsorption hard-core process. N ~ Poisson(ρ·V) candidate
//! centres are drawn uniformly in the box (canvas + one soma diameter) × slab; each is
//! kept if it lies at least `min_separation_um` from every kept centre (3-D distance),
//! so dense specs end somewhat below ρ. Radii ~ N(mean, sd) clipped to ≥ 0.3·mean;
//! in-plane aspect ~ 1 + N(0, aspect_sd) clipped to [0.5, 1.5] with uniform
//! orientation; expression ~ LogNormal(0, σ) (median 1).
//! Populations (`populations`) are placed in turn, each from its own stream group,
//! in its depth range below the tissue surface or at given positions.
//! Field curvature: a cell's z is measured from the local focal surface, which lies
//! shallower off-axis by the Petzval sagitta. `"auto"` focus: the focal depth on a
//! 1-µm grid that maximises the in-focus cells weighted by their ballistic
//! transmission (`auto_focus`).
//! Units: µm in canvas coordinates (x right, y down, origin at the canvas's top-left
//! pixel edge), z below the focal plane (positive deeper).
//! Sources: docs/physics.md#steps.place_neurons.

use std::collections::HashMap;

use minisim_spec::{Morphology, PlaceNeurons, Spec};
use rand::RngExt;
use rand_distr::{Distribution, Normal, Poisson, StandardNormal};

use crate::geometry::Geometry;
use crate::shape::{self, Shape};
use crate::stage::{Context, Family, Prepared, Stage};
use crate::truth::GroundTruth;
use crate::{Stream, Streams, optics};

/// The `place_neurons` stage.
pub struct Kind;

/// The placed cells and the focal plane they are measured from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placed {
    /// The cells, z below the (curved) focal surface.
    pub cells: Vec<Cell>,
    /// Population index per cell (0 without `populations`).
    pub population: Vec<u32>,
    /// Soma depth below the tissue surface per cell, µm.
    pub depth_um: Vec<f64>,
    /// The focal plane's depth below the surface, µm (`"auto"` resolved).
    pub focal_depth_um: f64,
    /// Irregular outlines and dendrites per cell, or empty when every population is a
    /// plain ellipse.
    pub shapes: Vec<Shape>,
}

impl Stage for Kind {
    type Params = PlaceNeurons;
    type Prepared = Placed;
    type State = ();
    type Values = ();

    fn prepare(p: &PlaceNeurons, ctx: &Context<'_>, _: &Prepared) -> Placed {
        let (spec, g) = (ctx.spec, ctx.geometry);
        let optics = &spec.acquisition().optics;
        let Layout {
            mut cells,
            population,
            depth_um,
        } = layout(p, spec, g, ctx.streams("place_neurons"));
        // Field curvature: z becomes the depth below the local (curved) focal surface.
        let sag: Vec<f64> = if optics.field_curvature_radius_um.is_some() {
            let (cx, cy) = (
                g.canvas.width as f64 * g.pixel_um / 2.0,
                g.canvas.height as f64 * g.pixel_um / 2.0,
            );
            cells
                .iter()
                .map(|c| optics.curvature_shift_um((c.x_um - cx).hypot(c.y_um - cy)))
                .collect()
        } else {
            Vec::new()
        };
        let focal_depth_um = match optics.focal_depth_um.um() {
            Some(f) => f,
            None => {
                let f = auto_focus(spec, &cells, &depth_um, &sag, ctx);
                for (c, &d) in cells.iter_mut().zip(&depth_um) {
                    c.z_um = d - f;
                }
                f
            }
        };
        for (c, s) in cells.iter_mut().zip(&sag) {
            c.z_um += s;
        }
        let shapes = draw_shapes(p, &cells, &population, ctx.streams("place_neurons.shape"));
        Placed {
            cells,
            population,
            depth_um,
            focal_depth_um,
            shapes,
        }
    }

    fn truth(
        _: &PlaceNeurons,
        own: &Placed,
        _: (),
        _: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        let g = ctx.geometry;
        let m_um = g.margin_um();
        let fov_um = [
            g.fov.height as f64 * g.pixel_um,
            g.fov.width as f64 * g.pixel_um,
        ];
        let t = &mut truth.cells;
        for (i, c) in own.cells.iter().enumerate() {
            let (x, y) = (c.x_um - m_um, c.y_um - m_um);
            t.x_um[i] = x;
            t.y_um[i] = y;
            t.z_um[i] = c.z_um;
            t.radius_um[i] = c.radius_um;
            t.expression[i] = c.expression;
            t.in_fov[i] = (0.0..fov_um[1]).contains(&x) && (0.0..fov_um[0]).contains(&y);
            t.population[i] = own.population[i];
            t.depth_um[i] = own.depth_um[i];
        }
        truth.focal_depth_um = own.focal_depth_um;
    }
}

/// Cells with their population and absolute depth.
#[derive(Default)]
struct Layout {
    cells: Vec<Cell>,
    population: Vec<u32>,
    depth_um: Vec<f64>,
}

/// Place the cells of `place_neurons`: the step's slab around the focal plane, or each
/// population in turn (own stream group; depth ranges below the surface). With
/// `"auto"` focus, z is first measured from the surface and re-based by the caller.
fn layout(p: &PlaceNeurons, spec: &Spec, g: Geometry, stream: Family<'_>) -> Layout {
    let optics = &spec.acquisition().optics;
    let f_ref = optics.focal_depth_um.um().unwrap_or(0.0);
    let region_for = |radius: f64| match p.tissue_margin_um {
        // Canvas coordinates: the FOV starts at the margin.
        Some(t) => {
            let m = g.margin_um();
            Region {
                x_um: [m - t, m + g.fov.width as f64 * g.pixel_um + t],
                y_um: [m - t, m + g.fov.height as f64 * g.pixel_um + t],
            }
        }
        None => {
            let pad = 2.0 * radius;
            Region {
                x_um: [-pad, g.canvas.width as f64 * g.pixel_um + pad],
                y_um: [-pad, g.canvas.height as f64 * g.pixel_um + pad],
            }
        }
    };
    let Some(pops) = &p.populations else {
        let cells = place(p, region_for(p.soma_radius_mean_um), &mut stream.stream(0));
        return Layout {
            population: vec![0; cells.len()],
            depth_um: cells.iter().map(|c| f_ref + c.z_um).collect(),
            cells,
        };
    };
    let m_um = g.margin_um();
    let mut out = Layout::default();
    for (k, pop) in pops.iter().enumerate() {
        let Some(own) = p.population(k) else { break };
        let q = PlaceNeurons {
            max_cells: p.max_cells.saturating_sub(out.cells.len() as u64),
            ..own
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
                place_at(&q, &centres, &mut rng)
            }
            (None, Some([lo, hi])) => place_in(
                &q,
                region_for(q.soma_radius_mean_um),
                [lo - f_ref, hi - f_ref],
                &mut rng,
            ),
            (None, None) => place(&q, region_for(q.soma_radius_mean_um), &mut rng),
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
fn auto_focus(
    spec: &Spec,
    cells: &[Cell],
    depth_um: &[f64],
    sag: &[f64],
    ctx: &Context<'_>,
) -> f64 {
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
    let scores: Vec<f64> = ctx.map(planes, |i| {
        let f = first + i as f64;
        let o = optics.with_focal_depth(f);
        cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let mut at = *cell;
                at.z_um = depth_um[c] - f + sag.get(c).copied().unwrap_or(0.0);
                if optics::focus_weight(&comp, &o, &at) >= optics::IN_FOCUS_WEIGHT {
                    (-depth_um[c] / optics.scattering_length_um).exp()
                } else {
                    0.0
                }
            })
            .sum()
    });
    let best = scores
        .iter()
        .enumerate()
        .fold(0, |b, (i, &v)| if v > scores[b] { i } else { b });
    first + best as f64
}

/// Irregular outlines and dendrites per cell (one stream per cell), or empty when
/// every population is a plain ellipse.
fn draw_shapes(
    p: &PlaceNeurons,
    cells: &[Cell],
    population: &[u32],
    streams: Family<'_>,
) -> Vec<Shape> {
    let params: Vec<PlaceNeurons> = match &p.populations {
        Some(pops) => (0..pops.len()).filter_map(|k| p.population(k)).collect(),
        None => vec![p.clone()],
    };
    let plain = |q: &PlaceNeurons| q.irregularity == 0.0 && q.morphology == Morphology::Soma;
    if params.iter().all(plain) {
        return Vec::new();
    }
    cells
        .iter()
        .zip(population)
        .enumerate()
        .map(|(i, (c, &k))| match params.get(k as usize) {
            Some(q) => shape::draw(q, c.radius_um, &mut streams.stream(i as u64)),
            None => Shape::default(),
        })
        .collect()
}

/// One soma.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Centre, µm from the canvas's left edge.
    pub x_um: f64,
    /// Centre, µm from the canvas's top edge.
    pub y_um: f64,
    /// Depth below the focal plane, µm (negative = shallower, towards the lens).
    pub z_um: f64,
    /// Mean soma radius, µm.
    pub radius_um: f64,
    /// Ratio of the in-plane semi-axes (major/minor), ≥ 1 after normalisation.
    pub aspect: f64,
    /// Orientation of the major axis, radians.
    pub angle_rad: f64,
    /// Expression level (multiplies brightness), median 1.
    pub expression: f64,
    /// Nucleus radius as a fraction of the soma radius.
    pub nucleus_fraction: f64,
}

/// The box cells may occupy, µm.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    /// Lower and upper x bound.
    pub x_um: [f64; 2],
    /// Lower and upper y bound.
    pub y_um: [f64; 2],
}

/// Place the cells in the step's slab centred on the focal plane. Deterministic
/// given the stream.
pub fn place(params: &PlaceNeurons, region: Region, rng: &mut Stream) -> Vec<Cell> {
    let half = params.slab_um / 2.0;
    place_in(params, region, [-half, half], rng)
}

/// Place cells with depths below the focal plane in `z_um = [lo, hi]`. The count is
/// Poisson(ρ·area·thickness) with the thickness floored at one soma diameter, so a
/// planar layer (lo = hi) still holds cells.
pub fn place_in(
    params: &PlaceNeurons,
    region: Region,
    z_um: [f64; 2],
    rng: &mut Stream,
) -> Vec<Cell> {
    let [z_lo, z_hi] = z_um;
    let thickness = if z_hi > z_lo {
        z_hi - z_lo
    } else {
        2.0 * params.soma_radius_mean_um
    };
    let volume_mm3 =
        (region.x_um[1] - region.x_um[0]) * (region.y_um[1] - region.y_um[0]) * thickness * 1e-9;
    let expected = params.density_per_mm3 * volume_mm3;
    let candidates = if expected > 0.0 {
        Poisson::new(expected)
            .map(|p| p.sample(rng) as u64)
            .unwrap_or(0)
    } else {
        0
    };
    let sep = params.min_separation_um;
    let cell_size = sep.max(1.0);
    let mut grid: HashMap<(i64, i64, i64), Vec<usize>> = HashMap::new();
    let key = |x: f64, y: f64, z: f64| {
        (
            (x / cell_size).floor() as i64,
            (y / cell_size).floor() as i64,
            (z / cell_size).floor() as i64,
        )
    };
    let radius = Normal::new(params.soma_radius_mean_um, params.soma_radius_sd_um)
        .expect("validated: sd ≥ 0");
    let mut cells: Vec<Cell> = Vec::new();
    for _ in 0..candidates {
        if cells.len() as u64 >= params.max_cells {
            break;
        }
        let x = rng.random_range(region.x_um[0]..region.x_um[1]);
        let y = rng.random_range(region.y_um[0]..region.y_um[1]);
        let z = if z_hi > z_lo {
            rng.random_range(z_lo..z_hi)
        } else {
            z_lo
        };
        // Draw the cell's properties before the test so every candidate consumes the
        // same amount of randomness.
        let draws = Draws::take(&radius, rng);
        let (kx, ky, kz) = key(x, y, z);
        let mut free = true;
        'search: for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    if let Some(ids) = grid.get(&(kx + dx, ky + dy, kz + dz)) {
                        for &i in ids {
                            let c = &cells[i];
                            let d2 =
                                (c.x_um - x).powi(2) + (c.y_um - y).powi(2) + (c.z_um - z).powi(2);
                            if d2 < sep * sep {
                                free = false;
                                break 'search;
                            }
                        }
                    }
                }
            }
        }
        if !free {
            continue;
        }
        grid.entry((kx, ky, kz)).or_default().push(cells.len());
        cells.push(cell(params, [x, y, z], draws));
    }
    cells
}

/// A cell's random draws, in the order they are taken from the stream.
struct Draws {
    r: f64,
    aspect_draw: f64,
    angle: f64,
    expr_draw: f64,
}

impl Draws {
    fn take(radius: &Normal<f64>, rng: &mut Stream) -> Draws {
        Draws {
            r: radius.sample(rng),
            aspect_draw: StandardNormal.sample(rng),
            angle: rng.random_range(0.0..std::f64::consts::PI),
            expr_draw: StandardNormal.sample(rng),
        }
    }
}

/// The cell at `[x, y, z]` with its radius, shape and expression from `d`.
fn cell(params: &PlaceNeurons, [x, y, z]: [f64; 3], d: Draws) -> Cell {
    let aspect = (1.0 + params.soma_aspect_sd * d.aspect_draw).clamp(0.5, 1.5);
    Cell {
        x_um: x,
        y_um: y,
        z_um: z,
        radius_um: d.r.max(0.3 * params.soma_radius_mean_um),
        aspect: if aspect >= 1.0 { aspect } else { 1.0 / aspect },
        angle_rad: d.angle,
        expression: (params.expression_sigma * d.expr_draw).exp(),
        nucleus_fraction: params.nucleus_fraction,
    }
}

/// Cells at given centres `[z below the focal plane, y, x]` (canvas µm), with radius,
/// shape and expression drawn as in `place`.
pub fn place_at(params: &PlaceNeurons, centres: &[[f64; 3]], rng: &mut Stream) -> Vec<Cell> {
    let radius = Normal::new(params.soma_radius_mean_um, params.soma_radius_sd_um)
        .expect("validated: sd ≥ 0");
    centres
        .iter()
        .take(params.max_cells as usize)
        .map(|&[z, y, x]| cell(params, [x, y, z], Draws::take(&radius, rng)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn count_matches_density_without_hard_core() {
        let params = PlaceNeurons {
            min_separation_um: 0.0,
            ..Default::default()
        };
        let region = Region {
            x_um: [0.0, 500.0],
            y_um: [0.0, 400.0],
        };
        let expected = params.density_per_mm3 * 0.5 * 0.4 * 0.1; // 400 cells
        let mut total = 0.0;
        let runs = 20;
        for seed in 0..runs {
            total += place(&params, region, &mut Stream::seed_from_u64(seed)).len() as f64;
        }
        // Mean of 20 Poisson(400) draws: sd = sqrt(400/20) = 4.5; allow 5 sd.
        let mean = total / runs as f64;
        assert!(
            (mean - expected).abs() < 5.0 * (expected / runs as f64).sqrt(),
            "{mean} vs {expected}"
        );
    }

    #[test]
    fn hard_core_is_respected_and_cells_stay_in_the_box() {
        let params = PlaceNeurons::default();
        let region = Region {
            x_um: [0.0, 300.0],
            y_um: [0.0, 300.0],
        };
        let cells = place(&params, region, &mut Stream::seed_from_u64(1));
        assert!(cells.len() > 50);
        for (i, a) in cells.iter().enumerate() {
            assert!((0.0..300.0).contains(&a.x_um) && (0.0..300.0).contains(&a.y_um));
            assert!(a.z_um.abs() <= params.slab_um / 2.0);
            for b in &cells[i + 1..] {
                let d = ((a.x_um - b.x_um).powi(2)
                    + (a.y_um - b.y_um).powi(2)
                    + (a.z_um - b.z_um).powi(2))
                .sqrt();
                assert!(d >= params.min_separation_um);
            }
        }
    }
}
