//! `preview`: one PNG to eyeball a recording. Top: mean image | max projection with the
//! outlines of in-focus cells in the FOV. Bottom: the motion path (red dy, blue dx,
//! grey zero line) | ΔF/F traces of the six most active in-focus cells.

use std::path::Path;

use anyhow::Context;
use image::{Rgb, RgbImage};
use minisim::{Movie, Recording};
use ndarray::{Array2, Axis};

const GAP: u32 = 4;
const PLOT_H: u32 = 160;

/// Contrast-stretch to 0–255 between the 1st and 99.9th percentiles.
fn stretch(a: &Array2<f32>) -> Array2<u8> {
    let mut v: Vec<f32> = a.iter().copied().collect();
    v.sort_by(f32::total_cmp);
    let lo = v[v.len() / 100];
    let hi = v[(v.len() * 999 / 1000).min(v.len() - 1)].max(lo + 1e-6);
    a.mapv(|x| (((x - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0).round() as u8)
}

fn line(img: &mut RgbImage, (x0, y0): (i64, i64), (x1, y1): (i64, i64), color: Rgb<u8>) {
    let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
    let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
    let (mut x, mut y, mut err) = (x0, y0, dx + dy);
    loop {
        if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
            img.put_pixel(x as u32, y as u32, color);
        }
        if x == x1 && y == y1 {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

/// Plot `series` (each a trace over frames) into the box at (x0, y0) of size w×h,
/// scaled to [lo, hi].
fn plot(
    img: &mut RgbImage,
    origin: (u32, u32),
    size: (u32, u32),
    series: &[(Vec<f64>, Rgb<u8>)],
    lo: f64,
    hi: f64,
) {
    let (x0, y0) = (origin.0 as i64, origin.1 as i64);
    let (w, h) = (size.0 as f64, size.1 as f64);
    for (trace, color) in series {
        let n = trace.len().max(2) as f64;
        let point = |i: usize, v: f64| {
            let x = x0 + (i as f64 / (n - 1.0) * (w - 1.0)) as i64;
            let y = y0
                + ((1.0 - (v - lo) / (hi - lo).max(1e-12)) * (h - 1.0)).clamp(0.0, h - 1.0) as i64;
            (x, y)
        };
        for i in 1..trace.len() {
            line(img, point(i - 1, trace[i - 1]), point(i, trace[i]), *color);
        }
    }
}

/// Draw the preview of `rec` into `path` (PNG).
pub fn write(rec: &Recording, path: &Path) -> anyhow::Result<()> {
    let frames = match &rec.observed {
        Movie::Counts(c) => c.mapv(|v| v as f32),
        Movie::Intensity(i) => i.clone(),
    };
    let (t, h, w) = frames.dim();
    anyhow::ensure!(t > 0, "the recording has no frames to preview");
    let mean = frames.mean_axis(Axis(0)).expect("frames > 0");
    let max = frames.fold_axis(Axis(0), f32::MIN, |a, &b| a.max(b));
    let (mean8, max8) = (stretch(&mean), stretch(&max));
    let (wu, hu) = (w as u32, h as u32);
    let mut img = RgbImage::from_pixel(2 * wu + GAP, hu + GAP + PLOT_H, Rgb([16, 16, 16]));
    for ((y, x), &v) in mean8.indexed_iter() {
        img.put_pixel(x as u32, y as u32, Rgb([v, v, v]));
    }
    for ((y, x), &v) in max8.indexed_iter() {
        img.put_pixel(wu + GAP + x as u32, y as u32, Rgb([v, v, v]));
    }
    // Outlines: footprint pixels ≥ 40 % of the cell's peak whose 4-neighbours are not all in.
    let truth = &rec.truth;
    let fp = &truth.footprints;
    let cells = &truth.cells;
    let in_focus: Vec<usize> = (0..cells.len())
        .filter(|&c| cells.in_fov[c] && cells.focus_weight[c] > 0.5)
        .collect();
    let mut mask = vec![false; h * w];
    for &c in &in_focus {
        let range = fp.indptr[c] as usize..fp.indptr[c + 1] as usize;
        let peak = fp.data[range.clone()].iter().copied().fold(0f32, f32::max);
        let pixels: Vec<usize> = range
            .filter(|&j| fp.data[j] >= 0.4 * peak)
            .map(|j| fp.indices[j] as usize)
            .collect();
        pixels.iter().for_each(|&p| mask[p] = true);
        for &p in &pixels {
            let (y, x) = (p / w, p % w);
            let inside = |yy: isize, xx: isize| {
                yy >= 0
                    && xx >= 0
                    && (yy as usize) < h
                    && (xx as usize) < w
                    && mask[yy as usize * w + xx as usize]
            };
            let (yi, xi) = (y as isize, x as isize);
            if !(inside(yi - 1, xi)
                && inside(yi + 1, xi)
                && inside(yi, xi - 1)
                && inside(yi, xi + 1))
            {
                img.put_pixel(wu + GAP + x as u32, y as u32, Rgb([40, 220, 60]));
            }
        }
        pixels.iter().for_each(|&p| mask[p] = false);
    }
    // Motion path.
    let motion = &truth.motion_px;
    let dy: Vec<f64> = motion.column(0).to_vec();
    let dx: Vec<f64> = motion.column(1).to_vec();
    let bound = dy.iter().chain(&dx).fold(0.5f64, |m, v| m.max(v.abs()));
    let top = hu + GAP;
    plot(
        &mut img,
        (0, top),
        (wu, PLOT_H),
        &[(vec![0.0; t.max(2)], Rgb([90, 90, 90]))],
        -bound,
        bound,
    );
    plot(
        &mut img,
        (0, top),
        (wu, PLOT_H),
        &[(dy, Rgb([230, 60, 60])), (dx, Rgb([70, 120, 240]))],
        -bound,
        bound,
    );
    // ΔF/F of the most active in-focus cells, one lane each.
    let dff = &truth.calcium_dff;
    if dff.ncols() > 0 {
        let mut active: Vec<(usize, f32)> = in_focus
            .iter()
            .map(|&c| (c, dff.row(c).iter().copied().fold(0f32, f32::max)))
            .collect();
        active.sort_by(|a, b| b.1.total_cmp(&a.1));
        let lanes = active.len().min(6);
        let colors = [
            [255, 200, 60],
            [120, 220, 255],
            [255, 120, 200],
            [160, 255, 120],
            [255, 160, 90],
            [200, 160, 255],
        ];
        for (lane, &(c, peak)) in active.iter().take(lanes).enumerate() {
            let lane_h = PLOT_H / lanes as u32;
            let trace: Vec<f64> = dff.row(c).iter().map(|&v| v as f64).collect();
            let origin = (wu + GAP, top + lane as u32 * lane_h);
            plot(
                &mut img,
                origin,
                (wu, lane_h),
                &[(trace, Rgb(colors[lane]))],
                0.0,
                peak.max(1e-6) as f64,
            );
        }
    }
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)
        .with_context(|| format!("{}: cannot encode the PNG", path.display()))?;
    minisim_io::atomic::write(path, png.get_ref())
        .with_context(|| format!("{}: cannot write", path.display()))
}
