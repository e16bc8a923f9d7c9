//! docs/bounds.md is generated from the validator's own bounds, so the documentation
//! cannot drift from what validation checks (refresh with UPDATE_EXPECT=1).

use minisim_spec::{MAX_BLUR_PX, MAX_DEPTH_IN_LS, Spec};

#[test]
fn docs_bounds_md_lists_every_bound_the_validator_checks() {
    let bounds = Spec::bounds();
    // Every numeric field of the maximal spec has a bound (spot checks across kinds).
    for path in [
        "acquisition.frames",
        "acquisition.optics.na",
        "steps.place_neurons.populations[0].density_per_mm3",
        "steps.place_neurons.populations[0].activity.rate_sigma",
        "steps.calcium.decay_ms",
        "steps.vasculature.layers[0].branch_probability",
        "steps.photon_field.cell_bleaching.turnover_tau_s",
        "steps.dust.opacity[1]",
        "steps.digitize.bit_depth",
    ] {
        assert!(bounds.iter().any(|b| b.path == path), "no bound for {path}");
    }
    // The default spec lies inside every bound that applies to it.
    let default = Spec::default().to_value();
    for b in &bounds {
        if let Some(v) = lookup(&default, &b.path).and_then(serde_json::Value::as_f64) {
            assert!(b.contains(v), "default {} = {v} outside {b}", b.path);
        }
    }
    let mut md = String::from(
        "# Physical bounds of every numeric spec field\n\n\
         Generated from the validator (`Spec::bounds`, \
         `crates/minisim-spec/tests/bounds.rs`; refresh with `UPDATE_EXPECT=1 cargo test -p minisim-spec --test bounds`). \
         A value outside its interval is rejected with the path, the interval, the value and the reason. \
         Paths with `[0]` stand for every population, layer or position.\n\n\
         | field | valid | why |\n|---|---|---|\n",
    );
    for b in &bounds {
        let kind = if b.integer { " (integer)" } else { "" };
        md += &format!("| `{}` | {b}{kind} | {} |\n", b.path, b.reason);
    }
    md += &format!(
        "\n## Rules across fields\n\n\
         - `acquisition.optics.na` < `tissue_index` (the largest NA light in the tissue can have).\n\
         - `acquisition.exposure_ms` ≤ the frame period `1000 / frame_rate_hz`.\n\
         - `acquisition.optics.focal_depth_um` ≤ {MAX_DEPTH_IN_LS} × `scattering_length_um` (less than e^-{MAX_DEPTH_IN_LS} of the light is ballistic deeper); with `\"auto\"`, the deepest cell's depth too.\n\
         - The farthest cell from focus (the slab, or each population's depths) must be blurred by at most {MAX_BLUR_PX} px (σ of the PSF = √((0.21·λ/NA)² + aberration² + (|z|·tan(asin(NA/n))/2)²) over `pixel_um`), and the soma radius must be at most {} px: footprints are rasterised at full resolution.\n\
         - The soma diameter must fit in the field of view; `soma_radius_sd_um` ≤ `soma_radius_mean_um`.\n\
         - `steps.calcium.decay_ms` ≥ 1.5 × `rise_ms` (effective kinetics, preset or explicit): the double-exponential kernel degenerates as the decay approaches the rise; per-cell variation is then truncated at the same ratio (docs/physics.md).\n\
         - `steps.spikes.burst_isi_ms` ≥ `refractory_ms`; `rate_median_hz` < ½ × 1000 / `refractory_ms`; `two_state.grid_hz` ≥ `active_rate_hz`.\n\
         - `steps.vasculature.width_max_um` ≥ `width_min_um`; each layer's `min_diameter_um` < `root_diameter_um`, `main_share` in (0.5, 1).\n\
         - `steps.motion_crop.trajectory_um` holds one position per frame, each within ±`max_shift_um`.\n\
         - `steps.dust.opacity` is `[min, max]` with min ≤ max.\n\
         - `output.snapshot_stages` lists each stage once, each a movie stage of the spec.\n\
         - No JSON object may repeat a key.\n",
        4.0 * MAX_BLUR_PX
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/bounds.md");
    minisim_testkit::assert_golden(&path, &md);
}

/// The value at a bound's path (`a.b[0].c`, `x[1]`) in a JSON document whose `steps`
/// is a list of `{"kind": …}` objects.
fn lookup<'a>(doc: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut at = doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let (name, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        at = if name == "steps" {
            let kind = parts.next()?;
            let (kind, rest) = match kind.find('[') {
                Some(i) => (&kind[..i], &kind[i..]),
                None => (kind, ""),
            };
            let step = at
                .get("steps")?
                .as_array()?
                .iter()
                .find(|s| s["kind"] == kind)?;
            index(step, rest)?
        } else {
            index(at.get(name)?, indices)?
        };
    }
    Some(at)
}

fn index<'a>(mut v: &'a serde_json::Value, indices: &str) -> Option<&'a serde_json::Value> {
    for i in indices.split('[').filter(|s| !s.is_empty()) {
        v = v.get(i.trim_end_matches(']').parse::<usize>().ok()?)?;
    }
    Some(v)
}
