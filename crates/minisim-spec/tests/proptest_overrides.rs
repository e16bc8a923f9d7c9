//! Any sequence of valid overrides keeps the spec valid and round-trippable.

use minisim_spec::Spec;
use proptest::prelude::*;
use serde_json::{Value, json};

/// (path, strategy of values inside that field's valid range, chosen so that no two
/// fields' ranges can conflict).
fn override_strategy() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        any::<u64>().prop_map(|v| ("seed", json!(v))),
        (1u64..5000).prop_map(|v| ("acquisition.frames", json!(v))),
        (1.0f64..200.0).prop_map(|v| ("acquisition.frame_rate_hz", json!(v))),
        (64u32..1024).prop_map(|v| ("acquisition.fov_px.0", json!(v))),
        (64u32..1024).prop_map(|v| ("acquisition.fov_px.1", json!(v))),
        (0.5f64..3.0).prop_map(|v| ("acquisition.pixel_um", json!(v))),
        (0.05f64..0.9).prop_map(|v| ("acquisition.optics.na", json!(v))),
        (1.33f64..1.45).prop_map(|v| ("acquisition.optics.tissue_index", json!(v))),
        (1.0f64..10.0).prop_map(|v| ("steps.place_neurons.soma_radius_mean_um", json!(v))),
        (0.0f64..1.0).prop_map(|v| ("steps.place_neurons.nucleus_fraction", json!(v))),
        (0.01f64..5.0).prop_map(|v| ("steps.spikes.rate_median_hz", json!(v))),
        (0u64..10).prop_map(|v| ("steps.spikes.ensembles.count", json!(v))),
        // Below every preset's rise (≥ 8 ms) and above every preset's decay (≤ 790 ms), so
        // explicit values and presets never conflict.
        (1.0f64..7.9).prop_map(|v| ("steps.calcium.rise_ms", json!(v))),
        (800.0f64..2000.0).prop_map(|v| ("steps.calcium.decay_ms", json!(v))),
        prop::sample::select(vec!["gcamp6f", "gcamp6s", "gcamp7f", "gcamp8m"])
            .prop_map(|v| ("steps.calcium.indicator", json!(v))),
        (0.0f64..1.0).prop_map(|v| ("steps.vasculature.absorption", json!(v))),
        prop::sample::select(vec!["bilinear", "lanczos3"])
            .prop_map(|v| ("steps.motion_crop.interpolation", json!(v))),
        (1u32..=16).prop_map(|v| ("steps.digitize.bit_depth", json!(v))),
        (0.01f64..10.0).prop_map(|v| ("steps.digitize.gain_dn_per_e", json!(v))),
        (0.0f64..1.0).prop_map(|v| ("steps.vignette.edge_ratio", json!(v.max(1e-6)))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn valid_overrides_keep_the_spec_valid(ops in prop::collection::vec(override_strategy(), 0..12)) {
        let mut spec = Spec::default();
        for (path, value) in ops {
            spec = spec.with_override(path, value.clone()).map_err(|e| TestCaseError::fail(format!("{path}={value}: {e}")))?;
            let back = Spec::from_json(&spec.to_json_pretty()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &spec);
            prop_assert_eq!(back.cache_key(), spec.cache_key());
            prop_assert_eq!(spec.get_path(path).unwrap(), Spec::from_value(spec.to_value()).unwrap().get_path(path).unwrap());
        }
    }
}
