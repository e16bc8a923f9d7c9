//! Scoring against rendered recordings.

use minisim_render::{SimulateOptions, simulate};
use minisim_score::{
    Estimate, Options, ShiftConvention, oracle, score, threshold_rois, truth_regions,
};
use minisim_spec::Spec;

/// The acceptance test: the oracle (ground-truth footprints of the detectable
/// cells) scores F1 = 1 on the detectable cells of the default spec, and the naive
/// threshold-ROI baseline scores below it.
#[test]
fn oracle_scores_one_on_detectable_cells_of_the_default_spec() {
    let rec = simulate(&Spec::default(), &SimulateOptions::default()).unwrap();
    let opt = Options::default();
    let o = score(&rec, &oracle(&rec, &opt), &opt).unwrap();
    eprintln!("{o:#?}");
    assert!(o.detectable_cells > 0);
    assert_eq!(o.matched_detectable, o.detectable_cells);
    assert_eq!(
        (o.precision, o.recall_detectable, o.f1_detectable),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(o.mean_iou, 1.0);
    // Against all cells the oracle misses exactly the undetectable ones.
    assert_eq!(o.recall, o.detectable_cells as f64 / o.truth_cells as f64);
    // ROI traces of detectable cells follow their ΔF/F: an unrelated trace has r ≈ 0
    // with a standard error of about 1/sqrt(effective samples) ≈ 0.1 for calcium
    // traces autocorrelated over ~10 frames, so 0.3 is far outside chance.
    assert!(o.trace_r_median.unwrap() > 0.3, "{:?}", o.trace_r_median);
    let t = score(&rec, &threshold_rois(&rec, &opt), &opt).unwrap();
    eprintln!("{t:#?}");
    assert!(t.f1_detectable < 1.0);
    assert!(t.estimates > 0);
}

fn small() -> minisim_render::Recording {
    let spec = Spec::default()
        .with_overrides([
            ("acquisition.fov_px", serde_json::json!([64, 64])),
            ("acquisition.frames", serde_json::json!(200)),
        ])
        .unwrap();
    simulate(&spec, &SimulateOptions::default()).unwrap()
}

/// Perfect motion, spikes and fields from the truth score perfectly; the wrong sign
/// convention does not.
#[test]
fn truth_derived_estimates_score_perfectly() {
    let rec = small();
    let opt = Options::default();
    let (ids, _) = truth_regions(&rec, opt.truth, opt.energy_fraction);
    let mut est = oracle(
        &rec,
        &Options {
            snr_threshold: 0.0,
            ..opt.clone()
        },
    );
    assert_eq!(est.footprints.len(), rec.truth.cells.len());
    // Keep only cells with a region, so rows follow `ids`.
    est.footprints = est.footprints.select(|c| ids.contains(&c));
    let frames = rec.observed.frames();
    let rate = rec.spec.acquisition().frame_rate_hz;
    let mut spikes = ndarray::Array2::<f64>::zeros((ids.len(), frames));
    for (row, &c) in ids.iter().enumerate() {
        for &t in &rec.truth.spikes[c] {
            let f = (t * rate).floor();
            if f >= 0.0 && (f as usize) < frames {
                spikes[[row, f as usize]] = 1.0;
            }
        }
    }
    let traces = ndarray::Array2::from_shape_fn((ids.len(), frames), |(r, t)| {
        rec.truth.calcium_dff[[ids[r], t]] as f64 * 2.0 + 1.0
    });
    let est = Estimate {
        traces: Some(traces),
        spikes: Some(spikes),
        shifts: Some(rec.truth.motion_px.mapv(|v| -v)),
        vignette: Some(rec.truth.vignette.mapv(|v| v as f64)),
        ..est
    };
    let r = score(&rec, &est, &opt).unwrap();
    assert_eq!((r.precision, r.recall), (1.0, 1.0));
    assert!(
        r.spike_precision == Some(1.0) && r.spike_recall == Some(1.0),
        "{r:?}"
    );
    assert!(r.motion_rmse_px.unwrap() < 1e-12);
    assert!((r.vignette_r.unwrap() - 1.0).abs() < 1e-9);
    // Active cells' traces are affine copies of the truth: r = 1; silent ones give 0.
    assert!((r.trace_r_median.unwrap() - 1.0).abs() < 1e-9, "{r:?}");
    assert_eq!(r.neurofinder.recall, 1.0);
    let wrong = Options {
        shift_convention: ShiftConvention::Displacement,
        ..opt
    };
    assert!(score(&rec, &est, &wrong).unwrap().motion_rmse_px.unwrap() > 0.05);
}

#[test]
fn mismatched_shapes_are_errors_naming_both() {
    let rec = small();
    let opt = Options::default();
    let mut est = oracle(&rec, &opt);
    est.traces = Some(ndarray::Array2::zeros((est.footprints.len(), 7)));
    let err = score(&rec, &est, &opt).unwrap_err().to_string();
    assert!(
        err.contains("traces") && err.contains(", 7]") && err.contains(", 200)"),
        "{err}"
    );
    let mut est = oracle(&rec, &opt);
    est.footprints.width = 65;
    let err = score(&rec, &est, &opt).unwrap_err().to_string();
    assert!(err.contains("64×65") && err.contains("64×64"), "{err}");
}
