//! `cargo xtask`: developer automation (sweep, bench) for minisim.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("cargo xtask: no tasks yet (sweep and bench arrive with their issues)");
    ExitCode::from(2)
}
