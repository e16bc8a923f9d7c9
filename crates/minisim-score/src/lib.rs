//! minisim scoring: extraction and motion-correction results against the ground truth.
//!
//! - `footprints`: energy-fraction binarisation (default 0.9), IoU, centroids;
//! - `matching`: the optimal one-to-one assignment maximising total IoU over pairs
//!   above the threshold (Kuhn–Munkres from `pathfinding`, per connected component),
//!   precision/recall/F1 (default threshold 0.5);
//! - `neurofinder`: the neurofinder benchmark's centre-distance scores, reproduced;
//! - `traces`, `spikes`, `motion`, `fields`: Pearson r, pooled spike P/R within ±
//!   frames, motion RMSE with a sign convention, field correlation;
//! - `read`: readers for extractor outputs (`.npy`, scipy `.npz`, CSR triplets);
//! - `report`: one `Report` per estimate, and the two baselines that bracket every
//!   score — the oracle and a naive threshold-ROI readout.
//!
//! Definitions are in docs/scoring.md. Architecture invariant: only `read` touches
//! the file system; every metric is a pure function and returns 0, never NaN, on
//! empty input.
#![deny(missing_docs)]

pub mod demix;
pub mod error;
pub mod fields;
pub mod footprints;
pub mod matching;
pub mod motion;
pub mod neurofinder;
pub mod read;
pub mod report;
pub mod spikes;
pub mod traces;

pub use error::ScoreError;
pub use fields::field_pearson;
pub use footprints::{Footprints, binarize, centroid, iou};
pub use matching::{Matching, Pair, assign, match_footprints};
pub use motion::{ShiftConvention, rmse};
pub use neurofinder::{Centers, centers};
pub use read::{PixelOrder, read_footprints, read_matrix, read_npy_f64};
pub use report::{
    Estimate, MAX_BACKGROUND_RANK, Options, Report, Truth, oracle, roi_traces, score,
    threshold_rois, truth_regions, with_ceiling,
};
pub use spikes::{Pooled, matched_events};
pub use traces::pearson;

/// a / b, or 0 when b is 0 (every score's rule: never NaN).
pub(crate) fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Harmonic mean of precision and recall, 0 when both are 0.
pub(crate) fn harmonic(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Default energy fraction for binarising footprints.
pub const ENERGY_FRACTION: f64 = 0.9;

/// Default IoU threshold for a match.
pub const IOU_THRESHOLD: f64 = 0.5;
