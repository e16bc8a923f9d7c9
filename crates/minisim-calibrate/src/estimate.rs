//! One estimated quantity with its uncertainty and how far to trust it.

use serde::Serialize;

/// How an estimate was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Measured from the movie; `sd` is its standard error where known.
    Measured,
    /// The movie bounds it only; `value` is the bound, the note says which side.
    Bound,
    /// Not identifiable from this movie; `value` comes from a flag or the scope preset.
    Prior,
}

/// An estimate: value, standard error (where known), quality, and a note saying how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// The value, in the unit the field's name states.
    pub value: f64,
    /// Standard error, same unit.
    pub sd: Option<f64>,
    /// How it was obtained.
    pub quality: Quality,
    /// Method and caveats, one sentence.
    pub note: String,
}

impl Estimate {
    /// A measured value with its standard error.
    pub fn measured(value: f64, sd: Option<f64>, note: impl Into<String>) -> Estimate {
        Estimate {
            value,
            sd,
            quality: Quality::Measured,
            note: note.into(),
        }
    }

    /// A bound.
    pub fn bound(value: f64, note: impl Into<String>) -> Estimate {
        Estimate {
            value,
            sd: None,
            quality: Quality::Bound,
            note: note.into(),
        }
    }

    /// A value from a flag or the scope preset.
    pub fn prior(value: f64, note: impl Into<String>) -> Estimate {
        Estimate {
            value,
            sd: None,
            quality: Quality::Prior,
            note: note.into(),
        }
    }
}
