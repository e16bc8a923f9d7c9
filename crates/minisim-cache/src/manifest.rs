//! `recording.json`: what a recording directory holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the on-disk layout written by this build.
pub const FORMAT_VERSION: u32 = 5;

/// The manifest file's name inside a recording directory.
pub const MANIFEST: &str = "recording.json";

/// One array file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayEntry {
    /// File name inside the recording directory.
    pub file: String,
    /// numpy descr, e.g. `<u2`.
    pub dtype: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Hex blake3 of the whole file.
    pub blake3: String,
    /// File size in bytes.
    pub bytes: u64,
}

/// The manifest of a recording directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Layout version (`FORMAT_VERSION`).
    pub format_version: u32,
    /// `MODEL_VERSION` of the build that rendered it.
    pub model_version: u32,
    /// The spec's cache key under `model_version`.
    pub cache_key: String,
    /// The full canonical spec.
    pub spec: serde_json::Value,
    /// Stages kept as snapshots, in order.
    pub snapshot_stages: Vec<String>,
    /// Every array by name.
    pub arrays: BTreeMap<String, ArrayEntry>,
}
