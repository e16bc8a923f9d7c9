//! File-system plumbing shared by the minisim crates that touch files
//! (`minisim-cache`, `minisim-video`, `minisim-score`'s readers, the CLI):
//!
//! - [`atomic`]: every output appears only complete. It is written as a hidden
//!   temporary sibling (`.NAME.tmp-PID-N-NANOS`), renamed into place when done and
//!   removed on error or drop; [`atomic::remove_live_temps`] lets a signal handler
//!   remove the ones in flight, and [`atomic::remove_stale`] removes those left by
//!   processes that died (SIGKILL, power loss).
//! - [`npy`]: the one `.npy` header writer and parser (dtype, shape, data offset),
//!   so a bad file is reported precisely before any data is read or allocated.
//! - [`system`]: available memory and free disk space, for the checks made before a
//!   render allocates or writes.
//!
//! Architecture invariant: no other minisim library crate names a temporary file or
//! writes an `.npy` header itself.
#![deny(missing_docs)]

pub mod atomic;
pub mod npy;
pub mod system;
