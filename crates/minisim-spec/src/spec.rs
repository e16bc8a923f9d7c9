//! `Spec`: a validated, canonically ordered recording description.
//!
//! Invariant: every `Spec` value has passed `validate`. The only ways to make one are
//! `Spec::new` (from a `SpecDraft`), parsing (`from_json`, `from_value`, serde) and
//! overrides, and they all run the same validator.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Issue, SpecError};
use crate::steps::{Requirement, Step, StepKind};
use crate::validate::{Bound, Validator};
use crate::{Acquisition, Export, MODEL_VERSION};

/// What the recording keeps besides the observed movie.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Output {
    /// Stages whose movie (cropped to the FOV) is kept in the recording.
    pub snapshot_stages: Vec<StepKind>,
    /// Vendor export of the observed frames (binning, resampling, motion correction,
    /// stored type). Default `null`: the sensor's frames as they are.
    pub export: Option<Export>,
}

/// The editable, unvalidated form of a spec. Turn it into a `Spec` with `Spec::new`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecDraft {
    /// Seed of every random stream of the recording.
    pub seed: u64,
    /// Timing, field of view and optics.
    pub acquisition: Acquisition,
    /// The pipeline steps, in any order.
    pub steps: Vec<Step>,
    /// What to keep.
    pub output: Output,
}

/// A validated recording description: seed, acquisition, steps in canonical order,
/// output. Equal specs render equal bits.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    draft: SpecDraft,
}

impl Default for Spec {
    /// A credible 256×256, 20 Hz, 1000-frame one-photon recording with every step at
    /// its default.
    fn default() -> Self {
        let draft = SpecDraft {
            seed: 0,
            acquisition: Acquisition::default(),
            steps: StepKind::default_pipeline(),
            output: Output::default(),
        };
        Spec::new(draft).expect("the default spec is valid")
    }
}

impl Spec {
    /// Validate a draft and sort its steps into canonical order.
    pub fn new(mut draft: SpecDraft) -> Result<Spec, SpecError> {
        draft.steps.sort_by_key(Step::kind);
        validate(&draft)?;
        Ok(Spec { draft })
    }

    /// The seed of every random stream.
    pub fn seed(&self) -> u64 {
        self.draft.seed
    }

    /// Timing, field of view and optics.
    pub fn acquisition(&self) -> &Acquisition {
        &self.draft.acquisition
    }

    /// Steps in canonical order.
    pub fn steps(&self) -> &[Step] {
        &self.draft.steps
    }

    /// What the recording keeps.
    pub fn output(&self) -> &Output {
        &self.draft.output
    }

    /// The vendor export, if any.
    pub fn export(&self) -> Option<&Export> {
        self.draft.output.export.as_ref()
    }

    /// Size `[height, width]` of the observed frames: the FOV, or the export's output.
    pub fn observed_dims(&self) -> [u32; 2] {
        let a = &self.draft.acquisition;
        self.export()
            .map_or(a.fov_px, |e| e.dims(a.fov_px, a.pixel_um))
    }

    /// Pixel size of the observed frames, µm.
    pub fn observed_pixel_um(&self) -> f64 {
        let a = &self.draft.acquisition;
        self.export().map_or(a.pixel_um, |e| e.pixel_um(a.pixel_um))
    }

    /// True if the spec has a step of this kind.
    pub fn has(&self, kind: StepKind) -> bool {
        self.draft.steps.iter().any(|s| s.kind() == kind)
    }

    /// The kinds present, in canonical order.
    pub fn kinds(&self) -> Vec<StepKind> {
        self.draft.steps.iter().map(Step::kind).collect()
    }

    /// A copy of the draft, to edit and pass back to `Spec::new`.
    pub fn to_draft(&self) -> SpecDraft {
        self.draft.clone()
    }

    /// The draft, consuming the spec.
    pub fn into_draft(self) -> SpecDraft {
        self.draft
    }

    /// Parse and validate JSON text.
    pub fn from_json(text: &str) -> Result<Spec, SpecError> {
        let value: Value = serde_json::from_str(text).map_err(|e| SpecError::Syntax {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        crate::duplicates::check(text)?;
        Spec::from_value(value)
    }

    /// Build from a JSON value, with path-precise errors. A missing `steps` key means
    /// the default pipeline; any other missing field takes its default.
    pub fn from_value(value: Value) -> Result<Spec, SpecError> {
        Spec::new(draft_from_value(value)?)
    }

    /// The canonical JSON value: sorted steps, every default filled in, keys sorted.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(&self.draft).expect("a spec always serialises")
    }

    /// Pretty canonical JSON, for people.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).expect("a value always prints")
    }

    /// Compact canonical JSON: the text the cache key hashes. Floats are printed in
    /// shortest round-trip form, keys in sorted order.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(&self.to_value()).expect("a value always prints")
    }

    /// Hex blake3 of the canonical JSON salted with `MODEL_VERSION`: equal keys mean
    /// equal recordings.
    pub fn cache_key(&self) -> String {
        self.cache_key_for_model(MODEL_VERSION)
    }

    /// The cache key this spec had (or would have) under another model version; used
    /// to verify recordings saved by other builds.
    pub fn cache_key_for_model(&self, model_version: u32) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(format!("minisim model {model_version}\n").as_bytes());
        hasher.update(self.canonical_json().as_bytes());
        hasher.finalize().to_hex().to_string()
    }
}

impl Serialize for Spec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.draft.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Spec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Spec::from_value(value).map_err(serde::de::Error::custom)
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Deserialise `value` as `T`, reporting errors at `prefix` + the inner path.
fn parse_at<T: serde::de::DeserializeOwned>(prefix: &str, value: Value) -> Result<T, Issue> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner == ".") {
            (true, _) => inner,
            (false, true) => prefix.to_owned(),
            (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
            (false, false) => format!("{prefix}.{inner}"),
        };
        Issue::new(path, strip_position(&e.into_inner().to_string()))
    })
}

const TOP_LEVEL: [&str; 4] = ["seed", "acquisition", "steps", "output"];

pub(crate) fn draft_from_value(value: Value) -> Result<SpecDraft, SpecError> {
    let Value::Object(mut top) = value else {
        return Err(SpecError::at(
            "(root)",
            format!("expected a JSON object, got {}", type_name(&value)),
        ));
    };
    let mut issues = Vec::new();
    for key in top.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            issues.push(Issue::new(
                key.as_str(),
                format!(
                    "unknown field `{key}`, expected one of `{}`",
                    TOP_LEVEL.join("`, `")
                ),
            ));
        }
    }
    let mut take = |key: &str| top.remove(key);
    let seed = match take("seed") {
        None => Some(0),
        Some(v) => parse_at::<u64>("seed", v).map_err(|e| issues.push(e)).ok(),
    };
    let acquisition = match take("acquisition") {
        None => Some(Acquisition::default()),
        Some(v) => parse_at("acquisition", v).map_err(|e| issues.push(e)).ok(),
    };
    let output = match take("output") {
        None => Some(Output::default()),
        Some(v) => parse_at("output", v).map_err(|e| issues.push(e)).ok(),
    };
    let steps = match take("steps") {
        None => Some(StepKind::default_pipeline()),
        Some(v) => parse_steps(v, &mut issues),
    };
    match (seed, acquisition, steps, output) {
        (Some(seed), Some(acquisition), Some(steps), Some(output)) if issues.is_empty() => {
            Ok(SpecDraft {
                seed,
                acquisition,
                steps,
                output,
            })
        }
        _ => Err(SpecError::Invalid(issues)),
    }
}

fn parse_steps(value: Value, issues: &mut Vec<Issue>) -> Option<Vec<Step>> {
    let Value::Array(items) = value else {
        issues.push(Issue::new(
            "steps",
            format!("expected an array of steps, got {}", type_name(&value)),
        ));
        return None;
    };
    let before = issues.len();
    let mut steps = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let here = format!("steps[{i}]");
        let Value::Object(mut fields) = item else {
            issues.push(Issue::new(
                here,
                format!("expected a step object, got {}", type_name(&item)),
            ));
            continue;
        };
        let kind = match fields.remove("kind") {
            Some(Value::String(name)) => match name.parse::<StepKind>() {
                Ok(kind) => kind,
                Err(e) => {
                    issues.push(Issue::new(format!("{here}.kind"), e.to_string()));
                    continue;
                }
            },
            Some(other) => {
                issues.push(Issue::new(
                    format!("{here}.kind"),
                    format!("expected a step kind name, got {}", type_name(&other)),
                ));
                continue;
            }
            None => {
                issues.push(Issue::new(
                    format!("{here}.kind"),
                    "missing; every step names its kind",
                ));
                continue;
            }
        };
        // A step's name is its kind; accept it when it agrees.
        if let Some(name) = fields.remove("name")
            && name != Value::String(kind.name().to_owned())
        {
            issues.push(Issue::new(
                format!("steps.{kind}.name"),
                format!("a step's name is its kind \"{kind}\" (got {name})"),
            ));
        }
        match Step::from_value(kind, Value::Object(fields)) {
            Ok(step) => steps.push(step),
            Err(e) => {
                let inner = e.path().to_string();
                issues.push(Issue::new(
                    if inner == "." {
                        format!("steps.{kind}")
                    } else {
                        format!("steps.{kind}.{inner}")
                    },
                    strip_position(&e.into_inner().to_string()),
                ));
            }
        }
    }
    (issues.len() == before).then_some(steps)
}

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Largest defocus blur (σ of the ballistic PSF) a footprint may have, px: patches
/// are rasterised at full resolution, so wider blurs cost memory and time without
/// changing the image beyond a smooth haze (the neuropil's job).
pub const MAX_BLUR_PX: f64 = 100.0;

/// The rules that keep every cell renderable: the defocus blur of the farthest cell
/// from focus in pixels, and (with `"auto"` focus) the depth in scattering lengths.
fn representable(p: &crate::steps::PlaceNeurons, a: &Acquisition, v: &mut Validator) {
    let o = &a.optics;
    if !(o.na.is_finite() && o.tissue_index.is_finite() && o.na < o.tissue_index) {
        return;
    }
    // Depth ranges (below the surface) of every population, or the slab.
    let focal = o.focal_depth_um.um();
    let mut spans: Vec<(String, f64, f64)> = Vec::new();
    match &p.populations {
        Some(pops) => {
            for (i, q) in pops.iter().enumerate() {
                let at = format!("steps.place_neurons.populations[{i}]");
                if let Some(pos) = &q.positions_um {
                    let depths = pos.iter().map(|c| c[0]);
                    let lo = depths.clone().fold(f64::INFINITY, f64::min);
                    let hi = depths.fold(f64::NEG_INFINITY, f64::max);
                    if lo <= hi {
                        spans.push((format!("{at}.positions_um"), lo, hi));
                    }
                } else if let Some([lo, hi]) = q.depth_range_um {
                    spans.push((format!("{at}.depth_range_um"), lo, hi));
                } else {
                    let f = focal.unwrap_or(0.0);
                    spans.push((
                        "steps.place_neurons.slab_um".into(),
                        f - p.slab_um / 2.0,
                        f + p.slab_um / 2.0,
                    ));
                }
            }
        }
        None => {
            let f = focal.unwrap_or(0.0);
            spans.push((
                "steps.place_neurons.slab_um".into(),
                f - p.slab_um / 2.0,
                f + p.slab_um / 2.0,
            ));
        }
    }
    let all_lo = spans.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
    let all_hi = spans.iter().map(|s| s.2).fold(f64::NEG_INFINITY, f64::max);
    let ls = o.scattering_length_um;
    if focal.is_none()
        && all_hi.is_finite()
        && ls.is_finite()
        && all_hi / ls > crate::acquisition::MAX_DEPTH_IN_LS
    {
        v.fail(
            "acquisition.optics.focal_depth_um",
            format!(
                "\"auto\" may focus as deep as the deepest cell ({all_hi} µm), more than {} scattering lengths ({} µm); place the populations shallower",
                crate::acquisition::MAX_DEPTH_IN_LS,
                crate::acquisition::MAX_DEPTH_IN_LS * ls
            ),
        );
    }
    let tan = o.half_angle_rad().tan();
    let diffraction = 0.21 * o.emission_nm / 1000.0 / o.na;
    for (path, lo, hi) in &spans {
        // Farthest distance from the focal plane a cell of this span can have.
        let z = match focal {
            Some(f) => (f - lo).abs().max((hi - f).abs()),
            None => all_hi - all_lo,
        };
        let sigma_um =
            (diffraction.powi(2) + o.aberration_um.powi(2) + (z * tan / 2.0).powi(2)).sqrt();
        let sigma_px = sigma_um / a.pixel_um;
        if sigma_px.is_finite() && sigma_px > MAX_BLUR_PX {
            v.fail(
                path,
                format!(
                    "puts cells up to {z:.0} µm from focus, blurred over {sigma_px:.0} px (σ of the PSF at {} µm pixels); at most {MAX_BLUR_PX} px can be rendered: bring the cells closer to focus or use larger pixels",
                    a.pixel_um
                ),
            );
        }
    }
    let r_px = p.soma_radius_mean_um / a.pixel_um;
    if r_px.is_finite() && r_px > 4.0 * MAX_BLUR_PX {
        v.fail(
            "steps.place_neurons.soma_radius_mean_um",
            format!(
                "is {r_px:.0} px at {} µm pixels; at most {} px can be rendered: use larger pixels",
                a.pixel_um,
                4.0 * MAX_BLUR_PX
            ),
        );
    }
}

fn validate(draft: &SpecDraft) -> Result<(), SpecError> {
    let mut v = Validator::new();
    check(draft, &mut v);
    v.finish()
}

impl Spec {
    /// Every numeric field's valid interval with its reason, as validation checks it,
    /// at the paths of a spec with every optional block present (populations with
    /// every field, vessel layers, per-cell bleaching, explicit kinetics, `dust`).
    /// Cross-field rules (decay ≥ 1.5 × rise, na < tissue_index, the renderable blur)
    /// come on top; docs/bounds.md lists both.
    pub fn bounds() -> Vec<Bound> {
        use crate::steps::{Calcium, CellBleaching, Dust, Population, Spikes, VesselLayer};
        let mut draft = Spec::default().into_draft();
        draft.acquisition.exposure_ms = Some(10.0);
        draft.output.export = Some(crate::Export {
            pixel_um: Some(3.0),
            ..crate::Export::default()
        });
        draft.acquisition.optics.field_curvature_radius_um = Some(2000.0);
        let kinetics = |c: &mut Calcium| {
            c.rise_ms = Some(50.0);
            c.decay_ms = Some(500.0);
            c.dff_per_spike = Some(0.2);
        };
        for step in &mut draft.steps {
            match step {
                Step::PlaceNeurons(p) => {
                    let mut calcium = Calcium::default();
                    kinetics(&mut calcium);
                    p.populations = Some(vec![Population {
                        name: Some("all".into()),
                        density_per_mm3: Some(1e4),
                        depth_range_um: Some([100.0, 200.0]),
                        positions_um: Some(vec![[150.0, 10.0, 10.0]]),
                        soma_radius_mean_um: Some(6.0),
                        soma_radius_sd_um: Some(1.0),
                        soma_aspect_sd: Some(0.1),
                        nucleus_fraction: Some(0.5),
                        morphology: None,
                        irregularity: Some(0.0),
                        min_separation_um: Some(10.0),
                        expression_sigma: Some(0.4),
                        expression_scale: Some(1.0),
                        activity: Some(Spikes::default()),
                        calcium: Some(calcium),
                    }]);
                }
                Step::Calcium(c) => kinetics(c),
                Step::Vasculature(p) => {
                    p.layers = Some(vec![VesselLayer::default()]);
                    p.depth_um = Some(0.0);
                }
                Step::PhotonField(p) => p.cell_bleaching = Some(CellBleaching::default()),
                Step::Spikes(_)
                | Step::Composite(_)
                | Step::Neuropil(_)
                | Step::MotionCrop(_)
                | Step::Vignette(_)
                | Step::Dust(_)
                | Step::Leakage(_)
                | Step::Digitize(_) => {}
            }
        }
        draft.steps.push(Step::Dust(Dust::default()));
        draft.steps.sort_by_key(Step::kind);
        let mut v = Validator::new();
        check(&draft, &mut v);
        v.bounds().to_vec()
    }
}

/// Run every rule of a draft through `v`.
fn check(draft: &SpecDraft, v: &mut Validator) {
    v.within("acquisition", |v| draft.acquisition.validate(v));

    let kinds: Vec<StepKind> = draft.steps.iter().map(Step::kind).collect();
    if kinds.is_empty() {
        v.fail("steps", "must hold at least one step");
    }
    let mut seen = BTreeSet::new();
    for &kind in &kinds {
        if !seen.insert(kind) {
            v.fail(
                &format!("steps.{kind}"),
                "appears more than once; each kind may appear at most once",
            );
        }
    }
    for &kind in &seen {
        let missing = match kind.requires() {
            Requirement::None => None,
            Requirement::All(needed) => needed
                .iter()
                .find(|k| !seen.contains(k))
                .map(|k| format!("requires the `{k}` step")),
            Requirement::Any(needed) => (!needed.iter().any(|k| seen.contains(k))).then(|| {
                let names: Vec<_> = needed.iter().map(|k| format!("`{k}`")).collect();
                format!("requires a movie step before it ({})", names.join(" or "))
            }),
        };
        if let Some(message) = missing {
            v.fail(&format!("steps.{kind}"), message);
        }
    }
    for step in &draft.steps {
        v.within(&format!("steps.{}", step.kind()), |v| step.validate(v));
    }
    if let Some(Step::PlaceNeurons(p)) = draft
        .steps
        .iter()
        .find(|s| s.kind() == StepKind::PlaceNeurons)
    {
        let fov_um = draft.acquisition.fov_um();
        let smallest = fov_um[0].min(fov_um[1]);
        let diameter = 2.0 * p.soma_radius_mean_um;
        if diameter.is_finite() && smallest.is_finite() && smallest > 0.0 && diameter > smallest {
            v.fail(
                "steps.place_neurons.soma_radius_mean_um",
                format!(
                    "soma diameter {diameter} µm is larger than the field of view ({smallest} µm across)"
                ),
            );
        }
    }
    if let Some(Step::MotionCrop(m)) = draft
        .steps
        .iter()
        .find(|s| s.kind() == StepKind::MotionCrop)
        && let Some(path) = &m.trajectory_um
        && path.len() as u64 != draft.acquisition.frames
    {
        v.fail(
            "steps.motion_crop.trajectory_um",
            format!(
                "has {} positions but acquisition.frames is {}",
                path.len(),
                draft.acquisition.frames
            ),
        );
    }
    if let Some(pops) = draft.steps.iter().find_map(|s| {
        if let Step::PlaceNeurons(p) = s {
            p.populations.as_ref()
        } else {
            None
        }
    }) {
        for (i, p) in pops.iter().enumerate() {
            for (set, kind) in [
                (p.activity.is_some(), StepKind::Spikes),
                (p.calcium.is_some(), StepKind::Calcium),
            ] {
                if set && !seen.contains(&kind) {
                    let field = if kind == StepKind::Spikes {
                        "activity"
                    } else {
                        "calcium"
                    };
                    v.fail(
                        &format!("steps.place_neurons.populations[{i}].{field}"),
                        format!("needs the `{kind}` step in the spec"),
                    );
                }
            }
        }
    }
    if let Some(Step::PlaceNeurons(p)) = draft
        .steps
        .iter()
        .find(|s| s.kind() == StepKind::PlaceNeurons)
    {
        representable(p, &draft.acquisition, v);
    }
    if draft.acquisition.optics.focal_depth_um == crate::FocalDepth::Auto {
        let placed = draft.steps.iter().find_map(|s| {
            if let Step::PlaceNeurons(p) = s {
                Some(p)
            } else {
                None
            }
        });
        let absolute = placed
            .and_then(|p| p.populations.as_ref())
            .is_some_and(|pops| {
                pops.iter()
                    .all(|p| p.depth_range_um.is_some() || p.positions_um.is_some())
            });
        if !absolute {
            v.fail(
                "acquisition.optics.focal_depth_um",
                "\"auto\" needs steps.place_neurons.populations that each give depth_range_um or positions_um (depths below the surface to focus on)",
            );
        }
    }
    if let Some(e) = &draft.output.export {
        let a = &draft.acquisition;
        v.within("output.export", |v| e.validate(a.fov_px, a.pixel_um, v));
    }
    for (i, stage) in draft.output.snapshot_stages.iter().enumerate() {
        if let Some(j) = draft.output.snapshot_stages[..i]
            .iter()
            .position(|s| s == stage)
        {
            v.fail(
                &format!("output.snapshot_stages[{i}]"),
                format!("stage `{stage}` is already listed at output.snapshot_stages[{j}]; list each stage once"),
            );
        } else if !seen.contains(stage) {
            v.fail(
                &format!("output.snapshot_stages[{i}]"),
                format!("stage `{stage}` is not a step of this spec"),
            );
        } else if !stage.makes_movie() {
            v.fail(
                &format!("output.snapshot_stages[{i}]"),
                format!("stage `{stage}` makes no movie; snapshots start at `composite`"),
            );
        }
    }
}
