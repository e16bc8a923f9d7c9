//! Movie readers: what users have, frame by frame, in bounded memory.
//!
//! [`open`] picks the reader by extension: `.npy` (numpy, C order, u8/u16/f32/f64,
//! frames × height × width), `.tif`/`.tiff` (one page per frame, 8/16-bit or f32),
//! `.avi` (uncompressed 8-bit gray: `Y800`/`GREY`/`Y8` top-down or `BI_RGB` 8-bit
//! bottom-up, OpenDML `AVIX` segments included) and `.isxd` (Inscopix: raw frames, then
//! a JSON footer whose byte length is the file's last 8 bytes). Every reader yields
//! frames as `f32` (exact for 8/16-bit counts) and holds one frame at a time.
//!
//! Invariant: a reader never returns a partial frame; a truncated or malformed file is
//! a [`VideoError::BadInput`] naming the file and what is wrong.

mod avi;
#[cfg(feature = "ffmpeg")]
mod ffmpeg;
mod isxd;
mod npy;
mod tiff;

use std::path::Path;

use crate::error::VideoError;

/// What a movie file says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct MovieInfo {
    /// Frames in the file.
    pub frames: usize,
    /// Frame height, px.
    pub height: usize,
    /// Frame width, px.
    pub width: usize,
    /// Sample type as stored (`"u8"`, `"u16"`, `"f32"`, `"f64"`).
    pub sample: &'static str,
    /// Frame rate, Hz, when the file carries it (AVI, isxd).
    pub frame_rate_hz: Option<f64>,
    /// Pixel size, µm, when the file carries it (isxd).
    pub pixel_um: Option<f64>,
}

/// A movie read frame by frame.
pub trait MovieReader {
    /// Dimensions and what else the file says.
    fn info(&self) -> &MovieInfo;
    /// Read the next frame (row-major, `height × width`) into `out`; `false` after the
    /// last frame.
    fn read_frame(&mut self, out: &mut [f32]) -> Result<bool, VideoError>;
}

/// Open `path` with the reader its extension names.
pub fn open(path: &Path) -> Result<Box<dyn MovieReader>, VideoError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "npy" => Ok(Box::new(npy::NpyReader::open(path)?)),
        "tif" | "tiff" => Ok(Box::new(tiff::TiffReader::open(path)?)),
        "avi" => match avi::AviReader::open(path) {
            Ok(r) => Ok(Box::new(r)),
            // Compressed AVI (FFV1 and others) through FFmpeg when it is built in.
            #[cfg(feature = "ffmpeg")]
            Err(VideoError::BadInput { message, .. }) if message.starts_with("codec ") => {
                match ffmpeg::FfmpegReader::open(path) {
                    Ok(r) => Ok(Box::new(r)),
                    Err(VideoError::BadInput { message: ff, .. }) => {
                        Err(bad(path, format!("{message}; {ff}")))
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        },
        #[cfg(feature = "ffmpeg")]
        "mkv" | "mp4" => Ok(Box::new(ffmpeg::FfmpegReader::open(path)?)),
        #[cfg(not(feature = "ffmpeg"))]
        "mkv" | "mp4" => Err(bad(
            path,
            "Matroska and MP4 movies are read through FFmpeg: build with the `ffmpeg` feature, or convert to .tif or .npy",
        )),
        "isxd" => Ok(Box::new(isxd::IsxdReader::open(path)?)),
        _ => Err(bad(
            path,
            format!(
                "unknown movie format {}; readable: .npy, .tif, .tiff, .avi (uncompressed 8-bit gray), .isxd",
                if ext.is_empty() {
                    "(no extension)".to_owned()
                } else {
                    format!(".{ext}")
                }
            ),
        )),
    }
}

/// A movie already in memory (`frames × height × width`), read like a file: for
/// calibrating or comparing a render without writing it out.
pub struct ArrayReader {
    movie: ndarray::Array3<f32>,
    info: MovieInfo,
    next: usize,
}

impl ArrayReader {
    /// A reader over `movie`, with the frame rate and pixel size a file would carry.
    pub fn new(
        movie: ndarray::Array3<f32>,
        frame_rate_hz: Option<f64>,
        pixel_um: Option<f64>,
    ) -> ArrayReader {
        let (frames, height, width) = movie.dim();
        ArrayReader {
            movie: movie.as_standard_layout().into_owned(),
            info: MovieInfo {
                frames,
                height,
                width,
                sample: "f32",
                frame_rate_hz,
                pixel_um,
            },
            next: 0,
        }
    }
}

impl MovieReader for ArrayReader {
    fn info(&self) -> &MovieInfo {
        &self.info
    }

    fn read_frame(&mut self, out: &mut [f32]) -> Result<bool, VideoError> {
        if self.next >= self.info.frames {
            return Ok(false);
        }
        let frame = self.movie.index_axis(ndarray::Axis(0), self.next);
        out.copy_from_slice(frame.as_slice().expect("standard layout"));
        self.next += 1;
        Ok(true)
    }
}

/// Read up to `max_frames` frames (all with `None`) into one `frames × height × width`
/// array of `f32`.
pub fn read_all(
    reader: &mut dyn MovieReader,
    max_frames: Option<usize>,
) -> Result<ndarray::Array3<f32>, VideoError> {
    let info = reader.info().clone();
    let n = max_frames.map_or(info.frames, |m| m.min(info.frames));
    let mut movie = ndarray::Array3::<f32>::zeros((n, info.height, info.width));
    for mut frame in movie.outer_iter_mut() {
        let out = frame.as_slice_mut().expect("standard layout");
        if !reader.read_frame(out)? {
            break;
        }
    }
    Ok(movie)
}

/// A stored sample type (little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sample {
    U8,
    U16,
    F32,
    F64,
}

impl Sample {
    /// Bytes per sample.
    pub(crate) fn size(self) -> usize {
        match self {
            Sample::U8 => 1,
            Sample::U16 => 2,
            Sample::F32 => 4,
            Sample::F64 => 8,
        }
    }

    /// Its name in [`MovieInfo::sample`].
    pub(crate) fn name(self) -> &'static str {
        match self {
            Sample::U8 => "u8",
            Sample::U16 => "u16",
            Sample::F32 => "f32",
            Sample::F64 => "f64",
        }
    }

    /// Decode `bytes` (whole samples) into `out` as `f32`.
    pub(crate) fn decode(self, bytes: &[u8], out: &mut [f32]) {
        let o = out.iter_mut();
        match self {
            Sample::U8 => o.zip(bytes).for_each(|(o, &v)| *o = v as f32),
            Sample::U16 => o
                .zip(bytes.chunks_exact(2))
                .for_each(|(o, c)| *o = u16::from_le_bytes([c[0], c[1]]) as f32),
            Sample::F32 => o
                .zip(bytes.chunks_exact(4))
                .for_each(|(o, c)| *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            Sample::F64 => o
                .zip(bytes.chunks_exact(8))
                .for_each(|(o, c)| *o = f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32),
        }
    }
}

/// A malformed-input error for `path`.
pub(crate) fn bad(path: &Path, message: impl Into<String>) -> VideoError {
    VideoError::BadInput {
        path: path.display().to_string(),
        message: message.into(),
    }
}
