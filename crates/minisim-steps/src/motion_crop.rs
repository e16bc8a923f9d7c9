//! Rigid brain motion and the crop to the field of view (`motion_crop` step).
//!
//! Model: per axis, a unit OU process (time constant τ) scaled by σ, plus jumps: in
//! each frame a Poisson(r·Δt) number of jumps, each adding `jump_um` in a uniformly
//! random direction to the state (it then relaxes back with τ). The displacement is
//! clamped to ±max_shift per axis. The motion path is the tissue displacement in FOV
//! pixels, (dy, dx), positive = down/right; a motion-correction algorithm should
//! report −path. Frame f shows canvas(y + m − dy, x + m − dx), m the canvas margin,
//! resampled with bilinear or Lanczos-3 weights (separable, fixed per frame).
//! Model `locomotion`: see `locomotion_path`; model `trajectory`: the given path.
//! Sources: docs/physics.md#steps.motion_crop.

use minisim_spec::{Locomotion, MotionCrop, MotionModel};
use ndarray::Array2;
use rand::RngExt;
use rand_distr::{Distribution, Poisson, StandardNormal};

use crate::math::{interp, ou, simd};
use crate::stage::{Context, Frame, FrameValues, Plane, Prepared, Stage};
use crate::truth::GroundTruth;
use crate::{Dims, Stream, Streams};

/// The `motion_crop` stage.
pub struct Kind;

impl Stage for Kind {
    type Params = MotionCrop;
    /// The motion path, `[dy, dx]` px per frame.
    type Prepared = Vec<[f64; 2]>;
    type State = ();
    type Values = ();

    fn prepare(p: &MotionCrop, ctx: &Context<'_>, _: &Prepared) -> Vec<[f64; 2]> {
        let g = ctx.geometry;
        path(
            p,
            g.frames,
            g.timing.period_s,
            g.pixel_um,
            &mut ctx.streams("motion_crop").stream(0),
        )
    }

    /// Shift the canvas by the frame's displacement and crop it to the FOV; with
    /// intra-exposure blur, average `exposure_blur_samples` shifted copies along the
    /// path between this frame's position and the next (`blur_positions`).
    fn apply(p: &MotionCrop, own: &Vec<[f64; 2]>, _: &FrameValues, frame: &mut Frame<'_>) {
        let g = frame.geometry;
        let f = frame.index as usize;
        let start = own.get(f).copied().unwrap_or([0.0, 0.0]);
        let next = own.get(f + 1).copied().unwrap_or(start);
        let fraction = g.timing.exposure_s / g.timing.period_s;
        let positions = blur_positions(start, next, fraction, p.exposure_blur_samples);
        let b = &mut *frame.buffers;
        let plane = Canvas {
            data: &*frame.canvas,
            dims: g.canvas,
            margin: g.margin,
        };
        let [scratch, sample, _] = &mut b.scratch;
        if let [only] = positions[..] {
            shift_crop(p, plane, only, &mut b.fov, g.fov, scratch);
        } else {
            b.fov.fill(0.0);
            sample.resize(g.fov.len(), 0.0);
            let weight = 1.0 / positions.len() as f32;
            for pos in positions {
                shift_crop(p, plane, pos, sample, g.fov, scratch);
                b.fov
                    .iter_mut()
                    .zip(sample.iter())
                    .for_each(|(a, &s)| *a += weight * s);
            }
        }
        frame.plane = Plane::Fov;
    }

    fn truth(
        _: &MotionCrop,
        own: &Vec<[f64; 2]>,
        _: (),
        _: usize,
        ctx: &Context<'_>,
        truth: &mut GroundTruth,
    ) {
        let frames = ctx.geometry.frames as usize;
        if own.len() == frames {
            let flat: Vec<f64> = own.iter().flatten().copied().collect();
            if let Ok(a) = Array2::from_shape_vec((frames, 2), flat) {
                truth.motion_px = a;
            }
        }
    }
}

/// The motion path: displacement per frame, `[dy, dx]` in pixels.
pub fn path(
    params: &MotionCrop,
    frames: u64,
    dt_s: f64,
    pixel_um: f64,
    rng: &mut Stream,
) -> Vec<[f64; 2]> {
    match params.model {
        MotionModel::Ou => {}
        MotionModel::Locomotion => {
            let m = params.max_shift_um;
            return locomotion_path(&params.locomotion, frames, dt_s, rng)
                .into_iter()
                .map(|p| p.map(|v| v.clamp(-m, m) / pixel_um))
                .collect();
        }
        MotionModel::Trajectory => {
            return params
                .trajectory_um
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|p| p.map(|v| v / pixel_um))
                .collect();
        }
    }
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

/// Locomotion-driven displacement `[dy, dx]` in µm at each frame start.
///
/// The brain is a damped oscillator on the skull, x'' = −2ζω₀x' − ω₀²(x − d(t)), with
/// ω₀ = 2π·`resonance_hz` (unit static gain). Two drives are integrated separately
/// (semi-implicit Euler, ≥ 40 steps per period of the fastest frequency, after a 5 s
/// burn-in): the gait, d = sin φ on y with φ' = 2π(f_gait + σ_w·w(t)), w a unit OU
/// process (τ_w); and red noise, a unit OU process (τ_n) per axis. Each response is
/// rescaled so its RMS displacement over the recording is `amplitude_um`·√fraction
/// (gait) and `amplitude_um`·√(1 − fraction) (noise).
pub fn locomotion_path(p: &Locomotion, frames: u64, dt_s: f64, rng: &mut Stream) -> Vec<[f64; 2]> {
    let fastest = p.resonance_hz.max(p.gait_hz + 3.0 * p.gait_wander_hz);
    let sub = (dt_s * 40.0 * fastest).ceil().max(1.0) as u64;
    let h = dt_s / sub as f64;
    let w0 = std::f64::consts::TAU * p.resonance_hz;
    let zeta = p.damping_ratio;
    let rho_w = ou::rho(h, p.gait_wander_tau_s);
    let rho_n = ou::rho(h, p.noise_tau_s);
    let burn_in = (5.0 / h).ceil() as u64;
    let mut wander: f64 = StandardNormal.sample(rng);
    let mut noise: [f64; 2] = [StandardNormal.sample(rng), StandardNormal.sample(rng)];
    let mut phase = rng.random_range(0.0..std::f64::consts::TAU);
    // Oscillator states (position, velocity): gait on y, noise on y and x.
    let mut osc = [[0.0f64; 2]; 3];
    let (mut gait, mut red) = (
        Vec::with_capacity(frames as usize),
        Vec::with_capacity(frames as usize),
    );
    for step in 0..burn_in + frames * sub {
        if step >= burn_in && (step - burn_in).is_multiple_of(sub) {
            gait.push(osc[0][0]);
            red.push([osc[1][0], osc[2][0]]);
        }
        let drive = [phase.sin(), noise[0], noise[1]];
        for (o, d) in osc.iter_mut().zip(drive) {
            o[1] += h * (-2.0 * zeta * w0 * o[1] - w0 * w0 * (o[0] - d));
            o[0] += h * o[1];
        }
        phase += std::f64::consts::TAU * (p.gait_hz + p.gait_wander_hz * wander) * h;
        wander = ou::step(wander, rho_w, StandardNormal.sample(rng));
        for n in &mut noise {
            *n = ou::step(*n, rho_n, StandardNormal.sample(rng));
        }
    }
    let rms = |v: &mut dyn Iterator<Item = f64>| {
        let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x * x, n + 1));
        if n == 0 || s <= 0.0 {
            0.0
        } else {
            (s / n as f64).sqrt()
        }
    };
    let g_rms = rms(&mut gait.iter().copied());
    let n_rms = rms(&mut red.iter().map(|r| r[0].hypot(r[1])));
    let g_scale = if g_rms > 0.0 {
        p.amplitude_um * p.locomotion_fraction.sqrt() / g_rms
    } else {
        0.0
    };
    let n_scale = if n_rms > 0.0 {
        p.amplitude_um * (1.0 - p.locomotion_fraction).sqrt() / n_rms
    } else {
        0.0
    };
    let mixed: Vec<[f64; 2]> = gait
        .iter()
        .zip(&red)
        .map(|(&g, r)| [g * g_scale + r[0] * n_scale, r[1] * n_scale])
        .collect();
    // The two parts are independent but not exactly orthogonal over a finite
    // recording: rescale so the total RMS is exactly the amplitude.
    let total = rms(&mut mixed.iter().map(|q| q[0].hypot(q[1])));
    let k = if total > 0.0 {
        p.amplitude_um / total
    } else {
        0.0
    };
    mixed.into_iter().map(|q| q.map(|v| v * k)).collect()
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
    // Every element of both passes is written by its first tap (from zero, to the
    // bit), so neither the scratch nor `out` is cleared first.
    if scratch.len() < rows * fov.width {
        scratch.resize(rows * fov.width, 0.0);
    }
    let ((&wx0, wx_rest), (&wy0, wy_rest)) = (
        wx.split_first().expect("an interpolation has taps"),
        wy.split_first().expect("an interpolation has taps"),
    );
    // Both passes accumulate tap after tap over whole rows (contiguous, so the
    // multiply-adds vectorise); each output sums its taps in tap order.
    for r in 0..rows {
        let src = &canvas[(row0 as usize + r) * canvas_dims.width..][..canvas_dims.width];
        let dst = &mut scratch[r * fov.width..(r + 1) * fov.width];
        simd::scale_from_zero(dst, wx0, &src[col0..col0 + fov.width]);
        for (j, &w) in wx_rest.iter().enumerate() {
            let c = col0 + j + 1;
            simd::axpy(dst, w, &src[c..c + fov.width]);
        }
    }
    for y in 0..fov.height {
        let dst = &mut out[y * fov.width..(y + 1) * fov.width];
        simd::scale_from_zero(dst, wy0, &scratch[y * fov.width..(y + 1) * fov.width]);
        for (j, &w) in wy_rest.iter().enumerate() {
            let r = y + j + 1;
            simd::axpy(dst, w, &scratch[r * fov.width..(r + 1) * fov.width]);
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

    /// With the gait alone the displacement's spectrum peaks at the stride frequency
    /// and its RMS is the amplitude; with noise alone, the cross axis moves too.
    #[test]
    fn locomotion_motion_peaks_at_the_gait_frequency() {
        let p = Locomotion {
            gait_hz: 7.0,
            gait_wander_hz: 0.2,
            locomotion_fraction: 1.0,
            amplitude_um: 2.0,
            ..Default::default()
        };
        let fps = 60.0;
        let frames = 3000;
        let path = locomotion_path(&p, frames, 1.0 / fps, &mut Stream::seed_from_u64(3));
        let rms =
            (path.iter().map(|q| q[0] * q[0] + q[1] * q[1]).sum::<f64>() / frames as f64).sqrt();
        assert!((rms - 2.0).abs() < 1e-9, "{rms}");
        assert!(path.iter().all(|q| q[1] == 0.0));
        // Periodogram of dy on a 0.1 Hz grid from 1 to 25 Hz.
        let power = |f: f64| {
            let (mut c, mut s) = (0.0, 0.0);
            for (t, q) in path.iter().enumerate() {
                let a = std::f64::consts::TAU * f * t as f64 / fps;
                c += q[0] * a.cos();
                s += q[0] * a.sin();
            }
            c * c + s * s
        };
        let peak = (10..250)
            .map(|i| i as f64 / 10.0)
            .max_by(|a, b| power(*a).total_cmp(&power(*b)))
            .unwrap();
        // The gait frequency wanders with SD 0.2 Hz: the peak lies within ±3 SD.
        assert!((peak - 7.0).abs() <= 0.6, "peak at {peak} Hz");
        let noisy = Locomotion {
            locomotion_fraction: 0.0,
            ..p
        };
        let path = locomotion_path(&noisy, frames, 1.0 / fps, &mut Stream::seed_from_u64(3));
        assert!(path.iter().any(|q| q[1] != 0.0));
    }
}
