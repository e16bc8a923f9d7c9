//! `Spec`: a validated recording spec.

use minisim::Spec;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{json_value, py_json};
use crate::errors::spec_err;

/// A recording spec (JSON: seed, acquisition, optics, steps, output), validated on
/// construction: every `Spec` renders. `Spec()` is the built-in default
/// (256×256 px, 20 Hz, 1000 frames, every step).
#[pyclass(name = "Spec", module = "minisim_rs", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PySpec {
    pub inner: Spec,
}

#[pymethods]
impl PySpec {
    #[new]
    fn new() -> Self {
        PySpec {
            inner: Spec::default(),
        }
    }

    /// Parse and validate spec JSON text; `SpecError` names the JSON path.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Spec::from_json(text)
            .map(|inner| PySpec { inner })
            .map_err(|e| spec_err(py, &e))
    }

    /// Validate a spec given as a dict (as `json.loads` would give).
    #[staticmethod]
    fn from_dict(py: Python<'_>, spec: &Bound<'_, PyDict>) -> PyResult<Self> {
        let value = json_value(py, spec.as_any())?;
        Spec::from_value(value)
            .map(|inner| PySpec { inner })
            .map_err(|e| spec_err(py, &e))
    }

    /// Translate a spec of the Python minisim (py-minisim 1.0.x: JSON text or a dict
    /// as `Spec.model_dump()` gives) into a minisim spec. Returns the spec and one
    /// `(path, reason)` pair per py-minisim field that is not (or not exactly) carried
    /// over; docs/py-minisim.md has the mapping.
    #[staticmethod]
    fn from_py_minisim(
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
    ) -> PyResult<(Self, Vec<(String, String)>)> {
        let text = match spec.extract::<String>() {
            Ok(text) => text,
            Err(_) => json_value(py, spec)?.to_string(),
        };
        let imported = Spec::from_py_minisim_json(&text).map_err(|e| spec_err(py, &e))?;
        Ok((
            PySpec {
                inner: imported.spec,
            },
            imported
                .unmapped
                .into_iter()
                .map(|u| (u.path, u.reason))
                .collect(),
        ))
    }

    /// A built-in preset: a hardware preset (`"ucla-v4"`, `"nvista3"`, …) or
    /// `"SCOPE+REGION"` (`"miniscope-v4+ca1"`).
    #[staticmethod]
    fn preset(py: Python<'_>, name: &str) -> PyResult<Self> {
        Spec::preset(name)
            .map(|inner| PySpec { inner })
            .map_err(|e| spec_err(py, &e))
    }

    /// Names of the built-in presets.
    #[staticmethod]
    fn presets() -> Vec<String> {
        minisim::PRESETS.iter().map(|p| p.name.to_owned()).collect()
    }

    /// A copy with fields changed by dotted path, e.g.
    /// `{"steps.calcium.decay_ms": 400, "acquisition.fov_px": [64, 64]}`; validated again.
    fn with_overrides(&self, py: Python<'_>, overrides: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut pairs = Vec::new();
        for (k, v) in overrides.iter() {
            pairs.push((k.extract::<String>()?, json_value(py, &v)?));
        }
        self.inner
            .with_overrides(pairs.iter().map(|(k, v)| (k.as_str(), v.clone())))
            .map(|inner| PySpec { inner })
            .map_err(|e| spec_err(py, &e))
    }

    /// blake3 key of the canonical JSON and MODEL_VERSION (hex): equal specs, equal keys.
    #[getter]
    fn cache_key(&self) -> String {
        self.inner.cache_key()
    }

    /// Frames, `[height, width]` px and frame rate (Hz) of the acquisition.
    #[getter]
    fn frames(&self) -> u64 {
        self.inner.acquisition().frames
    }

    #[getter]
    fn fov_px(&self) -> (u32, u32) {
        let f = self.inner.acquisition().fov_px;
        (f[0], f[1])
    }

    #[getter]
    fn frame_rate_hz(&self) -> f64 {
        self.inner.acquisition().frame_rate_hz
    }

    /// Pixel size of the observed frames, µm (the export's when it resamples).
    #[getter]
    fn observed_pixel_um(&self) -> f64 {
        self.inner.observed_pixel_um()
    }

    /// The canonical JSON (sorted keys, every default filled in), pretty-printed.
    fn to_json(&self) -> String {
        self.inner.to_json_pretty()
    }

    /// The canonical JSON as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_json(py, &self.inner.canonical_json())
    }

    fn __repr__(&self) -> String {
        let a = self.inner.acquisition();
        format!(
            "Spec({} frames of {}×{} px at {} Hz, key {})",
            a.frames,
            a.fov_px[0],
            a.fov_px[1],
            a.frame_rate_hz,
            &self.inner.cache_key()[..16]
        )
    }
}
