//! Named specs shipped with minisim (`presets/*.json` at the repository root, embedded
//! at compile time). A preset file is an ordinary, possibly partial, spec.
//!
//! Scope × region presets: a scope fragment (`presets/scopes/`: sensor, optics, light)
//! and a region fragment (`presets/regions/`: anatomy, activity, indicator, motion) are
//! deep-merged into one spec, `"SCOPE+REGION"` (steps merged by kind). A field set by
//! both fragments is an error, so neither silently overrides the other.

use serde_json::{Map, Value};

use crate::Spec;
use crate::error::SpecError;

/// A named spec.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// Name used with `--preset`.
    pub name: &'static str,
    /// One line on what it is for.
    pub description: &'static str,
    /// The JSON text of the preset file.
    pub json: &'static str,
}

/// Every preset, in display order.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "default",
        description: "the built-in default: 256×256 px, 20 Hz, 1000 frames, every step (8-bit sensor)",
        json: include_str!("../../../presets/default.json"),
    },
    Preset {
        name: "quick",
        description: "the default shortened to 128×128 px × 200 frames, for demos and smoke tests",
        json: include_str!("../../../presets/quick.json"),
    },
    Preset {
        name: "ucla-v4",
        description: "UCLA Miniscope v4: PYTHON-480 sensor, 608×608 px over ≈ 1 mm, NA 0.35 class, 30 Hz, 8-bit stream",
        json: include_str!("../../../presets/ucla-v4.json"),
    },
    Preset {
        name: "ucla-v3",
        description: "UCLA Miniscope v3: MT9V032 sensor, 752×480 px over ≈ 700×450 µm, 30 Hz, 10-bit",
        json: include_str!("../../../presets/ucla-v3.json"),
    },
    Preset {
        name: "nvista3",
        description: "Inscopix nVista 3 class: 1280×800 px at 0.75 µm/px, 20 Hz, 12-bit",
        json: include_str!("../../../presets/nvista3.json"),
    },
    Preset {
        name: "wireless",
        description: "wire-free miniscope class: 200×200 px, 15 Hz, 8-bit, strong row noise",
        json: include_str!("../../../presets/wireless.json"),
    },
    Preset {
        name: "ideal",
        description: "no motion, vessels, bleaching, flicker or sensor noise beyond shot noise; 16-bit, 1 DN/e⁻ (algorithm debugging)",
        json: include_str!("../../../presets/ideal.json"),
    },
];

/// Scope fragments for `SCOPE+REGION` presets: hardware only.
pub const SCOPES: &[Preset] = &[
    Preset {
        name: "miniscope-v4",
        description: "UCLA Miniscope v4: 608×608 px at 1.65 µm, 30 Hz, NA 0.35, field curvature, 8-bit ADC stream",
        json: include_str!("../../../presets/scopes/miniscope-v4.json"),
    },
    Preset {
        name: "miniscope-v3",
        description: "UCLA Miniscope v3: 752×480 px at 0.93 µm, 30 Hz, NA 0.45, 10-bit",
        json: include_str!("../../../presets/scopes/miniscope-v3.json"),
    },
    Preset {
        name: "nvista3",
        description: "Inscopix nVista 3 class: 1280×800 px at 0.75 µm, 20 Hz, NA 0.5, 12-bit",
        json: include_str!("../../../presets/scopes/nvista3.json"),
    },
    Preset {
        name: "generic-1p",
        description: "a generic one-photon scope: 512×512 px at 1.2 µm, 20 Hz, NA 0.4, 12-bit",
        json: include_str!("../../../presets/scopes/generic-1p.json"),
    },
];

/// Region fragments for `SCOPE+REGION` presets: tissue and activity only.
pub const REGIONS: &[Preset] = &[
    Preset {
        name: "ca1",
        description: "hippocampal CA1 pyramidal layer: dense somata, complex-spike bursts, GCaMP6f, freely moving",
        json: include_str!("../../../presets/regions/ca1.json"),
    },
    Preset {
        name: "cortex-l23",
        description: "cortical layer 2/3: cytosolic GCaMP6s with dendrites, sparse firing, surface vessel trees, locomotion",
        json: include_str!("../../../presets/regions/cortex-l23.json"),
    },
    Preset {
        name: "striatum",
        description: "dorsal striatum: very dense small SPNs, two-state (up/down) activity, GCaMP6f",
        json: include_str!("../../../presets/regions/striatum.json"),
    },
];

/// The names of every preset, comma-separated, with the `SCOPE+REGION` form.
pub fn preset_names() -> String {
    let names = |list: &[Preset]| list.iter().map(|p| p.name).collect::<Vec<_>>().join("|");
    let flat = PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{flat}, or SCOPE+REGION with SCOPE = {} and REGION = {}",
        names(SCOPES),
        names(REGIONS)
    )
}

fn parse_fragment(p: &Preset) -> Value {
    serde_json::from_str(p.json).expect("embedded preset fragments are JSON (tested)")
}

/// Deep-merge `b` into `a`; `steps` lists merge by `kind`. A leaf set by both to
/// different values is a conflict, reported with its dotted path.
fn merge(a: &mut Value, b: Value, path: &str, conflicts: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in y {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k == "steps" {
                    let mut by_kind = steps_by_kind(x.remove("steps").unwrap_or(Value::Null));
                    for (kind, step) in steps_by_kind(v) {
                        match by_kind.get_mut(&kind) {
                            Some(existing) => {
                                merge(existing, step, &format!("steps.{kind}"), conflicts)
                            }
                            None => {
                                by_kind.insert(kind, step);
                            }
                        }
                    }
                    x.insert(
                        "steps".into(),
                        Value::Array(by_kind.into_values().collect()),
                    );
                    continue;
                }
                match x.get_mut(&k) {
                    Some(existing) => merge(existing, v, &here, conflicts),
                    None => {
                        x.insert(k, v);
                    }
                }
            }
        }
        (a, b) => {
            if *a != b {
                conflicts.push(path.to_owned());
            }
        }
    }
}

fn steps_by_kind(v: Value) -> Map<String, Value> {
    let mut out = Map::new();
    for step in v.as_array().cloned().unwrap_or_default() {
        let kind = step["kind"].as_str().unwrap_or_default().to_owned();
        out.insert(kind, step);
    }
    out
}

impl Spec {
    /// The preset `name` as a validated spec: a named preset, or `"SCOPE+REGION"`.
    pub fn preset(name: &str) -> Result<Spec, SpecError> {
        if let Some((scope, region)) = name.split_once('+') {
            return Spec::scope_region(scope, region);
        }
        let preset = PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
            SpecError::at(
                "preset",
                format!("unknown preset \"{name}\"; available: {}", preset_names()),
            )
        })?;
        Spec::from_json(preset.json)
    }

    /// The spec of `scope` (hardware) imaging `region` (tissue and activity).
    pub fn scope_region(scope: &str, region: &str) -> Result<Spec, SpecError> {
        let find = |list: &[Preset], name: &str, what: &str| {
            list.iter()
                .find(|p| p.name == name)
                .copied()
                .ok_or_else(|| {
                    SpecError::at(
                        "preset",
                        format!(
                            "unknown {what} \"{name}\"; available: {}",
                            list.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
                        ),
                    )
                })
        };
        let (s, r) = (
            find(SCOPES, scope, "scope")?,
            find(REGIONS, region, "region")?,
        );
        let mut spec = parse_fragment(&s);
        let mut conflicts = Vec::new();
        merge(&mut spec, parse_fragment(&r), "", &mut conflicts);
        if let Some(path) = conflicts.first() {
            return Err(SpecError::at(
                "preset",
                format!("scope \"{scope}\" and region \"{region}\" both set {path}"),
            ));
        }
        Spec::from_value(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_a_valid_spec() {
        for p in PRESETS {
            Spec::preset(p.name).unwrap_or_else(|e| panic!("preset {}: {e}", p.name));
        }
        assert_eq!(Spec::preset("default").unwrap(), Spec::default());
        let err = Spec::preset("nope").unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown preset \"nope\"; available: default"),
            "{err}"
        );
    }

    #[test]
    fn every_scope_and_region_composes_without_conflicts() {
        for s in SCOPES {
            for r in REGIONS {
                let name = format!("{}+{}", s.name, r.name);
                let spec = Spec::preset(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
                // Hardware from the scope, tissue from the region.
                let scope: Value = serde_json::from_str(s.json).unwrap();
                let fov = &scope["acquisition"]["fov_px"];
                assert_eq!(serde_json::json!(spec.acquisition().fov_px), *fov, "{name}");
                assert!(
                    spec.digitize().is_some() && spec.place_neurons().is_some(),
                    "{name}"
                );
            }
        }
        let v4 = Spec::preset("miniscope-v4+ca1").unwrap();
        assert_eq!(v4.digitize().unwrap().bit_depth, 8);
        assert_eq!(v4.place_neurons().unwrap().density_per_mm3, 25000.0);
        let err = Spec::preset("miniscope-v9+ca1").unwrap_err().to_string();
        assert!(
            err.contains("unknown scope \"miniscope-v9\"; available: miniscope-v4"),
            "{err}"
        );
        let err = Spec::preset("nvista3+hippocampus").unwrap_err().to_string();
        assert!(err.contains("unknown region \"hippocampus\""), "{err}");
    }

    /// No preset or combination flickers like no LED does: the excitation flicker
    /// stays below 1 % (docs/physics.md, steps.photon_field).
    #[test]
    fn no_preset_has_non_physical_flicker() {
        let mut names: Vec<String> = PRESETS.iter().map(|p| p.name.to_owned()).collect();
        for s in SCOPES {
            for r in REGIONS {
                names.push(format!("{}+{}", s.name, r.name));
            }
        }
        for name in names {
            let spec = Spec::preset(&name).unwrap();
            if let Some(p) = spec.photon_field() {
                assert!(p.flicker_sd < 0.01, "{name}: flicker_sd {}", p.flicker_sd);
            }
        }
    }

    #[test]
    fn a_field_set_by_both_fragments_is_a_conflict() {
        let mut a = serde_json::json!({"steps": [{"kind": "digitize", "bit_depth": 8}]});
        let b = serde_json::json!({"steps": [{"kind": "digitize", "bit_depth": 10}, {"kind": "spikes"}]});
        let mut conflicts = Vec::new();
        merge(&mut a, b, "", &mut conflicts);
        assert_eq!(conflicts, vec!["steps.digitize.bit_depth".to_owned()]);
    }
}
