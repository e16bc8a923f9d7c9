//! Errors of the renderer.

use minisim_spec::StepKind;

use crate::estimate::human_bytes;

/// Why a render could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// `until` names a stage the spec does not have.
    #[error("until: stage `{stage}` is not a step of this spec; its steps are: {available}")]
    UntilNotInSpec {
        /// The requested stage.
        stage: StepKind,
        /// The spec's steps, comma-separated.
        available: String,
    },
    /// `chunk_frames` was zero.
    #[error("chunk_frames must be at least 1")]
    ZeroChunk,
    /// The render was cancelled through `SimulateOptions::cancel` (nothing was kept).
    #[error("the render was cancelled")]
    Cancelled,
    /// The render needs more memory than the limit (checked before any allocation).
    #[error(
        "this render needs about {} of memory ({detail}) but {} is available; render to a file instead of simulating in memory, or use fewer frames, a smaller field of view or fewer cells (force it with --force)",
        human_bytes(*needed),
        human_bytes(*available)
    )]
    TooLarge {
        /// Estimated peak, bytes.
        needed: u64,
        /// The limit, bytes.
        available: u64,
        /// The estimate by part.
        detail: String,
    },
    /// An allocation failed (the estimate was too low or the check was skipped).
    #[error("out of memory allocating {} for {what}; use fewer frames or a smaller field of view, or render to a file", human_bytes(*bytes))]
    OutOfMemory {
        /// What was being allocated.
        what: &'static str,
        /// Its size, bytes.
        bytes: u64,
    },
}
