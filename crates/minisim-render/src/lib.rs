//! minisim renderer: scene setup, the chunked frame pipeline, `simulate`, `Recording`.
//!
//! `Renderer` prepares a `Scene` once (cells, spikes, footprints, maps, the motion
//! path) and yields `Chunk`s of frames; `simulate` collects them into a `Recording`,
//! and `minisim-video` hands them to a sink. One renderer serves every entry point.
//!
//! Architecture invariant: only this crate decides stage order, chunking, parallelism
//! and the layout of RNG streams (`streams.rs`). Output is bit-identical for any chunk
//! size, thread count, `until` or snapshot choice.

mod error;
mod labels;
mod perf;
mod pipeline;
mod recording;
mod scene;
mod streams;

pub use error::RenderError;
pub use labels::{DETECTABLE_SNR, IN_FOCUS_WEIGHT};
pub use perf::{PerfTracker, Phase, PhaseTime, timed};
pub use pipeline::{Chunk, ChunkMovie, Renderer, SimulateOptions, simulate};
pub use recording::{CellTable, Csr, GroundTruth, Movie, Recording};
pub use scene::Geometry;
pub use streams::StageStreams;
