//! Dotted-path overrides: `steps.calcium.decay_ms = 400`.
//!
//! Paths address the canonical JSON of a spec: `seed`, `acquisition.optics.na`,
//! `acquisition.fov_px.0` (array element), `steps.<kind>.<field>` and deeper for nested
//! models (`steps.spikes.ensembles.count`). Every override re-runs the validator.

use serde_json::Value;

use crate::Spec;
use crate::error::SpecError;
use crate::spec::type_name;
use crate::steps::StepKind;

/// Split `a.b[1].c` into `["a", "b", "1", "c"]`.
fn segments(path: &str) -> Result<Vec<String>, SpecError> {
    let bad = || SpecError::at(path, "is not a dotted path like `steps.calcium.decay_ms`");
    if path.trim().is_empty() {
        return Err(SpecError::at(
            "(empty path)",
            "a path names a field, like `steps.calcium.decay_ms`",
        ));
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() && rest.is_empty() {
            return Err(bad());
        }
        if !name.is_empty() {
            out.push(name.to_owned());
        }
        let mut rest = rest;
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            if !rest.starts_with('[') {
                return Err(bad());
            }
            out.push(rest[1..close].to_owned());
            rest = &rest[close + 1..];
        }
    }
    Ok(out)
}

/// Find the value at `path` inside a spec's canonical JSON.
pub(crate) fn resolve_mut<'a>(root: &'a mut Value, path: &str) -> Result<&'a mut Value, SpecError> {
    let segs = segments(path)?;
    let mut node = root;
    let mut walked = String::new();
    let mut i = 0;
    while i < segs.len() {
        let seg = &segs[i];
        let here = if walked.is_empty() {
            seg.clone()
        } else {
            format!("{walked}.{seg}")
        };
        // `steps.<kind>` addresses the step of that kind.
        if walked == "steps" {
            let kind: StepKind = seg
                .parse()
                .map_err(|e: crate::steps::UnknownKind| SpecError::at(&here, e.to_string()))?;
            let steps = node.as_array_mut().expect("canonical steps are an array");
            node = steps
                .iter_mut()
                .find(|s| s.get("kind").and_then(Value::as_str) == Some(kind.name()))
                .ok_or_else(|| {
                    SpecError::at(
                        &here,
                        format!("this spec has no `{kind}` step, so its fields cannot be set"),
                    )
                })?;
            walked = here;
            i += 1;
            continue;
        }
        node = match node {
            Value::Object(map) => {
                if !map.contains_key(seg.as_str())
                    || (walked.starts_with("steps.") && seg == "kind")
                {
                    let mut keys: Vec<&str> = map
                        .keys()
                        .map(String::as_str)
                        .filter(|k| *k != "kind")
                        .collect();
                    keys.sort_unstable();
                    return Err(SpecError::at(
                        &here,
                        format!(
                            "unknown field `{seg}`; expected one of `{}`",
                            keys.join("`, `")
                        ),
                    ));
                }
                map.get_mut(seg.as_str()).expect("checked above")
            }
            Value::Array(items) => {
                let len = items.len();
                let index: usize = seg.parse().map_err(|_| {
                    SpecError::at(
                        &here,
                        format!("`{walked}` is an array; expected an index in 0..{len}"),
                    )
                })?;
                items.get_mut(index).ok_or_else(|| {
                    SpecError::at(
                        &here,
                        format!("index {index} is out of range for `{walked}` (length {len})"),
                    )
                })?
            }
            other => {
                let what = if walked.is_empty() {
                    "(root)".to_owned()
                } else {
                    format!("`{walked}`")
                };
                return Err(SpecError::at(
                    &here,
                    format!(
                        "{what} is {}; cannot descend into `{seg}`",
                        type_name(other)
                    ),
                ));
            }
        };
        walked = here;
        i += 1;
    }
    Ok(node)
}

impl Spec {
    /// Check that `path` names a field of this spec, without changing anything.
    pub fn check_path(&self, path: &str) -> Result<(), SpecError> {
        let mut value = self.to_value();
        resolve_mut(&mut value, path).map(|_| ())
    }

    /// The value at `path` in the canonical JSON.
    pub fn get_path(&self, path: &str) -> Result<Value, SpecError> {
        let mut value = self.to_value();
        resolve_mut(&mut value, path).map(|v| v.clone())
    }

    /// A new spec with the field at `path` set to `value`, validated like any spec.
    /// `self` is unchanged.
    ///
    /// ```
    /// # use minisim_spec::Spec;
    /// let spec = Spec::default().with_override("steps.calcium.decay_ms", serde_json::json!(400))?;
    /// assert_eq!(spec.calcium().unwrap().decay_ms, Some(400.0));
    /// # Ok::<(), minisim_spec::SpecError>(())
    /// ```
    pub fn with_override(&self, path: &str, value: Value) -> Result<Spec, SpecError> {
        self.with_overrides([(path, value)])
    }

    /// Apply several overrides in order, validating once at the end.
    pub fn with_overrides<'p>(
        &self,
        overrides: impl IntoIterator<Item = (&'p str, Value)>,
    ) -> Result<Spec, SpecError> {
        let mut root = self.to_value();
        for (path, value) in overrides {
            *resolve_mut(&mut root, path)? = value;
        }
        Spec::from_value(root)
    }

    /// Parse `PATH=VALUE` (VALUE as JSON, or a bare string) and apply it, as the CLI's
    /// `--set` does.
    pub fn with_assignment(&self, assignment: &str) -> Result<Spec, SpecError> {
        let (path, value) = parse_assignment(assignment)?;
        self.with_override(&path, value)
    }
}

/// Split `PATH=VALUE`; VALUE is JSON if it parses as JSON, else a string.
pub fn parse_assignment(assignment: &str) -> Result<(String, Value), SpecError> {
    let (path, raw) = assignment.split_once('=').ok_or_else(|| {
        SpecError::at(
            assignment,
            "expected PATH=VALUE, like `steps.calcium.decay_ms=400`",
        )
    })?;
    let raw = raw.trim();
    let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
    Ok((path.trim().to_owned(), value))
}
