//! Golden hashes of rendered output. If one fails, the output of an unchanged spec
//! changed: bump MODEL_VERSION and refresh with `UPDATE_EXPECT=1` in the same commit.
//!
//! - `default_observed.txt`: the default spec's observed counts, whole (1000 frames).
//! - `presets.txt`: every preset, every scope × region combination, the example specs
//!   and `tests/data/features.json` (every opt-in feature the presets leave off), each
//!   rendered for 4 frames with the field of view cropped to at most 256 px per side
//!   (pixel size, optics and every other field native), then the blake3 of the observed
//!   movie and of every ground-truth array.

use minisim_render::{Movie, Recording, SimulateOptions, simulate};
use minisim_spec::{MODEL_VERSION, REGIONS, SCOPES, Spec};
use minisim_testkit::{assert_golden, golden_path};
use rayon::prelude::*;
use serde_json::json;

#[test]
fn default_spec_observed_counts_are_golden() {
    let spec = Spec::default();
    let rec = simulate(&spec, &SimulateOptions::default()).unwrap();
    let Movie::Counts(c) = &rec.observed else {
        panic!("default spec has a sensor")
    };
    let actual = format!(
        "model {MODEL_VERSION}\nspec {}\nshape {:?}\nobserved {}\n",
        spec.cache_key(),
        c.shape(),
        blake3_hex(c.iter().map(|v| v.to_le_bytes()))
    );
    assert_golden(
        &golden_path(env!("CARGO_MANIFEST_DIR"), "default_observed.txt"),
        &actual,
    );
}

/// Frames and largest side of every golden case.
const FRAMES: u64 = 4;
const MAX_SIDE: u32 = 256;

fn cases() -> Vec<(String, Spec)> {
    let mut out: Vec<(String, Spec)> = minisim_spec::PRESETS
        .iter()
        .map(|p| (p.name.to_owned(), Spec::preset(p.name).unwrap()))
        .collect();
    for s in SCOPES {
        for r in REGIONS {
            let name = format!("{}+{}", s.name, r.name);
            let spec = Spec::preset(&name).unwrap();
            out.push((name, spec));
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for file in [
        "examples/specs/small.json",
        "examples/specs/gcamp8m-fast.json",
        "examples/specs/layered.json",
        "crates/minisim-render/tests/data/features.json",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        out.push((file.to_owned(), Spec::from_json(&text).unwrap()));
    }
    out.into_iter()
        .map(|(name, spec)| {
            let [h, w] = spec.acquisition().fov_px;
            let spec = spec
                .with_override("acquisition.frames", json!(FRAMES))
                .unwrap()
                .with_override(
                    "acquisition.fov_px",
                    json!([h.min(MAX_SIDE), w.min(MAX_SIDE)]),
                )
                .unwrap();
            (format!("{name} (native fov [{h}, {w}])"), spec)
        })
        .collect()
}

#[test]
fn every_preset_and_scope_region_is_golden() {
    let cases = cases();
    let blocks: Vec<String> = cases
        .par_iter()
        .map(|(name, spec)| {
            let rec = simulate(spec, &SimulateOptions::default()).unwrap();
            format!("## {name}\n{}", digest(&rec))
        })
        .collect();
    let actual = format!(
        "# model {MODEL_VERSION}; {FRAMES} frames, fov cropped to ≤ {MAX_SIDE} px per side; \
         name dtype shape blake3 per array\n\n{}",
        blocks.join("\n")
    );
    assert_golden(
        &golden_path(env!("CARGO_MANIFEST_DIR"), "presets.txt"),
        &actual,
    );
}

/// One line per array of the recording: name, dtype, shape, blake3 of its
/// little-endian elements.
fn digest(rec: &Recording) -> String {
    let mut lines = vec![format!("key {}", rec.cache_key)];
    let mut put = |name: &str, dtype: &str, shape: &[usize], hash: String| {
        lines.push(format!("{name} {dtype} {shape:?} {hash}"));
    };
    match &rec.observed {
        Movie::Counts(a) => put(
            "observed",
            "u16",
            a.shape(),
            hash_elements(a.iter().map(|v| v.to_le_bytes())),
        ),
        Movie::Intensity(a) => put(
            "observed",
            "f32",
            a.shape(),
            hash_elements(a.iter().map(|v| v.to_le_bytes())),
        ),
    }
    let t = &rec.truth;
    let c = &t.cells;
    macro_rules! column {
        ($name:literal, $v:expr, $ty:literal) => {
            put(
                $name,
                $ty,
                &[$v.len()],
                hash_elements($v.iter().map(|x| x.to_le_bytes())),
            )
        };
    }
    column!("cells_id", c.id, "u32");
    column!("cells_x_um", c.x_um, "f64");
    column!("cells_y_um", c.y_um, "f64");
    column!("cells_z_um", c.z_um, "f64");
    column!("cells_depth_um", c.depth_um, "f64");
    column!("cells_population", c.population, "u32");
    column!("cells_radius_um", c.radius_um, "f64");
    column!("cells_expression", c.expression, "f64");
    let in_fov: Vec<u8> = c.in_fov.iter().map(|&b| b as u8).collect();
    column!("cells_in_fov", in_fov, "bool");
    column!("cells_focus_weight", c.focus_weight, "f64");
    column!("cells_rate_hz", c.rate_hz, "f64");
    column!("cells_ensemble", c.ensemble, "i32");
    let in_focus: Vec<u8> = c.in_focus.iter().map(|&b| b as u8).collect();
    column!("cells_in_focus", in_focus, "bool");
    column!("cells_peak_dff", c.peak_dff, "f32");
    column!("cells_peak_snr", c.peak_snr, "f64");
    let detectable: Vec<u8> = c.detectable.iter().map(|&b| b as u8).collect();
    column!("cells_detectable", detectable, "bool");
    column!("footprints_indptr", t.footprints.indptr, "i64");
    column!("footprints_indices", t.footprints.indices, "i32");
    column!("footprints_data", t.footprints.data, "f32");
    let times: Vec<f64> = t.spikes.iter().flatten().copied().collect();
    let mut indptr = vec![0i64];
    for cell in &t.spikes {
        indptr.push(indptr.last().unwrap() + cell.len() as i64);
    }
    column!("spikes_times", times, "f64");
    column!("spikes_indptr", indptr, "i64");
    macro_rules! array {
        ($name:literal, $a:expr, $ty:literal) => {
            put(
                $name,
                $ty,
                $a.shape(),
                hash_elements($a.iter().map(|x| x.to_le_bytes())),
            )
        };
    }
    array!("calcium_dff", t.calcium_dff, "f32");
    array!("neuropil_components", t.neuropil_components, "f32");
    array!("neuropil_traces", t.neuropil_traces, "f32");
    array!("motion_px", t.motion_px, "f64");
    array!("vignette", t.vignette, "f32");
    array!("vessels", t.vessels, "f32");
    array!("leakage", t.leakage, "f32");
    array!("photon_gain", t.photon_gain, "f64");
    column!("focal_depth_um", [t.focal_depth_um], "f64");
    array!("cell_bleach", t.cell_bleach, "f32");
    lines.join("\n") + "\n"
}

/// Hex blake3 of a stream of little-endian elements.
fn blake3_hex<const N: usize>(bytes: impl Iterator<Item = [u8; N]>) -> String {
    let mut hasher = blake3::Hasher::new();
    for b in bytes {
        hasher.update(&b);
    }
    hasher.finalize().to_hex().to_string()
}

/// The first 128 bits of `blake3_hex`: enough to detect any change, short to review.
fn hash_elements<const N: usize>(bytes: impl Iterator<Item = [u8; N]>) -> String {
    blake3_hex(bytes)[..32].to_owned()
}
