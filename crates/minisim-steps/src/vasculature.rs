//! Blood vessels (`vasculature` step).
//!
//! Model: each vessel is a quadratic Bézier curve entering and leaving the canvas, of
//! diameter w drawn uniformly in [w_min, w_max]. Its transmission at distance d from
//! the centre line is T = 1 − a·exp(−(2d / w(t))²) (haemoglobin absorbs green
//! emission); vasomotion modulates the diameter, w(t) = w·(1 + α·sin(2πft + φ)), with a
//! random phase per vessel. Vessels multiply the movie beneath them.
//! Units: µm in the spec, canvas px inside; t in s. Sources: docs/physics.md#steps.vasculature.

use minisim_spec::Vasculature;
use rand::RngExt;

use crate::{Dims, Stream};

/// One vessel: the canvas pixels near it and their distance to its centre line.
#[derive(Debug, Clone, PartialEq)]
pub struct Vessel {
    /// Canvas pixel indices (row-major) within reach of the vessel.
    pub pixels: Vec<u32>,
    /// Distance of each pixel's centre to the centre line, px.
    pub distance_px: Vec<f32>,
    /// Resting diameter, px.
    pub diameter_px: f64,
    /// Vasomotion phase, radians.
    pub phase: f64,
}

/// Draw the vessels on a canvas.
pub fn prepare(params: &Vasculature, canvas: Dims, pixel_um: f64, rng: &mut Stream) -> Vec<Vessel> {
    let (h, w) = (canvas.height as f64, canvas.width as f64);
    let mut vessels = Vec::new();
    for _ in 0..params.vessels {
        let diameter_um = rng.random_range(params.width_min_um..=params.width_max_um);
        let phase = rng.random_range(0.0..std::f64::consts::TAU);
        // Entry on one edge, exit on the opposite edge, control point inside.
        let vertical = rng.random_bool(0.5);
        let (a, b) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
        let (p0, p2) = if vertical {
            ([0.0, a * w], [h, b * w])
        } else {
            ([a * h, 0.0], [b * h, w])
        };
        let p1 = [rng.random_range(0.0..h), rng.random_range(0.0..w)];
        let diameter_px = diameter_um / pixel_um;
        let reach = 1.5 * diameter_px * (1.0 + params.vasomotion_amplitude);
        let length = (p2[0] - p0[0]).hypot(p2[1] - p0[1]) + (p1[0] - p0[0]).hypot(p1[1] - p0[1]);
        let samples = (length * 2.0).ceil().max(2.0) as usize;
        let mut best = vec![f32::INFINITY; canvas.len()];
        let r = reach.ceil() as i64;
        for s in 0..=samples {
            let t = s as f64 / samples as f64;
            let u = 1.0 - t;
            let y = u * u * p0[0] + 2.0 * u * t * p1[0] + t * t * p2[0];
            let x = u * u * p0[1] + 2.0 * u * t * p1[1] + t * t * p2[1];
            let (iy, ix) = (y.floor() as i64, x.floor() as i64);
            for py in (iy - r).max(0)..=(iy + r).min(canvas.height as i64 - 1) {
                for px in (ix - r).max(0)..=(ix + r).min(canvas.width as i64 - 1) {
                    let d = (py as f64 + 0.5 - y).hypot(px as f64 + 0.5 - x) as f32;
                    let slot = &mut best[py as usize * canvas.width + px as usize];
                    if d < *slot {
                        *slot = d;
                    }
                }
            }
        }
        let mut pixels = Vec::new();
        let mut distance_px = Vec::new();
        for (i, &d) in best.iter().enumerate() {
            if (d as f64) <= reach {
                pixels.push(i as u32);
                distance_px.push(d);
            }
        }
        vessels.push(Vessel {
            pixels,
            distance_px,
            diameter_px,
            phase,
        });
    }
    vessels
}

/// Diameter of a vessel at time `t_s`, px.
pub fn diameter_at(params: &Vasculature, vessel: &Vessel, t_s: f64) -> f64 {
    let wobble = (std::f64::consts::TAU * params.vasomotion_hz * t_s + vessel.phase).sin();
    vessel.diameter_px * (1.0 + params.vasomotion_amplitude * wobble)
}

/// Multiply the canvas by every vessel's transmission at time `t_s`.
pub fn apply(params: &Vasculature, vessels: &[Vessel], t_s: f64, canvas: &mut [f32]) {
    for vessel in vessels {
        let half = diameter_at(params, vessel, t_s) / 2.0;
        let inv = (1.0 / (half * half)) as f32;
        let a = params.absorption as f32;
        for (&p, &d) in vessel.pixels.iter().zip(&vessel.distance_px) {
            canvas[p as usize] *= 1.0 - a * (-(d * d) * inv).exp();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn centre_line_absorbs_and_far_pixels_are_untouched() {
        let params = Vasculature {
            vessels: 1,
            vasomotion_amplitude: 0.0,
            ..Default::default()
        };
        let dims = Dims {
            height: 100,
            width: 120,
        };
        let vessels = prepare(&params, dims, 1.0, &mut Stream::seed_from_u64(4));
        let mut plane = vec![1f32; dims.len()];
        apply(&params, &vessels, 0.0, &mut plane);
        let min = plane.iter().cloned().fold(1.0, f32::min);
        assert!(
            (min - (1.0 - params.absorption as f32)).abs() < 0.05,
            "{min}"
        );
        let untouched = plane.iter().filter(|&&v| v == 1.0).count();
        assert!(untouched > dims.len() / 3);
    }
}
