//! The figure of `calibrate --figure` and `compare --figure`: per movie (rows) the
//! mean image, CNMF-E's local-correlation and PNR images; below, for all movies, the
//! frame-mean traces, their temporal spectra and the photon-transfer bins (noise
//! against mean).

use std::path::Path;

use anyhow::{Context, anyhow};
use minisim::calibration::Calibration;
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::preview::{bold, display_range, err, font, grey_bitmap, png, register_fonts};

const PANEL: u32 = 300;
const GAP: u32 = 24;
const TITLE: u32 = 26;
const CHART_H: u32 = 240;
/// Height of one movie's row of images.
const ROW: u32 = 30 + TITLE + PANEL + 12;
const COLOURS: [RGBColor; 2] = [RGBColor(30, 90, 200), RGBColor(220, 90, 20)];

/// The images of one movie.
struct Images {
    mean: Array2<f32>,
    corr: Array2<f32>,
    pnr: Array2<f32>,
}

fn images(cal: &Calibration) -> Images {
    let g_sig = (5.0 / cal.pixel_um.0).max(2.0);
    let (pnr, corr) = minisim::stats::pnr::cnmfe_images(&cal.summary.kept, g_sig, true);
    Images {
        mean: cal.summary.mean.mapv(|v| v as f32),
        corr: corr.mapv(|v| v as f32),
        pnr: pnr.mapv(|v| v as f32),
    }
}

/// One-sided periodogram of the mean-removed trace at `rate` Hz, averaged over
/// log-spaced bins: `(frequency Hz, power)`.
fn spectrum(trace: &[f64], rate: f64) -> Vec<(f64, f64)> {
    use rustfft::num_complex::Complex;
    let n = trace.len();
    let mean = trace.iter().sum::<f64>() / n as f64;
    let mut data: Vec<Complex<f64>> = trace.iter().map(|v| Complex::new(v - mean, 0.0)).collect();
    rustfft::FftPlanner::new()
        .plan_fft_forward(n)
        .process(&mut data);
    let power: Vec<(f64, f64)> = (1..n / 2)
        .map(|k| (k as f64 * rate / n as f64, data[k].norm_sqr() / n as f64))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < power.len() {
        let j = ((i as f64 * 1.15) as usize).max(i + 1).min(power.len());
        let f = power[i..j].iter().map(|p| p.0).sum::<f64>() / (j - i) as f64;
        let p = power[i..j].iter().map(|p| p.1).sum::<f64>() / (j - i) as f64;
        out.push((f, p.max(1e-12)));
        i = j;
    }
    out
}

fn image<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    a: &Array2<f32>,
    (x, y): (i32, i32),
) -> Result<(), String> {
    area.draw(&Text::new(title.to_owned(), (x, y), bold(14)))
        .map_err(err)?;
    if a.is_empty() {
        return Ok(());
    }
    let (h, w) = a.dim();
    let scale = PANEL as f64 / h.max(w) as f64;
    let (dw, dh) = (
        ((w as f64 * scale) as u32).max(1),
        ((h as f64 * scale) as u32).max(1),
    );
    let bitmap = grey_bitmap(a, (dw, dh), display_range(a));
    let element = BitMapElement::with_owned_buffer((x, y + TITLE as i32 - 6), (dw, dh), bitmap)
        .ok_or("bitmap buffer size")?;
    area.draw(&element).map_err(err)
}

type Series = Vec<(String, Vec<(f64, f64)>)>;

/// A tick label with three significant digits and no trailing zeros (`0.0316`,
/// `72`, `1.2e4`).
fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor();
    if !(-3.0..5.0).contains(&mag) {
        return format!("{v:.2e}");
    }
    let decimals = (2.0 - mag).max(0.0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

fn chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    (xl, yl): (&str, &str),
    series: &Series,
    log: bool,
    points: bool,
) -> Result<(), String> {
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.1.iter().copied()).collect();
    if all.is_empty() {
        return Ok(());
    }
    let tr = |v: f64| if log { v.max(1e-12).log10() } else { v };
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in &all {
        x0 = x0.min(tr(x));
        x1 = x1.max(tr(x));
        y0 = y0.min(tr(y));
        y1 = y1.max(tr(y));
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let pad = (y1 - y0) * 0.05;
    let mut c = ChartBuilder::on(area)
        .caption(title, bold(14))
        .margin(6)
        .x_label_area_size(34)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(err)?;
    let fmt = move |v: &f64| tick(if log { 10f64.powf(*v) } else { *v });
    c.configure_mesh()
        .x_desc(xl)
        .y_desc(yl)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .label_style(font(11))
        .axis_desc_style(font(12))
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let data: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (tr(x), tr(y))).collect();
        if points {
            c.draw_series(data.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x + 8, y), 3, colour.filled()));
        } else {
            c.draw_series(LineSeries::new(data, colour.stroke_width(1)))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(11))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()
        .map_err(err)
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    movies: &[(&str, &Calibration)],
    imgs: &[Images],
    width: u32,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let col = (PANEL + GAP) as i32;
    for (i, ((name, _), im)) in movies.iter().zip(imgs).enumerate() {
        let y = (i as u32 * ROW) as i32;
        let short = Path::new(name)
            .file_name()
            .map_or(name.to_string(), |f| f.to_string_lossy().into_owned());
        let colour = COLOURS[i % COLOURS.len()];
        root.draw(&Text::new(
            short,
            (GAP as i32, y + 6),
            bold(16).color(&colour),
        ))
        .map_err(err)?;
        let x = GAP as i32;
        image(&root, "mean image", &im.mean, (x, y + 30))?;
        image(
            &root,
            "CNMF-E local correlation",
            &im.corr,
            (x + col, y + 30),
        )?;
        image(&root, "CNMF-E PNR", &im.pnr, (x + 2 * col, y + 30))?;
    }
    let top = movies.len() as u32 * ROW;
    let band = |k: u32| {
        root.clone()
            .shrink((0, top + k * CHART_H), (width, CHART_H))
    };
    let traces: Series = movies
        .iter()
        .map(|(name, c)| {
            let rate = c.frame_rate_hz.0;
            let dark = c
                .sensor
                .dark_mean_dn
                .unwrap_or(c.sensor.black_level_dn.value);
            (
                name.to_string(),
                c.summary
                    .trace
                    .iter()
                    .enumerate()
                    .map(|(f, v)| (f as f64 / rate, v - dark))
                    .collect(),
            )
        })
        .collect();
    chart(
        &band(0),
        "frame mean less the unlit level",
        ("time (s)", "DN"),
        &traces,
        false,
        false,
    )?;
    let spectra: Series = movies
        .iter()
        .map(|(name, c)| {
            (
                name.to_string(),
                spectrum(&c.summary.trace, c.frame_rate_hz.0),
            )
        })
        .collect();
    chart(
        &band(1),
        "temporal spectrum of the frame mean",
        ("frequency (Hz)", "power (DN²/Hz)"),
        &spectra,
        true,
        false,
    )?;
    let ptc: Series = movies
        .iter()
        .map(|(name, c)| {
            (
                format!("{name}: gain {:.4} DN/e⁻", c.sensor.gain_dn_per_e.value),
                c.sensor.bins.clone(),
            )
        })
        .collect();
    chart(
        &band(2),
        "photon transfer: ½·D² of the high-passed frame differences against the mean (bin medians)",
        ("mean (DN)", "½·D² (DN²)"),
        &ptc,
        false,
        true,
    )?;
    root.present().map_err(err)
}

/// Draw the figure of `movies` (one or two) into `path` (PNG or SVG by extension),
/// written whole to a hidden temporary sibling and renamed.
pub fn write(movies: &[(&str, &Calibration)], path: &Path) -> anyhow::Result<()> {
    register_fonts();
    let imgs: Vec<Images> = movies.iter().map(|(_, c)| images(c)).collect();
    let width = GAP + 3 * (PANEL + GAP);
    let height = movies.len() as u32 * ROW + 3 * CHART_H + 10;
    let svg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let bytes = if svg {
        let mut text = String::new();
        draw(
            SVGBackend::with_string(&mut text, (width, height)).into_drawing_area(),
            movies,
            &imgs,
            width,
        )
        .map_err(|e| anyhow!("cannot draw the figure: {e}"))?;
        text.replace("href=\"data:png;base64,", "href=\"data:image/png;base64,")
            .into_bytes()
    } else {
        let mut rgb = vec![0u8; (width * height * 3) as usize];
        draw(
            BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area(),
            movies,
            &imgs,
            width,
        )
        .map_err(|e| anyhow!("cannot draw the figure: {e}"))?;
        png(width, height, rgb)?
    };
    minisim_io::atomic::write(path, &bytes)
        .with_context(|| format!("{}: cannot write", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticks_have_three_significant_digits_and_no_trailing_zeros() {
        assert_eq!(super::tick(72.0), "72");
        assert_eq!(super::tick(0.0316), "0.0316");
        assert_eq!(super::tick(3.16), "3.16");
        assert_eq!(super::tick(140000.0), "1.40e5");
        assert_eq!(super::tick(0.0), "0");
        assert_eq!(super::tick(-2.5), "-2.5");
    }
}
