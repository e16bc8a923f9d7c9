//! Cell footprints from the optics, and their sum on the canvas (`composite` step).
//!
//! Model, for a cell at depth z (below the focal plane) seen through NA in tissue of
//! index n, scattering length ℓ, focal plane at depth d₀ below the lens face:
//!
//! - shape: a filled ellipse (semi-axes r·√a, r/√a) of brightness 1 with a concentric
//!   nucleus of relative radius f_n and brightness b_n;
//! - ballistic light: the shape blurred by a Gaussian PSF with
//!   σ² = (0.21·λ/NA)² + σ_ab² + (|z|·tan(asin(NA/n)) / 2)²
//!   (diffraction, aberration floor, geometric defocus: a blur disc of radius
//!   |z|·tanθ approximated by a Gaussian of σ = radius/2), weighted by the ballistic
//!   transmission relative to the focal plane, w_b = e^{−(d − d₀)/ℓ} with tissue path
//!   d = max(0, d₀ + z);
//! - scattered light: the fraction η·(1 − e^{−d/ℓ})/e^{−d₀/ℓ} of the flux, spread as a
//!   Gaussian halo of σ_h² = (s·d)² + σ², centred on the cell.
//!
//! Weights below `psf_truncation` × the footprint's peak are dropped and the patch is
//! cropped to what remains, so a footprint is O(patch), never O(H·W).
//! Units: µm in, canvas pixels out; footprint values in image intensity units.
//! Sources: docs/physics.md#steps.composite.

use minisim_spec::{Composite, Optics};

use crate::Dims;
use crate::math::gauss::{self, Edge};
use crate::place_neurons::Cell;

/// A sparse patch: weights over a bounding box of the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    /// Top row of the patch on the canvas (may be negative: cropped when used).
    pub y0: i64,
    /// Left column of the patch on the canvas.
    pub x0: i64,
    /// Patch size.
    pub dims: Dims,
    /// Row-major weights, image intensity per unit fluorescence.
    pub weights: Vec<f32>,
}

/// Blur widths of one cell, µm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blur {
    /// σ of the ballistic PSF.
    pub psf_sigma_um: f64,
    /// σ of the scattering halo.
    pub halo_sigma_um: f64,
    /// Ballistic weight relative to the focal plane.
    pub ballistic: f64,
    /// Scattered flux relative to the focal plane's ballistic flux.
    pub scattered: f64,
}

/// The optical blur of a point at depth `z_um`.
pub fn blur_at(params: &Composite, optics: &Optics, z_um: f64) -> Blur {
    let lambda_um = optics.emission_nm / 1000.0;
    let diffraction = 0.21 * lambda_um / optics.na;
    let defocus = z_um.abs() * optics.half_angle_rad().tan() / 2.0;
    let psf = (diffraction.powi(2) + optics.aberration_um.powi(2) + defocus.powi(2)).sqrt();
    let ls = optics.scattering_length_um;
    let d0 = optics.focal_depth_um;
    let d = (d0 + z_um).max(0.0);
    let norm = (-d0 / ls).exp();
    let ballistic = (-d / ls).exp() / norm;
    let scattered = params.scatter_collection * (1.0 - (-d / ls).exp()) / norm;
    Blur {
        psf_sigma_um: psf,
        halo_sigma_um: ((params.halo_spread * d).powi(2) + psf * psf).sqrt(),
        ballistic,
        scattered,
    }
}

/// Relative peak of a disc of radius r blurred by σ: 1 − e^{−r²/2σ²}.
fn disc_peak(r: f64, sigma: f64) -> f64 {
    1.0 - (-(r * r) / (2.0 * sigma * sigma)).exp()
}

/// Peak of the cell's ballistic footprint relative to the same cell in focus: the
/// "in-focus weight" of the ground truth (analytic, disc approximation).
pub fn focus_weight(params: &Composite, optics: &Optics, cell: &Cell) -> f64 {
    let here = blur_at(params, optics, cell.z_um);
    let focus = blur_at(params, optics, 0.0);
    here.ballistic * disc_peak(cell.radius_um, here.psf_sigma_um)
        / disc_peak(cell.radius_um, focus.psf_sigma_um)
}

/// Build one cell's footprint on a canvas of `canvas` px with `pixel_um` µm pixels.
/// Cell coordinates are canvas µm. Returns `None` if nothing of it lands on the canvas.
pub fn footprint(
    params: &Composite,
    optics: &Optics,
    cell: &Cell,
    pixel_um: f64,
    canvas: Dims,
) -> Option<Footprint> {
    let blur = blur_at(params, optics, cell.z_um);
    let sigma_px = blur.psf_sigma_um / pixel_um;
    let halo_px = blur.halo_sigma_um / pixel_um;
    let (cx, cy) = (cell.x_um / pixel_um, cell.y_um / pixel_um);
    let major = cell.radius_um * cell.aspect.sqrt() / pixel_um;
    let minor = cell.radius_um / cell.aspect.sqrt() / pixel_um;

    // Shape + ballistic blur on a patch padded by 4σ.
    let reach = (major + 4.0 * sigma_px + 2.0).ceil() as i64;
    let (by0, bx0) = (cy.floor() as i64 - reach, cx.floor() as i64 - reach);
    let side = (2 * reach + 1) as usize;
    let mut ballistic = vec![0f32; side * side];
    let (sin, cos) = cell.angle_rad.sin_cos();
    let sub = 4;
    let nucleus_q = cell.nucleus_fraction * cell.nucleus_fraction;
    for py in 0..side {
        for px in 0..side {
            let mut acc = 0.0f64;
            for sy in 0..sub {
                for sx in 0..sub {
                    let x = (bx0 + px as i64) as f64 + (sx as f64 + 0.5) / sub as f64 - cx;
                    let y = (by0 + py as i64) as f64 + (sy as f64 + 0.5) / sub as f64 - cy;
                    let u = (x * cos + y * sin) / major;
                    let v = (-x * sin + y * cos) / minor;
                    let q = u * u + v * v;
                    if q <= 1.0 {
                        acc += if q <= nucleus_q {
                            params.nucleus_brightness
                        } else {
                            1.0
                        };
                    }
                }
            }
            ballistic[py * side + px] = (acc / (sub * sub) as f64 * blur.ballistic) as f32;
        }
    }
    let flux: f64 = ballistic.iter().map(|&v| v as f64).sum::<f64>() / blur.ballistic.max(1e-300);
    gauss::blur(
        &mut ballistic,
        side,
        side,
        &gauss::kernel(sigma_px),
        Edge::Zero,
    );
    let peak_ballistic = ballistic.iter().cloned().fold(0f32, f32::max) as f64;

    // Halo: a normalised Gaussian carrying the scattered share of the shape's flux.
    let halo_peak = blur.scattered * flux / (2.0 * std::f64::consts::PI * halo_px * halo_px);
    let peak_guess = peak_ballistic + halo_peak;
    let threshold = params.psf_truncation * peak_guess;
    let halo_reach = if halo_peak > threshold {
        (halo_px * (2.0 * (halo_peak / threshold).ln()).sqrt()).ceil() as i64
    } else {
        0
    };
    let reach_all = reach.max(halo_reach + 1);
    let (y0, x0) = (cy.floor() as i64 - reach_all, cx.floor() as i64 - reach_all);
    let full = (2 * reach_all + 1) as usize;
    let mut weights = vec![0f32; full * full];
    let off = (reach_all - reach) as usize;
    for py in 0..side {
        let row = &ballistic[py * side..(py + 1) * side];
        weights[(py + off) * full + off..(py + off) * full + off + side].copy_from_slice(row);
    }
    if halo_peak > 0.0 {
        for py in 0..full {
            let dy = (y0 + py as i64) as f64 + 0.5 - cy;
            for px in 0..full {
                let dx = (x0 + px as i64) as f64 + 0.5 - cx;
                let g = halo_peak * (-(dx * dx + dy * dy) / (2.0 * halo_px * halo_px)).exp();
                weights[py * full + px] += g as f32;
            }
        }
    }
    crop(
        weights,
        y0,
        x0,
        Dims {
            height: full,
            width: full,
        },
        params.psf_truncation,
        canvas,
    )
}

/// Drop weights below `truncation` × peak, crop to the remaining support and to the
/// canvas.
fn crop(
    weights: Vec<f32>,
    y0: i64,
    x0: i64,
    dims: Dims,
    truncation: f64,
    canvas: Dims,
) -> Option<Footprint> {
    let peak = weights.iter().cloned().fold(0f32, f32::max);
    if peak <= 0.0 {
        return None;
    }
    let threshold = (truncation * peak as f64) as f32;
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
    Some(Footprint {
        y0: top,
        x0: left,
        dims: out,
        weights: kept,
    })
}

/// Add `scale` × footprint to a canvas plane (the footprint lies inside the canvas).
pub fn add(fp: &Footprint, scale: f32, canvas: &mut [f32], canvas_dims: Dims) {
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

    /// Peak value and second-moment width (px) of the footprint's ballistic core.
    fn peak_and_width(fp: &Footprint) -> (f32, f64) {
        let peak = fp.weights.iter().cloned().fold(0f32, f32::max);
        // Width: radius holding half of the weight above half maximum (FWHM-like area).
        let above = fp.weights.iter().filter(|&&v| v >= peak / 2.0).count();
        (peak, (above as f64 / std::f64::consts::PI).sqrt())
    }

    #[test]
    fn in_focus_footprint_is_narrower_and_brighter_than_50_um_out_of_focus() {
        let params = Composite::default();
        let optics = Optics::default();
        let canvas = Dims {
            height: 200,
            width: 200,
        };
        let focus = footprint(&params, &optics, &cell_at(0.0), 1.0, canvas).unwrap();
        let (p0, w0) = peak_and_width(&focus);
        for z in [-50.0, 50.0] {
            let off = footprint(&params, &optics, &cell_at(z), 1.0, canvas).unwrap();
            let (p, w) = peak_and_width(&off);
            assert!(p < p0, "z = {z}: peak {p} ≥ in-focus {p0}");
            assert!(w > w0, "z = {z}: width {w} ≤ in-focus {w0}");
        }
        // In focus, the peak is near the resting brightness (1 at the cytoplasm, less
        // the PSF's spill-over), and the core sits at the cell's centre.
        assert!(p0 > 0.5 && p0 < 1.5, "{p0}");
    }

    #[test]
    fn defocus_blur_follows_the_cone_angle() {
        let params = Composite::default();
        let optics = Optics::default();
        let b = blur_at(&params, &optics, 40.0);
        let geometric = 40.0 * optics.half_angle_rad().tan() / 2.0;
        let floor = (0.21f64 * 0.515 / 0.3).hypot(optics.aberration_um);
        assert!((b.psf_sigma_um - geometric.hypot(floor)).abs() < 1e-9);
        assert!(b.ballistic < 1.0 && blur_at(&params, &optics, -40.0).ballistic > 1.0);
    }

    #[test]
    fn truncation_keeps_weights_above_the_threshold_only() {
        let params = Composite::default();
        let fp = footprint(
            &params,
            &Optics::default(),
            &cell_at(10.0),
            1.66,
            Dims {
                height: 300,
                width: 300,
            },
        )
        .unwrap();
        let peak = fp.weights.iter().cloned().fold(0f32, f32::max);
        let threshold = (params.psf_truncation * peak as f64) as f32;
        assert!(fp.weights.iter().all(|&v| v == 0.0 || v >= threshold));
        // The patch is bounded: far smaller than the canvas.
        assert!(fp.dims.len() < 120 * 120, "{:?}", fp.dims);
    }

    #[test]
    fn cells_off_canvas_are_cropped() {
        let params = Composite::default();
        let mut cell = cell_at(0.0);
        cell.x_um = 2.0;
        let fp = footprint(
            &params,
            &Optics::default(),
            &cell,
            1.0,
            Dims {
                height: 200,
                width: 200,
            },
        )
        .unwrap();
        assert_eq!(fp.x0, 0);
        cell.x_um = -500.0;
        assert!(
            footprint(
                &params,
                &Optics::default(),
                &cell,
                1.0,
                Dims {
                    height: 200,
                    width: 200
                }
            )
            .is_none()
        );
    }
}
