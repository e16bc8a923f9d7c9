//! AVI writer: uncompressed 8-bit gray (`Y800`) or gray JPEG frames (`MJPG`), with
//! OpenDML indexes so files may exceed 1 GiB.
//!
//! Layout: `RIFF 'AVI '` { `hdrl` { `avih`, `strl` { `strh`, `strf`
//! (BITMAPINFOHEADER, positive height, Y800 rows top-down and padded to 4 bytes),
//! `indx` (super index) }, `odml` { `dmlh` } }, `movi` { frames…, `ix00` }, `idx1` },
//! then for every further GiB `RIFF 'AVIX'` { `movi` { frames…, `ix00` } }. Headers
//! and indexes are patched when the file is finished. Readers tested: ffmpeg/ffprobe
//! and OpenCV.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::error::{VideoError, io};
use crate::sink::{EightBit, FrameSink, Frames, SinkConfig};

/// Largest RIFF segment, bytes (OpenDML readers expect ≤ 1 GiB).
pub const SEGMENT_LIMIT: u64 = 1 << 30;

/// JPEG quality of `MJPG` frames (1–100).
pub const JPEG_QUALITY: u8 = 90;

/// Frame encoding inside the AVI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AviCodec {
    /// Uncompressed 8-bit gray.
    Y800,
    /// Gray baseline JPEG per frame.
    Mjpg,
}

/// A streaming AVI writer.
pub struct AviSink {
    out: BufWriter<File>,
    path: PathBuf,
    config: SinkConfig,
    codec: AviCodec,
    mapper: EightBit,
    pixels: Vec<u8>,
    chunk: Vec<u8>,
    pos: u64,
    segment_limit: u64,
    riff_pos: u64,
    movi_pos: u64,
    first_segment: bool,
    /// (data offset, size) of each frame in the current segment.
    seg: Vec<(u64, u32)>,
    /// Legacy index of the first segment: (offset from the `movi` fourcc, size).
    idx1: Vec<(u32, u32)>,
    /// Super-index entries: (position of `ix00`, its size with header, frames).
    supers: Vec<(u64, u32, u32)>,
    super_capacity: usize,
    indx_pos: u64,
    avih_pos: u64,
    strh_pos: u64,
    dmlh_pos: u64,
    frames: u64,
    first_riff_frames: u32,
    max_chunk: u32,
}

fn stride(width: usize) -> usize {
    width.next_multiple_of(4)
}

impl AviSink {
    /// Start an AVI in `file` with the default 1 GiB segments.
    pub fn create(
        file: File,
        path: PathBuf,
        config: &SinkConfig,
        codec: AviCodec,
    ) -> Result<Self, VideoError> {
        Self::with_segment_limit(file, path, config, codec, SEGMENT_LIMIT)
    }

    /// Start an AVI whose RIFF segments stay below `segment_limit` bytes (small limits
    /// exercise the OpenDML path in tests).
    pub fn with_segment_limit(
        file: File,
        path: PathBuf,
        config: &SinkConfig,
        codec: AviCodec,
        segment_limit: u64,
    ) -> Result<Self, VideoError> {
        let raw = (stride(config.width) * config.height) as u64 + 8;
        let per_frame = match codec {
            AviCodec::Y800 => raw,
            AviCodec::Mjpg => 2 * raw + 1024,
        };
        let segments = (config.frames * per_frame)
            .div_ceil(segment_limit / 2)
            .max(1);
        let mut sink = AviSink {
            out: BufWriter::with_capacity(1 << 20, file),
            path,
            config: *config,
            codec,
            mapper: EightBit::new(config),
            pixels: Vec::new(),
            chunk: Vec::new(),
            pos: 0,
            segment_limit,
            riff_pos: 0,
            movi_pos: 0,
            first_segment: true,
            seg: Vec::new(),
            idx1: Vec::new(),
            supers: Vec::new(),
            super_capacity: (segments + 8) as usize,
            indx_pos: 0,
            avih_pos: 0,
            strh_pos: 0,
            dmlh_pos: 0,
            frames: 0,
            first_riff_frames: 0,
            max_chunk: 0,
        };
        sink.write_headers()?;
        Ok(sink)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), VideoError> {
        self.out.write_all(bytes).map_err(io(&self.path, "write"))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    fn u16(&mut self, v: u16) -> Result<(), VideoError> {
        self.put(&v.to_le_bytes())
    }

    fn u32(&mut self, v: u32) -> Result<(), VideoError> {
        self.put(&v.to_le_bytes())
    }

    fn u64(&mut self, v: u64) -> Result<(), VideoError> {
        self.put(&v.to_le_bytes())
    }

    fn patch_u32(&mut self, at: u64, v: u32) -> Result<(), VideoError> {
        let path = self.path.clone();
        self.out
            .seek(SeekFrom::Start(at))
            .map_err(io(&path, "seek"))?;
        self.out
            .write_all(&v.to_le_bytes())
            .map_err(io(&path, "write"))?;
        self.out
            .seek(SeekFrom::Start(self.pos))
            .map_err(io(&path, "seek"))?;
        Ok(())
    }

    fn chunk_id(&self) -> &'static [u8; 4] {
        match self.codec {
            AviCodec::Y800 => b"00db",
            AviCodec::Mjpg => b"00dc",
        }
    }

    fn rate(&self) -> (u32, u32) {
        let fps = self.config.fps;
        if (fps - fps.round()).abs() < 1e-9 {
            (1, fps.round() as u32)
        } else {
            (1000, (fps * 1000.0).round() as u32)
        }
    }

    fn write_headers(&mut self) -> Result<(), VideoError> {
        let (w, h) = (self.config.width as u32, self.config.height as u32);
        let frame_bytes = (stride(self.config.width) * self.config.height) as u32;
        let indx_len = 24 + 16 * self.super_capacity as u32;
        let strl = 4 + (8 + 56) + (8 + 40) + (8 + indx_len);
        let odml = 4 + 8 + 248;
        let hdrl = 4 + (8 + 56) + (8 + strl) + (8 + odml);
        self.put(b"RIFF")?;
        self.u32(0)?;
        self.put(b"AVI ")?;
        self.put(b"LIST")?;
        self.u32(hdrl)?;
        self.put(b"hdrl")?;
        // MainAVIHeader
        self.put(b"avih")?;
        self.u32(56)?;
        self.avih_pos = self.pos;
        self.u32((1e6 / self.config.fps).round() as u32)?;
        self.u32((frame_bytes as f64 * self.config.fps).min(u32::MAX as f64) as u32)?;
        self.u32(0)?; // padding granularity
        self.u32(0x10)?; // AVIF_HASINDEX
        self.u32(0)?; // total frames of the first RIFF (patched)
        self.u32(0)?; // initial frames
        self.u32(1)?; // streams
        self.u32(frame_bytes)?; // suggested buffer size (patched)
        self.u32(w)?;
        self.u32(h)?;
        self.put(&[0; 16])?;
        self.put(b"LIST")?;
        self.u32(strl)?;
        self.put(b"strl")?;
        // AVIStreamHeader
        self.put(b"strh")?;
        self.u32(56)?;
        self.strh_pos = self.pos;
        let (scale, rate) = self.rate();
        let handler = match self.codec {
            AviCodec::Y800 => b"Y800",
            AviCodec::Mjpg => b"MJPG",
        };
        self.put(b"vids")?;
        self.put(handler)?;
        self.u32(0)?; // flags
        self.u16(0)?; // priority
        self.u16(0)?; // language
        self.u32(0)?; // initial frames
        self.u32(scale)?;
        self.u32(rate)?;
        self.u32(0)?; // start
        self.u32(0)?; // length (patched)
        self.u32(frame_bytes)?; // suggested buffer size (patched)
        self.u32(u32::MAX)?; // quality: default
        self.u32(0)?; // sample size
        self.u16(0)?;
        self.u16(0)?;
        self.u16(w as u16)?;
        self.u16(h as u16)?;
        // BITMAPINFOHEADER
        self.put(b"strf")?;
        self.u32(40)?;
        self.u32(40)?;
        self.u32(w)?;
        self.u32(h)?; // positive height; Y800 rows are top-down by definition
        self.u16(1)?;
        let (bits, image) = match self.codec {
            AviCodec::Y800 => (8, frame_bytes),
            AviCodec::Mjpg => (24, w * h * 3),
        };
        self.u16(bits)?;
        self.put(handler)?;
        self.u32(image)?;
        self.put(&[0; 16])?;
        // OpenDML super index, filled in at the end.
        self.put(b"indx")?;
        self.u32(indx_len)?;
        self.indx_pos = self.pos;
        self.u16(4)?; // longs per entry
        self.put(&[0, 0])?; // sub type, AVI_INDEX_OF_INDEXES
        self.u32(0)?; // entries in use (patched)
        let id = *self.chunk_id();
        self.put(&id)?;
        self.put(&[0; 12])?;
        self.put(&vec![0; 16 * self.super_capacity])?;
        self.put(b"LIST")?;
        self.u32(odml)?;
        self.put(b"odml")?;
        self.put(b"dmlh")?;
        self.u32(248)?;
        self.dmlh_pos = self.pos;
        self.put(&[0; 248])?;
        self.open_movi()
    }

    fn open_movi(&mut self) -> Result<(), VideoError> {
        self.movi_pos = self.pos;
        self.put(b"LIST")?;
        self.u32(0)?;
        self.put(b"movi")
    }

    fn open_segment(&mut self) -> Result<(), VideoError> {
        self.riff_pos = self.pos;
        self.put(b"RIFF")?;
        self.u32(0)?;
        self.put(b"AVIX")?;
        self.first_segment = false;
        self.open_movi()
    }

    fn close_segment(&mut self) -> Result<(), VideoError> {
        let n = self.seg.len() as u32;
        let ix_pos = self.pos;
        let id = *self.chunk_id();
        self.put(b"ix00")?;
        self.u32(24 + 8 * n)?;
        self.u16(2)?; // longs per entry
        self.put(&[0, 1])?; // sub type, AVI_INDEX_OF_CHUNKS
        self.u32(n)?;
        self.put(&id)?;
        let base = self.movi_pos;
        self.u64(base)?;
        self.u32(0)?;
        for i in 0..self.seg.len() {
            let (data, size) = self.seg[i];
            self.u32((data - base) as u32)?;
            self.u32(size)?; // bit 31 clear: key frame
        }
        self.supers.push((ix_pos, 32 + 8 * n, n));
        let movi_len = (self.pos - self.movi_pos - 8) as u32;
        self.patch_u32(self.movi_pos + 4, movi_len)?;
        if self.first_segment {
            self.put(b"idx1")?;
            self.u32(16 * n)?;
            for i in 0..self.idx1.len() {
                let (offset, size) = self.idx1[i];
                self.put(&id)?;
                self.u32(0x10)?; // AVIIF_KEYFRAME
                self.u32(offset)?;
                self.u32(size)?;
            }
            self.first_riff_frames = n;
        }
        let riff_len = (self.pos - self.riff_pos - 8) as u32;
        self.patch_u32(self.riff_pos + 4, riff_len)?;
        self.seg.clear();
        Ok(())
    }

    fn write_frame(&mut self, frame: Frames<'_>) -> Result<(), VideoError> {
        self.mapper.map(frame, &mut self.pixels);
        let (w, h) = (self.config.width, self.config.height);
        self.chunk.clear();
        match self.codec {
            AviCodec::Y800 => {
                let s = stride(w);
                for row in self.pixels.chunks_exact(w) {
                    self.chunk.extend_from_slice(row);
                    self.chunk.resize(self.chunk.len() + s - w, 0);
                }
            }
            AviCodec::Mjpg => {
                let encoder = jpeg_encoder::Encoder::new(&mut self.chunk, JPEG_QUALITY);
                encoder
                    .encode(
                        &self.pixels,
                        w as u16,
                        h as u16,
                        jpeg_encoder::ColorType::Luma,
                    )
                    .map_err(|e| VideoError::Encode {
                        path: self.path.clone(),
                        message: e.to_string(),
                    })?;
            }
        }
        let size = self.chunk.len() as u64;
        let padded = size + (size & 1);
        let index_bytes = 32
            + 8 * (self.seg.len() as u64 + 1)
            + if self.first_segment {
                8 + 16 * (self.idx1.len() as u64 + 1)
            } else {
                0
            };
        if !self.seg.is_empty()
            && self.pos + 8 + padded + index_bytes - self.riff_pos > self.segment_limit
        {
            self.close_segment()?;
            if self.supers.len() >= self.super_capacity {
                return Err(VideoError::Encode {
                    path: self.path.clone(),
                    message: format!("AVI super index full ({} segments)", self.super_capacity),
                });
            }
            self.open_segment()?;
        }
        let header_pos = self.pos;
        let id = *self.chunk_id();
        self.put(&id)?;
        self.u32(size as u32)?;
        let data_pos = self.pos;
        let chunk = std::mem::take(&mut self.chunk);
        self.put(&chunk)?;
        if size & 1 == 1 {
            self.put(&[0])?;
        }
        self.chunk = chunk;
        self.seg.push((data_pos, size as u32));
        if self.first_segment {
            self.idx1
                .push(((header_pos - self.movi_pos - 8) as u32, size as u32));
        }
        self.max_chunk = self.max_chunk.max(size as u32);
        self.frames += 1;
        Ok(())
    }
}

impl FrameSink for AviSink {
    fn write(&mut self, frames: Frames<'_>) -> Result<(), VideoError> {
        frames
            .each(self.config.pixels())
            .try_for_each(|f| self.write_frame(f))
    }

    fn finish(mut self: Box<Self>) -> Result<(), VideoError> {
        self.close_segment()?;
        let frames = self.frames as u32;
        self.patch_u32(self.avih_pos + 16, self.first_riff_frames)?;
        self.patch_u32(self.avih_pos + 28, self.max_chunk)?;
        self.patch_u32(self.strh_pos + 32, frames)?;
        self.patch_u32(self.strh_pos + 36, self.max_chunk)?;
        self.patch_u32(self.dmlh_pos, frames)?;
        self.patch_u32(self.indx_pos + 4, self.supers.len() as u32)?;
        let path = self.path.clone();
        self.out
            .seek(SeekFrom::Start(self.indx_pos + 24))
            .map_err(io(&path, "seek"))?;
        let mut entries = Vec::with_capacity(16 * self.supers.len());
        for &(pos, size, n) in &self.supers {
            entries.extend_from_slice(&pos.to_le_bytes());
            entries.extend_from_slice(&size.to_le_bytes());
            entries.extend_from_slice(&n.to_le_bytes());
        }
        self.out.write_all(&entries).map_err(io(&path, "write"))?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| io(&path, "write")(e.into_error()))?;
        file.sync_all().map_err(io(&path, "fsync"))
    }
}
