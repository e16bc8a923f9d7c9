//! Shared numerics: Gaussian kernels and blurs, Ornstein–Uhlenbeck updates,
//! interpolation kernels, smooth random fields and point–segment geometry.

pub mod field;
pub mod gauss;
pub mod interp;
pub mod ou;
pub mod segment;
