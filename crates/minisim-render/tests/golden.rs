//! Golden hashes of rendered output. If one fails, the output of an unchanged spec
//! changed: bump MODEL_VERSION and refresh with `UPDATE_EXPECT=1` in the same commit.
//!
//! - `default_observed.txt`: the default spec's observed counts, whole (1000 frames).
//! - `presets.txt`: every preset, every scope × region combination, the example specs
//!   `tests/data/features.json` (every opt-in feature the presets leave off) and
//!   `tests/data/dust.json` (the opt-in `dust` kind), each
//!   rendered for 4 frames with the field of view cropped to at most 256 px per side
//!   (pixel size, optics and every other field native), then the blake3 of the observed
//!   movie and of every ground-truth array.

use minisim_render::{Movie, Recording, SimulateOptions, simulate};
use minisim_spec::{MODEL_VERSION, REGIONS, SCOPES, Spec};
use minisim_steps::truth::TruthArray;
use minisim_testkit::{assert_golden, golden_path};
use ndarray::CowArray;
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
        "crates/minisim-render/tests/data/dust.json",
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
    let observed = match &rec.observed {
        Movie::Counts(a) => TruthArray::U16(CowArray::from(a.view().into_dyn())),
        Movie::Intensity(a) => TruthArray::F32(CowArray::from(a.view().into_dyn())),
    };
    let arrays = std::iter::once(("observed", observed)).chain(rec.truth.arrays());
    for (name, a) in arrays {
        let hash = blake3::hash(&a.le_bytes()).to_hex();
        lines.push(format!(
            "{name} {} {:?} {}",
            a.dtype().name(),
            a.shape(),
            &hash[..32]
        ));
    }
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
