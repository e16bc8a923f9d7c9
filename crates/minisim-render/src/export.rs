//! The vendor export (`output.export`): sensor frames → the frames users receive.
//!
//! One separable linear map per axis, `out = R · B · raw` (B: k-pixel box binning,
//! R: resampling to the target pixel size with the export kernel, widened by the
//! scale factor when anti-aliasing a downsample; edges clamped), then optionally a
//! rigid shift per frame that undoes the tissue's displacement (motion correction,
//! interpolated with the same kernel), then the stored type. The ground truth's
//! spatial maps go through the same R · B (no shift: they are at rest), so the
//! exported movie is still Σ_c exported footprint_c · (…) + exported background.
//!
//! Invariant: frame f's output depends only on raw frame f and the spec (the shift
//! comes from the precomputed motion path), so chunking and threads cannot change it.

use minisim_spec::{Export, ExportDtype, ExportKernel, Spec};
use minisim_steps::truth::Csr;
use minisim_steps::{Dims, GroundTruth};
use ndarray::{Array2, Array3};

/// One axis of a separable linear map: per output index, the first input index and
/// the weights of consecutive inputs from there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AxisMap {
    /// Input length.
    pub inputs: usize,
    /// `(first input, weights)` per output.
    pub rows: Vec<(usize, Vec<f32>)>,
}

impl AxisMap {
    fn from_dense(inputs: usize, dense: Vec<Vec<f64>>) -> AxisMap {
        let rows = dense
            .into_iter()
            .map(|w| {
                let first = w.iter().position(|&v| v != 0.0).unwrap_or(0);
                let last = w.iter().rposition(|&v| v != 0.0).unwrap_or(0);
                (first, w[first..=last].iter().map(|&v| v as f32).collect())
            })
            .collect();
        AxisMap { inputs, rows }
    }

    /// k-pixel box binning of `n` inputs (⌊n/k⌋ outputs).
    fn binning(n: usize, k: usize) -> Vec<Vec<f64>> {
        (0..(n / k).max(1))
            .map(|i| {
                let mut w = vec![0.0; n];
                for v in w.iter_mut().skip(i * k).take(k) {
                    *v = 1.0 / k as f64;
                }
                w
            })
            .collect()
    }

    /// Resampling `n` inputs to `m` outputs whose pixels are `ratio` inputs wide:
    /// output i is centred at input coordinate (i + ½)·ratio − ½; weights K(d/s)
    /// normalised to 1, s = ratio when anti-aliasing a downsample (else 1); inputs
    /// beyond the edges are clamped onto the edge pixels.
    fn resampling(
        n: usize,
        m: usize,
        ratio: f64,
        kernel: ExportKernel,
        antialias: bool,
    ) -> Vec<Vec<f64>> {
        let s = if antialias && ratio > 1.0 { ratio } else { 1.0 };
        (0..m)
            .map(|i| kernel_row(n, (i as f64 + 0.5) * ratio - 0.5, s, kernel))
            .collect()
    }

    /// The binning-then-resampling map of one axis of `n` sensor pixels.
    fn of(export: &Export, n: usize, pixel_um: f64) -> AxisMap {
        let k = export.bin.max(1) as usize;
        let b = Self::binning(n, k);
        let nb = b.len();
        let Some(target) = export.pixel_um else {
            return Self::from_dense(n, b);
        };
        let ratio = target / (pixel_um * k as f64);
        let m = ((nb as f64 / ratio + 1e-9).floor() as usize).max(1);
        let r = Self::resampling(nb, m, ratio, export.kernel, export.antialias);
        // R · B.
        let dense = r
            .iter()
            .map(|ri| {
                let mut w = vec![0.0; n];
                for (j, &rv) in ri.iter().enumerate() {
                    if rv != 0.0 {
                        for (x, &bv) in b[j].iter().enumerate() {
                            w[x] += rv * bv;
                        }
                    }
                }
                w
            })
            .collect();
        Self::from_dense(n, dense)
    }

    /// A uniform shift by `d` inputs: output i = input i + d interpolated with the
    /// kernel, edges clamped.
    fn shift(n: usize, d: f64, kernel: ExportKernel) -> AxisMap {
        let dense = (0..n)
            .map(|i| kernel_row(n, i as f64 + d, 1.0, kernel))
            .collect();
        Self::from_dense(n, dense)
    }

    fn outputs(&self) -> usize {
        self.rows.len()
    }
}

/// The weights over `n` inputs of an output centred at input coordinate `c`: K((j − c)/s)
/// for the inputs within the kernel's support (widened by `s`), those beyond the edges
/// clamped onto the edge pixels, normalised to sum 1.
fn kernel_row(n: usize, c: f64, s: f64, kernel: ExportKernel) -> Vec<f64> {
    let support = kernel_support(kernel) * s;
    let mut w = vec![0.0; n];
    let (lo, hi) = ((c - support).floor() as i64, (c + support).ceil() as i64);
    for j in lo..=hi {
        let k = kernel_at(kernel, (j as f64 - c) / s);
        if k != 0.0 {
            w[j.clamp(0, n as i64 - 1) as usize] += k;
        }
    }
    let sum: f64 = w.iter().sum();
    w.iter_mut().for_each(|v| *v /= sum);
    w
}

fn kernel_support(kernel: ExportKernel) -> f64 {
    match kernel {
        ExportKernel::Bilinear => 1.0,
        ExportKernel::Bicubic => 2.0,
    }
}

/// The kernel at distance `x` (inputs): the triangle, or Keys' cubic with a = −0.5.
fn kernel_at(kernel: ExportKernel, x: f64) -> f64 {
    let x = x.abs();
    match kernel {
        ExportKernel::Bilinear => (1.0 - x).max(0.0),
        ExportKernel::Bicubic => {
            let a = -0.5;
            if x <= 1.0 {
                (a + 2.0) * x.powi(3) - (a + 3.0) * x * x + 1.0
            } else if x < 2.0 {
                a * x.powi(3) - 5.0 * a * x * x + 8.0 * a * x - 4.0 * a
            } else {
                0.0
            }
        }
    }
}

/// Apply a separable map to a row-major `h × w` plane: columns map along x, then rows
/// along y. `tmp` is scratch.
fn apply(rows: &AxisMap, cols: &AxisMap, input: &[f32], out: &mut [f32], tmp: &mut Vec<f32>) {
    let (h, w) = (rows.inputs, cols.inputs);
    let ow = cols.outputs();
    tmp.clear();
    tmp.resize(h * ow, 0.0);
    for y in 0..h {
        let line = &input[y * w..(y + 1) * w];
        for (x, (first, weights)) in cols.rows.iter().enumerate() {
            tmp[y * ow + x] = weights
                .iter()
                .zip(&line[*first..])
                .map(|(a, b)| a * b)
                .sum();
        }
    }
    for (y, (first, weights)) in rows.rows.iter().enumerate() {
        let dst = &mut out[y * ow..(y + 1) * ow];
        dst.fill(0.0);
        for (k, &wv) in weights.iter().enumerate() {
            let src = &tmp[(first + k) * ow..(first + k + 1) * ow];
            dst.iter_mut().zip(src).for_each(|(d, &s)| *d += wv * s);
        }
    }
}

/// Covariance of `spec`'s exported frames for noise that is independent between
/// sensor pixels with unit variance (shot and read noise): `K[dy][dx]` between
/// output pixels `dy` rows and `dx` columns apart (0–2), averaged over the outputs;
/// exact for the separable map (row factor × column factor). `K[0][0]` is the factor
/// by which the export scales such noise's variance. With motion correction, each
/// axis's covariance is mixed with its convolution by the kernel's autocorrelation
/// ∫K(u)K(u + d)du, which is the expectation over a shift whose sub-pixel fraction
/// is uniform, in the proportion `motion_smoothing` ∈ [0, 1]: 1 for frames that move
/// by a pixel or more, less when the motion is slow or small (fractions near 0
/// barely interpolate). `None` without an export. Calibration starts from it to
/// turn the photon transfer of an exported movie into the sensor's (and corrects
/// the rest with a pilot render).
pub fn noise_covariance(spec: &Spec, motion_smoothing: f64) -> Option<[[f64; 3]; 3]> {
    const LAGS: usize = 7;
    let export = spec.export()?;
    let [h, w] = spec.acquisition().fov_px;
    let pixel_um = spec.acquisition().pixel_um;
    // Σ_j w_ij·w_(i+d)j averaged over i, for lags d = 0 … LAGS − 1.
    let lags = |m: &AxisMap| -> [f64; LAGS] {
        let dense: Vec<Vec<f64>> = m
            .rows
            .iter()
            .map(|(first, wts)| {
                let mut v = vec![0.0; m.inputs];
                for (k, &x) in wts.iter().enumerate() {
                    v[first + k] = x as f64;
                }
                v
            })
            .collect();
        std::array::from_fn(|d| {
            let pairs = dense.len().saturating_sub(d).max(1);
            dense
                .iter()
                .zip(dense.iter().skip(d))
                .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>())
                .sum::<f64>()
                / pairs as f64
        })
    };
    let shifted = |c: [f64; LAGS]| -> [f64; 3] {
        if !export.motion_correction {
            return [c[0], c[1], c[2]];
        }
        // Autocorrelation of the kernel at integer lags (support ≤ 2 each side).
        let steps = 4000;
        let auto = |d: i64| -> f64 {
            (0..steps)
                .map(|i| {
                    let u = -2.0 + 4.0 * (i as f64 + 0.5) / steps as f64;
                    kernel_at(export.kernel, u) * kernel_at(export.kernel, u + d as f64)
                })
                .sum::<f64>()
                * 4.0
                / steps as f64
        };
        let cov = |e: i64| c.get(e.unsigned_abs() as usize).copied().unwrap_or(0.0);
        let lambda = motion_smoothing.clamp(0.0, 1.0);
        std::array::from_fn(|d| {
            let smoothed = (-4i64..=4)
                .map(|k| auto(k) * cov(d as i64 - k))
                .sum::<f64>();
            (1.0 - lambda) * c[d] + lambda * smoothed
        })
    };
    let rows = shifted(lags(&AxisMap::of(export, h as usize, pixel_um)));
    let cols = shifted(lags(&AxisMap::of(export, w as usize, pixel_um)));
    Some(std::array::from_fn(|dy| {
        std::array::from_fn(|dx| rows[dy] * cols[dx])
    }))
}

/// The prepared export of one render.
#[derive(Debug, Clone)]
pub(crate) struct Exporter {
    rows: AxisMap,
    cols: AxisMap,
    kernel: ExportKernel,
    /// Motion-correction shift `[dy, dx]` per frame in output pixels (empty: none).
    shifts: Vec<[f64; 2]>,
    dtype: ExportDtype,
    /// Output pixels per sensor pixel along each axis (for the motion truth).
    scale: f64,
}

impl Exporter {
    /// The export of `spec` for a sensor window `fov`, with the tissue's path
    /// `motion_px` (sensor px per frame; empty without motion).
    pub fn new(spec: &Spec, fov: Dims, motion_px: &[[f64; 2]]) -> Option<Exporter> {
        let export = spec.export()?;
        let pixel_um = spec.acquisition().pixel_um;
        let rows = AxisMap::of(export, fov.height, pixel_um);
        let cols = AxisMap::of(export, fov.width, pixel_um);
        let scale = pixel_um / export.pixel_um(pixel_um);
        let shifts = if export.motion_correction {
            motion_px
                .iter()
                .map(|m| [m[0] * scale, m[1] * scale])
                .collect()
        } else {
            Vec::new()
        };
        Some(Exporter {
            rows,
            cols,
            kernel: export.kernel,
            shifts,
            dtype: export.dtype,
            scale,
        })
    }

    /// Output dimensions.
    pub fn dims(&self) -> Dims {
        Dims {
            height: self.rows.outputs(),
            width: self.cols.outputs(),
        }
    }

    /// True if the stored type keeps counts as `u16`.
    pub fn keeps_counts(&self) -> bool {
        self.dtype == ExportDtype::U16
    }

    /// Export frame `f` (sensor-sized `raw`) into `out` (output-sized, `f32`).
    pub fn frame(&self, f: u64, raw: &[f32], out: &mut [f32], tmp: &mut Vec<f32>) {
        apply(&self.rows, &self.cols, raw, out, tmp);
        if let Some(&[dy, dx]) = self.shifts.get(f as usize)
            && (dy != 0.0 || dx != 0.0)
        {
            let d = self.dims();
            let sy = AxisMap::shift(d.height, dy, self.kernel);
            let sx = AxisMap::shift(d.width, dx, self.kernel);
            let moved = out.to_vec();
            apply(&sy, &sx, &moved, out, tmp);
        }
    }

    /// A sensor-sized plane through the spatial map (no shift).
    pub fn plane(&self, plane: &Array2<f32>) -> Array2<f32> {
        let d = self.dims();
        let mut out = vec![0f32; d.height * d.width];
        let input = plane.as_standard_layout();
        apply(
            &self.rows,
            &self.cols,
            input.as_slice().expect("standard layout"),
            &mut out,
            &mut Vec::new(),
        );
        Array2::from_shape_vec((d.height, d.width), out).expect("output dims")
    }

    /// Footprints (cells × sensor pixels) through the spatial map: row by row, each
    /// stored value spread over the outputs whose weights reach it.
    fn csr(&self, m: &Csr) -> Csr {
        let d = self.dims();
        let inverse = |map: &AxisMap| {
            let mut inv: Vec<Vec<(u32, f32)>> = vec![Vec::new(); map.inputs];
            for (o, (first, weights)) in map.rows.iter().enumerate() {
                for (k, &wv) in weights.iter().enumerate() {
                    if wv != 0.0 {
                        inv[first + k].push((o as u32, wv));
                    }
                }
            }
            inv
        };
        let (iy, ix) = (inverse(&self.rows), inverse(&self.cols));
        let w = self.cols.inputs;
        let mut dense = vec![0f32; d.height * d.width];
        let mut touched: Vec<usize> = Vec::new();
        let mut out = Csr {
            indptr: vec![0],
            indices: Vec::new(),
            data: Vec::new(),
            shape: (m.shape.0, d.height * d.width),
        };
        for r in 0..m.shape.0 {
            let (a, b) = (m.indptr[r] as usize, m.indptr[r + 1] as usize);
            for (&p, &v) in m.indices[a..b].iter().zip(&m.data[a..b]) {
                let (y, x) = (p as usize / w, p as usize % w);
                for &(oy, wy) in &iy[y] {
                    for &(ox, wx) in &ix[x] {
                        let q = oy as usize * d.width + ox as usize;
                        if dense[q] == 0.0 {
                            touched.push(q);
                        }
                        dense[q] += v * wy * wx;
                    }
                }
            }
            touched.sort_unstable();
            touched.dedup();
            for &q in &touched {
                if dense[q] != 0.0 {
                    out.indices.push(q as i32);
                    out.data.push(dense[q]);
                }
                dense[q] = 0.0;
            }
            touched.clear();
            out.indptr.push(out.data.len() as i64);
        }
        out
    }

    /// The ground truth of the exported movie: spatial maps through the map, motion
    /// in output pixels (zero after motion correction: the residual displacement).
    pub fn truth(&self, truth: &mut GroundTruth) {
        truth.footprints = self.csr(&truth.footprints);
        truth.core_footprints = self.csr(&truth.core_footprints);
        for plane in [
            &mut truth.vignette,
            &mut truth.vessels,
            &mut truth.dust,
            &mut truth.leakage,
        ] {
            *plane = self.plane(plane);
        }
        let (k, _, _) = truth.neuropil_components.dim();
        let d = self.dims();
        let mut comps = Array3::<f32>::zeros((k, d.height, d.width));
        for c in 0..k {
            let plane = truth
                .neuropil_components
                .index_axis(ndarray::Axis(0), c)
                .to_owned();
            comps
                .index_axis_mut(ndarray::Axis(0), c)
                .assign(&self.plane(&plane));
        }
        truth.neuropil_components = comps;
        if self.shifts.is_empty() {
            truth.motion_px.mapv_inplace(|v| v * self.scale);
        } else {
            truth.motion_px.fill(0.0);
        }
    }

    /// Store an exported `f32` frame as counts: rounded, clamped to `u16`.
    pub fn to_counts(values: &[f32], out: &mut [u16]) {
        for (o, &v) in out.iter_mut().zip(values) {
            *o = v.round().clamp(0.0, 65535.0) as u16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_sum(m: &AxisMap) -> Vec<f32> {
        m.rows.iter().map(|(_, w)| w.iter().sum()).collect()
    }

    #[test]
    fn binning_averages_blocks_and_drops_the_partial_one() {
        let e = Export {
            bin: 3,
            ..Export::default()
        };
        let m = AxisMap::of(&e, 10, 1.0);
        assert_eq!(m.outputs(), 3);
        assert_eq!(m.rows[1], (3, vec![1.0 / 3.0; 3]));
    }

    /// k × k binning averages k² independent values: variance × 1/k². Resampling
    /// s = 4× down with the anti-aliased Keys kernel K(u/s)/s: Σw² per axis ≈
    /// ∫K²/s with ∫K² = 57/70 for a = −0.5, so (57/280)² = 0.0414 over both axes
    /// (3 %: the sampled kernel and the renormalised edge outputs).
    #[test]
    fn noise_covariance_of_binning_and_resampling() {
        let with = |export: Export| {
            let mut d = Spec::default().to_draft();
            d.acquisition.fov_px = [120, 160];
            d.acquisition.pixel_um = 0.75;
            d.output.export = Some(export);
            noise_covariance(&Spec::new(d).expect("valid"), 1.0).expect("export")
        };
        // Disjoint blocks: no covariance between neighbours.
        let k2 = with(Export {
            bin: 2,
            ..Export::default()
        });
        assert!((k2[0][0] - 0.25).abs() < 1e-6, "{k2:?}");
        assert!(k2[0][1].abs() < 1e-9 && k2[1][1].abs() < 1e-9);
        let down = with(Export {
            pixel_um: Some(3.0),
            ..Export::default()
        });
        let expected = (57.0f64 / 280.0).powi(2);
        assert!(
            (down[0][0] / expected - 1.0).abs() < 0.03,
            "{down:?} vs {expected}"
        );
        // Overlapping kernels: neighbours correlate, less at lag 2, symmetric axes.
        assert!(down[0][1] > 0.0 && down[0][2] < down[0][1], "{down:?}");
        assert!((down[0][1] - down[1][0]).abs() < 0.01 * down[0][0]);
        assert!(noise_covariance(&Spec::default(), 1.0).is_none());
        // Motion correction of white noise (bin 1, no resampling): per axis the
        // variance is ∫K² = 57/70 of the Keys kernel, over both axes its square.
        let corrected = with(Export {
            motion_correction: true,
            ..Export::default()
        });
        let expected = (57.0f64 / 70.0).powi(2);
        assert!(
            (corrected[0][0] / expected - 1.0).abs() < 1e-3,
            "{corrected:?}"
        );
    }

    /// Every row of every map sums to 1 (constants are preserved), and a linear ramp
    /// maps to the ramp at the output centres away from the edges (both kernels
    /// reproduce linear functions exactly).
    #[test]
    fn resampling_keeps_constants_and_ramps() {
        for kernel in [ExportKernel::Bilinear, ExportKernel::Bicubic] {
            for antialias in [false, true] {
                let e = Export {
                    bin: 2,
                    pixel_um: Some(3.0),
                    kernel,
                    antialias,
                    ..Export::default()
                };
                let m = AxisMap::of(&e, 200, 0.75);
                assert_eq!(m.outputs(), 50);
                assert!(map_sum(&m).iter().all(|s| (s - 1.0).abs() < 1e-5));
                for (i, (first, w)) in m.rows.iter().enumerate().skip(4).take(40) {
                    let v: f64 = w
                        .iter()
                        .enumerate()
                        .map(|(k, &wv)| wv as f64 * (first + k) as f64)
                        .sum();
                    let centre = (i as f64 + 0.5) * 4.0 - 0.5;
                    assert!(
                        (v - centre).abs() < 1e-3,
                        "{kernel:?} {antialias} {i}: {v} vs {centre}"
                    );
                }
            }
        }
    }

    /// A shift by d moves a ramp by d, and an integer shift moves samples exactly.
    #[test]
    fn shifts_move_by_the_displacement() {
        for kernel in [ExportKernel::Bilinear, ExportKernel::Bicubic] {
            let m = AxisMap::shift(50, 0.3, kernel);
            let ramp: Vec<f32> = (0..50).map(|v| v as f32).collect();
            for (i, (first, w)) in m.rows.iter().enumerate().skip(3).take(40) {
                let v: f32 = w.iter().zip(&ramp[*first..]).map(|(a, b)| a * b).sum();
                assert!((v - (i as f32 + 0.3)).abs() < 1e-4);
            }
            let m = AxisMap::shift(50, 2.0, kernel);
            assert_eq!(m.rows[10], (12, vec![1.0]));
        }
    }

    /// Bilinear interpolation half-way between pixels of white noise makes
    /// neighbouring outputs correlate at ½ (weights ½, ½ share one input): the
    /// mechanism behind correlated pixel noise in resampled exports.
    #[test]
    fn half_pixel_bilinear_shift_correlates_neighbours_at_one_half() {
        let m = AxisMap::shift(10, 0.5, ExportKernel::Bilinear);
        let (a, b) = (&m.rows[3], &m.rows[4]);
        assert_eq!(a.0 + 1, b.0);
        let cov: f32 = a.1[1] * b.1[0];
        let var: f32 = a.1.iter().map(|w| w * w).sum();
        assert!((cov / var - 0.5).abs() < 1e-6);
    }
}
