//! Multi-page TIFF reader (one page per frame; 8/16-bit gray or f32), via the `tiff`
//! crate. The pages are counted first (directories only), then decoded one by one.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use tiff::decoder::{Decoder, DecodingResult};

use super::{MovieInfo, MovieReader, bad};
use crate::error::{VideoError, io};

/// A multi-page TIFF movie.
pub(crate) struct TiffReader {
    path: PathBuf,
    decoder: Decoder<BufReader<File>>,
    info: MovieInfo,
    read: usize,
}

fn decoder(path: &Path) -> Result<Decoder<BufReader<File>>, VideoError> {
    let file = File::open(path).map_err(io(path, "cannot open the movie"))?;
    Decoder::new(BufReader::new(file)).map_err(|e| bad(path, format!("not a readable TIFF: {e}")))
}

impl TiffReader {
    pub(crate) fn open(path: &Path) -> Result<Self, VideoError> {
        let mut d = decoder(path)?;
        let (width, height) = d
            .dimensions()
            .map_err(|e| bad(path, format!("page 1: {e}")))?;
        let sample = match d
            .colortype()
            .map_err(|e| bad(path, format!("page 1: {e}")))?
        {
            tiff::ColorType::Gray(8) => "u8",
            tiff::ColorType::Gray(16) => "u16",
            tiff::ColorType::Gray(32) => "f32",
            other => {
                return Err(bad(
                    path,
                    format!("{other:?} pages are not read; a movie is 8/16-bit or float32 gray"),
                ));
            }
        };
        let mut frames = 1;
        while d.more_images() {
            d.next_image()
                .map_err(|e| bad(path, format!("page {}: {e}", frames + 1)))?;
            frames += 1;
        }
        Ok(TiffReader {
            path: path.to_path_buf(),
            decoder: decoder(path)?,
            info: MovieInfo {
                frames,
                height: height as usize,
                width: width as usize,
                sample,
                frame_rate_hz: None,
                pixel_um: None,
            },
            read: 0,
        })
    }
}

impl MovieReader for TiffReader {
    fn info(&self) -> &MovieInfo {
        &self.info
    }

    fn read_frame(&mut self, out: &mut [f32]) -> Result<bool, VideoError> {
        if self.read == self.info.frames {
            return Ok(false);
        }
        let page = self.read + 1;
        if self.read > 0 {
            self.decoder
                .next_image()
                .map_err(|e| bad(&self.path, format!("page {page}: {e}")))?;
        }
        let dims = self
            .decoder
            .dimensions()
            .map_err(|e| bad(&self.path, format!("page {page}: {e}")))?;
        if (dims.1 as usize, dims.0 as usize) != (self.info.height, self.info.width) {
            return Err(bad(
                &self.path,
                format!(
                    "page {page} is {}×{}, page 1 {}×{}",
                    dims.1, dims.0, self.info.height, self.info.width
                ),
            ));
        }
        let image = self
            .decoder
            .read_image()
            .map_err(|e| bad(&self.path, format!("page {page}: {e}")))?;
        match image {
            DecodingResult::U8(v) => out.iter_mut().zip(v).for_each(|(o, x)| *o = x as f32),
            DecodingResult::U16(v) => out.iter_mut().zip(v).for_each(|(o, x)| *o = x as f32),
            DecodingResult::F32(v) => out.iter_mut().zip(v).for_each(|(o, x)| *o = x),
            _ => {
                return Err(bad(
                    &self.path,
                    format!("page {page}: sample type is not 8/16-bit or float32"),
                ));
            }
        }
        self.read += 1;
        Ok(true)
    }
}
