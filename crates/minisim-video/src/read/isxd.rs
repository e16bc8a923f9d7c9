//! Inscopix `.isxd` movie reader: raw frames, then a JSON footer whose byte length is
//! the file's last 8 bytes (u64, little-endian). The footer gives the frame size
//! (`spacingInfo.numPixels`), the pixel size (`spacingInfo.pixelSize.x`, µm as a
//! fraction), the frame count and period (`timingInfo.numTimes`, `.period`, s as a
//! fraction; `dropped` frames are not stored), the sample type (`dataType`: 0 = u16,
//! 1 = f32, 2 = u8) and whether each frame carries two header and two footer rows
//! (`hasFrameHeaderFooter`, skipped).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{MovieInfo, MovieReader, Sample, bad};
use crate::error::{VideoError, io};

/// Rows of the per-frame header and footer when `hasFrameHeaderFooter` is set.
const HEADER_ROWS: usize = 2;

/// An `.isxd` movie.
pub(crate) struct IsxdReader {
    path: PathBuf,
    file: BufReader<File>,
    info: MovieInfo,
    sample: Sample,
    /// Rows skipped before and after each frame.
    pad_rows: usize,
    read: usize,
    buf: Vec<u8>,
}

/// `{"num": a, "den": b}` → a / b.
fn fraction(v: &Value) -> Option<f64> {
    let num = v.get("num")?.as_f64()?;
    let den = v.get("den")?.as_f64()?;
    (den != 0.0).then(|| num / den)
}

impl IsxdReader {
    pub(crate) fn open(path: &Path) -> Result<Self, VideoError> {
        let mut file = BufReader::new(File::open(path).map_err(io(path, "cannot open the movie"))?);
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(io(path, "cannot read the movie"))?;
        if len < 8 {
            return Err(bad(
                path,
                "not an .isxd file (shorter than its footer length)",
            ));
        }
        let mut n = [0u8; 8];
        file.seek(SeekFrom::End(-8))
            .map_err(io(path, "cannot read the movie"))?;
        file.read_exact(&mut n)
            .map_err(io(path, "cannot read the movie"))?;
        let footer_len = u64::from_le_bytes(n);
        if footer_len == 0 || footer_len > len - 8 {
            return Err(bad(
                path,
                format!("footer length {footer_len} does not fit the file's {len} bytes"),
            ));
        }
        let data_len = len - 8 - footer_len;
        file.seek(SeekFrom::Start(data_len))
            .map_err(io(path, "cannot read the movie"))?;
        let mut text = vec![0u8; footer_len as usize];
        file.read_exact(&mut text)
            .map_err(io(path, "cannot read the movie"))?;
        // The footer may end in NUL padding.
        let text = String::from_utf8_lossy(&text);
        let footer: Value = serde_json::from_str(text.trim_end_matches('\0').trim())
            .map_err(|e| bad(path, format!("the JSON footer does not parse: {e}")))?;
        let need = |v: Option<u64>, what: &str| {
            v.ok_or_else(|| bad(path, format!("the footer has no {what}")))
        };
        let px = footer.pointer("/spacingInfo/numPixels");
        let width = need(
            px.and_then(|p| p.get("x")).and_then(Value::as_u64),
            "spacingInfo.numPixels.x",
        )? as usize;
        let height = need(
            px.and_then(|p| p.get("y")).and_then(Value::as_u64),
            "spacingInfo.numPixels.y",
        )? as usize;
        let times = need(
            footer
                .pointer("/timingInfo/numTimes")
                .and_then(Value::as_u64),
            "timingInfo.numTimes",
        )? as usize;
        let dropped = footer
            .pointer("/timingInfo/dropped")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let sample = match footer.get("dataType").and_then(Value::as_u64).unwrap_or(0) {
            0 => Sample::U16,
            1 => Sample::F32,
            2 => Sample::U8,
            other => {
                return Err(bad(
                    path,
                    format!("dataType {other} is not a movie sample type (0 u16, 1 f32, 2 u8)"),
                ));
            }
        };
        let pad_rows = if footer
            .get("hasFrameHeaderFooter")
            .and_then(Value::as_bool)
            .unwrap_or(false)
        {
            HEADER_ROWS
        } else {
            0
        };
        let frames = times.saturating_sub(dropped);
        let frame_bytes = (height as u64)
            .saturating_add(2 * pad_rows as u64)
            .saturating_mul(width as u64)
            .saturating_mul(sample.size() as u64);
        if frame_bytes == 0 || frame_bytes.saturating_mul(frames as u64) != data_len {
            return Err(bad(
                path,
                format!(
                    "{data_len} bytes of frames, but the footer says {frames} frames of {height}×{width} {} ({} bytes)",
                    sample.name(),
                    frame_bytes.saturating_mul(frames as u64)
                ),
            ));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(io(path, "cannot read the movie"))?;
        Ok(IsxdReader {
            path: path.to_path_buf(),
            file,
            info: MovieInfo {
                frames,
                height,
                width,
                sample: sample.name(),
                frame_rate_hz: footer
                    .pointer("/timingInfo/period")
                    .and_then(fraction)
                    .filter(|&p| p > 0.0)
                    .map(|p| 1.0 / p),
                pixel_um: footer
                    .pointer("/spacingInfo/pixelSize/x")
                    .and_then(fraction),
            },
            sample,
            pad_rows,
            read: 0,
            buf: vec![0; frame_bytes as usize],
        })
    }
}

impl MovieReader for IsxdReader {
    fn info(&self) -> &MovieInfo {
        &self.info
    }

    fn read_frame(&mut self, out: &mut [f32]) -> Result<bool, VideoError> {
        if self.read == self.info.frames {
            return Ok(false);
        }
        self.file
            .read_exact(&mut self.buf)
            .map_err(io(&self.path, "cannot read the movie"))?;
        let size = self.sample.size();
        let skip = self.pad_rows * self.info.width * size;
        let body = &self.buf[skip..skip + self.info.height * self.info.width * size];
        self.sample.decode(body, out);
        self.read += 1;
        Ok(true)
    }
}
