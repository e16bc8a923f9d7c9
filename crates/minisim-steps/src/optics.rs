//! The optical blur of a point source in tissue, shared by the stages that image
//! something at a depth (cells in `composite`, vessel layers in `vasculature`, the
//! focus search of `place_neurons`).
//!
//! Model, for a point at depth z below the focal plane seen through NA in tissue of
//! index n, scattering length ℓ, focal plane at depth d₀ below the lens face:
//! - ballistic PSF: a Gaussian with σ² = (0.21·λ/NA)² + σ_ab² + (|z|·tan(asin(NA/n)) / 2)²
//!   (diffraction, aberration floor, geometric defocus: a blur disc of radius |z|·tanθ
//!   approximated by a Gaussian of σ = radius/2), weighted by the ballistic
//!   transmission relative to the focal plane, w_b = e^{−(d − d₀)/ℓ} with tissue path
//!   d = max(0, d₀ + z);
//! - scattered light: the fraction η·(1 − e^{−d/ℓ})/e^{−d₀/ℓ} of the flux, spread as a
//!   Gaussian halo of σ_h² = (s·d)² + σ².
//!
//! Field curvature: off-axis the focal surface lies shallower by the sagitta of the
//! Petzval surface (`Optics::curvature_shift_um`).
//! Units: µm. Sources: docs/physics.md#steps.composite.

use minisim_spec::{Composite, Optics};

use crate::place_neurons::Cell;

/// Focus weight (peak of the defocused footprint relative to focus) from which a cell
/// counts as in focus: inside the axial half-maximum of the ballistic PSF.
pub const IN_FOCUS_WEIGHT: f64 = 0.5;

/// Blur widths of one point, µm.
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

/// σ of the ballistic PSF at depth `z_um` below the focal plane, µm.
pub fn psf_sigma_um(optics: &Optics, z_um: f64) -> f64 {
    let lambda_um = optics.emission_nm / 1000.0;
    let diffraction = 0.21 * lambda_um / optics.na;
    let defocus = z_um.abs() * optics.half_angle_rad().tan() / 2.0;
    (diffraction.powi(2) + optics.aberration_um.powi(2) + defocus.powi(2)).sqrt()
}

/// The optical blur of a point at depth `z_um`. `optics` must have a resolved focal
/// depth (`"auto"` is resolved by `place_neurons` before any stage images).
pub fn blur_at(params: &Composite, optics: &Optics, z_um: f64) -> Blur {
    let psf = psf_sigma_um(optics, z_um);
    let ls = optics.scattering_length_um;
    let d0 = optics.focal_depth_um.um().unwrap_or(0.0);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
