//! Errors of video and stack output. Each names the output file and, where there is
//! one, a way forward.

use std::path::PathBuf;

/// Why a video or stack could not be written.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// The extension names no supported format.
    #[error("{path}: unknown output format {ext}; supported: {supported}")]
    UnknownFormat {
        /// The output path.
        path: PathBuf,
        /// The extension seen (with its dot), or "(none)".
        ext: String,
        /// What this build writes.
        supported: String,
    },
    /// The codec name is not one minisim knows.
    #[error("{path}: unknown codec \"{codec}\"; this build supports {supported}")]
    UnknownCodec {
        /// The output path.
        path: PathBuf,
        /// The codec asked for.
        codec: String,
        /// Codecs this build writes.
        supported: String,
    },
    /// The container cannot hold the codec.
    #[error("{path}: codec \"{codec}\" cannot be stored in {container}; {hint}")]
    CodecNotInContainer {
        /// The output path.
        path: PathBuf,
        /// The codec asked for.
        codec: String,
        /// The container (extension).
        container: String,
        /// Which container to use instead.
        hint: String,
    },
    /// The codec needs the `ffmpeg` cargo feature.
    #[error(
        "{path}: codec \"{codec}\" needs the `ffmpeg` feature; this build supports {supported}\n       hint: cargo install --features ffmpeg, or write .tif for exact 16-bit counts"
    )]
    NeedsFfmpeg {
        /// The output path.
        path: PathBuf,
        /// The codec asked for.
        codec: String,
        /// Codecs this build writes.
        supported: String,
    },
    /// An 8-bit format of a sensorless spec needs an explicit intensity range.
    #[error(
        "{path}: the spec has no `digitize` step, so its intensities have no natural range; pass vmax (and vmin) to map them to 8 bits, or write .tif/.npy for exact values"
    )]
    VmaxRequired {
        /// The output path.
        path: PathBuf,
    },
    /// A lossless 16-bit codec was asked for a sensorless (float) movie.
    #[error(
        "{path}: codec \"{codec}\" stores integer counts, but the spec has no `digitize` step; write .tif or .npy for float intensities"
    )]
    NeedsCounts {
        /// The output path.
        path: PathBuf,
        /// The codec asked for.
        codec: String,
    },
    /// An input movie that cannot be read as what its extension says.
    #[error("{path}: {message}")]
    BadInput {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// vmin/vmax/fps/chunk options are out of range.
    #[error("{path}: {message}")]
    BadOption {
        /// The output path.
        path: PathBuf,
        /// What is wrong, with the values.
        message: String,
    },
    /// The output would not fit on its file system (checked before rendering).
    #[error(
        "{path}: the output needs about {} but the file system has {} free; free some space, choose another directory, or render fewer frames or a smaller field of view (force it with --force)",
        minisim_render::human_bytes(*needed),
        minisim_render::human_bytes(*free)
    )]
    NoSpace {
        /// The output path.
        path: PathBuf,
        /// Bytes the file will take.
        needed: u64,
        /// Bytes free on its file system.
        free: u64,
    },
    /// Writing failed.
    #[error("{path}: {action}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error (shown in the message, so not a `source`).
        error: std::io::Error,
    },
    /// An encoder failed.
    #[error("{path}: encoding failed: {message}")]
    Encode {
        /// The output path.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
    /// Rendering could not start.
    #[error(transparent)]
    Render(#[from] minisim_render::RenderError),
}

pub(crate) fn io(
    path: impl Into<PathBuf>,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> VideoError {
    let path = path.into();
    move |error| VideoError::Io {
        path,
        action,
        error,
    }
}
