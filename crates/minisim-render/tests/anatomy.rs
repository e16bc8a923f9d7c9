//! Populations, focus (auto and field curvature), the two-state activity model and
//! the motion models through the renderer.

use minisim_render::{Recording, SimulateOptions, simulate};
use minisim_spec::Spec;
use serde_json::{Value, json};

fn run(spec: Value) -> Recording {
    let spec = Spec::from_value(spec).unwrap();
    simulate(&spec, &SimulateOptions::default()).unwrap()
}

fn base(steps: Value) -> Value {
    json!({
        "seed": 4,
        "acquisition": {"frames": 40, "fov_px": [64, 64], "pixel_um": 2.0},
        "steps": steps
    })
}

/// Cells per population ~ Poisson(ρ · area · thickness) over the placement region
/// (the canvas plus two soma radii on each side); without a hard core no candidate is
/// rejected, so the count is exactly Poisson. Summed over seeds: within 5 SD.
#[test]
fn population_counts_match_density_times_volume() {
    let (mut a, mut b) = (0usize, 0usize);
    let seeds = 8;
    let mut expected = (0.0, 0.0);
    for seed in 0..seeds {
        let mut spec = base(json!([
            {"kind": "place_neurons", "min_separation_um": 0.0, "soma_radius_mean_um": 5.0,
             "populations": [
                {"name": "thin", "density_per_mm3": 30000.0, "depth_range_um": [100.0, 110.0]},
                {"name": "deep", "density_per_mm3": 8000.0, "depth_range_um": [150.0, 250.0], "soma_radius_mean_um": 8.0}
             ]},
            {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"}
        ]));
        spec["seed"] = json!(seed);
        let rec = run(spec);
        let c = &rec.truth.cells;
        a += c.population.iter().filter(|&&p| p == 0).count();
        b += c.population.iter().filter(|&&p| p == 1).count();
        // Depths lie in their ranges; z is measured from the focal plane (150 µm).
        for i in 0..c.len() {
            let (lo, hi) = if c.population[i] == 0 {
                (100.0, 110.0)
            } else {
                (150.0, 250.0)
            };
            assert!((lo..=hi).contains(&c.depth_um[i]), "{}", c.depth_um[i]);
            assert!((c.z_um[i] - (c.depth_um[i] - 150.0)).abs() < 1e-9);
        }
        let side = 64.0 * 2.0;
        let area = |r: f64| (side + 4.0 * r) * (side + 4.0 * r) * 1e-6;
        expected.0 += 30000.0 * area(5.0) * 0.010;
        expected.1 += 8000.0 * area(8.0) * 0.100;
    }
    for (got, want) in [(a as f64, expected.0), (b as f64, expected.1)] {
        assert!((got - want).abs() < 5.0 * want.sqrt(), "{got} vs {want}");
    }
}

#[test]
fn explicit_positions_are_placed_exactly() {
    let rec = run(base(json!([
        {"kind": "place_neurons", "populations": [
            {"positions_um": [[150.0, 20.0, 30.0], [170.0, 64.0, 100.0]], "expression_scale": 2.0}
        ]},
        {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"}
    ])));
    let c = &rec.truth.cells;
    assert_eq!(c.len(), 2);
    assert_eq!((c.y_um[0], c.x_um[0], c.depth_um[0]), (20.0, 30.0, 150.0));
    assert_eq!((c.y_um[1], c.x_um[1], c.z_um[1]), (64.0, 100.0, 20.0));
}

/// Two layers: dense at 100–110 µm, sparse at 200–210 µm. "auto" focuses in the dense
/// layer, and rendering there yields more detectable cells than focusing on the other.
#[test]
fn auto_focus_picks_the_plane_with_the_most_detectable_cells() {
    let steps = |focal: Value| {
        let mut s = base(json!([
            {"kind": "place_neurons", "populations": [
                {"density_per_mm3": 40000.0, "depth_range_um": [100.0, 110.0]},
                {"density_per_mm3": 10000.0, "depth_range_um": [200.0, 210.0]}
            ]},
            {"kind": "spikes", "rate_median_hz": 2.0},
            {"kind": "calcium"},
            {"kind": "composite"},
            {"kind": "neuropil"},
            {"kind": "photon_field"},
            {"kind": "digitize"}
        ]));
        s["acquisition"]["frames"] = json!(100);
        s["acquisition"]["fov_px"] = json!([160, 160]);
        s["acquisition"]["optics"] = json!({"focal_depth_um": focal});
        s
    };
    let auto = run(steps(json!("auto")));
    let f = auto.truth.focal_depth_um;
    assert!((100.0..=110.0).contains(&f), "auto focus at {f} µm");
    let detectable = |r: &Recording| r.truth.cells.detectable.iter().filter(|&&d| d).count();
    let deep = run(steps(json!(205.0)));
    let at_auto = run(steps(json!(f)));
    assert_eq!(
        detectable(&at_auto),
        detectable(&auto),
        "auto = its own plane"
    );
    assert!(
        detectable(&auto) > detectable(&deep),
        "{} vs {}",
        detectable(&auto),
        detectable(&deep)
    );
}

/// With a Petzval radius R the focal surface is shallower by R − √(R² − r²) at r from
/// the axis, so each cell's z grows by exactly that sagitta.
#[test]
fn field_curvature_shifts_focus_by_the_sagitta() {
    let steps = json!([{"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"}]);
    let flat = run(base(steps.clone()));
    let mut curved = base(steps);
    curved["acquisition"]["optics"] = json!({"field_curvature_radius_um": 300.0});
    let curved = run(curved);
    let (a, b) = (&flat.truth.cells, &curved.truth.cells);
    assert_eq!(a.len(), b.len());
    let centre = 64.0; // µm: the FOV (and canvas, no motion) centre
    let mut max_shift: f64 = 0.0;
    for i in 0..a.len() {
        let r = (a.x_um[i] - centre).hypot(a.y_um[i] - centre);
        let sag = 300.0 - (300.0f64 * 300.0 - r * r).sqrt();
        assert!((b.z_um[i] - a.z_um[i] - sag).abs() < 1e-9);
        assert_eq!(a.depth_um[i], b.depth_um[i]);
        max_shift = max_shift.max(sag);
    }
    assert!(max_shift > 10.0, "{max_shift}");
    // Off-axis cells lose focus: the mean focus weight drops.
    let mean = |w: &[f64]| w.iter().sum::<f64>() / w.len() as f64;
    assert!(mean(&b.focus_weight) < mean(&a.focus_weight));
}

#[test]
fn a_population_with_its_own_activity_fires_at_its_own_rate() {
    let rec = run(json!({
        "seed": 9,
        "acquisition": {"frames": 400, "fov_px": [64, 64], "pixel_um": 2.0},
        "steps": [
            {"kind": "place_neurons", "populations": [
                {"density_per_mm3": 20000.0},
                {"density_per_mm3": 20000.0, "activity": {"model": "two_state",
                    "two_state": {"quiescent_to_active_hz": 0.5, "active_to_quiescent_hz": 5.0, "active_rate_hz": 40.0}}}
            ]},
            {"kind": "spikes", "rate_median_hz": 0.1, "rate_sigma": 0.0, "burst_probability": 0.0,
             "ensembles": {"count": 0}}
        ]
    }));
    let t = &rec.truth;
    let duration = 400.0 / 20.0;
    let mean_rate = |pop: u32| {
        let cells: Vec<usize> = (0..t.cells.len())
            .filter(|&i| t.cells.population[i] == pop)
            .collect();
        cells.iter().map(|&i| t.spikes[i].len()).sum::<usize>() as f64
            / cells.len() as f64
            / duration
    };
    // Step cells: 0.1 Hz. Two-state cells: ≈ 40 Hz × 0.5/5.5 + 0.6 Hz × 5/5.5 ≈ 4.2 Hz.
    let (slow, fast) = (mean_rate(0), mean_rate(1));
    assert!(slow < 0.3, "{slow}");
    assert!((2.0..7.0).contains(&fast), "{fast}");
}

#[test]
fn trajectory_and_locomotion_models_drive_the_motion_truth() {
    let frames = 40;
    let path: Vec<[f64; 2]> = (0..frames)
        .map(|t| [0.1 * t as f64, -0.05 * t as f64])
        .collect();
    let mut spec = base(json!([
        {"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"},
        {"kind": "motion_crop", "model": "trajectory", "trajectory_um": path}
    ]));
    spec["acquisition"]["frames"] = json!(frames);
    let rec = run(spec);
    for (t, p) in path.iter().enumerate() {
        assert!((rec.truth.motion_px[[t, 0]] - p[0] / 2.0).abs() < 1e-12);
        assert!((rec.truth.motion_px[[t, 1]] - p[1] / 2.0).abs() < 1e-12);
    }
    let rec = run(base(json!([
        {"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"},
        {"kind": "motion_crop", "model": "locomotion", "locomotion": {"amplitude_um": 1.5}}
    ])));
    let m = &rec.truth.motion_px;
    let rms = (m.iter().map(|v| v * v).sum::<f64>() / frames as f64).sqrt() * 2.0;
    assert!((rms - 1.5).abs() < 1e-9, "{rms}");
}

#[test]
fn bad_anatomy_specs_name_the_field() {
    let err = |v: Value| Spec::from_value(v).unwrap_err().to_string();
    let mut s = base(json!([{"kind": "place_neurons"}]));
    s["acquisition"]["optics"] = json!({"focal_depth_um": "auto"});
    assert!(err(s).contains("acquisition.optics.focal_depth_um"));
    let mut s = base(json!([{"kind": "place_neurons"}]));
    s["acquisition"]["optics"] = json!({"focal_depth_um": "deep"});
    assert!(err(s).contains("focal_depth_um"));
    let s =
        base(json!([{"kind": "place_neurons", "populations": [{"depth_range_um": [50.0, 10.0]}]}]));
    assert!(err(s).contains("steps.place_neurons.populations[0].depth_range_um"));
    let s = base(
        json!([{"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"},
        {"kind": "motion_crop", "model": "trajectory", "trajectory_um": [[0.0, 0.0]]}]),
    );
    assert!(
        err(s).contains(
            "steps.motion_crop.trajectory_um: has 1 positions but acquisition.frames is 40"
        )
    );
    let s = base(
        json!([{"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"},
        {"kind": "motion_crop", "trajectory_um": [[0.0, 0.0]]}]),
    );
    assert!(err(s).contains("only used by model"));
    let s = base(
        json!([{"kind": "place_neurons"}, {"kind": "spikes", "two_state": {"grid_hz": 10.0}}]),
    );
    assert!(err(s).contains("steps.spikes.two_state.grid_hz"));
}

#[test]
fn populations_and_auto_focus_round_trip_through_json() {
    let mut s = base(json!([{"kind": "place_neurons", "populations": [
        {"name": "a", "depth_range_um": [100.0, 120.0], "calcium": {"indicator": "gcamp6s"}}
    ]}, {"kind": "spikes"}, {"kind": "calcium"}]));
    s["acquisition"]["optics"] =
        json!({"focal_depth_um": "auto", "field_curvature_radius_um": 2500.0});
    let spec = Spec::from_value(s).unwrap();
    let again = Spec::from_json(&spec.canonical_json()).unwrap();
    assert_eq!(again, spec);
    assert_eq!(again.cache_key(), spec.cache_key());
    assert!(
        spec.canonical_json()
            .contains("\"focal_depth_um\":\"auto\"")
    );
}

#[test]
fn anatomy_features_are_identical_for_any_chunk_size() {
    let spec = Spec::from_value(json!({
        "seed": 2,
        "acquisition": {"frames": 30, "fov_px": [48, 48], "pixel_um": 2.0,
                        "optics": {"focal_depth_um": "auto", "field_curvature_radius_um": 800.0}},
        "steps": [
            {"kind": "place_neurons", "populations": [
                {"depth_range_um": [90.0, 120.0], "morphology": "cytosolic", "irregularity": 0.5},
                {"depth_range_um": [140.0, 160.0], "activity": {"model": "two_state"},
                 "calcium": {"indicator": "gcamp6s"}}
            ]},
            {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"},
            {"kind": "motion_crop", "model": "locomotion"},
            {"kind": "photon_field"}, {"kind": "digitize"}
        ]
    }))
    .unwrap();
    let with = |chunk_frames| {
        simulate(
            &spec,
            &SimulateOptions {
                chunk_frames,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let a = with(1);
    assert_eq!(a, with(7));
    assert!(a.truth.cells.population.contains(&1));
}

/// Per-cell bleaching under constant light: with no activity the intact fraction is
/// q(t) = q∞ + (1 − q∞)·e^{−(k·E + 1/τ)t}, q∞ = (1/τ)/(k·E + 1/τ), with E the
/// excitation at the cell; with activity it follows the ODE integrated independently.
#[test]
fn per_cell_bleaching_follows_the_ode() {
    let (k, tau, edge) = (0.02, 50.0, 0.6);
    let spec = |rate: f64| {
        json!({
            "seed": 8,
            "acquisition": {"frames": 200, "fov_px": [64, 64], "pixel_um": 2.0, "frame_rate_hz": 10.0},
            "steps": [
                {"kind": "place_neurons"},
                {"kind": "spikes", "rate_median_hz": rate, "rate_sigma": 0.0, "burst_probability": 0.0, "ensembles": {"count": 0}},
                {"kind": "calcium"}, {"kind": "composite"},
                {"kind": "photon_field", "cell_bleaching": {"susceptibility_per_s": k, "turnover_tau_s": tau, "excitation_edge_ratio": edge}}
            ],
            "output": {"snapshot_stages": ["composite"]}
        })
    };
    let quiet = run(spec(1e-9));
    let t = &quiet.truth;
    assert_eq!(t.cell_bleach.dim(), (t.cells.len(), 200));
    let centre = 64.0;
    for c in 0..t.cells.len() {
        assert!(t.calcium_dff.row(c).iter().all(|&v| v == 0.0));
        let r = (t.cells.x_um[c] - centre).hypot(t.cells.y_um[c] - centre);
        let e = (1.0 - (1.0 - edge) * (r / 64.0).powi(2)).max(0.0);
        let rate = k * e + 1.0 / tau;
        let q_inf = (1.0 / tau) / rate;
        for f in [0usize, 50, 199] {
            let want = q_inf + (1.0 - q_inf) * (-rate * f as f64 / 10.0).exp();
            assert!(
                (t.cell_bleach[[c, f]] as f64 - want).abs() < 1e-6,
                "cell {c} frame {f}"
            );
        }
    }
    // Active cells bleach faster: compare with an RK4 integration of the ODE driven by
    // the recorded ΔF/F (constant within each frame).
    let busy = run(spec(2.0));
    let t = &busy.truth;
    let mut checked = 0;
    for c in 0..t.cells.len() {
        let r = (t.cells.x_um[c] - centre).hypot(t.cells.y_um[c] - centre);
        let e = (1.0 - (1.0 - edge) * (r / 64.0).powi(2)).max(0.0);
        let mut q = 1.0f64;
        for f in 0..199 {
            assert!(
                (t.cell_bleach[[c, f]] as f64 - q).abs() < 1e-5,
                "cell {c} frame {f}"
            );
            let d = t.calcium_dff[[c, f]] as f64;
            let dq = |q: f64| -k * e * (1.0 + d) * q + (1.0 - q) / tau;
            let h = 0.1 / 20.0;
            for _ in 0..20 {
                let (a, b) = (dq(q), dq(q + h / 2.0 * dq(q)));
                let cc = dq(q + h / 2.0 * b);
                let dd = dq(q + h * cc);
                q += h / 6.0 * (a + 2.0 * b + 2.0 * cc + dd);
            }
        }
        checked += usize::from(t.calcium_dff.row(c).iter().any(|&v| v > 0.1));
    }
    assert!(checked > 0);
    // The composite is Σ_c footprint_c · q_c · (1 + ΔF/F_c).
    let snap = busy.snapshot(minisim_spec::StepKind::Composite).unwrap();
    let fp = &t.footprints;
    for f in [10usize, 150] {
        let mut model = vec![0f64; 64 * 64];
        for c in 0..t.cells.len() {
            let scale = t.cell_bleach[[c, f]] as f64 * (1.0 + t.calcium_dff[[c, f]] as f64);
            for j in fp.indptr[c] as usize..fp.indptr[c + 1] as usize {
                model[fp.indices[j] as usize] += fp.data[j] as f64 * scale;
            }
        }
        for (p, &m) in model.iter().enumerate() {
            let got = snap[[f, p / 64, p % 64]] as f64;
            assert!(
                (got - m).abs() < 1e-4 * (1.0 + m),
                "frame {f} pixel {p}: {got} vs {m}"
            );
        }
    }
}

/// Vessel trees render through the pipeline; a layer at the focal plane is a crisp
/// dark pattern, the same layer 120 µm away a faint, wide shadow.
#[test]
fn vessel_tree_layers_are_blurred_by_their_depth() {
    let at = |depth: f64| {
        run(json!({
            "seed": 5,
            "acquisition": {"frames": 5, "fov_px": [96, 96], "pixel_um": 2.0},
            "steps": [
                {"kind": "place_neurons"}, {"kind": "spikes"}, {"kind": "calcium"}, {"kind": "composite"},
                {"kind": "vasculature", "vessels": 0, "vasomotion_amplitude": 0.0,
                 "layers": [{"depth_um": depth, "roots": 2, "root_diameter_um": 20.0}]}
            ]
        }))
    };
    let (sharp, deep) = (at(150.0), at(270.0));
    let min = |r: &Recording| r.truth.vessels.iter().cloned().fold(1.0, f32::min);
    let shaded = |r: &Recording| r.truth.vessels.iter().filter(|&&v| v < 0.98).count();
    assert!(min(&sharp) < 0.6, "{}", min(&sharp));
    assert!(
        min(&deep) > min(&sharp) + 0.1,
        "{} vs {}",
        min(&deep),
        min(&sharp)
    );
    assert!(shaded(&deep) > shaded(&sharp));
}
