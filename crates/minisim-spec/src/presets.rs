//! Named specs shipped with minisim (`presets/*.json` at the repository root, embedded
//! at compile time). A preset file is an ordinary, possibly partial, spec.

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

/// The names of every preset, comma-separated.
pub fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Spec {
    /// The preset `name` as a validated spec.
    pub fn preset(name: &str) -> Result<Spec, SpecError> {
        let preset = PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
            SpecError::at(
                "preset",
                format!("unknown preset \"{name}\"; available: {}", preset_names()),
            )
        })?;
        Spec::from_json(preset.json)
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
}
