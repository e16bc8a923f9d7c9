//! minisim physics: one module per step kind.
//!
//! Each module's header states its model, units and sources (details and citations in
//! `docs/physics.md`). Setup work (cells, footprints, maps, trajectories) is a
//! `prepare`-style function whose result the renderer keeps; per-frame functions do only
//! per-frame work.
//!
//! Architecture invariant: no I/O, no global state, no threads. Every kernel is a pure
//! function of (parameters, inputs, RNG stream); the renderer decides which stream each
//! call gets. Physics changes happen here and only here.

pub mod calcium;
pub mod composite;
pub mod digitize;
pub mod leakage;
pub mod math;
pub mod motion_crop;
pub mod neuropil;
pub mod photon_field;
pub mod place_neurons;
pub mod shape;
pub mod spikes;
pub mod vasculature;
pub mod vignette;

/// The random generator of every stream: xoshiro256++ (fast, 256-bit state, passes
/// BigCrush), seeded per stream by the renderer.
pub type Stream = rand_xoshiro::Xoshiro256PlusPlus;

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
