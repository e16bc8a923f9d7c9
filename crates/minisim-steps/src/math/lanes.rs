//! Random numbers in batches that the compiler vectorises: eight xoshiro256++
//! generators in lock-step, uniform conversions by bit manipulation, and standard
//! normals by the Box–Muller transform with a logarithm, sine and cosine written as
//! fixed polynomials (no libm call, no data-dependent branch), and the exponential
//! e^{−λ} the Poisson inversion starts from, written the same way.
//!
//! Determinism: every operation here is an integer operation or a single IEEE-754
//! operation (add, multiply, divide, square root, truncation, comparison) in a fixed
//! order, never fused (Rust does not contract `a * b + c` into an FMA), so the
//! results are the same bits whichever instruction set the batch runs on (the
//! dispatch in `poisson::Batch` picks AVX-512, AVX2 or the baseline at run time; a
//! test compares them).
//!
//! Accuracy: uniforms have 52 random bits; the normal's logarithm and trigonometric
//! polynomials are accurate to a few units in the last place (tested against libm to
//! 1e-14); the radius √(−2 ln U) is at most √(104 ln 2) ≈ 8.49, so |Z| > 8.49 (mass
//! 2·10⁻¹⁷) is never drawn.

use rand::Rng;

use crate::Stream;

/// Generators per batch (one AVX-512 register of `u64`).
pub const LANES: usize = 8;

/// Eight xoshiro256++ states, structure-of-arrays (`s[word][lane]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lanes {
    s: [[u64; LANES]; 4],
}

impl Lanes {
    /// Seed the eight generators from 32 outputs of `rng` (lane by lane, word by
    /// word); an all-zero state, which xoshiro cannot leave, is replaced by a 1.
    pub fn from_stream(rng: &mut Stream) -> Self {
        let mut s = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            for word in s.iter_mut() {
                word[lane] = rng.next_u64();
            }
            if s.iter().all(|w| w[lane] == 0) {
                s[0][lane] = 1;
            }
        }
        Lanes { s }
    }

    /// One output of each generator.
    #[inline(always)]
    pub fn step(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u64; LANES];
        for i in 0..LANES {
            out[i] = s0[i]
                .wrapping_add(s3[i])
                .rotate_left(23)
                .wrapping_add(s0[i]);
            let t = s1[i] << 17;
            s2[i] ^= s0[i];
            s3[i] ^= s1[i];
            s1[i] ^= s2[i];
            s0[i] ^= s3[i];
            s2[i] ^= t;
            s3[i] = s3[i].rotate_left(45);
        }
        out
    }

    /// Fill `out` with outputs, eight at a time (lane i of step j goes to 8j + i; a
    /// final partial step is cut short).
    #[inline(always)]
    pub fn fill(&mut self, out: &mut [u64]) {
        let mut chunks = out.chunks_exact_mut(LANES);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.step());
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let n = rest.len();
            rest.copy_from_slice(&self.step()[..n]);
        }
    }
}

/// Bits of 1.0.
const ONE: u64 = 0x3FF0_0000_0000_0000;
/// The 52 fraction bits of an `f64`.
const FRACTION: u64 = (1 << 52) - 1;

/// 2⁵²: the sum x + 2⁵² of a whole number 0 ≤ x < 2⁵² holds x in the low bits of its
/// mantissa, exactly.
pub const TWO_52: f64 = 4_503_599_627_370_496.0;

/// A whole number 0 ≤ x < 2⁵² as an integer, by the low mantissa bits of x + 2⁵²
/// (integer operations the compiler vectorises, where a float-to-int conversion is a
/// conversion instruction and, for `as`, a NaN check lane by lane).
#[inline(always)]
pub fn whole_to_bits(x: f64) -> u64 {
    (x + TWO_52).to_bits() & FRACTION
}

/// The inverse of [`whole_to_bits`]: an integer k < 2⁵² as an `f64`, exactly.
#[inline(always)]
pub fn bits_to_whole(k: u64) -> f64 {
    f64::from_bits(TWO_52.to_bits() | k) - TWO_52
}

/// A uniform deviate on [0, 1) from the top 52 bits of `x` (multiples of 2⁻⁵²).
#[inline(always)]
pub fn unit(x: u64) -> f64 {
    f64::from_bits(ONE | (x >> 12)) - 1.0
}

/// A uniform deviate on (0, 1] from the top 52 bits of `x` (multiples of 2⁻⁵²).
#[inline(always)]
pub fn unit_open0(x: u64) -> f64 {
    2.0 - f64::from_bits(ONE | (x >> 12))
}

/// ln u for a normal (not subnormal) positive `u`: u = 2^e·m with m in [√½, √2),
/// ln m = 2 atanh((m − 1)/(m + 1)) by its series to the 21st power (truncation error
/// below 1e-18 there).
#[inline(always)]
pub fn ln(u: f64) -> f64 {
    let bits = u.to_bits();
    // e as a float without an integer conversion (both subtractions exact).
    let e = bits_to_whole(bits >> 52) - 1023.0;
    let m = f64::from_bits((bits & FRACTION) | ONE);
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1.0 } else { e };
    let f = (m - 1.0) / (m + 1.0);
    let f2 = f * f;
    // Σ f^{2k}/(2k + 1), k = 0 … 10.
    const C: [f64; 11] = [
        1.0 / 21.0,
        1.0 / 19.0,
        1.0 / 17.0,
        1.0 / 15.0,
        1.0 / 13.0,
        1.0 / 11.0,
        1.0 / 9.0,
        1.0 / 7.0,
        1.0 / 5.0,
        1.0 / 3.0,
        1.0,
    ];
    e * std::f64::consts::LN_2 + 2.0 * f * horner(f2, &C)
}

/// The polynomial c₀xⁿ⁻¹ + … + cₙ₋₁ at `x` by Horner's rule, highest power first:
/// p = c₀, then p = p·x + cᵢ (separate multiply and add, never fused, so the bits are
/// the same on every instruction set).
#[inline(always)]
fn horner<const N: usize>(x: f64, coefficients: &[f64; N]) -> f64 {
    let mut p = coefficients[0];
    for &c in &coefficients[1..] {
        p = p * x + c;
    }
    p
}

/// ln 2 in two parts: the high part has 21 trailing zero bits, so n·`LN2_HI` is exact
/// for the n < 2¹¹ that [`exp_neg`] meets (fdlibm's split).
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
/// ln 2 − `LN2_HI`.
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// e^{−x} for x in [0, 700]: x = n ln 2 + r with n = ⌊x/ln 2 + ½⌋ (|r| ≤ ½ ln 2, by
/// the Cody–Waite split of ln 2), e^{−r} by its Taylor series to r¹³ (truncation
/// error below 1e-17 there), times 2^{−n} set in the exponent bits. No libm call, no
/// branch, no integer conversion instruction, so it vectorises and gives the same
/// bits on every instruction set.
#[inline(always)]
pub fn exp_neg(x: f64) -> f64 {
    let n = (x * std::f64::consts::LOG2_E + 0.5).trunc();
    let t = n * LN2_HI - x + n * LN2_LO; // −r
    // Σ t^k / k!, k = 0 … 13.
    const C: [f64; 14] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ];
    let p = horner(t, &C);
    let n_bits = whole_to_bits(n);
    p * f64::from_bits((1023 - n_bits) << 52)
}

/// (sin φ, cos φ) for φ in [0, π/4] by their Taylor series to φ¹⁷ and φ¹⁶
/// (truncation error below 2e-18).
#[inline(always)]
fn sin_cos_octant(phi: f64) -> (f64, f64) {
    let x2 = phi * phi;
    // a − b is a + (−b) exactly, so the signs live in the coefficients.
    const S: [f64; 8] = [
        -1.0 / 355_687_428_096_000.0, // −1/17!
        1.0 / 1_307_674_368_000.0,
        -1.0 / 6_227_020_800.0,
        1.0 / 39_916_800.0,
        -1.0 / 362_880.0,
        1.0 / 5040.0,
        -1.0 / 120.0,
        1.0 / 6.0,
    ];
    const C: [f64; 8] = [
        1.0 / 20_922_789_888_000.0, // 1/16!
        -1.0 / 87_178_291_200.0,
        1.0 / 479_001_600.0,
        -1.0 / 3_628_800.0,
        1.0 / 40_320.0,
        -1.0 / 720.0,
        1.0 / 24.0,
        -0.5,
    ];
    let sin = phi - phi * x2 * horner(x2, &S);
    let cos = 1.0 + x2 * horner(x2, &C);
    (sin, cos)
}

/// (sin θ, cos θ) of θ = 2π·x/2⁶⁴: the top two bits of `x` give the quadrant, the
/// next 52 the position within it; symmetry reduces to [0, π/4].
#[inline(always)]
pub fn sin_cos_turn(x: u64) -> (f64, f64) {
    let q = x >> 62;
    let r = f64::from_bits(ONE | ((x << 2) >> 12)) - 1.0;
    let upper = (x >> 61) & 1 == 1; // r ≥ ½
    let phi = std::f64::consts::FRAC_PI_2 * if upper { 1.0 - r } else { r };
    let (s, c) = sin_cos_octant(phi);
    // sin/cos of qπ/2 + α, α = (π/2)·r: the swap from r ≥ ½ and from odd q cancel.
    let swap = upper != (q & 1 == 1);
    let (s, c) = if swap { (c, s) } else { (s, c) };
    let sign_s = f64::from_bits(ONE | ((q >> 1) << 63));
    let sign_c = f64::from_bits(ONE | (((q ^ (q >> 1)) & 1) << 63));
    (sign_s * s, sign_c * c)
}

/// Two independent standard normal deviates from two 64-bit words (Box–Muller):
/// R = √(−2 ln U) with U on (0, 1] from `a`, θ uniform on [0, 2π) from `b`.
#[inline(always)]
pub fn box_muller(a: u64, b: u64) -> (f64, f64) {
    let radius = (-2.0 * ln(unit_open0(a))).sqrt();
    let (s, c) = sin_cos_turn(b);
    (radius * c, radius * s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Each lane is an ordinary xoshiro256++ generator seeded with its four words.
    #[test]
    fn lanes_match_the_scalar_generator() {
        let mut seed = Stream::seed_from_u64(3);
        let mut lanes = Lanes::from_stream(&mut seed.clone());
        let mut singles: Vec<Xoshiro256PlusPlus> = (0..LANES)
            .map(|_| {
                let mut bytes = [0u8; 32];
                for (w, chunk) in bytes.chunks_exact_mut(8).enumerate() {
                    let _ = w;
                    chunk.copy_from_slice(&seed.next_u64().to_le_bytes());
                }
                Xoshiro256PlusPlus::from_seed(bytes)
            })
            .collect();
        for _ in 0..100 {
            let out = lanes.step();
            for (lane, single) in singles.iter_mut().enumerate() {
                assert_eq!(out[lane], single.next_u64());
            }
        }
    }

    #[test]
    fn uniforms_cover_their_intervals() {
        assert_eq!(unit(0), 0.0);
        assert_eq!(unit(u64::MAX), 1.0 - 2f64.powi(-52));
        assert_eq!(unit_open0(0), 1.0);
        assert_eq!(unit_open0(u64::MAX), 2f64.powi(-52));
    }

    #[test]
    fn ln_matches_libm() {
        let mut rng = Stream::seed_from_u64(1);
        for _ in 0..100_000 {
            let u = unit_open0(rng.next_u64());
            let (mine, libm) = (ln(u), u.ln());
            assert!(
                (mine - libm).abs() <= 1e-14 * libm.abs().max(1e-300) + 1e-300,
                "{u}: {mine} vs {libm}"
            );
        }
        for u in [
            1.0,
            0.5,
            2f64.powi(-52),
            std::f64::consts::FRAC_1_SQRT_2,
            0.999_999,
        ] {
            assert!((ln(u) - u.ln()).abs() <= 1e-14 * u.ln().abs(), "{u}");
        }
    }

    #[test]
    fn exp_neg_matches_libm() {
        let mut rng = Stream::seed_from_u64(3);
        let mut xs: Vec<f64> = (0..200_000)
            .map(|i| unit(rng.next_u64()) * if i % 2 == 0 { 10.0 } else { 700.0 })
            .collect();
        // The reduction's boundaries: multiples of ln 2 / 2 and the ends.
        xs.extend((0..=30).map(|j| j as f64 * std::f64::consts::LN_2 / 2.0));
        xs.extend([0.0, 1e-300, 1e-9, 9.999_999, 10.0, 700.0]);
        for x in xs {
            let (mine, libm) = (exp_neg(x), (-x).exp());
            assert!(
                (mine - libm).abs() <= 4e-16 * libm,
                "{x}: {mine} vs {libm} ({} ulp)",
                (mine - libm).abs() / (libm * f64::EPSILON)
            );
        }
        assert_eq!(exp_neg(0.0), 1.0);
    }

    #[test]
    fn sin_cos_match_libm() {
        let mut rng = Stream::seed_from_u64(2);
        let mut xs: Vec<u64> = (0..100_000).map(|_| rng.next_u64()).collect();
        xs.extend([0, 1 << 61, 1 << 62, 3 << 62, u64::MAX]);
        for x in xs {
            let theta = std::f64::consts::TAU * ((x >> 12) as f64 / (1u64 << 52) as f64);
            let (s, c) = sin_cos_turn(x);
            assert!(
                (s - theta.sin()).abs() < 1e-14,
                "{x}: {s} vs {}",
                theta.sin()
            );
            assert!(
                (c - theta.cos()).abs() < 1e-14,
                "{x}: {c} vs {}",
                theta.cos()
            );
        }
    }

    /// Moments of 10⁶ normals: mean 0 ± 5·(1/√n), variance 1 ± 5·√(2/n), kurtosis
    /// 3 ± 5·√(24/n); and the mass beyond ±1, ±2, ±3 within 5 binomial SDs.
    #[test]
    fn box_muller_gives_standard_normals() {
        let mut lanes = Lanes::from_stream(&mut Stream::seed_from_u64(9));
        let n = 1_000_000usize;
        let mut raw = vec![0u64; n];
        lanes.fill(&mut raw);
        let z: Vec<f64> = raw
            .chunks_exact(2)
            .flat_map(|p| {
                let (a, b) = box_muller(p[0], p[1]);
                [a, b]
            })
            .collect();
        let m = z.len() as f64;
        let mean = z.iter().sum::<f64>() / m;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m;
        let kurt = z.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / m / (var * var);
        assert!(mean.abs() < 5.0 / m.sqrt(), "{mean}");
        assert!((var - 1.0).abs() < 5.0 * (2.0 / m).sqrt(), "{var}");
        assert!((kurt - 3.0).abs() < 5.0 * (24.0 / m).sqrt(), "{kurt}");
        for (cut, p) in [
            (1.0, 0.317_310_507_862_914),
            (2.0, 0.045_500_263_896_358),
            (3.0, 0.002_699_796_063_260),
        ] {
            let beyond = z.iter().filter(|v| v.abs() > cut).count() as f64;
            let sd = (m * p * (1.0 - p)).sqrt();
            assert!(
                (beyond - m * p).abs() < 5.0 * sd,
                "{cut}: {beyond} vs {}",
                m * p
            );
        }
    }
}
