//! Sweep files and their resolved form.

use std::path::Path;

use minisim_spec::{Axis, Spec, Sweep, sweep};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::SweepError;

/// What may stand as a sweep's base.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Base {
    /// A preset name (`minisim-cli presets`).
    Preset(String),
    /// An inline spec (validated like any spec file).
    Spec(Value),
}

/// A sweep file: `{"base": "<preset>" | {spec…}, "axes": [{"path", "values"}, …]}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The spec every point starts from.
    pub base: Base,
    /// Ordered axes; the first varies slowest.
    #[serde(default)]
    pub axes: Vec<Axis>,
}

/// A resolved sweep: the base as a validated spec and the axes, checked so that every
/// axis path exists. Its JSON form ([`Plan::to_json`]) is what a run directory stores
/// and what [`Plan::key`] hashes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The base spec.
    pub base: Spec,
    /// Ordered axes; the first varies slowest.
    pub axes: Vec<Axis>,
    points: usize,
}

impl Plan {
    /// Resolve a base and axes; every axis path is checked before the first point.
    pub fn new(base: Spec, axes: Vec<Axis>) -> Result<Plan, SweepError> {
        let points = sweep(&base, &axes)?.points();
        Ok(Plan { base, axes, points })
    }

    /// Read and resolve a sweep file; errors name the file.
    pub fn load(path: &Path) -> Result<Plan, SweepError> {
        let text = std::fs::read_to_string(path).map_err(|error| SweepError::Read {
            path: path.to_owned(),
            error,
        })?;
        Plan::parse(&text, path)
    }

    /// Resolve the text of a sweep file (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Plan, SweepError> {
        let file: SweepFile = serde_json::from_str(text).map_err(|e| SweepError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let base = match file.base {
            Base::Preset(name) => Spec::preset(&name),
            Base::Spec(v) => Spec::from_value(v),
        }
        .map_err(|error| SweepError::Base {
            path: path.to_owned(),
            error,
        })?;
        Plan::new(base, file.axes)
    }

    /// Number of points (product of the axes' lengths; 1 without axes).
    pub fn points(&self) -> usize {
        self.points
    }

    /// The points, in sweep order (first axis slowest).
    pub fn sweep(&self) -> Sweep {
        sweep(&self.base, &self.axes).expect("axes were checked when the plan was made")
    }

    /// The sweep file of this plan with the base inlined (pretty JSON, newline-terminated).
    pub fn to_json(&self) -> String {
        let v = json!({ "base": self.base.to_value(), "axes": self.axes });
        let mut s = serde_json::to_string_pretty(&v).expect("JSON values serialise");
        s.push('\n');
        s
    }

    /// blake3 of the base's cache key and the axes' canonical JSON: equal for plans
    /// that give the same points.
    pub fn key(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(self.base.cache_key().as_bytes());
        h.update(b"\n");
        h.update(
            serde_json::to_string(&self.axes)
                .expect("JSON values serialise")
                .as_bytes(),
        );
        h.finalize().to_hex().to_string()
    }
}
