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
    // "auto" is resolved by py-minisim's own objective to a plane inside the cells' slab.
    let FocalDepth::Um(focal) = a.optics.focal_depth_um else {
        panic!("auto focus left unresolved: {:?}", a.optics.focal_depth_um)
    };
    assert!((0.0..=200.0).contains(&focal), "{focal}");
    let p = s.place_neurons().unwrap();
    let pop = &p.populations.as_ref().unwrap()[0];
    assert_eq!(pop.density_per_mm3, Some(400000.0));
    assert_eq!(pop.soma_radius_mean_um, Some(4.0));
    assert_eq!(pop.depth_range_um, Some([0.0, 200.0]));
    let spikes = s.spikes().unwrap();
    assert_eq!(spikes.model, SpikeModel::TwoState);
    // 0.005 per frame at 20 Hz: a mean dwell of 200 frames = 10 s, so 0.1 Hz; 0.3 per
    // frame: 3.3 frames = 1/6 s.
    assert!((spikes.two_state.quiescent_to_active_hz - 0.1).abs() < 1e-12);
    assert!((spikes.two_state.active_to_quiescent_hz - 6.0).abs() < 1e-12);
    // A spike in 150/300 of the fine bins: minisim's per-bin 1 − e^{−r/300} = 1/2.
    assert_eq!(spikes.two_state.grid_hz, 300.0);
    assert!((spikes.two_state.active_rate_hz - 300.0 * 2f64.ln()).abs() < 1e-9);
    let c = s.calcium().unwrap();
    assert_eq!((c.rise_ms, c.decay_ms), (Some(50.0), Some(500.0)));
    // Sensor: 100 photons × QE 0.7 = 70 e⁻ per unit; 8-bit, 1 DN/e⁻, 2 e⁻ read noise.
    assert_eq!(s.photon_field().unwrap().photons_per_unit, 70.0);
    let d = s.digitize().unwrap();
    assert_eq!(
        (d.bit_depth, d.gain_dn_per_e, d.read_noise_e),
        (8, 1.0, 2.0)
    );
    // The resolved focus is reported with its value; `populations: null` (py's
    // default) is not an unknown field.
    let lines: Vec<String> = imported.unmapped.iter().map(|u| u.to_string()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("acquisition.focal_depth_in_tissue_um: \"auto\" resolved to")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("populations")),
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
    // A cell's light is py's: f0 × NA² collection × e^{−F/ℓ} at the focal plane (minisim
    // states brightness there), over the lognormal's mean/median; no scattered halo.
    let comp = s.composite().unwrap();
    let f0 = 1.0;
    let sigma = pops[0].expression_sigma.unwrap();
    let na: f64 = a.optics.na;
    let want = f0
        * na
        * na
        * (-120.0 / a.optics.scattering_length_um).exp()
        * (-0.5 * sigma * sigma).exp();
    assert!(
        (comp.resting_brightness - want).abs() < 1e-12,
        "{}",
        comp.resting_brightness
    );
    assert_eq!(comp.scatter_collection, 0.0);
    // A spike adds one f0 at the kernel's peak, linearly.
    let c = s.calcium().unwrap();
    assert_eq!(c.dff_per_spike, Some(1.0 / f0));
    assert!(c.saturation_dff >= 1000.0);
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
    assert!(
        err(r#"{"steps": [{"kind": "place_neurons", "populations": 3}]}"#)
            .contains("steps.place_neurons.populations: must be a list")
    );
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

#[test]
fn a_gaussian_leakage_keeps_its_mean_over_the_fov() {
    // 100×100 px of 1 µm, σ = 25 µm: the mean of exp(−r²/2σ²) over the pixel grid,
    // computed here pixel by pixel.
    let text = r#"{"acquisition": {"image_sensor": {"n_px_height": 100, "n_px_width": 100, "pixel_pitch_um": 8.0}},
        "steps": [{"kind": "neuropil"}, {"kind": "leakage", "profile": "gaussian", "level": 0.2, "sigma_um": 25.0},
                  {"kind": "sensor", "photons_per_unit": 100.0}]}"#;
    let s = Spec::from_py_minisim_json(text).unwrap().spec;
    let c = 49.5;
    let mut sum = 0.0;
    for y in 0..100 {
        for x in 0..100 {
            let r2 = (y as f64 - c).powi(2) + (x as f64 - c).powi(2);
            sum += (-r2 / (2.0 * 25.0 * 25.0)).exp();
        }
    }
    let want = 0.2 * sum / 1e4 * 100.0 * 0.7;
    assert!((s.leakage().unwrap().bleedthrough_e - want).abs() < 1e-9);
}

#[test]
fn the_neuropil_level_is_py_minisims_mean_background() {
    // py: amplitude × (mean of peak-normalised fields, 1/2 in expectation) × a mean-1
    // envelope; minisim's envelope has mean 1 + coupling × mean ΔF/F.
    let text = r#"{"steps": [{"kind": "place_neurons"},
                             {"kind": "cell_activity", "p_quiescent_to_active": 1e-9, "quiescent_rate_hz": 2.0},
                             {"kind": "neuropil", "amplitude": 0.8, "population_coupling": 0.5}]}"#;
    let s = Spec::from_py_minisim_json(text).unwrap().spec;
    let (tr, td) = (0.05f64, 0.5f64);
    let tp = tr * td / (td - tr) * (td / tr).ln();
    let peak = (-tp / td).exp() - (-tp / tr).exp();
    // Stationary active share 1e-9/(1e-9 + 0.3): 150 Hz × 3.3e-9 ≈ 5e-7 Hz, below 1e-6.
    let dff = 2.0 * (td - tr) / peak;
    let want = 0.8 * 0.5 / (1.0 + 0.5 * dff);
    assert!((s.neuropil().unwrap().amplitude - want).abs() < 1e-6);
}

#[test]
fn the_import_is_deterministic() {
    let text = data("py_minisim_readme.json");
    assert_eq!(
        Spec::from_py_minisim_json(&text).unwrap().spec,
        Spec::from_py_minisim_json(&text).unwrap().spec
    );
}
