//! `calibrate` (a spec fitted to a real movie, with a report) and `compare` (two
//! movies' statistics side by side within derived tolerances).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use minisim::calibration::{Calibration, Options, calibrate, compare};
use minisim::read;

use crate::commands::{check_output_file, frame_bar};
use crate::failure::usage;
use crate::score_cmd::write_atomic;

/// What a movie does not say about itself.
#[derive(Debug, Args)]
pub struct MovieArgs {
    /// Pixel size in the focal plane, µm (when the file does not carry it).
    #[arg(long)]
    pixel_um: Option<f64>,
    /// Frame rate, Hz (when the file does not carry it).
    #[arg(long)]
    fps: Option<f64>,
    /// Scope preset (a preset name or SCOPE+REGION): the base of the fitted spec and
    /// the values of what a movie cannot identify (leakage electrons, and black level
    /// and read noise when the frame has no unlit pixels).
    #[arg(long)]
    scope: Option<String>,
    /// Read at most this many frames.
    #[arg(long)]
    frames: Option<usize>,
    /// No progress bar (it is shown only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The movie: .avi (uncompressed gray; FFV1 .mkv/.avi with the ffmpeg feature),
    /// .tif/.tiff, .npy or .isxd.
    movie: PathBuf,
    #[command(flatten)]
    movie_args: MovieArgs,
    /// The fitted spec (JSON).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// The report (Markdown; `.json` for JSON).
    #[arg(long)]
    report: Option<PathBuf>,
    /// A figure of the movie's statistics (PNG or SVG).
    #[arg(long)]
    figure: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The real movie.
    real: PathBuf,
    /// The simulated movie.
    sim: PathBuf,
    #[command(flatten)]
    movie_args: MovieArgs,
    /// Print the comparison as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// A figure of both movies side by side (PNG or SVG).
    #[arg(long)]
    figure: Option<PathBuf>,
}

fn check_value(name: &str, v: Option<f64>) -> anyhow::Result<()> {
    if let Some(v) = v
        && !(v.is_finite() && v > 0.0)
    {
        return Err(usage(
            format!("--{name} {v}: must be a positive number"),
            format!("pass the {name} of the recording"),
        ));
    }
    Ok(())
}

/// Open and calibrate one movie with a progress bar.
fn run(path: &Path, a: &MovieArgs) -> anyhow::Result<Calibration> {
    check_value("pixel-um", a.pixel_um)?;
    check_value("fps", a.fps)?;
    // An unreadable input movie is an input error (exit 2), like an unreadable spec.
    let mut reader = read::open(path).map_err(minisim::CalibrateError::Read)?;
    let frames = a
        .frames
        .map_or(reader.info().frames, |f| f.min(reader.info().frames));
    let bar = frame_bar(frames as u64, !a.no_progress);
    let mut progress = |done: usize, _: usize| bar.set_position(done as u64);
    let cal = calibrate(
        reader.as_mut(),
        Options {
            pixel_um: a.pixel_um,
            frame_rate_hz: a.fps,
            scope: a.scope.clone(),
            max_frames: a.frames,
            progress: Some(&mut progress),
        },
    )
    .with_context(|| format!("calibrating {}", path.display()))?;
    bar.finish_and_clear();
    Ok(cal)
}

pub fn calibrate_cmd(a: CalibrateArgs) -> anyhow::Result<()> {
    check_output_file(&a.output, &["json"], "calibrate")?;
    if let Some(r) = &a.report {
        check_output_file(r, &["md", "json"], "--report")?;
    }
    if let Some(f) = &a.figure {
        check_output_file(f, &["png", "svg"], "--figure")?;
    }
    let cal = run(&a.movie, &a.movie_args)?;
    if cal.exported() && cal.base.export().is_some() {
        eprintln!(
            "fitting the spec: the movie is a vendor export ({}'s); four pilot renders for the sensor gain, then the brightness…",
            cal.base_name
        );
    } else {
        eprintln!("fitting the spec (pilot renders for the brightness)…");
    }
    let spec = cal.spec()?;
    let name = a.movie.display().to_string();
    write_atomic(&a.output, &(spec.to_json_pretty() + "\n"))?;
    if let Some(r) = &a.report {
        let text = if r.extension().is_some_and(|e| e == "json") {
            serde_json::to_string_pretty(&cal.json())? + "\n"
        } else {
            cal.markdown(&name)
        };
        write_atomic(r, &text)?;
    }
    if let Some(f) = &a.figure {
        crate::calibrate_fig::write(&[(&name, &cal)], f)?;
    }
    eprint!("{}", cal.markdown(&name));
    eprintln!(
        "wrote {} (key {})",
        a.output.display(),
        &spec.cache_key()[..16]
    );
    Ok(())
}

pub fn compare_cmd(a: CompareArgs) -> anyhow::Result<()> {
    if let Some(f) = &a.figure {
        check_output_file(f, &["png", "svg"], "--figure")?;
    }
    let real = run(&a.real, &a.movie_args)?;
    let sim = run(&a.sim, &a.movie_args)?;
    let rows = compare::compare(&real.profile(), &sim.profile());
    let (rn, sn) = (a.real.display().to_string(), a.sim.display().to_string());
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "real": rn,
                "sim": sn,
                "rows": rows,
                "inside": rows.iter().filter(|r| r.inside).count(),
                "compared": rows.iter().filter(|r| r.compared).count(),
                "total": rows.len(),
            }))?
        );
    } else {
        print!("{}", compare::markdown(&rows, &rn, &sn));
    }
    if let Some(f) = &a.figure {
        crate::calibrate_fig::write(&[(&rn, &real), (&sn, &sim)], f)?;
    }
    Ok(())
}
