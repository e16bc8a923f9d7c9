//! minisim streaming output: frame sinks and `simulate_video`.
//!
//! [`simulate_video`] renders a spec chunk by chunk into a file: `.avi` (Y800 or MJPG,
//! pure Rust, OpenDML past 1 GiB), `.tif`/`.tiff` (exact 16-bit counts, f32 when
//! sensorless, BigTIFF past 4 GiB), `.npy` (exact counts), and with the `ffmpeg`
//! feature `.mkv` (FFV1 gray16le, lossless) and `.mp4` (H.264). 8-bit formats map a
//! value c to `round(clamp((c − vmin)/(vmax − vmin), 0, 1) · 255)`; with an 8-bit
//! sensor and the default range that is the count itself.
//!
//! Architecture invariant: memory is bounded by the scene plus one chunk; the file
//! appears only when complete (temporary sibling, renamed); every option is checked
//! before rendering.
#![deny(missing_docs)]

mod avi;
mod error;
#[cfg(feature = "ffmpeg")]
mod ffmpeg;
mod format;
mod npy;
pub mod read;
mod sink;
mod tiff;
mod video;

pub use avi::{AviCodec, AviSink, JPEG_QUALITY, SEGMENT_LIMIT};
pub use error::VideoError;
pub use format::{Format, resolve, to_u8};
pub use npy::NpySink;
pub use sink::{EightBit, FrameSink, Frames, SinkConfig};
pub use video::{VideoOptions, output_bytes, simulate_video, write_movie};

/// TIFF sinks.
pub mod tiff_sink {
    pub use crate::tiff::{CLASSIC_LIMIT, create, data_bytes};
}
