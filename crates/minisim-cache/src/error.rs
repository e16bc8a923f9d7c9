//! Errors of persistence and the cache: each names the entry (directory) and what is
//! wrong with it.

use std::path::PathBuf;

/// Why a recording could not be saved or loaded, or a cache operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// An I/O operation failed.
    #[error("{path}: {action}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("create", "read", "rename", ...).
        action: &'static str,
        /// The OS error (shown in the message, so not a `source`).
        error: std::io::Error,
    },
    /// `recording.json` is missing: the directory is not a recording.
    #[error("{entry}: not a recording (no recording.json)")]
    NotARecording {
        /// The directory.
        entry: PathBuf,
    },
    /// `recording.json` cannot be parsed.
    #[error("{entry}: recording.json is not a valid manifest: {reason}")]
    BadManifest {
        /// The directory.
        entry: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// The manifest's format version is not one this build reads.
    #[error("{entry}: unknown format version {found} (this build reads version {supported})")]
    UnknownFormat {
        /// The directory.
        entry: PathBuf,
        /// The version in the manifest.
        found: u32,
        /// The version this build writes and reads.
        supported: u32,
    },
    /// The stored spec no longer hashes to the stored key: it was edited.
    #[error("{entry}: spec edited: it hashes to {actual} but the recording was made for {stored}")]
    SpecEdited {
        /// The directory.
        entry: PathBuf,
        /// Key in the manifest.
        stored: String,
        /// Key of the stored spec.
        actual: String,
    },
    /// The stored spec is not a valid spec for this build.
    #[error("{entry}: stored spec is invalid: {error}")]
    BadSpec {
        /// The directory.
        entry: PathBuf,
        /// Validation error (shown in the message).
        error: minisim_spec::SpecError,
    },
    /// A file inside the entry exists but cannot be read as a file (not UTF-8, a
    /// directory, a symlink loop, permissions): the entry is damaged.
    #[error("{entry}: {file}: unreadable: {error}")]
    Unreadable {
        /// The directory.
        entry: PathBuf,
        /// File name.
        file: String,
        /// What went wrong.
        error: String,
    },
    /// A cache entry's directory name is not the key of the recording it holds (e.g.
    /// copied or renamed by hand): it would serve the wrong recording.
    #[error("{entry}: holds the recording of key {stored}, not of its directory name")]
    WrongKey {
        /// The directory.
        entry: PathBuf,
        /// The key in its manifest.
        stored: String,
    },
    /// An array file listed in the manifest is missing.
    #[error("{entry}: missing file {file} (array `{array}`)")]
    MissingFile {
        /// The directory.
        entry: PathBuf,
        /// Array name.
        array: String,
        /// File name.
        file: String,
    },
    /// An array's dtype differs from the manifest or from what minisim expects.
    #[error("{entry}: {file}: dtype mismatch: expected {expected}, found {found}")]
    DtypeMismatch {
        /// The directory.
        entry: PathBuf,
        /// File name.
        file: String,
        /// Expected numpy descr.
        expected: String,
        /// Found numpy descr.
        found: String,
    },
    /// An array's shape differs from the manifest.
    #[error("{entry}: {file}: shape mismatch: expected {expected:?}, found {found:?}")]
    ShapeMismatch {
        /// The directory.
        entry: PathBuf,
        /// File name.
        file: String,
        /// Shape in the manifest.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// An array file's size does not match its header (truncated or padded).
    #[error("{entry}: {file}: size mismatch: header implies {expected} bytes, file has {found}")]
    SizeMismatch {
        /// The directory.
        entry: PathBuf,
        /// File name.
        file: String,
        /// Bytes implied by the header.
        expected: u64,
        /// Bytes on disk.
        found: u64,
    },
    /// An array file's blake3 checksum differs from the manifest.
    #[error("{entry}: {file}: checksum mismatch (file changed since it was written)")]
    ChecksumMismatch {
        /// The directory.
        entry: PathBuf,
        /// File name.
        file: String,
    },
    /// The arrays disagree with each other (e.g. CSR pointers).
    #[error("{entry}: inconsistent arrays: {reason}")]
    Inconsistent {
        /// The directory.
        entry: PathBuf,
        /// What disagrees.
        reason: String,
    },
    /// The destination of a save already holds something.
    #[error("{path}: already exists; choose a new directory or remove it first")]
    Exists {
        /// The destination.
        path: PathBuf,
    },
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] minisim_render::RenderError),
    /// `simulate_cached_with` was asked for a partial render (`until`): the cache holds
    /// complete recordings only.
    #[error(
        "the cache holds complete recordings only; render with until = {stage} without the cache"
    )]
    Partial {
        /// The stage requested.
        stage: minisim_spec::StepKind,
    },
    /// No cache directory could be determined.
    #[error("no cache directory: set MINISIM_CACHE or HOME")]
    NoCacheDir,
}

impl CacheError {
    /// True for errors that mean the entry on disk is damaged or stale (a cache miss
    /// to heal), as opposed to I/O failures of the machine.
    pub fn is_corruption(&self) -> bool {
        !matches!(
            self,
            CacheError::Io { .. }
                | CacheError::Render(_)
                | CacheError::NoCacheDir
                | CacheError::Exists { .. }
                | CacheError::Partial { .. }
        )
    }
}

pub(crate) fn io(
    path: impl Into<PathBuf>,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> CacheError {
    let path = path.into();
    move |error| CacheError::Io {
        path,
        action,
        error,
    }
}
