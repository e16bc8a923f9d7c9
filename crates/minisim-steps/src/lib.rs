//! minisim physics: one module per step kind, and the stage contract they share.
//!
//! Each kind's module (`place_neurons` … `digitize`) opens with its model, units and
//! sources (details and citations in `docs/physics.md`) and holds a unit type `Kind`
//! implementing [`stage::Stage`]: its setup (`prepare`), its serial per-frame state
//! (`start`/`advance`), its image work per frame (`apply`) and its part of the
//! [`truth::GroundTruth`]. `stage.rs` dispatches over every kind from the spec's kinds
//! table; the renderer drives those functions and knows no kind by name. Shared
//! numerics are in `math/`, the optics of a point in tissue in `optics.rs`, cell
//! shapes in `shape.rs`, the recording's geometry in `geometry.rs`.
//!
//! Architecture invariant: no I/O, no global state, no threads. Every kernel is a pure
//! function of (parameters, inputs, RNG stream); the renderer supplies the streams
//! (`stage::RngSource`) and runs parallel setup work (`stage::Executor`). Physics
//! changes happen here and only here.
#![deny(missing_docs)]

pub mod calcium;
pub mod composite;
pub mod digitize;
pub mod dust;
pub mod geometry;
pub mod leakage;
pub mod math;
pub mod motion_crop;
pub mod neuropil;
pub mod optics;
pub mod photon_field;
pub mod place_neurons;
pub mod shape;
pub mod spikes;
pub mod stage;
pub mod truth;
pub mod vasculature;
pub mod vignette;

/// The random generator of every stream: xoshiro256++ (fast, 256-bit state, passes
/// BigCrush), seeded per stream by the renderer.
pub type Stream = rand_xoshiro::Xoshiro256PlusPlus;

pub use geometry::{Geometry, Timing};
pub use stage::Stage;
pub use truth::{CellTable, Csr, GroundTruth};

/// A family of independent streams, indexed by the kernel (e.g. one per cell). The
/// renderer implements it by hashing (seed, stage, index) into a seed.
pub trait Streams {
    /// The `index`-th stream of this family.
    fn stream(&self, index: u64) -> Stream;
}

/// Size of a row-major plane, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl Dims {
    /// Number of pixels.
    pub fn len(self) -> usize {
        self.height * self.width
    }

    /// True if the plane has no pixels.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}
