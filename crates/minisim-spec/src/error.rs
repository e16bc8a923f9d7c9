//! Errors of the spec crate: every problem names the JSON path it is about.

use std::fmt;

/// One problem found in a spec, at one JSON path (`steps.calcium.decay_ms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Dotted JSON path of the offending value; `(root)` for the whole document.
    pub path: String,
    /// What rule is broken, with the value seen.
    pub message: String,
}

impl Issue {
    /// An issue at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        let path = path.into();
        Issue {
            path: if path.is_empty() {
                "(root)".to_owned()
            } else {
                path
            },
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a spec could not be built, parsed or overridden.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The text is not JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// The JSON is well formed but breaks one or more rules; each issue names its path.
    #[error("{}", display_issues(.0))]
    Invalid(Vec<Issue>),
}

fn display_issues(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(Issue::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl SpecError {
    /// A single-issue error.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        SpecError::Invalid(vec![Issue::new(path, message)])
    }

    /// The issues, empty for a syntax error.
    pub fn issues(&self) -> &[Issue] {
        match self {
            SpecError::Syntax { .. } => &[],
            SpecError::Invalid(issues) => issues,
        }
    }
}
