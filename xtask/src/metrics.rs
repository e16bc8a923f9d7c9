//! Summary metrics of one recording for sweep rows.

use minisim::{Movie, Recording};
use serde_json::{Map, Value, json};

/// Median of a slice (NaN-free), `None` when empty.
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Metrics of a recording:
/// - `cells_in_fov`: cells whose centre lies in the field of view;
/// - `mean_counts`: mean of the observed movie (counts, or intensity when sensorless);
/// - `adc_utilisation`: 99.9th percentile of the counts over the ADC's full scale;
/// - `fraction_saturated`: fraction of pixel-frames at full scale;
/// - `median_pnr_in_focus`: median over in-focus cells in the FOV (focus weight > 0.5)
///   of the ground-truth peak-to-noise ratio: the cell's largest ΔF/F times its resting
///   photoelectrons at its brightest pixel, over the shot-plus-read noise of that pixel's
///   mean signal — `null` without a sensor.
pub fn of(rec: &Recording) -> Map<String, Value> {
    let truth = &rec.truth;
    let cells = &truth.cells;
    let mut m = Map::new();
    m.insert(
        "cells_in_fov".into(),
        json!(cells.in_fov.iter().filter(|&&b| b).count()),
    );
    match &rec.observed {
        Movie::Intensity(a) => {
            m.insert("mean_counts".into(), json!(a.mean().unwrap_or(0.0)));
            for k in [
                "adc_utilisation",
                "fraction_saturated",
                "median_pnr_in_focus",
            ] {
                m.insert(k.into(), Value::Null);
            }
        }
        Movie::Counts(c) => {
            let d = rec.spec.digitize().expect("counts come from a sensor");
            let full = d.max_count();
            let n = c.len().max(1) as f64;
            m.insert(
                "mean_counts".into(),
                json!(c.iter().map(|&v| v as f64).sum::<f64>() / n),
            );
            let mut sorted: Vec<u16> = c.iter().copied().collect();
            sorted.sort_unstable();
            let p999 = sorted
                .get(((sorted.len() as f64 * 0.999) as usize).min(sorted.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0);
            m.insert("adc_utilisation".into(), json!(p999 as f64 / full as f64));
            m.insert(
                "fraction_saturated".into(),
                json!(c.iter().filter(|&&v| v == full).count() as f64 / n),
            );
            let (frames, h, w) = c.dim();
            let mean_e: Vec<f64> = (0..h * w)
                .map(|p| {
                    let (y, x) = (p / w, p % w);
                    let s: f64 =
                        (0..frames).map(|t| c[[t, y, x]] as f64).sum::<f64>() / frames as f64;
                    ((s - d.black_level_dn) / d.gain_dn_per_e).max(0.0)
                })
                .collect();
            let gain = truth.photon_gain.mean().unwrap_or(0.0);
            let fp = &truth.footprints;
            let mut pnr = Vec::new();
            for i in 0..cells.len() {
                if !(cells.in_fov[i] && cells.focus_weight[i] > 0.5)
                    || truth.calcium_dff.ncols() == 0
                {
                    continue;
                }
                let range = fp.indptr[i] as usize..fp.indptr[i + 1] as usize;
                let Some(j) = range.max_by(|&a, &b| fp.data[a].total_cmp(&fp.data[b])) else {
                    continue;
                };
                let p = fp.indices[j] as usize;
                let (y, x) = (p / w, p % w);
                let resting_e = fp.data[j] as f64
                    * gain
                    * truth.vignette[[y, x]] as f64
                    * truth.vessels[[y, x]] as f64;
                let peak_dff = truth
                    .calcium_dff
                    .row(i)
                    .iter()
                    .copied()
                    .fold(0f32, f32::max) as f64;
                let noise = (mean_e[p] + d.read_noise_e.powi(2)).sqrt().max(1e-9);
                pnr.push(peak_dff * resting_e / noise);
            }
            m.insert(
                "median_pnr_in_focus".into(),
                median(pnr).map_or(Value::Null, |v| json!(v)),
            );
        }
    }
    m
}
