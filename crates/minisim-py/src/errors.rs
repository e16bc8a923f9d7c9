//! minisim's errors as Python exceptions.

use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

create_exception!(
    minisim_rs,
    SpecError,
    PyValueError,
    "A spec, override or sweep axis is invalid: `.path` is the JSON path of the first issue, `.issues` every (path, message)."
);
create_exception!(
    minisim_rs,
    RenderError,
    PyRuntimeError,
    "A render could not start or run (e.g. `until` names a stage the spec lacks, or the render does not fit in memory)."
);
create_exception!(
    minisim_rs,
    CacheError,
    PyOSError,
    "Saving, loading or caching a recording failed; the message names the entry and file."
);
create_exception!(
    minisim_rs,
    VideoError,
    PyOSError,
    "Writing a video or stack failed, or its options are invalid; the message names the file."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SpecError", py.get_type::<SpecError>())?;
    m.add("RenderError", py.get_type::<RenderError>())?;
    m.add("CacheError", py.get_type::<CacheError>())?;
    m.add("VideoError", py.get_type::<VideoError>())?;
    Ok(())
}

/// A `SpecError` carrying `.path` (first issue's JSON path; `""` for a syntax error)
/// and `.issues` (a list of `(path, message)`).
pub fn spec_err(py: Python<'_>, e: &minisim::SpecError) -> PyErr {
    let err = SpecError::new_err(e.to_string());
    let issues: Vec<(String, String)> = e
        .issues()
        .iter()
        .map(|i| (i.path.clone(), i.message.clone()))
        .collect();
    let value = err.value(py);
    let path = issues.first().map(|i| i.0.clone()).unwrap_or_default();
    let _ = value.setattr("path", path);
    if let Ok(list) = PyList::new(py, issues) {
        let _ = value.setattr("issues", list);
    }
    err
}

pub fn render_err(e: &minisim::RenderError) -> PyErr {
    RenderError::new_err(e.to_string())
}

pub fn cache_err(e: &minisim::CacheError) -> PyErr {
    CacheError::new_err(e.to_string())
}

pub fn video_err(e: &minisim::VideoError) -> PyErr {
    VideoError::new_err(e.to_string())
}
