//! The ground truth of a recording: what every stage knows about what it did.
//!
//! Each stage fills its own part (see `Stage::truth`): `place_neurons` the cell table's
//! geometry and the focal depth, `spikes` the trains and rates, `calcium` ΔF/F,
//! `composite` footprints and focus weights, `neuropil` its components and traces,
//! `vasculature` the resting vessel map, `motion_crop` the path, `vignette`,
//! `photon_field` and `leakage` their maps and gains. [`GroundTruth::empty`] holds
//! the value of every part whose stage is absent. The renderer then adds the
//! detectability labels.

use ndarray::{Array1, Array2, Array3};

use crate::Geometry;

/// The ground-truth cell table, one entry per placed cell (column-oriented).
///
/// Coordinates are in µm from the FOV's top-left pixel edge (x right, y down); z is
/// depth below the focal plane. Cells may lie outside the FOV (in the motion margin).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellTable {
    /// Cell id (row index of every per-cell array).
    pub id: Vec<u32>,
    /// Centre x, µm.
    pub x_um: Vec<f64>,
    /// Centre y, µm.
    pub y_um: Vec<f64>,
    /// Depth below the focal surface, µm (the focal plane, bowed towards the lens
    /// off-axis with field curvature).
    pub z_um: Vec<f64>,
    /// Depth below the tissue surface, µm.
    pub depth_um: Vec<f64>,
    /// Population index (`place_neurons.populations`; 0 without).
    pub population: Vec<u32>,
    /// Mean soma radius, µm.
    pub radius_um: Vec<f64>,
    /// Expression level (median 1).
    pub expression: Vec<f64>,
    /// Whether the centre lies inside the FOV.
    pub in_fov: Vec<bool>,
    /// Peak of the ballistic footprint relative to the same cell in focus.
    pub focus_weight: Vec<f64>,
    /// Event rate, Hz (0 without `spikes`).
    pub rate_hz: Vec<f64>,
    /// Ensemble index, −1 for none.
    pub ensemble: Vec<i32>,
    /// In focus: `focus_weight ≥ IN_FOCUS_WEIGHT` (inside the axial half-maximum).
    pub in_focus: Vec<bool>,
    /// Largest ΔF/F of the cell over the recording (after saturation).
    pub peak_dff: Vec<f32>,
    /// Expected peak SNR: ΔF of the brightest FOV pixel at `peak_dff`, in e⁻, over the
    /// shot + read + row noise of that pixel at rest (see `labels.rs`, docs/physics.md).
    pub peak_snr: Vec<f64>,
    /// `peak_snr ≥ DETECTABLE_SNR` (3): the fair recall denominator.
    pub detectable: Vec<bool>,
}

impl CellTable {
    /// A table of `n` cells with ids `0..n` and every other column at its value for
    /// absent stages: zero coordinates, sizes, rates and labels, no ensemble (−1),
    /// population 0, not in the FOV.
    pub fn with_len(n: usize) -> Self {
        CellTable {
            id: (0..n as u32).collect(),
            x_um: vec![0.0; n],
            y_um: vec![0.0; n],
            z_um: vec![0.0; n],
            depth_um: vec![0.0; n],
            population: vec![0; n],
            radius_um: vec![0.0; n],
            expression: vec![0.0; n],
            in_fov: vec![false; n],
            focus_weight: vec![0.0; n],
            rate_hz: vec![0.0; n],
            ensemble: vec![-1; n],
            in_focus: vec![false; n],
            peak_dff: vec![0.0; n],
            peak_snr: vec![0.0; n],
            detectable: vec![false; n],
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// True if there are no cells.
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

/// Sparse matrix in compressed sparse row form, scipy-compatible:
/// `scipy.sparse.csr_matrix((data, indices, indptr), shape=shape)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Csr {
    /// Row pointers, `rows + 1` entries.
    pub indptr: Vec<i64>,
    /// Column index of each stored value.
    pub indices: Vec<i32>,
    /// Stored values.
    pub data: Vec<f32>,
    /// `(rows, columns)`.
    pub shape: (usize, usize),
}

/// Everything the simulator knows about a recording besides the movie.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroundTruth {
    /// One row per placed cell.
    pub cells: CellTable,
    /// Resting footprint of each cell over the FOV pixels (`cells × H·W`, row-major
    /// pixels), in intensity units: expression × resting brightness × optics weight.
    /// The composite stage is Σ_c footprint_c · (1 + ΔF/F_c(t)).
    pub footprints: Csr,
    /// Spike times per cell, s.
    pub spikes: Vec<Vec<f64>>,
    /// ΔF/F per cell and frame after saturation (`cells × frames`).
    pub calcium_dff: Array2<f32>,
    /// Neuropil spatial components over the FOV (`K × H × W`), intensity.
    pub neuropil_components: Array3<f32>,
    /// Neuropil ΔF/F traces (`K × frames`).
    pub neuropil_traces: Array2<f32>,
    /// Tissue displacement per frame, `[dy, dx]` px (`frames × 2`); zero without motion.
    pub motion_px: Array2<f64>,
    /// Vignette transmission over the FOV (`H × W`), ones without `vignette`.
    pub vignette: Array2<f32>,
    /// Vessel transmission at rest over the FOV (`H × W`), ones without vessels.
    pub vessels: Array2<f32>,
    /// Leakage electrons per frame over the FOV (`H × W`), zeros without `leakage`.
    pub leakage: Array2<f32>,
    /// Photon gain per frame (e⁻ per unit intensity incl. bleaching and flicker).
    pub photon_gain: Array1<f64>,
    /// Depth of the focal plane below the tissue surface, µm (`"auto"` resolved).
    pub focal_depth_um: f64,
    /// Intact fluorophore fraction per cell at each frame's start (`cells × frames`),
    /// with `photon_field.cell_bleaching`; `cells × 0` without. The composite is then
    /// Σ_c footprint_c · q_c · (1 + ΔF/F_c).
    pub cell_bleach: Array2<f32>,
}

impl GroundTruth {
    /// The truth of a recording of `n_cells` cells none of whose stages ran yet: no
    /// footprints or spikes, ΔF/F zero for `frames` frames (or for 0 frames when the
    /// per-frame truth is not kept), no neuropil, no motion, unit vignette and vessel
    /// transmission, no leakage, no photon gain, no per-cell bleaching.
    pub fn empty(g: &Geometry, n_cells: usize, frames: usize, focal_depth_um: f64) -> Self {
        let (h, w) = (g.fov.height, g.fov.width);
        GroundTruth {
            cells: CellTable::with_len(n_cells),
            footprints: Csr {
                indptr: vec![0; n_cells + 1],
                indices: Vec::new(),
                data: Vec::new(),
                shape: (n_cells, h * w),
            },
            spikes: vec![Vec::new(); n_cells],
            calcium_dff: Array2::zeros((n_cells, frames)),
            neuropil_components: Array3::zeros((0, h, w)),
            neuropil_traces: Array2::zeros((0, 0)),
            motion_px: Array2::zeros((g.frames as usize, 2)),
            vignette: Array2::ones((h, w)),
            vessels: Array2::ones((h, w)),
            leakage: Array2::zeros((h, w)),
            photon_gain: Array1::zeros(0),
            focal_depth_um,
            cell_bleach: Array2::zeros((n_cells, 0)),
        }
    }
}

/// A frame-major buffer (frames × rows) as `rows × frames`; `rows × 0` when it does
/// not hold every frame (per-frame truth not kept).
pub fn rows_by_frame(data: Vec<f32>, frames: usize, rows: usize) -> Array2<f32> {
    if data.len() != frames * rows {
        return Array2::zeros((rows, 0));
    }
    match Array2::from_shape_vec((frames, rows), data) {
        Ok(a) => a.reversed_axes().as_standard_layout().into_owned(),
        Err(_) => Array2::zeros((rows, 0)),
    }
}

/// A FOV-sized plane (`H × W`) from row-major data.
pub fn fov_plane(data: Vec<f32>, g: &Geometry) -> Array2<f32> {
    let (h, w) = (g.fov.height, g.fov.width);
    Array2::from_shape_vec((h, w), data).unwrap_or_else(|_| Array2::zeros((h, w)))
}
