//! `.npy` sink: header first (the shape is known), then frames appended as they come.
//! `numpy.load(path, mmap_mode="r")` memory-maps the result.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::error::{VideoError, io};
use crate::sink::{FrameSink, Frames, SinkConfig};

/// Streams exact counts (`<u2`) or intensities (`<f4`) into an `.npy` file.
pub struct NpySink {
    out: BufWriter<File>,
    path: PathBuf,
}

impl NpySink {
    /// Write the header of a `frames × height × width` array to `file`.
    pub fn create(file: File, path: PathBuf, config: &SinkConfig) -> Result<Self, VideoError> {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let descr = if config.intensity { "<f4" } else { "<u2" };
        out.write_all(&minisim_io::npy::header(
            descr,
            &[config.frames, config.height as u64, config.width as u64],
        ))
        .map_err(io(&path, "write"))?;
        Ok(NpySink { out, path })
    }
}

impl FrameSink for NpySink {
    fn write(&mut self, frames: Frames<'_>) -> Result<(), VideoError> {
        let result = match frames {
            Frames::Counts(c) => c
                .iter()
                .try_for_each(|v| self.out.write_all(&v.to_le_bytes())),
            Frames::Intensity(c) => c
                .iter()
                .try_for_each(|v| self.out.write_all(&v.to_le_bytes())),
        };
        result.map_err(io(&self.path, "write"))
    }

    fn finish(self: Box<Self>) -> Result<(), VideoError> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| io(&self.path, "write")(e.into_error()))?;
        file.sync_all().map_err(io(&self.path, "fsync"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_is_aligned_and_well_formed() {
        let h = minisim_io::npy::header("<u2", &[3, 4, 5]);
        assert_eq!(h.len() % 64, 0);
        let text = String::from_utf8_lossy(&h[10..]);
        assert!(text.starts_with("{'descr': '<u2', 'fortran_order': False, 'shape': (3, 4, 5), }"));
        assert!(text.ends_with('\n'));
    }
}
