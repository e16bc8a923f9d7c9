//! The eleven step kinds, their canonical order and what each requires.
//!
//! Invariant: `StepKind::ALL` is the canonical pipeline order; a spec holds each kind
//! at most once, sorted into this order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

mod calcium;
mod composite;
mod digitize;
mod dust;
mod leakage;
mod motion_crop;
mod neuropil;
mod photon_field;
mod place_neurons;
mod population;
mod spikes;
mod vasculature;
mod vignette;

pub use calcium::{Calcium, Indicator, Kinetics};
pub use composite::Composite;
pub use digitize::Digitize;
pub use dust::Dust;
pub use leakage::Leakage;
pub use motion_crop::{Interpolation, Locomotion, MotionCrop, MotionModel};
pub use neuropil::Neuropil;
pub use photon_field::{CellBleaching, PhotonField};
pub use place_neurons::{Morphology, PlaceNeurons};
pub use population::Population;
pub use spikes::{Ensembles, SpikeModel, Spikes, TwoState};
pub use vasculature::{Vasculature, VesselLayer};
pub use vignette::Vignette;

/// The table of step kinds: one line per kind, in canonical pipeline order.
///
/// `step_kind_table!(callback)` expands `callback! { … }` with one entry per kind,
/// `Variant(ParamsType) = "json_name", module_name, default = bool;` (the module name
/// is also the `Spec` getter and the `minisim-steps` module of the kind; `default`
/// says whether the kind is part of the default pipeline, the one a spec without
/// `steps` gets). Every per-kind dispatch in
/// the workspace is generated from this table, so adding a kind is one line here plus
/// its modules: nothing else compiles until every table-driven match covers it.
#[macro_export]
macro_rules! step_kind_table {
    ($callback:ident) => {
        $callback! {
            /// Somata in a slab around the focal plane.
            PlaceNeurons(PlaceNeurons) = "place_neurons", place_neurons, default = true;
            /// Spike trains.
            Spikes(Spikes) = "spikes", spikes, default = true;
            /// Indicator kinetics: spikes → ΔF/F.
            Calcium(Calcium) = "calcium", calcium, default = true;
            /// Cell footprints × fluorescence on the canvas.
            Composite(Composite) = "composite", composite, default = true;
            /// Smooth low-rank background.
            Neuropil(Neuropil) = "neuropil", neuropil, default = true;
            /// Absorbing vessels.
            Vasculature(Vasculature) = "vasculature", vasculature, default = true;
            /// Rigid motion and crop to the field of view.
            MotionCrop(MotionCrop) = "motion_crop", motion_crop, default = true;
            /// Radial falloff and aperture.
            Vignette(Vignette) = "vignette", vignette, default = true;
            /// Debris on the optics: static blurred dark spots (opt-in).
            Dust(Dust) = "dust", dust, default = false;
            /// Expected photoelectrons, bleaching, flicker.
            PhotonField(PhotonField) = "photon_field", photon_field, default = true;
            /// Dark current, hot pixels, bleed-through.
            Leakage(Leakage) = "leakage", leakage, default = true;
            /// The sensor: noise, gain, quantisation.
            Digitize(Digitize) = "digitize", digitize, default = true;
        }
    };
}

macro_rules! step_kinds {
    ($( $(#[$doc:meta])* $variant:ident($ty:ident) = $name:literal, $getter:ident, default = $in_default:literal; )*) => {
        /// A step kind: a stage of the pipeline. Ordered canonically.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum StepKind {
            $( $(#[$doc])* $variant, )*
        }

        /// One step of the pipeline with its parameters; tagged by `kind` in JSON.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Step {
            $( $(#[$doc])* $variant($ty), )*
        }

        impl StepKind {
            /// Every kind, in canonical pipeline order.
            pub const ALL: [StepKind; StepKind::COUNT] = [$(StepKind::$variant),*];

            /// Number of kinds.
            pub const COUNT: usize = [$($name),*].len();

            /// The kind's JSON name (`"place_neurons"`), also the step's name.
            pub fn name(self) -> &'static str {
                match self { $(StepKind::$variant => $name,)* }
            }

            /// True for kinds of the default pipeline (what `{}` renders); the others
            /// are opt-in.
            pub fn in_default_pipeline(self) -> bool {
                match self { $(StepKind::$variant => $in_default,)* }
            }

            /// Position of the kind in canonical order (`ALL[k.index()] == k`).
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The step with this kind's default parameters.
            pub fn default_step(self) -> Step {
                match self { $(StepKind::$variant => Step::$variant($ty::default()),)* }
            }
        }

        impl Step {
            /// This step's kind.
            pub fn kind(&self) -> StepKind {
                match self { $(Step::$variant(_) => StepKind::$variant,)* }
            }

            pub(crate) fn validate(&self, v: &mut Validator) {
                match self { $(Step::$variant(p) => p.validate(v),)* }
            }

            pub(crate) fn from_value(kind: StepKind, value: serde_json::Value)
                -> Result<Step, serde_path_to_error::Error<serde_json::Error>> {
                Ok(match kind {
                    $(StepKind::$variant => Step::$variant(serde_path_to_error::deserialize(value)?),)*
                })
            }
        }

        impl crate::Spec {
            $(
                #[doc = concat!("The `", $name, "` step's parameters, if the spec has it.")]
                pub fn $getter(&self) -> Option<&$ty> {
                    self.steps().iter().find_map(|s| if let Step::$variant(p) = s { Some(p) } else { None })
                }
            )*
        }
    };
}

step_kind_table!(step_kinds);

/// Kinds that paint a movie on the canvas; the image-processing stages need one.
const MOVIE_SOURCES: [StepKind; 2] = [StepKind::Composite, StepKind::Neuropil];

/// What a kind needs earlier in the pipeline.
pub enum Requirement {
    /// Nothing.
    None,
    /// Every one of these kinds.
    All(&'static [StepKind]),
    /// At least one of these kinds.
    Any(&'static [StepKind]),
}

impl StepKind {
    /// The default pipeline: every kind with `default = true` in the table, in
    /// canonical order, at its default parameters.
    pub fn default_pipeline() -> Vec<Step> {
        StepKind::ALL
            .into_iter()
            .filter(|k| k.in_default_pipeline())
            .map(StepKind::default_step)
            .collect()
    }

    /// What this kind requires earlier in the spec.
    pub fn requires(self) -> Requirement {
        use StepKind::*;
        match self {
            PlaceNeurons | Neuropil => Requirement::None,
            Spikes => Requirement::All(&[PlaceNeurons]),
            Calcium => Requirement::All(&[Spikes]),
            Composite => Requirement::All(&[PlaceNeurons, Calcium]),
            Vasculature | MotionCrop | Vignette | Dust | PhotonField => {
                Requirement::Any(&MOVIE_SOURCES)
            }
            Leakage | Digitize => Requirement::All(&[PhotonField]),
        }
    }

    /// True for kinds whose output is a movie (every kind from `composite` on).
    pub fn makes_movie(self) -> bool {
        self >= StepKind::Composite
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for a string that names no step kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown step kind \"{name}\"; expected one of {list}", name = .0, list = kind_list())]
pub struct UnknownKind(pub String);

/// Comma-separated list of every kind name, in canonical order.
pub fn kind_list() -> String {
    StepKind::ALL
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for StepKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StepKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}
