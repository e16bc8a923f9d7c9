//! Behaviour of `sweep` and `SweptSpec` (DESIGN.md §3).

use minisim_spec::{Axis, Spec, SpecError, sweep};
use serde_json::json;

#[test]
fn product_order_first_axis_slowest() {
    let base = Spec::default();
    let axes = [
        Axis::new("acquisition.optics.na", [0.2, 0.4]),
        Axis::new("steps.calcium.decay_ms", [300.0, 500.0, 700.0]),
    ];
    let points: Vec<_> = sweep(&base, &axes)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(points.len(), 6);
    let pairs: Vec<(f64, f64)> = points
        .iter()
        .map(|p| {
            (
                p.acquisition().optics.na,
                p.calcium().unwrap().decay_ms.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (0.2, 300.0),
            (0.2, 500.0),
            (0.2, 700.0),
            (0.4, 300.0),
            (0.4, 500.0),
            (0.4, 700.0)
        ]
    );
    assert_eq!(
        points[4].axes(),
        &[
            ("acquisition.optics.na".to_owned(), json!(0.4)),
            ("steps.calcium.decay_ms".to_owned(), json!(500.0)),
        ]
    );
}

#[test]
fn empty_axes_yield_the_base_once() {
    let base = Spec::default().with_override("seed", json!(9)).unwrap();
    let points: Vec<_> = sweep(&base, &[]).unwrap().collect();
    assert_eq!(points.len(), 1);
    let point = points.into_iter().next().unwrap().unwrap();
    assert!(point.axes().is_empty());
    assert_eq!(point.spec(), &base);
}

#[test]
fn path_errors_come_before_the_first_point() {
    let base = Spec::default();
    let neuropil_only = Spec::from_json(r#"{"steps": [{"kind": "neuropil"}]}"#).unwrap();
    let cases: &[(&Spec, &str, &str)] = &[
        (&base, "steps.calcium.decay", "unknown field"),
        (&base, "steps.nope.x", "unknown step kind"),
        (
            &neuropil_only,
            "steps.calcium.decay_ms",
            "no `calcium` step",
        ),
        (&base, "acquisition.frames.n", "cannot descend"),
    ];
    for (spec, path, needle) in cases {
        // A valid axis first: the bad one must still be reported before any point.
        let axes = [Axis::new("seed", [1, 2]), Axis::new(*path, [1, 2])];
        let err = sweep(spec, &axes).expect_err(path);
        assert!(err.to_string().contains(needle), "{path}: {err}");
    }
    let err = sweep(&base, &[Axis::new("seed", Vec::<u64>::new())]).unwrap_err();
    assert!(err.to_string().contains("no values"));
}

#[test]
fn invalid_combination_is_an_error_for_that_point_only() {
    let base = Spec::default();
    let before = base.clone();
    let axes = [
        Axis::new("acquisition.optics.na", [0.3, -1.0]),
        Axis::new("steps.place_neurons.soma_radius_mean_um", [6.0, 1000.0]),
    ];
    let results: Vec<Result<_, SpecError>> = sweep(&base, &axes).unwrap().collect();
    assert_eq!(results.len(), 4);
    assert!(results[0].is_ok());
    let soma = results[1].as_ref().unwrap_err();
    assert!(
        soma.to_string()
            .contains("steps.place_neurons.soma_radius_mean_um"),
        "{soma}"
    );
    let na = results[2].as_ref().unwrap_err();
    assert!(na.to_string().contains("acquisition.optics.na"), "{na}");
    assert!(
        na.to_string().contains("acquisition.optics.na=-1.0"),
        "point named: {na}"
    );
    assert!(results[3].is_err());
    assert_eq!(base, before, "the base is never mutated");
}

#[test]
fn swept_spec_serialises_and_keys_like_the_plain_spec() {
    let base = Spec::default();
    let axes = [Axis::new("steps.digitize.bit_depth", [10, 12])];
    let point = sweep(&base, &axes).unwrap().nth(1).unwrap().unwrap();
    let plain = base
        .with_override("steps.digitize.bit_depth", json!(12))
        .unwrap();
    assert_eq!(
        serde_json::to_string(&point).unwrap(),
        serde_json::to_string(&plain).unwrap()
    );
    assert_eq!(point.cache_key(), plain.cache_key());
    assert_eq!(*point, plain); // Deref to Spec
}

#[test]
fn random_access_matches_iteration() {
    let base = Spec::default();
    let axes = [
        Axis::new("seed", [1, 2, 3]),
        Axis::new("acquisition.frames", [10, 20]),
    ];
    let s = sweep(&base, &axes).unwrap();
    assert_eq!(s.points(), 6);
    let iterated: Vec<_> = s.clone().map(Result::unwrap).collect();
    for (i, p) in iterated.iter().enumerate() {
        assert_eq!(&s.point(i).unwrap().unwrap(), p);
    }
    assert!(s.point(6).is_none());
}
