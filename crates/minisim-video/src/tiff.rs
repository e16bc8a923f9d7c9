//! Multi-page TIFF sink: one page per frame, 16-bit gray counts (32-bit float when
//! sensorless), BigTIFF when the file would pass 4 GiB. Classic TIFFs carry an ImageJ
//! description so ImageJ opens them as a time series.

use std::fs::File;
use std::path::PathBuf;

use tiff::encoder::{TiffEncoder, TiffKind, colortype};
use tiff::tags::Tag;

use crate::error::{VideoError, io};
use crate::sink::{FrameSink, Frames, SinkConfig};

/// Files larger than this (bytes of pixel data plus a margin for tags) use BigTIFF.
pub const CLASSIC_LIMIT: u64 = (1 << 32) - (64 << 20);

/// Writes pages as frames arrive.
pub struct TiffSink<K: TiffKind> {
    encoder: TiffEncoder<File, K>,
    /// A second handle on the file, to fsync it after the encoder is done.
    sync: File,
    config: SinkConfig,
    path: PathBuf,
    written: u64,
    /// Write ImageJ's description on the first page (classic TIFF only).
    imagej: bool,
}

/// Bytes of pixel data of the whole movie.
pub fn data_bytes(config: &SinkConfig) -> u64 {
    let per = if config.intensity { 4 } else { 2 };
    config.frames * config.pixels() as u64 * per
}

/// Create a TIFF sink; BigTIFF if `big` (choose with `data_bytes(...) > CLASSIC_LIMIT`).
pub fn create(
    file: File,
    path: PathBuf,
    config: &SinkConfig,
    big: bool,
) -> Result<Box<dyn FrameSink>, VideoError> {
    // Pages are written in whole-frame writes, so the file needs no buffer.
    let sync = file.try_clone().map_err(io(&path, "open"))?;
    let err = |e: tiff::TiffError| VideoError::Encode {
        path: path.clone(),
        message: e.to_string(),
    };
    Ok(if big {
        let encoder = TiffEncoder::new_big(file).map_err(err)?;
        Box::new(TiffSink {
            encoder,
            sync,
            config: *config,
            path: path.clone(),
            written: 0,
            imagej: false,
        })
    } else {
        let encoder = TiffEncoder::new(file).map_err(err)?;
        Box::new(TiffSink {
            encoder,
            sync,
            config: *config,
            path: path.clone(),
            written: 0,
            imagej: true,
        })
    })
}

impl<K: TiffKind> TiffSink<K> {
    fn page<C: colortype::ColorType>(&mut self, data: &[C::Inner]) -> Result<(), VideoError>
    where
        [C::Inner]: tiff::encoder::TiffValue,
    {
        let (w, h) = (self.config.width as u32, self.config.height as u32);
        let path = self.path.clone();
        let err = move |e: tiff::TiffError| VideoError::Encode {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut image = self.encoder.new_image::<C>(w, h).map_err(&err)?;
        if self.written == 0 && self.imagej {
            let description = format!(
                "ImageJ=1.11a\nimages={n}\nframes={n}\nfinterval={dt}\nmode=grayscale\n",
                n = self.config.frames,
                dt = 1.0 / self.config.fps
            );
            image
                .encoder()
                .write_tag(Tag::ImageDescription, description.as_str())
                .map_err(&err)?;
        }
        image.write_data(data).map_err(&err)?;
        self.written += 1;
        Ok(())
    }
}

impl<K: TiffKind + 'static> FrameSink for TiffSink<K> {
    fn write(&mut self, frames: Frames<'_>) -> Result<(), VideoError> {
        frames.each(self.config.pixels()).try_for_each(|f| match f {
            Frames::Counts(c) => self.page::<colortype::Gray16>(c),
            Frames::Intensity(c) => self.page::<colortype::Gray32Float>(c),
        })
    }

    fn finish(self: Box<Self>) -> Result<(), VideoError> {
        // Every page's directory is complete once written; nothing is pending.
        let TiffSink {
            encoder,
            sync,
            path,
            ..
        } = *self;
        drop(encoder);
        sync.sync_all().map_err(io(&path, "fsync"))
    }
}
