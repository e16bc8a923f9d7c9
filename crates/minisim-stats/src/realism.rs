//! The realism report's statistics: every statistic of this crate on one movie, beside
//! the ranges seen in real one-photon miniscope recordings (sources and caveats in
//! docs/realism.md). Used by `cargo xtask realism` and `minisim-cli report`.
//!
//! Statistics: PNR (CNMF-E's, gSig = 5 µm in px, with its spectral noise level and,
//! without a target, with a MAD noise level; and the disc-kernel PNR at σ = 9 µm
//! with a spectral noise level over the first 100 frames), frame-mean CV and lag-1
//! autocorrelation, top-3 shares of the 8×8- and 10×10-pixel-block movie and the
//! global-mean share, both shares again on 30 µm blocks (the real recordings' 10×10
//! blocks of 3 µm pixels; these carry the targets), fine structure of the mean image at 3 µm, neighbour correlation of
//! pixel-scale noise, frame-difference / pixel-scale noise, edge/centre, frame-to-frame
//! motion in µm, bleaching drift, photon-transfer gain, brightness.

use minisim_spec::Spec;
use ndarray::{Array2, Array3, Axis, s};

use crate::filter::percentile;
use crate::{blocks, field, frame_mean, motion, noise, pnr, sensor, structure};

/// One statistic with its target range.
#[derive(Debug, Clone, PartialEq)]
pub struct Stat {
    /// What it is (with its parameters and unit).
    pub name: &'static str,
    /// Its value on the movie.
    pub value: f64,
    /// Inclusive range; `None` for statistics reported without a target.
    pub range: Option<(f64, f64)>,
}

impl Stat {
    /// Whether the value lies in the range (`None` without a range).
    pub fn inside(&self) -> Option<bool> {
        self.range
            .map(|(lo, hi)| self.value >= lo && self.value <= hi)
    }
}

/// Median frame-to-frame displacement of the ground-truth motion path, px: the
/// reference for the movie-only estimate (which random error biases upward in noisy
/// movies).
fn true_motion_median(path: &Array2<f64>) -> f64 {
    let mut steps: Vec<f64> = (1..path.nrows())
        .map(|t| (path[[t, 0]] - path[[t - 1, 0]]).hypot(path[[t, 1]] - path[[t - 1, 1]]))
        .collect();
    if steps.is_empty() {
        return 0.0;
    }
    percentile(&mut steps, 0.5)
}

/// Side of the real recordings' blocks, µm: their 10×10-pixel blocks of 3 µm pixels.
pub const REAL_BLOCK_UM: f64 = 30.0;

/// The block side in pixels of `pixel_um` that covers [`REAL_BLOCK_UM`] (rounded, at
/// least 1 px): the block-share targets were measured on 30 µm blocks, and a block of
/// 10 px at 1.65 µm (16.5 µm) holds a third of the cells, so local variance weighs
/// more against the global signal for reasons of pixel size alone.
pub fn block_px(pixel_um: f64) -> usize {
    ((REAL_BLOCK_UM / pixel_um).round() as usize).max(1)
}

/// Frame rates of the real recordings behind the frame-mean targets, Hz.
const REAL_RATES_HZ: [f64; 2] = [5.6, 10.0];

/// The lag-1 autocorrelation range of the real recordings (0.82–0.87 at 5.6–10 Hz)
/// carried to `rate_hz`: for an exponential autocorrelation ρ(Δt) = e^{−Δt/τ}, a
/// lag-1 value ρ at rate f₀ is ρ^{f₀/f} at rate f; the range spans both real rates.
pub fn lag1_range(rate_hz: f64) -> (f64, f64) {
    let carry = |rho: f64, f0: f64| rho.powf(f0 / rate_hz);
    let lo = REAL_RATES_HZ.map(|f0| carry(0.82, f0));
    let hi = REAL_RATES_HZ.map(|f0| carry(0.87, f0));
    (lo[0].min(lo[1]), hi[0].max(hi[1]))
}

/// Every statistic of `movie` (`frames × height × width`, counts or e⁻ as `f32`)
/// rendered from `spec`, beside the ranges of real recordings; `true_motion_px` is the
/// ground-truth path (`frames × [dy, dx]`, px) when known. Specs with a vendor export
/// (`output.export`) are held to the real exports' pixel-noise ranges (neighbour
/// correlation 0.38–0.51, frame-difference / pixel-scale noise 2–5); raw specs to a raw
/// CMOS's (neighbour correlation within ±0.1, no excess). The spec gives the pixel size,
/// frame rate, black level and full scale.
pub fn realism(
    movie: &Array3<f32>,
    spec: &Spec,
    true_motion_px: Option<&Array2<f64>>,
) -> Vec<Stat> {
    let full = spec.digitize().map(|d| d.max_count() as f64);
    let exported = spec.export().is_some();
    let black = spec.digitize().map_or(0.0, |d| d.black_level_dn);
    let mean_image = movie.mean_axis(Axis(0)).expect("frames");
    let pixel_um = spec.observed_pixel_um();
    let g_sig = (5.0 / pixel_um).max(2.0);
    let (p, p_mad) = pnr::cnmfe_and_mad(movie, g_sig);
    let first100 = movie.slice(s![..movie.dim().0.min(100), .., ..]).to_owned();
    let disc = pnr::disc(&first100, 9.0 / pixel_um);
    let (m50, m99) = motion::frame_to_frame(movie);
    let (drift, ptc) = sensor::bleach_and_gain(movie);
    let (cv, lag1) = frame_mean::cv_and_lag1(movie);
    let neighbours = noise::neighbour_correlation(movie);
    let lag1_target = lag1_range(spec.acquisition().frame_rate_hz);
    let b30 = block_px(pixel_um);
    let mut out = vec![
        Stat {
            name: "PNR p50 (CNMF-E)",
            value: p[0],
            range: Some((3.0, 4.0)),
        },
        Stat {
            name: "PNR p90 (CNMF-E)",
            value: p[1],
            range: Some((6.0, 15.0)),
        },
        Stat {
            name: "PNR p99 (CNMF-E)",
            value: p[2],
            range: Some((11.0, 47.0)),
        },
        Stat {
            name: "PNR p50 (CNMF-E filter, MAD noise)",
            value: p_mad[0],
            range: None,
        },
        Stat {
            name: "PNR p90 (CNMF-E filter, MAD noise)",
            value: p_mad[1],
            range: None,
        },
        Stat {
            name: "disc PNR p50 (σ 9 µm, 100 frames)",
            value: disc[0],
            range: Some((3.1, 4.3)),
        },
        Stat {
            name: "disc PNR p90 (σ 9 µm, 100 frames)",
            value: disc[1],
            range: Some((6.2, 15.0)),
        },
        Stat {
            name: "frame-mean CV",
            value: cv,
            range: Some((0.015, 0.017)),
        },
        Stat {
            name: "frame-mean lag-1 (range at this frame rate)",
            value: lag1,
            range: Some(lag1_target),
        },
        Stat {
            name: "top-3 share, 8×8 blocks",
            value: blocks::top_share(movie, 8, 3),
            range: Some((0.6, 1.0)),
        },
        Stat {
            name: "top-3 share, 10×10 px blocks",
            value: blocks::top_share(movie, 10, 3),
            range: None,
        },
        Stat {
            name: "global-mean share, 10×10 px blocks",
            value: blocks::global_share(movie, 10),
            range: None,
        },
        Stat {
            name: "top-3 share, 30 µm blocks",
            value: blocks::top_share(movie, b30, 3),
            range: Some((0.92, 0.97)),
        },
        Stat {
            name: "global-mean share, 30 µm blocks",
            value: blocks::global_share(movie, b30),
            range: Some((0.82, 0.92)),
        },
        Stat {
            name: "fine structure of the mean image (3 µm)",
            value: structure::fine_structure(&mean_image, pixel_um, black),
            range: Some((0.60, 0.64)),
        },
        Stat {
            name: "neighbour correlation of pixel noise",
            value: (neighbours[0] + neighbours[1]) / 2.0,
            range: Some(if exported { (0.38, 0.51) } else { (-0.1, 0.1) }),
        },
        Stat {
            name: "frame-diff / pixel-scale noise",
            value: noise::ratio(movie),
            range: exported.then_some((2.0, 5.0)),
        },
        Stat {
            name: "edge / centre",
            value: field::edge_centre(&mean_image),
            range: Some((0.55, 0.99)),
        },
        Stat {
            name: "motion median (µm)",
            value: m50 * pixel_um,
            range: Some((0.12, 0.6)),
        },
        Stat {
            name: "motion p99 (µm)",
            value: m99 * pixel_um,
            range: None,
        },
        Stat {
            name: "true motion median (µm, ground truth)",
            value: true_motion_px.map_or(f64::NAN, true_motion_median) * pixel_um,
            range: None,
        },
        Stat {
            name: "bleaching drift",
            value: drift,
            range: None,
        },
        Stat {
            name: "photon transfer gain (DN/e⁻)",
            value: ptc,
            range: None,
        },
    ];
    if let Some(full) = full {
        let n = movie.len() as f64;
        out.push(Stat {
            name: "mean / full scale",
            value: movie.mean().unwrap_or(0.0) as f64 / full,
            range: Some((0.0, 0.5)),
        });
        out.push(Stat {
            name: "saturated fraction",
            value: movie.iter().filter(|&&v| v as f64 >= full).count() as f64 / n,
            range: Some((0.0, 1e-3)),
        });
    }
    out
}

/// One statistic over several renders of a spec that differ only in the seed: a
/// statistic of a short movie of slow processes (the frame-mean CV of 13 s of an OU
/// with τ = 1 s has a seed-to-seed SD of about a third of its value) is judged on its
/// median, with the seeds' extremes beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// What it is (with its parameters and unit).
    pub name: &'static str,
    /// Median over the seeds (the mean of the middle two for an even count); NaN
    /// values (a statistic a movie cannot give) are left out, and all-NaN gives NaN.
    pub median: f64,
    /// Smallest value over the seeds.
    pub min: f64,
    /// Largest value over the seeds.
    pub max: f64,
    /// Inclusive target range; `None` without a target.
    pub range: Option<(f64, f64)>,
    /// Seeds whose value lies in the range.
    pub seeds_inside: usize,
    /// Seeds with a value.
    pub seeds: usize,
}

impl Spread {
    /// Whether the median lies in the range (`None` without a range).
    pub fn inside(&self) -> Option<bool> {
        self.range
            .map(|(lo, hi)| self.median >= lo && self.median <= hi)
    }
}

/// The statistics of several renders (one `Vec<Stat>` per seed, each from
/// [`realism`] on the same spec), statistic by statistic, in the order of the first.
///
/// # Panics
/// If the renders do not list the same statistics in the same order.
pub fn spread(runs: &[Vec<Stat>]) -> Vec<Spread> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|i| {
            let name = first[i].name;
            let mut values: Vec<f64> = runs
                .iter()
                .map(|run| {
                    assert_eq!(run[i].name, name, "renders list different statistics");
                    run[i].value
                })
                .filter(|v| !v.is_nan())
                .collect();
            values.sort_by(f64::total_cmp);
            let n = values.len();
            let median = match n {
                0 => f64::NAN,
                _ if n % 2 == 1 => values[n / 2],
                _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
            };
            let range = first[i].range;
            Spread {
                name,
                median,
                min: values.first().copied().unwrap_or(f64::NAN),
                max: values.last().copied().unwrap_or(f64::NAN),
                range,
                seeds_inside: range.map_or(0, |(lo, hi)| {
                    values.iter().filter(|&&v| v >= lo && v <= hi).count()
                }),
                seeds: n,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(name: &'static str, value: f64) -> Stat {
        Stat {
            name,
            value,
            range: Some((1.0, 2.0)),
        }
    }

    /// The median decides, the extremes and the count of seeds inside are kept, and
    /// NaN values are left out.
    #[test]
    fn spread_is_judged_on_the_median() {
        let runs = vec![
            vec![stat("a", 0.5), stat("b", f64::NAN)],
            vec![stat("a", 1.5), stat("b", 3.0)],
            vec![stat("a", 2.5), stat("b", 1.0)],
        ];
        let s = spread(&runs);
        assert_eq!((s[0].median, s[0].min, s[0].max), (1.5, 0.5, 2.5));
        assert_eq!((s[0].seeds_inside, s[0].seeds), (1, 3));
        assert_eq!(s[0].inside(), Some(true));
        // Two values: the mean of the middle two (2.0), inside at the bound.
        assert_eq!((s[1].median, s[1].seeds), (2.0, 2));
        assert_eq!(s[1].inside(), Some(true));
        let outside = spread(&[
            vec![stat("a", 0.9)],
            vec![stat("a", 2.1)],
            vec![stat("a", 3.0)],
        ]);
        assert_eq!(outside[0].inside(), Some(false));
        assert_eq!(outside[0].seeds_inside, 0);
        assert!(spread(&[]).is_empty());
    }

    #[test]
    #[should_panic(expected = "different statistics")]
    fn spread_refuses_mismatched_renders() {
        spread(&[vec![stat("a", 1.0)], vec![stat("b", 1.0)]]);
    }

    /// 30 µm blocks: 10 px at the exports' 3 µm, 18 px at `ucla-v4`'s 1.65 µm, never 0.
    #[test]
    fn blocks_cover_thirty_micrometres() {
        assert_eq!(block_px(3.0), 10);
        assert_eq!(block_px(1.65), 18);
        assert_eq!(block_px(0.93), 32);
        assert_eq!(block_px(100.0), 1);
    }

    /// At the real recordings' own rates the carried range contains 0.82–0.87; at
    /// 30 Hz the exponential model gives 0.82^{1/3} … 0.87^{5.6/30}.
    #[test]
    fn lag1_range_follows_the_frame_rate() {
        let (lo, hi) = lag1_range(10.0);
        assert!((lo - 0.82).abs() < 1e-12 && hi >= 0.87);
        let (lo, hi) = lag1_range(30.0);
        assert!((lo - 0.82f64.powf(1.0 / 3.0)).abs() < 1e-12);
        assert!((hi - 0.87f64.powf(5.6 / 30.0)).abs() < 1e-12);
    }
}
