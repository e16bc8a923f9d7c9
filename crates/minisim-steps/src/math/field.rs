//! Smooth random fields: white noise on a coarse grid, Gaussian-blurred, bilinearly
//! upsampled. The coarse step is a quarter of the correlation length, so upsampling
//! changes the field by < 1 % of its standard deviation (the field's curvature over one
//! coarse cell is small).

use rand_distr::{Distribution, StandardNormal};

use super::gauss::{self, Edge};
use crate::Stream;

/// A `height × width` field with zero mean and unit standard deviation, correlated over
/// `scale_px` (Gaussian σ of the smoothing kernel, px).
pub fn smooth_field(height: usize, width: usize, scale_px: f64, rng: &mut Stream) -> Vec<f32> {
    let step = (scale_px / 4.0).floor().max(1.0) as usize;
    let ch = height.div_ceil(step) + 2;
    let cw = width.div_ceil(step) + 2;
    let mut coarse: Vec<f32> = (0..ch * cw)
        .map(|_| StandardNormal.sample(rng))
        .collect::<Vec<f64>>()
        .into_iter()
        .map(|v| v as f32)
        .collect();
    gauss::blur(
        &mut coarse,
        ch,
        cw,
        &gauss::kernel(scale_px / step as f64),
        Edge::Clamp,
    );
    let mut out = vec![0f32; height * width];
    for y in 0..height {
        let cy = y as f64 / step as f64;
        let y0 = cy.floor() as usize;
        let fy = (cy - y0 as f64) as f32;
        for x in 0..width {
            let cx = x as f64 / step as f64;
            let x0 = cx.floor() as usize;
            let fx = (cx - x0 as f64) as f32;
            let at = |yy: usize, xx: usize| coarse[yy * cw + xx];
            out[y * width + x] = (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
                + fy * ((1.0 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        }
    }
    standardise(&mut out);
    out
}

/// Shift and scale to zero mean and unit standard deviation (sums in f64, fixed order).
pub fn standardise(data: &mut [f32]) {
    let n = data.len() as f64;
    let mean = data.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = data.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    let sd = var.sqrt().max(1e-12);
    data.iter_mut()
        .for_each(|v| *v = ((*v as f64 - mean) / sd) as f32);
}
