//! `cargo xtask realism`: summary statistics of each preset's movie beside the ranges
//! seen in real one-photon miniscope recordings. Every statistic uses the movie alone.
//!
//! - PNR: CNMF-E's peak-to-noise image: frames filtered with a centre-surround kernel
//!   (Gaussian σ = gSig minus its mean over a (4σ+1)² window; gSig = 5 µm in pixels,
//!   ≈ 3 px for ucla-v4, as CNMF-E users set it to the soma radius), per pixel
//!   (max − median) / (1.4826 · MAD) over the first 200 frames (the frame count at which
//!   pure noise gives ≈ 2.7 / 3.3 / 3.9); percentiles over the central pixels.
//! - top-3 variance: fraction of the variance of the 8×8-block-averaged, mean-subtracted
//!   movie in its first three principal components.
//! - edge/centre: mean of the ring 0.85–0.95 R over the disc < 0.15 R of the Gaussian-
//!   smoothed (σ = 4 px) mean image, R half the shorter side.
//! - motion: frame-to-frame rigid shift by phase correlation (central 256 px square,
//!   Gaussian low-pass σ = 1.5 px against fixed-pattern noise, Hann window, half-whitened
//!   cross-power, 3-point Gaussian sub-pixel peak); median and 99th percentile of |shift|.
//! - frame-difference / pixel-scale noise: std of (F_{t+1} − F_t)/√2 over the central
//!   pixels over Immerkær's (1996) single-frame noise estimate.
//! - bleaching drift: change of the mean trace from the first to the last tenth.
//! - photon transfer gain: slope of temporal variance (from frame differences) against
//!   temporal mean over central pixels, DN per e⁻ for a linear sensor.
//! - brightness: mean over full scale and the saturated fraction.

use minisim::{Movie, SimulateOptions, Spec, simulate};
use nalgebra::{DMatrix, SymmetricEigen};
use ndarray::{Array2, Array3, Axis, s};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// One statistic with its target range.
pub struct Stat {
    pub name: &'static str,
    pub value: f64,
    /// Inclusive range; `None` for statistics reported without a target.
    pub range: Option<(f64, f64)>,
}

impl Stat {
    pub fn inside(&self) -> Option<bool> {
        self.range
            .map(|(lo, hi)| self.value >= lo && self.value <= hi)
    }
}

fn gauss_blur(plane: &mut Array2<f32>, sigma: f64) {
    let (h, w) = plane.dim();
    let k = minisim::physics::math::gauss::kernel(sigma);
    let data = plane.as_slice_mut().expect("standard layout");
    minisim::physics::math::gauss::blur(data, h, w, &k, minisim::physics::math::gauss::Edge::Clamp);
}

fn box_sum(plane: &Array2<f32>, r: usize) -> Array2<f32> {
    let (h, w) = plane.dim();
    let mut tmp = Array2::<f32>::zeros((h, w));
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            tmp[[y, x]] = plane.slice(s![y, a..=b]).sum();
        }
    }
    let mut out = Array2::<f32>::zeros((h, w));
    for y in 0..h {
        let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
        for x in 0..w {
            out[[y, x]] = tmp.slice(s![a..=b, x]).sum();
        }
    }
    out
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn central(h: usize, w: usize, frac: f64) -> Vec<(usize, usize)> {
    let r = h.min(w) as f64 / 2.0;
    let (cy, cx) = (h as f64 / 2.0, w as f64 / 2.0);
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            if (y as f64 + 0.5 - cy).hypot(x as f64 + 0.5 - cx) < frac * r {
                out.push((y, x));
            }
        }
    }
    out
}

fn pnr(movie: &Array3<f32>, g_sig: f64) -> [f64; 3] {
    let t = movie.dim().0.min(200);
    let (_, h, w) = movie.dim();
    let r = (2.0 * g_sig).round() as usize; // (4σ+1)² window
    // Mean of the Gaussian over the window, to make the kernel zero-mean.
    let k = minisim::physics::math::gauss::kernel(g_sig);
    let kr = k.len() / 2;
    let inside: f64 = (0..=2 * r)
        .map(|i| k.get(kr + i - r).copied().unwrap_or(0.0) as f64)
        .sum();
    let kmean = inside * inside / ((2 * r + 1) as f64).powi(2);
    let mut filtered = Array3::<f32>::zeros((t, h, w));
    for f in 0..t {
        let frame = movie.slice(s![f, .., ..]).to_owned();
        let mut g = frame.clone();
        gauss_blur(&mut g, g_sig);
        let b = box_sum(&frame, r);
        filtered
            .slice_mut(s![f, .., ..])
            .assign(&(&g - &b.mapv(|v| v * kmean as f32)));
    }
    let mut values: Vec<f64> = central(h, w, 0.8)
        .into_iter()
        .map(|(y, x)| {
            let mut ts: Vec<f64> = filtered
                .slice(s![.., y, x])
                .iter()
                .map(|&v| v as f64)
                .collect();
            let max = ts.iter().cloned().fold(f64::MIN, f64::max);
            let med = percentile(&mut ts, 0.5);
            let mut dev: Vec<f64> = ts.iter().map(|v| (v - med).abs()).collect();
            let mad = percentile(&mut dev, 0.5) * 1.4826;
            (max - med) / mad.max(1e-9)
        })
        .collect();
    [
        percentile(&mut values, 0.5),
        percentile(&mut values, 0.9),
        percentile(&mut values, 0.99),
    ]
}

fn top3(movie: &Array3<f32>) -> f64 {
    let (t, h, w) = movie.dim();
    let bs = 8;
    let (bh, bw) = (h / bs, w / bs);
    let mut x = DMatrix::<f64>::zeros(t, bh * bw);
    for f in 0..t {
        for by in 0..bh {
            for bx in 0..bw {
                x[(f, by * bw + bx)] = movie
                    .slice(s![f, by * bs..(by + 1) * bs, bx * bs..(bx + 1) * bs])
                    .iter()
                    .map(|&v| v as f64)
                    .sum::<f64>()
                    / (bs * bs) as f64;
            }
        }
    }
    for mut col in x.column_iter_mut() {
        let m = col.mean();
        col.add_scalar_mut(-m);
    }
    let gram = &x * x.transpose();
    let mut ev: Vec<f64> = SymmetricEigen::new(gram)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    ev.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = ev.iter().map(|v| v.max(0.0)).sum();
    ev.iter().take(3).sum::<f64>() / total.max(1e-300)
}

fn edge_centre(mean: &Array2<f32>) -> f64 {
    let mut m = mean.clone();
    gauss_blur(&mut m, 4.0);
    let (h, w) = m.dim();
    let r = h.min(w) as f64 / 2.0;
    let (cy, cx) = (h as f64 / 2.0, w as f64 / 2.0);
    let (mut ring, mut nr, mut centre, mut nc) = (0.0, 0, 0.0, 0);
    for ((y, x), &v) in m.indexed_iter() {
        let d = (y as f64 + 0.5 - cy).hypot(x as f64 + 0.5 - cx) / r;
        if (0.85..0.95).contains(&d) {
            ring += v as f64;
            nr += 1;
        } else if d < 0.15 {
            centre += v as f64;
            nc += 1;
        }
    }
    (ring / nr as f64) / (centre / nc as f64)
}

fn motion(movie: &Array3<f32>) -> (f64, f64) {
    let (t, h, w) = movie.dim();
    let n = 256.min(h).min(w);
    let (y0, x0) = ((h - n) / 2, (w - n) / 2);
    let mut planner = FftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let hann: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos())
        .collect();
    let fft2 = |data: &mut Vec<Complex<f64>>, plan: &std::sync::Arc<dyn rustfft::Fft<f64>>| {
        for row in data.chunks_exact_mut(n) {
            plan.process(row);
        }
        let mut col = vec![Complex::new(0.0, 0.0); n];
        for x in 0..n {
            for y in 0..n {
                col[y] = data[y * n + x];
            }
            plan.process(&mut col);
            for y in 0..n {
                data[y * n + x] = col[y];
            }
        }
    };
    let spectrum = |f: usize| {
        let mut plane = movie.slice(s![f, y0..y0 + n, x0..x0 + n]).to_owned();
        gauss_blur(&mut plane, 1.5);
        let mean = plane.mean().unwrap_or(0.0) as f64;
        let mut data: Vec<Complex<f64>> = plane
            .indexed_iter()
            .map(|((y, x), &v)| Complex::new((v as f64 - mean) * hann[y] * hann[x], 0.0))
            .collect();
        fft2(&mut data, &fwd);
        data
    };
    let mut prev = spectrum(0);
    let mut shifts = Vec::with_capacity(t.saturating_sub(1));
    for f in 1..t {
        let cur = spectrum(f);
        let mut r: Vec<Complex<f64>> = prev
            .iter()
            .zip(&cur)
            .map(|(a, b)| {
                let c = a * b.conj();
                // Half-whitening keeps the peak smooth (≈ Gaussian), so a 3-point
                // Gaussian fit locates it without the integer bias of a δ-like peak.
                c / (c.norm().sqrt() + 1e-12)
            })
            .collect();
        fft2(&mut r, &inv);
        let (mut best, mut by, mut bx) = (f64::MIN, 0, 0);
        for (i, v) in r.iter().enumerate() {
            if v.re > best {
                best = v.re;
                by = i / n;
                bx = i % n;
            }
        }
        let at = |y: usize, x: usize| r[(y % n) * n + (x % n)].re;
        let sub = |m: f64, c: f64, p: f64| {
            // Gaussian fit on the logarithms when all three are positive, else parabolic.
            let (m, c, p) = if m > 0.0 && c > 0.0 && p > 0.0 {
                (m.ln(), c.ln(), p.ln())
            } else {
                (m, c, p)
            };
            let d = m - 2.0 * c + p;
            if d.abs() < 1e-12 {
                0.0
            } else {
                0.5 * (m - p) / d
            }
        };
        let dy = by as f64 + sub(at(by + n - 1, bx), best, at(by + 1, bx));
        let dx = bx as f64 + sub(at(by, bx + n - 1), best, at(by, bx + 1));
        let wrap = |d: f64| if d > n as f64 / 2.0 { d - n as f64 } else { d };
        shifts.push(wrap(dy).hypot(wrap(dx)));
        prev = cur;
    }
    (
        percentile(&mut shifts.clone(), 0.5),
        percentile(&mut shifts, 0.99),
    )
}

fn noise_ratio(movie: &Array3<f32>) -> f64 {
    let (t, h, w) = movie.dim();
    let px = central(h, w, 0.7);
    let mut sum2 = 0.0;
    let mut n = 0usize;
    for f in 1..t {
        for &(y, x) in &px {
            let d = (movie[[f, y, x]] - movie[[f - 1, y, x]]) as f64 / std::f64::consts::SQRT_2;
            sum2 += d * d;
            n += 1;
        }
    }
    let temporal = (sum2 / n as f64).sqrt();
    // Immerkær: σ = √(π/2) / (6 N) Σ |I ∗ [[1,−2,1],[−2,4,−2],[1,−2,1]]|.
    let mut spatial = 0.0;
    let frames = t.min(100);
    for f in 0..frames {
        let (mut acc, mut cnt) = (0.0, 0usize);
        for &(y, x) in &px {
            if y == 0 || x == 0 || y + 1 >= h || x + 1 >= w {
                continue;
            }
            let v = |dy: isize, dx: isize| {
                movie[[f, (y as isize + dy) as usize, (x as isize + dx) as usize]] as f64
            };
            let l = v(-1, -1) + v(-1, 1) + v(1, -1) + v(1, 1)
                - 2.0 * (v(-1, 0) + v(1, 0) + v(0, -1) + v(0, 1))
                + 4.0 * v(0, 0);
            acc += l.abs();
            cnt += 1;
        }
        spatial += (std::f64::consts::PI / 2.0).sqrt() * acc / (6.0 * cnt as f64);
    }
    temporal / (spatial / frames as f64)
}

fn bleach_and_gain(movie: &Array3<f32>) -> (f64, f64) {
    let (t, h, w) = movie.dim();
    let trace: Vec<f64> = (0..t)
        .map(|f| movie.slice(s![f, .., ..]).mean().unwrap_or(0.0) as f64)
        .collect();
    let k = (t / 10).max(1);
    let first = trace[..k].iter().sum::<f64>() / k as f64;
    let last = trace[t - k..].iter().sum::<f64>() / k as f64;
    let px = central(h, w, 0.7);
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for &(y, x) in &px {
        let ts = movie.slice(s![.., y, x]);
        let mean = ts.mean().unwrap_or(0.0) as f64;
        let var = (1..t)
            .map(|f| ((ts[f] - ts[f - 1]) as f64).powi(2))
            .sum::<f64>()
            / (2.0 * (t - 1) as f64);
        sx += mean;
        sy += var;
        sxx += mean * mean;
        sxy += mean * var;
    }
    let n = px.len() as f64;
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    ((last - first) / first, slope)
}

/// Median frame-to-frame displacement of the ground-truth motion path, px: the
/// reference for the movie-only estimate (which random error biases upward in noisy
/// movies).
fn true_motion_median(path: &Array2<f64>) -> f64 {
    let mut steps: Vec<f64> = (1..path.nrows())
        .map(|t| (path[[t, 0]] - path[[t - 1, 0]]).hypot(path[[t, 1]] - path[[t - 1, 1]]))
        .collect();
    if steps.is_empty() {
        return 0.0;
    }
    percentile(&mut steps, 0.5)
}

/// Render `spec` (shortened to `frames`) and compute every statistic.
pub fn stats(spec: &Spec, frames: u64) -> anyhow::Result<Vec<Stat>> {
    let spec = if spec.acquisition().frames > frames {
        spec.with_override("acquisition.frames", serde_json::json!(frames))?
    } else {
        spec.clone()
    };
    let rec = simulate(&spec, &SimulateOptions::default())?;
    let (movie, full) = match &rec.observed {
        Movie::Counts(c) => (
            c.mapv(|v| v as f32),
            spec.digitize().map(|d| d.max_count() as f64),
        ),
        Movie::Intensity(i) => (i.clone(), None),
    };
    let mean_image = movie.mean_axis(Axis(0)).expect("frames");
    let p = pnr(&movie, (5.0 / spec.acquisition().pixel_um).max(2.0));
    let (m50, m99) = motion(&movie);
    let (drift, ptc) = bleach_and_gain(&movie);
    let mut out = vec![
        Stat {
            name: "PNR p50",
            value: p[0],
            range: Some((3.0, 4.0)),
        },
        Stat {
            name: "PNR p90",
            value: p[1],
            range: Some((6.0, 15.0)),
        },
        Stat {
            name: "PNR p99",
            value: p[2],
            range: Some((11.0, 47.0)),
        },
        Stat {
            name: "top-3 component variance",
            value: top3(&movie),
            range: Some((0.6, 1.0)),
        },
        Stat {
            name: "edge / centre",
            value: edge_centre(&mean_image),
            range: Some((0.55, 0.99)),
        },
        Stat {
            name: "motion median (px)",
            value: m50,
            range: Some((0.04, 0.2)),
        },
        Stat {
            name: "motion p99 (px)",
            value: m99,
            range: None,
        },
        Stat {
            name: "true motion median (px, ground truth)",
            value: true_motion_median(&rec.truth.motion_px),
            range: None,
        },
        Stat {
            name: "frame-diff / pixel-scale noise",
            value: noise_ratio(&movie),
            range: Some((2.0, 5.0)),
        },
        Stat {
            name: "bleaching drift",
            value: drift,
            range: None,
        },
        Stat {
            name: "photon transfer gain (DN/e⁻)",
            value: ptc,
            range: None,
        },
    ];
    if let Some(full) = full {
        let n = movie.len() as f64;
        out.push(Stat {
            name: "mean / full scale",
            value: movie.mean().unwrap_or(0.0) as f64 / full,
            range: Some((0.0, 0.5)),
        });
        out.push(Stat {
            name: "saturated fraction",
            value: movie.iter().filter(|&&v| v as f64 >= full).count() as f64 / n,
            range: Some((0.0, 1e-3)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim::physics::Stream;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Poisson, StandardNormal};

    #[test]
    fn pure_noise_pnr_matches_the_max_of_200_normals() {
        // P(max of 200 N(0,1) ≤ x) = Φ(x)^200: the 50/90/99 % points are 2.70, 3.27, 3.89.
        let mut rng = Stream::seed_from_u64(1);
        let movie = Array3::from_shape_fn((200, 96, 96), |_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z as f32 * 10.0 + 100.0
        });
        let p = pnr(&movie, 3.0);
        for (got, want, tol) in [(p[0], 2.70, 0.12), (p[1], 3.27, 0.15), (p[2], 3.89, 0.3)] {
            assert!((got - want).abs() < tol, "{p:?}");
        }
    }

    #[test]
    fn phase_correlation_recovers_a_known_sub_pixel_shift() {
        // Gaussian blobs moving 0.3 px per frame diagonally (0.3/√2 along each axis).
        let mut rng = Stream::seed_from_u64(2);
        let blobs: Vec<(f64, f64)> = (0..60)
            .map(|_| {
                (
                    rand::RngExt::random_range(&mut rng, 10.0..118.0),
                    rand::RngExt::random_range(&mut rng, 10.0..118.0),
                )
            })
            .collect();
        let movie = Array3::from_shape_fn((11, 128, 128), |(t, y, x)| {
            let step = 0.3 / std::f64::consts::SQRT_2;
            let (dy, dx) = (step * t as f64, step * t as f64);
            blobs
                .iter()
                .map(|&(by, bx)| {
                    (-((y as f64 - by - dy).powi(2) + (x as f64 - bx - dx).powi(2)) / 8.0).exp()
                })
                .sum::<f64>() as f32
        });
        let (median, _) = motion(&movie);
        assert!((median - 0.3).abs() < 0.05, "{median}");
    }

    #[test]
    fn photon_transfer_slope_is_the_gain() {
        let mut rng = Stream::seed_from_u64(3);
        let gain = 0.4;
        let lambda: Vec<f64> = (0..64 * 64)
            .map(|i| 50.0 + (i % 64) as f64 * 10.0)
            .collect();
        let movie = Array3::from_shape_fn((100, 64, 64), |(_, y, x)| {
            (gain * Poisson::new(lambda[y * 64 + x]).unwrap().sample(&mut rng)) as f32
        });
        let (drift, slope) = bleach_and_gain(&movie);
        assert!((slope - gain).abs() < 0.02, "{slope}");
        assert!(drift.abs() < 0.01, "{drift}");
    }

    #[test]
    fn edge_over_centre_of_a_quadratic_falloff() {
        // V(r) = 1 − 0.4 (r/R)²: the ring 0.85–0.95 R averages ≈ 1 − 0.4 · 0.81 = 0.676.
        let n = 200;
        let mean = Array2::from_shape_fn((n, n), |(y, x)| {
            let r = (y as f64 + 0.5 - 100.0).hypot(x as f64 + 0.5 - 100.0) / 100.0;
            (1.0 - 0.4 * r * r) as f32
        });
        let ratio = edge_centre(&mean);
        assert!((ratio - 0.676).abs() < 0.01, "{ratio}");
    }
}
