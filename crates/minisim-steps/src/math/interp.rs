//! Interpolation kernels for sub-pixel shifts.
//!
//! A shift by `s` px samples the source at `i + s`; write `s = n + f` with integer `n`
//! and `f ∈ [0, 1)`. Weights are normalised to sum to 1 so flat images stay flat.

use minisim_spec::Interpolation;

/// Integer part and tap weights for sampling at offset `shift`: output `i` reads
/// `Σ_j w[j] · src[i + n + j − (taps/2 − 1)]`.
pub fn taps(kind: Interpolation, shift: f64) -> (i64, Vec<f32>) {
    let n = shift.floor();
    let f = shift - n;
    let w: Vec<f64> = match kind {
        Interpolation::Bilinear => vec![1.0 - f, f],
        Interpolation::Lanczos3 => (-2..=3).map(|j| lanczos3(j as f64 - f)).collect(),
    };
    let sum: f64 = w.iter().sum();
    (n as i64, w.into_iter().map(|v| (v / sum) as f32).collect())
}

/// First tap's offset relative to the integer part: 0 for bilinear, −2 for Lanczos-3.
pub fn first_tap(kind: Interpolation) -> i64 {
    match kind {
        Interpolation::Bilinear => 0,
        Interpolation::Lanczos3 => -2,
    }
}

/// The Lanczos kernel with a = 3.
pub fn lanczos3(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else if x.abs() >= 3.0 {
        0.0
    } else {
        let px = std::f64::consts::PI * x;
        3.0 * px.sin() * (px / 3.0).sin() / (px * px)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_shifts_are_exact() {
        for kind in [Interpolation::Bilinear, Interpolation::Lanczos3] {
            let (n, w) = taps(kind, 3.0);
            assert_eq!(n, 3);
            let centre = (-first_tap(kind)) as usize;
            for (j, &v) in w.iter().enumerate() {
                assert!(
                    (v - if j == centre { 1.0 } else { 0.0 }).abs() < 1e-6,
                    "{kind:?} {w:?}"
                );
            }
        }
    }

    #[test]
    fn weights_reproduce_a_linear_ramp() {
        // Both kernels interpolate a linear function exactly (up to normalisation error).
        for kind in [Interpolation::Bilinear, Interpolation::Lanczos3] {
            let shift = -1.3;
            let (n, w) = taps(kind, shift);
            let value: f64 = w
                .iter()
                .enumerate()
                .map(|(j, &v)| v as f64 * (10 + n + first_tap(kind) + j as i64) as f64)
                .sum();
            assert!((value - (10.0 + shift)).abs() < 0.02, "{kind:?}: {value}");
        }
    }
}
