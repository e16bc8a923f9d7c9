//! `minisim-cli`: a thin command line over the `minisim` facade.
//!
//! Commands: `render` (stream a spec to a video or stack), `simulate` (write a
//! recording directory), `validate`, `presets`, `cache`, `preview`, `score` and
//! `export-rois` (extraction results against the ground truth), `report` (one HTML page
//! about a recording), `import` (py-minisim
//! specs), `sweep` (sweeps locally, in run directories or as Slurm job arrays; `sweep
//! gather`), `calibrate` (a spec fitted to a real movie) and `compare` (two movies'
//! statistics side by side). Errors print one
//! line plus a hint; exit code 2 for usage and input errors, 1 for runtime failures.

mod calibrate_cmd;
mod calibrate_fig;
mod commands;
mod failure;
mod preview;
mod report;
mod score_cmd;
mod spec_input;
mod sweep_cmd;

use std::process::ExitCode;

use clap::Parser;

use commands::Command;

#[derive(Debug, Parser)]
#[command(
    name = "minisim-cli",
    version,
    about = "Simulate one-photon miniscope calcium-imaging recordings with complete ground truth",
    after_help = "Examples:\n  minisim-cli render -o demo.avi\n  minisim-cli render spec.json -o movie.tif --set steps.digitize.bit_depth=12\n  minisim-cli simulate --preset quick -o rec/\n  minisim-cli validate spec.json\n  minisim-cli score rec/ --footprints A.npy --traces C.npy --json scores.json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// On SIGINT or SIGTERM: remove the partial outputs being written (hidden temporary
/// siblings), say so on one line, and exit 130 or 143 (128 + the signal).
fn remove_partial_outputs_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let removed = minisim_io::atomic::remove_live_temps();
            let name = if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            eprintln!(
                "\ninterrupted by {name}: removed {} partial output(s)",
                removed.len()
            );
            std::process::exit(128 + signal);
        }
    });
}

fn main() -> ExitCode {
    remove_partial_outputs_on_signals();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let (code, hint) = failure::classify(&e);
            eprintln!("error: {e:#}");
            if let Some(hint) = hint {
                eprintln!("       hint: {hint}");
            }
            ExitCode::from(code)
        }
    }
}
