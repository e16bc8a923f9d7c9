//! Values between Python and JSON / numpy.

use minisim::TruthArray;
use numpy::IntoPyArray;
use pyo3::prelude::*;

/// A Python value as JSON (through the `json` module, so it accepts what `json.dumps`
/// accepts, numpy scalars excepted).
pub fn json_value(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let text: String = py.import("json")?.call_method1("dumps", (v,))?.extract()?;
    serde_json::from_str(&text)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("not JSON: {e}")))
}

/// JSON text as a Python value.
pub fn py_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// A ground-truth array as a numpy array (copied: the truth stays with the recording).
pub fn truth_array<'py>(py: Python<'py>, a: TruthArray<'_>) -> Bound<'py, PyAny> {
    match a {
        TruthArray::Bool(a) => a.into_owned().into_pyarray(py).into_any(),
        TruthArray::U16(a) => a.into_owned().into_pyarray(py).into_any(),
        TruthArray::U32(a) => a.into_owned().into_pyarray(py).into_any(),
        TruthArray::I32(a) => a.into_owned().into_pyarray(py).into_any(),
        TruthArray::I64(a) => a.into_owned().into_pyarray(py).into_any(),
        TruthArray::F32(a) => a.into_owned().into_pyarray(py).into_any(),
        TruthArray::F64(a) => a.into_owned().into_pyarray(py).into_any(),
    }
}
