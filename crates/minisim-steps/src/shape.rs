//! Cell shapes beyond the smooth ellipse: an irregular soma outline and the tapering,
//! branching proximal dendrites of cytosolic indicators (drawn by `place_neurons`,
//! rasterised by `composite` before the optics blur).
//!
//! Model. Outline: the ellipse's radius is scaled by 1 + Σ_{k=2..5} a_k cos(kθ + φ_k),
//! a_k ~ N(0, (c/k)²), φ_k uniform, with c set so the expected RMS relative deviation
//! is 0.15·ι (ι = irregularity): smooth angular noise, clamped to [0.5, 1.5]. Dendrites: N ~ Poisson(mean) primaries
//! leave the soma edge at uniform angles; each has length L·U(0.7, 1.3), a heading that
//! wanders by N(0, 15°) per third of its length, and a width tapering linearly from w
//! to w/3; with probability p it branches once at U(0.3, 0.7) of its length into a
//! child of half its remaining width, turned by ±U(20°, 50°), of length 0.6·L.
//! Units: µm relative to the soma centre, in the cell's unrotated frame (x right,
//! y down). Sources: docs/physics.md#steps.place_neurons.

use minisim_spec::{Morphology, PlaceNeurons};
use rand::RngExt;
use rand_distr::{Distribution, Normal, Poisson};

use crate::Stream;
use crate::math::segment;

/// One straight dendrite segment: a capsule tapering from `w0` to `w1` (widths, µm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Start, µm from the soma centre.
    pub a: [f64; 2],
    /// End, µm from the soma centre.
    pub b: [f64; 2],
    /// Width at the start, µm.
    pub w0: f64,
    /// Width at the end, µm.
    pub w1: f64,
}

impl Segment {
    /// True if `p` (µm from the soma centre) lies inside the tapered capsule.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        // Outside the capsule's bounding box (grown by a relative 1e-9 against
        // rounding) the distance exceeds every half width: no need to compute it.
        let half = self.w0.max(self.w1) / 2.0 * (1.0 + 1e-9) + 1e-12;
        let outside = |i: usize| {
            p[i] < self.a[i].min(self.b[i]) - half || p[i] > self.a[i].max(self.b[i]) + half
        };
        if outside(0) || outside(1) {
            return false;
        }
        let (t, dist) = segment::closest(p, self.a, self.b);
        dist <= (self.w0 + (self.w1 - self.w0) * t) / 2.0
    }

    /// Farthest reach from the soma centre, µm (end point plus half width).
    fn reach(&self) -> f64 {
        self.a[0].hypot(self.a[1]).max(self.b[0].hypot(self.b[1])) + self.w0.max(self.w1) / 2.0
    }
}

/// A cell's shape beyond its ellipse.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Outline harmonics `(k, amplitude, phase)`; empty for a smooth ellipse.
    pub harmonics: Vec<(f64, f64, f64)>,
    /// Dendrite segments (empty for `soma`).
    pub dendrites: Vec<Segment>,
}

impl Shape {
    /// Radius factor of the outline at polar angle `theta` (cell frame), in [0.5, 1.5].
    pub fn radius_factor(&self, theta: f64) -> f64 {
        let r: f64 = self
            .harmonics
            .iter()
            .map(|&(k, a, p)| a * (k * theta + p).cos())
            .sum();
        (1.0 + r).clamp(0.5, 1.5)
    }

    /// Bounds of `radius_factor` over all angles: 1 ∓ Σ|a_k|, clamped like it.
    pub fn radius_factor_bounds(&self) -> (f64, f64) {
        let spread: f64 = self.harmonics.iter().map(|&(_, a, _)| a.abs()).sum();
        (
            (1.0 - spread).clamp(0.5, 1.5),
            (1.0 + spread).clamp(0.5, 1.5),
        )
    }

    /// True if `p` (µm from the soma centre) lies in a dendrite.
    pub fn in_dendrite(&self, p: [f64; 2]) -> bool {
        self.dendrites.iter().any(|s| s.contains(p))
    }

    /// Farthest reach of the dendrites, µm (0 without).
    pub fn reach_um(&self) -> f64 {
        self.dendrites
            .iter()
            .map(Segment::reach)
            .fold(0.0, f64::max)
    }

    /// True if the shape is the plain ellipse.
    pub fn is_plain(&self) -> bool {
        self.harmonics.is_empty() && self.dendrites.is_empty()
    }
}

/// Draw a cell's shape (soma radius `radius_um`) from its own stream.
pub fn draw(params: &PlaceNeurons, radius_um: f64, rng: &mut Stream) -> Shape {
    let mut shape = Shape::default();
    if params.irregularity > 0.0 {
        let norm: f64 = (2..=5).map(|k| 1.0 / (k * k) as f64).sum::<f64>().sqrt();
        for k in 2..=5 {
            let sd = 0.15 * params.irregularity * std::f64::consts::SQRT_2 / norm / k as f64;
            let a: f64 = Normal::new(0.0, sd).expect("sd ≥ 0").sample(rng);
            let phase = rng.random_range(0.0..std::f64::consts::TAU);
            shape.harmonics.push((k as f64, a, phase));
        }
    }
    if params.morphology == Morphology::Cytosolic && params.dendrite_count_mean > 0.0 {
        let n = Poisson::new(params.dendrite_count_mean)
            .map(|p| p.sample(rng) as usize)
            .unwrap_or(0);
        let wander = Normal::new(0.0, 15f64.to_radians()).expect("positive");
        for _ in 0..n {
            let mut heading = rng.random_range(0.0..std::f64::consts::TAU);
            let length = params.dendrite_length_um * rng.random_range(0.7..1.3);
            let w = params.dendrite_width_um;
            let mut at = [
                radius_um * 0.8 * heading.cos(),
                radius_um * 0.8 * heading.sin(),
            ];
            let branch = rng.random_bool(params.dendrite_branch_probability);
            let branch_at = rng.random_range(0.3..0.7);
            let turn = rng.random_range(20f64.to_radians()..50f64.to_radians())
                * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            // Three pieces with a wandering heading.
            for piece in 0..3 {
                let (t0, t1) = (piece as f64 / 3.0, (piece + 1) as f64 / 3.0);
                let end = [
                    at[0] + length / 3.0 * heading.cos(),
                    at[1] + length / 3.0 * heading.sin(),
                ];
                let width = |t: f64| w * (1.0 - 2.0 / 3.0 * t);
                shape.dendrites.push(Segment {
                    a: at,
                    b: end,
                    w0: width(t0),
                    w1: width(t1),
                });
                if branch && (t0..t1).contains(&branch_at) {
                    let f = (branch_at - t0) * 3.0;
                    let from = [at[0] + f * (end[0] - at[0]), at[1] + f * (end[1] - at[1])];
                    let h = heading + turn;
                    let child = 0.6 * params.dendrite_length_um;
                    let cw = width(branch_at) / 2.0;
                    shape.dendrites.push(Segment {
                        a: from,
                        b: [from[0] + child * h.cos(), from[1] + child * h.sin()],
                        w0: cw,
                        w1: cw / 3.0,
                    });
                }
                at = end;
                heading += wander.sample(rng);
            }
        }
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn capsules_taper_and_shapes_reach_their_dendrites() {
        let s = Segment {
            a: [0.0, 0.0],
            b: [10.0, 0.0],
            w0: 4.0,
            w1: 2.0,
        };
        assert!(s.contains([0.0, 1.9]) && !s.contains([0.0, 2.1]));
        assert!(s.contains([10.0, 0.9]) && !s.contains([10.0, 1.1]));
        assert!(!s.contains([12.0, 0.0]));
        let p = PlaceNeurons {
            morphology: Morphology::Cytosolic,
            irregularity: 0.5,
            ..Default::default()
        };
        let shape = draw(&p, 6.0, &mut Stream::seed_from_u64(2));
        assert!(!shape.harmonics.is_empty());
        let reach = shape.reach_um();
        assert!(
            shape.dendrites.is_empty()
                || (reach > 6.0 && reach < 6.0 + 1.3 * 24.0 + 0.6 * 24.0 + 3.0)
        );
        assert!(draw(&PlaceNeurons::default(), 6.0, &mut Stream::seed_from_u64(2)).is_plain());
    }
}
