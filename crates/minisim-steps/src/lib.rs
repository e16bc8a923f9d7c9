//! minisim physics: one module per step kind.
//!
//! Architecture invariant: no I/O, no global state, no threads. Every kernel is a pure
//! function of (parameters, inputs, RNG stream). Physics changes happen here and only
//! here. Filled in by issue "Physics kernels and the chunked renderer".
