//! Parameter sweeps: the Cartesian product of dotted-path overrides.
//!
//! Invariants: the first axis varies slowest; every path is checked against the base
//! before the first point; an invalid combination is an error for that point only;
//! the base is never mutated; a `SweptSpec` serialises exactly like its `Spec`.

use std::ops::Deref;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Spec;
use crate::error::SpecError;

/// One axis of a sweep: a dotted path and the values it takes, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// Dotted path, e.g. `acquisition.optics.na` or `steps.calcium.decay_ms`.
    pub path: String,
    /// The values, as JSON.
    pub values: Vec<Value>,
}

impl Axis {
    /// An axis from a path and values convertible to JSON.
    pub fn new<V: Into<Value>>(
        path: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Axis {
            path: path.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// A spec produced by a sweep, with the axis values that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct SweptSpec {
    spec: Spec,
    axes: Vec<(String, Value)>,
}

impl SweptSpec {
    /// The axis values of this point, in axis order (empty for an empty sweep).
    pub fn axes(&self) -> &[(String, Value)] {
        &self.axes
    }

    /// The plain spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The plain spec, consuming the point.
    pub fn into_spec(self) -> Spec {
        self.spec
    }
}

impl Deref for SweptSpec {
    type Target = Spec;
    fn deref(&self) -> &Spec {
        &self.spec
    }
}

impl Serialize for SweptSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.spec.serialize(s)
    }
}

/// A lazy sweep: yields each point's spec, or the error of that combination.
#[derive(Debug, Clone)]
pub struct Sweep {
    base: Spec,
    axes: Vec<Axis>,
    next: usize,
    len: usize,
}

/// Check every axis against `base` and return the lazy product.
///
/// ```
/// # use minisim_spec::{sweep, Axis, Spec};
/// let points: Vec<_> = sweep(&Spec::default(), &[
///     Axis::new("acquisition.optics.na", [0.2, 0.4]),
///     Axis::new("seed", [1, 2, 3]),
/// ])?.collect::<Result<_, _>>()?;
/// assert_eq!(points.len(), 6);
/// assert_eq!(points[1].seed(), 2); // the last axis varies fastest
/// # Ok::<(), minisim_spec::SpecError>(())
/// ```
pub fn sweep(base: &Spec, axes: &[Axis]) -> Result<Sweep, SpecError> {
    for axis in axes {
        base.check_path(&axis.path)?;
        if axis.values.is_empty() {
            return Err(SpecError::at(&axis.path, "sweep axis has no values"));
        }
    }
    let len = axes.iter().map(|a| a.values.len()).product();
    Ok(Sweep {
        base: base.clone(),
        axes: axes.to_vec(),
        next: 0,
        len,
    })
}

impl Sweep {
    /// Number of points (1 for no axes).
    pub fn points(&self) -> usize {
        self.len
    }

    /// The point at `index` in product order (first axis slowest).
    pub fn point(&self, index: usize) -> Option<Result<SweptSpec, SpecError>> {
        if index >= self.len {
            return None;
        }
        let mut rest = index;
        let mut choice = vec![0; self.axes.len()];
        for (i, axis) in self.axes.iter().enumerate().rev() {
            choice[i] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        let assignments: Vec<(String, Value)> = self
            .axes
            .iter()
            .zip(&choice)
            .map(|(axis, &c)| (axis.path.clone(), axis.values[c].clone()))
            .collect();
        let result = self
            .base
            .with_overrides(assignments.iter().map(|(p, v)| (p.as_str(), v.clone())))
            .map(|spec| SweptSpec {
                spec,
                axes: assignments.clone(),
            })
            .map_err(|e| point_error(e, &assignments));
        Some(result)
    }
}

fn point_error(error: SpecError, assignments: &[(String, Value)]) -> SpecError {
    let at: Vec<String> = assignments
        .iter()
        .map(|(p, v)| format!("{p}={v}"))
        .collect();
    match error {
        SpecError::Invalid(mut issues) => {
            for issue in &mut issues {
                issue.message = format!("{} (sweep point {})", issue.message, at.join(", "));
            }
            SpecError::Invalid(issues)
        }
        other => other,
    }
}

impl Iterator for Sweep {
    type Item = Result<SweptSpec, SpecError>;
    fn next(&mut self) -> Option<Self::Item> {
        let item = self.point(self.next)?;
        self.next += 1;
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next.min(self.len);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Sweep {}
