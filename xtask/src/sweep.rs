//! `cargo xtask sweep`: a thin alias of `minisim-cli sweep SWEEP.json [--out] [--shard]
//! [--jobs] [--cache]` over the library's runner (`minisim::sweeps`), kept so the design
//! card's command holds. Run directories, Slurm and gather are `minisim-cli sweep`'s.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use minisim::sweeps::{Format, Plan, PointEvent, RunOptions, Shard, run, write_rows};

/// Run the points of `shard` (all when `None`) with `jobs` at once and write their rows.
pub fn task(
    file: &Path,
    out: Option<&PathBuf>,
    shard: Option<Shard>,
    jobs: usize,
    cache: Option<&Path>,
    progress: bool,
) -> anyhow::Result<()> {
    if let Some(out) = out {
        Format::of(out)?;
    }
    let plan = Plan::load(file)?;
    let shard = shard.unwrap_or(Shard::ALL);
    let bar = if progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let b = ProgressBar::new(shard.indices(plan.points()).count() as u64);
        b.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} points ({eta})")
                .expect("template"),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let on_point = |_: &PointEvent| bar.inc(1);
    let rows = run(
        &plan,
        &RunOptions {
            shard,
            jobs,
            cache,
            on_point: Some(&on_point),
        },
    )?;
    bar.finish_and_clear();
    write_rows(&rows, &plan.axes, out.map(PathBuf::as_path))?;
    let failed = rows.iter().filter(|r| r.contains_key("error")).count();
    let hits = rows
        .iter()
        .filter(|r| r.get("cached") == Some(&serde_json::Value::Bool(true)))
        .count();
    eprintln!(
        "{} points: {} from the cache, {} simulated, {} failed",
        rows.len(),
        hits,
        rows.len() - hits - failed,
        failed
    );
    if failed > 0 {
        anyhow::bail!("{failed} points failed; see the `error` column");
    }
    Ok(())
}
