//! Element-wise passes over `f32` runs, compiled for the best vector instruction set
//! the CPU has (AVX-512, AVX2, NEON, else the baseline) and chosen at run time.
//!
//! Each element is one IEEE-754 multiply and one add (never fused), in the same order
//! on every instruction set, so the results are the same bits everywhere.

use multiversion::multiversion;

/// `y[i] += a·x[i]`.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (d, &s) in y.iter_mut().zip(x) {
        *d += a * s;
    }
}

/// `y[i] = 0 + a·x[i]`: the first term of a sum that starts from zero, to the bit of
/// `y` zeroed and then [`axpy`] (adding +0 turns a −0 product into +0, as that did),
/// without the pass that zeroes `y`.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
pub fn scale_from_zero(y: &mut [f32], a: f32, x: &[f32]) {
    for (d, &s) in y.iter_mut().zip(x) {
        *d = 0.0 + a * s;
    }
}

/// `y[i] += x[i]`.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
pub fn add(y: &mut [f32], x: &[f32]) {
    for (d, &s) in y.iter_mut().zip(x) {
        *d += s;
    }
}

/// `y[i] *= x[i]`.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
pub fn mul(y: &mut [f32], x: &[f32]) {
    for (d, &s) in y.iter_mut().zip(x) {
        *d *= s;
    }
}

/// `y[i] = a[i] + f·(b[i] − a[i])` (linear interpolation between two rows).
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
pub fn lerp(y: &mut [f32], a: &[f32], b: &[f32], f: f32) {
    for ((d, &p), &q) in y.iter_mut().zip(a).zip(b) {
        *d = p + f * (q - p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dispatched passes equal the scalar definitions to the bit, on lengths
    /// that leave remainders for every vector width.
    #[test]
    fn passes_equal_their_scalar_definitions() {
        for n in [0, 1, 7, 15, 16, 17, 63, 100, 257] {
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 3.1).collect();
            let z: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos() + 0.2).collect();
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            let mut y = z.clone();
            axpy(&mut y, 0.7, &x);
            let want: Vec<f32> = z.iter().zip(&x).map(|(&d, &s)| d + 0.7 * s).collect();
            assert_eq!(bits(&y), bits(&want));
            let mut y = z.clone();
            add(&mut y, &x);
            let want: Vec<f32> = z.iter().zip(&x).map(|(&d, &s)| d + s).collect();
            assert_eq!(bits(&y), bits(&want));
            let mut y = z.clone();
            mul(&mut y, &x);
            let want: Vec<f32> = z.iter().zip(&x).map(|(&d, &s)| d * s).collect();
            assert_eq!(bits(&y), bits(&want));
            let mut y = vec![0.0; n];
            lerp(&mut y, &z, &x, 0.3);
            let want: Vec<f32> = z.iter().zip(&x).map(|(&p, &q)| p + 0.3 * (q - p)).collect();
            assert_eq!(bits(&y), bits(&want));
        }
    }

    /// `scale_from_zero` is a zeroed row plus `axpy` to the bit, signed zeros included
    /// (a negative weight times +0, a positive one times −0).
    #[test]
    fn scale_from_zero_is_zero_then_axpy() {
        let x: Vec<f32> = [0.0, -0.0, 1.5, -2.25, f32::MIN_POSITIVE, 3.0e-39, 7.0]
            .into_iter()
            .cycle()
            .take(45)
            .collect();
        for a in [-0.75f32, 0.0, -0.0, 0.3] {
            let mut want = vec![0.0; x.len()];
            axpy(&mut want, a, &x);
            let mut got = vec![f32::NAN; x.len()];
            scale_from_zero(&mut got, a, &x);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "a = {a}");
        }
    }
}
