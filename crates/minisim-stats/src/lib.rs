//! Summary statistics of one-photon miniscope movies, computed from the movie alone
//! (`(frames, height, width)` as `f32`), so they apply to minisim's renders and to
//! real recordings alike. `cargo xtask realism` reports them beside the ranges of real
//! recordings; calibration fits a spec to them.
//!
//! - [`pnr`]: CNMF-E's peak-to-noise image ([`pnr::cnmfe`]) and the disc-kernel PNR
//!   with a spectral noise level ([`pnr::disc`]);
//! - [`blocks`]: variance of the block-averaged movie: the share of its top principal
//!   components and of the global mean;
//! - [`frame_mean`]: the frame-mean trace's CV and lag-1 autocorrelation;
//! - [`noise`]: frame-difference over pixel-scale noise, and the correlation of
//!   neighbouring pixels' noise;
//! - [`motion`]: frame-to-frame rigid shifts by phase correlation;
//! - [`field`]: vignetting (edge over centre of the smoothed mean image);
//! - [`structure`]: static fine-structure contrast of the mean image at 3 µm pixels;
//! - [`sensor`]: bleaching drift and the photon-transfer gain;
//! - [`scale`]: the apparent cell scale (what changes between adjacent frames);
//! - [`realism`]: all of them on one movie beside the ranges of real recordings.
//!
//! Each module states its definition; each statistic is tested on a case with a known
//! answer. Architecture invariant: pure functions of arrays, no I/O, no RNG.
#![deny(missing_docs)]

pub mod blocks;
pub mod field;
pub mod filter;
pub mod frame_mean;
pub mod motion;
pub mod noise;
pub mod pnr;
pub mod realism;
pub mod scale;
pub mod sensor;
pub mod structure;
