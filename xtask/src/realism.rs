//! `cargo xtask realism`: summary statistics of each preset's movie beside the ranges
//! seen in real one-photon miniscope recordings. Every statistic uses the movie alone;
//! the definitions live in `minisim-stats` (one module each, tested on known cases):
//! PNR (CNMF-E's, gSig = 5 µm in px; and the disc-kernel PNR at σ = 9 µm with a
//! spectral noise level), top-3 variance of the 8×8-block movie, frame-mean CV and
//! lag-1 autocorrelation, 10×10-block top-3 and global-mean shares, edge/centre,
//! frame-to-frame motion, frame-difference / pixel-scale noise, neighbour correlation
//! of pixel-scale noise, bleaching drift, photon-transfer gain, brightness.

use minisim::{Movie, SimulateOptions, Spec, simulate};
use minisim_stats::filter::percentile;
use minisim_stats::{blocks, field, frame_mean, motion, noise, pnr, sensor};
use ndarray::{Array2, Axis};

/// One statistic with its target range.
pub struct Stat {
    pub name: &'static str,
    pub value: f64,
    /// Inclusive range; `None` for statistics reported without a target.
    pub range: Option<(f64, f64)>,
}

impl Stat {
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

/// Render `spec` (shortened to `frames`) and compute every statistic.
pub fn stats(spec: &Spec, frames: u64) -> anyhow::Result<Vec<Stat>> {
    let spec = if spec.acquisition().frames > frames {
        spec.with_override("acquisition.frames", serde_json::json!(frames))?
    } else {
        spec.clone()
    };
    let rec = simulate(&spec, &SimulateOptions::default())?;
    let (movie, full) = match &rec.observed {
        Movie::Counts(c) => (
            c.mapv(|v| v as f32),
            spec.digitize().map(|d| d.max_count() as f64),
        ),
        Movie::Intensity(i) => (i.clone(), None),
    };
    let mean_image = movie.mean_axis(Axis(0)).expect("frames");
    let pixel_um = spec.acquisition().pixel_um;
    let p = pnr::cnmfe(&movie, (5.0 / pixel_um).max(2.0));
    let disc = pnr::disc(&movie, 9.0 / pixel_um);
    let (m50, m99) = motion::frame_to_frame(&movie);
    let (drift, ptc) = sensor::bleach_and_gain(&movie);
    let (cv, lag1) = frame_mean::cv_and_lag1(&movie);
    let neighbours = noise::neighbour_correlation(&movie);
    let mut out = vec![
        Stat {
            name: "PNR p50",
            value: p[0],
            range: Some((3.0, 4.0)),
        },
        Stat {
            name: "PNR p90",
            value: p[1],
            range: Some((6.0, 15.0)),
        },
        Stat {
            name: "PNR p99",
            value: p[2],
            range: Some((11.0, 47.0)),
        },
        Stat {
            name: "top-3 component variance",
            value: blocks::top_share(&movie, 8, 3),
            range: Some((0.6, 1.0)),
        },
        Stat {
            name: "frame-mean CV",
            value: cv,
            range: Some((0.015, 0.017)),
        },
        Stat {
            name: "frame-mean lag-1 autocorrelation",
            value: lag1,
            range: Some((0.82, 0.87)),
        },
        Stat {
            name: "top-3 share, 10×10 blocks",
            value: blocks::top_share(&movie, 10, 3),
            range: Some((0.92, 0.97)),
        },
        Stat {
            name: "global-mean share, 10×10 blocks",
            value: blocks::global_share(&movie, 10),
            range: Some((0.82, 0.92)),
        },
        Stat {
            name: "disc PNR p50 (σ 9 µm, spectral noise)",
            value: disc[0],
            range: None,
        },
        Stat {
            name: "disc PNR p90 (σ 9 µm, spectral noise)",
            value: disc[1],
            range: None,
        },
        Stat {
            name: "edge / centre",
            value: field::edge_centre(&mean_image),
            range: Some((0.55, 0.99)),
        },
        Stat {
            name: "motion median (px)",
            value: m50,
            range: Some((0.04, 0.2)),
        },
        Stat {
            name: "motion p99 (px)",
            value: m99,
            range: None,
        },
        Stat {
            name: "true motion median (px, ground truth)",
            value: true_motion_median(&rec.truth.motion_px),
            range: None,
        },
        Stat {
            name: "frame-diff / pixel-scale noise",
            value: noise::ratio(&movie),
            range: Some((2.0, 5.0)),
        },
        Stat {
            name: "neighbour correlation of pixel noise",
            value: (neighbours[0] + neighbours[1]) / 2.0,
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
    Ok(out)
}
