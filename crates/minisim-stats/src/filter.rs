//! Shared helpers: Gaussian blur, box sums, percentiles, the central disc of a frame.

use ndarray::{Array2, s};

/// Blur a plane in place with a Gaussian of `sigma` px (edges clamped).
pub fn gauss_blur(plane: &mut Array2<f32>, sigma: f64) {
    let (h, w) = plane.dim();
    let k = minisim_steps::math::gauss::kernel(sigma);
    let data = plane.as_slice_mut().expect("standard layout");
    minisim_steps::math::gauss::blur(data, h, w, &k, minisim_steps::math::gauss::Edge::Clamp);
}

/// Sum over the (2r + 1)² box around each pixel, clipped at the edges.
pub fn box_sum(plane: &Array2<f32>, r: usize) -> Array2<f32> {
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

/// The `p`-quantile (nearest rank) of `v` (sorts it); 0 for an empty slice.
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Pixels whose centre lies within `frac` of the half shorter side from the centre.
pub fn central(h: usize, w: usize, frac: f64) -> Vec<(usize, usize)> {
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

/// Pearson correlation accumulated pair by pair in constant memory (sums in `f64`;
/// accurate for values whose mean is small next to their spread, such as high-passed
/// noise).
#[derive(Debug, Clone, Copy, Default)]
pub struct PearsonSums {
    n: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl PearsonSums {
    /// Add one pair.
    pub fn push(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
    }

    /// The correlation (0 with no pairs or no variance).
    pub fn value(&self) -> f64 {
        if self.n == 0.0 {
            return 0.0;
        }
        let vx = self.sxx - self.sx * self.sx / self.n;
        let vy = self.syy - self.sy * self.sy / self.n;
        if vx <= 0.0 || vy <= 0.0 {
            0.0
        } else {
            (self.sxy - self.sx * self.sy / self.n) / (vx * vy).sqrt()
        }
    }
}

/// Pearson correlation of two equally long slices (0 when either is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let ma = a[..n].iter().sum::<f64>() / n as f64;
    let mb = b[..n].iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (a[i] - ma, b[i] - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}
