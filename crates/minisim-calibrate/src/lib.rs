//! Calibration: a spec whose renders share a real recording's statistics.
//!
//! [`calibrate`] streams a movie once ([`accumulate`]), estimates the sensor
//! ([`sensor`]: photon transfer, black level, read and row noise, bit depth), the
//! vignette and image circle ([`vignette`]), population bleaching ([`bleaching`]) and
//! rigid motion ([`motion`]), and the movie's statistics (`minisim-stats`); then
//! [`Calibration::spec`] writes them into a base spec (the scope preset) and scales
//! `photons_per_unit` so a pilot render matches the movie's brightness. Each estimate
//! carries a standard error or a quality flag ([`Estimate`]); what a movie cannot
//! identify comes from flags or the scope preset, and the report says so.
//!
//! Invariants: one pass over the file; memory bounded by a few `f64` planes plus a
//! capped sample of frames ([`accumulate::KEEP_BUDGET`]); deterministic (no RNG but
//! the pilot render's, which is the spec's).
#![deny(missing_docs)]

pub mod accumulate;
pub mod bleaching;
pub mod compare;
mod error;
mod estimate;
mod line;
pub mod motion;
pub mod report;
pub mod sensor;
pub mod vignette;

pub use error::CalibrateError;
pub use estimate::{Estimate, Quality};

use minisim_render::{Movie, SimulateOptions, simulate};
use minisim_spec::{Spec, Step};
use minisim_video::read::MovieReader;
use ndarray::{Axis, s};

use accumulate::{Accumulator, Summary};

/// What the user tells calibration (everything optional; the file and the scope fill
/// the rest, and what neither gives is an error).
#[derive(Default)]
pub struct Options<'a> {
    /// Pixel size in the focal plane, µm (overrides the file and the scope).
    pub pixel_um: Option<f64>,
    /// Frame rate, Hz (overrides the file and the scope).
    pub frame_rate_hz: Option<f64>,
    /// The scope preset: the base spec and the priors for what the movie cannot
    /// identify (a preset name or `SCOPE+REGION`).
    pub scope: Option<String>,
    /// Read at most this many frames.
    pub max_frames: Option<usize>,
    /// Called with the number of frames read so far.
    pub progress: Option<&'a mut dyn FnMut(usize, usize)>,
}

/// The estimates and statistics of one movie.
pub struct Calibration {
    /// Frames read.
    pub frames: usize,
    /// `[height, width]`, px.
    pub dims: [usize; 2],
    /// Pixel size, µm, and where it came from.
    pub pixel_um: (f64, &'static str),
    /// Frame rate, Hz, and where it came from.
    pub frame_rate_hz: (f64, &'static str),
    /// The base spec (scope preset, or the default spec).
    pub base: Spec,
    /// The base's name.
    pub base_name: String,
    /// Sensor.
    pub sensor: sensor::Sensor,
    /// Vignette.
    pub vignette: vignette::VignetteFit,
    /// Bleaching.
    pub bleaching: bleaching::BleachFit,
    /// Motion.
    pub motion: motion::MotionFit,
    /// Neighbour correlation of pixel-scale noise (`[horizontal, vertical]`).
    pub noise_correlation: [f64; 2],
    /// Apparent cell scale: half width at half maximum of what persists between
    /// adjacent frames ([`minisim_stats::scale`]), µm. Reported and compared; the
    /// fitted spec keeps the base's soma size and optics.
    pub cell_scale_um: Estimate,
    /// Mean of the lit pixels less the unlit level over the first frames, DN.
    pub signal_dn: f64,
    /// The frames used for the brightness match.
    pub signal_frames: usize,
    /// The streaming summary (mean image, trace, kept frames, shifts).
    pub summary: Summary,
}

/// Mean neighbour correlation of pixel noise above which a movie counts as exported
/// (resampled or binned): a raw sensor's is 0 ± 0.01 (seed-to-seed SD in
/// `compare::TOLERANCES`), a 4× bicubic export's about 0.45.
const EXPORTED_CORRELATION: f64 = 0.1;

/// Variance of the photon-transfer high-pass D = d − ¼Σ_N d for noise of
/// covariance `k[dy][dx]` (lags 0–2): K00 + (4K00 + 2K20 + 2K02 + 8K11)/16 − K10 − K01;
/// 1.25 for white noise of unit variance.
fn high_pass_variance(k: &[[f64; 3]; 3]) -> f64 {
    k[0][0] + (4.0 * k[0][0] + 2.0 * k[2][0] + 2.0 * k[0][2] + 8.0 * k[1][1]) / 16.0
        - k[1][0]
        - k[0][1]
}

/// Pilot renders (seeds spec.seed + 0, 1, …) whose mean apparent gain is matched to
/// an export's: the vendor's motion correction smooths each recording by an amount
/// that depends on its path, so one pilot's path would bias the fit by as much as
/// the movie's own does (the mean over four halves that part of the variance).
const GAIN_PILOTS: usize = 4;

/// Frames of each gain pilot.
const GAIN_PILOT_FRAMES: usize = 100;

/// Frames over which the brightness of the movie and of the pilot render are matched.
const PILOT_FRAMES: usize = 20;

/// Calibrate from a movie reader.
pub fn calibrate(
    reader: &mut dyn MovieReader,
    mut options: Options<'_>,
) -> Result<Calibration, CalibrateError> {
    let info = reader.info().clone();
    if info.height < 16 || info.width < 16 || info.frames < 10 {
        return Err(CalibrateError::TooSmall(format!(
            "a {}×{} movie of {} frames: calibration needs at least 16×16 px and 10 frames",
            info.height, info.width, info.frames
        )));
    }
    let (base, base_name) = match &options.scope {
        Some(name) => (Spec::preset(name)?, name.clone()),
        None => (Spec::default(), "default".to_owned()),
    };
    let pixel_um = match (options.pixel_um, info.pixel_um, &options.scope) {
        (Some(p), _, _) => (p, "flag"),
        (None, Some(p), _) => (p, "file"),
        (None, None, Some(_)) => (base.observed_pixel_um(), "scope preset"),
        (None, None, None) => {
            return Err(CalibrateError::Missing {
                what: "the pixel size",
                hint: "the file does not carry it; pass --pixel-um or --scope",
            });
        }
    };
    let frame_rate_hz = match (options.frame_rate_hz, info.frame_rate_hz, &options.scope) {
        (Some(f), _, _) => (f, "flag"),
        (None, Some(f), _) => (f, "file"),
        (None, None, Some(_)) => (base.acquisition().frame_rate_hz, "scope preset"),
        (None, None, None) => {
            return Err(CalibrateError::Missing {
                what: "the frame rate",
                hint: "the file does not carry it; pass --fps or --scope",
            });
        }
    };
    // The ranges a spec accepts (acquisition.pixel_um, acquisition.frame_rate_hz),
    // checked before reading: an absurd pixel size would also make the statistics'
    // filters, sized in µm, enormous.
    for (name, (value, source), lo, hi, unit) in [
        ("pixel size", pixel_um, 0.05, 50.0, "µm"),
        ("frame rate", frame_rate_hz, 0.1, 10_000.0, "Hz"),
    ] {
        if !(lo..=hi).contains(&value) {
            return Err(CalibrateError::Range(format!(
                "the {name} {value} {unit} (from the {source}) must lie in [{lo}, {hi}] {unit}"
            )));
        }
    }
    let frames = options
        .max_frames
        .map_or(info.frames, |m| m.min(info.frames));
    let mut acc = Accumulator::new(info.height, info.width, frames);
    let mut buf = vec![0f32; info.height * info.width];
    let mut read = 0;
    while read < frames && reader.read_frame(&mut buf)? {
        if let Some(i) = buf.iter().position(|v| !v.is_finite()) {
            return Err(CalibrateError::NotRaw(format!(
                "frame {read} holds a non-finite value ({} at row {}, column {}): calibration needs the recorded counts",
                buf[i],
                i / info.width,
                i % info.width
            )));
        }
        acc.push(&buf);
        read += 1;
        if let Some(p) = options.progress.as_mut() {
            p(read, frames);
        }
    }
    if read < 10 {
        return Err(CalibrateError::TooSmall(format!(
            "only {read} frames could be read; calibration needs 10"
        )));
    }
    let summary = acc.finish();
    let prior = sensor_prior(&base, options.scope.as_deref(), frame_rate_hz.0);
    let sensor = sensor::estimate(&summary, &prior);
    check_shot_noise(&sensor)?;
    let g = sensor.gain_dn_per_e.value;
    let dark = sensor
        .dark_mean_dn
        .unwrap_or(sensor.black_level_dn.value + g * prior.unlit_electrons);
    let vignette = vignette::estimate(&summary.mean, dark, sensor.unlit.is_some());
    let bleaching = bleaching::estimate(&summary.trace, dark, frame_rate_hz.0);
    let motion = motion::estimate(&summary.shifts, frame_rate_hz.0, pixel_um.0);
    let noise_correlation = minisim_stats::noise::neighbour_correlation(&summary.kept);
    let cell_scale_um = match minisim_stats::scale::apparent_cell_scale_um(
        &summary.kept,
        pixel_um.0,
    ) {
        Some(v) => Estimate::measured(
            v,
            None,
            "half width at half maximum of the cross-covariance of adjacent high-passed frames (noise-free)",
        ),
        None => Estimate::bound(
            0.0,
            "nothing persists between adjacent frames within 25 µm: no cell scale seen",
        ),
    };
    let signal_frames = PILOT_FRAMES.min(summary.kept.dim().0);
    let signal_dn = lit_signal(
        &summary.kept.slice(s![..signal_frames, .., ..]).to_owned(),
        dark,
    );
    Ok(Calibration {
        frames: read,
        dims: [info.height, info.width],
        pixel_um,
        frame_rate_hz,
        base,
        base_name,
        sensor,
        vignette,
        bleaching,
        motion,
        noise_correlation,
        cell_scale_um,
        signal_dn,
        signal_frames,
        summary,
    })
}

/// Pixels the photon-transfer fit needs at least (its 64 bins of one pixel each).
const MIN_TRANSFER_PIXELS: usize = 64;

/// A movie calibration can start from shows shot noise: a high-passed temporal
/// variance that grows with the mean, by a slope at least 3 standard errors above
/// zero, over enough unclipped pixels. Otherwise it is constant, processed (ΔF/F,
/// background-subtracted, denoised), saturated or too small, and every later
/// estimate would rest on a gain of zero.
fn check_shot_noise(s: &sensor::Sensor) -> Result<(), CalibrateError> {
    let raw = "calibration needs raw counts with shot noise, not ΔF/F, background-subtracted, denoised or constant frames";
    if s.clipped_fraction > 0.5 {
        return Err(CalibrateError::NotRaw(format!(
            "the recording is saturated: {:.1} % of samples are at full scale; calibration needs frames below the ADC's largest count",
            100.0 * s.clipped_fraction
        )));
    }
    if s.transfer_pixels < MIN_TRANSFER_PIXELS {
        return Err(CalibrateError::NotRaw(format!(
            "only {} pixels are free of clipped values ({:.1} % of samples at full scale): the photon transfer needs {MIN_TRANSFER_PIXELS}; {raw}",
            s.transfer_pixels,
            100.0 * s.clipped_fraction
        )));
    }
    let g = &s.gain_dn_per_e;
    let sd = g.sd.unwrap_or(0.0);
    if !(g.value > 1e-6 && g.value > 3.0 * sd) {
        let spread = if sd.is_finite() {
            format!(" ± {sd:.1e}")
        } else {
            String::new()
        };
        return Err(CalibrateError::NotRaw(format!(
            "the temporal variance does not grow with the mean as shot noise does (photon-transfer slope {:.2e}{spread} DN/e⁻ over {} pixels); {raw}, and enough frames and pixels to measure it",
            g.value, s.transfer_pixels
        )));
    }
    Ok(())
}

/// The priors the scope gives: leakage electrons in an unlit pixel per frame (dark
/// current over the exposure plus the bleed-through's mean), black level, read noise.
fn sensor_prior(base: &Spec, scope: Option<&str>, rate_hz: f64) -> sensor::SensorPrior {
    let exposure_s = base
        .acquisition()
        .exposure_ms
        .map_or(1.0 / rate_hz, |ms| (ms / 1000.0).min(1.0 / rate_hz));
    let unlit_electrons = base.leakage().map_or(0.0, |l| {
        l.dark_current_e_per_s * exposure_s + l.bleedthrough_e
    });
    let d = base.digitize().cloned().unwrap_or_default();
    sensor::SensorPrior {
        source: match scope {
            Some(name) => format!("scope preset {name}"),
            None => "default spec; pass --scope for the rig's own".to_owned(),
        },
        unlit_electrons,
        black_level_dn: d.black_level_dn,
        read_noise_e: d.read_noise_e,
    }
}

/// The first `frames` frames of `spec`'s observed movie (a pilot render).
fn pilot(spec: &Spec, frames: usize) -> Result<ndarray::Array3<f32>, CalibrateError> {
    let mut draft = spec.to_draft();
    draft.acquisition.frames = frames as u64;
    let rec = simulate(&Spec::new(draft)?, &SimulateOptions::default())?;
    Ok(match rec.observed {
        Movie::Counts(a) => a.mapv(|v| v as f32),
        Movie::Intensity(a) => a,
    })
}

/// Mean over the central disc (r < 0.5 R) of the frames, less `dark`, DN.
fn lit_signal(frames: &ndarray::Array3<f32>, dark: f64) -> f64 {
    let mean = frames.mean_axis(Axis(0)).expect("frames");
    let (h, w) = mean.dim();
    let px = minisim_stats::filter::central(h, w, 0.5);
    px.iter().map(|&(y, x)| mean[[y, x]] as f64).sum::<f64>() / px.len().max(1) as f64 - dark
}

impl Calibration {
    /// The fitted spec: the base with the movie's size, rate and pixel, the sensor,
    /// vignette, bleaching and motion estimates, and `photons_per_unit` scaled so that
    /// a pilot render's first frames match the movie's brightness.
    pub fn spec(&self) -> Result<Spec, CalibrateError> {
        self.fit().map_err(|e| match e {
            CalibrateError::Spec(e) => CalibrateError::Fitted(e),
            other => other,
        })
    }

    /// [`Calibration::spec`], with an invalid spec reported as such.
    fn fit(&self) -> Result<Spec, CalibrateError> {
        let mut draft = self.base.to_draft();
        draft.acquisition.frames = self.frames as u64;
        draft.acquisition.fov_px = [self.dims[0] as u32, self.dims[1] as u32];
        draft.acquisition.pixel_um = self.pixel_um.0;
        draft.acquisition.frame_rate_hz = self.frame_rate_hz.0;
        draft.acquisition.exposure_ms = None;
        draft.output.export = None;
        // A vendor export the base models and the movie shows (correlated pixel
        // noise): keep it, at the movie's size and pixel, and turn the photon
        // transfer of the exported pixels into the sensor's. Otherwise the movie is
        // what the sensor saw.
        let mut kappa = 1.0;
        let mut sensor_px_per_movie_px = 1.0;
        let mut corrected = false;
        if let Some((export, sensor_um, fov)) = self.export_geometry() {
            corrected = export.motion_correction;
            draft.acquisition.pixel_um = sensor_um;
            draft.acquisition.fov_px = fov;
            draft.output.export = Some(export);
            let probe = Spec::new(draft.clone())?;
            // The export's noise covariance with the vendor's motion correction at
            // full (uniform sub-pixel) smoothing; the pilot below corrects what the
            // model leaves out.
            let lambda = if corrected { 1.0 } else { 0.0 };
            if let Some(k) = minisim_render::noise_covariance(&probe, lambda) {
                kappa = high_pass_variance(&k) / 1.25;
            }
            sensor_px_per_movie_px = self.pixel_um.0 / sensor_um;
        }
        let s = &self.sensor;
        let from_movie = |e: &Estimate| e.quality != Quality::Prior;
        for step in &mut draft.steps {
            if let Step::Digitize(d) = step {
                if let Some(bits) = s.bit_depth {
                    d.bit_depth = bits;
                }
                d.gain_dn_per_e = s.gain_dn_per_e.value / kappa;
                d.black_level_dn = s.black_level_dn.value.max(0.0);
                d.read_noise_e = if from_movie(&s.read_noise_e) {
                    s.read_noise_e.value * kappa.sqrt()
                } else {
                    s.read_noise_e.value
                };
                // Row offsets are mixed across rows by the export: keep the base's.
                if kappa == 1.0 {
                    d.row_noise_e = s.row_noise_e.value;
                }
            }
            if let Step::Vignette(v) = step {
                v.edge_ratio = self.vignette.edge_ratio.value;
                v.aperture_radius = self.vignette.aperture_radius.value;
                v.aperture_softness_px =
                    self.vignette.aperture_softness_px.value * sensor_px_per_movie_px;
            }
            if let Step::PhotonField(p) = step {
                // The fitted pair (a, τ) reproduces the movie's frame mean; an
                // amplitude above 0.99 is capped with τ shortened to keep a/τ.
                let b = &self.bleaching;
                let a = b.amplitude.value.max(0.0);
                let tau = b.fit_time_constant_s.max(1e-3);
                let capped = a.min(0.99);
                p.bleach_amplitude = capped;
                p.bleach_time_constant_s = if a > 0.0 { tau * capped / a } else { tau };
            }
            // After the vendor's motion correction the movie shows what is left of
            // the motion, not the motion: keep the base's (its correction's
            // interpolation is part of the exported noise).
            if let Step::MotionCrop(m) = step
                && !corrected
            {
                m.model = minisim_spec::MotionModel::Ou;
                m.trajectory_um = None;
                m.ou_sigma_um = self.motion.ou_sigma_um.value;
                if self.motion.ou_tau_s.quality == Quality::Measured {
                    m.ou_tau_s = self.motion.ou_tau_s.value.max(1e-3);
                }
                m.jump_rate_hz = 0.0;
                m.max_shift_um = m.max_shift_um.max(5.0 * m.ou_sigma_um);
            }
        }
        let mut spec = Spec::new(draft)?;
        if kappa != 1.0 {
            spec = self.match_apparent_gain(spec)?;
        }
        self.match_brightness(spec)
    }

    /// For an export: render [`GAIN_PILOTS`] pilots of the fitted spec (seeds in
    /// turn), measure their apparent photon-transfer gain as the movie's was
    /// measured, and scale the sensor gain by the movie's over the pilots' mean; a read noise measured from the movie is
    /// divided by the ratio's square root, so its exported level in DN matches the
    /// movie's again (a prior's is the sensor's and stays). The export's smoothing of
    /// the noise is then whatever the render's pipeline does, not only what
    /// [`minisim_render::noise_covariance`] models (the vendor's motion correction
    /// depends on the recording's path; the pilots' paths are the fitted spec's).
    fn match_apparent_gain(&self, spec: Spec) -> Result<Spec, CalibrateError> {
        let prior = sensor_prior(&self.base, None, self.frame_rate_hz.0);
        let mut gains = Vec::with_capacity(GAIN_PILOTS);
        for k in 0..GAIN_PILOTS as u64 {
            let mut draft = spec.to_draft();
            draft.seed = spec.seed().wrapping_add(k);
            let frames = pilot(&Spec::new(draft)?, self.frames.min(GAIN_PILOT_FRAMES))?;
            let (t, h, w) = frames.dim();
            let mut acc = Accumulator::new(h, w, t);
            for frame in frames.outer_iter() {
                acc.push(frame.as_slice().expect("standard layout"));
            }
            let g = sensor::estimate(&acc.finish(), &prior).gain_dn_per_e;
            if g.quality != Quality::Measured || g.value <= 0.0 {
                return Ok(spec);
            }
            gains.push(g.value);
        }
        let pilot_gain = gains.iter().sum::<f64>() / gains.len() as f64;
        let movie_gain = &self.sensor.gain_dn_per_e;
        if movie_gain.quality != Quality::Measured {
            return Ok(spec);
        }
        let c = movie_gain.value / pilot_gain;
        let mut draft = spec.to_draft();
        for step in &mut draft.steps {
            if let Step::Digitize(d) = step {
                d.gain_dn_per_e *= c;
                if self.sensor.read_noise_e.quality != Quality::Prior {
                    d.read_noise_e /= c.sqrt();
                }
            }
        }
        Ok(Spec::new(draft)?)
    }

    /// Whether the movie's pixel noise is correlated as a vendor export's is
    /// (resampled or binned frames): its row noise and pixel-scale statistics then
    /// describe the export, not the sensor.
    pub fn exported(&self) -> bool {
        (self.noise_correlation[0] + self.noise_correlation[1]) / 2.0 >= EXPORTED_CORRELATION
    }

    /// The base's export at this movie's pixel and size, when the movie's pixel
    /// noise is correlated (it was resampled or binned): `(export, sensor pixel µm,
    /// sensor window)` such that the export yields exactly the movie's size.
    fn export_geometry(&self) -> Option<(minisim_spec::Export, f64, [u32; 2])> {
        let mut export = self.base.export()?.clone();
        if !self.exported() {
            return None;
        }
        let movie_um = self.pixel_um.0;
        let bin = export.bin.max(1);
        let sensor_um = if export.pixel_um.is_some() {
            export.pixel_um = Some(movie_um);
            self.base.acquisition().pixel_um
        } else {
            movie_um / bin as f64
        };
        // The sensor window whose export has the movie's size: start from the
        // ratio of pixel sizes and search a few pixels either way per axis.
        let mut fov = [0u32; 2];
        for axis in 0..2 {
            let want = self.dims[axis] as u32;
            let guess = (want as f64 * movie_um / sensor_um).round() as i64;
            let found = (0..=2 * (bin as i64 + 4))
                .map(|k| guess + if k % 2 == 0 { k / 2 } else { -(k + 1) / 2 })
                .filter(|&n| n >= 1)
                .find(|&n| {
                    let mut probe = [want, want];
                    probe[axis] = n as u32;
                    export.dims(probe, sensor_um)[axis] == want
                })?;
            fov[axis] = found as u32;
        }
        Some((export, sensor_um, fov))
    }

    /// Scale `photons_per_unit` by the ratio of the movie's lit signal to a pilot
    /// render's, twice (the second pass absorbs clipping and rounding).
    fn match_brightness(&self, mut spec: Spec) -> Result<Spec, CalibrateError> {
        if self.signal_dn <= 0.0 {
            return Ok(spec);
        }
        let dark = self.sensor.dark_mean_dn.unwrap_or(
            self.sensor.black_level_dn.value
                + self.sensor.gain_dn_per_e.value
                    * sensor_prior(&self.base, None, self.frame_rate_hz.0).unlit_electrons,
        );
        for _ in 0..2 {
            let frames = pilot(&spec, self.signal_frames)?;
            let sim = lit_signal(&frames, dark);
            if sim <= 0.0 {
                break;
            }
            let scale = self.signal_dn / sim;
            let mut draft = spec.to_draft();
            for step in &mut draft.steps {
                if let Step::PhotonField(p) = step {
                    p.photons_per_unit *= scale;
                }
            }
            spec = Spec::new(draft)?;
            if (scale - 1.0).abs() < 0.005 {
                break;
            }
        }
        Ok(spec)
    }
}
