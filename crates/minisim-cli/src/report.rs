//! `report`: one self-contained HTML page about a recording — the preview figure, a
//! strip of frames, cell counts and the detectability histogram, the photon budget, the
//! realism statistics beside the ranges of real recordings, the per-phase timing and
//! the spec with its cache key. Figures are embedded as `data:` PNGs; the page has no
//! scripts and no external references, so it opens from disk, offline, and prints.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use base64::Engine as _;
use clap::Args;
use minisim::{DETECTABLE_SNR, Movie, PerfTracker, Phase, Recording};
use ndarray::{Array2, Array3, Axis};
use plotters::prelude::*;

use crate::commands::{FigureRender, check_output_file};
use crate::preview::{self, Outlines, bold, err, font};
use crate::spec_input::SpecArgs;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A recording directory (`minisim-cli simulate -o DIR`, or a cache entry), or a
    /// spec file to render; with neither, --preset or the built-in default.
    #[command(flatten)]
    spec: SpecArgs,
    /// Output page (.html).
    #[arg(short, long, value_name = "HTML")]
    output: PathBuf,
    /// Which cells get outlines in the preview.
    #[arg(long, value_enum, default_value = "detectable")]
    outlines: Outlines,
    #[command(flatten)]
    render: FigureRender,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn data_png(bytes: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Eight frames spread over the recording, each a small grey PNG on one display range.
fn frame_strip(movie: &Array3<f32>, fps: f64) -> anyhow::Result<Vec<(f64, Vec<u8>)>> {
    let (t, h, w) = movie.dim();
    let n = t.min(8);
    let picks: Vec<usize> = (0..n).map(|k| k * (t - 1) / (n - 1).max(1)).collect();
    let sample = ndarray::stack(
        Axis(0),
        &picks
            .iter()
            .map(|&i| movie.index_axis(Axis(0), i))
            .collect::<Vec<_>>(),
    )?;
    let flat = sample
        .to_shape((n * h, w))
        .context("frame strip shape")?
        .to_owned();
    let range = preview::display_range(&flat);
    let dw = 160u32;
    let dh = ((dw as f64 * h as f64 / w as f64).round() as u32).clamp(1, 320);
    picks
        .iter()
        .map(|&i| {
            let frame: Array2<f32> = movie.index_axis(Axis(0), i).to_owned();
            let rgb = preview::grey_bitmap(&frame, (dw, dh), range);
            Ok((i as f64 / fps, preview::png(dw, dh, rgb)?))
        })
        .collect()
}

/// Histogram of the cells' expected peak SNR (log10 bins), the threshold marked.
fn snr_histogram(rec: &Recording) -> anyhow::Result<Vec<u8>> {
    preview::register_fonts();
    let cells = &rec.truth.cells;
    let snr: Vec<f64> = (0..cells.len())
        .filter(|&c| cells.in_fov[c])
        .map(|c| cells.peak_snr[c].max(1e-2).log10())
        .filter(|v| v.is_finite())
        .collect();
    let (lo, hi) = (-1.0f64, 2.5f64);
    let bins = 28usize;
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u32; bins];
    for v in &snr {
        let b = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let (w, h) = (640u32, 300u32);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err_any)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Expected peak SNR of the cells in the FOV", bold(16))
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi, 0f64..top)
            .map_err(err_any)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("peak SNR (log scale)")
            .y_desc("cells")
            .x_label_formatter(&|v| sig2(10f64.powf(*v)))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .draw()
            .map_err(err_any)?;
        let threshold = DETECTABLE_SNR.log10();
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                let x0 = lo + i as f64 * width;
                let color = if x0 + width / 2.0 >= threshold {
                    RGBColor(40, 150, 60)
                } else {
                    RGBColor(170, 170, 170)
                };
                Rectangle::new([(x0, 0.0), (x0 + width * 0.92, c as f64)], color.filled())
            }))
            .map_err(err_any)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(threshold, 0.0), (threshold, top)],
                RGBColor(200, 40, 40).stroke_width(2),
            )))
            .map_err(err_any)?
            .label(format!("detectable: SNR ≥ {DETECTABLE_SNR}"))
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 20, y)],
                    RGBColor(200, 40, 40).stroke_width(2),
                )
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(12))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()
            .map_err(err_any)?;
        root.present().map_err(err_any)?;
    }
    preview::png(w, h, rgb)
}

/// A number to two significant digits, without trailing zeros (0.32, 3.2, 320).
fn sig2(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (1 - v.abs().log10().floor() as i32).max(0) as usize;
    let rounded = format!("{v:.digits$}");
    let p = rounded.parse::<f64>().unwrap_or(v);
    if digits == 0 {
        let mag = 10f64.powi(v.abs().log10().floor() as i32 - 1);
        format!("{}", (p / mag).round() * mag)
    } else {
        rounded
    }
}

/// A range bound to three significant digits.
fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

fn err_any<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the histogram: {}", err(e))
}

/// Resting light per pixel, e⁻: the per-pixel temporal median of the movie, converted
/// with the sensor's black level and gain, over the background (pixels outside every
/// footprint's 10 % contour) and over the detectable cells' cores (≥ 40 % of peak).
struct Budget {
    background_e: f64,
    cells_e: Option<f64>,
}

/// The median (upper middle) of `v`, reordering it.
fn median(v: &mut [f32]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    v.select_nth_unstable_by(mid, f32::total_cmp);
    Some(v[mid] as f64)
}

fn budget(rec: &Recording, movie: &Array3<f32>) -> Budget {
    let (t, h, w) = movie.dim();
    let (black, gain) = rec
        .spec
        .digitize()
        .map_or((0.0, 1.0), |d| (d.black_level_dn, d.gain_dn_per_e));
    let mut resting = vec![0f32; h * w];
    let mut column = vec![0f32; t];
    for y in 0..h {
        for x in 0..w {
            for (k, v) in column.iter_mut().enumerate() {
                *v = movie[[k, y, x]];
            }
            resting[y * w + x] = ((median(&mut column).unwrap_or(0.0) - black) / gain) as f32;
        }
    }
    let fp = &rec.truth.footprints;
    let cells = &rec.truth.cells;
    let mut covered = vec![false; h * w];
    let mut core = vec![false; h * w];
    if fp.shape.1 == h * w {
        for c in 0..cells.len() {
            let range = fp.indptr[c] as usize..fp.indptr[c + 1] as usize;
            let peak = fp.data[range.clone()].iter().copied().fold(0f32, f32::max);
            for j in range {
                let p = fp.indices[j] as usize;
                if fp.data[j] >= 0.1 * peak {
                    covered[p] = true;
                }
                if cells.detectable[c] && fp.data[j] >= 0.4 * peak {
                    core[p] = true;
                }
            }
        }
    }
    let pick = |mask: &[bool], want: bool| -> Vec<f32> {
        resting
            .iter()
            .zip(mask)
            .filter(|&(_, &m)| m == want)
            .map(|(&v, _)| v)
            .collect()
    };
    Budget {
        background_e: median(&mut pick(&covered, false))
            .or_else(|| median(&mut resting.clone()))
            .unwrap_or(0.0),
        cells_e: median(&mut pick(&core, true)),
    }
}

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; max-width: 1440px; margin: 1.5em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
.key { font-family: monospace; font-size: 0.95em; word-break: break-all; }
img.figure { width: 100%; max-width: 1400px; height: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1a7f37; } .out { color: #b42318; font-weight: bold; } .na { color: #777; }
.strip { display: flex; flex-wrap: wrap; gap: 6px; }
.strip figure { margin: 0; text-align: center; font-size: 0.85em; }
.strip img { display: block; border: 1px solid #ccc; }
.cols { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
details summary { cursor: pointer; }
@media print { body { max-width: none; } details { display: block; } h2 { break-after: avoid; } .strip, table, img { break-inside: avoid; } }
"#;

/// Build the page.
fn page(
    rec: &Recording,
    source: &str,
    outlines: Outlines,
    perf: Option<&PerfTracker>,
    seconds: Option<f64>,
) -> anyhow::Result<String> {
    let movie = preview::movie_f32(rec);
    let (t, h, w) = movie.dim();
    anyhow::ensure!(t > 0, "the recording has no frames to report on");
    let spec = &rec.spec;
    let key = spec.cache_key();
    let acq = spec.acquisition();
    let fps = acq.frame_rate_hz;
    let pixel_um = spec.observed_pixel_um();
    let unit = match &rec.observed {
        Movie::Counts(_) => "counts",
        Movie::Intensity(_) => "e⁻",
    };
    let cells = &rec.truth.cells;
    let n = cells.len();
    let count = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&c| f(c)).count();
    let in_fov = count(&|c| cells.in_fov[c]);
    let in_focus = count(&|c| cells.in_fov[c] && cells.in_focus[c]);
    let detectable = count(&|c| cells.in_fov[c] && cells.detectable[c]);

    let (figure, _) = preview::render(rec, &movie, source, outlines, false)?;
    let strip = frame_strip(&movie, fps)?;
    let histogram = snr_histogram(rec)?;
    let budget = budget(rec, &movie);
    let stats = minisim::stats::realism::realism(&movie, spec, Some(&rec.truth.motion_px));

    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>minisim report · {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&key[..16])
    );
    let _ = writeln!(
        s,
        "<h1>minisim recording report</h1>\n<p>{} · minisim {} (model {}) · <span class=\"key\" id=\"cache-key\">cache key {key}</span></p>",
        escape(source),
        env!("CARGO_PKG_VERSION"),
        minisim::MODEL_VERSION
    );
    let _ = writeln!(
        s,
        "<p>{t} frames at {fps} Hz ({:.1} s) · {h}×{w} px at {pixel_um:.2} µm ({:.0}×{:.0} µm)</p>",
        t as f64 / fps,
        h as f64 * pixel_um,
        w as f64 * pixel_um
    );
    let _ = writeln!(
        s,
        "<h2>Preview</h2>\n<img class=\"figure\" alt=\"preview: mean image, max projection with outlines, motion, traces\" src=\"{}\">",
        data_png(&figure)
    );
    let _ = writeln!(s, "<h2>Frames</h2>\n<div class=\"strip\">");
    for (time, png) in &strip {
        let _ = writeln!(
            s,
            "<figure><img alt=\"frame at {time:.2} s\" src=\"{}\"><figcaption>t = {time:.2} s</figcaption></figure>",
            data_png(png)
        );
    }
    let _ = writeln!(
        s,
        "</div>\n<p>One display range (1st–99.9th percentile of these frames) for all.</p>"
    );

    let _ = writeln!(
        s,
        "<h2>Cells</h2>\n<div class=\"cols\">\n<table id=\"cell-counts\">"
    );
    for (label, v) in [
        ("cells placed", n),
        ("cells in FOV", in_fov),
        ("in focus", in_focus),
        ("detectable", detectable),
    ] {
        let _ = writeln!(s, "<tr><th>{label}</th><td class=\"num\">{v}</td></tr>");
    }
    let _ = writeln!(
        s,
        "</table>\n<img alt=\"histogram of expected peak SNR\" src=\"{}\">\n</div>",
        data_png(&histogram)
    );
    let _ = writeln!(
        s,
        "<p>Detectable: expected peak SNR ≥ {DETECTABLE_SNR} (ΔF at the cell's brightest pixel at its largest ΔF/F over the noise there; docs/scoring.md).</p>"
    );

    let _ = writeln!(s, "<h2>Photon budget</h2>\n<table id=\"photon-budget\">");
    let _ = writeln!(
        s,
        "<tr><th>resting light, background</th><td class=\"num\">{:.1} e⁻ per pixel per frame</td></tr>",
        budget.background_e
    );
    match budget.cells_e {
        Some(c) => {
            let _ = writeln!(
                s,
                "<tr><th>resting light, detectable cells' cores</th><td class=\"num\">{c:.1} e⁻ per pixel per frame</td></tr>\n<tr><th>cells over background</th><td class=\"num\">{:.2}×</td></tr>",
                c / budget.background_e.max(1e-9)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "<tr><th>resting light, detectable cells' cores</th><td class=\"na\">no detectable cells</td></tr>"
            );
        }
    }
    let _ = writeln!(
        s,
        "</table>\n<p>Per-pixel temporal median of the movie{}; background: pixels outside every footprint's 10 % contour; cells: inside the detectable cells' 40 % contours.</p>",
        if unit == "counts" {
            ", less the black level, over the gain"
        } else {
            ""
        }
    );

    let _ = writeln!(
        s,
        "<h2>Realism statistics</h2>\n<p>Computed on these {t} frames beside the ranges of real one-photon recordings (docs/realism.md); short movies widen the frame-mean statistics.</p>\n<table id=\"realism\">\n<tr><th>statistic</th><th>value</th><th>real recordings</th><th></th></tr>"
    );
    for st in &stats {
        let (range, mark) = match (st.range, st.inside()) {
            (Some((lo, hi)), Some(inside)) => (
                format!("{} – {}", sig3(lo), sig3(hi)),
                if inside {
                    "<span class=\"ok\">inside</span>"
                } else {
                    "<span class=\"out\">outside</span>"
                },
            ),
            _ => ("—".to_owned(), "<span class=\"na\">no target</span>"),
        };
        let value = if st.value.is_finite() {
            format!("{:.4}", st.value)
        } else {
            "—".to_owned()
        };
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"num\">{value}</td><td class=\"num\">{range}</td><td>{mark}</td></tr>",
            escape(st.name)
        );
    }
    let _ = writeln!(s, "</table>");

    let _ = writeln!(s, "<h2>Timing</h2>");
    match (perf, seconds) {
        (Some(perf), Some(total)) => {
            let _ = writeln!(
                s,
                "<p>Rendered in {total:.2} s (wall). CPU time per phase, summed over threads:</p>\n<table id=\"timing\">\n<tr><th>phase</th><th>seconds</th><th>calls</th></tr>"
            );
            for phase in Phase::ALL {
                let p = perf.get(phase);
                if p.calls > 0 {
                    let _ = writeln!(
                        s,
                        "<tr><td>{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td></tr>",
                        phase.name(),
                        p.time.as_secs_f64(),
                        p.calls
                    );
                }
            }
            let _ = writeln!(s, "</table>");
        }
        _ => {
            let _ = writeln!(
                s,
                "<p>Loaded from a recording directory: its render's timing was not recorded.</p>"
            );
        }
    }

    let _ = writeln!(
        s,
        "<h2>Spec</h2>\n<details>\n<summary>The spec (canonical JSON, every default filled in)</summary>\n<pre>{}</pre>\n</details>",
        escape(&spec.to_json_pretty())
    );
    let _ = writeln!(s, "</body>\n</html>");
    Ok(s)
}

pub fn report_cmd(a: ReportArgs) -> anyhow::Result<()> {
    check_output_file(&a.output, &["html"], "report")?;
    a.render.threads()?;
    let from_dir = a.spec.spec.as_ref().filter(|p| p.is_dir()).cloned();
    let (rec, source, perf, seconds) = match from_dir {
        Some(dir) => {
            if a.spec.preset.is_some() || !a.spec.set.is_empty() {
                return Err(crate::failure::usage(
                    format!(
                        "{}: a recording directory takes no --preset or --set",
                        dir.display()
                    ),
                    "give a spec file to render a changed spec",
                ));
            }
            let rec = crate::score_cmd::load(&dir)?;
            (rec, format!("recording {}", dir.display()), None, None)
        }
        None => {
            let perf = Arc::new(PerfTracker::new());
            let start = Instant::now();
            let rec = a.render.render(&a.spec, Some(perf.clone()))?;
            let seconds = start.elapsed().as_secs_f64();
            (rec, a.spec.describe(), Some(perf), Some(seconds))
        }
    };
    let html = page(&rec, &source, a.outlines, perf.as_deref(), seconds)?;
    minisim_io::atomic::write(&a.output, html.as_bytes())
        .with_context(|| format!("{}: cannot write", a.output.display()))?;
    eprintln!(
        "wrote {} ({} KB): open it in a browser; it needs no network",
        a.output.display(),
        html.len() / 1024
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig2(0.1), "0.10");
        assert_eq!(sig2(0.316_227_8), "0.32");
        assert_eq!(sig2(3.162_277), "3.2");
        assert_eq!(sig2(31.62), "32");
        assert_eq!(sig2(316.2), "320");
        assert_eq!(sig3(0.995_538_5), "0.996");
        assert_eq!(sig3(47.0), "47.0");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
