//! `Recording`: the observed movie, stage snapshots and the full ground truth.

use minisim_spec::{Spec, StepKind};
pub use minisim_steps::truth::{CellTable, Csr, GroundTruth};
use ndarray::Array3;

/// A movie, frames × height × width.
#[derive(Debug, Clone, PartialEq)]
pub enum Movie {
    /// Sensor counts in `[0, 2^bit_depth − 1]` (specs with `digitize`).
    Counts(Array3<u16>),
    /// Intensity or expected electrons (sensorless specs, `until`, snapshots).
    Intensity(Array3<f32>),
}

impl Movie {
    /// `(frames, height, width)`.
    pub fn shape(&self) -> (usize, usize, usize) {
        let s = match self {
            Movie::Counts(a) => a.shape(),
            Movie::Intensity(a) => a.shape(),
        };
        (s[0], s[1], s[2])
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.shape().0
    }
}

/// A simulated recording: the spec, its key, the observed movie, snapshots and truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The spec that produced it.
    pub spec: Spec,
    /// `spec.cache_key()`.
    pub cache_key: String,
    /// The movie after the last stage rendered.
    pub observed: Movie,
    /// Movies of `output.snapshot_stages`, cropped to the FOV, in canonical order.
    pub snapshots: Vec<(StepKind, Array3<f32>)>,
    /// The ground truth.
    pub truth: GroundTruth,
}

impl Recording {
    /// The snapshot of `stage`, if kept.
    pub fn snapshot(&self, stage: StepKind) -> Option<&Array3<f32>> {
        self.snapshots
            .iter()
            .find_map(|(k, a)| (*k == stage).then_some(a))
    }
}
