//! Soma placement (`place_neurons` step).
//!
//! Model: a random-sequential-adsorption hard-core process. N ~ Poisson(ρ·V) candidate
//! centres are drawn uniformly in the box (canvas + one soma diameter) × slab; each is
//! kept if it lies at least `min_separation_um` from every kept centre (3-D distance),
//! so dense specs end somewhat below ρ. Radii ~ N(mean, sd) clipped to ≥ 0.3·mean;
//! in-plane aspect ~ 1 + N(0, aspect_sd) clipped to [0.5, 1.5] with uniform
//! orientation; expression ~ LogNormal(0, σ) (median 1).
//! Units: µm in canvas coordinates (x right, y down, origin at the canvas's top-left
//! pixel edge), z below the focal plane (positive deeper).
//! Sources: docs/physics.md#steps.place_neurons.

use std::collections::HashMap;

use minisim_spec::PlaceNeurons;
use rand::RngExt;
use rand_distr::{Distribution, Normal, Poisson, StandardNormal};

use crate::Stream;

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
