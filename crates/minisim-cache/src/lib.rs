//! minisim persistence: `Recording` save/load and the content-addressed cache.
//!
//! Architecture invariant: with `minisim-video`, the only crate that touches the file
//! system. Filled in by issue "Recording persistence and the content-addressed cache".
