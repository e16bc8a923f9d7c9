//! Blood vessels (`vasculature` step).
//!
//! Model: each vessel is a quadratic Bézier curve entering and leaving the canvas, of
//! diameter w drawn uniformly in [w_min, w_max]. Its transmission at distance d from
//! the centre line is T = 1 − a·exp(−(2d / w(t))²) (haemoglobin absorbs green
//! emission); vasomotion modulates the diameter, w(t) = w·(1 + α·sin(2πft + φ)), with a
//! random phase per vessel. Vessels multiply the movie beneath them.
//!
//! Trees (`layers`): each root enters from a random canvas edge heading inwards and
//! grows in steps of `step_per_radius`·r with a heading that wanders by N(0, τ); at each
//! step it bifurcates with probability p into children of radii r·s^{1/3} (main) and
//! r·(1 − s)^{1/3} (side), so r³ = r₁³ + r₂³ (Murray 1926, *PNAS* 12:207); the side
//! child turns by the branch angle, the main one by a third of it the other way; a
//! branch ends when it leaves the canvas, and a child thinner than the minimum is not
//! grown. A tree's transmission is the profile of its nearest branch (relative
//! distance d/w), blurred by the defocus PSF of its layer's depth: for a Gaussian
//! profile of half-width h and a PSF of SD σ, A(d) = a·√(h²/(h² + 2σ²))·exp(−d²/(h² + 2σ²)).
//! Curves with `depth_um` are blurred the same way by the defocus at their depth.
//!
//! Haemodynamics: blood volume and oxygenation changes in the parenchyma absorb a
//! varying share of the excitation and emission over the whole field; every pixel is
//! multiplied by h(t) = max(0, 1 − σ_h·u(t)), u a unit OU process of time constant
//! τ_h sampled at mid-exposure (precomputed for every frame from its own stream).
//! Units: µm in the spec, canvas px inside; t in s. Sources: docs/physics.md#steps.vasculature.

use minisim_spec::{Vasculature, VesselLayer};
use rand::RngExt;
use rand_distr::{Distribution, Normal, StandardNormal};

use multiversion::multiversion;

#[cfg(test)]
use crate::math::segment;
use crate::math::{lanes, ou};
use crate::stage::{Context, Executor, Frame, FrameValues, Prepared, Stage, map_on};
use crate::truth::{GroundTruth, fov_plane};
use crate::{Dims, Stream, Streams, motion_crop, optics};

/// The `vasculature` stage.
pub struct Kind;

impl Stage for Kind {
    type Params = Vasculature;
    /// Every vessel and, without vasomotion, their combined transmission.
    type Prepared = Vessels;
    type State = ();
    type Values = ();

    fn prepare(p: &Vasculature, ctx: &Context<'_>, prepared: &Prepared) -> Vessels {
        let g = ctx.geometry;
        let streams = ctx.streams("vasculature");
        // Curves and tree layers are blurred by the same optics as cells at their depth.
        let optics = prepared.optics(ctx.spec);
        let focal_depth_um = prepared.focal_depth_um(ctx.spec);
        let curve_blur = p.depth_um.map_or(0.0, |d| {
            optics::psf_sigma_um(&optics, d - focal_depth_um) / g.pixel_um
        });
        let mut v = prepare(p, g.canvas, g.pixel_um, curve_blur, &mut streams.stream(0));
        for (k, layer) in p.layers.iter().flatten().enumerate() {
            let z = layer.depth_um - focal_depth_um;
            let blur = optics::psf_sigma_um(&optics, z) / g.pixel_um;
            v.extend(prepare_layer(
                p,
                layer,
                g.canvas,
                g.pixel_um,
                blur,
                &mut streams.group(k as u64).stream(0),
                ctx.executor,
            ));
        }
        // Without vasomotion every frame sees the same vessels: one map for all.
        let fixed = (p.vasomotion_amplitude == 0.0).then(|| Transmission::of(p, &v, 0.0, g.canvas));
        let hemodynamic = hemodynamics(
            p,
            g.frames,
            g.timing.period_s,
            &mut ctx.streams("vasculature.hemodynamics").stream(0),
        );
        Vessels {
            vessels: v,
            fixed,
            hemodynamic,
        }
    }

    /// Absorb at the middle of the frame's exposure (vasomotion).
    fn apply(p: &Vasculature, own: &Vessels, _: &FrameValues, frame: &mut Frame<'_>) {
        let t_s = frame.geometry.frame_mid_s(frame.index);
        let hemo = own.hemodynamic.get(frame.index as usize).copied();
        let canvas = frame.canvas().0;
        match &own.fixed {
            Some(map) => map.apply(canvas),
            None => absorb(p, &own.vessels, t_s, canvas),
        }
        if let Some(h) = hemo {
            let h = h as f32;
            canvas.iter_mut().for_each(|v| *v *= h);
        }
    }

    /// The resting transmission (no vasomotion) over the FOV.
    fn truth(
        p: &Vasculature,
        own: &Vessels,
        _: (),
        _: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        truth.hemodynamic = ndarray::Array1::from(own.hemodynamic.clone());
        if own.vessels.is_empty() {
            return;
        }
        let g = ctx.geometry;
        let rest = Vasculature {
            vasomotion_amplitude: 0.0,
            ..p.clone()
        };
        let mut ones = vec![1f32; g.canvas.len()];
        absorb(&rest, &own.vessels, 0.0, &mut ones);
        let mut fov = vec![0f32; g.fov.len()];
        motion_crop::crop(&ones, g.canvas, g.margin, &mut fov, g.fov);
        truth.vessels = fov_plane(fov, &g);
    }
}

/// The prepared vessels.
#[derive(Debug, Clone, PartialEq)]
pub struct Vessels {
    /// Every vessel (straight ones first, then each tree layer's branches).
    pub vessels: Vec<Vessel>,
    /// Without vasomotion: the product of every vessel's transmission, computed once.
    pub fixed: Option<Transmission>,
    /// Haemodynamic transmission h(t) of every frame (empty when `hemodynamic_sd` is 0).
    pub hemodynamic: Vec<f64>,
}

/// The haemodynamic transmission h(t) = max(0, 1 − σ_h·u(t)) of every frame, u a unit
/// OU process of time constant τ_h stepped by the frame period; empty when σ_h = 0.
pub fn hemodynamics(params: &Vasculature, frames: u64, dt_s: f64, rng: &mut Stream) -> Vec<f64> {
    if params.hemodynamic_sd == 0.0 {
        return Vec::new();
    }
    let rho = ou::rho(dt_s, params.hemodynamic_tau_s);
    let mut u: f64 = StandardNormal.sample(rng);
    (0..frames)
        .map(|_| {
            let h = (1.0 - params.hemodynamic_sd * u).max(0.0);
            u = ou::step(u, rho, StandardNormal.sample(rng));
            h
        })
        .collect()
}

/// A static transmission map over the canvas, stored as one run of pixels per row
/// (from the first to the last pixel any vessel reaches in that row).
#[derive(Debug, Clone, PartialEq)]
pub struct Transmission {
    /// Per run: canvas row, first column, offset of its first value in `values`.
    pub runs: Vec<(u32, u32, u32)>,
    /// Transmission of each pixel of each run (0 … 1).
    pub values: Vec<f32>,
    /// Canvas width, px.
    pub width: usize,
}

impl Transmission {
    /// The product of the vessels' transmissions at time `t_s` over a canvas.
    ///
    /// Each pixel's value is 1·T₁·T₂·… in vessel order, in `f32` as `absorb`
    /// computes it.
    pub fn of(params: &Vasculature, vessels: &[Vessel], t_s: f64, canvas: Dims) -> Self {
        let mut plane = vec![1f32; canvas.len()];
        absorb(params, vessels, t_s, &mut plane);
        let mut runs = Vec::new();
        let mut values = Vec::new();
        for (y, row) in plane.chunks_exact(canvas.width).enumerate() {
            let Some(first) = row.iter().position(|&v| v != 1.0) else {
                continue;
            };
            let last = row.iter().rposition(|&v| v != 1.0).expect("one exists");
            runs.push((y as u32, first as u32, values.len() as u32));
            values.extend_from_slice(&row[first..=last]);
        }
        Transmission {
            runs,
            values,
            width: canvas.width,
        }
    }

    /// Multiply a canvas (of the dimensions the map was made for) by the map.
    pub fn apply(&self, canvas: &mut [f32]) {
        for (i, &(y, x0, at)) in self.runs.iter().enumerate() {
            let end = self
                .runs
                .get(i + 1)
                .map_or(self.values.len(), |r| r.2 as usize);
            let values = &self.values[at as usize..end];
            let start = y as usize * self.width + x0 as usize;
            for (c, &t) in canvas[start..start + values.len()].iter_mut().zip(values) {
                *c *= t;
            }
        }
    }
}

/// One vessel: the canvas pixels near it and their distance to its centre line.
#[derive(Debug, Clone, PartialEq)]
pub struct Vessel {
    /// Canvas pixel indices (row-major) within reach of the vessel.
    pub pixels: Vec<u32>,
    /// Distance of each pixel's centre to the centre line, px.
    pub distance_px: Vec<f32>,
    /// Resting diameter, px.
    pub diameter_px: f64,
    /// Vasomotion phase, radians.
    pub phase: f64,
    /// Per-pixel diameter relative to `diameter_px` (trees); empty = 1 everywhere.
    pub scale: Vec<f32>,
    /// Absorption at the centre line.
    pub absorption: f64,
    /// SD of the defocus blur, px (0 = sharp).
    pub blur_px: f64,
}

/// One branch of a vessel tree: a polyline of constant radius.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Radius, µm.
    pub radius_um: f64,
    /// Centre line `[y, x]`, canvas µm (one point for a child too thin to grow).
    pub points: Vec<[f64; 2]>,
    /// The branch it split from.
    pub parent: Option<usize>,
}

/// Grow one tree on a canvas of `size_um` = `[height, width]` µm.
pub fn grow_tree(layer: &VesselLayer, size_um: [f64; 2], rng: &mut Stream) -> Vec<Branch> {
    let [h, w] = size_um;
    let edge = rng.random_range(0..4u8);
    let along = rng.random_range(0.0..1.0);
    let (start, inward) = match edge {
        0 => ([0.0, along * w], std::f64::consts::FRAC_PI_2),
        1 => ([h, along * w], -std::f64::consts::FRAC_PI_2),
        2 => ([along * h, 0.0], 0.0),
        _ => ([along * h, w], std::f64::consts::PI),
    };
    let heading = inward + rng.random_range(-0.5..0.5);
    let tortuosity = Normal::new(0.0, layer.tortuosity_deg.to_radians()).expect("sd ≥ 0");
    let min_r = layer.min_diameter_um / 2.0;
    let mut branches: Vec<Branch> = Vec::new();
    let mut stack = vec![(start, heading, layer.root_diameter_um / 2.0, None)];
    let mut steps_left = 20_000usize;
    while let Some((at, mut heading, r, parent)) = stack.pop() {
        let id = branches.len();
        let mut points = vec![at];
        if r >= min_r {
            let mut p = at;
            loop {
                if steps_left == 0 {
                    break;
                }
                steps_left -= 1;
                heading += tortuosity.sample(rng);
                let step = layer.step_per_radius * r;
                p = [p[0] + step * heading.sin(), p[1] + step * heading.cos()];
                points.push(p);
                let margin = 2.0 * r;
                if p[0] < -margin || p[0] > h + margin || p[1] < -margin || p[1] > w + margin {
                    break;
                }
                if rng.random_bool(layer.branch_probability) {
                    let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                    let turn = layer.branch_angle_deg.to_radians();
                    let r_main = r * layer.main_share.cbrt();
                    let r_side = r * (1.0 - layer.main_share).cbrt();
                    stack.push((p, heading - side * turn / 3.0, r_main, Some(id)));
                    stack.push((p, heading + side * turn, r_side, Some(id)));
                    break;
                }
            }
        }
        branches.push(Branch {
            radius_um: r,
            points,
            parent,
        });
    }
    branches
}

/// Rasterise the trees of one layer: one `Vessel` per tree, its pixels carrying the
/// distance to and relative width of their nearest branch (smallest d/w). The trees
/// are drawn from `rng` in order, then rasterised through `executor` (the
/// rasterisation draws nothing, so the vessels do not depend on the threads).
pub fn prepare_layer(
    params: &Vasculature,
    layer: &VesselLayer,
    canvas: Dims,
    pixel_um: f64,
    blur_px: f64,
    rng: &mut Stream,
    executor: &dyn Executor,
) -> Vec<Vessel> {
    let size_um = [
        canvas.height as f64 * pixel_um,
        canvas.width as f64 * pixel_um,
    ];
    let trees: Vec<(f64, Vec<Branch>)> = (0..layer.roots)
        .map(|_| {
            let phase = rng.random_range(0.0..std::f64::consts::TAU);
            (phase, grow_tree(layer, size_um, rng))
        })
        .collect();
    // Every tree's segments in drawing order, with their pixel reach.
    let segments: Vec<Vec<Segment>> = trees
        .iter()
        .map(|(_, tree)| {
            tree.iter()
                .filter(|b| b.points.len() > 1)
                .flat_map(|b| {
                    let w = 2.0 * b.radius_um / pixel_um;
                    let reach = 1.5 * w * (1.0 + params.vasomotion_amplitude) + 3.0 * blur_px;
                    b.points.windows(2).map(move |seg| Segment {
                        a: seg[0].map(|v| v / pixel_um),
                        c: seg[1].map(|v| v / pixel_um),
                        w,
                        reach,
                        reach2: reach * reach * (1.0 + 1e-9),
                    })
                })
                .collect()
        })
        .collect();
    // Bands of rows of every tree rasterised in parallel (a tree's segments visit a
    // pixel in the same order whichever band holds it, so the result does not
    // depend on the banding; four trees alone kept one of two threads idle).
    let bands = canvas.height.div_ceil(TREE_BAND_ROWS);
    let rasters = map_on(executor, trees.len() * bands, |job| {
        let (tree, band) = (job / bands, job % bands);
        let rows = band * TREE_BAND_ROWS..((band + 1) * TREE_BAND_ROWS).min(canvas.height);
        rasterise_band(&segments[tree], rows, canvas.width)
    });
    let root_px = layer.root_diameter_um / pixel_um;
    trees
        .iter()
        .enumerate()
        .map(|(t, (phase, _))| {
            let band_rasters = &rasters[t * bands..(t + 1) * bands];
            let mut v = Vessel {
                pixels: Vec::new(),
                distance_px: Vec::new(),
                diameter_px: root_px,
                phase: *phase,
                scale: Vec::new(),
                absorption: layer.absorption,
                blur_px,
            };
            let best = band_rasters
                .iter()
                .flat_map(|b| b.rel.iter().zip(&b.distance).zip(&b.width));
            for (i, ((&rel, &d), &w)) in best.enumerate() {
                if rel.is_finite() {
                    v.pixels.push(i as u32);
                    v.distance_px.push(d);
                    v.scale.push((w as f64 / root_px) as f32);
                }
            }
            v
        })
        .collect()
}

/// Canvas rows per parallel job of a tree's rasterisation.
const TREE_BAND_ROWS: usize = 16;

/// One straight piece of a branch's centre line, in canvas pixels.
struct Segment {
    a: [f64; 2],
    c: [f64; 2],
    /// Branch diameter, px.
    w: f64,
    /// Distance beyond which a pixel is not the branch's, px.
    reach: f64,
    /// `reach²` with a relative margin beyond rounding.
    reach2: f64,
}

/// Per pixel of a band of rows (full width, row-major): the nearest segment's
/// distance in units of its branch's width (∞ where no segment reaches), the distance
/// and the width, px.
struct BandRaster {
    rel: Vec<f32>,
    distance: Vec<f32>,
    width: Vec<f32>,
}

/// The [`BandRaster`] of `rows`: for each pixel, the segment with the smallest d/w
/// (the first such segment in order on ties).
fn rasterise_band(segments: &[Segment], rows: std::ops::Range<usize>, width: usize) -> BandRaster {
    let n = rows.len() * width;
    let mut best = BandRaster {
        rel: vec![f32::INFINITY; n],
        distance: vec![0.0; n],
        width: vec![0.0; n],
    };
    let (first, last) = (rows.start as f64, rows.end as f64 - 1.0);
    let mut scratch = RowScratch {
        dy: vec![0.0; width],
        dx: vec![0.0; width],
        candidate: vec![false; width],
    };
    for s in segments {
        let (a, c, w, reach) = (s.a, s.c, s.w, s.reach);
        let (y0, y1) = (a[0].min(c[0]) - reach, a[0].max(c[0]) + reach);
        let (x0, x1) = (a[1].min(c[1]) - reach, a[1].max(c[1]) + reach);
        let ys = (y0.floor().max(first) as usize)..=(y1.ceil().min(last).max(first) as usize);
        if y1.ceil() < first || y0.floor() > last {
            continue;
        }
        let xs = (x0.floor().max(0.0) as usize)
            ..(x1.ceil().min(width as f64 - 1.0).max(0.0) as usize + 1);
        for py in ys {
            let at = (py - rows.start) * width + xs.start;
            let run = at..at + xs.len();
            // Offsets and the rejection first, for the whole run in one pass the
            // compiler vectorises; the exact distance then for the rest.
            row_candidates(
                py as f64 + 0.5,
                xs.start,
                s,
                &best.rel[run.clone()],
                &mut scratch,
            );
            for i in 0..xs.len() {
                if !scratch.candidate[i] {
                    continue;
                }
                let d = scratch.dy[i].hypot(scratch.dx[i]);
                if d > reach {
                    continue;
                }
                let rel = (d / w) as f32;
                let j = at + i;
                if rel < best.rel[j] {
                    (best.rel[j], best.distance[j], best.width[j]) = (rel, d as f32, w as f32);
                }
            }
        }
    }
    best
}

/// Per pixel of a row run: the offset to the segment and whether the pixel may take it.
struct RowScratch {
    dy: Vec<f64>,
    dx: Vec<f64>,
    candidate: Vec<bool>,
}

/// For each pixel of a row run (row centre `y`, first column `x0`, the run's current
/// best d/w in `rel`): [`segment::offset`]'s (dy, dx) to segment `s` bit for bit, and
/// whether the pixel is a candidate. Pixels beyond reach, or farther (relative to w)
/// than a branch already found, are rejected on the squared distance, with relative
/// margins beyond every rounding (f32 included), before the exact distance is computed.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
fn row_candidates(y: f64, x0: usize, s: &Segment, rel: &[f32], out: &mut RowScratch) {
    let (a, c, w) = (s.a, s.c, s.w);
    let d = [c[0] - a[0], c[1] - a[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    let degenerate = len2 <= 0.0;
    let py = y - a[0];
    let n = rel.len();
    let (dy, dx) = (&mut out.dy[..n], &mut out.dx[..n]);
    let candidate = &mut out.candidate[..n];
    for i in 0..n {
        let x = (x0 + i) as f64 + 0.5;
        let t = (py * d[0] + (x - a[1]) * d[1]) / len2;
        // t is NaN for a degenerate segment, which gives 0.
        let t = if degenerate { 0.0 } else { t.clamp(0.0, 1.0) };
        let (oy, ox) = (a[0] + t * d[0] - y, a[1] + t * d[1] - x);
        let d2 = oy * oy + ox * ox;
        let known = rel[i] as f64 * w;
        (dy[i], dx[i]) = (oy, ox);
        candidate[i] = (d2 <= s.reach2) & (d2 <= known * known * (1.0 + 1e-5));
    }
}

/// Draw the vessels on a canvas, blurred by a defocus PSF of SD `blur_px` (0 = sharp).
pub fn prepare(
    params: &Vasculature,
    canvas: Dims,
    pixel_um: f64,
    blur_px: f64,
    rng: &mut Stream,
) -> Vec<Vessel> {
    let (h, w) = (canvas.height as f64, canvas.width as f64);
    let mut vessels = Vec::new();
    for _ in 0..params.vessels {
        let diameter_um = rng.random_range(params.width_min_um..=params.width_max_um);
        let phase = rng.random_range(0.0..std::f64::consts::TAU);
        // Entry on one edge, exit on the opposite edge, control point inside.
        let vertical = rng.random_bool(0.5);
        let (a, b) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
        let (p0, p2) = if vertical {
            ([0.0, a * w], [h, b * w])
        } else {
            ([a * h, 0.0], [b * h, w])
        };
        let p1 = [rng.random_range(0.0..h), rng.random_range(0.0..w)];
        let diameter_px = diameter_um / pixel_um;
        let reach = 1.5 * diameter_px * (1.0 + params.vasomotion_amplitude) + 3.0 * blur_px;
        let length = (p2[0] - p0[0]).hypot(p2[1] - p0[1]) + (p1[0] - p0[0]).hypot(p1[1] - p0[1]);
        let samples = (length * 2.0).ceil().max(2.0) as usize;
        // Per pixel, the offset (dy, dx) to the nearest curve sample, found on the
        // squared distance (no square root in the loop); the distance is the `hypot`
        // of that offset, computed once per pixel. Rounding is monotone, so this is
        // the minimum over samples of `hypot(dy, dx) as f32` pixel for pixel.
        let mut best_d2 = vec![f64::INFINITY; canvas.len()];
        let mut best_off = vec![(0.0f64, 0.0f64); canvas.len()];
        let r = reach.ceil() as i64;
        for s in 0..=samples {
            let t = s as f64 / samples as f64;
            let u = 1.0 - t;
            let y = u * u * p0[0] + 2.0 * u * t * p1[0] + t * t * p2[0];
            let x = u * u * p0[1] + 2.0 * u * t * p1[1] + t * t * p2[1];
            let (iy, ix) = (y.floor() as i64, x.floor() as i64);
            let (xa, xb) = (
                (ix - r).max(0) as usize,
                (ix + r).min(canvas.width as i64 - 1),
            );
            if xb < xa as i64 {
                continue;
            }
            let xb = xb as usize;
            for py in (iy - r).max(0)..=(iy + r).min(canvas.height as i64 - 1) {
                let dy = py as f64 + 0.5 - y;
                let dyy = dy * dy;
                let row = py as usize * canvas.width;
                let d2s = &mut best_d2[row + xa..=row + xb];
                let offs = &mut best_off[row + xa..=row + xb];
                for (k, (slot, off)) in d2s.iter_mut().zip(offs.iter_mut()).enumerate() {
                    let dx = (xa + k) as f64 + 0.5 - x;
                    let d2 = dyy + dx * dx;
                    if d2 < *slot {
                        *slot = d2;
                        *off = (dy, dx);
                    }
                }
            }
        }
        let mut pixels = Vec::new();
        let mut distance_px = Vec::new();
        for (i, (&d2, &(dy, dx))) in best_d2.iter().zip(&best_off).enumerate() {
            if d2.is_finite() {
                let d = dy.hypot(dx) as f32;
                if (d as f64) <= reach {
                    pixels.push(i as u32);
                    distance_px.push(d);
                }
            }
        }
        vessels.push(Vessel {
            pixels,
            distance_px,
            diameter_px,
            phase,
            scale: Vec::new(),
            absorption: params.absorption,
            blur_px,
        });
    }
    vessels
}

/// Diameter of a vessel at time `t_s`, px.
pub fn diameter_at(params: &Vasculature, vessel: &Vessel, t_s: f64) -> f64 {
    let wobble = (std::f64::consts::TAU * params.vasomotion_hz * t_s + vessel.phase).sin();
    vessel.diameter_px * (1.0 + params.vasomotion_amplitude * wobble)
}

/// The transmission profile 1 − A·exp(−d²/h²) of a blurred curve, tabulated at
/// `PROFILE_STEP_PX` and linearly interpolated. The interpolation error is at most
/// Δ²/8 · max|T''| ≤ Δ²·A/(4h²) (T'' peaks at 2A/h² on the centre line, h² the
/// blurred squared half-width): at most 4.3·10⁻⁴·A even for h = 1.5 px (tested).
struct Profile {
    table: Vec<f32>,
}

/// Step of the tabulated profile, px.
const PROFILE_STEP_PX: f32 = 1.0 / 16.0;

impl Profile {
    fn new(amp: f64, h2: f64, max_d: f32) -> Profile {
        let n = (max_d / PROFILE_STEP_PX).ceil() as usize + 2;
        let table = (0..n)
            .map(|k| {
                let d = k as f64 * PROFILE_STEP_PX as f64;
                one_minus(amp, d * d / h2)
            })
            .collect();
        Profile { table }
    }

    fn at(&self, d: f32) -> f32 {
        let x = d / PROFILE_STEP_PX;
        let k = (x as usize).min(self.table.len() - 2);
        let f = x - k as f32;
        self.table[k] + f * (self.table[k + 1] - self.table[k])
    }
}

/// Multiply the canvas by every vessel's transmission at time `t_s`.
pub fn absorb(params: &Vasculature, vessels: &[Vessel], t_s: f64, canvas: &mut [f32]) {
    for vessel in vessels {
        let half = diameter_at(params, vessel, t_s) / 2.0;
        let two_s2 = 2.0 * vessel.blur_px * vessel.blur_px;
        if vessel.scale.is_empty() && vessel.blur_px > 0.0 {
            // A blurred curve: one profile for every pixel, tabulated once per frame.
            let h2 = half * half + two_s2;
            let amp = vessel.absorption * (half * half / h2).sqrt();
            let profile = Profile::new(
                amp,
                h2,
                vessel.distance_px.iter().cloned().fold(0.0, f32::max),
            );
            for (&p, &d) in vessel.pixels.iter().zip(&vessel.distance_px) {
                canvas[p as usize] *= profile.at(d);
            }
            continue;
        }
        transmit(vessel, half, two_s2, canvas);
    }
}

/// Pixels whose transmissions [`transmit`] computes at once, in a vectorised pass,
/// before multiplying them into the canvas.
const RUN: usize = 64;

/// 1 − A·e^{−x} as `f32`, with e^{−x} by [`lanes::exp_neg`] (the same bits on every
/// platform, unlike libm's); x beyond [`EXP_NEG_MAX`] (e^{−x} < 10⁻³⁰⁰) is clamped.
#[inline(always)]
fn one_minus(amp: f64, x: f64) -> f32 {
    (1.0 - amp * lanes::exp_neg(x.min(EXP_NEG_MAX))) as f32
}

/// The largest argument [`lanes::exp_neg`] takes.
const EXP_NEG_MAX: f64 = 700.0;

/// Multiply the canvas by the exact transmission of a sharp curve or a tree (per-pixel
/// half-width h·scale and blur σ: A·√(h²/(h² + 2σ²))·e^{−d²/(h² + 2σ²)}), `half` the
/// half-diameter at this time, `two_s2` = 2σ² (px²).
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
fn transmit(vessel: &Vessel, half: f64, two_s2: f64, canvas: &mut [f32]) {
    let mut t = [0f32; RUN];
    let (amp, inv) = (vessel.absorption, 1.0 / (half * half));
    let runs = vessel
        .pixels
        .chunks(RUN)
        .zip(vessel.distance_px.chunks(RUN))
        .enumerate();
    for (r, (pixels, distances)) in runs {
        let t = &mut t[..pixels.len()];
        if vessel.scale.is_empty() {
            for (t, &d) in t.iter_mut().zip(distances) {
                let d = d as f64;
                *t = one_minus(amp, d * d * inv);
            }
        } else {
            let scales = &vessel.scale[r * RUN..][..pixels.len()];
            for ((t, &d), &s) in t.iter_mut().zip(distances).zip(scales) {
                let h = half * s as f64;
                let h2 = h * h + two_s2;
                let d = d as f64;
                *t = one_minus(amp * (h * h / h2).sqrt(), d * d / h2);
            }
        }
        for (&p, &t) in pixels.iter().zip(t.iter()) {
            canvas[p as usize] *= t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::Serial;
    use rand::SeedableRng;

    /// The banded rasteriser (offsets and rejection in a vector pass) gives every
    /// pixel the nearest segment of a pixel-by-pixel search with `segment::offset`,
    /// bit for bit: random segments of a tree-like chain (short, overlapping, some
    /// degenerate, some off the band or the canvas), bands cut anywhere.
    #[test]
    fn banded_rasteriser_is_the_per_pixel_search_bit_for_bit() {
        let mut rng = Stream::seed_from_u64(41);
        let (width, height) = (70, 50);
        let mut hits = 0;
        for round in 0..40 {
            let mut at = [rng.random_range(-10.0..60.0), rng.random_range(-10.0..80.0)];
            let segments: Vec<Segment> = (0..25)
                .map(|i| {
                    let w: f64 = rng.random_range(0.5..6.0);
                    let step = if i % 7 == 3 {
                        0.0
                    } else {
                        rng.random_range(0.0..8.0)
                    };
                    let heading: f64 = rng.random_range(0.0..std::f64::consts::TAU);
                    let next = [at[0] + step * heading.sin(), at[1] + step * heading.cos()];
                    let reach = 1.5 * w * 1.1 + rng.random_range(0.0..6.0);
                    let s = Segment {
                        a: at,
                        c: next,
                        w,
                        reach,
                        reach2: reach * reach * (1.0 + 1e-9),
                    };
                    at = next;
                    s
                })
                .collect();
            let rows = (round % 7)..(round % 7 + 5 + round % 19).min(height);
            let got = rasterise_band(&segments, rows.clone(), width);
            for (j, py) in rows.clone().enumerate() {
                for px in 0..width {
                    let q = [py as f64 + 0.5, px as f64 + 0.5];
                    let mut want = (f32::INFINITY, 0.0f32, 0.0f32);
                    for s in &segments {
                        let (_, dy, dx) = segment::offset(q, s.a, s.c);
                        let d = dy.hypot(dx);
                        let rel = (d / s.w) as f32;
                        if d <= s.reach && rel < want.0 {
                            want = (rel, d as f32, s.w as f32);
                        }
                    }
                    let i = j * width + px;
                    let have = (got.rel[i], got.distance[i], got.width[i]);
                    assert_eq!(
                        (have.0.to_bits(), have.1.to_bits(), have.2.to_bits()),
                        (want.0.to_bits(), want.1.to_bits(), want.2.to_bits()),
                        "round {round}, pixel ({py}, {px})"
                    );
                    hits += want.0.is_finite() as usize;
                }
            }
        }
        // Many pixels were claimed (the comparison is not over empty bands).
        assert!(hits > 2000, "{hits}");
    }

    /// The vectorised transmission of sharp curves and trees is the closed form
    /// (libm, f64) to within the f32 rounding it is stored at, at every pixel of a run
    /// and of the last, shorter run.
    #[test]
    fn transmissions_are_the_closed_form_to_f32_rounding() {
        let n = 3 * RUN + 17;
        let distance_px: Vec<f32> = (0..n).map(|i| i as f32 * 0.07).collect();
        let scale: Vec<f32> = (0..n).map(|i| 0.3 + (i % 11) as f32 * 0.1).collect();
        let (half, blur) = (2.5f64, 1.25f64);
        for tree in [false, true] {
            let vessel = Vessel {
                pixels: (0..n as u32).collect(),
                distance_px: distance_px.clone(),
                diameter_px: 2.0 * half,
                phase: 0.0,
                scale: if tree { scale.clone() } else { Vec::new() },
                absorption: 0.6,
                blur_px: if tree { blur } else { 0.0 },
            };
            let mut plane = vec![1f32; n];
            transmit(&vessel, half, 2.0 * vessel.blur_px.powi(2), &mut plane);
            for (i, &got) in plane.iter().enumerate() {
                let h = half * if tree { scale[i] as f64 } else { 1.0 };
                let h2 = h * h + 2.0 * vessel.blur_px.powi(2);
                let amp = vessel.absorption * (h * h / h2).sqrt();
                let d = distance_px[i] as f64;
                let exact = 1.0 - amp * (-(d * d) / h2).exp();
                assert!(
                    (got as f64 - exact).abs() <= exact * f32::EPSILON as f64,
                    "tree {tree}, pixel {i}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn centre_line_absorbs_and_far_pixels_are_untouched() {
        let params = Vasculature {
            vessels: 1,
            vasomotion_amplitude: 0.0,
            ..Default::default()
        };
        let dims = Dims {
            height: 100,
            width: 120,
        };
        let vessels = prepare(&params, dims, 1.0, 0.0, &mut Stream::seed_from_u64(4));
        let mut plane = vec![1f32; dims.len()];
        absorb(&params, &vessels, 0.0, &mut plane);
        let min = plane.iter().cloned().fold(1.0, f32::min);
        assert!(
            (min - (1.0 - params.absorption as f32)).abs() < 0.05,
            "{min}"
        );
        let untouched = plane.iter().filter(|&&v| v == 1.0).count();
        assert!(untouched > dims.len() / 3);
    }

    /// A curve blurred by defocus σ keeps its flux: the Gaussian profile of half-width
    /// h becomes a·√(h²/(h² + 2σ²)) at the centre and spreads over √(h² + 2σ²), so the
    /// darkest pixel is fainter by that factor and more pixels are touched. Same
    /// stream, same geometry: blur draws no random numbers.
    #[test]
    fn blurred_curves_are_fainter_and_wider() {
        let params = Vasculature {
            vessels: 1,
            width_min_um: 10.0,
            width_max_um: 10.0,
            vasomotion_amplitude: 0.0,
            ..Default::default()
        };
        let dims = Dims {
            height: 120,
            width: 140,
        };
        let draw = |blur: f64| {
            let v = prepare(&params, dims, 1.0, blur, &mut Stream::seed_from_u64(9));
            let mut plane = vec![1f32; dims.len()];
            absorb(&params, &v, 0.0, &mut plane);
            plane
        };
        let (sharp, soft) = (draw(0.0), draw(8.0));
        let darkest = |p: &[f32]| 1.0 - p.iter().cloned().fold(1.0, f32::min) as f64;
        let (h, s) = (5.0f64, 8.0f64);
        let want = params.absorption * (h * h / (h * h + 2.0 * s * s)).sqrt();
        assert!((darkest(&sharp) - params.absorption).abs() < 0.03);
        assert!(
            (darkest(&soft) - want).abs() < 0.02,
            "{} vs {want}",
            darkest(&soft)
        );
        let touched = |p: &[f32]| p.iter().filter(|&&v| v < 0.999).count();
        assert!(touched(&soft) > 2 * touched(&sharp));
        // The blocked light is conserved (up to the canvas edges and the reach cut).
        let blocked = |p: &[f32]| p.iter().map(|&v| 1.0 - v as f64).sum::<f64>();
        let ratio = blocked(&soft) / blocked(&sharp);
        assert!((ratio - 1.0).abs() < 0.1, "{ratio}");
    }

    /// The haemodynamic transmission is 1 − σ·u with u a unit OU process: over many
    /// frames its mean is 1 and its SD σ (the sample SD of 20 000 frames of an OU
    /// with τ = 10 frames errs by ≈ √(τ/N) ≈ 2.2 %), its lag-1 autocorrelation
    /// e^{−Δt/τ}; off when σ = 0.
    #[test]
    fn hemodynamics_is_a_slow_ou_around_one() {
        let params = Vasculature {
            hemodynamic_sd: 0.02,
            hemodynamic_tau_s: 1.0,
            ..Default::default()
        };
        let h = hemodynamics(&params, 20_000, 0.1, &mut Stream::seed_from_u64(3));
        let n = h.len() as f64;
        let mean = h.iter().sum::<f64>() / n;
        let var = h.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        assert!(
            (mean - 1.0).abs() < 0.02 * 4.0 * (10.0 / n).sqrt(),
            "{mean}"
        );
        assert!((var.sqrt() / 0.02 - 1.0).abs() < 0.1, "{}", var.sqrt());
        let lag: f64 = h
            .windows(2)
            .map(|w| (w[0] - mean) * (w[1] - mean))
            .sum::<f64>();
        let rho = lag / (var * n);
        assert!((rho - (-0.1f64).exp()).abs() < 0.02, "{rho}");
        let off = Vasculature {
            hemodynamic_sd: 0.0,
            ..params
        };
        assert!(hemodynamics(&off, 10, 0.1, &mut Stream::seed_from_u64(3)).is_empty());
    }

    /// The tabulated profile of a blurred curve matches the closed form within its
    /// stated bound (Δ²·A/(4h²) with Δ = 1/16 px) over the whole reach.
    #[test]
    fn tabulated_profile_matches_the_closed_form() {
        for (amp, h) in [(0.4f64, 1.5f64), (0.1, 4.0), (0.9, 20.0)] {
            let h2 = h * h;
            let p = Profile::new(amp, h2, 100.0);
            let bound = (PROFILE_STEP_PX as f64).powi(2) * amp / (4.0 * h2) + 1e-6;
            for i in 0..10_000 {
                let d = i as f64 * 0.01;
                let exact = 1.0 - amp * (-(d * d) / h2).exp();
                let got = p.at(d as f32) as f64;
                assert!(
                    (got - exact).abs() <= bound,
                    "A {amp} h {h} d {d}: {got} vs {exact}"
                );
            }
        }
    }

    /// Murray's law: at every bifurcation the parent's r³ equals the sum of its
    /// children's; trees start at the trunk radius and branch.
    #[test]
    fn vessel_trees_conserve_r_cubed_at_branch_points() {
        let layer = VesselLayer {
            branch_probability: 0.3,
            ..Default::default()
        };
        let mut bifurcations = 0;
        for seed in 0..5 {
            let tree = grow_tree(&layer, [400.0, 500.0], &mut Stream::seed_from_u64(seed));
            assert_eq!(tree[0].radius_um, 15.0);
            for (i, parent) in tree.iter().enumerate() {
                let children: Vec<f64> = tree
                    .iter()
                    .filter(|b| b.parent == Some(i))
                    .map(|b| b.radius_um)
                    .collect();
                if children.is_empty() {
                    continue;
                }
                assert_eq!(children.len(), 2);
                let sum: f64 = children.iter().map(|r| r.powi(3)).sum();
                assert!((sum - parent.radius_um.powi(3)).abs() < 1e-9 * sum, "{sum}");
                bifurcations += 1;
            }
        }
        assert!(bifurcations > 5, "{bifurcations}");
    }

    /// A defocused tree absorbs less at its centre and over a wider band.
    #[test]
    fn defocus_blurs_a_layer() {
        let params = Vasculature {
            vasomotion_amplitude: 0.0,
            ..Default::default()
        };
        let layer = VesselLayer {
            roots: 1,
            branch_probability: 0.0,
            tortuosity_deg: 0.0,
            ..Default::default()
        };
        let dims = Dims {
            height: 120,
            width: 120,
        };
        let render = |blur: f64| {
            let v = prepare_layer(
                &params,
                &layer,
                dims,
                1.0,
                blur,
                &mut Stream::seed_from_u64(1),
                &Serial,
            );
            let mut plane = vec![1f32; dims.len()];
            absorb(&params, &v, 0.0, &mut plane);
            plane
        };
        let (sharp, soft) = (render(0.0), render(8.0));
        let min = |p: &[f32]| p.iter().cloned().fold(1.0, f32::min);
        assert!((min(&sharp) - 0.5).abs() < 0.05, "{}", min(&sharp));
        assert!(min(&soft) > min(&sharp) + 0.05);
        let touched = |p: &[f32]| p.iter().filter(|&&v| v < 0.99).count();
        assert!(touched(&soft) > touched(&sharp));
    }

    /// The static map multiplies a canvas as every vessel in turn does, to f32
    /// rounding (the map is the product of the transmissions, then one multiply).
    #[test]
    fn fixed_map_equals_absorbing_vessel_by_vessel() {
        let params = Vasculature {
            vessels: 3,
            vasomotion_amplitude: 0.0,
            layers: Some(vec![VesselLayer::default()]),
            ..Default::default()
        };
        let dims = Dims {
            height: 90,
            width: 130,
        };
        let mut vessels = prepare(&params, dims, 1.0, 0.0, &mut Stream::seed_from_u64(2));
        vessels.extend(prepare_layer(
            &params,
            &VesselLayer::default(),
            dims,
            1.0,
            3.0,
            &mut Stream::seed_from_u64(3),
            &Serial,
        ));
        let base: Vec<f32> = (0..dims.len()).map(|i| 1.0 + (i % 17) as f32).collect();
        let mut direct = base.clone();
        absorb(&params, &vessels, 0.0, &mut direct);
        let mut mapped = base.clone();
        let map = Transmission::of(&params, &vessels, 0.0, dims);
        map.apply(&mut mapped);
        let touched = direct.iter().zip(&base).filter(|(d, b)| d != b).count();
        assert!(touched > dims.len() / 10, "{touched}");
        for (i, (d, m)) in direct.iter().zip(&mapped).enumerate() {
            // Each of at most (vessels + 1) f32 products rounds by ≤ ½ ulp.
            let tol = (vessels.len() + 1) as f32 * f32::EPSILON * d.abs();
            assert!((d - m).abs() <= tol, "pixel {i}: {d} vs {m}");
        }
    }
}
