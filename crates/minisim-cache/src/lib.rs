//! minisim persistence: `Recording` save/load and the content-addressed cache.
//!
//! A recording on disk is a directory of `.npy` files (loadable with plain
//! `numpy.load`) plus `recording.json` (format version, model version, spec, cache key,
//! and per array: file, dtype, shape, blake3). [`Persist`] adds `save`/`load` to
//! `Recording`; [`simulate_cached`] serves recordings from `<root>/<cache_key>/`.
//!
//! Architecture invariant: with `minisim-video` (and the score readers), the only
//! library crates that touch the file system, through `minisim-io`'s atomic writers.
//! Entries appear only complete (temporary sibling + fsync + rename); loading never
//! returns data that fails its checksums; a cache entry is valid only under its own
//! key; every damage `verify` reports is healed by the next cached simulate.
#![deny(missing_docs)]

mod error;
mod manifest;
pub mod npy;
mod persist;
mod store;

pub use error::CacheError;
pub use manifest::{ArrayEntry, FORMAT_VERSION, MANIFEST, Manifest};
pub use persist::Persist;
pub use store::{
    CacheOutcome, EntryInfo, GcReport, Verified, cache_dir, gc, list, load_entry, remove,
    simulate_cached, simulate_cached_with, store, verify,
};
