//! `preview`: one figure to judge a recording at a glance, drawn with `plotters` as PNG
//! or SVG (by the output's extension).
//!
//! Layout ([`Layout`], 1400 px wide whatever the field of view): a caption line (cache
//! key, source, frames, frame rate, pixel size, cell counts); the mean image and the max
//! projection with the outlines of the selected cells, each with a µm scale bar and a
//! colour bar in counts (e⁻ for sensorless specs); the true motion path (dy, dx in µm
//! over time in s, with a legend); the ground-truth ΔF/F of the most active selected
//! cells, stacked, with a time axis, a ΔF/F scale bar and the cell ids.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, anyhow};
use minisim::{Movie, Recording};
use ndarray::{Array2, Array3, Axis};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde_json::json;

/// Which cells get outlines (and traces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outlines {
    /// Every cell whose centre is in the field of view.
    All,
    /// In-focus cells in the field of view.
    InFocus,
    /// Detectable cells (expected peak SNR above the threshold, docs/scoring.md).
    Detectable,
    /// No outlines (traces of detectable cells).
    None,
}

/// Width of every preview, px.
pub const WIDTH: u32 = 1400;
const MARGIN: u32 = 16;
const CAPTION_H: u32 = 34;
const TITLE_H: u32 = 30;
const COLORBAR_W: u32 = 96;
const PLOTS_H: u32 = 300;
const BACKGROUND: RGBColor = WHITE;

/// A box of the figure, px from the top left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    fn json(&self) -> serde_json::Value {
        json!({"x": self.x, "y": self.y, "w": self.w, "h": self.h})
    }
}

/// Where each panel is, for a field of `h × w` pixels.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    pub caption: Rect,
    pub mean: Rect,
    pub max: Rect,
    pub motion: Rect,
    pub traces: Rect,
    /// Displayed image size inside the image panels (below their titles).
    image: (u32, u32),
}

impl Layout {
    pub fn new(h: usize, w: usize) -> Layout {
        let panel_w = (WIDTH - 3 * MARGIN) / 2;
        let max_img_w = panel_w - COLORBAR_W;
        let max_img_h = 640;
        let aspect = h as f64 / w as f64;
        let (mut iw, mut ih) = (max_img_w, (max_img_w as f64 * aspect).round() as u32);
        if ih > max_img_h {
            ih = max_img_h;
            iw = (ih as f64 / aspect).round() as u32;
        }
        let ih = ih.max(1);
        let row1 = MARGIN + CAPTION_H;
        let panel_h = TITLE_H + ih;
        let row2 = row1 + panel_h + MARGIN;
        let right = 2 * MARGIN + panel_w;
        Layout {
            width: WIDTH,
            height: row2 + PLOTS_H + MARGIN,
            caption: Rect {
                x: MARGIN,
                y: MARGIN / 2,
                w: WIDTH - 2 * MARGIN,
                h: CAPTION_H,
            },
            mean: Rect {
                x: MARGIN,
                y: row1,
                w: panel_w,
                h: panel_h,
            },
            max: Rect {
                x: right,
                y: row1,
                w: panel_w,
                h: panel_h,
            },
            motion: Rect {
                x: MARGIN,
                y: row2,
                w: panel_w,
                h: PLOTS_H,
            },
            traces: Rect {
                x: right,
                y: row2,
                w: panel_w,
                h: PLOTS_H,
            },
            image: (iw, ih),
        }
    }

    /// The layout as JSON (`--print-layout`, for tests and scripts).
    pub fn json(&self) -> serde_json::Value {
        json!({
            "width": self.width, "height": self.height,
            "caption": self.caption.json(), "mean": self.mean.json(), "max": self.max.json(),
            "motion": self.motion.json(), "traces": self.traces.json(),
        })
    }
}

/// A segment between two pixel corners, `((y0, x0), (y1, x1))`, in pixel units.
type Edge = ((f64, f64), (f64, f64));

/// What the figure shows, extracted from a recording.
struct Figure {
    caption: String,
    mean: Array2<f32>,
    max: Array2<f32>,
    unit: &'static str,
    pixel_um: f64,
    /// Outline edges per selected cell, in pixel units: ((y0, x0), (y1, x1)) segments.
    edges: Vec<Edge>,
    outline_label: &'static str,
    time_s: Vec<f64>,
    motion_um: [Vec<f64>; 2],
    traces: Vec<(u32, Vec<f32>)>,
    trace_label: &'static str,
    /// The export registered the frames: the motion truth is the residual.
    corrected: bool,
}

pub fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // DejaVu has the µ, Δ and ⁻ the labels use.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Percentiles (1st, 99.9th) of an image: the display range.
pub fn display_range(a: &Array2<f32>) -> (f64, f64) {
    let mut v: Vec<f32> = a.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    v.sort_by(f32::total_cmp);
    let lo = v[v.len() / 100] as f64;
    let hi = v[(v.len() * 999 / 1000).min(v.len() - 1)] as f64;
    (lo, hi.max(lo + 1e-6))
}

/// Outline edges of a cell: the boundary of its footprint pixels ≥ 40 % of its peak.
fn outline_edges(rec: &Recording, cell: usize, w: usize, mask: &mut [bool], out: &mut Vec<Edge>) {
    let fp = &rec.truth.footprints;
    let range = fp.indptr[cell] as usize..fp.indptr[cell + 1] as usize;
    let peak = fp.data[range.clone()].iter().copied().fold(0f32, f32::max);
    if peak <= 0.0 {
        return;
    }
    let pixels: Vec<usize> = range
        .filter(|&j| fp.data[j] >= 0.4 * peak)
        .map(|j| fp.indices[j] as usize)
        .collect();
    pixels.iter().for_each(|&p| mask[p] = true);
    let h = mask.len() / w;
    let inside = |y: isize, x: isize| {
        y >= 0
            && x >= 0
            && (y as usize) < h
            && (x as usize) < w
            && mask[y as usize * w + x as usize]
    };
    for &p in &pixels {
        let (y, x) = ((p / w) as isize, (p % w) as isize);
        let (yf, xf) = (y as f64, x as f64);
        if !inside(y - 1, x) {
            out.push(((yf, xf), (yf, xf + 1.0)));
        }
        if !inside(y + 1, x) {
            out.push(((yf + 1.0, xf), (yf + 1.0, xf + 1.0)));
        }
        if !inside(y, x - 1) {
            out.push(((yf, xf), (yf + 1.0, xf)));
        }
        if !inside(y, x + 1) {
            out.push(((yf, xf + 1.0), (yf + 1.0, xf + 1.0)));
        }
    }
    pixels.iter().for_each(|&p| mask[p] = false);
}

impl Figure {
    fn new(
        rec: &Recording,
        frames: &Array3<f32>,
        source: &str,
        outlines: Outlines,
    ) -> anyhow::Result<Figure> {
        let unit = match &rec.observed {
            Movie::Counts(_) => "counts (DN)",
            Movie::Intensity(_) => "e⁻ per pixel",
        };
        let (t, h, w) = frames.dim();
        anyhow::ensure!(t > 0, "the recording has no frames to preview");
        let mean = frames.mean_axis(Axis(0)).expect("frames > 0");
        let max = frames.fold_axis(Axis(0), f32::MIN, |a, &b| a.max(b));
        let spec = &rec.spec;
        let acq = spec.acquisition();
        let fps = acq.frame_rate_hz;
        let pixel_um = spec.observed_pixel_um();
        let cells = &rec.truth.cells;
        let n = cells.len();
        let count = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&c| f(c)).count();
        let in_fov = count(&|c| cells.in_fov[c]);
        let in_focus = count(&|c| cells.in_fov[c] && cells.in_focus[c]);
        let detectable = count(&|c| cells.in_fov[c] && cells.detectable[c]);
        let key = spec.cache_key();
        let caption = format!(
            "{source} · key {} · {t} frames at {fps} Hz ({:.1} s) · {h}×{w} px at {pixel_um:.2} µm ({:.0}×{:.0} µm) · cells: {in_fov} in FOV, {in_focus} in focus, {detectable} detectable",
            &key[..16],
            t as f64 / fps,
            h as f64 * pixel_um,
            w as f64 * pixel_um,
        );
        let selected = |c: usize| match outlines {
            Outlines::All => cells.in_fov[c],
            Outlines::InFocus => cells.in_fov[c] && cells.in_focus[c],
            Outlines::Detectable | Outlines::None => cells.in_fov[c] && cells.detectable[c],
        };
        let chosen: Vec<usize> = (0..n).filter(|&c| selected(c)).collect();
        let mut edges = Vec::new();
        if outlines != Outlines::None && rec.truth.footprints.shape.1 == h * w {
            let mut mask = vec![false; h * w];
            for &c in &chosen {
                outline_edges(rec, c, w, &mut mask, &mut edges);
            }
        }
        let motion = &rec.truth.motion_px;
        let motion_um = if motion.nrows() == t {
            [
                motion.column(0).iter().map(|v| v * pixel_um).collect(),
                motion.column(1).iter().map(|v| v * pixel_um).collect(),
            ]
        } else {
            [vec![0.0; t], vec![0.0; t]]
        };
        let dff = &rec.truth.calcium_dff;
        let mut active: Vec<(usize, f32)> = if dff.ncols() == t {
            chosen
                .iter()
                .map(|&c| (c, dff.row(c).iter().copied().fold(0f32, f32::max)))
                .filter(|&(_, p)| p > 0.0)
                .collect()
        } else {
            Vec::new()
        };
        active.sort_by(|a, b| b.1.total_cmp(&a.1));
        let traces = active
            .iter()
            .take(6)
            .map(|&(c, _)| (cells.id[c], dff.row(c).to_vec()))
            .collect();
        Ok(Figure {
            caption,
            mean,
            max,
            unit,
            pixel_um,
            edges,
            outline_label: match outlines {
                Outlines::All => "all cells in the FOV",
                Outlines::InFocus => "in-focus cells",
                Outlines::Detectable => "detectable cells",
                Outlines::None => "no outlines",
            },
            time_s: (0..t).map(|i| i as f64 / fps).collect(),
            motion_um,
            traces,
            trace_label: match outlines {
                Outlines::All => "cells",
                Outlines::InFocus => "in-focus cells",
                Outlines::Detectable | Outlines::None => "detectable cells",
            },
            corrected: spec.export().is_some_and(|e| e.motion_correction),
        })
    }
}

/// The image resampled (bilinear) to `dw × dh` and mapped to grey over `[lo, hi]`.
pub fn grey_bitmap(a: &Array2<f32>, (dw, dh): (u32, u32), (lo, hi): (f64, f64)) -> Vec<u8> {
    let (h, w) = a.dim();
    let mut buf = Vec::with_capacity((dw * dh * 3) as usize);
    for yy in 0..dh {
        let fy = ((yy as f64 + 0.5) * h as f64 / dh as f64 - 0.5).clamp(0.0, (h - 1) as f64);
        let (y0, ty) = (fy.floor() as usize, fy - fy.floor());
        let y1 = (y0 + 1).min(h - 1);
        for xx in 0..dw {
            let fx = ((xx as f64 + 0.5) * w as f64 / dw as f64 - 0.5).clamp(0.0, (w - 1) as f64);
            let (x0, tx) = (fx.floor() as usize, fx - fx.floor());
            let x1 = (x0 + 1).min(w - 1);
            let v = (a[[y0, x0]] as f64 * (1.0 - tx) + a[[y0, x1]] as f64 * tx) * (1.0 - ty)
                + (a[[y1, x0]] as f64 * (1.0 - tx) + a[[y1, x1]] as f64 * tx) * ty;
            let g = (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0).round() as u8;
            buf.extend([g, g, g]);
        }
    }
    buf
}

/// A round scale-bar length, µm: about a fifth of the field's width.
fn scale_bar_um(width_um: f64) -> f64 {
    let target = width_um / 5.0;
    [
        1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0,
    ]
    .into_iter()
    .rev()
    .find(|&v| v <= target)
    .unwrap_or(1.0)
}

/// A round ΔF/F scale bar not above `peak / 2`.
fn dff_bar(peak: f64) -> f64 {
    [0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .rev()
        .find(|&v| v <= peak / 2.0)
        .unwrap_or(0.05)
}

type DrawResult<T> = Result<T, String>;

pub fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

pub fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

pub fn bold(size: u32) -> TextStyle<'static> {
    ("sans-serif", size)
        .into_font()
        .style(FontStyle::Bold)
        .color(&BLACK)
}

fn sub<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: Rect) -> DrawingArea<DB, Shift> {
    root.clone().shrink((r.x, r.y), (r.w, r.h))
}

/// One image panel: title, image, outlines, scale bar, colour bar.
fn image_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    image: &Array2<f32>,
    fig: &Figure,
    layout: &Layout,
    outlines: bool,
) -> DrawResult<()> {
    let (dw, dh) = layout.image;
    area.draw(&Text::new(title.to_owned(), (0, 4), bold(18)))
        .map_err(err)?;
    let range = display_range(image);
    let bitmap = grey_bitmap(image, (dw, dh), range);
    let element = BitMapElement::with_owned_buffer((0, TITLE_H as i32), (dw, dh), bitmap)
        .ok_or("bitmap buffer size")?;
    area.draw(&element).map_err(err)?;
    let (h, w) = image.dim();
    let (sx, sy) = (dw as f64 / w as f64, dh as f64 / h as f64);
    if outlines {
        let color = RGBColor(40, 230, 90).stroke_width(1);
        for &((y0, x0), (y1, x1)) in &fig.edges {
            // Edges on the image's right or bottom border stay on its last pixel.
            let p = |y: f64, x: f64| {
                (
                    ((x * sx).round() as i32).min(dw as i32 - 1),
                    TITLE_H as i32 + ((y * sy).round() as i32).min(dh as i32 - 1),
                )
            };
            area.draw(&PathElement::new(vec![p(y0, x0), p(y1, x1)], color))
                .map_err(err)?;
        }
    }
    // Scale bar, bottom left, on a dark plate.
    let width_um = w as f64 * fig.pixel_um;
    let bar_um = scale_bar_um(width_um);
    let bar_px = (bar_um / fig.pixel_um * sx).round() as i32;
    let (bx, by) = (12, TITLE_H as i32 + dh as i32 - 14);
    area.draw(&Rectangle::new(
        [(bx - 6, by - 26), (bx + bar_px.max(60) + 6, by + 8)],
        BLACK.mix(0.55).filled(),
    ))
    .map_err(err)?;
    area.draw(&Rectangle::new(
        [(bx, by - 2), (bx + bar_px, by + 3)],
        WHITE.filled(),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        format!("{bar_um} µm"),
        (bx, by - 22),
        ("sans-serif", 15).into_font().color(&WHITE),
    ))
    .map_err(err)?;
    // Colour bar with its axis, right of the image.
    let bar_area = area
        .clone()
        .shrink((dw + 8, TITLE_H), (COLORBAR_W - 8, dh.max(60)));
    let mut chart = ChartBuilder::on(&bar_area)
        .margin_top(6)
        .margin_bottom(6)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..1f64, range.0..range.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| {
            if range.1 - range.0 >= 20.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        })
        .y_desc(fig.unit)
        .label_style(font(12))
        .axis_desc_style(font(13))
        .draw()
        .map_err(err)?;
    let steps = 64;
    chart
        .draw_series((0..steps).map(|i| {
            let v0 = range.0 + (range.1 - range.0) * i as f64 / steps as f64;
            let v1 = range.0 + (range.1 - range.0) * (i + 1) as f64 / steps as f64;
            let g = (255.0 * (i as f64 + 0.5) / steps as f64).round() as u8;
            Rectangle::new([(0.0, v0), (1.0, v1)], RGBColor(g, g, g).filled())
        }))
        .map_err(err)?;
    Ok(())
}

fn motion_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult<()> {
    let t_end = fig.time_s.last().copied().unwrap_or(0.0).max(1e-3);
    let bound = fig.motion_um[0]
        .iter()
        .chain(&fig.motion_um[1])
        .fold(0.5f64, |m, v| m.max(v.abs()))
        * 1.15;
    let still = fig.motion_um.iter().all(|s| s.iter().all(|&v| v == 0.0));
    let title = match (fig.corrected, still) {
        (true, true) => "Motion: none left after the export's motion correction",
        (true, false) => "Motion: residual after the export's motion correction",
        (false, true) => "Motion: none in this recording",
        (false, false) => "Motion: true displacement of the tissue",
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(18))
        .margin(6)
        .margin_right(16)
        .x_label_area_size(40)
        .y_label_area_size(62)
        .build_cartesian_2d(0f64..t_end, -bound..bound)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("displacement (µm)")
        .y_label_formatter(&|v| format!("{:.1}", v + 0.0))
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(err)?;
    for (series, color, label) in [
        (&fig.motion_um[0], RGBColor(215, 50, 50), "dy (down)"),
        (&fig.motion_um[1], RGBColor(40, 100, 230), "dx (right)"),
    ] {
        chart
            .draw_series(LineSeries::new(
                fig.time_s.iter().copied().zip(series.iter().copied()),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()
        .map_err(err)?;
    Ok(())
}

const TRACE_COLORS: [RGBColor; 6] = [
    RGBColor(210, 120, 0),
    RGBColor(0, 130, 200),
    RGBColor(200, 40, 140),
    RGBColor(40, 150, 60),
    RGBColor(120, 80, 200),
    RGBColor(150, 100, 40),
];

fn traces_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult<()> {
    let t_end = fig.time_s.last().copied().unwrap_or(0.0).max(1e-3);
    let n = fig.traces.len();
    let title = if n == 0 {
        format!("ΔF/F: no active {} to show", fig.trace_label)
    } else {
        format!(
            "ΔF/F of the {n} most active {} (ground truth)",
            fig.trace_label
        )
    };
    let peak = fig
        .traces
        .iter()
        .flat_map(|(_, t)| t.iter().copied())
        .fold(0f32, f32::max)
        .max(1e-3) as f64;
    let lane = peak * 1.1;
    let lanes = n.max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(18))
        .margin(6)
        .margin_right(16)
        .x_label_area_size(40)
        .y_label_area_size(62)
        .build_cartesian_2d(0f64..t_end * 1.1, -0.05 * lane..(lanes + 0.3) * lane)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_axis()
        .disable_y_mesh()
        .x_desc("time (s)")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(230, 230, 230))
        .draw()
        .map_err(err)?;
    for (k, (id, trace)) in fig.traces.iter().enumerate() {
        let base = (n - 1 - k) as f64 * lane;
        let color = TRACE_COLORS[k % TRACE_COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                fig.time_s
                    .iter()
                    .copied()
                    .zip(trace.iter().map(|&v| base + v as f64)),
                color.stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("cell {id}"),
                (0.0, base + 0.75 * lane),
                ("sans-serif", 13).into_font().color(&color),
            )))
            .map_err(err)?;
    }
    if n > 0 {
        let bar = dff_bar(peak);
        let x = t_end * 1.05;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, bar)],
                BLACK.stroke_width(3),
            )))
            .map_err(err)?;
        // The label stands above the bar, centred on it.
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{bar} ΔF/F"),
                (x, bar + 0.1 * lane),
                font(13).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Bottom,
                )),
            )))
            .map_err(err)?;
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    fig: &Figure,
    layout: &Layout,
) -> DrawResult<()> {
    root.fill(&BACKGROUND).map_err(err)?;
    sub(&root, layout.caption)
        .draw(&Text::new(fig.caption.clone(), (0, 8), font(15)))
        .map_err(err)?;
    image_panel(
        &sub(&root, layout.mean),
        "Mean image",
        &fig.mean,
        fig,
        layout,
        false,
    )?;
    image_panel(
        &sub(&root, layout.max),
        &format!("Max projection, outlines of {}", fig.outline_label),
        &fig.max,
        fig,
        layout,
        !fig.edges.is_empty(),
    )?;
    motion_panel(&sub(&root, layout.motion), fig)?;
    traces_panel(&sub(&root, layout.traces), fig)?;
    root.present().map_err(err)?;
    Ok(())
}

/// The observed movie as `f32` (counts, or e⁻ without a sensor).
pub fn movie_f32(rec: &Recording) -> Array3<f32> {
    match &rec.observed {
        Movie::Counts(c) => c.mapv(|v| v as f32),
        Movie::Intensity(i) => i.clone(),
    }
}

/// The preview of `rec` (whose movie as `f32` is `movie`) as PNG or SVG bytes, and its
/// layout. `source` names the spec in the caption.
pub fn render(
    rec: &Recording,
    movie: &Array3<f32>,
    source: &str,
    outlines: Outlines,
    svg: bool,
) -> anyhow::Result<(Vec<u8>, Layout)> {
    register_fonts();
    let fig = Figure::new(rec, movie, source, outlines)?;
    let (_, h, w) = rec.observed.shape();
    let layout = Layout::new(h, w);
    let bytes = if svg {
        let mut text = String::new();
        draw(
            SVGBackend::with_string(&mut text, (layout.width, layout.height)).into_drawing_area(),
            &fig,
            &layout,
        )
        .map_err(|e| anyhow!("cannot draw the preview: {e}"))?;
        // plotters-svg 0.3.7 labels embedded images `data:png`; browsers and Inkscape
        // want the MIME type `image/png`.
        text.replace("href=\"data:png;base64,", "href=\"data:image/png;base64,")
            .into_bytes()
    } else {
        let mut rgb = vec![0u8; (layout.width * layout.height * 3) as usize];
        draw(
            BitMapBackend::with_buffer(&mut rgb, (layout.width, layout.height)).into_drawing_area(),
            &fig,
            &layout,
        )
        .map_err(|e| anyhow!("cannot draw the preview: {e}"))?;
        png(layout.width, layout.height, rgb)?
    };
    Ok((bytes, layout))
}

/// Encode an RGB buffer as PNG.
pub fn png(width: u32, height: u32, rgb: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let img = image::RgbImage::from_raw(width, height, rgb).context("image buffer size")?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .context("cannot encode the PNG")?;
    Ok(out.into_inner())
}

/// Draw the preview of `rec` into `path` (PNG or SVG by extension), written whole to a
/// hidden temporary sibling and renamed. `source` names the spec in the caption.
pub fn write(
    rec: &Recording,
    path: &Path,
    source: &str,
    outlines: Outlines,
) -> anyhow::Result<Layout> {
    let svg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let (bytes, layout) = render(rec, &movie_f32(rec), source, outlines, svg)?;
    minisim_io::atomic::write(path, &bytes)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(layout)
}
