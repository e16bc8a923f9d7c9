//! `minisim-cli`: a thin command line over the `minisim` facade.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "minisim-cli {}: commands arrive with issue \"The command line\"; spec model {}",
        env!("CARGO_PKG_VERSION"),
        minisim::MODEL_VERSION
    );
    ExitCode::from(2)
}
