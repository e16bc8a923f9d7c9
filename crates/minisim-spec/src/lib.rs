//! The minisim recording spec.
//!
//! A [`Spec`] fully determines a simulated one-photon miniscope recording: seed,
//! acquisition (timing, field of view, optics), an ordered set of [`Step`]s and what to
//! keep. This crate owns its parameters, defaults and validation, its canonical JSON
//! and [`Spec::cache_key`], dotted-path overrides and [`sweep`]s. It knows nothing of
//! arrays, files or random numbers, so specs can be written and checked without the
//! renderer.
//!
//! ```
//! use minisim_spec::{Spec, StepKind};
//! let spec = Spec::from_json(r#"{"seed": 7, "acquisition": {"frames": 200}}"#)?;
//! assert_eq!(spec.acquisition().frames, 200);
//! assert!(spec.has(StepKind::Digitize)); // missing `steps` means the default pipeline
//! let bad = Spec::from_json(r#"{"steps": [{"kind": "calcium", "decay_ms": 30, "rise_ms": 50}]}"#);
//! assert!(bad.unwrap_err().to_string().contains("steps.calcium.decay_ms"));
//! # Ok::<(), minisim_spec::SpecError>(())
//! ```
#![deny(missing_docs)]

mod acquisition;
mod duplicates;
mod error;
mod export;
mod overrides;
mod presets;
mod py_focus;
mod py_minisim;
mod spec;
pub mod steps;
mod sweep;
mod validate;

pub use acquisition::{Acquisition, FocalDepth, MAX_DEPTH_IN_LS, Optics};
pub use error::{Issue, SpecError};
/// Every step kind's parameter types, `Step` and `StepKind` (a new kind's types come
/// with its module in `steps/`).
pub use export::{Export, ExportDtype, ExportKernel};
pub use overrides::parse_assignment;
pub use presets::{PRESETS, Preset, REGIONS, SCOPES, preset_names};
pub use py_minisim::{PyImport, Unmapped};
pub use spec::MAX_BLUR_PX;
pub use spec::{Output, Spec, SpecDraft};
pub use steps::*;
pub use sweep::{Axis, Sweep, SweptSpec, sweep};
pub use validate::Bound;

/// Version of the physical model. Part of every cache key: bump it in any change that
/// alters the output of an unchanged spec, and refresh the golden files
/// (`UPDATE_EXPECT=1`) in the same commit.
pub const MODEL_VERSION: u32 = 8;
