//! minisim renderer: scene setup, chunked frame pipeline, `simulate`, `Recording`.
//!
//! Architecture invariant: only this crate decides stage order, chunking, parallelism
//! and the layout of RNG streams. Filled in by issue "Physics kernels and the chunked
//! renderer".
