//! Where a command's spec comes from: a file, a preset, or the built-in default, then
//! `--set PATH=VALUE` overrides (the same dotted paths as sweeps).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use minisim::Spec;

use crate::failure::usage;

/// The spec arguments shared by every command that renders.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Spec file (JSON); the built-in default when omitted.
    pub spec: Option<PathBuf>,
    /// Start from a named preset instead of a file (see `presets list`).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Override one field, e.g. --set steps.calcium.decay_ms=400 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

impl SpecArgs {
    /// Load, validate and override.
    pub fn load(&self) -> anyhow::Result<Spec> {
        let mut spec = match (&self.spec, &self.preset) {
            (Some(_), Some(_)) => {
                return Err(usage(
                    "give a spec file or --preset, not both",
                    "put the preset's fields in your file with `minisim-cli presets show NAME`",
                ));
            }
            (Some(path), None) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    usage(
                        format!("{}: cannot read spec: {e}", path.display()),
                        "check the path, or omit it to use the built-in default",
                    )
                })?;
                Spec::from_json(&text).with_context(|| path.display().to_string())?
            }
            (None, Some(name)) => Spec::preset(name).map_err(|e| {
                let message = match e.issues().first() {
                    // SCOPE+REGION: say which half is unknown or what conflicts.
                    Some(issue) if name.contains('+') => {
                        format!("--preset {name}: {}", issue.message)
                    }
                    _ => format!(
                        "--preset {name}: unknown preset; available: {}",
                        minisim::preset_names()
                    ),
                };
                usage(message, "`minisim-cli presets list` describes them")
            })?,
            (None, None) => Spec::default(),
        };
        for assignment in &self.set {
            spec = spec
                .with_assignment(assignment)
                .with_context(|| format!("--set {assignment}"))?;
        }
        Ok(spec)
    }

    /// Where the spec came from, for captions: `preset NAME`, the file name, or
    /// `default spec`, with the number of overrides.
    pub fn describe(&self) -> String {
        let base = match (&self.spec, &self.preset) {
            (Some(path), _) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            (None, Some(name)) => format!("preset {name}"),
            (None, None) => "default spec".to_owned(),
        };
        match self.set.len() {
            0 => base,
            n => format!("{base} + {n} override(s)"),
        }
    }
}

/// Set the size of rayon's global pool.
pub fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            return Err(usage(
                "--threads must be at least 1",
                "omit --threads to use every core",
            ));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting up the thread pool")?;
    }
    Ok(())
}
