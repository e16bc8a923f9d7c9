//! Compressed movies through the system's FFmpeg libraries (feature `ffmpeg`): FFV1 in
//! AVI or Matroska (lossless, 8- or 16-bit gray), and any codec FFmpeg decodes whose
//! pixels are gray (8/10/12/16-bit) or planar YUV (the luma plane is read). The file
//! is demuxed once up front to count the frames (Matroska does not store the count).

use std::path::{Path, PathBuf};

use ff::{codec, format, frame, media};
use ffmpeg_next as ff;

use super::{MovieInfo, MovieReader, bad};
use crate::error::VideoError;

/// A movie decoded by FFmpeg.
pub(crate) struct FfmpegReader {
    path: PathBuf,
    input: format::context::Input,
    stream: usize,
    decoder: ff::decoder::Video,
    frame: frame::Video,
    info: MovieInfo,
    read: usize,
    eof: bool,
}

fn fail(path: &Path) -> impl Fn(ff::Error) -> VideoError + '_ {
    move |e| bad(path, format!("FFmpeg cannot decode it: {e}"))
}

impl FfmpegReader {
    pub(crate) fn open(path: &Path) -> Result<FfmpegReader, VideoError> {
        let e = fail(path);
        ff::init().map_err(&e)?;
        ff::util::log::set_level(ff::util::log::Level::Error);
        // Count the video packets (one per frame for intra-only codecs such as FFV1).
        let frames = {
            let mut ictx = format::input(path).map_err(&e)?;
            let index = ictx
                .streams()
                .best(media::Type::Video)
                .ok_or_else(|| bad(path, "no video stream"))?
                .index();
            ictx.packets().filter(|(s, _)| s.index() == index).count()
        };
        let input = format::input(path).map_err(&e)?;
        let stream = input
            .streams()
            .best(media::Type::Video)
            .ok_or_else(|| bad(path, "no video stream"))?;
        let index = stream.index();
        let rate = stream.avg_frame_rate();
        let decoder = codec::context::Context::from_parameters(stream.parameters())
            .map_err(&e)?
            .decoder()
            .video()
            .map_err(&e)?;
        let sample = match decoder.format() {
            format::Pixel::GRAY8 => "u8",
            format::Pixel::GRAY16LE | format::Pixel::GRAY10LE | format::Pixel::GRAY12LE => "u16",
            p if yuv8(p) => "u8",
            p => {
                return Err(bad(
                    path,
                    format!(
                        "pixel format {p:?} is not read; gray 8/10/12/16-bit or planar YUV (luma) only"
                    ),
                ));
            }
        };
        let info = MovieInfo {
            frames,
            height: decoder.height() as usize,
            width: decoder.width() as usize,
            sample,
            frame_rate_hz: (rate.denominator() != 0 && rate.numerator() > 0)
                .then(|| rate.numerator() as f64 / rate.denominator() as f64),
            pixel_um: None,
        };
        Ok(FfmpegReader {
            path: path.to_owned(),
            input,
            stream: index,
            decoder,
            frame: frame::Video::empty(),
            info,
            read: 0,
            eof: false,
        })
    }

    /// Copy the decoded frame's gray (or luma) plane into `out`.
    fn copy(&self, out: &mut [f32]) -> Result<(), VideoError> {
        let (w, h) = (self.info.width, self.info.height);
        let f = &self.frame;
        if f.width() as usize != w || f.height() as usize != h {
            return Err(bad(&self.path, "frame size changes within the movie"));
        }
        let stride = f.stride(0);
        let data = f.data(0);
        let wide = matches!(
            f.format(),
            format::Pixel::GRAY16LE | format::Pixel::GRAY10LE | format::Pixel::GRAY12LE
        );
        for (y, row) in out.chunks_exact_mut(w).enumerate() {
            let line = &data[y * stride..];
            if wide {
                for (x, o) in row.iter_mut().enumerate() {
                    *o = u16::from_le_bytes([line[2 * x], line[2 * x + 1]]) as f32;
                }
            } else {
                for (o, &v) in row.iter_mut().zip(line) {
                    *o = v as f32;
                }
            }
        }
        Ok(())
    }
}

/// 8-bit planar YUV formats (plane 0 is the luma at full size).
fn yuv8(p: format::Pixel) -> bool {
    use format::Pixel as P;
    matches!(
        p,
        P::YUV420P | P::YUV422P | P::YUV444P | P::YUVJ420P | P::YUVJ422P | P::YUVJ444P
    )
}

impl MovieReader for FfmpegReader {
    fn info(&self) -> &MovieInfo {
        &self.info
    }

    fn read_frame(&mut self, out: &mut [f32]) -> Result<bool, VideoError> {
        loop {
            if self.decoder.receive_frame(&mut self.frame).is_ok() {
                self.copy(out)?;
                self.read += 1;
                return Ok(true);
            }
            if self.eof {
                return Ok(false);
            }
            match self.input.packets().find(|(s, _)| s.index() == self.stream) {
                Some((_, packet)) => self
                    .decoder
                    .send_packet(&packet)
                    .map_err(fail(&self.path))?,
                None => {
                    self.eof = true;
                    self.decoder.send_eof().map_err(fail(&self.path))?;
                }
            }
        }
    }
}
