//! Sampled Gaussian kernels and separable blurs of row-major planes.

/// Normalised Gaussian kernel of standard deviation `sigma` (px), radius
/// `ceil(4σ)`; a delta for σ ≤ 0.
pub fn kernel(sigma: f64) -> Vec<f32> {
    if sigma <= 1e-6 {
        return vec![1.0];
    }
    let radius = (4.0 * sigma).ceil() as i64;
    let mut k: Vec<f64> = (-radius..=radius)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k.into_iter().map(|v| v as f32).collect()
}

/// How a blur treats samples beyond the plane's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Outside is zero (flux leaves the plane).
    Zero,
    /// Outside repeats the nearest edge sample.
    Clamp,
}

/// `blur` with `Edge::Zero` for a plane that is zero outside `rows × cols`: each pass
/// sums only over the window, so a small source under a wide kernel costs
/// O(height·width·|rows|) instead of O(height·width·|k|). Deterministic order.
pub fn blur_compact(
    data: &mut [f32],
    height: usize,
    width: usize,
    k: &[f32],
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) {
    assert_eq!(data.len(), height * width);
    if k.len() == 1 || rows.is_empty() || cols.is_empty() {
        return;
    }
    let r = k.len() / 2;
    // Both passes as multiply-adds over contiguous runs (vectorised). Each output
    // still receives its terms in ascending source index, starting from 0, so the
    // sums are the same as the direct per-pixel loops'. `reversed[j] = k[2r − j]`.
    let reversed: Vec<f32> = k.iter().rev().copied().collect();
    let mut tmp = vec![0f32; rows.len() * width];
    for (i, y) in rows.clone().enumerate() {
        let src = &data[y * width..(y + 1) * width];
        let out = &mut tmp[i * width..(i + 1) * width];
        for c in cols.clone() {
            // Outputs x in [c − r, c + r] take k[c + r − x]·src[c] = reversed[x − c + r]·src[c].
            let lo = c.saturating_sub(r);
            let hi = (c + r + 1).min(width);
            let v = src[c];
            let taps = &reversed[lo + r - c..hi + r - c];
            for (o, &kv) in out[lo..hi].iter_mut().zip(taps) {
                *o += kv * v;
            }
        }
    }
    let (x_lo, x_hi) = (cols.start.saturating_sub(r), (cols.end + r).min(width));
    for y in 0..height {
        let (lo, hi) = (rows.start.max(y.saturating_sub(r)), rows.end.min(y + r + 1));
        let out = &mut data[y * width..(y + 1) * width];
        out.fill(0.0);
        for row in lo..hi {
            let kv = k[row + r - y];
            let src = &tmp[(row - rows.start) * width..][..width];
            for (o, &t) in out[x_lo..x_hi].iter_mut().zip(&src[x_lo..x_hi]) {
                *o += kv * t;
            }
        }
    }
}

/// Blur a `height × width` row-major plane in place with the same 1-D kernel along
/// both axes. Sums run in a fixed order, so the result is deterministic.
pub fn blur(data: &mut [f32], height: usize, width: usize, k: &[f32], edge: Edge) {
    assert_eq!(data.len(), height * width);
    if k.len() == 1 {
        return;
    }
    let r = (k.len() / 2) as isize;
    let mut line = vec![0f32; height.max(width)];
    let sample = |src: &[f32], i: isize, n: usize| -> f32 {
        if (0..n as isize).contains(&i) {
            src[i as usize]
        } else {
            match edge {
                Edge::Zero => 0.0,
                Edge::Clamp => src[i.clamp(0, n as isize - 1) as usize],
            }
        }
    };
    for row in data.chunks_exact_mut(width) {
        line[..width].copy_from_slice(row);
        for (x, out) in row.iter_mut().enumerate() {
            let mut acc = 0f32;
            for (j, &kv) in k.iter().enumerate() {
                acc += kv * sample(&line[..width], x as isize + j as isize - r, width);
            }
            *out = acc;
        }
    }
    let mut column = vec![0f32; height];
    for x in 0..width {
        for y in 0..height {
            column[y] = data[y * width + x];
        }
        for (y, out) in line[..height].iter_mut().enumerate() {
            let mut acc = 0f32;
            for (j, &kv) in k.iter().enumerate() {
                acc += kv * sample(&column, y as isize + j as isize - r, height);
            }
            *out = acc;
        }
        for y in 0..height {
            data[y * width + x] = line[y];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_is_normalised_with_the_right_variance() {
        let sigma = 2.5;
        let k = kernel(sigma);
        let r = (k.len() / 2) as f64;
        let sum: f64 = k.iter().map(|&v| v as f64).sum();
        let var: f64 = k
            .iter()
            .enumerate()
            .map(|(i, &v)| v as f64 * (i as f64 - r).powi(2))
            .sum();
        assert!((sum - 1.0).abs() < 1e-6);
        // Truncation at 4σ loses < 1e-3 of the variance.
        assert!((var / (sigma * sigma) - 1.0).abs() < 1e-3, "{var}");
    }

    #[test]
    fn zero_edge_blur_conserves_interior_flux() {
        let (h, w) = (41, 41);
        let mut data = vec![0f32; h * w];
        data[20 * w + 20] = 1.0;
        blur(&mut data, h, w, &kernel(3.0), Edge::Zero);
        let total: f32 = data.iter().sum();
        assert!((total - 1.0).abs() < 1e-5);
        assert!(data[20 * w + 20] > data[20 * w + 23]);
    }

    #[test]
    fn compact_blur_equals_the_full_zero_edge_blur() {
        let (h, w) = (40, 50);
        let mut a = vec![0f32; h * w];
        for y in 15..22 {
            for x in 20..26 {
                a[y * w + x] = ((y * 7 + x * 3) % 11) as f32 / 10.0;
            }
        }
        let mut b = a.clone();
        let k = kernel(6.0);
        blur(&mut a, h, w, &k, Edge::Zero);
        blur_compact(&mut b, h, w, &k, 15..22, 20..26);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-6 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }

    /// The vectorised passes give the bits of the direct per-pixel sums (ascending
    /// source index from 0), for windows touching the edges too.
    #[test]
    fn compact_blur_is_bit_identical_to_direct_sums() {
        fn direct(
            data: &mut [f32],
            h: usize,
            w: usize,
            k: &[f32],
            rows: std::ops::Range<usize>,
            cols: std::ops::Range<usize>,
        ) {
            let r = k.len() / 2;
            let mut tmp = vec![0f32; rows.len() * w];
            for (i, y) in rows.clone().enumerate() {
                for x in 0..w {
                    let (lo, hi) = (cols.start.max(x.saturating_sub(r)), cols.end.min(x + r + 1));
                    let mut acc = 0f32;
                    for c in lo..hi {
                        acc += k[c + r - x] * data[y * w + c];
                    }
                    tmp[i * w + x] = acc;
                }
            }
            for y in 0..h {
                let (lo, hi) = (rows.start.max(y.saturating_sub(r)), rows.end.min(y + r + 1));
                for x in 0..w {
                    let mut acc = 0f32;
                    for row in lo..hi {
                        acc += k[row + r - y] * tmp[(row - rows.start) * w + x];
                    }
                    data[y * w + x] = acc;
                }
            }
        }
        for (rows, cols, sigma) in [
            (15..22, 20..26, 6.0),
            (0..9, 41..50, 3.3),
            (2..40, 0..50, 1.2),
        ] {
            let (h, w) = (40, 50);
            let mut a = vec![0f32; h * w];
            for y in rows.clone() {
                for x in cols.clone() {
                    a[y * w + x] = ((y * 7 + x * 3) % 11) as f32 / 10.0 + 0.013;
                }
            }
            let mut b = a.clone();
            let k = kernel(sigma);
            direct(&mut a, h, w, &k, rows.clone(), cols.clone());
            blur_compact(&mut b, h, w, &k, rows, cols);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}
