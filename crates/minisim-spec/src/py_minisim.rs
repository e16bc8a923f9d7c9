//! Import of specs written for the Python minisim (miniscope/minisim v1.0.x).
//!
//! The translation maps every field whose meaning carries over into minisim's spec
//! and reports, one line each, the fields it cannot map (with the reason). Absent
//! py-minisim fields take py-minisim's defaults, so the imported spec describes the
//! same recording, not minisim's default one. Units: py-minisim gives times in s and
//! per-frame probabilities; minisim uses ms, Hz and rates. Coordinates: py-minisim's
//! lateral positions are relative to the optical axis (FOV centre); minisim's are from
//! the FOV's top-left edge. The import keeps the recording honest by switching off
//! minisim-only effects (global photobleaching, flicker, black level, PRNU, row noise)
//! that py-minisim does not model.
//!
//! Invariant: the result is a valid `Spec` (it is built through `Spec::from_value`)
//! plus the list of unmapped fields; nothing is dropped silently.

use std::fmt;

use serde_json::{Map, Value, json};

use crate::error::SpecError;
use crate::spec::Spec;

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

/// Per-frame probability at `fps` → rate, Hz.
fn rate_hz(p_per_frame: f64, fps: f64) -> f64 {
    -(1.0 - p_per_frame.clamp(0.0, 1.0 - 1e-12)).ln() * fps
}

/// py-minisim's radial falloff 1 − (1 − falloff)·(r/r_corner)^exponent evaluated at
/// half the shorter FOV side, where minisim's vignette states its `edge_ratio`.
fn edge_level(falloff: f64, exponent: f64, fov_um: [f64; 2]) -> f64 {
    let r_edge = fov_um[0].min(fov_um[1]) / 2.0;
    let r_corner = (fov_um[0] / 2.0).hypot(fov_um[1] / 2.0);
    1.0 - (1.0 - falloff) * (r_edge / r_corner).powf(exponent)
}

/// Translate a py-minisim spec (JSON text as written by `Spec.model_dump_json()`).
pub(crate) fn import(text: &str) -> Result<PyImport, SpecError> {
    let root: Value = serde_json::from_str(text).map_err(|e| SpecError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    let mut top = Obj::new("", Some(&root))?;
    let seed = match top.raw("seed") {
        None => 42,
        Some(v) => v.as_u64().ok_or_else(|| {
            SpecError::at("seed", format!("must be a non-negative integer (got {v})"))
        })?,
    };

    // Acquisition.
    let mut acq = Obj::new("acquisition", top.raw("acquisition"))?;
    let fps = acq.num("fps", 20.0)?;
    let duration_s = acq.num("duration_s", 150.0)?;
    let focal = acq.opt_num("focal_depth_in_tissue_um")?;
    if acq.raw("front_working_distance_um").is_some() {
        note(
            &mut out,
            "acquisition.front_working_distance_um",
            "informational in py-minisim too (no effect on the recording)",
        );
    }
    let mut optics = Obj::new("acquisition.optics", acq.raw("optics"))?;
    let na = optics.num("na", 0.45)?;
    let magnification = optics.num("magnification", 8.0)?;
    let emission_nm = optics.num("emission_nm", 525.0)?;
    if optics.is_set("depth_of_field_um") {
        let dof = optics.raw("depth_of_field_um").cloned();
        if dof != Some(json!("auto")) {
            note(
                &mut out,
                "acquisition.optics.depth_of_field_um",
                "minisim derives the depth of field from the NA and the blur model; a fixed value cannot be set",
            );
        }
    }
    let curvature = optics.opt_num("field_curvature_radius_um")?;
    optics.finish(&mut out);
    let mut sensor = Obj::new("acquisition.image_sensor", acq.raw("image_sensor"))?;
    let height = sensor.num("n_px_height", 256.0)?;
    let width = sensor.num("n_px_width", 256.0)?;
    let pitch = sensor.num("pixel_pitch_um", 3.0)?;
    let qe = sensor.num("quantum_efficiency", 0.7)?;
    let read_noise = sensor.num("read_noise_e", 2.0)?;
    let gain = sensor.num("gain_adu_per_e", 1.0)?;
    let bit_depth = sensor.num("bit_depth", 8.0)?;
    sensor.finish(&mut out);
    let mut tissue = Obj::new("acquisition.tissue", acq.raw("tissue"))?;
    let mfp_ex = tissue.num("scatter_mfp_excitation_um", 600.0)?;
    let mfp_em = tissue.num("scatter_mfp_emission_um", 100.0)?;
    if tissue.is_set("scatter_blur_per_um") {
        tissue.raw("scatter_blur_per_um");
        note(
            &mut out,
            "acquisition.tissue.scatter_blur_per_um",
            "minisim's scattered halo follows from the scattering length and the composite step's halo model, not a linear blur rate",
        );
    }
    tissue.finish(&mut out);
    acq.finish(&mut out);
    let pixel_um = pitch / magnification;
    let fov_um = [height * pixel_um, width * pixel_um];
    let scattering_length_um = 1.0 / (1.0 / mfp_ex + 1.0 / mfp_em);

    let mut optics_out = json!({
        "na": na,
        "emission_nm": emission_nm,
        "scattering_length_um": scattering_length_um,
        "focal_depth_um": focal.map_or(json!("auto"), |f| json!(f)),
    });
    if let Some(r) = curvature {
        optics_out["field_curvature_radius_um"] = json!(r);
    }
    if focal.is_none() {
        note(
            &mut out,
            "acquisition.focal_depth_in_tissue_um",
            "\"auto\" is the median cell depth in py-minisim; minisim's \"auto\" picks the plane with the most expected detectable cells",
        );
    }
    let mut spec = json!({
        "seed": seed,
        "acquisition": {
            "frames": (duration_s * fps).round().max(1.0) as u64,
            "frame_rate_hz": fps,
            "fov_px": [height as u64, width as u64],
            "pixel_um": pixel_um,
            "optics": optics_out,
        },
        "steps": [],
    });

    // Output.
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

    // Steps.
    let steps_value = top
        .raw("steps")
        .ok_or_else(|| SpecError::at("steps", "is required by py-minisim specs"))?;
    let steps_list = steps_value
        .as_array()
        .ok_or_else(|| SpecError::at("steps", "must be a list of steps"))?;
    top.finish(&mut out);
    let mut steps: Vec<Value> = Vec::new();
    let mut photons_per_unit = 100.0;
    let mut has_sensor = false;
    let mut leakage_level: Option<(f64, String)> = None;
    let mut expression_sigma: Option<f64> = None;
    let mut bleaching: Option<Value> = None;
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
                let pops: Vec<Value> = match step.get("populations").filter(|v| !v.is_null()) {
                    Some(list) => {
                        s.raw("populations");
                        let list = list.as_array().ok_or_else(|| {
                            SpecError::at("steps.place_neurons.populations", "must be a list")
                        })?;
                        let mut pops = Vec::new();
                        for (k, p) in list.iter().enumerate() {
                            let mut o =
                                Obj::new(format!("steps.place_neurons.populations[{k}]"), Some(p))?;
                            pops.push(population(&mut o, fov_um)?);
                            o.finish(&mut out);
                        }
                        // Step-level population fields are ignored by py-minisim here.
                        for key in [
                            "density_per_mm3",
                            "soma_radius_um",
                            "irregularity",
                            "morphology",
                            "dendrite_length_um",
                            "dendrite_width_um",
                            "depth_range_um",
                            "min_distance_um",
                            "positions_um",
                        ] {
                            s.used.push(key);
                        }
                        pops
                    }
                    None => vec![population(&mut s, fov_um)?],
                };
                // Dendrite sizes are per step in minisim: take the first cytosolic
                // population's and report any other.
                let mut dendrites: Option<Value> = None;
                let mut pops = pops;
                for (k, p) in pops.iter_mut().enumerate() {
                    let d = p.as_object_mut().and_then(|m| m.remove("_dendrites"));
                    if p["morphology"] == "cytosolic" {
                        match (&dendrites, d) {
                            (None, d) => dendrites = d,
                            (Some(first), Some(d)) if first != &d => note(
                                &mut out,
                                format!("steps.place_neurons.populations[{k}].dendrite_length_um"),
                                "minisim's dendrite length and width are per step; the first cytosolic population's are used",
                            ),
                            _ => {}
                        }
                    }
                }
                let [length, width] = dendrites
                    .and_then(|d| {
                        d.as_array()
                            .map(|a| [a[0].as_f64().unwrap_or(24.0), a[1].as_f64().unwrap_or(3.0)])
                    })
                    .unwrap_or([24.0, 3.0]);
                steps.push(json!({
                    "kind": "place_neurons",
                    "dendrite_length_um": length,
                    "dendrite_width_um": width,
                    "max_cells": 100000,
                    "populations": pops,
                }));
            }
            "cell_activity" => {
                let grid = s.num("spike_sim_hz", 300.0)?;
                let p_qa = s.num("p_quiescent_to_active", 0.005)?;
                let p_aq = s.num("p_active_to_quiescent", 0.3)?;
                let active = s.num("active_rate_hz", 150.0)?;
                let quiescent = s.num("quiescent_rate_hz", 0.6)?;
                let rise = s.num("tau_rise_s", 0.05)?;
                let decay = s.num("tau_decay_s", 0.5)?;
                let cv = s.num("brightness_cv", 0.3)?;
                let f0 = s.num("f0", 1.0)?;
                if s.num("trace_noise", 0.0)? != 0.0 {
                    note(
                        &mut out,
                        "steps.cell_activity.trace_noise",
                        "non-physical additive trace noise is not modelled (noise enters at the sensor and neuropil)",
                    );
                }
                expression_sigma = Some((1.0 + cv * cv).ln().sqrt());
                steps.push(json!({
                    "kind": "spikes",
                    "model": "two_state",
                    "two_state": {
                        "quiescent_to_active_hz": rate_hz(p_qa, fps),
                        "active_to_quiescent_hz": rate_hz(p_aq, fps),
                        "quiescent_rate_hz": quiescent,
                        "active_rate_hz": active,
                        "grid_hz": grid.max(active),
                    },
                }));
                steps.push(json!({
                    "kind": "calcium",
                    "rise_ms": rise * 1000.0,
                    "decay_ms": decay * 1000.0,
                    "kinetics_cv": 0.0,
                }));
                if f0 != 1.0 {
                    note(
                        &mut out,
                        "steps.cell_activity.f0",
                        format!(
                            "mapped to composite.resting_brightness = {f0} (baseline fluorescence)"
                        ),
                    );
                    steps.push(json!({"kind": "composite", "resting_brightness": f0}));
                }
            }
            "optics" => {
                // Per-cell blur and attenuation are part of minisim's composite step.
            }
            "composite" => {
                if !steps.iter().any(|s| s["kind"] == "composite") {
                    steps.push(json!({"kind": "composite"}));
                }
            }
            "bleaching" => {
                bleaching = Some(json!({
                    "susceptibility_per_s": s.num("bleach_susceptibility", 6.3e-6)?,
                    "turnover_tau_s": s.num("turnover_tau_s", 20000.0)?,
                    "excitation_intensity": s.num("excitation_intensity", 1.0)?,
                }));
            }
            "neuropil" => {
                let sigma = s.num("spatial_sigma_um", 40.0)?;
                let tau = s.num("temporal_tau_s", 10.0)?;
                if s.is_set("population_tau_s") {
                    s.raw("population_tau_s");
                    note(
                        &mut out,
                        "steps.neuropil.population_tau_s",
                        "minisim couples neuropil to the population's mean ΔF/F without a low-pass",
                    );
                }
                steps.push(json!({
                    "kind": "neuropil",
                    "spatial_scale_um": sigma,
                    "time_constant_s": tau,
                    "amplitude": s.num("amplitude", 0.5)?,
                    "components": s.num("n_components", 3.0)? as u64,
                    "population_coupling": s.num("population_coupling", 0.7)?,
                }));
            }
            "vasculature" => {
                let enabled = s.flag("enabled", false)?;
                let layers = s
                    .raw("layers")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if enabled && !layers.is_empty() {
                    let mut trees = Vec::new();
                    for (k, layer) in layers.iter().enumerate() {
                        let mut l =
                            Obj::new(format!("steps.vasculature.layers[{k}]"), Some(layer))?;
                        trees.push(json!({
                            "depth_um": l.num("depth_um", 30.0)?,
                            "roots": l.num("n_roots", 4.0)? as u64,
                            "root_diameter_um": 2.0 * l.num("root_radius_um", 22.0)?,
                            "min_diameter_um": 2.0 * l.num("min_radius_um", 2.0)?,
                            "absorption": l.num("opacity", 0.85)?,
                            "branch_probability": l.num("branch_prob", 0.2)?,
                            "tortuosity_deg": l.num("tortuosity_deg", 8.0)?,
                            "branch_angle_deg": l.num("branch_angle_deg", 30.0)?,
                            "main_share": l.num("branch_area_main", 0.7)?,
                            "step_per_radius": l.num("step_per_radius", 1.5)?,
                        }));
                        if l.raw("absorption_per_um").is_some() {
                            note(
                                &mut out,
                                format!("steps.vasculature.layers[{k}].absorption_per_um"),
                                "minisim's vessel profile is Gaussian with the layer's peak absorption (`opacity`); no Beer-Lambert path length",
                            );
                        }
                        l.finish(&mut out);
                    }
                    steps.push(json!({
                        "kind": "vasculature",
                        "vessels": 0,
                        "vasomotion_amplitude": 0.0,
                        "layers": trees,
                    }));
                }
            }
            "brain_motion" => {
                let model = s.text("model", "physical")?;
                let max_shift = s.num("max_shift_um", 15.0)?;
                let trajectory = s.pairs("trajectory_um", 2)?;
                let mut m = json!({"kind": "motion_crop", "max_shift_um": max_shift});
                if let Some(path) = trajectory {
                    m["model"] = json!("trajectory");
                    m["trajectory_um"] = json!(path);
                } else if model == "walk" {
                    let step_um = s.num("walk_step_um", 0.3)?;
                    note(
                        &mut out,
                        "steps.brain_motion.model",
                        format!(
                            "\"walk\" (a bounded random walk) becomes minisim's OU drift with the same per-frame step ({step_um} µm) and a 1 s correlation time"
                        ),
                    );
                    m["ou_sigma_um"] = json!(step_um * (fps / 2.0).sqrt());
                    m["ou_tau_s"] = json!(1.0);
                    m["jump_rate_hz"] = json!(0.0);
                } else {
                    let amp = s.num("motion_amplitude_um", 10.0)?;
                    if s.text("locomotion_axis", "y")? != "y" {
                        note(
                            &mut out,
                            "steps.brain_motion.locomotion_axis",
                            "minisim drives the gait along y only",
                        );
                    }
                    note(
                        &mut out,
                        "steps.brain_motion.motion_amplitude_um",
                        format!(
                            "py-minisim's 99th-percentile radius becomes an RMS of {:.3} µm (× √2/3.035, Gaussian displacement)",
                            amp * std::f64::consts::SQRT_2 / 3.035
                        ),
                    );
                    m["model"] = json!("locomotion");
                    m["locomotion"] = json!({
                        "gait_hz": s.num("locomotion_freq_hz", 7.0)?,
                        "resonance_hz": s.num("resonance_freq_hz", 6.0)?,
                        "damping_ratio": s.num("damping_ratio", 0.5)?,
                        "locomotion_fraction": s.num("locomotion_fraction", 0.25)?,
                        "amplitude_um": amp * std::f64::consts::SQRT_2 / 3.035,
                    });
                }
                for key in [
                    "walk_step_um",
                    "locomotion_freq_hz",
                    "motion_amplitude_um",
                    "locomotion_axis",
                    "resonance_freq_hz",
                    "damping_ratio",
                    "locomotion_fraction",
                ] {
                    s.used.push(key);
                }
                steps.push(m);
            }
            "illumination_profile" => {
                let falloff = s.num("falloff", 0.7)?;
                let exponent = s.num("exponent", 2.0)?;
                illumination_edge = Some(edge_level(falloff, exponent, fov_um));
                s.raw("center_offset_um");
                note(
                    &mut out,
                    "steps.illumination_profile",
                    format!(
                        "a separate excitation falloff is not modelled; its edge level {falloff} is folded into the vignette"
                    ),
                );
            }
            "vignette" => {
                let falloff = s.num("falloff", 0.5)?;
                let exponent = s.num("exponent", 2.0)?;
                if s.raw("center_offset_um")
                    .is_some_and(|v| v != &json!([0.0, 0.0]))
                {
                    note(
                        &mut out,
                        "steps.vignette.center_offset_um",
                        "minisim's vignette is centred on the FOV",
                    );
                }
                let edge = edge_level(falloff, exponent, fov_um);
                steps.push(
                    json!({"kind": "vignette", "edge_ratio": edge, "aperture_radius": 100.0}),
                );
            }
            "leakage" => {
                let profile = s.text("profile", "gaussian")?;
                let level = s.num("level", 0.1)?;
                if s.raw("sigma_um").is_some() || profile == "gaussian" {
                    note(
                        &mut out,
                        "steps.leakage.profile",
                        "minisim's stray-light bleedthrough is uniform; the gaussian profile's mean level is kept",
                    );
                }
                leakage_level = Some((level, profile));
            }
            "sensor" => {
                has_sensor = true;
                let path = s.at("photons_per_unit");
                match s.raw("photons_per_unit") {
                    None => {}
                    Some(Value::String(a)) if a == "auto" => note(
                        &mut out,
                        path,
                        "\"auto\" exposure is not supported; py-minisim's default 100 photons per unit is used",
                    ),
                    Some(v) => {
                        photons_per_unit = v.as_f64().ok_or_else(|| {
                            SpecError::at(path, format!("must be a number or \"auto\" (got {v})"))
                        })?;
                    }
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
        match steps.iter_mut().find(|s| s["kind"] == "vignette") {
            Some(v) => {
                let e = v["edge_ratio"].as_f64().unwrap_or(1.0);
                v["edge_ratio"] = json!(e * edge_ill);
            }
            None => steps.push(
                json!({"kind": "vignette", "edge_ratio": edge_ill, "aperture_radius": 100.0}),
            ),
        }
    }
    if let Some(sigma) = expression_sigma
        && let Some(p) = steps.iter_mut().find(|s| s["kind"] == "place_neurons")
    {
        for pop in p["populations"].as_array_mut().into_iter().flatten() {
            pop["expression_sigma"] = json!(sigma);
        }
    }
    if has_sensor {
        let electrons = photons_per_unit * qe;
        let mut field = json!({
            "kind": "photon_field",
            "photons_per_unit": electrons,
            "bleach_amplitude": 0.0,
            "flicker_sd": 0.0,
        });
        if let Some(mut b) = bleaching.take() {
            // py-minisim's excitation falloff drives its bleaching too.
            b["excitation_edge_ratio"] = json!(illumination_edge.unwrap_or(1.0));
            field["cell_bleaching"] = b;
        }
        steps.push(field);
        if let Some((level, _)) = leakage_level {
            steps.push(json!({
                "kind": "leakage",
                "dark_current_e_per_s": 0.0,
                "dsnu_e_per_s": 0.0,
                "hot_pixel_fraction": 0.0,
                "bleedthrough_e": level * electrons,
            }));
        }
        steps.push(json!({
            "kind": "digitize",
            "bit_depth": bit_depth as u32,
            "gain_dn_per_e": gain,
            "read_noise_e": read_noise,
            "black_level_dn": 0.0,
            "prnu_sd": 0.0,
            "row_noise_e": 0.0,
        }));
    } else if leakage_level.is_some() {
        note(
            &mut out,
            "steps.leakage",
            "needs a sensor in minisim (leakage is in electrons); dropped without `sensor`",
        );
    }
    if snapshots {
        let stages: Vec<Value> = steps
            .iter()
            .filter_map(|s| s["kind"].as_str())
            .filter(|k| !matches!(*k, "place_neurons" | "spikes" | "calcium"))
            .map(|k| json!(k))
            .collect();
        spec["output"] = json!({"snapshot_stages": stages});
    }
    spec["steps"] = Value::Array(steps);
    let spec = Spec::from_value(spec)?;
    Ok(PyImport {
        spec,
        unmapped: out,
    })
}

/// One py-minisim `NeuronPopulation` (or the step acting as one) → a minisim
/// population.
fn population(o: &mut Obj<'_>, fov_um: [f64; 2]) -> Result<Value, SpecError> {
    let density = o.num("density_per_mm3", 25000.0)?;
    let radius = o.num("soma_radius_um", 7.0)?;
    let depth = o.pair("depth_range_um")?.unwrap_or([0.0, 200.0]);
    let min_distance = o.num("min_distance_um", 0.0)?;
    let positions = o.pairs("positions_um", 3)?;
    let irregularity = o.num("irregularity", 0.3)?;
    let morphology = o.text("morphology", "soma")?;
    if morphology != "soma" && morphology != "cytosolic" {
        return Err(SpecError::at(
            o.at("morphology"),
            format!("must be \"soma\" or \"cytosolic\" (got \"{morphology}\")"),
        ));
    }
    let dendrite_length = o.num("dendrite_length_um", 24.0)?;
    let dendrite_width = o.num("dendrite_width_um", 3.0)?;
    let mut p = json!({
        "density_per_mm3": density,
        "soma_radius_mean_um": radius,
        "soma_radius_sd_um": 0.0,
        "depth_range_um": depth,
        "min_separation_um": min_distance,
        "irregularity": irregularity,
        "morphology": morphology,
        "_dendrites": [dendrite_length, dendrite_width],
    });
    if let Some(pos) = positions {
        // py: (z, y, x) with (y, x) from the optical axis; minisim: from the FOV edge.
        p["positions_um"] = json!(
            pos.iter()
                .map(|q| [q[0], q[1] + fov_um[0] / 2.0, q[2] + fov_um[1] / 2.0])
                .collect::<Vec<_>>()
        );
    }
    Ok(p)
}

impl Spec {
    /// Translate a spec of the Python minisim (miniscope/minisim v1.0.x, the JSON of
    /// `Spec.model_dump_json()`), returning the validated spec and one line per field
    /// that could not be mapped. See docs/py-minisim.md for the mapping.
    pub fn from_py_minisim_json(text: &str) -> Result<PyImport, SpecError> {
        import(text)
    }
}
