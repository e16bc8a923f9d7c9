//! Choosing a sink from the output path's extension and the codec name, before any
//! rendering.

use std::path::Path;

use crate::error::VideoError;

/// A file format minisim writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// AVI, uncompressed 8-bit gray (`Y800`), pure Rust.
    AviY800,
    /// AVI of gray JPEG frames (`MJPG`), pure Rust, lossy.
    AviMjpg,
    /// Multi-page TIFF: exact 16-bit counts (f32 when sensorless), BigTIFF past 4 GiB.
    Tiff,
    /// NumPy `.npy`: exact counts (f32 when sensorless).
    Npy,
    /// Matroska with FFV1 gray16le: lossless 16-bit (feature `ffmpeg`).
    MkvFfv1,
    /// H.264 (8-bit, lossy) in `.mp4` or `.mkv` (feature `ffmpeg`).
    H264,
}

impl Format {
    /// True for formats holding 8-bit pixels mapped through vmin/vmax.
    pub fn is_8bit(self) -> bool {
        matches!(self, Format::AviY800 | Format::AviMjpg | Format::H264)
    }

    /// True for formats written through FFmpeg.
    pub fn needs_ffmpeg(self) -> bool {
        matches!(self, Format::MkvFfv1 | Format::H264)
    }
}

const PURE_CODECS: &str = "Y800, MJPG (.avi)";

fn supported_codecs() -> String {
    if cfg!(feature = "ffmpeg") {
        format!("{PURE_CODECS}, FFV1 (.mkv), H264 (.mp4, .mkv)")
    } else {
        PURE_CODECS.to_owned()
    }
}

fn supported_formats() -> String {
    let base = ".avi (Y800, MJPG), .tif/.tiff (exact counts), .npy (exact counts)";
    if cfg!(feature = "ffmpeg") {
        format!("{base}, .mkv (FFV1, H264), .mp4 (H264)")
    } else {
        format!("{base}; .mkv and .mp4 need the `ffmpeg` feature")
    }
}

/// Resolve the format of `path` with an optional codec name (case-insensitive).
pub fn resolve(path: &Path, codec: Option<&str>) -> Result<Format, VideoError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let codec_up = codec.map(|c| c.trim().to_uppercase());
    let known = ["Y800", "MJPG", "FFV1", "H264", "RAW"];
    if let Some(c) = &codec_up
        && !known.contains(&c.as_str())
    {
        return Err(VideoError::UnknownCodec {
            path: path.to_owned(),
            codec: codec.unwrap_or_default().to_owned(),
            supported: supported_codecs(),
        });
    }
    let wrong_container = |hint: &str| VideoError::CodecNotInContainer {
        path: path.to_owned(),
        codec: codec.unwrap_or_default().to_owned(),
        container: format!(".{ext}"),
        hint: hint.to_owned(),
    };
    let format = match (ext.as_str(), codec_up.as_deref()) {
        ("avi", None | Some("Y800")) => Format::AviY800,
        ("avi", Some("MJPG")) => Format::AviMjpg,
        ("avi", Some(_)) => {
            return Err(wrong_container(
                "AVI holds Y800 or MJPG; use .mkv for FFV1 or .mp4 for H264",
            ));
        }
        ("tif" | "tiff", None | Some("RAW")) => Format::Tiff,
        ("tif" | "tiff", Some(_)) => {
            return Err(wrong_container("TIFF stores exact counts; omit the codec"));
        }
        ("npy", None | Some("RAW")) => Format::Npy,
        ("npy", Some(_)) => return Err(wrong_container("NPY stores exact counts; omit the codec")),
        ("mkv", None | Some("FFV1")) => Format::MkvFfv1,
        ("mkv" | "mp4", Some("H264")) => Format::H264,
        ("mp4", None) => Format::H264,
        ("mkv" | "mp4", Some(_)) => {
            return Err(wrong_container(
                "use FFV1 in .mkv (lossless) or H264 in .mp4/.mkv",
            ));
        }
        _ => {
            return Err(VideoError::UnknownFormat {
                path: path.to_owned(),
                ext: if ext.is_empty() {
                    "(none)".to_owned()
                } else {
                    format!(".{ext}")
                },
                supported: supported_formats(),
            });
        }
    };
    if format.needs_ffmpeg() && !cfg!(feature = "ffmpeg") {
        return Err(VideoError::NeedsFfmpeg {
            path: path.to_owned(),
            codec: match format {
                Format::MkvFfv1 => "FFV1".to_owned(),
                _ => "H264".to_owned(),
            },
            supported: supported_codecs(),
        });
    }
    Ok(format)
}

/// The documented 8-bit mapping: `round(clamp((c − vmin)/(vmax − vmin), 0, 1) · 255)`.
pub fn to_u8(value: f64, vmin: f64, vmax: f64) -> u8 {
    ((value - vmin) / (vmax - vmin))
        .clamp(0.0, 1.0)
        .mul_add(255.0, 0.0)
        .round() as u8
}
