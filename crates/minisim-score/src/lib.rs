//! minisim scoring: extraction results against the ground truth.
//!
//! This first slice holds footprint matching: binarisation to the smallest pixel set
//! holding an energy fraction (default 0.9), IoU, the optimal one-to-one assignment
//! (Kuhn–Munkres, `pathfinding`) and precision/recall/F1 at an IoU threshold
//! (default 0.5). Trace, spike, motion and field metrics, file readers and the CLI's
//! `score` command follow (issue "Scoring extraction results").
//!
//! Architecture invariant: pure functions of in-memory arrays; no I/O.
#![deny(missing_docs)]

pub mod footprints;
pub mod matching;

pub use footprints::{binarize, iou};
pub use matching::{Matching, Pair, assign, match_footprints};

/// Default energy fraction for binarising footprints.
pub const ENERGY_FRACTION: f64 = 0.9;

/// Default IoU threshold for a match.
pub const IOU_THRESHOLD: f64 = 0.5;
