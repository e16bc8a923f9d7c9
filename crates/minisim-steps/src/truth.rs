//! The ground truth of a recording: what every stage knows about what it did.
//!
//! Each stage fills its own part (see `Stage::truth`): `place_neurons` the cell table's
//! geometry and the focal depth, `spikes` the trains and rates, `calcium` ΔF/F,
//! `composite` footprints and focus weights, `neuropil` its components and traces,
//! `vasculature` the resting vessel map, `motion_crop` the path, `vignette`, `dust`,
//! `photon_field` and `leakage` their maps and gains. [`GroundTruth::empty`] holds
//! the value of every part whose stage is absent. The renderer then adds the
//! detectability labels.

use ndarray::{Array1, Array2, Array3, CowArray, Dimension, Ix2, IxDyn};

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
    /// The composite stage is Σ_c footprint_c · (1 + ΔF/F_c(t)). This is the *total*
    /// footprint: the ballistic core plus the scattered halo.
    pub footprints: Csr,
    /// The *core* of each footprint (`cells × H·W`, same units): the ballistic image of
    /// the cell through the PSF (defocus included), without the scattered halo: what
    /// a demixing extractor is meant to recover. `footprints − core_footprints` is the
    /// halo (up to the coarse-grid interpolation of deep cells' cores, see
    /// `composite`).
    pub core_footprints: Csr,
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
    /// Dust transmission over the FOV (`H × W`), ones without `dust`.
    pub dust: Array2<f32>,
    /// Leakage electrons per frame over the FOV (`H × W`), zeros without `leakage`.
    pub leakage: Array2<f32>,
    /// Photon gain per frame (e⁻ per unit intensity incl. bleaching and flicker).
    pub photon_gain: Array1<f64>,
    /// Haemodynamic transmission per frame (the global factor of `vasculature`);
    /// empty without it.
    pub hemodynamic: Array1<f64>,
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
    /// transmission, no leakage, no photon gain or haemodynamics, no per-cell bleaching.
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
            core_footprints: Csr {
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
            dust: Array2::ones((h, w)),
            leakage: Array2::zeros((h, w)),
            photon_gain: Array1::zeros(0),
            hemodynamic: Array1::zeros(0),
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

/// One array of a recording, borrowed or built, by element type. The names and
/// dtypes of [`GroundTruth::arrays`] are the on-disk layout (docs/recording-format.md).
#[derive(Debug, Clone, PartialEq)]
pub enum TruthArray<'a> {
    /// `bool` (`|b1`).
    Bool(CowArray<'a, bool, IxDyn>),
    /// `u16` (`<u2`).
    U16(CowArray<'a, u16, IxDyn>),
    /// `u32` (`<u4`).
    U32(CowArray<'a, u32, IxDyn>),
    /// `i32` (`<i4`).
    I32(CowArray<'a, i32, IxDyn>),
    /// `i64` (`<i8`).
    I64(CowArray<'a, i64, IxDyn>),
    /// `f32` (`<f4`).
    F32(CowArray<'a, f32, IxDyn>),
    /// `f64` (`<f8`).
    F64(CowArray<'a, f64, IxDyn>),
}

/// Element type of a [`TruthArray`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// `bool`.
    Bool,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl Dtype {
    /// Short name (`"f32"`).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Bool => "bool",
            Dtype::U16 => "u16",
            Dtype::U32 => "u32",
            Dtype::I32 => "i32",
            Dtype::I64 => "i64",
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }

    /// numpy's little-endian `descr` (`"<f4"`).
    pub fn descr(self) -> &'static str {
        match self {
            Dtype::Bool => "|b1",
            Dtype::U16 => "<u2",
            Dtype::U32 => "<u4",
            Dtype::I32 => "<i4",
            Dtype::I64 => "<i8",
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
        }
    }

    /// The dtype of a numpy `descr`, if minisim stores it.
    pub fn from_descr(descr: &str) -> Option<Dtype> {
        [
            Dtype::Bool,
            Dtype::U16,
            Dtype::U32,
            Dtype::I32,
            Dtype::I64,
            Dtype::F32,
            Dtype::F64,
        ]
        .into_iter()
        .find(|d| d.descr() == descr)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::Bool => 1,
            Dtype::U16 => 2,
            Dtype::U32 | Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
        }
    }
}

/// Apply `$f` to the `CowArray` inside a [`TruthArray`], whatever its element type.
#[macro_export]
macro_rules! with_truth_array {
    ($a:expr, $x:ident => $f:expr) => {
        match $a {
            $crate::truth::TruthArray::Bool($x) => $f,
            $crate::truth::TruthArray::U16($x) => $f,
            $crate::truth::TruthArray::U32($x) => $f,
            $crate::truth::TruthArray::I32($x) => $f,
            $crate::truth::TruthArray::I64($x) => $f,
            $crate::truth::TruthArray::F32($x) => $f,
            $crate::truth::TruthArray::F64($x) => $f,
        }
    };
}

impl TruthArray<'_> {
    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            TruthArray::Bool(_) => Dtype::Bool,
            TruthArray::U16(_) => Dtype::U16,
            TruthArray::U32(_) => Dtype::U32,
            TruthArray::I32(_) => Dtype::I32,
            TruthArray::I64(_) => Dtype::I64,
            TruthArray::F32(_) => Dtype::F32,
            TruthArray::F64(_) => Dtype::F64,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        with_truth_array!(self, a => a.shape())
    }

    /// Hand the elements' little-endian bytes in C order to `sink`, a block of at
    /// most 64 KiB at a time (bounded memory however large the array).
    pub fn le_blocks(&self, mut sink: impl FnMut(&[u8])) {
        fn blocks<T, const N: usize>(
            a: &CowArray<'_, T, IxDyn>,
            f: impl Fn(&T) -> [u8; N],
            sink: &mut dyn FnMut(&[u8]),
        ) {
            let per = (64 * 1024 / N).max(1);
            let mut buf = Vec::with_capacity(per * N);
            for v in a.iter() {
                buf.extend_from_slice(&f(v));
                if buf.len() >= per * N {
                    sink(&buf);
                    buf.clear();
                }
            }
            if !buf.is_empty() {
                sink(&buf);
            }
        }
        let sink: &mut dyn FnMut(&[u8]) = &mut sink;
        match self {
            TruthArray::Bool(a) => blocks(a, |&b| [b as u8], sink),
            TruthArray::U16(a) => blocks(a, |v| v.to_le_bytes(), sink),
            TruthArray::U32(a) => blocks(a, |v| v.to_le_bytes(), sink),
            TruthArray::I32(a) => blocks(a, |v| v.to_le_bytes(), sink),
            TruthArray::I64(a) => blocks(a, |v| v.to_le_bytes(), sink),
            TruthArray::F32(a) => blocks(a, |v| v.to_le_bytes(), sink),
            TruthArray::F64(a) => blocks(a, |v| v.to_le_bytes(), sink),
        }
    }

    /// The elements' little-endian bytes in C order (bools as 0/1), as `.npy` stores
    /// them after the header.
    pub fn le_bytes(&self) -> Vec<u8> {
        fn collect<T, const N: usize>(
            a: &CowArray<'_, T, IxDyn>,
            f: impl Fn(&T) -> [u8; N],
        ) -> Vec<u8> {
            let mut out = Vec::with_capacity(a.len() * N);
            for v in a.iter() {
                out.extend_from_slice(&f(v));
            }
            out
        }
        match self {
            TruthArray::Bool(a) => collect(a, |&b| [b as u8]),
            TruthArray::U16(a) => collect(a, |v| v.to_le_bytes()),
            TruthArray::U32(a) => collect(a, |v| v.to_le_bytes()),
            TruthArray::I32(a) => collect(a, |v| v.to_le_bytes()),
            TruthArray::I64(a) => collect(a, |v| v.to_le_bytes()),
            TruthArray::F32(a) => collect(a, |v| v.to_le_bytes()),
            TruthArray::F64(a) => collect(a, |v| v.to_le_bytes()),
        }
    }
}

/// Why arrays do not make a ground truth.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TruthError {
    /// An array has the wrong element type.
    #[error("array `{name}`: expected {expected}, found {found}")]
    Dtype {
        /// The array.
        name: &'static str,
        /// Its dtype in the layout.
        expected: &'static str,
        /// The dtype found.
        found: &'static str,
    },
    /// An array has the wrong number of dimensions.
    #[error("array `{name}`: expected {expected} dimensions, found shape {found:?}")]
    Rank {
        /// The array.
        name: &'static str,
        /// Its rank in the layout.
        expected: usize,
        /// The shape found.
        found: Vec<usize>,
    },
    /// Arrays disagree with each other (lengths, CSR pointers).
    #[error("{0}")]
    Inconsistent(String),
}

/// Per-cell columns of the cell table, by on-disk name.
macro_rules! cell_columns {
    ($m:ident) => {
        $m! {
            id: U32, x_um: F64, y_um: F64, z_um: F64, depth_um: F64, population: U32,
            radius_um: F64, expression: F64, in_fov: Bool, focus_weight: F64, rate_hz: F64,
            ensemble: I32, in_focus: Bool, peak_dff: F32, peak_snr: F64, detectable: Bool,
        }
    };
}

fn vec_view<T>(v: &[T]) -> CowArray<'_, T, IxDyn> {
    CowArray::from(ndarray::ArrayView1::from(v)).into_dyn()
}

fn owned<T>(a: ndarray::Array<T, impl Dimension>) -> CowArray<'static, T, IxDyn> {
    CowArray::from(a.into_dyn())
}

fn view<'a, T>(a: &'a ndarray::Array<T, impl Dimension>) -> CowArray<'a, T, IxDyn> {
    CowArray::from(a.view().into_dyn())
}

impl GroundTruth {
    /// Every array of the ground truth by its on-disk name, in a fixed order: the cell
    /// table (`cells_<column>`), footprints as CSR (`footprints_{indptr,indices,data}`),
    /// spike times as CSR rows (`spikes_{times,indptr}`), then the per-stage arrays.
    pub fn arrays(&self) -> Vec<(&'static str, TruthArray<'_>)> {
        let c = &self.cells;
        let mut out: Vec<(&'static str, TruthArray<'_>)> = Vec::new();
        macro_rules! columns {
            ($($col:ident: $ty:ident,)*) => {
                $( out.push((concat!("cells_", stringify!($col)), TruthArray::$ty(vec_view(&c.$col)))); )*
            };
        }
        cell_columns!(columns);
        let f = &self.footprints;
        out.push(("footprints_indptr", TruthArray::I64(vec_view(&f.indptr))));
        out.push(("footprints_indices", TruthArray::I32(vec_view(&f.indices))));
        out.push(("footprints_data", TruthArray::F32(vec_view(&f.data))));
        let f = &self.core_footprints;
        out.push((
            "footprints_core_indptr",
            TruthArray::I64(vec_view(&f.indptr)),
        ));
        out.push((
            "footprints_core_indices",
            TruthArray::I32(vec_view(&f.indices)),
        ));
        out.push(("footprints_core_data", TruthArray::F32(vec_view(&f.data))));
        let mut indptr = vec![0i64];
        let mut times = Vec::new();
        for cell in &self.spikes {
            times.extend_from_slice(cell);
            indptr.push(times.len() as i64);
        }
        out.push(("spikes_times", TruthArray::F64(owned(Array1::from(times)))));
        out.push((
            "spikes_indptr",
            TruthArray::I64(owned(Array1::from(indptr))),
        ));
        out.push(("calcium_dff", TruthArray::F32(view(&self.calcium_dff))));
        out.push((
            "neuropil_components",
            TruthArray::F32(view(&self.neuropil_components)),
        ));
        out.push((
            "neuropil_traces",
            TruthArray::F32(view(&self.neuropil_traces)),
        ));
        out.push(("motion_px", TruthArray::F64(view(&self.motion_px))));
        out.push(("vignette", TruthArray::F32(view(&self.vignette))));
        out.push(("vessels", TruthArray::F32(view(&self.vessels))));
        out.push(("dust", TruthArray::F32(view(&self.dust))));
        out.push(("leakage", TruthArray::F32(view(&self.leakage))));
        out.push(("photon_gain", TruthArray::F64(view(&self.photon_gain))));
        out.push(("hemodynamic", TruthArray::F64(view(&self.hemodynamic))));
        out.push((
            "focal_depth_um",
            TruthArray::F64(owned(Array1::from(vec![self.focal_depth_um]))),
        ));
        out.push(("cell_bleach", TruthArray::F32(view(&self.cell_bleach))));
        out
    }

    /// The inverse of [`arrays`](Self::arrays): `take(name, dtype)` supplies each array
    /// (its error passes through); element types, ranks, per-cell lengths and the CSR
    /// pointers are checked, so a ground truth built here is consistent.
    pub fn from_arrays<E: From<TruthError>>(
        mut take: impl FnMut(&'static str, Dtype) -> Result<TruthArray<'static>, E>,
    ) -> Result<GroundTruth, E> {
        macro_rules! get {
            ($name:expr, $ty:ident, $dim:ty) => {{
                let name: &'static str = $name;
                match take(name, Dtype::$ty)? {
                    TruthArray::$ty(a) => {
                        let a = a.into_owned();
                        let found = a.shape().to_vec();
                        a.into_dimensionality::<$dim>().map_err(|_| {
                            E::from(TruthError::Rank {
                                name,
                                expected: <$dim as Dimension>::NDIM.unwrap_or(0),
                                found,
                            })
                        })?
                    }
                    other => {
                        return Err(E::from(TruthError::Dtype {
                            name,
                            expected: Dtype::$ty.name(),
                            found: other.dtype().name(),
                        }));
                    }
                }
            }};
        }
        let mut cells = CellTable::default();
        macro_rules! columns {
            ($($col:ident: $ty:ident,)*) => {
                $( cells.$col = get!(concat!("cells_", stringify!($col)), $ty, ndarray::Ix1).to_vec(); )*
            };
        }
        cell_columns!(columns);
        let n = cells.id.len();
        let inconsistent = |m: String| E::from(TruthError::Inconsistent(m));
        macro_rules! check_len {
            ($($col:ident: $ty:ident,)*) => {
                $(
                    if cells.$col.len() != n {
                        return Err(inconsistent(format!(
                            "cells_{} has {} entries but cells_id has {n}",
                            stringify!($col), cells.$col.len()
                        )));
                    }
                )*
            };
        }
        cell_columns!(check_len);
        let vignette = get!("vignette", F32, Ix2);
        let pixels = vignette.len();
        let csr = |what: &'static str,
                   indptr: Vec<i64>,
                   indices: Vec<i32>,
                   data: Vec<f32>|
         -> Result<Csr, E> {
            check_csr(what, &indptr, indices.len(), n).map_err(inconsistent)?;
            if data.len() != indices.len() {
                return Err(inconsistent(format!(
                    "{what}_data has {} values but {what}_indices {}",
                    data.len(),
                    indices.len()
                )));
            }
            if let Some((i, &p)) = indices
                .iter()
                .enumerate()
                .find(|&(_, &p)| !(0..pixels as i64).contains(&(p as i64)))
            {
                return Err(inconsistent(format!(
                    "{what}_indices[{i}] = {p} is outside the {pixels} pixels of the field of view"
                )));
            }
            Ok(Csr {
                indptr,
                indices,
                data,
                shape: (n, pixels),
            })
        };
        let footprints = csr(
            "footprints",
            get!("footprints_indptr", I64, ndarray::Ix1).to_vec(),
            get!("footprints_indices", I32, ndarray::Ix1).to_vec(),
            get!("footprints_data", F32, ndarray::Ix1).to_vec(),
        )?;
        let core_footprints = csr(
            "footprints_core",
            get!("footprints_core_indptr", I64, ndarray::Ix1).to_vec(),
            get!("footprints_core_indices", I32, ndarray::Ix1).to_vec(),
            get!("footprints_core_data", F32, ndarray::Ix1).to_vec(),
        )?;
        let times = get!("spikes_times", F64, ndarray::Ix1).to_vec();
        let indptr = get!("spikes_indptr", I64, ndarray::Ix1).to_vec();
        check_csr("spikes", &indptr, times.len(), n).map_err(inconsistent)?;
        let spikes = indptr
            .windows(2)
            .map(|w| times[w[0] as usize..w[1] as usize].to_vec())
            .collect();
        let focal = get!("focal_depth_um", F64, ndarray::Ix1);
        let focal_depth_um = match focal.as_slice() {
            Some(&[f]) => f,
            _ => {
                return Err(inconsistent(format!(
                    "focal_depth_um holds {} values, not 1",
                    focal.len()
                )));
            }
        };
        Ok(GroundTruth {
            cells,
            footprints,
            core_footprints,
            spikes,
            calcium_dff: get!("calcium_dff", F32, Ix2),
            neuropil_components: get!("neuropil_components", F32, ndarray::Ix3),
            neuropil_traces: get!("neuropil_traces", F32, Ix2),
            motion_px: get!("motion_px", F64, Ix2),
            vignette,
            vessels: get!("vessels", F32, Ix2),
            dust: get!("dust", F32, Ix2),
            leakage: get!("leakage", F32, Ix2),
            photon_gain: get!("photon_gain", F64, ndarray::Ix1),
            hemodynamic: get!("hemodynamic", F64, ndarray::Ix1),
            focal_depth_um,
            cell_bleach: get!("cell_bleach", F32, Ix2),
        })
    }
}

/// A CSR row-pointer array for `rows` rows over `len` stored values: `rows + 1`
/// entries, starting at 0, non-decreasing, ending at `len`.
fn check_csr(what: &str, indptr: &[i64], len: usize, rows: usize) -> Result<(), String> {
    if indptr.len() != rows + 1 {
        return Err(format!(
            "{what}_indptr has {} entries for {rows} cells (expected {})",
            indptr.len(),
            rows + 1
        ));
    }
    if indptr.first() != Some(&0) || indptr.last() != Some(&(len as i64)) {
        return Err(format!(
            "{what}_indptr must run from 0 to {len} (the number of stored values)"
        ));
    }
    if let Some(i) = indptr.windows(2).position(|w| w[1] < w[0]) {
        return Err(format!(
            "{what}_indptr decreases at entry {} ({} after {})",
            i + 1,
            indptr[i + 1],
            indptr[i]
        ));
    }
    Ok(())
}
