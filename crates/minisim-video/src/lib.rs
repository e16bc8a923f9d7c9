//! minisim streaming output: frame sinks (AVI, TIFF, NPY, ffmpeg) and `simulate_video`.
//!
//! Architecture invariant: streams chunks from the renderer in bounded memory; the
//! output file appears only when complete. Filled in by issue "Streaming video and
//! stack output".
