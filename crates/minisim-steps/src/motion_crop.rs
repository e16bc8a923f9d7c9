//! Rigid brain motion and the crop to the field of view (`motion_crop` step).
//!
//! Model: per axis, a unit OU process (time constant τ) scaled by σ, plus jumps: in
//! each frame a Poisson(r·Δt) number of jumps, each adding `jump_um` in a uniformly
//! random direction to the state (it then relaxes back with τ). The displacement is
//! clamped to ±max_shift per axis. The motion path is the tissue displacement in FOV
//! pixels, (dy, dx), positive = down/right; a motion-correction algorithm should
//! report −path. Frame f shows canvas(y + m − dy, x + m − dx), m the canvas margin,
//! resampled with bilinear or Lanczos-3 weights (separable, fixed per frame).
//! Sources: docs/physics.md#steps.motion_crop.

use minisim_spec::MotionCrop;
use rand::RngExt;
use rand_distr::{Distribution, Poisson, StandardNormal};

use crate::math::{interp, ou};
use crate::{Dims, Stream};

/// The motion path: displacement per frame, `[dy, dx]` in pixels.
pub fn path(
    params: &MotionCrop,
    frames: u64,
    dt_s: f64,
    pixel_um: f64,
    rng: &mut Stream,
) -> Vec<[f64; 2]> {
    let rho = ou::rho(dt_s, params.ou_tau_s);
    let jumps = Poisson::new(params.jump_rate_hz * dt_s).ok();
    let mut state: [f64; 2] = [StandardNormal.sample(rng), StandardNormal.sample(rng)];
    let mut jump = [0.0f64; 2];
    let mut out = Vec::with_capacity(frames as usize);
    for _ in 0..frames {
        let pos = [0, 1].map(|i| {
            (params.ou_sigma_um * state[i] + jump[i])
                .clamp(-params.max_shift_um, params.max_shift_um)
                / pixel_um
        });
        out.push(pos);
        for s in &mut state {
            *s = ou::step(*s, rho, StandardNormal.sample(rng));
        }
        // Jumps relax like the drift.
        jump = jump.map(|j| j * rho);
        let n: f64 = jumps.as_ref().map(|p| p.sample(rng)).unwrap_or(0.0);
        for _ in 0..n as u64 {
            let angle = rng.random_range(0.0..std::f64::consts::TAU);
            jump[0] += params.jump_um * angle.sin();
            jump[1] += params.jump_um * angle.cos();
        }
    }
    out
}

/// Canvas margin needed for `max_shift_um`: the largest shift plus the kernel support.
pub fn margin_px(params: &MotionCrop, pixel_um: f64) -> usize {
    (params.max_shift_um / pixel_um).ceil() as usize
        + params.interpolation.support_px() as usize
        + 1
}

/// A canvas plane: the FOV plus `margin` px on every side.
#[derive(Debug, Clone, Copy)]
pub struct Canvas<'a> {
    /// Row-major samples.
    pub data: &'a [f32],
    /// Its size.
    pub dims: Dims,
    /// Margin around the FOV, px.
    pub margin: usize,
}

/// Resample the canvas at `shift` (`[dy, dx]` px) and write the FOV into `out`.
/// `scratch` holds the horizontal pass and is resized as needed.
pub fn shift_crop(
    params: &MotionCrop,
    canvas: Canvas<'_>,
    shift: [f64; 2],
    out: &mut [f32],
    fov: Dims,
    scratch: &mut Vec<f32>,
) {
    let Canvas {
        data: canvas,
        dims: canvas_dims,
        margin,
    } = canvas;
    let kind = params.interpolation;
    let (ny, wy) = interp::taps(kind, -shift[0]);
    let (nx, wx) = interp::taps(kind, -shift[1]);
    let first = interp::first_tap(kind);
    let rows = fov.height + wy.len() - 1;
    let row0 = margin as i64 + ny + first;
    let col0 = (margin as i64 + nx + first) as usize;
    debug_assert!(row0 >= 0 && row0 as usize + rows <= canvas_dims.height);
    scratch.clear();
    scratch.resize(rows * fov.width, 0.0);
    for r in 0..rows {
        let src = &canvas[(row0 as usize + r) * canvas_dims.width..][..canvas_dims.width];
        let dst = &mut scratch[r * fov.width..(r + 1) * fov.width];
        for (x, d) in dst.iter_mut().enumerate() {
            let taps = &src[col0 + x..col0 + x + wx.len()];
            *d = taps.iter().zip(&wx).map(|(a, b)| a * b).sum();
        }
    }
    for y in 0..fov.height {
        let dst = &mut out[y * fov.width..(y + 1) * fov.width];
        dst.fill(0.0);
        for (j, &w) in wy.iter().enumerate() {
            let src = &scratch[(y + j) * fov.width..(y + j + 1) * fov.width];
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += w * s;
            }
        }
    }
}

/// Positions sampled for intra-exposure motion blur of frame f: the tissue moves
/// linearly from `start` to `next` over one frame period, the exposure covers the first
/// `exposure_fraction` of it, and `samples` positions at the centres of equal sub-
/// intervals of the exposure are averaged. One sample is the start position (no blur).
pub fn blur_positions(
    start: [f64; 2],
    next: [f64; 2],
    exposure_fraction: f64,
    samples: u32,
) -> Vec<[f64; 2]> {
    if samples <= 1 {
        return vec![start];
    }
    (0..samples)
        .map(|j| {
            let a = (j as f64 + 0.5) / samples as f64 * exposure_fraction;
            [
                start[0] + a * (next[0] - start[0]),
                start[1] + a * (next[1] - start[1]),
            ]
        })
        .collect()
}

/// Crop the centre of the canvas to the FOV without shifting (for snapshots of canvas
/// stages and specs without `motion_crop`).
pub fn crop(canvas: &[f32], canvas_dims: Dims, margin: usize, out: &mut [f32], fov: Dims) {
    for y in 0..fov.height {
        let src = &canvas[(y + margin) * canvas_dims.width + margin..][..fov.width];
        out[y * fov.width..(y + 1) * fov.width].copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_spec::Interpolation;
    use rand::SeedableRng;

    #[test]
    fn path_is_bounded_and_has_the_configured_correlation_time() {
        let params = MotionCrop {
            jump_rate_hz: 0.0,
            ou_sigma_um: 1.0,
            ou_tau_s: 1.0,
            max_shift_um: 100.0,
            ..Default::default()
        };
        let dt = 0.05;
        let p = path(&params, 200_000, dt, 1.0, &mut Stream::seed_from_u64(5));
        let xs: Vec<f64> = p.iter().map(|v| v[1]).collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        // Lag-20 (= τ) autocorrelation of an OU process is e^{-1}.
        let lag = 20;
        let c: f64 = xs
            .windows(lag + 1)
            .map(|w| (w[0] - mean) * (w[lag] - mean))
            .sum::<f64>()
            / (n - lag as f64)
            / var;
        // 200 000 samples over 10 000 τ: the estimate's sd ≈ 0.01.
        assert!((c - (-1.0f64).exp()).abs() < 0.05, "autocorrelation {c}");
        assert!((var - 1.0).abs() < 0.1, "variance {var}");

        let tight = MotionCrop {
            max_shift_um: 0.5,
            jump_rate_hz: 1.0,
            ..Default::default()
        };
        let q = path(&tight, 10_000, dt, 0.25, &mut Stream::seed_from_u64(6));
        assert!(
            q.iter()
                .all(|v| v[0].abs() <= 2.0 + 1e-12 && v[1].abs() <= 2.0 + 1e-12)
        );
    }

    #[test]
    fn blur_positions_cover_the_exposure_evenly() {
        assert_eq!(
            blur_positions([1.0, 2.0], [5.0, 6.0], 0.5, 1),
            vec![[1.0, 2.0]]
        );
        let p = blur_positions([0.0, 0.0], [4.0, -8.0], 1.0, 4);
        let want = [0.125, 0.375, 0.625, 0.875];
        for (q, w) in p.iter().zip(want) {
            assert!(
                (q[0] - 4.0 * w).abs() < 1e-12 && (q[1] + 8.0 * w).abs() < 1e-12,
                "{p:?}"
            );
        }
        // A half-period exposure spans the first half of the way.
        let half = blur_positions([0.0, 0.0], [2.0, 0.0], 0.5, 2);
        assert_eq!(half, vec![[0.25, 0.0], [0.75, 0.0]]);
    }

    #[test]
    fn integer_shift_moves_the_image() {
        for kind in [Interpolation::Bilinear, Interpolation::Lanczos3] {
            let params = MotionCrop {
                interpolation: kind,
                ..Default::default()
            };
            let canvas_dims = Dims {
                height: 30,
                width: 30,
            };
            let canvas: Vec<f32> = (0..900).map(|i| i as f32).collect();
            let fov = Dims {
                height: 10,
                width: 10,
            };
            let mut out = vec![0f32; 100];
            let mut scratch = Vec::new();
            let plane = Canvas {
                data: &canvas,
                dims: canvas_dims,
                margin: 10,
            };
            shift_crop(&params, plane, [2.0, -3.0], &mut out, fov, &mut scratch);
            // Tissue moved down 2, left 3: FOV (y, x) shows canvas (y + 10 − 2, x + 10 + 3).
            for y in 0..10 {
                for x in 0..10 {
                    let want = canvas[(y + 8) * 30 + x + 13];
                    assert!((out[y * 10 + x] - want).abs() < 1e-2, "{kind:?}");
                }
            }
        }
    }
}
