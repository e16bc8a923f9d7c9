//! `.npy` reader: the header's dtype and shape, then frames read in order.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::{MovieInfo, MovieReader, Sample, bad};
use crate::error::{VideoError, io};

/// A `.npy` movie (frames × height × width, or one height × width frame).
pub(crate) struct NpyReader {
    path: PathBuf,
    file: BufReader<File>,
    info: MovieInfo,
    dtype: Sample,
    read: usize,
    buf: Vec<u8>,
}

/// The value of `key` in the header dict text (`'key': value`), up to the next `,` or
/// `}` outside parentheses.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Some(&rest[..=i]);
                }
            }
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    None
}

impl NpyReader {
    pub(crate) fn open(path: &Path) -> Result<Self, VideoError> {
        let mut file = BufReader::new(File::open(path).map_err(io(path, "cannot open the movie"))?);
        let mut magic = [0u8; 8];
        file.read_exact(&mut magic)
            .map_err(|_| bad(path, "not a .npy file (shorter than its magic)"))?;
        if &magic[..6] != b"\x93NUMPY" {
            return Err(bad(path, "not a .npy file (no \\x93NUMPY magic)"));
        }
        let len = if magic[6] == 1 {
            let mut b = [0u8; 2];
            file.read_exact(&mut b)
                .map_err(|_| bad(path, "truncated .npy header"))?;
            u16::from_le_bytes(b) as usize
        } else {
            let mut b = [0u8; 4];
            file.read_exact(&mut b)
                .map_err(|_| bad(path, "truncated .npy header"))?;
            u32::from_le_bytes(b) as usize
        };
        let mut header = vec![0u8; len];
        file.read_exact(&mut header)
            .map_err(|_| bad(path, "truncated .npy header"))?;
        let header = String::from_utf8_lossy(&header).into_owned();
        let descr = field(&header, "descr")
            .map(|d| d.trim_matches(|c| c == '\'' || c == '"'))
            .ok_or_else(|| bad(path, "the .npy header has no 'descr'"))?;
        let dtype = match descr {
            "|u1" | "<u1" => Sample::U8,
            "<u2" => Sample::U16,
            "<f4" => Sample::F32,
            "<f8" => Sample::F64,
            other => {
                return Err(bad(
                    path,
                    format!(
                        "dtype {other} is not read; use uint8, uint16 (little-endian), float32 or float64"
                    ),
                ));
            }
        };
        if field(&header, "fortran_order") != Some("False") {
            return Err(bad(
                path,
                "Fortran-ordered arrays are not read; save with np.ascontiguousarray",
            ));
        }
        let shape: Vec<usize> = field(&header, "shape")
            .ok_or_else(|| bad(path, "the .npy header has no 'shape'"))?
            .trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad(path, "unreadable 'shape' in the .npy header"))?;
        let (frames, height, width) = match shape[..] {
            [t, h, w] => (t, h, w),
            [h, w] => (1, h, w),
            _ => {
                return Err(bad(
                    path,
                    format!("shape {shape:?}: a movie is frames × height × width"),
                ));
            }
        };
        let frame_bytes = height
            .checked_mul(width)
            .and_then(|n| n.checked_mul(dtype.size()))
            .filter(|&n| n > 0)
            .ok_or_else(|| bad(path, format!("shape {shape:?} holds no frame or overflows")))?;
        let data_len = std::fs::metadata(path)
            .map_err(io(path, "cannot read the movie"))?
            .len();
        // One frame must fit in the file before its buffer is allocated; a file cut
        // short later is reported at the frame that is incomplete.
        if frames > 0 && frame_bytes as u64 > data_len {
            return Err(bad(
                path,
                format!(
                    "truncated: shape {shape:?} needs {frame_bytes} bytes per frame, the file has {data_len}"
                ),
            ));
        }
        Ok(NpyReader {
            path: path.to_path_buf(),
            file,
            info: MovieInfo {
                frames,
                height,
                width,
                sample: dtype.name(),
                frame_rate_hz: None,
                pixel_um: None,
            },
            dtype,
            read: 0,
            buf: vec![0; frame_bytes],
        })
    }
}

impl MovieReader for NpyReader {
    fn info(&self) -> &MovieInfo {
        &self.info
    }

    fn read_frame(&mut self, out: &mut [f32]) -> Result<bool, VideoError> {
        if self.read == self.info.frames {
            return Ok(false);
        }
        self.file.read_exact(&mut self.buf).map_err(|_| {
            bad(
                &self.path,
                format!(
                    "truncated: frame {} of {} is incomplete",
                    self.read + 1,
                    self.info.frames
                ),
            )
        })?;
        self.dtype.decode(&self.buf, out);
        self.read += 1;
        Ok(true)
    }
}
