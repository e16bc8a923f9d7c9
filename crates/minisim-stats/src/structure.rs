//! Static fine structure of the mean image: how strongly cells and vessels stand out
//! of the resting scene, at a common pixel size so scopes compare.
//!
//! Definition: the offset-corrected mean image (mean over frames minus the sensor
//! offset) is resampled by area averaging to 3 µm pixels ([`resample_area`]), filtered
//! with the zero-mean disc kernel of [`crate::pnr::disc_kernel`] at σ = 9 µm (3 px),
//! and the standard deviation of the filtered image over the pixels of the central
//! disc (80 % of the half shorter side) whose kernel lies inside the image is divided
//! by the mean of the offset-corrected image over the same pixels. The kernel is a
//! unit-peak Gaussian, so the value is ‖k‖₁-scaled local contrast: a uniform image
//! gives 0, a checkerboard-free smooth gradient ≈ 0 (the kernel is zero-mean and
//! symmetric, so it removes constants and linear ramps exactly).

use ndarray::Array2;

use crate::filter::central;
use crate::pnr::disc_kernel;

/// The common pixel size of [`fine_structure`], µm.
pub const COMMON_PIXEL_UM: f64 = 3.0;

/// The centre–surround σ of [`fine_structure`], µm.
pub const SIGMA_UM: f64 = 9.0;

/// Area-average resampling of a plane with pixels of `from_um` to pixels of `to_um`
/// (either direction; output size ⌊n·from/to⌋ per axis, at least 1): each output pixel
/// is the mean of the input over its footprint, partial input pixels weighted by
/// their overlap. Preserves the mean of a constant plane exactly.
pub fn resample_area(plane: &Array2<f32>, from_um: f64, to_um: f64) -> Array2<f32> {
    let (h, w) = plane.dim();
    let ratio = to_um / from_um; // output pixel size in input pixels
    let weights = |n: usize| -> (usize, Vec<Vec<(usize, f64)>>) {
        let m = ((n as f64 / ratio + 1e-9).floor() as usize).max(1);
        let rows = (0..m)
            .map(|i| {
                let (a, b) = (i as f64 * ratio, ((i + 1) as f64 * ratio).min(n as f64));
                let mut out = Vec::new();
                let mut j = a.floor() as usize;
                while (j as f64) < b && j < n {
                    let overlap = (b.min(j as f64 + 1.0) - a.max(j as f64)).max(0.0);
                    if overlap > 0.0 {
                        out.push((j, overlap / (b - a)));
                    }
                    j += 1;
                }
                out
            })
            .collect();
        (m, rows)
    };
    let (oh, wy) = weights(h);
    let (ow, wx) = weights(w);
    // Rows first (along x), then columns.
    let mut tmp = Array2::<f64>::zeros((h, ow));
    for y in 0..h {
        for (x, ws) in wx.iter().enumerate() {
            tmp[[y, x]] = ws.iter().map(|&(j, v)| plane[[y, j]] as f64 * v).sum();
        }
    }
    let mut out = Array2::<f32>::zeros((oh, ow));
    for (y, ws) in wy.iter().enumerate() {
        for x in 0..ow {
            out[[y, x]] = ws.iter().map(|&(j, v)| tmp[[j, x]] * v).sum::<f64>() as f32;
        }
    }
    out
}

/// Static fine-structure contrast of a mean image with pixels of `pixel_um` and the
/// sensor offset `offset` (black level, same units as the image); 0 when no pixel
/// qualifies or the corrected mean is not positive.
pub fn fine_structure(mean: &Array2<f32>, pixel_um: f64, offset: f64) -> f64 {
    let corrected = mean.mapv(|v| (v as f64 - offset) as f32);
    let img = resample_area(&corrected, pixel_um, COMMON_PIXEL_UM);
    let (h, w) = img.dim();
    let (r, k) = disc_kernel(SIGMA_UM / COMMON_PIXEL_UM);
    let side = 2 * r + 1;
    let mut filtered = Vec::new();
    let mut level = 0.0;
    for (y, x) in central(h, w, 0.8) {
        if y < r || x < r || y + r >= h || x + r >= w {
            continue;
        }
        let mut acc = 0.0;
        for dy in 0..side {
            for dx in 0..side {
                let kv = k[dy * side + dx];
                if kv != 0.0 {
                    acc += kv * img[[y + dy - r, x + dx - r]] as f64;
                }
            }
        }
        filtered.push(acc);
        level += img[[y, x]] as f64;
    }
    let n = filtered.len();
    if n < 2 || level <= 0.0 {
        return 0.0;
    }
    let level = level / n as f64;
    let m = filtered.iter().sum::<f64>() / n as f64;
    let sd = (filtered.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64).sqrt();
    sd / level
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_resampling_keeps_constants_and_averages_blocks() {
        let flat = Array2::from_elem((100, 60), 7.0f32);
        let r = resample_area(&flat, 1.65, 3.0);
        assert_eq!(r.dim(), (55, 33));
        assert!(r.iter().all(|&v| (v - 7.0).abs() < 1e-5));
        // An integer factor is plain block averaging.
        let ramp = Array2::from_shape_fn((4, 4), |(y, x)| (y * 4 + x) as f32);
        let b = resample_area(&ramp, 1.0, 2.0);
        assert_eq!(b, ndarray::arr2(&[[2.5f32, 4.5], [10.5, 12.5]]));
    }

    /// A constant image plus a linear ramp has no fine structure (the kernel is
    /// zero-mean and point-symmetric); white pixel noise of SD s at 3 µm pixels gives
    /// SD s·‖k‖₂ after filtering, so the contrast is s·‖k‖₂/level.
    #[test]
    fn ramps_have_none_and_white_noise_has_the_kernel_norm() {
        let ramp =
            Array2::from_shape_fn((90, 90), |(y, x)| 100.0 + 0.3 * y as f32 + 0.2 * x as f32);
        assert!(fine_structure(&ramp, 3.0, 0.0) < 1e-4);
        // Offset correction: the same scene on a pedestal of 50 has the same contrast.
        let mut rng = 12345u64;
        let mut next = || {
            // Uniform(−√3, √3): SD 1, from a 64-bit LCG (no RNG crates in the library).
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 12f64.sqrt()
        };
        let noise = Array2::from_shape_fn((240, 240), |_| (100.0 + 5.0 * next()) as f32);
        let (_, k) = disc_kernel(3.0);
        let norm = k.iter().map(|v| v * v).sum::<f64>().sqrt();
        let want = 5.0 * norm / 100.0;
        let got = fine_structure(&noise, 3.0, 0.0);
        // ≈ 10⁴ filtered values, correlated over the kernel (≈ 113 px): the SD is
        // known to ≈ 1/√(2·10⁴/113) ≈ 5 %.
        assert!((got / want - 1.0).abs() < 0.1, "{got} vs {want}");
        let lifted = noise.mapv(|v| v + 50.0);
        let again = fine_structure(&lifted, 3.0, 50.0);
        assert!((again / got - 1.0).abs() < 1e-6);
    }
}
