//! Importing specs of the Python minisim (miniscope/minisim v1.0.x).

use minisim_spec::{FocalDepth, MotionModel, Spec, SpikeModel};

fn data(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

#[test]
fn the_readme_example_imports_with_py_minisim_defaults() {
    let imported = Spec::from_py_minisim_json(&data("py_minisim_readme.json")).unwrap();
    let s = &imported.spec;
    let a = s.acquisition();
    // 10 s at 20 Hz; 8 µm pitch / 8× = 1 µm pixels.
    assert_eq!(
        (a.frames, a.frame_rate_hz, a.fov_px, a.pixel_um),
        (200, 20.0, [256, 256], 1.0)
    );
    assert_eq!(a.optics.na, 0.45);
    assert_eq!(a.optics.focal_depth_um, FocalDepth::Auto);
    let p = s.place_neurons().unwrap();
    let pop = &p.populations.as_ref().unwrap()[0];
    assert_eq!(pop.density_per_mm3, Some(400000.0));
    assert_eq!(pop.soma_radius_mean_um, Some(4.0));
    assert_eq!(pop.depth_range_um, Some([0.0, 200.0]));
    let spikes = s.spikes().unwrap();
    assert_eq!(spikes.model, SpikeModel::TwoState);
    // 0.005 per frame at 20 Hz = −ln(0.995)·20 Hz.
    assert!((spikes.two_state.quiescent_to_active_hz - (-(0.995f64).ln() * 20.0)).abs() < 1e-12);
    let c = s.calcium().unwrap();
    assert_eq!((c.rise_ms, c.decay_ms), (Some(50.0), Some(500.0)));
    // Sensor: 100 photons × QE 0.7 = 70 e⁻ per unit; 8-bit, 1 DN/e⁻, 2 e⁻ read noise.
    assert_eq!(s.photon_field().unwrap().photons_per_unit, 70.0);
    let d = s.digitize().unwrap();
    assert_eq!(
        (d.bit_depth, d.gain_dn_per_e, d.read_noise_e),
        (8, 1.0, 2.0)
    );
    // What cannot be mapped is reported (auto focus semantics, irregular somata).
    let lines: Vec<String> = imported.unmapped.iter().map(|u| u.to_string()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("acquisition.focal_depth_in_tissue_um:")),
        "{lines:?}"
    );
    // py-minisim's default irregular soma outline carries over.
    let pop = &s.place_neurons().unwrap().populations.as_ref().unwrap()[0];
    assert_eq!(pop.irregularity, Some(0.3));
}

#[test]
fn every_step_kind_maps_or_is_reported() {
    let imported = Spec::from_py_minisim_json(&data("py_minisim_full.json")).unwrap();
    let s = &imported.spec;
    let lines: Vec<String> = imported.unmapped.iter().map(|u| u.to_string()).collect();
    let a = s.acquisition();
    assert_eq!((a.frames, a.fov_px, a.pixel_um), (60, [200, 240], 1.2));
    assert_eq!(a.optics.focal_depth_um, FocalDepth::Um(120.0));
    assert_eq!(a.optics.field_curvature_radius_um, Some(2500.0));
    // Round-trip scattering: 1/(1/600 + 1/100).
    assert!((a.optics.scattering_length_um - 600.0 / 7.0).abs() < 1e-9);
    let p = s.place_neurons().unwrap();
    let pops = p.populations.as_ref().unwrap();
    assert_eq!(pops[0].min_separation_um, Some(8.0));
    assert_eq!(p.population(1).unwrap().min_separation_um, 0.0);
    assert_eq!(pops.len(), 2);
    assert_eq!(pops[1].depth_range_um, Some([180.0, 240.0]));
    assert_eq!(
        pops[1].morphology,
        Some(minisim_spec::Morphology::Cytosolic)
    );
    assert_eq!(pops[0].irregularity, Some(0.0));
    // brightness_cv 0.5 → lognormal σ = sqrt(ln(1 + 0.25)).
    assert!((pops[0].expression_sigma.unwrap() - (1.25f64).ln().sqrt()).abs() < 1e-12);
    assert_eq!(s.neuropil().unwrap().components, 4);
    let v = s.vasculature().unwrap();
    assert_eq!(v.vessels, 0);
    let layer = &v.layers.as_ref().unwrap()[0];
    assert_eq!(
        (
            layer.depth_um,
            layer.roots,
            layer.root_diameter_um,
            layer.min_diameter_um
        ),
        (40.0, 3, 30.0, 6.0)
    );
    let m = s.motion_crop().unwrap();
    assert_eq!((m.model, m.max_shift_um), (MotionModel::Locomotion, 12.0));
    let field = s.photon_field().unwrap();
    assert_eq!(field.photons_per_unit, 180.0);
    let b = field.cell_bleaching.as_ref().unwrap();
    assert_eq!((b.susceptibility_per_s, b.turnover_tau_s), (1e-5, 20000.0));
    // The illumination falloff (0.8 at the corner, quadratic) at half the shorter side.
    let (h, w) = (200.0 * 1.2, 240.0 * 1.2);
    let want = 1.0 - 0.2 * ((h / 2.0) / (h / 2.0f64).hypot(w / 2.0)).powi(2);
    assert!((b.excitation_edge_ratio - want).abs() < 1e-12);
    assert!((s.leakage().unwrap().bleedthrough_e - 0.05 * 180.0).abs() < 1e-9);
    assert_eq!(s.digitize().unwrap().bit_depth, 10);
    // The vignette holds both falloffs: below 1 at the edge.
    assert!(s.vignette().unwrap().edge_ratio < 0.9);
    for expected in [
        "acquisition.optics.depth_of_field_um:",
        "acquisition.tissue.scatter_blur_per_um:",
        "acquisition.front_working_distance_um:",
        "steps.brain_motion.motion_amplitude_um:",
        "steps.illumination_profile:",
        "output.store_dtype:",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "missing {expected} in {lines:#?}"
        );
    }
}

#[test]
fn bad_py_minisim_specs_name_the_field() {
    let err = |t: &str| Spec::from_py_minisim_json(t).unwrap_err().to_string();
    assert!(
        err(r#"{"steps": [{"kind": "teleport"}]}"#)
            .contains("steps[0].kind: `teleport` is not a py-minisim")
    );
    assert!(
        err(r#"{"steps": [{"kind": "cell_activity", "active_rate_hz": "fast"}]}"#)
            .contains("steps.cell_activity.active_rate_hz: must be a number")
    );
    assert!(err(r#"{"acquisition": {"fps": 20}}"#).contains("steps: is required"));
    assert!(err("{").contains("invalid JSON"));
    // Unknown fields are reported, not fatal.
    let ok =
        Spec::from_py_minisim_json(r#"{"steps": [{"kind": "place_neurons", "colour": "red"}]}"#)
            .unwrap();
    assert!(
        ok.unmapped
            .iter()
            .any(|u| u.path == "steps.place_neurons.colour")
    );
}
