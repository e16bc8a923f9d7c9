//! How errors reach the user: one line naming the file, path or value, a hint, and an
//! exit code — 2 for usage and input errors, 1 for failures while working.

use std::fmt;

use minisim::{CacheError, RenderError, SpecError, SweepError, VideoError};

/// An error in what the user asked for (exit code 2), with an optional hint.
#[derive(Debug)]
pub struct Usage {
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Usage {}

/// A usage error with a hint.
pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Usage {
        message: message.into(),
        hint: Some(hint.into()),
    })
}

/// Exit code and hint for an error.
pub fn classify(e: &anyhow::Error) -> (u8, Option<String>) {
    if let Some(u) = e.downcast_ref::<Usage>() {
        return (2, u.hint.clone());
    }
    if let Some(SpecError::Syntax { line, .. }) = e.downcast_ref::<SpecError>() {
        return (
            2,
            Some(format!(
                "fix the JSON syntax near line {line} (a missing brace, bracket or comma is typical)"
            )),
        );
    }
    if let Some(s) = e.downcast_ref::<SweepError>() {
        return match s {
            SweepError::Read { .. } | SweepError::Parse { .. } | SweepError::Base { .. } => (
                2,
                Some("a sweep file is {\"base\": \"<preset>\" | {spec}, \"axes\": [{\"path\": …, \"values\": […]}]} (docs/sweeps.md)".into()),
            ),
            SweepError::Spec(_) => (2, Some("axis paths are the dotted paths of --set (docs/spec.md)".into())),
            SweepError::OutputExtension { .. } | SweepError::SlurmOption(_) => (2, None),
            SweepError::RunDir { .. } => (2, Some("`minisim-cli sweep --help` describes run directories".into())),
            SweepError::Io { .. } | SweepError::Slurm(_) | SweepError::Conflict { .. } => (1, None),
        };
    }
    if e.downcast_ref::<SpecError>().is_some() {
        return (2, Some("docs/spec.md lists every field; `minisim-cli presets show default` prints a complete valid spec".into()));
    }
    if let Some(r) = e.downcast_ref::<RenderError>() {
        return match r {
            RenderError::UntilNotInSpec { .. } => {
                (2, Some("--until takes one of the spec's step kinds".into()))
            }
            RenderError::ZeroChunk => (2, None),
            RenderError::Cancelled => (1, None),
            RenderError::TooLarge { .. } | RenderError::OutOfMemory { .. } => (
                1,
                Some("`minisim-cli validate` prints the estimate; `render` streams to a file in bounded memory".into()),
            ),
        };
    }
    if let Some(v) = e.downcast_ref::<VideoError>() {
        return match v {
            VideoError::Io { .. } | VideoError::Encode { .. } | VideoError::NoSpace { .. } => {
                (1, None)
            }
            VideoError::Render(_) => (2, None),
            _ => (2, Some("see docs/video.md for formats and codecs".into())),
        };
    }
    if let Some(c) = e.downcast_ref::<minisim::CalibrateError>() {
        use minisim::CalibrateError as C;
        return match c {
            C::Missing { .. }
            | C::TooSmall(_)
            | C::NotRaw(_)
            | C::Fitted(_)
            | C::Range(_)
            | C::Spec(_) => (
                2,
                Some("docs/calibrate.md lists what calibration needs".into()),
            ),
            C::Read(_) => (2, Some("see docs/video.md, \"Reading movies\"".into())),
            C::Render(_) => (1, None),
        };
    }
    if let Some(c) = e.downcast_ref::<CacheError>() {
        return match c {
            CacheError::Exists { .. } => (1, Some("choose a new output directory".into())),
            _ => (1, None),
        };
    }
    (1, None)
}
