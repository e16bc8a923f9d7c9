//! One streaming pass over a movie: what the estimators need, in memory bounded by the
//! frame size (a few `f64` planes) plus a capped sample of whole frames.
//!
//! Per frame t (values x_t, `height × width`):
//! - the frame mean (the frame-mean trace) and the per-pixel sum (the mean image) and
//!   maximum;
//! - the frame difference d_t = x_t − x_{t−1} and its 4-neighbour high-pass
//!   D = d − ¼(d↑ + d↓ + d← + d→), whose per-pixel mean square is the photon-transfer
//!   variance (slow and spatially smooth signals, cells and background, cancel; see
//!   [`crate::sensor`]);
//! - the row means r_i of d_t and their second difference h_i = r_i − ½(r_{i−1} +
//!   r_{i+1}), whose mean square measures row noise;
//! - a histogram of integer values (bit depth, clipping), and whether any value is not
//!   an integer;
//! - the first [`Accumulator::keep`] frames whole (PNR, block variance, neighbour
//!   correlation; the motion reference is their mean over the first 50), and each
//!   frame's shift against that reference.

use minisim_stats::motion::Registrar;
use ndarray::{Array2, Array3, ArrayView2};

/// Frames averaged into the motion reference.
pub const REFERENCE_FRAMES: usize = 50;

/// Samples of whole frames kept for the frame-based statistics (256 MiB of `f32`).
pub const KEEP_BUDGET: usize = 1 << 26;

/// The streaming pass. Feed frames with [`Accumulator::push`], then
/// [`Accumulator::finish`].
pub struct Accumulator {
    h: usize,
    w: usize,
    frames: usize,
    keep: usize,
    trace: Vec<f64>,
    sum: Vec<f64>,
    max: Vec<f32>,
    hp_sq: Vec<f64>,
    row_h_sq: f64,
    row_h_n: usize,
    hist: Vec<u64>,
    non_integer: u64,
    prev: Vec<f32>,
    d: Vec<f32>,
    kept: Vec<f32>,
    registrar: Option<Registrar>,
    shifts: Vec<[f64; 2]>,
}

/// What the pass saw.
pub struct Summary {
    /// Frames read.
    pub frames: usize,
    /// Frame-mean trace, one value per frame.
    pub trace: Vec<f64>,
    /// Temporal mean image.
    pub mean: Array2<f64>,
    /// Per-pixel maximum.
    pub max: Array2<f32>,
    /// Per-pixel mean of ½·D² over the frame differences (0 on the border).
    pub hp_var: Array2<f64>,
    /// Mean of h² over interior rows and frame differences.
    pub row_h_sq: f64,
    /// Histogram of integer values 0..=65535 (empty when any value is not an integer).
    pub hist: Vec<u64>,
    /// The first frames, whole.
    pub kept: Array3<f32>,
    /// Shift `[dy, dx]` (px) of every frame against the reference.
    pub shifts: Vec<[f64; 2]>,
}

impl Accumulator {
    /// A pass over frames of `height × width` expected to number `frames`.
    pub fn new(height: usize, width: usize, frames: usize) -> Accumulator {
        let n = height * width;
        let keep = (KEEP_BUDGET / n.max(1)).clamp(2, 400).min(frames.max(1));
        Accumulator {
            h: height,
            w: width,
            frames: 0,
            keep,
            trace: Vec::with_capacity(frames),
            sum: vec![0.0; n],
            max: vec![f32::MIN; n],
            hp_sq: vec![0.0; n],
            row_h_sq: 0.0,
            row_h_n: 0,
            hist: vec![0; 65536],
            non_integer: 0,
            prev: Vec::new(),
            d: vec![0.0; n],
            kept: Vec::with_capacity(keep * n),
            registrar: None,
            shifts: Vec::with_capacity(frames),
        }
    }

    /// Frames kept whole.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// Add the next frame (row-major `height × width`).
    pub fn push(&mut self, frame: &[f32]) {
        let (h, w) = (self.h, self.w);
        assert_eq!(frame.len(), h * w, "frame size");
        let mut total = 0.0;
        for (i, &v) in frame.iter().enumerate() {
            total += v as f64;
            self.sum[i] += v as f64;
            if v > self.max[i] {
                self.max[i] = v;
            }
            if (0.0..=65535.0).contains(&v) && v.fract() == 0.0 {
                self.hist[v as usize] += 1;
            } else {
                self.non_integer += 1;
            }
        }
        self.trace.push(total / frame.len() as f64);
        if !self.prev.is_empty() {
            self.differences(frame);
        }
        self.prev.clear();
        self.prev.extend_from_slice(frame);
        if self.frames < self.keep {
            self.kept.extend_from_slice(frame);
        }
        self.frames += 1;
        match &self.registrar {
            Some(r) => {
                let view = ArrayView2::from_shape((h, w), frame).expect("frame size");
                self.shifts.push(r.shift(view));
            }
            None => {
                if self.frames == REFERENCE_FRAMES.min(self.keep) {
                    self.start_registration();
                }
            }
        }
    }

    fn differences(&mut self, frame: &[f32]) {
        let (h, w) = (self.h, self.w);
        for ((d, &a), &b) in self.d.iter_mut().zip(frame).zip(&self.prev) {
            *d = a - b;
        }
        let d = &self.d;
        for y in 1..h.saturating_sub(1) {
            for x in 1..w - 1 {
                let i = y * w + x;
                let hp = d[i] as f64 - 0.25 * (d[i - w] + d[i + w] + d[i - 1] + d[i + 1]) as f64;
                self.hp_sq[i] += 0.5 * hp * hp;
            }
        }
        if h >= 3 {
            let rows: Vec<f64> = d
                .chunks_exact(w)
                .map(|r| r.iter().map(|&v| v as f64).sum::<f64>() / w as f64)
                .collect();
            for i in 1..h - 1 {
                let hh = rows[i] - 0.5 * (rows[i - 1] + rows[i + 1]);
                self.row_h_sq += hh * hh;
                self.row_h_n += 1;
            }
        }
    }

    /// The reference is the mean of the frames so far; register them.
    fn start_registration(&mut self) {
        let (h, w) = (self.h, self.w);
        let n = h * w;
        let mut reference = Array2::<f32>::zeros((h, w));
        for f in self.kept.chunks_exact(n).take(self.frames) {
            reference
                .iter_mut()
                .zip(f)
                .for_each(|(r, &v)| *r += v / self.frames as f32);
        }
        let registrar = Registrar::new(&reference);
        for f in self.kept.chunks_exact(n).take(self.frames) {
            let view = ArrayView2::from_shape((h, w), f).expect("frame size");
            self.shifts.push(registrar.shift(view));
        }
        self.registrar = Some(registrar);
    }

    /// The summary of the frames pushed.
    pub fn finish(mut self) -> Summary {
        if self.registrar.is_none() && self.frames > 0 {
            self.start_registration();
        }
        let (h, w) = (self.h, self.w);
        let t = self.frames.max(1) as f64;
        let diffs = self.frames.saturating_sub(1).max(1) as f64;
        let kept_frames = self.kept.len() / (h * w).max(1);
        Summary {
            frames: self.frames,
            trace: self.trace,
            mean: Array2::from_shape_vec((h, w), self.sum.iter().map(|s| s / t).collect())
                .expect("plane"),
            max: Array2::from_shape_vec((h, w), self.max).expect("plane"),
            hp_var: Array2::from_shape_vec((h, w), self.hp_sq.iter().map(|s| s / diffs).collect())
                .expect("plane"),
            row_h_sq: self.row_h_sq / self.row_h_n.max(1) as f64,
            hist: if self.non_integer == 0 {
                self.hist
            } else {
                Vec::new()
            },
            kept: Array3::from_shape_vec((kept_frames, h, w), self.kept).expect("frames"),
            shifts: self.shifts,
        }
    }
}
