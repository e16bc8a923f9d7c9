//! minisim renderer: scene setup, the chunked frame pipeline, `simulate`, `Recording`.
//!
//! `Renderer` prepares a `Scene` once (every kind's `prepare` through the stage table
//! of `minisim_steps::stage`) and yields `Chunk`s of frames; `simulate` collects them
//! into a `Recording`, and `minisim-video` hands them to a sink. One renderer serves
//! every entry point. It is a generic driver: it knows no step kind by name.
//!
//! Modules by job: `scene.rs` (setup), `renderer.rs` (chunk scheduling and the serial
//! per-frame part), `frame.rs` (one frame through the stages, snapshots, the resting
//! frame), `truth.rs` (ground-truth assembly), `labels.rs` (detectability),
//! `streams.rs` (stream derivation), `perf.rs` (timing).
//!
//! Architecture invariant: only this crate decides stage order, chunking, parallelism
//! and how streams derive from the seed (`streams.rs`). Output is bit-identical for
//! any chunk size, thread count, `until` or snapshot choice; the ground truth does not
//! depend on `until`.
#![deny(missing_docs)]

mod error;
mod estimate;
mod export;
mod frame;
mod labels;
mod perf;
mod recording;
mod renderer;
mod scene;
mod simulate;
mod streams;
mod truth;

pub use error::RenderError;
pub use estimate::{Estimate, estimate, human_bytes};
pub use export::noise_covariance;
pub use labels::DETECTABLE_SNR;
pub use minisim_steps::Geometry;
pub use minisim_steps::optics::IN_FOCUS_WEIGHT;
pub use minisim_steps::truth::{Dtype, TruthArray, TruthError};
pub use perf::{PerfTracker, Phase, PhaseTime, timed};
pub use recording::{CellTable, Csr, GroundTruth, Movie, Recording};
pub use renderer::{Cancel, Chunk, ChunkMovie, MemoryLimit, Progress, Renderer, SimulateOptions};
pub use simulate::simulate;
pub use streams::StageStreams;
