//! Shared by the command-line tests: run the built binary in a directory.

use std::path::Path;
use std::process::{Command, Output};

/// `minisim-cli ARGS` with `dir` as the working directory (its output captured).
pub fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}
