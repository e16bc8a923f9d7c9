//! Exact Poisson deviates for a mean that changes from draw to draw (one per pixel),
//! without building a distribution object per draw.
//!
//! - λ < 10: inversion by sequential search from 0 (one exponential, on average λ + 1
//!   steps of the pmf recursion p_k = p_{k−1}·λ·(1/k)).
//! - λ ≥ 10: Ahrens & Dieter's algorithm PD (1982, *ACM Trans. Math. Softw.* 8:163),
//!   the one R's `rpois` uses: a normal deviate G = λ + √λ·T; K = ⌊G⌋ is accepted at
//!   once when K ≥ ⌊λ − 1.1484⌋ (there the Poisson pmf exceeds the discretised normal),
//!   else by the squeeze 6λ²·U ≥ (λ − K)³; the rare rest goes through the quotient test
//!   against a Hermite-corrected normal and, for the mass the normal misses, a Laplace
//!   hat. Per draw it needs one normal (ziggurat) and, half of the time, one uniform;
//!   per λ one square root. Where the published algorithm approximates the Poisson
//!   pmf p_K (a polynomial for ln(1 + v) and two Stirling terms), this one evaluates
//!   p_K = exp(K ln λ − λ − ln K!) with `ln_factorial` (exact below 10, Stirling's
//!   series with five correction terms above, relative error < 1e-17), so the result
//!   is exact to floating-point rounding rather than to ~1e-8.
//!
//! Both are exact: the returned distribution is Poisson(λ) up to floating-point
//! rounding of the pmf (tested by χ² goodness of fit against the pmf for λ from 0.01 to
//! 60 000). Deterministic given the stream.
//!
//! [`Batch`] draws the same way for a whole row of means at once: the uniforms and
//! the normals of step N come from [`lanes`](super::lanes) (eight generators in
//! lock-step, Box–Muller normals), steps N, I and S run as one branch-free pass the
//! compiler vectorises, and only the pixels that pass neither test (or have λ < 10)
//! take the scalar path, with the batch's uniform.

use multiversion::multiversion;
use rand::RngExt;
use rand_distr::{Distribution, Exp1, StandardNormal};

use super::lanes::{self, Lanes};
use super::poisson_grid;
use crate::Stream;

/// Below this mean, inversion; from it on, PD.
pub const INVERSION_BELOW: f64 = 10.0;

/// Below this mean the batch draws on the grid of [`poisson_grid`], from it on by PD.
pub const GRID_BELOW: f64 = poisson_grid::BELOW;

/// Whether the batch settles a lane of mean `mu` on the grid ([`invert_small`]):
/// 0 < λ < [`GRID_BELOW`] (false for NaN).
#[inline(always)]
fn inverted(mu: f64) -> bool {
    mu > 0.0 && mu < GRID_BELOW
}

/// One Poisson(λ) deviate (0 for λ ≤ 0 or not finite).
#[inline]
pub fn sample(lambda: f64, rng: &mut Stream) -> f64 {
    if !(lambda > 0.0 && lambda.is_finite()) {
        return 0.0;
    }
    if lambda < INVERSION_BELOW {
        inversion(lambda, rng)
    } else {
        pd(lambda, lambda.sqrt(), rng)
    }
}

/// `sample` with √λ given (computed ahead, e.g. for a whole row at once, where it
/// vectorises); `sqrt_lambda` must be `lambda.sqrt()`.
#[inline]
pub fn sample_with_sqrt(lambda: f64, sqrt_lambda: f64, rng: &mut Stream) -> f64 {
    if !(lambda > 0.0 && lambda.is_finite()) {
        return 0.0;
    }
    if lambda < INVERSION_BELOW {
        inversion(lambda, rng)
    } else {
        pd(lambda, sqrt_lambda, rng)
    }
}

/// Sequential-search inversion.
#[inline(never)]
fn inversion(lambda: f64, rng: &mut Stream) -> f64 {
    inversion_with(lambda, rng.random())
}

/// Sequential-search inversion of the uniform `u` on [0, 1): p₀ = e^{−λ}
/// ([`lanes::exp_neg`]), p_k = p_{k−1}·(λ·(1/k)), the count is the first k whose
/// cumulative sum reaches u.
fn inversion_with(lambda: f64, u: f64) -> f64 {
    let mut p = lanes::exp_neg(lambda);
    let mut cdf = p;
    let mut k = 0.0;
    // The tail beyond 200 has probability < 1e-100 for λ < 10.
    while u > cdf && k < 200.0 {
        k += 1.0;
        p *= lambda * RECIPROCAL[k as usize];
        cdf += p;
    }
    k
}

/// 1/k for k = 0 … 200 (the inversion's longest search; entry 0 unused), each the
/// correctly rounded quotient.
const RECIPROCAL: [f64; 201] = {
    let mut r = [0.0; 201];
    let mut k = 1;
    while k < r.len() {
        r[k] = 1.0 / k as f64;
        k += 1;
    }
    r
};

/// Ahrens & Dieter's PD for λ ≥ 10 (s = √λ), with the exact pmf: the common case
/// inline, the rest out of line.
#[inline(always)]
fn pd(mu: f64, s: f64, rng: &mut Stream) -> f64 {
    // Step N: a normal sample; step I: immediate acceptance; step S: squeeze. The
    // uniform of step S is drawn for every deviate (it is independent of the rest),
    // so the common case is one predictable branch.
    let t: f64 = StandardNormal.sample(rng);
    let u: f64 = rng.random();
    let g = mu + s * t;
    // ⌊g⌋ for g ≥ 0 by truncation (a conversion instruction rather than a call);
    // negative g takes the slow path below, where k is not used.
    let k = (g as i64) as f64;
    let dif = mu - k;
    let immediate = k >= ((mu - 1.1484) as i64) as f64;
    let squeeze = 6.0 * mu * mu * u >= dif * dif * dif;
    if g >= 0.0 && (immediate | squeeze) {
        return k;
    }
    pd_rest(mu, s, g, u, k, rng)
}

/// Steps P, Q, E and H of PD (about 1 % of draws at λ = 300).
#[cold]
#[inline(never)]
fn pd_rest(mu: f64, s: f64, g: f64, u: f64, k: f64, rng: &mut Stream) -> f64 {
    // Step P: the Hermite-corrected discrete normal f_K = ω(c₀ + c₁x² + c₂x⁴ + c₃x⁶)e^{−x²/2}.
    let omega = FRAC_1_SQRT_2PI / s;
    let b1 = 1.0 / (24.0 * mu);
    let b2 = 0.3 * b1 * b1;
    let c3 = b1 * b2 / 7.0;
    let c2 = b2 - 15.0 * c3;
    let c1 = b1 - 6.0 * b2 + 45.0 * c3;
    let c0 = 1.0 - b1 + 3.0 * b2 - 15.0 * c3;
    let c = 0.1069 / mu;
    let ln_mu = mu.ln();
    // ln p_K and the proposal's ln-density parts at K.
    let at = |k: f64| {
        let x = (k + 0.5 - mu) / s;
        let xx = x * x;
        let ln_pk = k * ln_mu - mu - ln_factorial(k);
        let fy = omega * (((c3 * xx + c2) * xx + c1) * xx + c0);
        (ln_pk, -0.5 * xx, fy)
    };
    if g >= 0.0 {
        // Step Q: quotient acceptance.
        let (ln_pk, fx, fy) = at(k);
        if fy - u * fy <= (ln_pk - fx).exp() {
            return k;
        }
    }
    loop {
        // Step E: a double-exponential sample t = 1.8 ± E; step H: hat acceptance.
        let e: f64 = Exp1.sample(rng);
        let u: f64 = 2.0 * rng.random::<f64>() - 1.0;
        let t = 1.8 + if u < 0.0 { -e } else { e };
        if t > -0.6744 {
            let k = (mu + s * t).floor();
            let (ln_pk, fx, fy) = at(k);
            if c * u.abs() <= (ln_pk + e).exp() - fy * (fx + e).exp() {
                return k;
            }
        }
    }
}

/// Means per step of a [`Batch`].
pub const CHUNK: usize = 64;

/// Exact Poisson deviates together with independent standard normals, for many
/// means at once (one per pixel), vectorised.
///
/// Per mean λ the batch takes three 64-bit words from its lanes: two make a
/// Box–Muller pair (one normal is step N's T, the other is returned), one makes the
/// uniform U of step S (or of the inversion for λ < 10). The deviate is PD's as in
/// [`sample`]; the rare pixels PD does not accept at once continue in [`pd_rest`]
/// with further draws from the scalar stream given to each call. Deterministic given
/// the lanes' seed, the scalar stream and the sequence of means (including how they
/// are split into calls: every call starts a new step of `CHUNK` means).
#[derive(Debug, Clone)]
pub struct Batch {
    lanes: Lanes,
    /// Scratch of one step, kept across calls: digitize calls once per `CHUNK` means,
    /// and zeroing ~4 KB of stack per call cost 7 % of a pipeline's CPU.
    step: Step,
    /// Outputs of a step that ends a call with fewer than `CHUNK` means.
    tail: ([f64; CHUNK], [f64; CHUNK]),
}

/// Per-step intermediate values of a batch.
#[derive(Debug, Clone)]
struct Step {
    mean: [f64; CHUNK],
    g: [f64; CHUNK],
    u: [f64; CHUNK],
    accepted: [bool; CHUNK],
    raw: [u64; 3 * CHUNK],
    /// U₂ of the lanes inverted on the grid (drawn only for steps that have one).
    extra: [u64; CHUNK],
    /// Lanes the grid pass leaves to the full search.
    open: [bool; CHUNK],
}

impl Batch {
    /// A batch whose lanes are seeded from `rng`.
    pub fn new(rng: &mut Stream) -> Self {
        Batch {
            lanes: Lanes::from_stream(rng),
            step: Step {
                mean: [0.0; CHUNK],
                g: [0.0; CHUNK],
                u: [0.0; CHUNK],
                accepted: [false; CHUNK],
                raw: [0; 3 * CHUNK],
                extra: [0; CHUNK],
                open: [false; CHUNK],
            },
            tail: ([0.0; CHUNK], [0.0; CHUNK]),
        }
    }

    /// For each mean, one Poisson(mean) count (0 for a mean ≤ 0 or not finite) into
    /// `counts` and one standard normal into `normals`; the slices have one length.
    pub fn poisson_normal(
        &mut self,
        means: &[f64],
        counts: &mut [f64],
        normals: &mut [f64],
        rng: &mut Stream,
    ) {
        assert!(means.len() == counts.len() && means.len() == normals.len());
        let Batch { lanes, step, tail } = self;
        for ((m, k), z) in means
            .chunks(CHUNK)
            .zip(counts.chunks_mut(CHUNK))
            .zip(normals.chunks_mut(CHUNK))
        {
            let n = m.len();
            step.mean[..n].copy_from_slice(m);
            step.mean[n..].fill(0.0);
            // A whole step writes straight into the caller's slices; the last, shorter
            // one goes through `tail`. `fast_step` writes every lane, so neither needs
            // clearing.
            if let (Ok(k), Ok(z)) = (
                <&mut [f64; CHUNK]>::try_from(&mut *k),
                <&mut [f64; CHUNK]>::try_from(&mut *z),
            ) {
                one_step(lanes, step, n, k, z, rng);
            } else {
                one_step(lanes, step, n, &mut tail.0, &mut tail.1, rng);
                k.copy_from_slice(&tail.0[..n]);
                z.copy_from_slice(&tail.1[..n]);
            }
        }
    }
}

/// One step of [`Batch::poisson_normal`] over `step.mean` (its first `n` lanes are the
/// caller's): every lane's candidate count and normal, the inversion of the dim lanes,
/// and PD's later steps for the first `n` lanes neither settles.
#[inline(always)]
fn one_step(
    lanes: &mut Lanes,
    step: &mut Step,
    n: usize,
    counts: &mut [f64; CHUNK],
    normals: &mut [f64; CHUNK],
    rng: &mut Stream,
) {
    // A step without a lane for PD (dim frames: the grid settles every lane, and λ ≤ 0
    // or not finite gives 0) skips PD's arithmetic; the draws and bits are the same.
    if step
        .mean
        .iter()
        .fold(false, |any, &m| any | (m >= GRID_BELOW))
    {
        fast_step(lanes, step, counts, normals);
    } else {
        dim_step(lanes, step, counts, normals);
    }
    invert_small(lanes, step, counts);
    // Whether any lane is left, by one pass without branches (dim steps have none).
    let pending = step.accepted[..n]
        .iter()
        .zip(&step.mean[..n])
        .fold(false, |any, (&accepted, &mu)| {
            any | !(accepted | inverted(mu))
        });
    if !pending {
        return;
    }
    for (i, k) in counts[..n].iter_mut().enumerate() {
        let mu = step.mean[i];
        let settled = step.accepted[i] || inverted(mu);
        if !settled {
            *k = slow(mu, step.g[i], step.u[i], *k, rng);
        }
    }
}

/// The pixels neither the vector pass nor [`invert_small`] settles: λ ≤ 0 or not
/// finite (0), PD's later steps (λ ≥ 10).
#[cold]
fn slow(mu: f64, g: f64, u: f64, k: f64, rng: &mut Stream) -> f64 {
    if !(mu > 0.0 && mu.is_finite()) {
        0.0
    } else {
        pd_rest(mu, mu.sqrt(), g, u, k, rng)
    }
}

/// Every lane with 0 < λ < 32 by the grid tables of [`poisson_grid`]: for a step with
/// any such lane, a fourth word per lane from the lanes (U₂; U₁ is the step's
/// uniform), then one branch-free pass over all lanes (guide entry, one comparison,
/// the remainder's first three terms) that the compiler vectorises with gathers, and
/// [`poisson_grid::invert`] for the 0.3–1 % of lanes that pass leaves unsettled. Every
/// lane's count is `poisson_grid::invert(λ, U₁, U₂)` bit for bit (tested); lanes it
/// does not own keep what they held.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
fn invert_small(lanes: &mut Lanes, step: &mut Step, counts: &mut [f64; CHUNK]) {
    invert_small_generic(lanes, step, counts);
}

/// Length of the flat guide table.
const GUIDE_LEN: usize = poisson_grid::ROWS * poisson_grid::GUIDE;

/// [`invert_small`]'s body, for each instruction set (and the baseline, for tests).
#[inline(always)]
fn invert_small_generic(lanes: &mut Lanes, step: &mut Step, counts: &mut [f64; CHUNK]) {
    // Bright frames have no lane to invert: one vectorised test over the chunk.
    if !step.mean.iter().fold(false, |any, &m| any | inverted(m)) {
        return;
    }
    lanes.fill(&mut step.extra);
    let guide: &[u32; GUIDE_LEN] = &poisson_grid::tables().guide;
    let (_, words) = step.raw.split_at(2 * CHUNK);
    let mut any_open = false;
    for i in 0..CHUNK {
        let m = step.mean[i];
        let dim = inverted(m);
        let (q, r) = poisson_grid::split(if dim { m } else { 0.0 });
        // Poisson(λ_q): the top bits of U₁ (the step's uniform, from `words`) against
        // the cell's guide entry, one load and integer comparisons; equal top bits
        // are left to the full search (the mask only spells out to the compiler that
        // the index is in bounds: q < 128).
        let cell = (words[i] >> poisson_grid::WORD_TO_CELL) as usize;
        let top = (words[i] >> poisson_grid::WORD_TO_TOP) as u32;
        let entry = guide[(poisson_grid::index(q) * poisson_grid::GUIDE + cell) & (GUIDE_LEN - 1)];
        let threshold = entry >> poisson_grid::TOP_SHIFT;
        let above = top > threshold;
        let k = (entry & (poisson_grid::KMAX as u32 - 1)) + above as u32;
        let open_grid = (above & (entry & poisson_grid::MULTI != 0)) | (top == threshold);
        // Poisson(r): 0, 1 or 2 by the cumulative sums' estimates, certain outside
        // their margin; near an estimate, or for a count above 2, the full search.
        let u2 = lanes::unit(step.extra[i]);
        let [f0, f1, f2] = poisson_grid::remainder_estimates(r);
        let step_at = |f: f64| if u2 >= f { 1.0 } else { 0.0 };
        let k2 = step_at(f0) + step_at(f1) + step_at(f2);
        let near = ((u2 - f0).abs() < poisson_grid::MARGIN)
            | ((u2 - f1).abs() < poisson_grid::MARGIN)
            | (u2 >= f2 - poisson_grid::MARGIN);
        let open = dim & (open_grid | near);
        if dim {
            counts[i] = poisson_grid::whole(k as usize) + k2;
        }
        step.open[i] = open;
        any_open |= open;
    }
    if any_open {
        for (i, k) in counts.iter_mut().enumerate() {
            if step.open[i] {
                let u2 = lanes::unit(step.extra[i]);
                *k = poisson_grid::invert(step.mean[i], step.u[i], u2);
            }
        }
    }
}

/// One step of the vector pass, compiled for the best instruction set the CPU has.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
fn fast_step(
    lanes: &mut Lanes,
    step: &mut Step,
    counts: &mut [f64; CHUNK],
    normals: &mut [f64; CHUNK],
) {
    fast_step_generic(lanes, step, counts, normals);
}

/// Steps N, I and S of PD for `CHUNK` means: draws, the candidate K, and whether it
/// is accepted (never for λ below [`GRID_BELOW`] or not finite).
#[inline(always)]
fn fast_step_generic(
    lanes: &mut Lanes,
    step: &mut Step,
    counts: &mut [f64; CHUNK],
    normals: &mut [f64; CHUNK],
) {
    lanes.fill(&mut step.raw);
    let (a, rest) = step.raw.split_at(CHUNK);
    let (b, c) = rest.split_at(CHUNK);
    for i in 0..CHUNK {
        let mu = step.mean[i];
        let (t, z) = lanes::box_muller(a[i], b[i]);
        let u = lanes::unit(c[i]);
        let g = mu + mu.sqrt() * t;
        let k = g.trunc();
        let dif = mu - k;
        let immediate = k >= (mu - 1.1484).trunc();
        let squeeze = 6.0 * mu * mu * u >= dif * dif * dif;
        #[allow(clippy::manual_range_contains)] // two compares, vectorised
        let pd = (mu >= GRID_BELOW) & (mu < f64::INFINITY) & (g >= 0.0);
        step.accepted[i] = pd & (immediate | squeeze);
        step.g[i] = g;
        step.u[i] = u;
        counts[i] = k;
        normals[i] = z;
    }
}

/// [`fast_step`] for a step without a lane for PD: the same draws, but only what the
/// grid needs of them (each lane's normal and uniform; no √λ, no candidate), so the
/// same bits; no lane is accepted.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "aarch64+neon"
))]
fn dim_step(
    lanes: &mut Lanes,
    step: &mut Step,
    counts: &mut [f64; CHUNK],
    normals: &mut [f64; CHUNK],
) {
    dim_step_generic(lanes, step, counts, normals);
}

/// [`dim_step`]'s body, for each instruction set (and the baseline, for tests).
#[inline(always)]
fn dim_step_generic(
    lanes: &mut Lanes,
    step: &mut Step,
    counts: &mut [f64; CHUNK],
    normals: &mut [f64; CHUNK],
) {
    lanes.fill(&mut step.raw);
    let (a, rest) = step.raw.split_at(CHUNK);
    let (b, c) = rest.split_at(CHUNK);
    for i in 0..CHUNK {
        let (_, z) = lanes::box_muller(a[i], b[i]);
        step.accepted[i] = false;
        step.g[i] = 0.0;
        step.u[i] = lanes::unit(c[i]);
        counts[i] = 0.0;
        normals[i] = z;
    }
}

/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// ln(k!) for whole k ≥ 0: exact values below 10, Stirling's series for ln Γ(k + 1)
/// with five correction terms above (the first omitted term is below 1e-17 of the
/// value for k ≥ 10).
pub fn ln_factorial(k: f64) -> f64 {
    if k < SMALL.len() as f64 {
        return SMALL[k as usize];
    }
    let n = k + 1.0;
    let inv = 1.0 / n;
    let inv2 = inv * inv;
    let series = inv
        * (1.0 / 12.0
            - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 / 1188.0))));
    (n - 0.5) * n.ln() - n + 0.918_938_533_204_672_8 + series
}

/// ln(k!) for k = 0 … 9.
const SMALL: [f64; 10] = [
    0.0,
    0.0,
    std::f64::consts::LN_2,
    1.791_759_469_228_055,
    3.178_053_830_347_945_8,
    4.787_491_742_782_046,
    6.579_251_212_010_101,
    8.525_161_361_065_415,
    10.604_602_902_745_25,
    12.801_827_480_081_469,
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The Poisson pmf at every k with non-negligible mass, computed independently of
    /// `ln_factorial`: recursion from the mode in both directions, normalised.
    fn pmf(lambda: f64) -> (u64, Vec<f64>) {
        let mode = lambda.floor() as u64;
        let span = (12.0 * lambda.sqrt() + 30.0) as u64;
        let lo = mode.saturating_sub(span);
        let hi = mode + span;
        let mut p = vec![0.0f64; (hi - lo + 1) as usize];
        let m = (mode - lo) as usize;
        p[m] = 1.0;
        for i in (0..m).rev() {
            let k = lo + i as u64;
            p[i] = p[i + 1] * (k + 1) as f64 / lambda;
        }
        for i in m + 1..p.len() {
            let k = lo + i as u64;
            p[i] = p[i - 1] * lambda / k as f64;
        }
        let total: f64 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= total);
        (lo, p)
    }

    /// Upper quantile of χ²(df) at significance 1e-6 (Wilson–Hilferty).
    fn chi2_critical(df: f64) -> f64 {
        let z = 4.753_424_308_8; // Φ⁻¹(1 − 1e-6)
        let t = 1.0 - 2.0 / (9.0 * df) + z * (2.0 / (9.0 * df)).sqrt();
        df * t * t * t
    }

    /// χ² statistic and its critical value for `draws` deviates of `draw` against
    /// the Poisson(λ) pmf (bins of expected count ≥ 5, tails pooled); panics if a
    /// deviate falls where the pmf has no mass.
    fn chi2(lambda: f64, draws: usize, mut draw: impl FnMut() -> f64) -> (f64, f64) {
        let (lo, p) = pmf(lambda);
        let mut counts = vec![0u64; p.len()];
        for _ in 0..draws {
            let k = draw();
            assert!(k >= 0.0 && k.fract() == 0.0, "λ {lambda}: {k}");
            // Mass outside the window is < 1e-30: a draw there is a failure.
            let i = (k as u64)
                .checked_sub(lo)
                .filter(|&i| (i as usize) < p.len())
                .unwrap_or_else(|| panic!("λ {lambda}: {k} outside the pmf's support window"));
            counts[i as usize] += 1;
        }
        let (mut stat, mut bins) = (0.0, 0usize);
        let (mut exp_acc, mut obs_acc) = (0.0, 0.0);
        let mut rest: f64 = draws as f64;
        for (&c, &q) in counts.iter().zip(&p) {
            exp_acc += q * draws as f64;
            obs_acc += c as f64;
            rest -= q * draws as f64;
            if exp_acc >= 5.0 && rest >= 5.0 {
                stat += (obs_acc - exp_acc).powi(2) / exp_acc;
                bins += 1;
                exp_acc = 0.0;
                obs_acc = 0.0;
            }
        }
        stat += (obs_acc - exp_acc).powi(2) / exp_acc.max(1e-300);
        bins += 1;
        (stat, chi2_critical((bins - 1) as f64))
    }

    #[test]
    fn chi_square_goodness_of_fit_against_the_pmf() {
        for (seed, &lambda) in [0.01, 0.5, 3.0, 11.9, 12.1, 40.0, 300.0, 5000.0, 60000.0]
            .iter()
            .enumerate()
        {
            let mut rng = Stream::seed_from_u64(1000 + seed as u64);
            let (stat, critical) = chi2(lambda, 1_000_000, || sample(lambda, &mut rng));
            assert!(
                stat < critical,
                "λ {lambda}: χ² = {stat:.1} (critical {critical:.1})"
            );
        }
    }

    /// The test has power: a rounded normal approximation, wrong by ~1/√λ in skewness,
    /// is rejected at the same sample size.
    #[test]
    fn chi_square_rejects_the_normal_approximation() {
        use rand_distr::{Distribution, StandardNormal};
        for &lambda in &[3.0, 40.0] {
            let mut rng = Stream::seed_from_u64(7);
            let (stat, critical) = chi2(lambda, 1_000_000, || {
                let z: f64 = StandardNormal.sample(&mut rng);
                (lambda + lambda.sqrt() * z).round().max(0.0)
            });
            assert!(
                stat > critical,
                "λ {lambda}: χ² = {stat:.1} ≤ {critical:.1}"
            );
        }
    }

    #[test]
    fn ln_factorial_matches_the_sum_of_logs() {
        let mut acc = 0.0f64;
        for k in 0..2000u64 {
            if k > 0 {
                acc += (k as f64).ln();
            }
            let got = ln_factorial(k as f64);
            assert!(
                (got - acc).abs() <= 1e-12 * acc.max(1.0),
                "{k}: {got} vs {acc}"
            );
        }
        assert_eq!(sample(0.0, &mut Stream::seed_from_u64(1)), 0.0);
        assert_eq!(sample(f64::NAN, &mut Stream::seed_from_u64(1)), 0.0);
    }

    /// The batched sampler passes the same χ² tests at the same λ, and its normals
    /// are standard and uncorrelated with the counts.
    #[test]
    fn batch_chi_square_goodness_of_fit_against_the_pmf() {
        // The means, then means off the grid of `poisson_grid` (remainders
        // up to just below 1/4, up to just below 32, where PD takes over).
        let means = [
            0.01, 0.5, 3.0, 11.9, 12.1, 40.0, 300.0, 5000.0, 60000.0, 0.24, 1.37, 7.7, 9.99, 21.3,
            31.99, 32.0,
        ];
        for (seed, &lambda) in means.iter().enumerate() {
            let mut rng = Stream::seed_from_u64(2000 + seed as u64);
            let mut batch = Batch::new(&mut rng);
            // Rows of 500 (a partial last step per row, as digitize has).
            let n = 1_000_000;
            let means = vec![lambda; 500];
            let (mut k, mut z) = (vec![0.0; 500], vec![0.0; 500]);
            let mut counts = Vec::with_capacity(n);
            let mut normals = Vec::with_capacity(n);
            while counts.len() < n {
                batch.poisson_normal(&means, &mut k, &mut z, &mut rng);
                counts.extend_from_slice(&k);
                normals.extend_from_slice(&z);
            }
            let mut it = counts.iter();
            let (stat, critical) = chi2(lambda, n, || *it.next().expect("n draws"));
            assert!(
                stat < critical,
                "λ {lambda}: χ² = {stat:.1} (critical {critical:.1})"
            );
            let m = n as f64;
            let zm = normals.iter().sum::<f64>() / m;
            let zv = normals.iter().map(|v| (v - zm).powi(2)).sum::<f64>() / m;
            assert!(zm.abs() < 5.0 / m.sqrt(), "λ {lambda}: normal mean {zm}");
            assert!(
                (zv - 1.0).abs() < 5.0 * (2.0 / m).sqrt(),
                "λ {lambda}: normal var {zv}"
            );
            let km = counts.iter().sum::<f64>() / m;
            let ksd = (counts.iter().map(|v| (v - km).powi(2)).sum::<f64>() / m).sqrt();
            if ksd > 0.0 {
                let r = counts
                    .iter()
                    .zip(&normals)
                    .map(|(k, z)| (k - km) * (z - zm))
                    .sum::<f64>()
                    / (m * ksd * zv.sqrt());
                assert!(r.abs() < 5.0 / m.sqrt(), "λ {lambda}: correlation {r}");
            }
        }
    }

    /// The vector passes (steps N, I, S, the PD-free pass and the grid pass) give the
    /// same bits on every instruction set: the dispatched versions (AVX-512 or AVX2
    /// where the CPU has them) against the baseline build of the same code, over means
    /// of every kind; the PD-free pass gives the full pass's draws.
    #[test]
    fn batch_is_the_same_on_every_instruction_set() {
        let mut rng = Stream::seed_from_u64(5);
        let specials = [0.0, -1.0, f64::NAN, f64::INFINITY, 9.999, 10.0, 1e7];
        let mut lanes_a = Lanes::from_stream(&mut rng.clone());
        let mut lanes_b = lanes_a.clone();
        for round in 0..2000 {
            let mut mean = [0.0; CHUNK];
            for (i, m) in mean.iter_mut().enumerate() {
                let u: f64 = rng.random();
                *m = if (round + i) % 17 == 0 {
                    specials[(round + i) % specials.len()]
                } else {
                    (u * 12.0).exp() - 1.0
                };
            }
            let new_step = || Step {
                mean,
                g: [0.0; CHUNK],
                u: [0.0; CHUNK],
                accepted: [false; CHUNK],
                raw: [0; 3 * CHUNK],
                extra: [0; CHUNK],
                open: [false; CHUNK],
            };
            let (mut sa, mut sb) = (new_step(), new_step());
            let (mut ka, mut kb, mut za, mut zb) =
                ([0.0; CHUNK], [0.0; CHUNK], [0.0; CHUNK], [0.0; CHUNK]);
            fast_step(&mut lanes_a, &mut sa, &mut ka, &mut za);
            fast_step_generic(&mut lanes_b, &mut sb, &mut kb, &mut zb);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&ka), bits(&kb));
            assert_eq!(bits(&za), bits(&zb));
            assert_eq!(bits(&sa.g), bits(&sb.g));
            assert_eq!(bits(&sa.u), bits(&sb.u));
            assert_eq!(sa.accepted, sb.accepted);
            // The PD-free pass gives what the grid and the caller read (normals,
            // uniforms, the words and the lanes' state) to the bit of the full pass.
            let all_dim = mean.map(|m| if m >= GRID_BELOW { 5.0 } else { m });
            let (mut da, mut db) = (new_step(), new_step());
            (da.mean, db.mean) = (all_dim, all_dim);
            let (mut full, mut full_lanes) = (new_step(), lanes_a.clone());
            full.mean = all_dim;
            let (mut dka, mut dza, mut dkb, mut dzb, mut fk, mut fz) = (
                [0.0; CHUNK],
                [0.0; CHUNK],
                [0.0; CHUNK],
                [0.0; CHUNK],
                [0.0; CHUNK],
                [0.0; CHUNK],
            );
            let (mut dim_a, mut dim_b) = (lanes_a.clone(), lanes_a.clone());
            dim_step(&mut dim_a, &mut da, &mut dka, &mut dza);
            dim_step_generic(&mut dim_b, &mut db, &mut dkb, &mut dzb);
            fast_step_generic(&mut full_lanes, &mut full, &mut fk, &mut fz);
            assert_eq!(bits(&dza), bits(&dzb));
            assert_eq!(bits(&da.u), bits(&db.u));
            assert_eq!(bits(&dza), bits(&fz));
            assert_eq!(bits(&da.u), bits(&full.u));
            assert_eq!(da.raw, full.raw);
            assert_eq!(dim_a, full_lanes);
            assert!(da.accepted.iter().chain(&full.accepted).all(|&a| !a));
            let (mut ia, mut ib) = (ka, kb);
            invert_small(&mut lanes_a, &mut sa, &mut ia);
            invert_small_generic(&mut lanes_b, &mut sb, &mut ib);
            assert_eq!(bits(&ia), bits(&ib));
            assert_eq!(lanes_a, lanes_b);
        }
    }

    /// The grid pass gives each lane exactly `poisson_grid::invert`'s count (the whole
    /// search written out, in floating point) with the step's uniform and a fourth
    /// word of the lanes,
    /// over means below and above 10, on and just below grid points, special values
    /// and uniforms up to the largest the lanes give (the longest searches); lanes it
    /// does not own keep what they held, and a step without a dim lane draws nothing.
    #[test]
    fn grid_pass_is_the_whole_search_bit_for_bit() {
        let mut rng = Stream::seed_from_u64(6);
        let mut lanes = Lanes::from_stream(&mut rng);
        let specials = [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e-300,
            9.999_999,
            10.0,
            31.999_999,
            32.0,
            3e4,
        ];
        let mut opened = 0;
        for round in 0..5000 {
            let mut mean = [0.0; CHUNK];
            let mut u = [0.0; CHUNK];
            let mut step = Batch::new(&mut rng).step;
            for i in 0..CHUNK {
                let a: f64 = rng.random();
                let q = (a * 128.0).floor() / 4.0;
                mean[i] = match (round + i) % 13 {
                    _ if round % 50 == 49 => 40.0 + a,
                    0 => specials[(round + i) % specials.len()],
                    1 => a * 0.05,
                    2 => q,
                    3 => q - f64::EPSILON * q,
                    _ => a * 32.0,
                };
                // The step's uniform and the word it came from, as `fast_step`
                // leaves them.
                let word = if (round + i) % 29 == 0 {
                    u64::MAX
                } else {
                    rng.random()
                };
                step.raw[2 * CHUNK + i] = word;
                u[i] = lanes::unit(word);
            }
            (step.mean, step.u) = (mean, u);
            let before = lanes.clone();
            let mut words = [0u64; CHUNK];
            lanes.clone().fill(&mut words);
            let mut counts = [-7.0; CHUNK];
            invert_small(&mut lanes, &mut step, &mut counts);
            let any_dim = mean.iter().any(|&m| m > 0.0 && m < GRID_BELOW);
            assert_eq!(lanes == before, !any_dim, "round {round}");
            for i in 0..CHUNK {
                let expected = if mean[i] > 0.0 && mean[i] < GRID_BELOW {
                    poisson_grid::invert(mean[i], u[i], lanes::unit(words[i]))
                } else {
                    -7.0
                };
                opened += step.open[i] as usize;
                assert_eq!(
                    counts[i].to_bits(),
                    expected.to_bits(),
                    "λ = {}, u = {}",
                    mean[i],
                    u[i]
                );
            }
        }
        // The fallback ran (the ≈ 1 % the single comparison leaves).
        assert!(opened > 100, "{opened}");
    }

    /// Mean and variance of the batch's counts equal λ within 5 standard errors at 90
    /// means from 0.05 to 36 (across the grid, its upper end and PD's start), each
    /// over 10⁶ draws in rows that mix seven nearby means, as frames do.
    #[test]
    fn batch_moments_are_poisson_across_the_grid() {
        let mut rng = Stream::seed_from_u64(77);
        let mut batch = Batch::new(&mut rng);
        for j in 0..90 {
            let base = j as f64 * 0.4 + 0.05;
            let means: Vec<f64> = (0..512).map(|i| base + (i % 7) as f64 * 0.013).collect();
            let (mut k, mut z) = (vec![0.0; 512], vec![0.0; 512]);
            let (mut s1, mut s2, mut n, mut lam) = (0.0, 0.0, 0.0, 0.0);
            for _ in 0..2000 {
                batch.poisson_normal(&means, &mut k, &mut z, &mut rng);
                for (kk, m) in k.iter().zip(&means) {
                    let d = kk - m;
                    (s1, s2, n, lam) = (s1 + d, s2 + d * d, n + 1.0, lam + m);
                }
            }
            let lam = lam / n;
            let bias = s1 / n;
            let var = s2 / n - bias * bias;
            // SE of the mean √(λ/n); of the variance over λ √((1/λ + 2)/n).
            let z_mean = bias / (lam / n).sqrt();
            let z_var = (var / lam - 1.0) / ((1.0 / lam + 2.0) / n).sqrt();
            assert!(z_mean.abs() < 5.0, "λ {lam}: mean off by {z_mean} SE");
            assert!(z_var.abs() < 5.0, "λ {lam}: variance off by {z_var} SE");
        }
    }
}
