//! Errors of the sweep runner; each names the file, flag or point it is about.

use std::path::PathBuf;

use minisim_spec::SpecError;

/// What can go wrong loading, running, gathering or submitting a sweep.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file cannot be read.
    #[error("{}: cannot read sweep file: {error}", path.display())]
    Read {
        /// The sweep file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The sweep file is not `{"base": …, "axes": […]}`.
    #[error("{}: not a sweep file: {message}", path.display())]
    Parse {
        /// The sweep file.
        path: PathBuf,
        /// serde's message (with line and column).
        message: String,
    },
    /// The base spec (preset name or inline spec) is invalid.
    #[error("{}: base: {error}", path.display())]
    Base {
        /// The sweep file.
        path: PathBuf,
        /// The spec error, naming the JSON path.
        error: SpecError,
    },
    /// An axis path or value is invalid for every point.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A run directory is missing, foreign, or does not match the sweep or shard count.
    #[error("{}: {message}", path.display())]
    RunDir {
        /// The run directory (or the file in it).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// An output path's extension is not one of `.csv`, `.jsonl`, `.json`.
    #[error("{}: rows are written as .csv or .jsonl (got {extension:?})", path.display())]
    OutputExtension {
        /// The output path.
        path: PathBuf,
        /// Its extension (empty when it has none).
        extension: String,
    },
    /// A Slurm option or script path is malformed (nothing was written or submitted).
    #[error("{0}")]
    SlurmOption(String),
    /// `sbatch` or `squeue` is missing or failed; the message holds its stderr.
    #[error("{0}")]
    Slurm(String),
    /// A point's duplicated rows disagree on a reproducible column.
    #[error(
        "point {point} has rows that disagree on `{column}` ({}); two runs of different sweeps wrote this run directory",
        places.join(", ")
    )]
    Conflict {
        /// The sweep point index.
        point: usize,
        /// The first column that differs.
        column: String,
        /// `file:line` of each row.
        places: Vec<String>,
    },
}

impl SweepError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SweepError::Io {
            path: path.into(),
            error: source,
        }
    }

    pub(crate) fn run_dir(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        SweepError::RunDir {
            path: path.into(),
            message: message.into(),
        }
    }
}
