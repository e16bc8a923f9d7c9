//! Summary metrics of one recording for sweep rows.

use minisim_render::{Movie, Recording};
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
/// - `median_pnr_in_focus`: median over in-focus cells in the FOV of the ground-truth
///   expected peak SNR (`cells.peak_snr`, docs/scoring.md) — `null` without a sensor.
pub fn metrics(rec: &Recording) -> Map<String, Value> {
    let cells = &rec.truth.cells;
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
            let pnr: Vec<f64> = (0..cells.len())
                .filter(|&i| cells.in_fov[i] && cells.in_focus[i])
                .map(|i| cells.peak_snr[i])
                .filter(|v| v.is_finite())
                .collect();
            m.insert(
                "median_pnr_in_focus".into(),
                median(pnr).map_or(Value::Null, |v| json!(v)),
            );
        }
    }
    m
}
