//! Shared numerics: Gaussian kernels and blurs, Ornstein–Uhlenbeck updates,
//! interpolation kernels, smooth random fields, point–segment geometry and exact
//! Poisson deviates.

pub mod field;
pub mod gauss;
pub mod interp;
pub mod lanes;
pub mod ou;
pub mod poisson;
pub mod poisson_grid;
pub mod segment;
pub mod simd;
