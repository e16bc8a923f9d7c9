//! Shared numerics: Gaussian kernels and blurs, Ornstein–Uhlenbeck updates,
//! interpolation kernels and smooth random fields.

pub mod field;
pub mod gauss;
pub mod interp;
pub mod ou;
