//! Ctrl-C and progress while the GIL is released.
//!
//! The render calls back after every chunk from the thread that called it (the Python
//! thread, GIL released). The callback takes the GIL for a moment: it runs Python's
//! signal handlers (`PyErr_CheckSignals`: a pending SIGINT raises `KeyboardInterrupt`),
//! and on an exception sets the render's cancel flag, so the render stops at its next
//! chunk and removes whatever it was writing; it also advances the tqdm bar.

use std::sync::{Arc, Mutex};

use minisim::{Cancel, Progress};
use pyo3::prelude::*;

/// What one call watches: its cancel flag, the exception that cancelled it, its bar.
pub struct Watch {
    cancel: Cancel,
    raised: Arc<Mutex<Option<PyErr>>>,
    bar: Option<Py<PyAny>>,
}

impl Watch {
    /// A watch; with `progress`, a tqdm bar of `frames` when tqdm is importable
    /// (silent otherwise).
    pub fn new(py: Python<'_>, progress: bool, frames: u64) -> Watch {
        let bar = progress
            .then(|| {
                let tqdm = py.import("tqdm.auto").ok()?;
                let kwargs = pyo3::types::PyDict::new(py);
                kwargs.set_item("total", frames).ok()?;
                kwargs.set_item("unit", "frame").ok()?;
                kwargs.set_item("desc", "minisim").ok()?;
                tqdm.getattr("tqdm")
                    .ok()?
                    .call((), Some(&kwargs))
                    .ok()
                    .map(Bound::unbind)
            })
            .flatten();
        Watch {
            cancel: Cancel::new(),
            raised: Arc::new(Mutex::new(None)),
            bar,
        }
    }

    /// The render's cancel flag.
    pub fn cancel(&self) -> Cancel {
        self.cancel.clone()
    }

    /// The per-chunk callback (frames done so far).
    pub fn callback(&self) -> Progress {
        let cancel = self.cancel.clone();
        let raised = self.raised.clone();
        let bar = self
            .bar
            .as_ref()
            .map(|b| Python::attach(|py| b.clone_ref(py)));
        Progress(Arc::new(move |done| {
            Python::attach(|py| {
                if let Err(e) = py.check_signals() {
                    let mut slot = raised.lock().unwrap_or_else(|p| p.into_inner());
                    slot.get_or_insert(e);
                    cancel.cancel();
                }
                if let Some(bar) = &bar {
                    let bar = bar.bind(py);
                    let _ = bar.setattr("n", done);
                    let _ = bar.call_method0("refresh");
                }
            })
        }))
    }

    /// Close the bar; re-raise the exception (e.g. `KeyboardInterrupt`) that cancelled
    /// the render, if any.
    pub fn finish(self, py: Python<'_>) -> PyResult<()> {
        if let Some(bar) = &self.bar {
            let _ = bar.bind(py).call_method0("close");
        }
        let raised = self.raised.lock().unwrap_or_else(|p| p.into_inner()).take();
        match raised {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
