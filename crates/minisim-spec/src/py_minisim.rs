//! Import of specs written for the Python minisim (miniscope/minisim v1.0.x).
//!
//! The translation maps every field whose meaning carries over into minisim's spec
//! and reports, one line each, the fields it cannot map (with the reason). Absent
//! py-minisim fields take py-minisim's defaults, so the imported spec describes the
//! same recording, not minisim's default one. Units: py-minisim gives times in s and
//! per-frame probabilities; minisim uses ms, Hz and rates. Coordinates: py-minisim's
//! lateral positions are relative to the optical axis (FOV centre); minisim's are from
//! the FOV's top-left edge. The import keeps the recording honest by switching off
//! minisim-only effects (global photobleaching, flicker, haemodynamic absorption, black
//! level, PRNU, row noise) that py-minisim does not model.
//!
//! Invariant: the result is a valid `Spec` (it is built through `Spec::from_value`)
//! plus the list of unmapped fields; nothing is dropped silently.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::SpecError;
use crate::py_focus::{self, Activity, Falloff, Layer, Scan};
use crate::spec::{Output, Spec, SpecDraft};
use crate::steps::{
    Calcium, CellBleaching, Composite, Digitize, Leakage, Locomotion, Morphology, MotionCrop,
    MotionModel, Neuropil, PhotonField, PlaceNeurons, Population, SpikeModel, Spikes, Step,
    StepKind, TwoState, Vasculature, VesselLayer, Vignette,
};
use crate::{Acquisition, FocalDepth, Optics};

/// A py-minisim field that has no counterpart, or only an approximate one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// Dotted path in the py-minisim spec (`steps.bleaching.turnover_tau_s`).
    pub path: String,
    /// Why it is not (or not exactly) carried over.
    pub reason: String,
}

impl fmt::Display for Unmapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// The imported spec and what could not be mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct PyImport {
    /// The translated, validated spec.
    pub spec: Spec,
    /// Fields not carried over, one per line of the report.
    pub unmapped: Vec<Unmapped>,
}

/// Reads one py-minisim object, remembering which keys were used.
struct Obj<'a> {
    path: String,
    map: Option<&'a Map<String, Value>>,
    used: Vec<&'static str>,
}

impl<'a> Obj<'a> {
    fn new(path: impl Into<String>, value: Option<&'a Value>) -> Result<Self, SpecError> {
        let path = path.into();
        let map = match value {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                return Err(SpecError::at(
                    &path,
                    format!("must be an object (got {other})"),
                ));
            }
        };
        Ok(Obj {
            path,
            map,
            used: Vec::new(),
        })
    }

    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.map.and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }

    fn is_set(&self, key: &str) -> bool {
        self.map
            .and_then(|m| m.get(key))
            .is_some_and(|v| !v.is_null())
    }

    fn num(&mut self, key: &'static str, default: f64) -> Result<f64, SpecError> {
        let path = self.at(key);
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| SpecError::at(path, format!("must be a number (got {v})"))),
        }
    }

    fn opt_num(&mut self, key: &'static str) -> Result<Option<f64>, SpecError> {
        let path = self.at(key);
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) if s == "auto" => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| {
                SpecError::at(path, format!("must be a number or \"auto\" (got {v})"))
            }),
        }
    }

    fn text(&mut self, key: &'static str, default: &str) -> Result<String, SpecError> {
        let path = self.at(key);
        match self.raw(key) {
            None => Ok(default.to_owned()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(SpecError::at(path, format!("must be a string (got {v})"))),
        }
    }

    fn flag(&mut self, key: &'static str, default: bool) -> Result<bool, SpecError> {
        let path = self.at(key);
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| SpecError::at(path, format!("must be true or false (got {v})"))),
        }
    }

    fn pairs(
        &mut self,
        key: &'static str,
        width: usize,
    ) -> Result<Option<Vec<Vec<f64>>>, SpecError> {
        let path = self.at(key);
        let Some(v) = self.raw(key) else {
            return Ok(None);
        };
        let bad = || SpecError::at(&path, format!("must be a list of {width}-number lists"));
        v.as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|row| {
                let row = row
                    .as_array()
                    .filter(|r| r.len() == width)
                    .ok_or_else(bad)?;
                row.iter().map(|x| x.as_f64().ok_or_else(bad)).collect()
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn pair(&mut self, key: &'static str) -> Result<Option<[f64; 2]>, SpecError> {
        let path = self.at(key);
        let Some(v) = self.raw(key) else {
            return Ok(None);
        };
        match v
            .as_array()
            .map(|a| a.iter().map(Value::as_f64).collect::<Vec<_>>())
            .as_deref()
        {
            Some([Some(a), Some(b)]) => Ok(Some([*a, *b])),
            _ => Err(SpecError::at(
                path,
                format!("must be a pair of numbers (got {v})"),
            )),
        }
    }

    /// Every key present but never read becomes an "unknown field" line.
    fn finish(self, out: &mut Vec<Unmapped>) {
        if let Some(m) = self.map {
            for key in m.keys() {
                if !self.used.iter().any(|u| u == key) {
                    out.push(Unmapped {
                        path: if self.path.is_empty() {
                            key.clone()
                        } else {
                            format!("{}.{key}", self.path)
                        },
                        reason: "not a py-minisim v1.0 field; ignored".into(),
                    });
                }
            }
        }
    }
}

fn note(out: &mut Vec<Unmapped>, path: impl Into<String>, reason: impl Into<String>) {
    out.push(Unmapped {
        path: path.into(),
        reason: reason.into(),
    });
}

/// Per-frame switching probability of py-minisim's frame-stepped gate → the rate of
/// minisim's continuous-time gate, Hz. py's dwell is geometric with mean 1/p frames
/// (a state entered holds for at least its frame), so p·fps keeps the mean dwell and
/// the stationary active share p_qa/(p_qa + p_aq); −ln(1 − p)·fps would match the
/// per-frame survival instead and shorten bouts by ~½ frame (16 % at p = 0.3).
fn rate_hz(p_per_frame: f64, fps: f64) -> f64 {
    p_per_frame.clamp(0.0, 1.0) * fps
}

/// py-minisim's radial falloff 1 − (1 − falloff)·(r/r_corner)^exponent evaluated at
/// half the shorter FOV side, where minisim's vignette states its `edge_ratio`.
fn edge_level(falloff: f64, exponent: f64, fov_um: [f64; 2]) -> f64 {
    let r_edge = fov_um[0].min(fov_um[1]) / 2.0;
    let r_corner = (fov_um[0] / 2.0).hypot(fov_um[1] / 2.0);
    1.0 - (1.0 - falloff) * (r_edge / r_corner).powf(exponent)
}

/// What the py-minisim acquisition block says, in minisim's terms.
struct Rig {
    fps: f64,
    frames: u64,
    fov_px: [u32; 2],
    pixel_um: f64,
    fov_um: [f64; 2],
    qe: f64,
    na: f64,
    emission_nm: f64,
    curvature_um: Option<f64>,
    mfp_um: f64,
    blur_per_um: f64,
    /// The focal depth when the spec gives a number; `None` for `"auto"`.
    focal_um: Option<f64>,
    sensor: Digitize,
}

/// Translate a py-minisim spec (JSON text as written by `Spec.model_dump_json()`).
pub(crate) fn import(text: &str) -> Result<PyImport, SpecError> {
    let root: Value = serde_json::from_str(text).map_err(|e| SpecError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    crate::duplicates::check(text)?;
    let mut out = Vec::new();
    let mut top = Obj::new("", Some(&root))?;
    let seed = match top.raw("seed") {
        None => 42,
        Some(v) => v.as_u64().ok_or_else(|| {
            SpecError::at("seed", format!("must be a non-negative integer (got {v})"))
        })?,
    };
    let (mut acquisition, rig) = acquisition(&mut top, &mut out)?;
    let mut output = Obj::new("output", top.raw("output"))?;
    let snapshots = output.flag("save_intermediates", false)?;
    if output.raw("store_dtype").is_some() {
        note(
            &mut out,
            "output.store_dtype",
            "minisim stores sensor counts as u16 (exact integers), intensities as f32",
        );
    }
    output.finish(&mut out);

    let steps_value = top
        .raw("steps")
        .ok_or_else(|| SpecError::at("steps", "is required by py-minisim specs"))?;
    let steps_list = steps_value
        .as_array()
        .ok_or_else(|| SpecError::at("steps", "must be a list of steps"))?;
    top.finish(&mut out);
    let mut steps: Vec<Step> = Vec::new();
    let mut photons_per_unit = 100.0;
    let mut has_sensor = false;
    let mut has_optics = false;
    let mut leakage_level: Option<f64> = None;
    let mut activity: Option<Activity> = None;
    let mut layers: Vec<Layer> = Vec::new();
    let mut falloffs: Vec<Falloff> = Vec::new();
    let mut margin_px = 0;
    let mut bleaching: Option<CellBleaching> = None;
    let mut illumination_edge: Option<f64> = None;
    for (i, step) in steps_list.iter().enumerate() {
        let kind = step
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| SpecError::at(format!("steps[{i}].kind"), "is required"))?
            .to_owned();
        let mut s = Obj::new(format!("steps.{kind}"), Some(step))?;
        s.raw("kind");
        match kind.as_str() {
            "place_neurons" => {
                let (p, l) = place_neurons(&mut s, step, &rig, &mut out)?;
                layers = l;
                steps.push(Step::PlaceNeurons(p));
            }
            "cell_activity" => {
                let (spikes, calcium, a) = cell_activity(&mut s, &rig, &mut out)?;
                activity = Some(a);
                steps.push(Step::Spikes(spikes));
                steps.push(Step::Calcium(calcium));
            }
            // Per-cell blur and attenuation are part of minisim's composite step.
            "optics" => has_optics = true,
            "composite" => {
                if !steps.iter().any(|s| s.kind() == StepKind::Composite) {
                    steps.push(Step::Composite(Composite::default()));
                }
            }
            "bleaching" => bleaching = Some(cell_bleaching(&mut s)?),
            "neuropil" => steps.push(Step::Neuropil(neuropil(&mut s, &mut out)?)),
            "vasculature" => steps.extend(vasculature(&mut s, &mut out)?.map(Step::Vasculature)),
            "brain_motion" => {
                let m = brain_motion(&mut s, &rig, &mut out)?;
                let max_um = match &m.trajectory_um {
                    Some(path) => path
                        .iter()
                        .fold(0.0_f64, |a, p| a.max(p[0].abs()).max(p[1].abs())),
                    None => m.max_shift_um,
                };
                let px = max_um / rig.pixel_um;
                margin_px = if px > 0.0 { px.ceil() as u32 + 1 } else { 0 };
                steps.push(Step::MotionCrop(m));
            }
            "illumination_profile" => {
                let (edge, f) = illumination_profile(&mut s, &rig, &mut out)?;
                illumination_edge = Some(edge);
                falloffs.push(f);
            }
            "vignette" => {
                let (v, f) = vignette(&mut s, &rig, &mut out)?;
                falloffs.push(f);
                steps.push(Step::Vignette(v));
            }
            "leakage" => leakage_level = Some(leakage(&mut s, &rig, &mut out)?),
            "sensor" => {
                has_sensor = true;
                if let Some(p) = sensor(&mut s, &mut out)? {
                    photons_per_unit = p;
                }
            }
            other => {
                return Err(SpecError::at(
                    format!("steps[{i}].kind"),
                    format!("`{other}` is not a py-minisim v1.0 step kind"),
                ));
            }
        }
        s.finish(&mut out);
    }
    // Fold the illumination falloff into the vignette (both multiply the image).
    if let Some(edge_ill) = illumination_edge {
        match steps.iter_mut().find_map(|s| {
            if let Step::Vignette(v) = s {
                Some(v)
            } else {
                None
            }
        }) {
            Some(v) => v.edge_ratio *= edge_ill,
            None => steps.push(Step::Vignette(Vignette {
                edge_ratio: edge_ill,
                aperture_radius: 100.0,
                ..Vignette::default()
            })),
        }
    }
    // The focal plane: a number as given, or py-minisim's "auto" evaluated here.
    let focal_um = match rig.focal_um {
        Some(f) => f,
        None => {
            let scanned = match (activity, has_sensor && has_optics) {
                (Some(a), true) => py_focus::focal_depth(&Scan {
                    seed,
                    fps: rig.fps,
                    frames: rig.frames,
                    fov_px: rig.fov_px,
                    pixel_um: rig.pixel_um,
                    margin_px,
                    na: rig.na,
                    emission_nm: rig.emission_nm,
                    curvature_um: rig.curvature_um,
                    mfp_um: rig.mfp_um,
                    blur_per_um: rig.blur_per_um,
                    photons: photons_per_unit,
                    qe: rig.qe,
                    read_e: rig.sensor.read_noise_e,
                    falloffs: falloffs.clone(),
                    layers: layers.clone(),
                    activity: a,
                }),
                _ => None,
            };
            let f = scanned.unwrap_or_else(|| py_focus::median_depth(&layers));
            note(
                &mut out,
                "acquisition.focal_depth_in_tissue_um",
                format!(
                    "\"auto\" resolved to {f:.1} µm by py-minisim's own objective (most cells with transient SNR ≥ 3 over 96 planes; the median depth without a sensor) on a representative population; py-minisim's choice varies from seed to seed"
                ),
            );
            f
        }
    };
    acquisition.optics.focal_depth_um = FocalDepth::Um(focal_um);
    // py-minisim's tissue is its canvas: the FOV plus the motion margin.
    let tissue_margin_um = margin_px as f64 * rig.pixel_um;
    let expression_sigma = activity.map(|a| (1.0 + a.brightness_cv * a.brightness_cv).ln().sqrt());
    for step in &mut steps {
        if let Step::PlaceNeurons(p) = step {
            p.tissue_margin_um = Some(tissue_margin_um);
            for pop in p.populations.iter_mut().flatten() {
                pop.expression_sigma = expression_sigma;
            }
        } else if let Step::Composite(c) = step {
            *c = py_composite(
                c,
                activity.map_or(1.0, |a| a.f0),
                expression_sigma.unwrap_or(0.0),
                has_optics.then_some((rig.na, focal_um / rig.mfp_um)),
            );
        } else if let Step::Neuropil(n) = step {
            // py's background: amplitude × the mean of peak-normalised fields
            // (E = 1/2 by the field's symmetry) × a mean-1 envelope; minisim's
            // envelope has mean 1 + coupling × mean ΔF/F of the cells.
            let dff = activity.map_or(0.0, |a| a.mean_dff());
            n.amplitude *= PY_FIELD_MEAN / (1.0 + n.population_coupling * dff);
        }
    }
    if has_sensor {
        let electrons = photons_per_unit * rig.qe;
        let cell_bleaching = bleaching.take().map(|b| CellBleaching {
            // py-minisim's excitation falloff drives its bleaching too.
            excitation_edge_ratio: illumination_edge.unwrap_or(1.0),
            ..b
        });
        steps.push(Step::PhotonField(PhotonField {
            photons_per_unit: electrons,
            bleach_amplitude: 0.0,
            flicker_sd: 0.0,
            cell_bleaching,
            ..PhotonField::default()
        }));
        if let Some(level) = leakage_level {
            steps.push(Step::Leakage(Leakage {
                dark_current_e_per_s: 0.0,
                dsnu_e_per_s: 0.0,
                hot_pixel_fraction: 0.0,
                bleedthrough_e: level * electrons,
                ..Leakage::default()
            }));
        }
        steps.push(Step::Digitize(rig.sensor.clone()));
    } else if leakage_level.is_some() {
        note(
            &mut out,
            "steps.leakage",
            "needs a sensor in minisim (leakage is in electrons); dropped without `sensor`",
        );
    }
    let output = Output {
        snapshot_stages: if snapshots {
            steps
                .iter()
                .map(Step::kind)
                .filter(|&k| k.makes_movie())
                .collect()
        } else {
            Vec::new()
        },
        export: None,
    };
    let spec = Spec::new(SpecDraft {
        seed,
        acquisition,
        steps,
        output,
    })?;
    Ok(PyImport {
        spec,
        unmapped: out,
    })
}

/// Saturation ΔF/F standing in for py-minisim's linear indicator (Hill n = 2: 0.02 %
/// below linear at ΔF/F 20).
const PY_LINEAR_SATURATION: f64 = 1000.0;

/// Expected mean of one of py-minisim's peak-normalised neuropil fields: the field of
/// −noise is one minus the field of noise, so the mean is 1/2 in expectation.
const PY_FIELD_MEAN: f64 = 0.5;

/// The composite that gives a cell py-minisim's light: f0 (× the expression, mean 1 in
/// py, median 1 in minisim) × NA² collection × e^{−depth/ℓ}, all of it in the cell's
/// footprint (py-minisim's scattered light is lost, not a halo), over a filled disc. minisim states the
/// brightness at the focal plane, so the surface-referenced e^{−F/ℓ} goes into it.
/// `optics`: `(NA, F/ℓ)` when py's optics step runs.
fn py_composite(
    c: &Composite,
    f0: f64,
    expression_sigma: f64,
    optics: Option<(f64, f64)>,
) -> Composite {
    let median_to_mean = (-0.5 * expression_sigma * expression_sigma).exp();
    let (collection, attenuation) =
        optics.map_or((1.0, 1.0), |(na, depth)| (na * na, (-depth).exp()));
    Composite {
        resting_brightness: f0 * median_to_mean * collection * attenuation,
        // py-minisim's somata are filled discs (no dark nucleus).
        nucleus_brightness: 1.0,
        scatter_collection: if optics.is_some() {
            0.0
        } else {
            c.scatter_collection
        },
        ..c.clone()
    }
}

/// A py-minisim count (pixels, bits) as an integer, or an error at its path.
fn count(o: &Obj<'_>, key: &str, v: f64) -> Result<u32, SpecError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
        Ok(v as u32)
    } else {
        Err(SpecError::at(
            o.at(key),
            format!("must be a whole number of at most {} (got {v})", u32::MAX),
        ))
    }
}

/// The `acquisition` block: timing, sensor, optics, tissue.
fn acquisition(
    top: &mut Obj<'_>,
    out: &mut Vec<Unmapped>,
) -> Result<(Acquisition, Rig), SpecError> {
    let mut acq = Obj::new("acquisition", top.raw("acquisition"))?;
    let fps = acq.num("fps", 20.0)?;
    let duration_s = acq.num("duration_s", 150.0)?;
    let focal = acq.opt_num("focal_depth_in_tissue_um")?;
    if acq.raw("front_working_distance_um").is_some() {
        note(
            out,
            "acquisition.front_working_distance_um",
            "informational in py-minisim too (no effect on the recording)",
        );
    }
    let mut optics = Obj::new("acquisition.optics", acq.raw("optics"))?;
    let na = optics.num("na", 0.45)?;
    let magnification = optics.num("magnification", 8.0)?;
    let emission_nm = optics.num("emission_nm", 525.0)?;
    if optics.is_set("depth_of_field_um")
        && optics.raw("depth_of_field_um") != Some(&Value::String("auto".into()))
    {
        note(
            out,
            "acquisition.optics.depth_of_field_um",
            "minisim derives the depth of field from the NA and the blur model; a fixed value cannot be set",
        );
    }
    let curvature = optics.opt_num("field_curvature_radius_um")?;
    optics.finish(out);
    let mut sensor = Obj::new("acquisition.image_sensor", acq.raw("image_sensor"))?;
    let height = sensor.num("n_px_height", 256.0)?;
    let height = count(&sensor, "n_px_height", height)?;
    let width = sensor.num("n_px_width", 256.0)?;
    let width = count(&sensor, "n_px_width", width)?;
    let pitch = sensor.num("pixel_pitch_um", 3.0)?;
    let qe = sensor.num("quantum_efficiency", 0.7)?;
    let read_noise = sensor.num("read_noise_e", 2.0)?;
    let gain = sensor.num("gain_adu_per_e", 1.0)?;
    let bit_depth = sensor.num("bit_depth", 8.0)?;
    let bit_depth = count(&sensor, "bit_depth", bit_depth)?;
    sensor.finish(out);
    let mut tissue = Obj::new("acquisition.tissue", acq.raw("tissue"))?;
    let mfp_ex = tissue.num("scatter_mfp_excitation_um", 600.0)?;
    let mfp_em = tissue.num("scatter_mfp_emission_um", 100.0)?;
    let blur_per_um = tissue.num("scatter_blur_per_um", 0.05)?;
    if tissue.is_set("scatter_blur_per_um") {
        note(
            out,
            "acquisition.tissue.scatter_blur_per_um",
            "minisim's scattered halo follows from the scattering length and the composite step's halo model, not a linear blur rate",
        );
    }
    tissue.finish(out);
    acq.finish(out);
    let pixel_um = pitch / magnification;
    let mfp_um = 1.0 / (1.0 / mfp_ex + 1.0 / mfp_em);
    let acquisition = Acquisition {
        frames: (duration_s * fps).round().max(1.0) as u64,
        frame_rate_hz: fps,
        fov_px: [height, width],
        pixel_um,
        optics: Optics {
            na,
            emission_nm,
            scattering_length_um: mfp_um,
            focal_depth_um: focal.map_or(FocalDepth::Auto, FocalDepth::Um),
            field_curvature_radius_um: curvature,
            ..Optics::default()
        },
        ..Acquisition::default()
    };
    let rig = Rig {
        fps,
        frames: acquisition.frames,
        fov_px: [height, width],
        pixel_um,
        fov_um: [height as f64 * pixel_um, width as f64 * pixel_um],
        qe,
        na,
        emission_nm,
        curvature_um: curvature,
        mfp_um,
        blur_per_um,
        focal_um: focal,
        sensor: Digitize {
            bit_depth,
            gain_dn_per_e: gain,
            read_noise_e: read_noise,
            black_level_dn: 0.0,
            prnu_sd: 0.0,
            row_noise_e: 0.0,
            ..Digitize::default()
        },
    };
    Ok((acquisition, rig))
}

/// `place_neurons`: its populations (or the step as one population). Dendrite sizes
/// are per step in minisim: the first cytosolic population's are used, others
/// reported.
fn place_neurons(
    s: &mut Obj<'_>,
    step: &Value,
    rig: &Rig,
    out: &mut Vec<Unmapped>,
) -> Result<(PlaceNeurons, Vec<Layer>), SpecError> {
    // `populations: null` is py-minisim's default: the step is the one population.
    s.used.push("populations");
    let pops: Vec<(Population, [f64; 2], Layer)> =
        match step.get("populations").filter(|v| !v.is_null()) {
            Some(list) => {
                s.raw("populations");
                let list = list.as_array().ok_or_else(|| {
                    SpecError::at("steps.place_neurons.populations", "must be a list")
                })?;
                let mut pops = Vec::new();
                for (k, p) in list.iter().enumerate() {
                    let mut o = Obj::new(format!("steps.place_neurons.populations[{k}]"), Some(p))?;
                    pops.push(population(&mut o, rig.fov_um)?);
                    o.finish(out);
                }
                // Step-level population fields are ignored by py-minisim here.
                s.used.extend([
                    "density_per_mm3",
                    "soma_radius_um",
                    "irregularity",
                    "morphology",
                    "dendrite_length_um",
                    "dendrite_width_um",
                    "depth_range_um",
                    "min_distance_um",
                    "positions_um",
                ]);
                pops
            }
            None => vec![population(s, rig.fov_um)?],
        };
    let mut dendrites: Option<[f64; 2]> = None;
    for (k, (p, d, _)) in pops.iter().enumerate() {
        if p.morphology == Some(Morphology::Cytosolic) {
            match dendrites {
                None => dendrites = Some(*d),
                Some(first) if first != *d => note(
                    out,
                    format!("steps.place_neurons.populations[{k}].dendrite_length_um"),
                    "minisim's dendrite length and width are per step; the first cytosolic population's are used",
                ),
                Some(_) => {}
            }
        }
    }
    let [length, width] = dendrites.unwrap_or([24.0, 3.0]);
    let layers = pops.iter().map(|(_, _, l)| *l).collect();
    Ok((
        PlaceNeurons {
            dendrite_length_um: length,
            dendrite_width_um: width,
            max_cells: 100_000,
            populations: Some(pops.into_iter().map(|(p, _, _)| p).collect()),
            ..PlaceNeurons::default()
        },
        layers,
    ))
}

/// One py-minisim `NeuronPopulation` (or the step acting as one) → a minisim
/// population, its dendrite `[length, width]`, µm, and its layer for the focus scan.
fn population(
    o: &mut Obj<'_>,
    fov_um: [f64; 2],
) -> Result<(Population, [f64; 2], Layer), SpecError> {
    let density = o.num("density_per_mm3", 25000.0)?;
    let radius = o.num("soma_radius_um", 7.0)?;
    let depth = o.pair("depth_range_um")?.unwrap_or([0.0, 200.0]);
    let min_distance = o.num("min_distance_um", 0.0)?;
    let positions = o.pairs("positions_um", 3)?;
    let irregularity = o.num("irregularity", 0.3)?;
    let morphology = match o.text("morphology", "soma")?.as_str() {
        "soma" => Morphology::Soma,
        "cytosolic" => Morphology::Cytosolic,
        other => {
            return Err(SpecError::at(
                o.at("morphology"),
                format!("must be \"soma\" or \"cytosolic\" (got \"{other}\")"),
            ));
        }
    };
    let dendrites = [
        o.num("dendrite_length_um", 24.0)?,
        o.num("dendrite_width_um", 3.0)?,
    ];
    let layer = match &positions {
        Some(pos) => Layer {
            weight: pos.len() as f64,
            depth_um: pos
                .iter()
                .fold([f64::INFINITY, f64::NEG_INFINITY], |[a, b], q| {
                    [a.min(q[0]), b.max(q[0])]
                }),
        },
        None => Layer {
            // Cells per µm² of canvas: density × thickness (py samples the slab).
            weight: density * 1e-9 * (depth[1] - depth[0]).max(0.0),
            depth_um: depth,
        },
    };
    let population = Population {
        density_per_mm3: Some(density),
        soma_radius_mean_um: Some(radius),
        soma_radius_sd_um: Some(0.0),
        depth_range_um: Some(depth),
        min_separation_um: Some(min_distance),
        irregularity: Some(irregularity),
        morphology: Some(morphology),
        // py: (z, y, x) with (y, x) from the optical axis; minisim: from the FOV edge.
        positions_um: positions.map(|pos| {
            pos.iter()
                .map(|q| [q[0], q[1] + fov_um[0] / 2.0, q[2] + fov_um[1] / 2.0])
                .collect()
        }),
        ..Population::default()
    };
    Ok((population, dendrites, layer))
}

/// `cell_activity` → two-state spikes and explicit kinetics with py-minisim's
/// linear response (one spike raises the trace by one unit of f0 at the kernel's
/// peak), plus the activity parameters the composite and the focus scan need.
fn cell_activity(
    s: &mut Obj<'_>,
    rig: &Rig,
    out: &mut Vec<Unmapped>,
) -> Result<(Spikes, Calcium, Activity), SpecError> {
    let activity = Activity {
        spike_sim_hz: s.num("spike_sim_hz", 300.0)?,
        p_quiescent_to_active: s.num("p_quiescent_to_active", 0.005)?,
        p_active_to_quiescent: s.num("p_active_to_quiescent", 0.3)?,
        active_rate_hz: s.num("active_rate_hz", 150.0)?,
        quiescent_rate_hz: s.num("quiescent_rate_hz", 0.6)?,
        tau_rise_s: s.num("tau_rise_s", 0.05)?,
        tau_decay_s: s.num("tau_decay_s", 0.5)?,
        brightness_cv: s.num("brightness_cv", 0.3)?,
        f0: s.num("f0", 1.0)?,
    };
    if s.num("trace_noise", 0.0)? != 0.0 {
        note(
            out,
            "steps.cell_activity.trace_noise",
            "non-physical additive trace noise is not modelled (noise enters at the sensor and neuropil)",
        );
    }
    // py draws a Bernoulli spike per fine bin with p = rate/grid on its realised grid
    // (a whole number of bins per frame); minisim's bin holds a spike with probability
    // 1 − e^{−r·dt}, so r = −ln(1 − p)·grid gives the same per-bin probability.
    let grid = (activity.spike_sim_hz / rig.fps).round().max(1.0) * rig.fps;
    let mut firing = |rate: f64, key: &str| -> f64 {
        let p = (rate / grid).clamp(0.0, 1.0);
        let r = -(1.0 - p).ln() * grid;
        if r <= grid {
            r
        } else {
            note(
                out,
                format!("steps.cell_activity.{key}"),
                format!(
                    "a spike in {:.0} % of the {grid} Hz bins exceeds minisim's one-spike-per-bin rate ceiling; capped at {grid} Hz",
                    100.0 * p
                ),
            );
            grid
        }
    };
    let active_hz = firing(activity.active_rate_hz, "active_rate_hz");
    let quiescent_hz = firing(activity.quiescent_rate_hz, "quiescent_rate_hz");
    let spikes = Spikes {
        model: SpikeModel::TwoState,
        two_state: TwoState {
            quiescent_to_active_hz: rate_hz(activity.p_quiescent_to_active, rig.fps),
            active_to_quiescent_hz: rate_hz(activity.p_active_to_quiescent, rig.fps),
            quiescent_rate_hz: quiescent_hz,
            active_rate_hz: active_hz,
            grid_hz: grid,
        },
        ..Spikes::default()
    };
    let calcium = Calcium {
        rise_ms: Some(activity.tau_rise_s * 1000.0),
        decay_ms: Some(activity.tau_decay_s * 1000.0),
        // py: trace = gain·(f0 + spikes ∗ peak-normalised kernel), linear.
        dff_per_spike: Some(1.0 / activity.f0),
        saturation_dff: PY_LINEAR_SATURATION,
        kinetics_cv: 0.0,
        ..Calcium::default()
    };
    Ok((spikes, calcium, activity))
}

/// `bleaching` → per-cell bleaching of `photon_field` (its edge ratio is set later
/// from the illumination profile).
fn cell_bleaching(s: &mut Obj<'_>) -> Result<CellBleaching, SpecError> {
    Ok(CellBleaching {
        susceptibility_per_s: s.num("bleach_susceptibility", 6.3e-6)?,
        turnover_tau_s: s.num("turnover_tau_s", 20000.0)?,
        excitation_intensity: s.num("excitation_intensity", 1.0)?,
        ..CellBleaching::default()
    })
}

/// `neuropil` → `neuropil`.
fn neuropil(s: &mut Obj<'_>, out: &mut Vec<Unmapped>) -> Result<Neuropil, SpecError> {
    let sigma = s.num("spatial_sigma_um", 40.0)?;
    let tau = s.num("temporal_tau_s", 10.0)?;
    if s.is_set("population_tau_s") {
        s.raw("population_tau_s");
        note(
            out,
            "steps.neuropil.population_tau_s",
            "minisim couples neuropil to the population's mean ΔF/F without a low-pass",
        );
    }
    Ok(Neuropil {
        spatial_scale_um: sigma,
        time_constant_s: tau,
        amplitude: s.num("amplitude", 0.5)?,
        components: s.num("n_components", 3.0)? as u64,
        population_coupling: s.num("population_coupling", 0.7)?,
        ..Neuropil::default()
    })
}

/// `vasculature` → vessel-tree layers (none when disabled or empty).
fn vasculature(s: &mut Obj<'_>, out: &mut Vec<Unmapped>) -> Result<Option<Vasculature>, SpecError> {
    let enabled = s.flag("enabled", false)?;
    let layers = s
        .raw("layers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !enabled || layers.is_empty() {
        return Ok(None);
    }
    let mut trees = Vec::new();
    for (k, layer) in layers.iter().enumerate() {
        let mut l = Obj::new(format!("steps.vasculature.layers[{k}]"), Some(layer))?;
        trees.push(VesselLayer {
            depth_um: l.num("depth_um", 30.0)?,
            roots: l.num("n_roots", 4.0)? as u64,
            root_diameter_um: 2.0 * l.num("root_radius_um", 22.0)?,
            min_diameter_um: 2.0 * l.num("min_radius_um", 2.0)?,
            absorption: l.num("opacity", 0.85)?,
            branch_probability: l.num("branch_prob", 0.2)?,
            tortuosity_deg: l.num("tortuosity_deg", 8.0)?,
            branch_angle_deg: l.num("branch_angle_deg", 30.0)?,
            main_share: l.num("branch_area_main", 0.7)?,
            step_per_radius: l.num("step_per_radius", 1.5)?,
        });
        if l.raw("absorption_per_um").is_some() {
            note(
                out,
                format!("steps.vasculature.layers[{k}].absorption_per_um"),
                "minisim's vessel profile is Gaussian with the layer's peak absorption (`opacity`); no Beer-Lambert path length",
            );
        }
        l.finish(out);
    }
    Ok(Some(Vasculature {
        vessels: 0,
        vasomotion_amplitude: 0.0,
        hemodynamic_sd: 0.0,
        layers: Some(trees),
        ..Vasculature::default()
    }))
}

/// `brain_motion` → `motion_crop`: a given trajectory, the random walk as OU drift,
/// or the physical (locomotion) model with the 99th-percentile amplitude as an RMS.
fn brain_motion(
    s: &mut Obj<'_>,
    rig: &Rig,
    out: &mut Vec<Unmapped>,
) -> Result<MotionCrop, SpecError> {
    let model = s.text("model", "physical")?;
    let mut m = MotionCrop {
        max_shift_um: s.num("max_shift_um", 15.0)?,
        ..MotionCrop::default()
    };
    if let Some(path) = s.pairs("trajectory_um", 2)? {
        m.model = MotionModel::Trajectory;
        m.trajectory_um = Some(path.iter().map(|p| [p[0], p[1]]).collect());
    } else if model == "walk" {
        let step_um = s.num("walk_step_um", 0.3)?;
        note(
            out,
            "steps.brain_motion.model",
            format!(
                "\"walk\" (a bounded random walk) becomes minisim's OU drift with the same per-frame step ({step_um} µm) and a 1 s correlation time"
            ),
        );
        m.ou_sigma_um = step_um * (rig.fps / 2.0).sqrt();
        m.ou_tau_s = 1.0;
        m.jump_rate_hz = 0.0;
    } else {
        let amp = s.num("motion_amplitude_um", 10.0)?;
        if s.text("locomotion_axis", "y")? != "y" {
            note(
                out,
                "steps.brain_motion.locomotion_axis",
                "minisim drives the gait along y only",
            );
        }
        let rms = amp * std::f64::consts::SQRT_2 / 3.035;
        note(
            out,
            "steps.brain_motion.motion_amplitude_um",
            format!(
                "py-minisim's 99th-percentile radius becomes an RMS of {rms:.3} µm (× √2/3.035, Gaussian displacement)"
            ),
        );
        m.model = MotionModel::Locomotion;
        m.locomotion = Locomotion {
            gait_hz: s.num("locomotion_freq_hz", 7.0)?,
            resonance_hz: s.num("resonance_freq_hz", 6.0)?,
            damping_ratio: s.num("damping_ratio", 0.5)?,
            locomotion_fraction: s.num("locomotion_fraction", 0.25)?,
            amplitude_um: rms,
            ..Locomotion::default()
        };
    }
    s.used.extend([
        "walk_step_um",
        "locomotion_freq_hz",
        "motion_amplitude_um",
        "locomotion_axis",
        "resonance_freq_hz",
        "damping_ratio",
        "locomotion_fraction",
    ]);
    Ok(m)
}

/// `illumination_profile` → its edge level, folded into the vignette later.
fn illumination_profile(
    s: &mut Obj<'_>,
    rig: &Rig,
    out: &mut Vec<Unmapped>,
) -> Result<(f64, Falloff), SpecError> {
    let falloff = s.num("falloff", 0.7)?;
    let exponent = s.num("exponent", 2.0)?;
    s.raw("center_offset_um");
    note(
        out,
        "steps.illumination_profile",
        format!(
            "a separate excitation falloff is not modelled; its edge level {falloff} is folded into the vignette"
        ),
    );
    Ok((
        edge_level(falloff, exponent, rig.fov_um),
        Falloff { falloff, exponent },
    ))
}

/// `vignette` → `vignette` (centred; no aperture).
fn vignette(
    s: &mut Obj<'_>,
    rig: &Rig,
    out: &mut Vec<Unmapped>,
) -> Result<(Vignette, Falloff), SpecError> {
    let falloff = s.num("falloff", 0.5)?;
    let exponent = s.num("exponent", 2.0)?;
    if s.raw("center_offset_um").is_some_and(|v| {
        v.as_array()
            .is_none_or(|a| a.iter().any(|c| c.as_f64() != Some(0.0)))
    }) {
        note(
            out,
            "steps.vignette.center_offset_um",
            "minisim's vignette is centred on the FOV",
        );
    }
    Ok((
        Vignette {
            edge_ratio: edge_level(falloff, exponent, rig.fov_um),
            aperture_radius: 100.0,
            ..Vignette::default()
        },
        Falloff { falloff, exponent },
    ))
}

/// `leakage` → its mean level over the FOV relative to the signal (minisim's
/// bleed-through is uniform; a gaussian glow keeps its FOV mean).
fn leakage(s: &mut Obj<'_>, rig: &Rig, out: &mut Vec<Unmapped>) -> Result<f64, SpecError> {
    let profile = s.text("profile", "gaussian")?;
    let level = s.num("level", 0.1)?;
    let sigma_um = s.num("sigma_um", 0.25 * rig.fov_um[0].min(rig.fov_um[1]))?;
    if profile != "gaussian" {
        return Ok(level);
    }
    // py: level·exp(−r²/2σ²) about the FOV centre; the mean separates into rows × columns.
    let sigma_px = sigma_um / rig.pixel_um;
    let axis = |n: u32| -> f64 {
        let c = (n as f64 - 1.0) / 2.0;
        (0..n)
            .map(|i| (-(i as f64 - c).powi(2) / (2.0 * sigma_px * sigma_px)).exp())
            .sum::<f64>()
            / n.max(1) as f64
    };
    let mean = level * axis(rig.fov_px[0]) * axis(rig.fov_px[1]);
    note(
        out,
        "steps.leakage.profile",
        format!(
            "minisim's stray-light bleedthrough is uniform; the gaussian glow's mean over the FOV ({mean:.4} of peak level {level}) is kept"
        ),
    );
    Ok(mean)
}

/// `sensor` → photons per unit intensity (`None`: py-minisim's default or "auto").
fn sensor(s: &mut Obj<'_>, out: &mut Vec<Unmapped>) -> Result<Option<f64>, SpecError> {
    let path = s.at("photons_per_unit");
    match s.raw("photons_per_unit") {
        None => Ok(None),
        Some(Value::String(a)) if a == "auto" => {
            note(
                out,
                path,
                "\"auto\" exposure is not supported; py-minisim's default 100 photons per unit is used",
            );
            Ok(None)
        }
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| SpecError::at(path, format!("must be a number or \"auto\" (got {v})"))),
    }
}

impl Spec {
    /// Translate a spec of the Python minisim (miniscope/minisim v1.0.x, the JSON of
    /// `Spec.model_dump_json()`), returning the validated spec and one line per field
    /// that could not be mapped. See docs/py-minisim.md for the mapping.
    pub fn from_py_minisim_json(text: &str) -> Result<PyImport, SpecError> {
        import(text)
    }
}
