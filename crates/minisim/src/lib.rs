//! # minisim
//!
//! Simulate one-photon miniscope calcium-imaging recordings with complete ground truth.
//!
//! A [`Spec`] (JSON: seed, acquisition, optics, an ordered set of steps, output) fully
//! determines a recording. Specs are validated on construction, so every `Spec` value
//! is usable; errors name the JSON path they are about.
//!
//! ```
//! use minisim::{sweep, Axis, Spec};
//!
//! // The built-in default: 256×256 px, 20 Hz, 1000 frames, every step.
//! let spec = Spec::default();
//! println!("cache key {}", spec.cache_key());
//!
//! // Change one field by its dotted path; the result is validated again.
//! let slow = spec.with_override("steps.calcium.indicator", serde_json::json!("gcamp6s"))?;
//! assert_ne!(slow.cache_key(), spec.cache_key());
//!
//! // Sweep a Cartesian product of overrides (first axis slowest).
//! let points = sweep(&spec, &[
//!     Axis::new("acquisition.optics.na", [0.2, 0.3, 0.4]),
//!     Axis::new("seed", [0, 1]),
//! ])?;
//! assert_eq!(points.len(), 6);
//! # Ok::<(), minisim::Error>(())
//! ```
#![deny(missing_docs)]

pub use minisim_spec::{
    Acquisition, Axis, Calcium, Composite, Digitize, Ensembles, Indicator, Interpolation, Issue,
    Kinetics, Leakage, MODEL_VERSION, MotionCrop, Neuropil, Optics, Output, PhotonField,
    PlaceNeurons, Spec, SpecDraft, SpecError, Spikes, Step, StepKind, Sweep, SweptSpec,
    Vasculature, Vignette, parse_assignment, steps, sweep,
};

/// Every error minisim's API returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec, an override or a sweep axis is invalid; the message names the path.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// `Result` with minisim's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
