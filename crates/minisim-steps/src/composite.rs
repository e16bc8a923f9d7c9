//! Cell footprints from the optics, and their sum on the canvas (`composite` step).
//!
//! Model, for a cell at depth z (below the focal plane):
//!
//! - shape: a filled ellipse (semi-axes r·√a, r/√a) of brightness 1 with a concentric
//!   nucleus of relative radius f_n and brightness b_n (plus an irregular outline and
//!   dendrites from `shape`);
//! - ballistic light: the shape blurred by the Gaussian PSF of `optics::blur_at`
//!   (diffraction, aberration, defocus), weighted by the ballistic transmission;
//! - scattered light: the scattered share of the flux as a Gaussian halo centred on
//!   the cell (`optics::blur_at`).
//!
//! Per frame: canvas += Σ_c b_c·q_c·(1 + ΔF/F_c(t))·footprint_c, with b_c = expression ×
//! resting brightness and q_c the intact fluorophore fraction (per-cell bleaching,
//! 1 without).
//!
//! Weights below `psf_truncation` × the footprint's peak are dropped and the patch is
//! cropped to what remains, so a footprint is O(patch), never O(H·W).
//!
//! The halo is smooth (σ_h ≈ 13 px at the defaults), so it is sampled on a coarse grid
//! of `HALO_STEP` px and bilinearly upsampled once per frame for all cells together.
//! Bilinear interpolation of a Gaussian errs by at most h²/8 · (max|G_xx| + max|G_yy|)
//! = h²/(4σ_h²) of its peak: 2.4 % of the halo's peak for the default σ_h ≈ 13 px,
//! i.e. ≈ 0.15 % of the cell's peak (the halo peaks at ~6 % of the soma).
//! Units: µm in, canvas pixels out; footprint values in image intensity units.
//! Sources: docs/physics.md#steps.composite.

use minisim_spec::{Composite, Optics};
use multiversion::multiversion;

use crate::Dims;
use crate::math::{gauss, simd};
use crate::optics::blur_at;
use crate::place_neurons::Cell;
use crate::shape::Shape;
use crate::stage::{Band, Context, FrameValues, Prepared, Stage, bands};
use crate::truth::{Csr, GroundTruth};

/// The `composite` stage.
pub struct Kind;

/// Every cell's footprint and brightness.
#[derive(Debug, Clone)]
pub struct Footprints {
    /// One footprint per cell (`None` when nothing of it lands on the canvas).
    pub cells: Vec<Option<Footprint>>,
    /// expression × resting brightness, per cell.
    pub brightness: Vec<f32>,
    /// Peak of the ballistic footprint relative to focus, per cell.
    pub focus_weight: Vec<f64>,
    /// The coarse grid the halos live on.
    pub halo_grid: HaloGrid,
    /// Per band of canvas rows (`stage::BAND_ROWS`): the cells whose core has rows in
    /// it, in ascending cell id (the order their patches are added).
    pub core_bands: Vec<Vec<u32>>,
    /// Per band: the cells whose halo has nodes in the grid rows the band's pixels
    /// interpolate from, in ascending cell id.
    pub halo_bands: Vec<Vec<u32>>,
    /// Per cell whose core went on the coarse grid (deep, strongly blurred cells): what
    /// rebuilds its core at full resolution for the ground truth (`None` otherwise).
    pub grid_cores: Vec<Option<Box<CoreSource>>>,
}

/// What [`core_patch`] needs to rebuild one cell's core at full resolution.
#[derive(Debug, Clone)]
pub struct CoreSource {
    /// The cell.
    pub cell: Cell,
    /// Its outline and dendrites (`None` = the plain ellipse).
    pub shape: Option<Shape>,
    /// The optics (focal depth resolved).
    pub optics: Optics,
}

impl Footprints {
    /// Bytes held by the cells' footprint patches.
    pub fn bytes(&self) -> usize {
        self.cells.iter().flatten().map(Footprint::bytes).sum()
    }
}

impl Stage for Kind {
    type Params = Composite;
    type Prepared = Footprints;
    type State = ();
    type Values = ();
    const BY_BAND: bool = true;

    fn prepare(p: &Composite, ctx: &Context<'_>, prepared: &Prepared) -> Footprints {
        let g = ctx.geometry;
        let optics = &prepared.optics(ctx.spec);
        let (cells, shapes): (&[Cell], &[Shape]) = prepared
            .place_neurons
            .as_ref()
            .map_or((&[], &[]), |q| (&q.cells, &q.shapes));
        let footprints = ctx.map(cells.len(), |i| {
            footprint(p, optics, &cells[i], shapes.get(i), g.pixel_um, g.canvas)
        });
        let grid_cores = footprints
            .iter()
            .enumerate()
            .map(|(i, fp)| {
                let on_grid = fp.as_ref().is_some_and(|fp| fp.core.is_none())
                    && blur_at(p, optics, cells[i].z_um).psf_sigma_um / g.pixel_um
                        >= CORE_ON_GRID_SIGMA_PX;
                on_grid.then(|| {
                    Box::new(CoreSource {
                        cell: cells[i],
                        shape: shapes.get(i).cloned(),
                        optics: optics.clone(),
                    })
                })
            })
            .collect();
        let grid = HaloGrid::of(g.canvas);
        let mut core_bands = Vec::new();
        let mut halo_bands = Vec::new();
        for rows in bands(g.canvas.height) {
            let nodes = grid.node_rows(rows.clone());
            let overlaps = |p: &Option<Patch>, lo: i64, hi: i64| {
                p.as_ref()
                    .is_some_and(|p| p.y0 < hi && p.y0 + p.dims.height as i64 > lo)
            };
            let (mut core, mut halo) = (Vec::new(), Vec::new());
            for (c, fp) in footprints.iter().enumerate() {
                let Some(fp) = fp else { continue };
                if overlaps(&fp.core, rows.start as i64, rows.end as i64) {
                    core.push(c as u32);
                }
                if overlaps(&fp.halo, nodes.start as i64, nodes.end as i64) {
                    halo.push(c as u32);
                }
            }
            core_bands.push(core);
            halo_bands.push(halo);
        }
        Footprints {
            cells: footprints,
            brightness: cells
                .iter()
                .map(|c| (c.expression * p.resting_brightness) as f32)
                .collect(),
            focus_weight: cells
                .iter()
                .map(|c| crate::optics::focus_weight(p, optics, c))
                .collect(),
            halo_grid: grid,
            core_bands,
            halo_bands,
            grid_cores,
        }
    }

    /// Every frame of the chunk at once, one band of canvas rows: each cell's core
    /// rows in the band are added to every frame, scaled by b·q(t)·(1 + ΔF/F(t)),
    /// then the halos on the grid rows the band needs, then their upsampling. Each
    /// pixel sums its cells in ascending id, cores first, whatever the band or chunk.
    fn apply_band(_: &Composite, own: &Footprints, values: &[FrameValues], band: &mut Band<'_>) {
        let frames = band.planes.len();
        let (r0, r1, w) = (band.rows.start as i64, band.rows.end as i64, band.width);
        let grid = own.halo_grid;
        let nodes = grid.node_rows(band.rows.clone());
        let cw = grid.dims.width;
        // Scratch: the band's grid rows per frame, one interpolated row, and the
        // scales of the band's cells (cells × frames).
        let per_frame = nodes.len() * cw;
        let (cores, halos) = (&own.core_bands[band.index], &own.halo_bands[band.index]);
        let (n_core, n_halo) = (cores.len(), halos.len());
        band.scratch.clear();
        band.scratch.resize(
            frames * per_frame + cw + FRAME_GROUP * w.max(cw) + (n_core + n_halo) * frames,
            0.0,
        );
        let (coarse, rest) = band.scratch.split_at_mut(frames * per_frame);
        let (row, rest) = rest.split_at_mut(cw);
        let (acc, scales) = rest.split_at_mut(FRAME_GROUP * w.max(cw));
        let (core_scales, halo_scales) = scales.split_at_mut(n_core * frames);
        let scale_of = |c: usize, out: &mut [f32]| {
            let b = own.brightness[c];
            for (s, v) in out.iter_mut().zip(values) {
                let d = v
                    .calcium
                    .as_deref()
                    .and_then(|d| d.get(c))
                    .copied()
                    .unwrap_or(0.0);
                // q = 1 without per-cell bleaching; b·1 is exact, so the scale is
                // then b·(1 + d) to the bit.
                let q = v
                    .photon_field
                    .as_deref()
                    .and_then(|q| q.get(c))
                    .copied()
                    .unwrap_or(1.0);
                *s = b * q * (1.0 + d);
            }
        };
        for (&c, out) in cores.iter().zip(core_scales.chunks_exact_mut(frames)) {
            scale_of(c as usize, out);
        }
        for (&c, out) in halos.iter().zip(halo_scales.chunks_exact_mut(frames)) {
            scale_of(c as usize, out);
        }
        let patch = |c: u32, halo: bool| {
            own.cells
                .get(c as usize)
                .and_then(Option::as_ref)
                .and_then(|f| {
                    if halo {
                        f.halo.as_ref()
                    } else {
                        f.core.as_ref()
                    }
                })
        };
        // Cores on the canvas rows, then halos on the grid rows: per group of
        // `FRAME_GROUP` frames, each row accumulates all frames of the group at once
        // over the row's cells in ascending id, starting from 0, and is then added to
        // each frame's plane (zero for the grid). Each plane pixel thus receives
        // 0 + w₁s₁ + w₂s₂ + … in ascending cell id, whatever the band or grouping.
        for (g, group) in band.planes.chunks_mut(FRAME_GROUP).enumerate() {
            let (f0, n) = (g * FRAME_GROUP, group.len());
            let rows = Rows {
                first: r0,
                end: r1,
                width: w,
            };
            accumulate_rows(
                rows,
                cores,
                |c| patch(c, false),
                core_scales,
                (frames, f0, n),
                acc,
                |y, cols, sums| {
                    let at = (y - r0) as usize * w;
                    for (plane, sum) in group.iter_mut().zip(sums.chunks_exact(w)) {
                        for (d, &a) in plane[at..][cols.clone()].iter_mut().zip(&sum[cols.clone()])
                        {
                            *d += a;
                        }
                    }
                },
            );
        }
        for (g, group) in coarse.chunks_mut(FRAME_GROUP * per_frame).enumerate() {
            let (f0, n) = (g * FRAME_GROUP, group.len() / per_frame);
            let rows = Rows {
                first: nodes.start as i64,
                end: nodes.end as i64,
                width: cw,
            };
            accumulate_rows(
                rows,
                halos,
                |c| patch(c, true),
                halo_scales,
                (frames, f0, n),
                acc,
                |y, cols, sums| {
                    let at = (y as usize - nodes.start) * cw;
                    for (plane, sum) in group.chunks_exact_mut(per_frame).zip(sums.chunks_exact(cw))
                    {
                        for (d, &a) in plane[at..][cols.clone()].iter_mut().zip(&sum[cols.clone()])
                        {
                            *d += a;
                        }
                    }
                },
            );
        }
        for (plane, grid_rows) in band.planes.iter_mut().zip(coarse.chunks_exact(per_frame)) {
            grid.upsample_rows_add(grid_rows, nodes.start, plane, band.rows.clone(), w, row);
        }
    }

    /// Footprints over the FOV pixels (× brightness): the total (core + halo, what
    /// the composite adds) and the core alone (the ballistic image, at full resolution
    /// also for cells whose core is rendered on the coarse grid); focus weights.
    fn truth(
        p: &Composite,
        own: &Footprints,
        _: (),
        _: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        let g = ctx.geometry;
        let n = own.cells.len();
        // Each cell's row built in parallel (rasterised and cut to the FOV), then
        // concatenated in cell order.
        let totals = ctx.map(n, |c| {
            let patch = own.cells[c].as_ref().and_then(|fp| rasterize(fp, g.canvas));
            csr_row(patch.as_ref(), own.brightness[c], g)
        });
        truth.footprints = csr_of_rows(totals, g);
        let cores = ctx.map(n, |c| {
            let patch = match &own.grid_cores[c] {
                Some(src) => core_patch(p, src, g.pixel_um, g.canvas),
                None => own.cells[c].as_ref().and_then(|fp| fp.core.clone()),
            };
            csr_row(patch.as_ref(), own.brightness[c], g)
        });
        truth.core_footprints = csr_of_rows(cores, g);
        truth.cells.focus_weight.clone_from(&own.focus_weight);
    }
}

/// One cell's row of a `cells × FOV pixels` CSR matrix: its canvas patch (×
/// `brightness`) cut to the FOV, nonzero weights only, as (FOV pixel, value) in
/// row-major order; empty without a patch.
fn csr_row(patch: Option<&Patch>, brightness: f32, g: crate::Geometry) -> (Vec<i32>, Vec<f32>) {
    let (mut indices, mut data) = (Vec::new(), Vec::new());
    let Some(fp) = patch else {
        return (indices, data);
    };
    for py in 0..fp.dims.height {
        let y = fp.y0 + py as i64 - g.margin as i64;
        if !(0..g.fov.height as i64).contains(&y) {
            continue;
        }
        for px in 0..fp.dims.width {
            let x = fp.x0 + px as i64 - g.margin as i64;
            let w = fp.weights[py * fp.dims.width + px];
            if w != 0.0 && (0..g.fov.width as i64).contains(&x) {
                indices.push((y as usize * g.fov.width + x as usize) as i32);
                data.push(w * brightness);
            }
        }
    }
    (indices, data)
}

/// The CSR matrix of rows from [`csr_row`], in order.
fn csr_of_rows(rows: Vec<(Vec<i32>, Vec<f32>)>, g: crate::Geometry) -> Csr {
    let nnz = rows.iter().map(|(i, _)| i.len()).sum();
    let mut csr = Csr {
        indptr: Vec::with_capacity(rows.len() + 1),
        indices: Vec::with_capacity(nnz),
        data: Vec::with_capacity(nnz),
        shape: (rows.len(), g.fov.len()),
    };
    csr.indptr.push(0);
    for (indices, data) in rows {
        csr.indices.extend_from_slice(&indices);
        csr.data.extend_from_slice(&data);
        csr.indptr.push(csr.indices.len() as i64);
    }
    csr
}

/// The full-resolution core (ballistic image) of a cell whose core the renderer
/// samples on the coarse grid; the same truncation threshold as its footprint.
pub fn core_patch(
    params: &Composite,
    src: &CoreSource,
    pixel_um: f64,
    canvas: Dims,
) -> Option<Patch> {
    footprint_with(
        params,
        &src.optics,
        &src.cell,
        src.shape.as_ref(),
        pixel_um,
        canvas,
        f64::INFINITY,
    )
    .and_then(|fp| fp.core)
}

/// Frames a canvas row accumulates at once (their rows stay in the L1 cache).
const FRAME_GROUP: usize = 16;

/// Rows `[first, end)` of a plane `width` wide.
#[derive(Debug, Clone, Copy)]
struct Rows {
    first: i64,
    end: i64,
    width: usize,
}

/// For each row y: the sums over `cells` (ascending) of scale_c(f)·patch_c(y, x) for
/// the frames `f0 … f0 + n` of the chunk (`frames` long; `scales` holds each cell's
/// run of `frames` scales), frame after frame in `acc`, handed to `emit(y, columns,
/// acc)` with the columns any cell touched; rows no cell touches are skipped.
fn accumulate_rows<'p>(
    rows: Rows,
    cells: &[u32],
    patch: impl Fn(u32) -> Option<&'p Patch>,
    scales: &[f32],
    (frames, f0, n): (usize, usize, usize),
    acc: &mut [f32],
    mut emit: impl FnMut(i64, std::ops::Range<usize>, &[f32]),
) {
    let w = rows.width;
    let acc = &mut acc[..n * w];
    for y in rows.first..rows.end {
        let (mut lo, mut hi) = (w, 0);
        for (i, &c) in cells.iter().enumerate() {
            let Some(p) = patch(c) else { continue };
            if y < p.y0 || y >= p.y0 + p.dims.height as i64 {
                continue;
            }
            let (pw, x0) = (p.dims.width, p.x0 as usize);
            // Zero only the columns the row's sums newly reach.
            let zero = |acc: &mut [f32], cols: std::ops::Range<usize>| {
                for row in acc.chunks_exact_mut(w) {
                    row[cols.clone()].fill(0.0);
                }
            };
            if lo >= hi {
                zero(acc, x0..x0 + pw);
                (lo, hi) = (x0, x0 + pw);
            } else {
                if x0 < lo {
                    zero(acc, x0..lo);
                    lo = x0;
                }
                if x0 + pw > hi {
                    zero(acc, hi..x0 + pw);
                    hi = x0 + pw;
                }
            }
            let src = &p.weights[(y - p.y0) as usize * pw..][..pw];
            add_scaled(acc, w, x0, src, &scales[i * frames + f0..][..n]);
        }
        if lo < hi {
            emit(y, lo..hi, acc);
        }
    }
}

/// acc_f[x] += w[x]·scale[f] for every frame f of the group and pixel x of a patch
/// row; `acc` holds the group's rows frame after frame, `width` apart, `x0` the
/// patch row's first column.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
fn add_scaled(acc: &mut [f32], width: usize, x0: usize, weights: &[f32], scale: &[f32]) {
    for (row, &s) in acc.chunks_exact_mut(width).zip(scale) {
        for (v, &w) in row[x0..x0 + weights.len()].iter_mut().zip(weights) {
            *v += w * s;
        }
    }
}

/// Cores blurred by at least this SD (canvas px) are sampled on the coarse grid with
/// the halos: bilinear upsampling from a grid of step h errs by at most h²/(4σ²) of a
/// Gaussian's peak, here ≤ 2.5 % of the core's own peak (σ ≥ h/(2√0.025)), the bound
/// the halos already meet at the default optics.
pub const CORE_ON_GRID_SIGMA_PX: f64 = HALO_STEP as f64 / (2.0 * 0.158_113_883_008_418_97);

/// Step of the coarse grid on which halos are sampled, px.
pub const HALO_STEP: usize = 4;

/// A sparse patch: weights over a bounding box of a plane (the canvas, or the coarse
/// halo grid).
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// Top row of the patch in the plane.
    pub y0: i64,
    /// Left column of the patch in the plane.
    pub x0: i64,
    /// Patch size.
    pub dims: Dims,
    /// Row-major weights, image intensity per unit fluorescence.
    pub weights: Vec<f32>,
}

/// One cell's footprint: the sharp ballistic core on the canvas and the scattering
/// halo on the coarse grid (see `HaloGrid`).
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    /// Ballistic core, canvas pixels.
    pub core: Option<Patch>,
    /// Scattering halo, coarse-grid nodes.
    pub halo: Option<Patch>,
}

impl Footprint {
    /// Bytes of weights held.
    pub fn bytes(&self) -> usize {
        [&self.core, &self.halo]
            .iter()
            .filter_map(|p| p.as_ref())
            .map(|p| p.weights.len() * std::mem::size_of::<f32>())
            .sum()
    }
}

/// The coarse grid of a canvas: node (i, j) sits at canvas position
/// ((i − 1 + ½)·S, (j − 1 + ½)·S) in pixel units (S = `HALO_STEP`), with one node of
/// border so every pixel centre has four surrounding nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HaloGrid {
    /// Nodes.
    pub dims: Dims,
}

impl HaloGrid {
    /// The grid covering a canvas.
    pub fn of(canvas: Dims) -> Self {
        HaloGrid {
            dims: Dims {
                height: canvas.height.div_ceil(HALO_STEP) + 2,
                width: canvas.width.div_ceil(HALO_STEP) + 2,
            },
        }
    }

    /// Canvas position (px, continuous) of node index `i` along an axis.
    pub fn node_px(i: i64) -> f64 {
        (i as f64 - 1.0 + 0.5) * HALO_STEP as f64
    }

    /// Bilinear taps of pixel index `p`: first node index and weight of the second node.
    pub fn taps(p: usize) -> (usize, f32) {
        let u = (p as f64 + 0.5) / HALO_STEP as f64 - 0.5 + 1.0;
        let i = u.floor();
        (i as usize, (u - i) as f32)
    }

    /// The grid rows whose nodes the canvas rows `rows` interpolate from.
    pub fn node_rows(&self, rows: std::ops::Range<usize>) -> std::ops::Range<usize> {
        if rows.is_empty() {
            return 0..0;
        }
        Self::taps(rows.start).0..Self::taps(rows.end - 1).0 + 2
    }

    /// Add the bilinear upsampling of `coarse` (this grid's nodes) to `canvas`.
    pub fn upsample_add(
        &self,
        coarse: &[f32],
        canvas: &mut [f32],
        canvas_dims: Dims,
        scratch: &mut Vec<f32>,
    ) {
        scratch.clear();
        scratch.resize(self.dims.width, 0.0);
        self.upsample_rows_add(
            coarse,
            0,
            canvas,
            0..canvas_dims.height,
            canvas_dims.width,
            scratch,
        );
    }

    /// Add the bilinear upsampling to the canvas rows `rows` (`canvas` holds just those
    /// rows, `width` wide) from `grid_rows`, this grid's node rows starting at
    /// `first_node_row`; separably: each canvas row first interpolates the two node
    /// rows around it (contiguous), then each pixel the two nodes around it
    /// ([`add_interpolated`]). `row` (the grid's width) holds the interpolated row.
    pub fn upsample_rows_add(
        &self,
        grid_rows: &[f32],
        first_node_row: usize,
        canvas: &mut [f32],
        rows: std::ops::Range<usize>,
        width: usize,
        row: &mut [f32],
    ) {
        let cw = self.dims.width;
        for (y, out) in rows.zip(canvas.chunks_exact_mut(width)) {
            let (i, fy) = Self::taps(y);
            let i = i - first_node_row;
            let r0 = &grid_rows[i * cw..(i + 1) * cw];
            let r1 = &grid_rows[(i + 1) * cw..(i + 2) * cw];
            simd::lerp(row, r0, r1, fy);
            add_interpolated(out, row);
        }
    }
}

const _: () = assert!(
    HALO_STEP.is_multiple_of(2),
    "runs start half a step into the canvas"
);

/// `out[p] += a + f·(b − a)` for every pixel p, with a, b the values of `row` at the
/// two nodes around p and f the weight of the second ([`HaloGrid::taps`]). Node j sits
/// at pixel (j − ½)·S, so the pixels from S·j − S/2 on share nodes j and j + 1, in
/// runs of S with the weights (r + ½)/S, r = 0 … S − 1; the first S/2 pixels end the
/// run of nodes 0 and 1. Runs of a few lanes with two broadcast values vectorise
/// where a gather of two nodes per pixel does not; the values are those of the taps
/// (tested bit for bit).
fn add_interpolated(out: &mut [f32], row: &[f32]) {
    const HALF: usize = HALO_STEP / 2;
    let weights: [f32; HALO_STEP] = std::array::from_fn(|r| HaloGrid::taps(HALF + r).1);
    let run = |out: &mut [f32], j: usize, weights: &[f32]| {
        if out.is_empty() {
            return;
        }
        let (a, b) = (row[j], row[j + 1]);
        let d = b - a;
        for (v, &f) in out.iter_mut().zip(weights) {
            *v += a + f * d;
        }
    };
    let (head, rest) = out.split_at_mut(HALF.min(out.len()));
    run(head, 0, &weights[HALF..]);
    let mut runs = rest.chunks_exact_mut(HALO_STEP);
    let mut j = 1;
    for out in &mut runs {
        run(out, j, &weights);
        j += 1;
    }
    run(runs.into_remainder(), j, &weights);
}

/// Build one cell's footprint on a canvas of `canvas` px with `pixel_um` µm pixels.
/// Cell coordinates are canvas µm; `shape` adds an irregular outline and dendrites
/// (`None` = the plain ellipse). Returns `None` if nothing of it lands on the canvas.
pub fn footprint(
    params: &Composite,
    optics: &Optics,
    cell: &Cell,
    shape: Option<&Shape>,
    pixel_um: f64,
    canvas: Dims,
) -> Option<Footprint> {
    footprint_with(
        params,
        optics,
        cell,
        shape,
        pixel_um,
        canvas,
        CORE_ON_GRID_SIGMA_PX,
    )
}

/// `footprint` with the blur from which cores go on the coarse grid as a parameter.
fn footprint_with(
    params: &Composite,
    optics: &Optics,
    cell: &Cell,
    shape: Option<&Shape>,
    pixel_um: f64,
    canvas: Dims,
    core_on_grid_sigma_px: f64,
) -> Option<Footprint> {
    let shape = shape.filter(|s| !s.is_plain());
    let blur = blur_at(params, optics, cell.z_um);
    let sigma_px = blur.psf_sigma_um / pixel_um;
    let halo_px = blur.halo_sigma_um / pixel_um;
    let (cx, cy) = (cell.x_um / pixel_um, cell.y_um / pixel_um);
    let major = cell.radius_um * cell.aspect.sqrt() / pixel_um;
    let minor = cell.radius_um / cell.aspect.sqrt() / pixel_um;

    // Shape + ballistic blur on a patch padded by 4σ.
    let extent = shape.map_or(major, |s| (major * 1.5).max(s.reach_um() / pixel_um));
    let reach = (extent + 4.0 * sigma_px + 2.0).ceil() as i64;
    let (by0, bx0) = (cy.floor() as i64 - reach, cx.floor() as i64 - reach);
    let side = (2 * reach + 1) as usize;
    let mut ballistic = vec![0f32; side * side];
    let (sin, cos) = cell.angle_rad.sin_cos();
    let sub = 4;
    let nucleus_q = cell.nucleus_fraction * cell.nucleus_fraction;
    // Only pixels within the shape's extent (+1 px for the pixel's own size) can hold
    // any of it; the padding around them only receives the blur.
    let window = extent + 1.0;
    let span = |c: f64, origin: i64| {
        let lo = ((c - window - 0.5).ceil() as i64 - origin).clamp(0, side as i64) as usize;
        let hi = ((c + window - 0.5).floor() as i64 - origin + 1).clamp(0, side as i64) as usize;
        lo..hi.max(lo)
    };
    let (rows, cols) = (span(cy, by0), span(cx, bx0));
    let (lo, hi) = shape.map_or((1.0, 1.0), Shape::radius_factor_bounds);
    let (soma_inner, soma_outer) = (lo * lo * (1.0 - 1e-9), hi * hi * (1.0 + 1e-9));
    for py in 0..side {
        let dy = (by0 + py as i64) as f64 + 0.5 - cy;
        if dy.abs() > window {
            continue;
        }
        for px in 0..side {
            let dx = (bx0 + px as i64) as f64 + 0.5 - cx;
            if dx.abs() > window {
                continue;
            }
            let mut acc = 0.0f64;
            for sy in 0..sub {
                for sx in 0..sub {
                    let x = (bx0 + px as i64) as f64 + (sx as f64 + 0.5) / sub as f64 - cx;
                    let y = (by0 + py as i64) as f64 + (sy as f64 + 0.5) / sub as f64 - cy;
                    let u = (x * cos + y * sin) / major;
                    let v = (-x * sin + y * cos) / minor;
                    let q = u * u + v * v;
                    let Some(shape) = shape else {
                        if q <= 1.0 {
                            acc += if q <= nucleus_q {
                                params.nucleus_brightness
                            } else {
                                1.0
                            };
                        }
                        continue;
                    };
                    // The outline only needs evaluating between its bounds (grown
                    // by a relative 1e-9, far beyond the rounding of f²).
                    let inside = if q <= soma_inner {
                        true
                    } else if q > soma_outer {
                        false
                    } else {
                        let f = shape.radius_factor(v.atan2(u));
                        q <= f * f
                    };
                    if inside {
                        acc += if q <= nucleus_q {
                            params.nucleus_brightness
                        } else {
                            1.0
                        };
                    } else {
                        // Dendrites live in the cell's rotated frame, in µm.
                        let p = [
                            (x * cos + y * sin) * pixel_um,
                            (-x * sin + y * cos) * pixel_um,
                        ];
                        if shape.in_dendrite(p) {
                            acc += 1.0;
                        }
                    }
                }
            }
            ballistic[py * side + px] = (acc / (sub * sub) as f64 * blur.ballistic) as f32;
        }
    }
    let flux: f64 = ballistic.iter().map(|&v| v as f64).sum::<f64>() / blur.ballistic.max(1e-300);
    gauss::blur_compact(
        &mut ballistic,
        side,
        side,
        &gauss::kernel(sigma_px),
        rows,
        cols,
    );
    let peak_ballistic = ballistic.iter().cloned().fold(0f32, f32::max) as f64;

    // Halo: a normalised Gaussian carrying the scattered share of the shape's flux,
    // sampled at the coarse grid's nodes.
    let halo_peak = blur.scattered * flux / (2.0 * std::f64::consts::PI * halo_px * halo_px);
    let threshold = params.psf_truncation * (peak_ballistic + halo_peak);
    let square = Dims {
        height: side,
        width: side,
    };
    // A core blurred by σ ≥ CORE_ON_GRID_SIGMA_PX is as smooth as a halo: it is
    // sampled on the coarse grid with the halo (bilinear samples of the fine patch at
    // the nodes) and upsampled with it, instead of being added pixel by pixel.
    let core_on_grid = sigma_px >= core_on_grid_sigma_px;
    let has_halo = halo_peak > threshold;
    let s = HALO_STEP as f64;
    let node = |c: f64| (c / s + 0.5).floor() as i64; // node index nearest to position c
    let mut range: Option<(i64, i64, i64, i64)> = None;
    let mut cover = |i0: i64, i1: i64, j0: i64, j1: i64| {
        range = Some(range.map_or((i0, i1, j0, j1), |(a, b, c, d)| {
            (a.min(i0), b.max(i1), c.min(j0), d.max(j1))
        }));
    };
    if has_halo {
        let reach = halo_px * (2.0 * (halo_peak / threshold).ln()).sqrt();
        cover(
            node(cy - reach) - 1,
            node(cy + reach) + 1,
            node(cx - reach) - 1,
            node(cx + reach) + 1,
        );
    }
    if core_on_grid {
        let (y1, x1) = ((by0 + side as i64) as f64, (bx0 + side as i64) as f64);
        cover(
            node(by0 as f64) - 1,
            node(y1) + 1,
            node(bx0 as f64) - 1,
            node(x1) + 1,
        );
    }
    let halo = range.and_then(|(i0, i1, j0, j1)| {
        let dims = Dims {
            height: (i1 - i0 + 1) as usize,
            width: (j1 - j0 + 1) as usize,
        };
        let mut weights = vec![0f32; dims.len()];
        for (a, i) in (i0..=i1).enumerate() {
            let dy = HaloGrid::node_px(i) - cy;
            for (b, j) in (j0..=j1).enumerate() {
                let dx = HaloGrid::node_px(j) - cx;
                let mut v = if has_halo {
                    halo_peak * (-(dx * dx + dy * dy) / (2.0 * halo_px * halo_px)).exp()
                } else {
                    0.0
                };
                if core_on_grid {
                    v += sample_bilinear(
                        &ballistic,
                        square,
                        HaloGrid::node_px(i) - by0 as f64 - 0.5,
                        HaloGrid::node_px(j) - bx0 as f64 - 0.5,
                    );
                }
                weights[a * dims.width + b] = v as f32;
            }
        }
        crop(weights, i0, j0, dims, threshold, HaloGrid::of(canvas).dims)
    });
    let core = if core_on_grid {
        None
    } else {
        crop(ballistic, by0, bx0, square, threshold, canvas)
    };
    (core.is_some() || halo.is_some()).then_some(Footprint { core, halo })
}

/// Bilinear sample of a row-major patch at fractional index (y, x); 0 outside.
fn sample_bilinear(patch: &[f32], dims: Dims, y: f64, x: f64) -> f64 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let at = |i: f64, j: f64| -> f64 {
        if i < 0.0 || j < 0.0 || i >= dims.height as f64 || j >= dims.width as f64 {
            0.0
        } else {
            patch[i as usize * dims.width + j as usize] as f64
        }
    };
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1.0) * fx;
    let bottom = at(y0 + 1.0, x0) * (1.0 - fx) + at(y0 + 1.0, x0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Drop weights below `threshold` (and zeros), crop to the remaining support and to the
/// plane of size `canvas`.
fn crop(
    weights: Vec<f32>,
    y0: i64,
    x0: i64,
    dims: Dims,
    threshold: f64,
    canvas: Dims,
) -> Option<Patch> {
    let threshold = (threshold as f32).max(f32::MIN_POSITIVE);
    let (mut top, mut bottom, mut left, mut right) = (i64::MAX, i64::MIN, i64::MAX, i64::MIN);
    for py in 0..dims.height {
        for px in 0..dims.width {
            if weights[py * dims.width + px] >= threshold {
                let (y, x) = (y0 + py as i64, x0 + px as i64);
                if (0..canvas.height as i64).contains(&y) && (0..canvas.width as i64).contains(&x) {
                    top = top.min(y);
                    bottom = bottom.max(y);
                    left = left.min(x);
                    right = right.max(x);
                }
            }
        }
    }
    if top > bottom {
        return None;
    }
    let out = Dims {
        height: (bottom - top + 1) as usize,
        width: (right - left + 1) as usize,
    };
    let mut kept = vec![0f32; out.len()];
    for y in top..=bottom {
        for x in left..=right {
            let v = weights[((y - y0) as usize) * dims.width + (x - x0) as usize];
            if v >= threshold {
                kept[((y - top) as usize) * out.width + (x - left) as usize] = v;
            }
        }
    }
    Some(Patch {
        y0: top,
        x0: left,
        dims: out,
        weights: kept,
    })
}

/// The footprint as one canvas patch: core plus the bilinear upsampling of its halo,
/// exactly what the frame pipeline adds for this cell (up to float summation order).
pub fn rasterize(fp: &Footprint, canvas: Dims) -> Option<Patch> {
    let s = HALO_STEP as i64;
    let mut bounds: Option<(i64, i64, i64, i64)> = None;
    let mut grow = |y0: i64, y1: i64, x0: i64, x1: i64| {
        let (y0, y1) = (y0.max(0), y1.min(canvas.height as i64 - 1));
        let (x0, x1) = (x0.max(0), x1.min(canvas.width as i64 - 1));
        if y0 <= y1 && x0 <= x1 {
            bounds = Some(match bounds {
                None => (y0, y1, x0, x1),
                Some((a, b, c, d)) => (a.min(y0), b.max(y1), c.min(x0), d.max(x1)),
            });
        }
    };
    if let Some(c) = &fp.core {
        grow(
            c.y0,
            c.y0 + c.dims.height as i64 - 1,
            c.x0,
            c.x0 + c.dims.width as i64 - 1,
        );
    }
    if let Some(h) = &fp.halo {
        // Pixels whose two taps along an axis touch nodes [n0, n1].
        let span = |n0: i64, n1: i64| ((n0 - 2) * s, n1 * s + s);
        let (y0, y1) = span(h.y0, h.y0 + h.dims.height as i64 - 1);
        let (x0, x1) = span(h.x0, h.x0 + h.dims.width as i64 - 1);
        grow(y0, y1, x0, x1);
    }
    let (top, bottom, left, right) = bounds?;
    let dims = Dims {
        height: (bottom - top + 1) as usize,
        width: (right - left + 1) as usize,
    };
    let mut weights = vec![0f32; dims.len()];
    if let Some(c) = &fp.core {
        for py in 0..c.dims.height {
            for px in 0..c.dims.width {
                let (y, x) = (
                    (c.y0 + py as i64 - top) as usize,
                    (c.x0 + px as i64 - left) as usize,
                );
                weights[y * dims.width + x] += c.weights[py * c.dims.width + px];
            }
        }
    }
    if let Some(h) = &fp.halo {
        let node = |i: i64, j: i64| -> f32 {
            let (a, b) = (i - h.y0, j - h.x0);
            if (0..h.dims.height as i64).contains(&a) && (0..h.dims.width as i64).contains(&b) {
                h.weights[a as usize * h.dims.width + b as usize]
            } else {
                0.0
            }
        };
        let cols: Vec<(usize, f32)> = (0..dims.width)
            .map(|x| HaloGrid::taps((left + x as i64) as usize))
            .collect();
        for y in 0..dims.height {
            let (i, fy) = HaloGrid::taps((top + y as i64) as usize);
            for (x, &(j, fx)) in cols.iter().enumerate() {
                let (i, j) = (i as i64, j as i64);
                let t = node(i, j) + fx * (node(i, j + 1) - node(i, j));
                let b = node(i + 1, j) + fx * (node(i + 1, j + 1) - node(i + 1, j));
                weights[y * dims.width + x] += t + fy * (b - t);
            }
        }
    }
    Some(Patch {
        y0: top,
        x0: left,
        dims,
        weights,
    })
}

/// Add `scale` × patch to a plane of size `canvas_dims` (the patch lies inside it).
pub fn add(fp: &Patch, scale: f32, canvas: &mut [f32], canvas_dims: Dims) {
    for py in 0..fp.dims.height {
        let row = (fp.y0 as usize + py) * canvas_dims.width + fp.x0 as usize;
        let dst = &mut canvas[row..row + fp.dims.width];
        let src = &fp.weights[py * fp.dims.width..(py + 1) * fp.dims.width];
        for (d, &s) in dst.iter_mut().zip(src) {
            *d += scale * s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs of `add_interpolated` give every pixel the per-pixel taps' value bit
    /// for bit (a + f·(b − a) added to what it held), for widths that end a run at
    /// every offset, including widths shorter than the first half-run.
    #[test]
    fn interpolated_runs_are_the_per_pixel_taps_bit_for_bit() {
        use rand::{RngExt, SeedableRng};
        let mut rng = crate::Stream::seed_from_u64(3);
        for width in 1..=41 {
            let grid = HaloGrid::of(Dims { height: 4, width });
            let row: Vec<f32> = (0..grid.dims.width)
                .map(|_| rng.random::<f32>() * 100.0 - 20.0)
                .collect();
            let start: Vec<f32> = (0..width).map(|_| rng.random::<f32>()).collect();
            let mut runs = start.clone();
            add_interpolated(&mut runs, &row);
            for (p, (&got, &s)) in runs.iter().zip(&start).enumerate() {
                let (j, f) = HaloGrid::taps(p);
                let (a, b) = (row[j], row[j + 1]);
                let want = s + (a + f * (b - a));
                assert_eq!(got.to_bits(), want.to_bits(), "width {width}, pixel {p}");
            }
        }
    }

    fn cell_at(z_um: f64) -> Cell {
        Cell {
            x_um: 100.0,
            y_um: 100.0,
            z_um,
            radius_um: 6.0,
            aspect: 1.0,
            angle_rad: 0.0,
            expression: 1.0,
            nucleus_fraction: 0.5,
        }
    }

    /// Peak value and half-maximum radius (px) of the rasterised footprint.
    fn peak_and_width(fp: &Footprint, canvas: Dims) -> (f32, f64) {
        let p = rasterize(fp, canvas).unwrap();
        let peak = p.weights.iter().cloned().fold(0f32, f32::max);
        let above = p.weights.iter().filter(|&&v| v >= peak / 2.0).count();
        (peak, (above as f64 / std::f64::consts::PI).sqrt())
    }

    /// A deep cell's core on the coarse grid: the rasterised footprint differs from
    /// the one with the core kept pixel by pixel by at most h²/(4σ²) = 2.5 % of the
    /// core's peak (plus the truncation threshold, where the two crop differently),
    /// for blurs at and well above the switch; shallow cells keep their cores.
    #[test]
    fn cores_on_the_grid_stay_within_the_interpolation_bound() {
        let params = Composite::default();
        let optics = Optics::default();
        let canvas = Dims {
            height: 400,
            width: 400,
        };
        let sigma_at = |z: f64| crate::optics::psf_sigma_um(&optics, z);
        // Depths whose blur is just above the switch and three times it.
        let z_switch = (0..2000)
            .map(|i| i as f64 * 0.25)
            .find(|&z| sigma_at(z) >= CORE_ON_GRID_SIGMA_PX)
            .expect("some depth blurs enough");
        for z in [z_switch, 3.0 * z_switch] {
            let mut cell = cell_at(z);
            cell.x_um = 200.0;
            cell.y_um = 200.0;
            let grid = footprint(&params, &optics, &cell, None, 1.0, canvas).unwrap();
            assert!(grid.core.is_none(), "z {z}: core kept on the canvas");
            let fine =
                footprint_with(&params, &optics, &cell, None, 1.0, canvas, f64::INFINITY).unwrap();
            let core_peak = fine
                .core
                .as_ref()
                .unwrap()
                .weights
                .iter()
                .cloned()
                .fold(0f32, f32::max);
            let (a, b) = (
                rasterize(&grid, canvas).unwrap(),
                rasterize(&fine, canvas).unwrap(),
            );
            let total_peak = b.weights.iter().cloned().fold(0f32, f32::max);
            let value = |p: &Patch, y: i64, x: i64| {
                let (i, j) = (y - p.y0, x - p.x0);
                if i < 0 || j < 0 || i >= p.dims.height as i64 || j >= p.dims.width as i64 {
                    0.0
                } else {
                    p.weights[i as usize * p.dims.width + j as usize]
                }
            };
            let bound = 0.025 * core_peak + params.psf_truncation as f32 * total_peak * 2.0;
            let mut worst = 0f32;
            for y in 0..canvas.height as i64 {
                for x in 0..canvas.width as i64 {
                    worst = worst.max((value(&a, y, x) - value(&b, y, x)).abs());
                }
            }
            assert!(
                worst <= bound,
                "z {z}: error {worst} > bound {bound} (core peak {core_peak})"
            );
        }
        let shallow = footprint(&params, &optics, &cell_at(5.0), None, 1.0, canvas).unwrap();
        assert!(shallow.core.is_some());
    }

    #[test]
    fn in_focus_footprint_is_narrower_and_brighter_than_50_um_out_of_focus() {
        let params = Composite::default();
        let optics = Optics::default();
        let canvas = Dims {
            height: 200,
            width: 200,
        };
        let focus = footprint(&params, &optics, &cell_at(0.0), None, 1.0, canvas).unwrap();
        let (p0, w0) = peak_and_width(&focus, canvas);
        for z in [-50.0, 50.0] {
            let off = footprint(&params, &optics, &cell_at(z), None, 1.0, canvas).unwrap();
            let (p, w) = peak_and_width(&off, canvas);
            assert!(p < p0, "z = {z}: peak {p} ≥ in-focus {p0}");
            assert!(w > w0, "z = {z}: width {w} ≤ in-focus {w0}");
        }
        // In focus, the peak is near the resting brightness (1 at the cytoplasm, less
        // the PSF's spill-over), and the core sits at the cell's centre.
        assert!(p0 > 0.5 && p0 < 1.5, "{p0}");
    }

    #[test]
    fn truncation_keeps_weights_above_the_threshold_only() {
        let params = Composite::default();
        let canvas = Dims {
            height: 300,
            width: 300,
        };
        let fp = footprint(
            &params,
            &Optics::default(),
            &cell_at(10.0),
            None,
            1.66,
            canvas,
        )
        .unwrap();
        let (core, halo) = (fp.core.as_ref().unwrap(), fp.halo.as_ref().unwrap());
        let max = |w: &[f32]| w.iter().cloned().fold(0f32, f32::max);
        let threshold = (params.psf_truncation * (max(&core.weights) + max(&halo.weights)) as f64)
            as f32
            * 0.999;
        assert!(
            core.weights
                .iter()
                .chain(&halo.weights)
                .all(|&v| v == 0.0 || v >= threshold)
        );
        // Patches are bounded: the core small, the halo on the 4× coarser grid.
        assert!(core.dims.len() < 30 * 30, "{:?}", core.dims);
        assert!(halo.dims.len() < 30 * 30, "{:?}", halo.dims);
        // The halo carries the scattered share of the flux: its upsampled integral
        // matches the analytic one within the truncation loss.
        let blur = blur_at(&params, &Optics::default(), 10.0);
        let dense = rasterize(&fp, canvas).unwrap();
        let total: f64 = dense.weights.iter().map(|&v| v as f64).sum();
        let core_total: f64 = core.weights.iter().map(|&v| v as f64).sum();
        let expected_halo = blur.scattered * core_total / blur.ballistic;
        let ratio = (total - core_total) / expected_halo;
        assert!((ratio - 1.0).abs() < 0.03, "halo flux ratio {ratio}");
    }

    #[test]
    fn upsampling_reproduces_a_smooth_field() {
        // The coarse grid + bilinear upsampling of a Gaussian of σ = 13 px is within the
        // documented bound h²/(4σ²) of its peak.
        let canvas = Dims {
            height: 64,
            width: 64,
        };
        let grid = HaloGrid::of(canvas);
        let sigma = 13.0;
        let g = |x: f64, y: f64| {
            (-((x - 31.0).powi(2) + (y - 29.0).powi(2)) / (2.0 * sigma * sigma)).exp()
        };
        let mut coarse = vec![0f32; grid.dims.len()];
        for i in 0..grid.dims.height {
            for j in 0..grid.dims.width {
                coarse[i * grid.dims.width + j] =
                    g(HaloGrid::node_px(j as i64), HaloGrid::node_px(i as i64)) as f32;
            }
        }
        let mut plane = vec![0f32; canvas.len()];
        grid.upsample_add(&coarse, &mut plane, canvas, &mut Vec::new());
        let bound = (HALO_STEP * HALO_STEP) as f64 / (4.0 * sigma * sigma);
        for y in 0..64 {
            for x in 0..64 {
                let err = (plane[y * 64 + x] as f64 - g(x as f64 + 0.5, y as f64 + 0.5)).abs();
                assert!(err <= bound + 1e-6, "({y}, {x}): {err} > {bound}");
            }
        }
    }

    #[test]
    fn cells_off_canvas_are_cropped() {
        let params = Composite::default();
        let canvas = Dims {
            height: 200,
            width: 200,
        };
        let mut cell = cell_at(0.0);
        cell.x_um = 2.0;
        let fp = footprint(&params, &Optics::default(), &cell, None, 1.0, canvas).unwrap();
        assert_eq!(fp.core.as_ref().unwrap().x0, 0);
        assert_eq!(fp.halo.as_ref().unwrap().x0, 0);
        cell.x_um = -500.0;
        assert!(footprint(&params, &Optics::default(), &cell, None, 1.0, canvas).is_none());
    }
    fn value(p: &Patch, y: i64, x: i64) -> f32 {
        let (i, j) = (y - p.y0, x - p.x0);
        if i < 0 || j < 0 || i >= p.dims.height as i64 || j >= p.dims.width as i64 {
            0.0
        } else {
            p.weights[i as usize * p.dims.width + j as usize]
        }
    }

    /// The truth's split: the core the truth reports (the rendered core, or the
    /// full-resolution rebuild for deep cells) plus the halo rendered alone is the total
    /// footprint the composite adds, exactly for shallow cells and within the
    /// coarse-grid bound of `cores_on_the_grid_stay_within_the_interpolation_bound`
    /// for deep ones.
    #[test]
    fn core_plus_halo_is_the_total() {
        let params = Composite::default();
        let optics = Optics::default();
        let canvas = Dims {
            height: 400,
            width: 400,
        };
        for z in [0.0, 15.0, -40.0, 120.0, 250.0] {
            let mut cell = cell_at(z);
            cell.x_um = 200.0;
            cell.y_um = 200.0;
            let rendered = footprint(&params, &optics, &cell, None, 1.0, canvas).unwrap();
            let on_grid = rendered.core.is_none();
            let core = if on_grid {
                let src = CoreSource {
                    cell,
                    shape: None,
                    optics: optics.clone(),
                };
                core_patch(&params, &src, 1.0, canvas)
            } else {
                rendered.core.clone()
            }
            .expect("a core");
            let halo_alone = Footprint {
                core: None,
                halo: footprint_with(&params, &optics, &cell, None, 1.0, canvas, f64::INFINITY)
                    .unwrap()
                    .halo,
            };
            let total = rasterize(&rendered, canvas).unwrap();
            let halo = rasterize(&halo_alone, canvas).unwrap();
            let core_peak = core.weights.iter().cloned().fold(0f32, f32::max);
            let total_peak = total.weights.iter().cloned().fold(0f32, f32::max);
            let bound = if on_grid {
                0.025 * core_peak + params.psf_truncation as f32 * total_peak * 2.0
            } else {
                1e-6 * total_peak
            };
            let mut worst = 0f32;
            for y in 0..canvas.height as i64 {
                for x in 0..canvas.width as i64 {
                    let split = value(&core, y, x) + value(&halo, y, x);
                    worst = worst.max((value(&total, y, x) - split).abs());
                }
            }
            assert!(
                worst <= bound,
                "z {z} (on grid: {on_grid}): {worst} > {bound}"
            );
            // The halo is what makes the total wider than the core.
            let area =
                |p: &Patch, peak: f32| p.weights.iter().filter(|&&v| v >= 0.1 * peak).count();
            assert!(area(&total, total_peak) >= area(&core, core_peak) || on_grid);
        }
    }

    /// At high NA in focus the PSF (σ ≈ 0.2 µm) is far below the soma radius, so the
    /// core is the soma: its half-maximum region and the soma ellipse (nucleus
    /// included; it is dimmer, not dark) overlap at IoU ≥ 0.9, while the total
    /// footprint's 10 %-of-peak region is much wider (the halo).
    #[test]
    fn in_focus_core_at_high_na_is_the_soma() {
        let params = Composite {
            nucleus_brightness: 1.0,
            ..Composite::default()
        };
        let optics = Optics {
            na: 0.8,
            aberration_um: 0.0,
            ..Optics::default()
        };
        let canvas = Dims {
            height: 200,
            width: 200,
        };
        let mut cell = cell_at(0.0);
        cell.radius_um = 6.0;
        cell.aspect = 1.3;
        cell.angle_rad = 0.4;
        let fp = footprint(&params, &optics, &cell, None, 0.5, canvas).unwrap();
        let core = fp.core.as_ref().expect("shallow cores stay on the canvas");
        let peak = core.weights.iter().cloned().fold(0f32, f32::max);
        let (cx, cy) = (cell.x_um / 0.5, cell.y_um / 0.5);
        let (major, minor) = (
            cell.radius_um * cell.aspect.sqrt() / 0.5,
            cell.radius_um / cell.aspect.sqrt() / 0.5,
        );
        let (sin, cos) = cell.angle_rad.sin_cos();
        let (mut both, mut either) = (0usize, 0usize);
        for y in 0..canvas.height as i64 {
            for x in 0..canvas.width as i64 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                let (u, v) = (
                    (dx * cos + dy * sin) / major,
                    (-dx * sin + dy * cos) / minor,
                );
                let soma = u * u + v * v <= 1.0;
                let half = value(core, y, x) >= 0.5 * peak;
                both += (soma && half) as usize;
                either += (soma || half) as usize;
            }
        }
        let iou = both as f64 / either as f64;
        assert!(iou >= 0.9, "core vs soma IoU {iou}");
        let total = rasterize(&fp, canvas).unwrap();
        let tpeak = total.weights.iter().cloned().fold(0f32, f32::max);
        let wide = total.weights.iter().filter(|&&v| v >= 0.01 * tpeak).count();
        assert!(
            wide as f64 > 2.0 * either as f64,
            "total support {wide} vs soma {either}"
        );
    }
}

#[cfg(test)]
mod shape_tests {
    use super::*;
    use crate::Stream;
    use minisim_spec::{Morphology, PlaceNeurons};
    use rand::SeedableRng;

    /// At equal soma radius a cytosolic cell covers more pixels than a soma-only one,
    /// and an irregular outline keeps the soma's area within a few percent.
    #[test]
    fn cytosolic_footprints_have_more_area_than_soma_ones() {
        let canvas = Dims {
            height: 200,
            width: 200,
        };
        let params = Composite::default();
        let optics = Optics::default();
        let cell = Cell {
            x_um: 100.0,
            y_um: 100.0,
            z_um: 0.0,
            radius_um: 6.0,
            aspect: 1.0,
            angle_rad: 0.3,
            expression: 1.0,
            nucleus_fraction: 0.5,
        };
        let area = |shape: Option<&Shape>| {
            let fp = footprint(&params, &optics, &cell, shape, 1.0, canvas).unwrap();
            let core = rasterize(
                &Footprint {
                    core: fp.core,
                    halo: None,
                },
                canvas,
            )
            .unwrap();
            let peak = core.weights.iter().cloned().fold(0f32, f32::max);
            core.weights.iter().filter(|&&w| w > 0.2 * peak).count()
        };
        let soma = area(None);
        let mut larger = 0;
        for seed in 0..10 {
            let p = PlaceNeurons {
                morphology: Morphology::Cytosolic,
                dendrite_count_mean: 4.0,
                ..Default::default()
            };
            let shape = crate::shape::draw(&p, 6.0, &mut Stream::seed_from_u64(seed));
            if shape.dendrites.is_empty() {
                continue;
            }
            let a = area(Some(&shape));
            assert!(a > soma, "seed {seed}: {a} vs {soma}");
            larger += 1;
        }
        assert!(larger >= 8);
        let lumpy = crate::shape::draw(
            &PlaceNeurons {
                irregularity: 1.0,
                ..Default::default()
            },
            6.0,
            &mut Stream::seed_from_u64(1),
        );
        let a = area(Some(&lumpy)) as f64;
        assert!((a / soma as f64 - 1.0).abs() < 0.25, "{a} vs {soma}");
    }
}
