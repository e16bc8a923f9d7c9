//! Errors of calibration.

use minisim_render::RenderError;
use minisim_spec::SpecError;
use minisim_video::VideoError;

/// Why a calibration failed.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The movie could not be read.
    #[error(transparent)]
    Read(#[from] VideoError),
    /// Something the movie does not carry and no flag or scope gave.
    #[error("{what} is unknown: {hint}")]
    Missing {
        /// The quantity.
        what: &'static str,
        /// Where it can come from.
        hint: &'static str,
    },
    /// The movie is too small to calibrate from.
    #[error("{0}")]
    TooSmall(String),
    /// The movie is not raw counts with shot noise (non-finite samples, constant or
    /// processed frames, saturation): what a calibration cannot start from.
    #[error("{0}")]
    NotRaw(String),
    /// An estimate fell outside what a spec accepts (the field is named).
    #[error("the fitted spec is invalid: {0}")]
    Fitted(SpecError),
    /// The pixel size or frame rate (from a flag, the file or the scope) is outside
    /// what a spec accepts.
    #[error("{0}")]
    Range(String),
    /// The scope preset or the fitted spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The brightness pilot render failed.
    #[error("pilot render of the fitted spec: {0}")]
    Render(#[from] RenderError),
}
