//! Writing rows as CSV or JSON lines.

use std::io::Write;
use std::path::Path;

use minisim_spec::Axis;
use serde_json::Value;

use crate::{Row, SweepError, columns};

/// A rows file format, chosen by the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`: a header of [`columns`], empty cells for `null`.
    Csv,
    /// `.jsonl` (or `.json`): one JSON object per line.
    Jsonl,
}

impl Format {
    /// The format `path`'s extension selects (checked before any work starts).
    pub fn of(path: &Path) -> Result<Format, SweepError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "json" => Ok(Format::Jsonl),
            _ => Err(SweepError::OutputExtension {
                path: path.to_owned(),
                extension: ext,
            }),
        }
    }
}

/// Serialise rows.
fn encode(rows: &[Row], axes: &[Axis], format: Format) -> Vec<u8> {
    let mut buf = Vec::new();
    match format {
        Format::Csv => {
            let cols = columns(axes);
            let mut w = csv::Writer::from_writer(&mut buf);
            let cell = |v: Option<&Value>| match v {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            };
            w.write_record(&cols).expect("writing to memory");
            for r in rows {
                w.write_record(cols.iter().map(|c| cell(r.get(c))))
                    .expect("writing to memory");
            }
            w.flush().expect("writing to memory");
        }
        Format::Jsonl => {
            for r in rows {
                buf.extend(serde_json::to_vec(r).expect("rows serialise"));
                buf.push(b'\n');
            }
        }
    }
    buf
}

/// Write rows to `out` (CSV or JSON lines by its extension; written whole to a hidden
/// temporary sibling, then renamed, so a reader never sees half a file), or as JSON
/// lines to stdout when `out` is `None`.
pub fn write_rows(rows: &[Row], axes: &[Axis], out: Option<&Path>) -> Result<(), SweepError> {
    match out {
        None => {
            let buf = encode(rows, axes, Format::Jsonl);
            std::io::stdout()
                .write_all(&buf)
                .map_err(|e| SweepError::io("<stdout>", e))
        }
        Some(path) => {
            let buf = encode(rows, axes, Format::of(path)?);
            minisim_io::atomic::write(path, &buf).map_err(|e| SweepError::io(path, e))
        }
    }
}
