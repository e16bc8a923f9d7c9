//! The validator: collects every broken rule with its JSON path.
//!
//! Step and acquisition types call these checks from their `validate` methods; the
//! spec runs them all on construction, so no `Spec` value exists that breaks a rule.

use crate::error::{Issue, SpecError};

/// Collects issues under a path prefix.
#[derive(Debug, Default)]
pub struct Validator {
    prefix: Vec<String>,
    issues: Vec<Issue>,
}

impl Validator {
    /// An empty validator at the root.
    pub fn new() -> Self {
        Self::default()
    }

    /// Run `f` with `segment` appended to the path prefix.
    pub fn within(&mut self, segment: &str, f: impl FnOnce(&mut Validator)) {
        self.prefix.push(segment.to_owned());
        f(self);
        self.prefix.pop();
    }

    fn path(&self, field: &str) -> String {
        let mut parts: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        if !field.is_empty() {
            parts.push(field);
        }
        parts.join(".")
    }

    /// Record an issue at `field` under the current prefix.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.issues.push(Issue::new(path, message));
    }

    /// `value` must be finite and > 0.
    pub fn positive(&mut self, field: &str, value: f64) {
        if !(value.is_finite() && value > 0.0) {
            self.fail(field, format!("must be a positive number (got {value})"));
        }
    }

    /// `value` must be finite and >= 0.
    pub fn non_negative(&mut self, field: &str, value: f64) {
        if !(value.is_finite() && value >= 0.0) {
            self.fail(field, format!("must be zero or positive (got {value})"));
        }
    }

    /// `value` must lie in [0, 1].
    pub fn fraction(&mut self, field: &str, value: f64) {
        if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
            self.fail(field, format!("must be a fraction in [0, 1] (got {value})"));
        }
    }

    /// `value` must be finite and lie in the open interval (lo, hi).
    pub fn open_range(&mut self, field: &str, value: f64, lo: f64, hi: f64) {
        if !(value.is_finite() && value > lo && value < hi) {
            self.fail(
                field,
                format!("must lie strictly between {lo} and {hi} (got {value})"),
            );
        }
    }

    /// `value` must be >= 1.
    pub fn at_least_one(&mut self, field: &str, value: u64) {
        if value < 1 {
            self.fail(field, format!("must be at least 1 (got {value})"));
        }
    }

    /// Finish: `Ok` if no rule was broken.
    pub fn finish(self) -> Result<(), SpecError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(SpecError::Invalid(self.issues))
        }
    }
}
