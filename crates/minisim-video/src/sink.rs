//! The `FrameSink` trait and what every sink is told about the movie.

use crate::error::VideoError;
use crate::format::to_u8;

/// Frames handed to a sink: consecutive frames, row-major, frame after frame.
#[derive(Debug, Clone, Copy)]
pub enum Frames<'a> {
    /// Sensor counts.
    Counts(&'a [u16]),
    /// Intensity (sensorless specs).
    Intensity(&'a [f32]),
}

impl<'a> Frames<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Frames::Counts(c) => c.len(),
            Frames::Intensity(c) => c.len(),
        }
    }

    /// True if there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The single frames of `pixels` values each, in order.
    pub fn each(self, pixels: usize) -> impl Iterator<Item = Frames<'a>> {
        let (counts, intensity) = match self {
            Frames::Counts(c) => (Some(c.chunks_exact(pixels).map(Frames::Counts)), None),
            Frames::Intensity(c) => (None, Some(c.chunks_exact(pixels).map(Frames::Intensity))),
        };
        counts
            .into_iter()
            .flatten()
            .chain(intensity.into_iter().flatten())
    }
}

/// The movie a sink receives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinkConfig {
    /// Frame height, px.
    pub height: usize,
    /// Frame width, px.
    pub width: usize,
    /// Total number of frames that will be written.
    pub frames: u64,
    /// Playback rate, Hz.
    pub fps: f64,
    /// Value mapped to 0 in 8-bit formats.
    pub vmin: f64,
    /// Value mapped to 255 in 8-bit formats.
    pub vmax: f64,
    /// True if frames are f32 intensity rather than u16 counts.
    pub intensity: bool,
}

impl SinkConfig {
    /// Pixels per frame.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }
}

/// A destination for frames. Sinks write to a file they were given and never rename
/// it; `simulate_video` moves the file into place after `finish`.
pub trait FrameSink {
    /// Append whole frames.
    fn write(&mut self, frames: Frames<'_>) -> Result<(), VideoError>;
    /// Write trailers and patch headers; the file is complete afterwards.
    fn finish(self: Box<Self>) -> Result<(), VideoError>;
}

/// Maps counts or intensities to 8-bit pixels with the documented formula (a lookup
/// table for counts).
pub struct EightBit {
    lut: Vec<u8>,
    vmin: f64,
    vmax: f64,
}

impl EightBit {
    /// A mapper for `config`'s range.
    pub fn new(config: &SinkConfig) -> Self {
        let lut = if config.intensity {
            Vec::new()
        } else {
            (0..=u16::MAX as u32)
                .map(|c| to_u8(c as f64, config.vmin, config.vmax))
                .collect()
        };
        EightBit {
            lut,
            vmin: config.vmin,
            vmax: config.vmax,
        }
    }

    /// Map one frame (or a run of pixels) into `out`.
    pub fn map(&self, frames: Frames<'_>, out: &mut Vec<u8>) {
        out.clear();
        match frames {
            Frames::Counts(c) => out.extend(c.iter().map(|&v| self.lut[v as usize])),
            Frames::Intensity(c) => {
                out.extend(c.iter().map(|&v| to_u8(v as f64, self.vmin, self.vmax)))
            }
        }
    }
}
