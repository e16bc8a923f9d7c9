//! Errors of scoring and of reading extractor outputs.

use std::path::PathBuf;

/// A scoring input that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An array's shape does not fit the recording.
    #[error("{what} in {path} has shape {found:?} but the recording needs {expected}")]
    Shape {
        /// Which input (footprints, traces, …).
        what: &'static str,
        /// The file (or `<memory>`).
        path: PathBuf,
        /// The array's shape.
        found: Vec<usize>,
        /// The shape required, e.g. `(n, 512, 512)`.
        expected: String,
    },
    /// Two inputs disagree with each other.
    #[error("{what}: {reason}")]
    Mismatch {
        /// Which inputs.
        what: &'static str,
        /// How they disagree, naming both shapes.
        reason: String,
    },
    /// The recording lacks what this score needs.
    #[error("the recording has no {what} ({reason})")]
    Missing {
        /// What is missing.
        what: &'static str,
        /// Why (e.g. the spec has no `calcium` step).
        reason: String,
    },
    /// An option out of range.
    #[error("{option} must be {rule} (got {value})")]
    Option {
        /// The option.
        option: &'static str,
        /// The rule.
        rule: &'static str,
        /// The value given.
        value: f64,
    },
}
