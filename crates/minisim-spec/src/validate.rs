//! The validator: collects every broken rule with its JSON path, and every numeric
//! field's physical bounds.
//!
//! Step and acquisition types call these checks from their `validate` methods; the
//! spec runs them all on construction, so no `Spec` value exists that breaks a rule.
//! Every numeric field is checked against a closed or half-open interval with a
//! reason ([`Validator::range`], [`Validator::count`]); the intervals are recorded as
//! [`Bound`]s, which `Spec::bounds` lists for the documentation and the fuzz tests.

use std::fmt;

use crate::error::{Issue, SpecError};

/// The valid interval of one numeric field.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// Dotted JSON path (`steps.calcium.kinetics_cv`; indices as `[0]`).
    pub path: String,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// The lower end itself is excluded.
    pub lo_open: bool,
    /// Values are whole numbers.
    pub integer: bool,
    /// Why these bounds (physics or what the renderer can represent).
    pub reason: &'static str,
}

impl Bound {
    /// True if `value` lies in the interval.
    pub fn contains(&self, value: f64) -> bool {
        value.is_finite()
            && value <= self.hi
            && (value > self.lo || (!self.lo_open && value == self.lo))
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}, {}]",
            if self.lo_open { "(" } else { "[" },
            number(self.lo),
            number(self.hi)
        )
    }
}

/// A number as people write it: `1e6` rather than `1000000`, `0.5` rather than `5e-1`.
fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Collects issues under a path prefix.
#[derive(Debug, Default)]
pub struct Validator {
    prefix: Vec<String>,
    issues: Vec<Issue>,
    bounds: Vec<Bound>,
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

    /// `value` must lie in `[lo, hi]` (or `(lo, hi]` with `lo_open`): the field's
    /// physical bounds, with the reason shown when they are broken.
    pub fn range(&mut self, field: &str, value: f64, lo: f64, hi: f64, reason: &'static str) {
        self.check(field, value, lo, false, hi, false, reason);
    }

    /// `value` must lie in `(lo, hi]`.
    pub fn range_above(&mut self, field: &str, value: f64, lo: f64, hi: f64, reason: &'static str) {
        self.check(field, value, lo, true, hi, false, reason);
    }

    /// A whole number in `[lo, hi]`.
    pub fn count(&mut self, field: &str, value: u64, lo: u64, hi: u64, reason: &'static str) {
        self.check(
            field,
            value as f64,
            lo as f64,
            false,
            hi as f64,
            true,
            reason,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        &mut self,
        field: &str,
        value: f64,
        lo: f64,
        lo_open: bool,
        hi: f64,
        integer: bool,
        reason: &'static str,
    ) {
        let bound = Bound {
            path: self.path(field),
            lo,
            hi,
            lo_open,
            integer,
            reason,
        };
        if !bound.contains(value) {
            let shown = if integer {
                format!("{}", value as u64)
            } else {
                number(value)
            };
            self.fail(
                field,
                format!("must lie in {bound} (got {shown}); {reason}"),
            );
        }
        if !self.bounds.iter().any(|b| b.path == bound.path) {
            self.bounds.push(bound);
        }
    }

    /// Every bound checked so far, in the order checked.
    pub fn bounds(&self) -> &[Bound] {
        &self.bounds
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_report_the_interval_value_and_reason_and_record_the_bound() {
        let mut v = Validator::new();
        v.within("steps.spikes", |v| {
            v.range(
                "rate_sigma",
                10.0,
                0.0,
                3.0,
                "beyond 3 the rates span 8 decades",
            );
            v.range_above("rate_median_hz", 0.0, 0.0, 100.0, "a rate");
            v.range("refractory_ms", f64::NAN, 0.0, 100.0, "a time");
            v.count("count", 7, 0, 100, "ensembles");
        });
        assert_eq!(v.bounds().len(), 4);
        assert!(v.bounds()[1].lo_open && v.bounds()[3].integer);
        let err = v.finish().unwrap_err().to_string();
        assert!(
            err.contains(
                "steps.spikes.rate_sigma: must lie in [0, 3] (got 10); beyond 3 the rates span 8 decades"
            ),
            "{err}"
        );
        assert!(
            err.contains("steps.spikes.rate_median_hz: must lie in (0, 100] (got 0)"),
            "{err}"
        );
        assert!(
            err.contains("refractory_ms: must lie in [0, 100] (got NaN)"),
            "{err}"
        );
        assert!(!err.contains("count"), "{err}");
        assert_eq!(number(1e6), "1e6");
        assert_eq!(number(1e-6), "1e-6");
        assert_eq!(number(0.5), "0.5");
    }
}
