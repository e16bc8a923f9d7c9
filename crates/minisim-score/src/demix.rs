//! The oracle's traces: the movie demixed with perfect spatial knowledge.
//!
//! Model, per registered frame y(t) over the FOV's P pixels (mean over time removed):
//!
//!   y(t) − ȳ = A·c(t) + B·f(t) + noise,
//!
//! where A (P × n) holds every cell's true *total* footprint as the sensor sees it
//! (footprint × vignette × dust × resting vessel transmission: the light the cell puts
//! on each pixel per unit of activity), c(t) the cells' activity and B·f(t) a low-rank
//! background (rank `BackgroundRank`). Frames are first registered with the true motion
//! (bilinear resampling at the displaced position). Alternating least squares:
//!
//! 1. c(t) = (AᵀA + εI)⁻¹ Aᵀ (y(t) − ȳ − B f(t)) for every frame (ridge ε = 10⁻⁶ of
//!    the mean diagonal, for cells whose footprints are nearly collinear);
//! 2. the residual r(t) = y(t) − ȳ − A c(t), averaged over 4 × 4 pixel blocks (the 1P
//!    background is smooth), gives f: its top temporal singular vectors by subspace
//!    iteration; B = residual · fᵀ at full resolution.
//!
//! Three rounds. The trace of a cell is c(t) divided by the recording's photon gain
//! and haemodynamic transmission (bleaching, flicker and blood absorption, known to
//! the oracle), so it is proportional to
//! 1 + ΔF/F(t) up to noise. This is what an extractor that knew every footprint and
//! the motion exactly could do with a linear readout; the readout does not denoise in
//! time (see `smooth`).

use minisim_render::{Movie, Recording};
use nalgebra::{DMatrix, DVector};
use ndarray::Array2;
use rayon::prelude::*;

use crate::footprints::Footprints;

/// Rounds of alternating least squares.
const ROUNDS: usize = 3;
/// Side of the pixel blocks the background's temporal components are estimated on.
const BLOCK: usize = 4;
/// Subspace iterations for the background's temporal components.
const SUBSPACE_ITERATIONS: usize = 12;

/// Every frame of the movie, registered with the true motion, minus its temporal mean:
/// `(frames, pixels)` row-major, f32.
fn registered(rec: &Recording) -> (Vec<f32>, usize, usize, usize) {
    let (h, w) = rec.truth.vignette.dim();
    let frames = rec.observed.frames();
    let px = h * w;
    let motion = &rec.truth.motion_px;
    let mut y = vec![0f32; frames * px];
    y.par_chunks_mut(px).enumerate().for_each(|(t, out)| {
        let mut raw = vec![0f32; px];
        match &rec.observed {
            Movie::Counts(a) => raw
                .iter_mut()
                .zip(a.index_axis(ndarray::Axis(0), t).iter())
                .for_each(|(o, &v)| *o = v as f32),
            Movie::Intensity(a) => raw
                .iter_mut()
                .zip(a.index_axis(ndarray::Axis(0), t).iter())
                .for_each(|(o, &v)| *o = v),
        }
        let (dy, dx) = if t < motion.nrows() {
            (motion[[t, 0]], motion[[t, 1]])
        } else {
            (0.0, 0.0)
        };
        if dy == 0.0 && dx == 0.0 {
            out.copy_from_slice(&raw);
            return;
        }
        // rest(y, x) = observed(y + dy, x + dx), bilinear, edges clamped.
        let at = |yy: f64, xx: f64| -> f32 {
            let yy = yy.clamp(0.0, (h - 1) as f64);
            let xx = xx.clamp(0.0, (w - 1) as f64);
            let (y0, x0) = (yy.floor() as usize, xx.floor() as usize);
            let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
            let (fy, fx) = ((yy - y0 as f64) as f32, (xx - x0 as f64) as f32);
            let top = raw[y0 * w + x0] * (1.0 - fx) + raw[y0 * w + x1] * fx;
            let bottom = raw[y1 * w + x0] * (1.0 - fx) + raw[y1 * w + x1] * fx;
            top * (1.0 - fy) + bottom * fy
        };
        for yy in 0..h {
            for xx in 0..w {
                out[yy * w + xx] = at(yy as f64 + dy, xx as f64 + dx);
            }
        }
    });
    let mut mean = vec![0f64; px];
    for row in y.chunks_exact(px) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    let mean: Vec<f32> = mean
        .iter()
        .map(|&m| (m / frames.max(1) as f64) as f32)
        .collect();
    y.par_chunks_mut(px).for_each(|row| {
        for (v, &m) in row.iter_mut().zip(&mean) {
            *v -= m;
        }
    });
    (y, frames, h, w)
}

/// Least-squares traces `(cells, frames)` of every footprint in `a` (the spatial maps
/// as the sensor sees them), with a background of rank `rank`; see the module docs.
pub fn demix(rec: &Recording, a: &Footprints, rank: usize) -> Array2<f64> {
    let (mut y, frames, h, w) = registered(rec);
    let px = h * w;
    let n = a.len();
    let rank = rank.min(frames);
    if n == 0 || frames == 0 {
        return Array2::zeros((n, frames));
    }
    // Cells per pixel (the transpose of A), for the Gram matrix.
    let mut by_pixel: Vec<Vec<(u32, f32)>> = vec![Vec::new(); px];
    for (c, (idx, wts)) in a.indices.iter().zip(&a.weights).enumerate() {
        for (&p, &v) in idx.iter().zip(wts) {
            by_pixel[p as usize].push((c as u32, v));
        }
    }
    let mut gram = DMatrix::<f64>::zeros(n, n);
    for cells in &by_pixel {
        for &(i, vi) in cells {
            for &(j, vj) in cells {
                gram[(i as usize, j as usize)] += vi as f64 * vj as f64;
            }
        }
    }
    let ridge = 1e-6 * (0..n).map(|i| gram[(i, i)]).sum::<f64>() / n as f64;
    for i in 0..n {
        gram[(i, i)] += ridge.max(f64::MIN_POSITIVE);
    }
    let Some(chol) = gram.cholesky() else {
        return Array2::zeros((n, frames));
    };
    let (bh, bw) = (h.div_ceil(BLOCK), w.div_ceil(BLOCK));
    let mut background: Option<(Vec<f32>, Vec<f64>)> = None; // (B: rank × px, F: frames × rank)
    let mut c = vec![0f64; n * frames]; // frames × n
    for round in 0..ROUNDS {
        // 1. Traces given the background.
        c.par_chunks_mut(n)
            .zip(y.par_chunks(px))
            .enumerate()
            .for_each(|(t, (ct, yt))| {
                let mut rhs = DVector::<f64>::zeros(n);
                let mut clean;
                let frame: &[f32] = match background.as_ref() {
                    Some((b, f)) => {
                        clean = yt.to_vec();
                        for k in 0..rank {
                            let fk = f[t * rank + k] as f32;
                            for (v, &bk) in clean.iter_mut().zip(&b[k * px..(k + 1) * px]) {
                                *v -= bk * fk;
                            }
                        }
                        &clean
                    }
                    None => yt,
                };
                for (cell, (idx, wts)) in a.indices.iter().zip(&a.weights).enumerate() {
                    rhs[cell] = idx
                        .iter()
                        .zip(wts)
                        .map(|(&p, &v)| v as f64 * frame[p as usize] as f64)
                        .sum();
                }
                let sol = chol.solve(&rhs);
                ct.copy_from_slice(sol.as_slice());
            });
        if round + 1 == ROUNDS || rank == 0 {
            break;
        }
        // 2. Residuals (block-averaged), then the background's temporal components.
        let residual_row = |t: usize, out: &mut [f32]| {
            out.copy_from_slice(&y[t * px..(t + 1) * px]);
            for (cell, (idx, wts)) in a.indices.iter().zip(&a.weights).enumerate() {
                let ct = c[t * n + cell] as f32;
                for (&p, &v) in idx.iter().zip(wts) {
                    out[p as usize] -= v * ct;
                }
            }
        };
        let mut blocks = vec![0f64; frames * bh * bw];
        blocks
            .par_chunks_mut(bh * bw)
            .enumerate()
            .for_each(|(t, out)| {
                let mut r = vec![0f32; px];
                residual_row(t, &mut r);
                for yy in 0..h {
                    for xx in 0..w {
                        out[(yy / BLOCK) * bw + xx / BLOCK] += r[yy * w + xx] as f64;
                    }
                }
            });
        let f = temporal_components(&blocks, frames, bh * bw, rank);
        // B = Σ_t r(t) f(t)ᵀ at full resolution (f has orthonormal columns).
        let b = (0..frames)
            .into_par_iter()
            .fold(
                || vec![0f64; rank * px],
                |mut acc, t| {
                    let mut r = vec![0f32; px];
                    residual_row(t, &mut r);
                    for k in 0..rank {
                        let fk = f[t * rank + k];
                        for (o, &v) in acc[k * px..(k + 1) * px].iter_mut().zip(&r) {
                            *o += v as f64 * fk;
                        }
                    }
                    acc
                },
            )
            .reduce(
                || vec![0f64; rank * px],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        background = Some((b.iter().map(|&v| v as f32).collect(), f));
    }
    // Free the movie copy before building the result.
    y.clear();
    y.shrink_to_fit();
    let (gain, hemo) = (&rec.truth.photon_gain, &rec.truth.hemodynamic);
    Array2::from_shape_fn((n, frames), |(cell, t)| {
        let g = gain.get(t).copied().filter(|&g| g > 0.0).unwrap_or(1.0)
            * hemo.get(t).copied().filter(|&h| h > 0.0).unwrap_or(1.0);
        c[t * n + cell] / g
    })
}

/// The top `rank` right singular vectors of the `(frames, cols)` matrix `m` as a
/// `frames × rank` row-major matrix with orthonormal columns: deterministic subspace
/// iteration from cosine starting vectors.
fn temporal_components(m: &[f64], frames: usize, cols: usize, rank: usize) -> Vec<f64> {
    let rank = rank.min(frames).max(1);
    let mut q = DMatrix::<f64>::from_fn(frames, rank, |t, k| {
        (std::f64::consts::PI * (k as f64 + 0.5) * (t as f64 + 0.5) / frames as f64).cos()
    });
    let mat = DMatrix::<f64>::from_row_slice(frames, cols, m);
    for _ in 0..SUBSPACE_ITERATIONS {
        let z = &mat * (mat.transpose() * &q);
        q = z.qr().q();
    }
    let mut out = vec![0f64; frames * rank];
    for t in 0..frames {
        for k in 0..rank {
            out[t * rank + k] = q[(t, k)];
        }
    }
    out
}
