//! `Recording`: the observed movie (numpy, moved without a copy), the ground truth and
//! the spec; saved and loaded in the CLI's on-disk format.

use std::path::PathBuf;

use minisim::{Movie, PerfTracker, Persist, Phase, Recording};
use ndarray::Array3;
use numpy::{IntoPyArray, PyArray3, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::truth_array;
use crate::errors::cache_err;
use crate::spec::PySpec;

/// A simulated recording: `observed` (frames × height × width; `uint16` counts, or
/// `float32` e⁻ for a spec without a sensor), the ground truth (`truth`, `footprints`,
/// the labels) and the `spec` that made it.
#[pyclass(name = "Recording", module = "minisim_rs")]
pub struct PyRecording {
    /// The recording with its movie moved out to `observed` (an empty placeholder).
    rec: Recording,
    observed: Py<PyAny>,
    perf: Option<Vec<(&'static str, f64, u64)>>,
}

fn placeholder() -> Movie {
    Movie::Counts(Array3::zeros((0, 0, 0)))
}

impl PyRecording {
    pub fn new(py: Python<'_>, mut rec: Recording, perf: Option<&PerfTracker>) -> PyResult<Self> {
        let observed = match std::mem::replace(&mut rec.observed, placeholder()) {
            Movie::Counts(a) => a.into_pyarray(py).into_any().unbind(),
            Movie::Intensity(a) => a.into_pyarray(py).into_any().unbind(),
        };
        let perf = perf.map(|p| {
            Phase::ALL
                .iter()
                .map(|&phase| {
                    let t = p.get(phase);
                    (phase.name(), t.time.as_secs_f64(), t.calls)
                })
                .filter(|(_, _, calls)| *calls > 0)
                .collect()
        });
        Ok(PyRecording {
            rec,
            observed,
            perf,
        })
    }

    /// Run `f` with the movie back in the recording (copied from numpy), restoring the
    /// placeholder afterwards.
    pub fn with_movie<T>(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(Python<'_>, &Recording) -> T,
    ) -> PyResult<T> {
        let movie = self.movie(py)?;
        let previous = std::mem::replace(&mut self.rec.observed, movie);
        let out = f(py, &self.rec);
        self.rec.observed = previous;
        Ok(out)
    }

    /// The movie back from numpy (copied), for saving.
    fn movie(&self, py: Python<'_>) -> PyResult<Movie> {
        let obj = self.observed.bind(py);
        if let Ok(a) = obj.cast::<PyArray3<u16>>() {
            return Ok(Movie::Counts(a.to_owned_array()));
        }
        if let Ok(a) = obj.cast::<PyArray3<f32>>() {
            return Ok(Movie::Intensity(a.to_owned_array()));
        }
        Err(pyo3::exceptions::PyTypeError::new_err(
            "observed must stay a 3-d uint16 or float32 array",
        ))
    }
}

#[pymethods]
impl PyRecording {
    /// The observed movie, frames × height × width (numpy; the same object every time).
    #[getter]
    fn observed(&self, py: Python<'_>) -> Py<PyAny> {
        self.observed.clone_ref(py)
    }

    /// The spec that produced it.
    #[getter]
    fn spec(&self) -> PySpec {
        PySpec {
            inner: self.rec.spec.clone(),
        }
    }

    /// `spec.cache_key`.
    #[getter]
    fn cache_key(&self) -> String {
        self.rec.cache_key.clone()
    }

    /// The movies of the stages listed in `output.snapshot_stages`, by stage name
    /// (frames × height × width, `float32`, copies).
    #[getter]
    fn snapshots<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (kind, a) in &self.rec.snapshots {
            d.set_item(kind.name(), a.clone().into_pyarray(py))?;
        }
        Ok(d)
    }

    /// Every ground-truth array by its on-disk name (docs/recording-format.md):
    /// `cells_*` columns, `footprints_*` CSR parts, `calcium_dff`, `motion_px`, … (copies).
    #[getter]
    fn truth<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, a) in self.rec.truth.arrays() {
            d.set_item(name, truth_array(py, a))?;
        }
        Ok(d)
    }

    /// Per cell: in the focal volume (bool).
    #[getter]
    fn in_focus<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.rec
            .truth
            .cells
            .in_focus
            .clone()
            .into_pyarray(py)
            .into_any()
    }

    /// Per cell: expected peak SNR ≥ the detectability threshold (bool).
    #[getter]
    fn detectable<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.rec
            .truth
            .cells
            .detectable
            .clone()
            .into_pyarray(py)
            .into_any()
    }

    /// Per cell: expected peak SNR (docs/scoring.md).
    #[getter]
    fn peak_snr<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.rec
            .truth
            .cells
            .peak_snr
            .clone()
            .into_pyarray(py)
            .into_any()
    }

    /// ΔF/F per cell and frame (cells × frames, float32).
    #[getter]
    fn calcium_dff<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.rec
            .truth
            .calcium_dff
            .clone()
            .into_pyarray(py)
            .into_any()
    }

    /// Tissue displacement per frame, `[dy, dx]` px (frames × 2).
    #[getter]
    fn motion_px<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.rec.truth.motion_px.clone().into_pyarray(py).into_any()
    }

    /// Footprints, cells × pixels (row-major pixel index): a `scipy.sparse.csr_matrix`
    /// when scipy is installed, else the tuple `(data, indices, indptr)`.
    #[getter]
    fn footprints<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = &self.rec.truth.footprints;
        let parts = (
            f.data.clone().into_pyarray(py),
            f.indices.clone().into_pyarray(py),
            f.indptr.clone().into_pyarray(py),
        );
        match py.import("scipy.sparse") {
            Ok(sparse) => sparse
                .getattr("csr_matrix")?
                .call1((parts, PyTuple::new(py, [f.shape.0, f.shape.1])?)),
            Err(_) => Ok(PyTuple::new(
                py,
                [parts.0.into_any(), parts.1.into_any(), parts.2.into_any()],
            )?
            .into_any()),
        }
    }

    /// Seconds per pipeline phase (`simulate(..., perf=True)`), else `None`.
    #[getter]
    fn perf<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(perf) = &self.perf else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        for (name, seconds, _) in perf {
            d.set_item(*name, *seconds)?;
        }
        Ok(Some(d))
    }

    /// Write the recording as a directory of `.npy` files + `recording.json` (the
    /// format of `minisim-cli simulate -o DIR`); the directory appears only complete.
    fn save(&mut self, py: Python<'_>, dir: PathBuf) -> PyResult<()> {
        self.with_movie(py, |py, rec| py.detach(|| rec.save(&dir)))?
            .map_err(|e| cache_err(&e))
    }

    /// Load and verify a recording directory (checksums, shapes, spec).
    #[staticmethod]
    fn load(py: Python<'_>, dir: PathBuf) -> PyResult<Self> {
        let rec = py
            .detach(|| Recording::load(&dir))
            .map_err(|e| cache_err(&e))?;
        PyRecording::new(py, rec, None)
    }

    /// The observed movie as an `xarray.DataArray` (dims `frame, height, width`, as
    /// minian loads movies; coordinates in s and µm; the spec and key in `attrs`),
    /// sharing the numpy buffer. Needs xarray.
    fn to_xarray<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("minisim_rs._export")?
            .call_method1("to_xarray", (slf,))
    }

    /// Write an NWB file with pynwb: the counts as a `OnePhotonSeries` (device, optical
    /// channel and imaging plane from the spec), the ground truth as a
    /// `PlaneSegmentation` with ΔF/F `RoiResponseSeries`, the cells' spike times and the
    /// motion path; the spec JSON and cache key in the file's metadata. Needs pynwb.
    fn to_nwb(slf: &Bound<'_, Self>, path: PathBuf) -> PyResult<()> {
        slf.py()
            .import("minisim_rs._export")?
            .call_method1("to_nwb", (slf, path))?;
        Ok(())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let shape = self
            .observed
            .bind(py)
            .cast::<numpy::PyUntypedArray>()
            .map(|a| a.shape().to_vec())
            .unwrap_or_default();
        format!(
            "Recording(observed {:?}, {} cells, key {})",
            shape,
            self.rec.truth.cells.len(),
            &self.rec.cache_key[..16]
        )
    }
}
