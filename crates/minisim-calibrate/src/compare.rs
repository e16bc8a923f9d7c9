//! Two movies' statistics side by side: `minisim-cli compare REAL SIM`.
//!
//! A [`Profile`] is what one streaming pass ([`crate::calibrate`] without the spec
//! fit) and the statistics library (`minisim-stats`, on the kept frames) say about a
//! movie. [`compare`] pairs two profiles and marks each statistic inside or outside
//! its tolerance. Tolerances are derived, not tuned: three times the statistic's
//! standard deviation between renders of one spec that differ only in the seed
//! (five renders of each of four drawn specs and twelve of the default spec, 900
//! frames of 160–224 px, measured by `cargo test -p minisim-calibrate --test compare --
//! --ignored seed_spread --nocapture`; docs/calibrate.md lists the figures), so two
//! renders of one spec fall inside with high probability and anything outside is a
//! difference in what was simulated (or recorded). Shorter or smaller movies vary
//! more from seed to seed than these tolerances allow (the gain of 128 × 128 ×
//! 200-frame renders of the default spec by 1.1 %, against the 0.24 % of 176 × 176 ×
//! 900 frames), and the estimates' own standard errors widen them only in part.

use serde::Serialize;

use crate::Calibration;

/// One statistic of one movie.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stat {
    /// Name, with unit.
    pub name: &'static str,
    /// Value.
    pub value: f64,
    /// The estimate's own standard error where the method gives one (photon-transfer
    /// fit, unlit mean, octant spread); it widens the tolerance for short or coarse
    /// movies (see [`compare`]).
    pub sd: Option<f64>,
    /// Whether the movie identifies it (false: a bound or the base spec's value, which
    /// says nothing about the movie).
    pub measured: bool,
}

/// The statistics of one movie, in [`TOLERANCES`] order.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The statistics.
    pub stats: Vec<Stat>,
    /// Whether the movie's pixel noise is correlated as a vendor export's is
    /// ([`Calibration::exported`]); [`EXPORTED_TOLERANCES`] then apply.
    pub exported: bool,
}

/// Tolerance of each statistic: `(name, absolute, relative)`; a pair is inside when
/// |sim − real| ≤ absolute + relative·|real|. Each is 3 × the largest seed-to-seed
/// standard deviation over five renders of each of four drawn specs and twelve of
/// the default spec (its 8-bit stream) at their size, 900 frames (module docs),
/// rounded up; that SD in the comment (relative ones in % of the mean). Measured by `cargo
/// test --release -p minisim-calibrate --test compare -- --ignored seed_spread
/// --nocapture` (model 8); rows whose largest SD did not grow keep their earlier
/// value.
pub const TOLERANCES: [(&str, f64, f64); 17] = [
    ("signal above unlit (DN)", 0.0, 0.27),         // SD 9.0 %
    ("unlit level (DN)", 0.2, 0.0),                 // SD 0.053 DN
    ("gain (DN/e⁻)", 0.0, 0.009),                   // SD 0.28 % (default spec)
    ("read noise (e⁻)", 0.0, 0.011),                // SD 0.36 %
    ("row noise (e⁻)", 0.14, 0.0),                  // SD 0.045 e⁻
    ("edge ratio", 0.42, 0.0),                      // SD 0.14
    ("motion RMS (µm)", 0.0, 0.45),                 // SD 14.8 %
    ("frame-mean CV", 0.0, 0.83),                   // SD 27.4 %
    ("frame-mean lag-1", 0.045, 0.0),               // SD 0.0148 (default spec)
    ("top-3 share, 10×10 blocks", 0.26, 0.0),       // SD 0.084
    ("global-mean share, 10×10 blocks", 0.29, 0.0), // SD 0.094
    ("PNR p50 (CNMF-E)", 0.0, 0.3),                 // SD 9.7 %
    ("PNR p90 (CNMF-E)", 0.0, 0.34),                // SD 11.1 % (default spec)
    ("neighbour correlation of pixel noise", 0.035, 0.0), // SD 0.011
    ("frame-diff / pixel-scale noise", 0.0, 0.036), // SD 1.2 %
    ("fine structure of the mean image (3 µm)", 0.0, 0.23), // SD 7.5 %
    ("apparent cell scale (µm)", 0.0, 0.2),         // SD 6.5 %
];

/// Wider tolerances where either movie is a vendor export with motion correction:
/// the correction's interpolation smooths each frame by an amount that depends on
/// that recording's motion path, so the photon-transfer slope, the pixel-noise
/// statistics and the residual motion vary more between seeds. Each is 3·√2 × the
/// SD over thirteen seeds (21–33) of `nvista3` on a 400 × 400 sensor window (a
/// 100 × 100 export, 300 frames), so 3 SD of the difference of two independent
/// renders. The apparent gain varies more on the full-size export (SD 6.9 % over
/// eight seeds of 100 frames, seeds 0–7, against 4.3 % on the window: the path
/// dependence does not average over pixels, and the scene's share of the
/// photon-transfer high-pass is larger), so its row uses that. SD in the comment; a
/// row takes the larger of this and its [`TOLERANCES`] entry. Measured by `cargo
/// test --release -p minisim-calibrate --test export -- --ignored export_seed_spread
/// --nocapture` (model 7; the PNR rows since CNMF-E's spectral noise level).
/// Re-measured at model 8: every SD within 0.1 percentage point (0.001 absolute) of
/// these, so the rows stand (the exports are bright; few of their pixels take the
/// dim-pixel sampler that model 8 changed).
pub const EXPORTED_TOLERANCES: [(&str, f64, f64); 10] = [
    ("signal above unlit (DN)", 0.0, 0.39), // SD 9.0 %
    ("gain (DN/e⁻)", 0.0, 0.29),            // SD 6.9 % (full size)
    ("motion RMS (µm)", 0.11, 0.0),         // SD 0.025 µm
    ("frame-mean lag-1", 0.14, 0.0),        // SD 0.032
    ("PNR p50 (CNMF-E)", 0.0, 0.46),        // SD 10.7 %
    ("PNR p90 (CNMF-E)", 0.0, 0.43),        // SD 10.0 %
    ("neighbour correlation of pixel noise", 0.15, 0.0), // SD 0.035
    ("frame-diff / pixel-scale noise", 0.0, 0.22), // SD 5.2 %
    ("fine structure of the mean image (3 µm)", 0.0, 0.26), // SD 6.0 %
    ("apparent cell scale (µm)", 0.0, 0.29), // SD 6.8 %
];

impl Calibration {
    /// The movie's profile.
    pub fn profile(&self) -> Profile {
        let s = &self.sensor;
        let kept = &self.summary.kept;
        let pixel_um = self.pixel_um.0;
        let (cv, lag1) = minisim_stats::frame_mean::cv_and_lag1(kept);
        let nc = self.noise_correlation;
        let p = minisim_stats::pnr::cnmfe(kept, (5.0 / pixel_um).max(2.0));
        let mean_f32 = self.summary.mean.mapv(|v| v as f32);
        let dark = s.dark_mean_dn.unwrap_or(s.black_level_dn.value);
        // (value, measured, the estimate's own SD) in TOLERANCES order; `measured`
        // is false for a bound or prior, which says nothing about the movie.
        let est = |e: &crate::Estimate| (e.value, e.quality == crate::Quality::Measured, e.sd);
        let stat = |v: f64| (v, true, None);
        let values = [
            stat(self.signal_dn),
            (dark, s.dark_mean_dn.is_some(), s.black_level_dn.sd),
            est(&s.gain_dn_per_e),
            est(&s.read_noise_e),
            // Row offsets are mixed across rows by an export.
            (s.row_noise_e.value, !self.exported(), s.row_noise_e.sd),
            est(&self.vignette.edge_ratio),
            est(&self.motion.rms_um),
            stat(cv),
            stat(lag1),
            stat(minisim_stats::blocks::top_share(kept, 10, 3)),
            stat(minisim_stats::blocks::global_share(kept, 10)),
            stat(p[0]),
            stat(p[1]),
            stat((nc[0] + nc[1]) / 2.0),
            stat(minisim_stats::noise::ratio(kept)),
            stat(minisim_stats::structure::fine_structure(
                &mean_f32, pixel_um, dark,
            )),
            est(&self.cell_scale_um),
        ];
        Profile {
            stats: TOLERANCES
                .iter()
                .zip(values)
                .map(|(&(name, _, _), (value, measured, sd))| Stat {
                    name,
                    value,
                    sd,
                    measured,
                })
                .collect(),
            exported: self.exported(),
        }
    }
}

/// One row of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Statistic.
    pub name: &'static str,
    /// The real (first) movie's value.
    pub real: f64,
    /// The simulated (second) movie's value.
    pub sim: f64,
    /// The allowed |sim − real|.
    pub tolerance: f64,
    /// Whether both movies identify the statistic (else it is not compared).
    pub compared: bool,
    /// Whether |sim − real| ≤ tolerance (false when not compared).
    pub inside: bool,
}

/// Pair two profiles. The tolerance of a statistic is the larger of its
/// [`TOLERANCES`] entry (seed-to-seed spread of 900-frame renders) and
/// 3·√(sd_real² + sd_sim²) from the two estimates' own standard errors, so a
/// shorter or coarser movie, whose estimates are less certain, is not flagged for
/// its own noise.
pub fn compare(real: &Profile, sim: &Profile) -> Vec<Row> {
    real.stats
        .iter()
        .zip(&sim.stats)
        .zip(TOLERANCES)
        .map(|((r, s), (name, abs, rel))| {
            let own = match (r.sd, s.sd) {
                (Some(a), Some(b)) if (a * a + b * b).is_finite() => 3.0 * (a * a + b * b).sqrt(),
                _ => 0.0,
            };
            let exported = if real.exported || sim.exported {
                EXPORTED_TOLERANCES
                    .iter()
                    .find(|t| t.0 == name)
                    .map_or(0.0, |&(_, a, b)| a + b * r.value.abs())
            } else {
                0.0
            };
            let tolerance = (abs + rel * r.value.abs()).max(own).max(exported);
            let compared = r.measured && s.measured;
            Row {
                name,
                real: r.value,
                sim: s.value,
                tolerance,
                compared,
                inside: compared && (s.value - r.value).abs() <= tolerance,
            }
        })
        .collect()
}

/// The comparison as a Markdown table.
pub fn markdown(rows: &[Row], real: &str, sim: &str) -> String {
    let mut out = format!("| statistic | {real} | {sim} | tolerance | |\n|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.4} | {:.4} | ± {:.4} | {} |\n",
            r.name,
            r.real,
            r.sim,
            r.tolerance,
            match (r.compared, r.inside) {
                (false, _) => "not identified",
                (true, true) => "inside",
                (true, false) => "**outside**",
            }
        ));
    }
    let inside = rows.iter().filter(|r| r.inside).count();
    let compared = rows.iter().filter(|r| r.compared).count();
    out.push_str(&format!(
        "\n{inside} of {compared} compared statistics inside their tolerance ({} not identified by one of the movies: a bound or the base spec's value).\n",
        rows.len() - compared
    ));
    out
}
