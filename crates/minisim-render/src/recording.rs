//! `Recording`: the observed movie, stage snapshots and the full ground truth.

use minisim_spec::{Spec, StepKind};
use ndarray::{Array1, Array2, Array3};

/// A movie, frames × height × width.
#[derive(Debug, Clone, PartialEq)]
pub enum Movie {
    /// Sensor counts in `[0, 2^bit_depth − 1]` (specs with `digitize`).
    Counts(Array3<u16>),
    /// Intensity or expected electrons (sensorless specs, `until`, snapshots).
    Intensity(Array3<f32>),
}

impl Movie {
    /// `(frames, height, width)`.
    pub fn shape(&self) -> (usize, usize, usize) {
        let s = match self {
            Movie::Counts(a) => a.shape(),
            Movie::Intensity(a) => a.shape(),
        };
        (s[0], s[1], s[2])
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.shape().0
    }
}

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

/// A simulated recording: the spec, its key, the observed movie, snapshots and truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The spec that produced it.
    pub spec: Spec,
    /// `spec.cache_key()`.
    pub cache_key: String,
    /// The movie after the last stage rendered.
    pub observed: Movie,
    /// Movies of `output.snapshot_stages`, cropped to the FOV, in canonical order.
    pub snapshots: Vec<(StepKind, Array3<f32>)>,
    /// The ground truth.
    pub truth: GroundTruth,
}

impl Recording {
    /// The snapshot of `stage`, if kept.
    pub fn snapshot(&self, stage: StepKind) -> Option<&Array3<f32>> {
        self.snapshots
            .iter()
            .find_map(|(k, a)| (*k == stage).then_some(a))
    }
}
