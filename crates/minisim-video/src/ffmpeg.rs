//! FFmpeg sink (feature `ffmpeg`): FFV1 gray16le in Matroska (lossless 16-bit counts)
//! and H.264 (libx264, full-range 8-bit gray as yuv420p with neutral chroma) in MP4 or
//! Matroska, through the system's FFmpeg libraries (ffmpeg-next).

use std::path::PathBuf;

use ff::{Dictionary, Packet, Rational, codec, encoder, format, frame};
use ffmpeg_next as ff;

use crate::error::VideoError;
use crate::format::Format;
use crate::sink::{EightBit, FrameSink, Frames, SinkConfig};

/// Encodes frames with an FFmpeg encoder into a muxer.
pub struct FfmpegSink {
    octx: format::context::Output,
    encoder: encoder::Video,
    frame: frame::Video,
    enc_time_base: Rational,
    stream_time_base: Rational,
    mapper: Option<EightBit>,
    pixels: Vec<u8>,
    config: SinkConfig,
    path: PathBuf,
    next_pts: i64,
}

fn err(path: &std::path::Path) -> impl Fn(ff::Error) -> VideoError + '_ {
    move |e| VideoError::Encode {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

impl FfmpegSink {
    /// Open `path` (any name: the muxer is chosen from `format`, not the extension).
    pub fn create(path: PathBuf, config: &SinkConfig, fmt: Format) -> Result<Self, VideoError> {
        let e = err(&path);
        ff::init().map_err(&e)?;
        // Encoders' informational chatter would interleave with progress bars.
        ff::util::log::set_level(ff::util::log::Level::Error);
        let (muxer, codec_id, pixel) = match fmt {
            Format::MkvFfv1 => ("matroska", codec::Id::FFV1, format::Pixel::GRAY16LE),
            _ => {
                let muxer = if path.to_string_lossy().contains(".mkv") {
                    "matroska"
                } else {
                    "mp4"
                };
                (muxer, codec::Id::H264, format::Pixel::YUV420P)
            }
        };
        let mut octx = format::output_as(&path, muxer).map_err(&e)?;
        let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let codec = encoder::find(codec_id).ok_or_else(|| VideoError::Encode {
            path: path.clone(),
            message: format!("this FFmpeg has no {codec_id:?} encoder"),
        })?;
        let mut ost = octx.add_stream(codec).map_err(&e)?;
        let mut enc = codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(&e)?;
        let rate = Rational::new((config.fps * 1000.0).round() as i32, 1000);
        let time_base = rate.invert();
        enc.set_width(config.width as u32);
        enc.set_height(config.height as u32);
        enc.set_format(pixel);
        enc.set_time_base(time_base);
        enc.set_frame_rate(Some(rate));
        if pixel == format::Pixel::YUV420P {
            enc.set_color_range(ff::util::color::Range::JPEG);
        }
        if global_header {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let mut options = Dictionary::new();
        if codec_id == codec::Id::H264 {
            options.set("crf", "18");
            options.set("preset", "medium");
        } else {
            options.set("level", "3");
            options.set("slicecrc", "1");
        }
        let encoder = enc.open_with(options).map_err(&e)?;
        ost.set_parameters(&encoder);
        ost.set_time_base(time_base);
        octx.write_header().map_err(&e)?;
        let stream_time_base = octx.stream(0).expect("one stream").time_base();
        let frame = frame::Video::new(pixel, config.width as u32, config.height as u32);
        let mapper = (pixel == format::Pixel::YUV420P).then(|| EightBit::new(config));
        drop(e);
        Ok(FfmpegSink {
            octx,
            encoder,
            frame,
            enc_time_base: time_base,
            stream_time_base,
            mapper,
            pixels: Vec::new(),
            config: *config,
            path,
            next_pts: 0,
        })
    }

    fn drain(&mut self) -> Result<(), VideoError> {
        let mut packet = Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(0);
            // One frame per packet; without a duration the mp4 edit list would end at
            // the last frame's start and readers would drop it.
            packet.set_duration(1);
            packet.rescale_ts(self.enc_time_base, self.stream_time_base);
            packet
                .write_interleaved(&mut self.octx)
                .map_err(err(&self.path))?;
        }
        Ok(())
    }

    fn encode(&mut self, frame: Frames<'_>) -> Result<(), VideoError> {
        let (w, h) = (self.config.width, self.config.height);
        match (&self.mapper, frame) {
            (None, Frames::Counts(c)) => {
                let stride = self.frame.stride(0);
                let data = self.frame.data_mut(0);
                for (y, row) in c.chunks_exact(w).enumerate() {
                    let dst = &mut data[y * stride..y * stride + 2 * w];
                    for (d, v) in dst.chunks_exact_mut(2).zip(row) {
                        d.copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
            (Some(mapper), frame) => {
                mapper.map(frame, &mut self.pixels);
                let stride = self.frame.stride(0);
                let luma = self.frame.data_mut(0);
                for (y, row) in self.pixels.chunks_exact(w).enumerate() {
                    luma[y * stride..y * stride + w].copy_from_slice(row);
                }
                for plane in 1..3 {
                    self.frame.data_mut(plane).fill(128);
                }
            }
            (None, Frames::Intensity(_)) => {
                return Err(VideoError::NeedsCounts {
                    path: self.path.clone(),
                    codec: "FFV1".into(),
                });
            }
        }
        let _ = h;
        self.frame.set_pts(Some(self.next_pts));
        self.next_pts += 1;
        self.encoder
            .send_frame(&self.frame)
            .map_err(err(&self.path))?;
        self.drain()
    }
}

impl FrameSink for FfmpegSink {
    fn write(&mut self, frames: Frames<'_>) -> Result<(), VideoError> {
        frames
            .each(self.config.pixels())
            .try_for_each(|f| self.encode(f))
    }

    fn finish(mut self: Box<Self>) -> Result<(), VideoError> {
        self.encoder.send_eof().map_err(err(&self.path))?;
        self.drain()?;
        self.octx.write_trailer().map_err(err(&self.path))?;
        let path = self.path.clone();
        drop(self);
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(crate::error::io(&path, "fsync"))
    }
}
