//! Uncompressed 8-bit gray AVI reader: `Y800`/`GREY`/`Y8` (rows top-down) or `BI_RGB`
//! 8-bit (rows bottom-up when the height is positive), rows padded to 4 bytes or packed.
//! The chunk tree is walked once for the frame offsets (`00db`/`00dc` in every `movi`
//! list, OpenDML `AVIX` segments included); frames are then read one at a time.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{MovieInfo, MovieReader, bad};
use crate::error::{VideoError, io};

/// An uncompressed gray AVI movie.
pub(crate) struct AviReader {
    path: PathBuf,
    file: BufReader<File>,
    info: MovieInfo,
    /// (offset, size) of every frame's data.
    frames: Vec<(u64, u32)>,
    bottom_up: bool,
    read: usize,
    buf: Vec<u8>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// What the headers say.
#[derive(Default)]
struct Headers {
    us_per_frame: u32,
    width: i32,
    height: i32,
    bits: u16,
    compression: [u8; 4],
}

/// Walk the chunks in `[start, end)`, descending into `RIFF`/`LIST`; collect headers
/// and frame offsets.
fn walk(
    f: &mut BufReader<File>,
    path: &Path,
    start: u64,
    end: u64,
    in_movi: bool,
    h: &mut Headers,
    frames: &mut Vec<(u64, u32)>,
) -> Result<(), VideoError> {
    let mut pos = start;
    while pos + 8 <= end {
        f.seek(SeekFrom::Start(pos))
            .map_err(io(path, "cannot read the movie"))?;
        let mut head = [0u8; 12];
        f.read_exact(&mut head[..8])
            .map_err(|_| bad(path, format!("truncated chunk at byte {pos}")))?;
        let id = [head[0], head[1], head[2], head[3]];
        let size = u32_at(&head, 4) as u64;
        let data = pos + 8;
        if data + size > end {
            return Err(bad(
                path,
                format!(
                    "truncated: chunk '{}' at byte {pos} runs past the end of its parent",
                    String::from_utf8_lossy(&id)
                ),
            ));
        }
        match &id {
            b"RIFF" | b"LIST" => {
                f.read_exact(&mut head[8..12])
                    .map_err(|_| bad(path, format!("truncated list at byte {pos}")))?;
                let kind = [head[8], head[9], head[10], head[11]];
                walk(
                    f,
                    path,
                    data + 4,
                    data + size,
                    in_movi || kind == *b"movi",
                    h,
                    frames,
                )?;
            }
            b"avih" => {
                let mut b = vec![0u8; size.min(56) as usize];
                f.read_exact(&mut b)
                    .map_err(|_| bad(path, "truncated avih"))?;
                h.us_per_frame = u32_at(&b, 0);
            }
            b"strf" => {
                let mut b = vec![0u8; size.min(40) as usize];
                f.read_exact(&mut b)
                    .map_err(|_| bad(path, "truncated strf"))?;
                if b.len() < 20 {
                    return Err(bad(path, "strf shorter than a BITMAPINFOHEADER"));
                }
                h.width = u32_at(&b, 4) as i32;
                h.height = u32_at(&b, 8) as i32;
                h.bits = u16::from_le_bytes([b[14], b[15]]);
                h.compression = [b[16], b[17], b[18], b[19]];
            }
            _ if in_movi && (id[2..4] == *b"db" || id[2..4] == *b"dc") => {
                frames.push((data, size as u32));
            }
            _ => {}
        }
        pos = data + size + (size & 1);
    }
    Ok(())
}

impl AviReader {
    pub(crate) fn open(path: &Path) -> Result<Self, VideoError> {
        let mut file = BufReader::new(File::open(path).map_err(io(path, "cannot open the movie"))?);
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(io(path, "cannot read the movie"))?;
        let mut magic = [0u8; 12];
        file.seek(SeekFrom::Start(0))
            .map_err(io(path, "cannot read the movie"))?;
        file.read_exact(&mut magic)
            .map_err(|_| bad(path, "not an AVI file (shorter than its header)"))?;
        if &magic[..4] != b"RIFF" || &magic[8..12] != b"AVI " {
            return Err(bad(path, "not an AVI file (no RIFF 'AVI ' header)"));
        }
        let mut h = Headers::default();
        let mut frames = Vec::new();
        walk(&mut file, path, 0, len, false, &mut h, &mut frames)?;
        let gray = matches!(&h.compression, b"Y800" | b"GREY" | b"Y8  " | b"\0\0\0\0");
        if !gray || h.bits != 8 {
            return Err(bad(
                path,
                format!(
                    "codec '{}' at {} bits is not read; uncompressed 8-bit gray (Y800) only without the ffmpeg feature (FFV1 and others: build with `--features ffmpeg`, or convert to .tif or .npy)",
                    String::from_utf8_lossy(&h.compression),
                    h.bits
                ),
            ));
        }
        let (width, height) = (
            h.width.unsigned_abs() as usize,
            h.height.unsigned_abs() as usize,
        );
        if width == 0 || height == 0 {
            return Err(bad(path, "the AVI header gives no frame size"));
        }
        let stride_padded = (width + 3) & !3;
        for (k, &(_, size)) in frames.iter().enumerate() {
            let size = size as usize;
            if size != width * height && size != stride_padded * height {
                return Err(bad(
                    path,
                    format!(
                        "frame {} holds {size} bytes; {width}×{height} gray needs {} or {}",
                        k + 1,
                        width * height,
                        stride_padded * height
                    ),
                ));
            }
        }
        let bottom_up = &h.compression == b"\0\0\0\0" && h.height > 0;
        Ok(AviReader {
            path: path.to_path_buf(),
            file,
            info: MovieInfo {
                frames: frames.len(),
                height,
                width,
                sample: "u8",
                frame_rate_hz: (h.us_per_frame > 0).then(|| 1e6 / h.us_per_frame as f64),
                pixel_um: None,
            },
            frames,
            bottom_up,
            read: 0,
            buf: Vec::new(),
        })
    }
}

impl MovieReader for AviReader {
    fn info(&self) -> &MovieInfo {
        &self.info
    }

    fn read_frame(&mut self, out: &mut [f32]) -> Result<bool, VideoError> {
        let Some(&(offset, size)) = self.frames.get(self.read) else {
            return Ok(false);
        };
        self.buf.resize(size as usize, 0);
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(io(&self.path, "cannot read the movie"))?;
        self.file.read_exact(&mut self.buf).map_err(|_| {
            bad(
                &self.path,
                format!("truncated: frame {} is incomplete", self.read + 1),
            )
        })?;
        let (h, w) = (self.info.height, self.info.width);
        let stride = size as usize / h;
        for (r, row) in out.chunks_exact_mut(w).enumerate() {
            let src = if self.bottom_up { h - 1 - r } else { r };
            let line = &self.buf[src * stride..src * stride + w];
            row.iter_mut().zip(line).for_each(|(o, &v)| *o = v as f32);
        }
        self.read += 1;
        Ok(true)
    }
}
