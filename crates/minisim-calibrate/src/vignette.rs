//! Vignetting and the image circle from the mean image.
//!
//! The model is the `vignette` step's: V(r) = max(0, 1 − (1 − e)(r/R)²)·A(r), R half
//! the shorter side, A a smoothstep from 1 to 0 across `aperture_softness_px` centred
//! on r = ρ·R. The profile P(r) is the median, over 1 px rings about the frame centre,
//! of the mean image less the unlit level. The falloff: weighted least squares (weights: the rings' pixel counts) of P on
//! (r/R)² over the rings inside the image circle (r ≤ R and one softness width plus 4 px
//! inside the edge), P = α − β(r/R)², e = 1 − β/α. Its uncertainty is the standard deviation of the same fit over
//! the eight octants of the frame: the scene's large-scale structure (background
//! patches, vessels) differs between octants where the vignette does not. Octants
//! share the centre and the larger patches, so their spread over √8 underestimates
//! the error (measured on the recovery specs); the undivided spread is conservative.
//! The edge: scanning inward from the frame's edge, where P/(α − β(r/R)²) reaches
//! 0.5 (ρ); the softness: the distance between the 0.9 and 0.1 crossings of P over
//! its median 8–20 px inside the edge, over 0.609 (the smoothstep's 10–90 % width in
//! units of its softness). Medians over rings keep vessels and cells (a minority of each ring) out
//! of the profile; a scene that is brighter or darker toward the edge on average (a
//! tilted prep, a bleed-through gradient) is indistinguishable from vignetting.

use ndarray::Array2;

use crate::estimate::Estimate;

/// The vignette's estimates.
#[derive(Debug, Clone)]
pub struct VignetteFit {
    /// Edge ratio e = V(R)/V(0).
    pub edge_ratio: Estimate,
    /// Image-circle radius over R.
    pub aperture_radius: Estimate,
    /// Softness of the image circle's edge, px.
    pub aperture_softness_px: Estimate,
    /// The radial profile `(r px, P)`, for the report.
    pub profile: Vec<(f64, f64)>,
}

/// Fit the vignette to `mean` less `dark` (the unlit level, DN); `has_unlit` says
/// whether the image circle ends inside the frame.
pub fn estimate(mean: &Array2<f64>, dark: f64, has_unlit: bool) -> VignetteFit {
    let (h, w) = mean.dim();
    let half = h.min(w) as f64 / 2.0;
    let (cy, cx) = (h as f64 / 2.0, w as f64 / 2.0);
    let rmax = (cy.hypot(cx)).ceil() as usize + 1;
    let mut rings: Vec<Vec<f64>> = vec![Vec::new(); rmax];
    for ((y, x), &v) in mean.indexed_iter() {
        let r = (y as f64 + 0.5 - cy).hypot(x as f64 + 0.5 - cx);
        rings[r as usize].push(v - dark);
    }
    let profile: Vec<(f64, f64)> = rings
        .iter_mut()
        .enumerate()
        .filter(|(_, v)| v.len() >= 8)
        .map(|(r, v)| (r as f64 + 0.5, minisim_stats::filter::percentile(v, 0.5)))
        .collect();
    let counts: Vec<f64> = rings
        .iter()
        .filter(|v| v.len() >= 8)
        .map(|v| v.len() as f64)
        .collect();
    // First pass: the falloff over r ≤ 0.8 R, to locate the edge; second pass: up to
    // R or two softness widths inside the edge.
    let quad = |limit: f64| -> Option<(f64, f64, f64)> {
        let pts: Vec<(f64, f64, f64)> = profile
            .iter()
            .zip(&counts)
            .filter(|((r, _), _)| *r <= limit)
            .map(|(&(r, p), &n)| ((r / half).powi(2), p, n))
            .collect();
        line(&pts)
    };
    let (alpha, beta, _) = quad(0.8 * half).unwrap_or((1.0, 0.0, 0.0));
    let ratio_at = |alpha: f64, beta: f64| {
        move |r: f64, p: f64| {
            let base = alpha - beta * (r / half).powi(2);
            if base > 0.0 { p / base } else { 0.0 }
        }
    };
    // Scanning inward from the frame's edge: the first ring whose ratio to the
    // falloff reaches `level`, interpolated with the ring outside it (a dark vessel or
    // a dim patch inside the circle cannot be taken for the edge).
    let crossing = |alpha: f64, beta: f64, level: f64| -> Option<f64> {
        let ratio = ratio_at(alpha, beta);
        let mut outer: Option<(f64, f64)> = None;
        for &(r, p) in profile.iter().rev() {
            let q = ratio(r, p);
            if q >= level {
                return outer.map(|(r1, q1)| r + (q - level) / (q - q1) * (r1 - r));
            }
            outer = Some((r, q));
        }
        None
    };
    let (aperture_radius, aperture_softness_px) = if has_unlit {
        match crossing(alpha, beta, 0.5) {
            Some(e) => {
                // The edge's width against the level just inside it.
                let mut inside: Vec<f64> = profile
                    .iter()
                    .filter(|(r, _)| *r >= e - 20.0 && *r <= e - 8.0)
                    .map(|p| p.1)
                    .collect();
                let level = minisim_stats::filter::percentile(&mut inside, 0.5);
                let cross = |q: f64| {
                    let mut outer: Option<(f64, f64)> = None;
                    for &(r, p) in profile.iter().rev() {
                        let v = p / level;
                        if v >= q {
                            return outer.map(|(r1, v1)| r + (v - q) / (v - v1) * (r1 - r));
                        }
                        outer = Some((r, v));
                    }
                    None
                };
                let soft = match (cross(0.9), cross(0.1)) {
                    (Some(a), Some(b)) if level > 0.0 => ((b - a) / 0.609).max(0.0),
                    _ => 0.0,
                };
                (
                    Estimate::measured(
                        e / half,
                        None,
                        "half-maximum of the radial profile against the falloff",
                    ),
                    Estimate::measured(
                        soft,
                        None,
                        "10–90 % width of the edge (against the level just inside it) over 0.609",
                    ),
                )
            }
            None => (
                Estimate::bound(
                    2.0_f64.sqrt(),
                    "no edge found inside the frame: at least the corner radius",
                ),
                Estimate::bound(0.0, "no edge found"),
            ),
        }
    } else {
        (
            Estimate::bound(
                (cy.hypot(cx) / half).max(1.0) + 0.1,
                "no unlit pixels: the image circle lies beyond the corners",
            ),
            Estimate::bound(0.0, "no edge in the frame"),
        )
    };
    let limit = if has_unlit {
        (aperture_radius.value * half - aperture_softness_px.value - 4.0).min(half)
    } else {
        half
    };
    let ratio_of = |fit: Option<(f64, f64, f64)>| match fit {
        Some((a, b, _)) if a > 0.0 => Some((1.0 - b / a).clamp(0.0, 1.0)),
        _ => None,
    };
    // The same fit per octant: their spread is how far the scene can pull the
    // estimate (module docs).
    let mut octants: Vec<f64> = (0..SECTORS)
        .filter_map(|k| ratio_of(sector_fit(mean, dark, k, limit)))
        .collect();
    let sd = if octants.len() >= 4 {
        let m = octants.iter().sum::<f64>() / octants.len() as f64;
        let var = octants.iter().map(|e| (e - m).powi(2)).sum::<f64>() / (octants.len() - 1) as f64;
        Some(var.sqrt())
    } else {
        None
    };
    octants.clear();
    let edge_ratio = match ratio_of(quad(limit)) {
        Some(e) => Estimate::measured(
            e,
            sd,
            "quadratic falloff of the ring medians of the mean image; error from the spread over octants",
        ),
        None => Estimate::prior(1.0, "no usable profile"),
    };
    VignetteFit {
        edge_ratio,
        aperture_radius,
        aperture_softness_px,
        profile,
    }
}

/// Angular sectors of the uncertainty estimate.
const SECTORS: usize = 8;

/// The falloff fit `(α, β, sd β)` over the rings of sector `k` (of [`SECTORS`]) up to
/// `limit` px.
fn sector_fit(mean: &Array2<f64>, dark: f64, k: usize, limit: f64) -> Option<(f64, f64, f64)> {
    let (h, w) = mean.dim();
    let half = h.min(w) as f64 / 2.0;
    let (cy, cx) = (h as f64 / 2.0, w as f64 / 2.0);
    let mut rings: Vec<Vec<f64>> = vec![Vec::new(); limit.max(0.0) as usize + 1];
    for ((y, x), &v) in mean.indexed_iter() {
        let (dy, dx) = (y as f64 + 0.5 - cy, x as f64 + 0.5 - cx);
        let r = dy.hypot(dx);
        let angle = dy.atan2(dx) + std::f64::consts::PI;
        let sector = ((angle / std::f64::consts::TAU * SECTORS as f64) as usize).min(SECTORS - 1);
        if sector == k && r <= limit {
            rings[r as usize].push(v - dark);
        }
    }
    let pts: Vec<(f64, f64, f64)> = rings
        .iter_mut()
        .enumerate()
        .filter(|(_, v)| v.len() >= 3)
        .map(|(r, v)| {
            let n = v.len() as f64;
            (
                ((r as f64 + 0.5) / half).powi(2),
                minisim_stats::filter::percentile(v, 0.5),
                n,
            )
        })
        .collect();
    line(&pts)
}

/// `(α, β, sd β)` of `p = α − β·(r/R)²` through weighted points (at least 4).
fn line(pts: &[(f64, f64, f64)]) -> Option<(f64, f64, f64)> {
    if pts.len() < 4 {
        return None;
    }
    crate::line::fit(pts).map(|l| (l.intercept, -l.slope, l.slope_sd))
}
