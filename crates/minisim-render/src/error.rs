//! Errors of the renderer.

use minisim_spec::StepKind;

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
}
