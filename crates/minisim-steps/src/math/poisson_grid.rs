//! Poisson deviates for means below 32 by table lookup: Poisson(λ) is the sum of
//! Poisson(λ_q) on a grid of means, whose cumulative distributions are tabulated once,
//! and an independent Poisson(r) of the remainder r = λ − λ_q < 1/4, almost always 0.
//!
//! - The grid: λ_q = q/4 for q = 0 … 127 (λ_q = ⌊4λ⌋/4, so r = λ − λ_q is exact and
//!   lies in [0, 1/4)).
//! - Poisson(λ_q) by inversion of one uniform U₁ on [0, 1): the count is the smallest
//!   k with U₁ < F_q(k), where F_q(k) = Σ_{j ≤ k} p_j is summed from p₀ = e^{−λ_q}
//!   ([`lanes::exp_neg`]) by p_j = p_{j−1}·λ_q·(1/j), the same recursion as the
//!   sequential inversion of [`poisson`](super::poisson). The search starts at a guide
//!   entry (Chen & Asau 1974, *Z. Oper. Res.* 18:161; Devroye 1986, *Non-Uniform Random
//!   Variate Generation*, §III.2.4): for U₁ in [j/G, (j+1)/G) the count is at least
//!   k₀, the smallest k with F_q(k) > j/G. Each 32-bit guide entry packs k₀, whether
//!   F_q(k₀ + 1) also falls inside the cell, and the top 24 bits of ⌈2⁵²F_q(k₀)⌉ (U₁
//!   has 52 random bits, so U₁ < F ⟺ 2⁵²U₁ < ⌈2⁵²F⌉ exactly, and the top bits decide
//!   it unless they are equal, probability 2⁻²⁴); one load and one integer
//!   comparison then settle the count in 99.1–99.8 % of draws (G = 256).
//! - Poisson(r) by inversion of a second uniform U₂ (sequential search from
//!   p₀ = e^{−r} ≥ 0.78). The vector pass compares U₂ with estimates of e^{−r},
//!   e^{−r}(1 + r) and e^{−r}(1 + r + r²/2) by a short series
//!   ([`remainder_estimates`], within [`MARGIN`]/2 of the search's own sums) and
//!   decides 0, 1 or 2 where U₂ is farther than [`MARGIN`] from each; the rest (a
//!   count above 2, probability below 0.22 % and 0.056 % on average over r, or U₂
//!   within the margin, 3·10⁻⁶) takes the full search. (Deciding 0 or 1 only left
//!   0.92 % of draws to the search.)
//!
//! The sum of independent Poisson counts is Poisson with the summed mean, so the
//! result is exact up to the rounding of the tabulated sums, as the sequential
//! inversion is. The tables end at k = [`KMAX`] − 1, where Poisson(32) has mass below
//! 1e-35 beyond. Below 32, PD (the batch's method above) leaves 3–5 % of draws to
//! its scalar steps (0.8 % at λ = 300), which made those means the slowest.
//! Deterministic and platform-independent: the tables are built with IEEE operations
//! in a fixed order and [`lanes::exp_neg`]'s fixed polynomial.

use std::sync::OnceLock;

use super::lanes;

/// The means the grid covers: 0 ≤ λ < `BELOW`.
pub const BELOW: f64 = 32.0;
/// Means per unit of the grid (λ_q = q / `PER_UNIT`).
pub const PER_UNIT: f64 = 4.0;
/// Grid points (q = 0 … 127); a power of two, so a masked index is in bounds without
/// a check.
pub const ROWS: usize = 128;
/// Tabulated counts per grid point (k = 0 … 127); a power of two, so `q·KMAX + k`
/// is a shift and an or.
pub const KMAX: usize = 128;
/// Guide cells per grid point.
pub const GUIDE: usize = 256;

/// The tables of every grid point: `cdf[q·KMAX + k]` = F_q(k) (the last entry of
/// each row +∞), `guide[q·GUIDE + j]` the guide entry of cell j (see
/// [`Tables::guide`]).
#[derive(Debug)]
pub struct Tables {
    /// F_q(k), `ROWS × KMAX`.
    pub cdf: Box<[f64; ROWS * KMAX]>,
    /// Guide entries, `ROWS × GUIDE`, 32 bits so that the rows a frame uses stay in
    /// cache: bits 0–6 hold k₀ (the smallest k with F_q(k) > j/GUIDE), bit 7 is set
    /// when F_q(k₀ + 1) lies inside the cell too (a count above k₀ + 1 is possible
    /// there), bits 8–31 the top 24 of the threshold's 52 bits:
    /// min(⌊T/2²⁸⌋, 2²⁴ − 1) with T = ⌈2⁵²·F_q(k₀)⌉, so that U₁ < F_q(k₀) ⟺ 2⁵²U₁ < T
    /// is decided by the top 24 bits of 2⁵²U₁ except when they equal it (probability
    /// 2⁻²⁴ per draw), which is left to the full search.
    pub guide: Box<[u32; ROWS * GUIDE]>,
}

/// Bit of a guide entry set when the cell holds a second cumulative sum.
pub const MULTI: u32 = 1 << 7;
/// Shift of the threshold's top bits in a guide entry.
pub const TOP_SHIFT: u32 = 8;
/// Shift from a 64-bit random word to the top 24 of the 52 bits of its uniform.
pub const WORD_TO_TOP: u64 = 64 - 24;
/// Shift from a 64-bit random word to the guide cell of its uniform (8 bits).
pub const WORD_TO_CELL: u64 = 64 - 8;

/// The top 24 bits of ⌈2⁵²·F⌉ for 0 ≤ F ≤ 1 (capped at 2²⁴ − 1; also for +∞).
fn threshold_top(f: f64) -> u32 {
    let cap = (1 << 24) - 1;
    if f.is_finite() {
        (((f * lanes::TWO_52).ceil() as u64) >> 28).min(cap) as u32
    } else {
        cap as u32
    }
}

/// The tables, built on first use.
pub fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build)
}

fn build() -> Tables {
    let mut cdf: Box<[f64; ROWS * KMAX]> = vec![f64::INFINITY; ROWS * KMAX]
        .into_boxed_slice()
        .try_into()
        .expect("ROWS × KMAX");
    let mut guide: Box<[u32; ROWS * GUIDE]> = vec![0; ROWS * GUIDE]
        .into_boxed_slice()
        .try_into()
        .expect("ROWS × GUIDE");
    for q in 0..ROWS {
        let lambda = q as f64 / PER_UNIT;
        let row = &mut cdf[q * KMAX..(q + 1) * KMAX];
        let mut p = lanes::exp_neg(lambda);
        let mut sum = p;
        row[0] = sum;
        for (k, f) in row.iter_mut().enumerate().take(KMAX - 1).skip(1) {
            p *= lambda * (1.0 / k as f64);
            sum += p;
            *f = sum;
        }
        // row[KMAX − 1] stays +∞: every search ends there at the latest.
        let mut k = 0;
        for (j, g) in guide[q * GUIDE..(q + 1) * GUIDE].iter_mut().enumerate() {
            let edge = j as f64 / GUIDE as f64;
            while row[k] <= edge {
                k += 1;
            }
            let next_edge = (j + 1) as f64 / GUIDE as f64;
            let multi = k + 1 < KMAX && row[k + 1] < next_edge;
            *g = k as u32 | if multi { MULTI } else { 0 } | threshold_top(row[k]) << TOP_SHIFT;
        }
    }
    Tables { cdf, guide }
}

/// The grid point below `lambda` (0 ≤ λ < 32) and the remainder: (q, λ − q/4).
#[inline(always)]
pub fn split(lambda: f64) -> (f64, f64) {
    let q = (lambda * PER_UNIT).trunc();
    (q, lambda - q * (1.0 / PER_UNIT))
}

/// A whole number 0 ≤ x < 2⁵² as an index ([`lanes::whole_to_bits`]), which
/// vectorises.
#[inline(always)]
pub fn index(x: f64) -> usize {
    lanes::whole_to_bits(x) as usize
}

/// A count k < 2⁵² as an `f64` ([`lanes::bits_to_whole`], the inverse of [`index`]),
/// which vectorises.
#[inline(always)]
pub fn whole(k: usize) -> f64 {
    lanes::bits_to_whole(k as u64)
}

/// How far U₂ must be from an estimate of [`remainder_estimates`] for the comparison
/// to be the search's own.
pub const MARGIN: f64 = 1e-6;

/// Estimates of the remainder's first three cumulative sums e^{−r}, e^{−r}(1 + r) and
/// e^{−r}(1 + r + r²/2) for 0 ≤ r < 1/4: e^{−r} by its Taylor series to r⁵ (an
/// alternating series, so the error is below r⁶/720 < 3.4·10⁻⁷), times the partial
/// sums (errors below 4.3·10⁻⁷ and 4.4·10⁻⁷); all within [`MARGIN`]/2 of the sums
/// [`remainder`] computes (tested).
#[inline(always)]
pub fn remainder_estimates(r: f64) -> [f64; 3] {
    const C: [f64; 6] = [-1.0 / 120.0, 1.0 / 24.0, -1.0 / 6.0, 0.5, -1.0, 1.0];
    let f0 = C.iter().fold(0.0, |acc, &c| acc * r + c);
    let p1 = f0 * r;
    let f1 = f0 + p1;
    [f0, f1, f1 + p1 * r * 0.5]
}

/// Poisson(λ) for 0 ≤ λ < 32 from two uniforms on [0, 1), the whole search written
/// out (the reference the vector pass of `poisson::Batch` must equal bit for bit,
/// and its fallback for the rare draws one comparison does not settle).
pub fn invert(lambda: f64, u1: f64, u2: f64) -> f64 {
    let t = tables();
    let (q, r) = split(lambda);
    let row = &t.cdf[index(q) * KMAX..][..KMAX];
    let entry = t.guide[index(q) * GUIDE + index((u1 * GUIDE as f64).trunc())];
    let mut k = (entry & (KMAX as u32 - 1)) as usize;
    while u1 >= row[k] {
        k += 1;
    }
    k as f64 + remainder(r, u2)
}

/// Poisson(r) for 0 ≤ r < 1/4 by inversion of `u2`.
#[inline(always)]
pub fn remainder(r: f64, u2: f64) -> f64 {
    let mut p = lanes::exp_neg(r);
    let mut cdf = p;
    let mut k = 0.0;
    // The tail beyond 40 has probability < 1e-70.
    while u2 >= cdf && k < 40.0 {
        k += 1.0;
        p *= r * (1.0 / k);
        cdf += p;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row sums the Poisson pmf of its grid mean (against ln-space values),
    /// reaches 1 to rounding, and ends in the +∞ sentinel; the guide entries are the
    /// smallest counts whose cumulative sum exceeds the cell's lower edge.
    #[test]
    fn tables_hold_the_grid_cdfs_and_their_guides() {
        let t = tables();
        for q in 0..ROWS {
            let lambda = q as f64 / PER_UNIT;
            let row = &t.cdf[q * KMAX..(q + 1) * KMAX];
            let mut exact = 0.0f64;
            let mut ln_fact = 0.0f64;
            for (k, &f) in row.iter().enumerate().take(KMAX - 1) {
                if k > 0 {
                    ln_fact += (k as f64).ln();
                }
                exact += if lambda == 0.0 {
                    if k == 0 { 1.0 } else { 0.0 }
                } else {
                    (k as f64 * lambda.ln() - lambda - ln_fact).exp()
                };
                assert!((f - exact).abs() <= 1e-12, "q {q} k {k}: {f} vs {exact}");
            }
            assert!((row[KMAX - 2] - 1.0).abs() <= 1e-14, "q {q}");
            assert_eq!(row[KMAX - 1], f64::INFINITY);
            for j in 0..GUIDE {
                let e = t.guide[q * GUIDE + j];
                let g = (e & (KMAX as u32 - 1)) as usize;
                let edge = j as f64 / GUIDE as f64;
                assert!(row[g] > edge, "q {q} j {j}");
                assert!(g == 0 || row[g - 1] <= edge, "q {q} j {j}");
                // The threshold's top bits: those of the smallest multiple of 2⁻⁵² not
                // below F_q(k₀), capped.
                let top = (e >> TOP_SHIFT) as u64;
                if row[g] < 1.0 - 2f64.powi(-24) {
                    let t = (row[g] * 2f64.powi(52)).ceil() as u64;
                    assert!(t as f64 / 2f64.powi(52) >= row[g], "q {q} j {j}");
                    assert_eq!(top, t >> 28, "q {q} j {j}");
                } else {
                    assert_eq!(top, (1 << 24) - 1, "q {q} j {j}");
                }
                let next_edge = (j + 1) as f64 / GUIDE as f64;
                let multi = g + 1 < KMAX && row[g + 1] < next_edge;
                assert_eq!(e & MULTI != 0, multi, "q {q} j {j}");
            }
        }
    }

    /// The largest distance between the remainder's estimates and its search's sums.
    fn estimate_error(r: f64) -> f64 {
        // The sums as `remainder` forms them.
        let mut p = lanes::exp_neg(r);
        let mut sums = [p; 3];
        for k in 1..3 {
            p *= r * (1.0 / k as f64);
            sums[k] = sums[k - 1] + p;
        }
        remainder_estimates(r)
            .iter()
            .zip(sums)
            .map(|(e, s)| (e - s).abs())
            .fold(0.0, f64::max)
    }

    /// The remainder's estimates are within half the margin of its search's sums over
    /// the whole range of r.
    #[test]
    fn remainder_estimates_are_within_half_the_margin() {
        let mut worst: f64 = 0.0;
        for i in 0..100_000 {
            let r = i as f64 / 100_000.0 / PER_UNIT;
            worst = worst.max(estimate_error(r));
        }
        worst = worst.max(estimate_error((1.0 / PER_UNIT).next_down()));
        assert!(worst < MARGIN / 2.0, "{worst}");
        // The bound is not loose by orders of magnitude: the series' truncation shows.
        assert!(worst > MARGIN / 20.0, "{worst}");
    }

    /// The grid split is exact, the conversions are their inverses.
    #[test]
    fn split_is_exact() {
        for i in 0..=100_000 {
            let lambda = i as f64 * (BELOW - 1e-9) / 100_000.0;
            let (q, r) = split(lambda);
            assert_eq!(q + r * PER_UNIT, lambda * PER_UNIT, "{lambda}");
            assert!((0.0..1.0 / PER_UNIT).contains(&r), "{lambda}: r = {r}");
            assert!(q < ROWS as f64);
        }
        assert_eq!(index(127.0), 127);
        assert_eq!(whole(127), 127.0);
        assert_eq!(whole(0), 0.0);
    }
}
