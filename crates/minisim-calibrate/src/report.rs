//! The calibration report: every estimate with its standard error or quality, the
//! method, and what came from where; Markdown for people, JSON for programs.

use serde_json::{Value, json};

use crate::{Calibration, Estimate, Quality};

fn cell(e: &Estimate, digits: usize) -> String {
    let v = format!("{:.*}", digits, e.value);
    match (e.quality, e.sd) {
        (Quality::Measured, Some(sd)) if sd.is_finite() => format!("{v} ± {sd:.*}", digits),
        (Quality::Measured, _) => v,
        (Quality::Bound, _) => format!("{v} (bound)"),
        (Quality::Prior, _) => format!("{v} (prior)"),
    }
}

impl Calibration {
    /// The estimates as `(name, unit, estimate)`, in report order.
    pub fn estimates(&self) -> Vec<(&'static str, &'static str, &Estimate)> {
        vec![
            ("gain", "DN/e⁻", &self.sensor.gain_dn_per_e),
            ("black level", "DN", &self.sensor.black_level_dn),
            ("read noise", "e⁻", &self.sensor.read_noise_e),
            ("row noise", "e⁻", &self.sensor.row_noise_e),
            ("vignette edge ratio", "", &self.vignette.edge_ratio),
            ("image circle radius", "R", &self.vignette.aperture_radius),
            (
                "image circle edge",
                "px",
                &self.vignette.aperture_softness_px,
            ),
            ("bleaching amplitude", "", &self.bleaching.amplitude),
            (
                "bleaching time constant",
                "s",
                &self.bleaching.time_constant_s,
            ),
            (
                "frame-mean fluctuation",
                "of the level",
                &self.bleaching.fluctuation.rms_fraction,
            ),
            (
                "frame-mean fluctuation time",
                "s",
                &self.bleaching.fluctuation.time_s,
            ),
            ("motion RMS", "µm", &self.motion.rms_um),
            ("motion σ per axis", "µm", &self.motion.ou_sigma_um),
            ("motion correlation time", "s", &self.motion.ou_tau_s),
            ("apparent cell scale", "µm", &self.cell_scale_um),
        ]
    }

    /// The report in Markdown.
    pub fn markdown(&self, movie: &str) -> String {
        let mut out = format!(
            "# Calibration of `{movie}`\n\n{} frames of {}×{} px; pixel {} µm ({}), {} Hz ({}); base spec `{}`.\n\n",
            self.frames,
            self.dims[0],
            self.dims[1],
            // Four decimals are enough, and an AVI's microsecond frame period
            // (33 333 µs) would otherwise print as 30.00030000300003.
            (self.pixel_um.0 * 1e4).round() / 1e4,
            self.pixel_um.1,
            (self.frame_rate_hz.0 * 1e4).round() / 1e4,
            self.frame_rate_hz.1,
            self.base_name
        );
        out.push_str(&format!(
            "Bit depth: {}; clipped samples: {:.2e}. Unlit pixels (outside the image circle): {}. Registration error: {:.3} px per axis. Neighbour correlation of pixel noise: {:.3} / {:.3} (horizontal / vertical){}.\n\n",
            self.sensor
                .bit_depth
                .map_or("not integer counts".to_owned(), |b| format!("{b} bits")),
            self.sensor.clipped_fraction,
            self.sensor.unlit.as_ref().map_or("none".to_owned(), |m| format!(
                "{} ({:.2} DN mean)",
                m.iter().filter(|&&v| v).count(),
                self.sensor.dark_mean_dn.unwrap_or(0.0)
            )),
            self.motion.error_px,
            self.noise_correlation[0],
            self.noise_correlation[1],
            if (self.noise_correlation[0] + self.noise_correlation[1]) / 2.0 > 0.2 {
                ": the frames were resampled or binned before export, so the photon-transfer estimates describe the exported pixels, not the sensor's"
            } else {
                ""
            }
        ));
        out.push_str("| quantity | estimate | unit | how |\n|---|---|---|---|\n");
        for (name, unit, e) in self.estimates() {
            out.push_str(&format!(
                "| {name} | {} | {unit} | {} |\n",
                cell(e, 3),
                e.note
            ));
        }
        out.push_str(
            "\n(bound): the movie bounds the quantity only; (prior): not identifiable from this movie, taken from the flag or the base spec. Methods: docs/calibrate.md.\n",
        );
        out
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        let estimates: serde_json::Map<String, Value> = self
            .estimates()
            .into_iter()
            .map(|(name, unit, e)| {
                (
                    name.to_owned(),
                    json!({"value": e.value, "sd": e.sd, "quality": e.quality, "unit": unit, "note": e.note}),
                )
            })
            .collect();
        json!({
            "frames": self.frames,
            "dims": self.dims,
            "pixel_um": {"value": self.pixel_um.0, "from": self.pixel_um.1},
            "frame_rate_hz": {"value": self.frame_rate_hz.0, "from": self.frame_rate_hz.1},
            "base": self.base_name,
            "bit_depth": self.sensor.bit_depth,
            "clipped_fraction": self.sensor.clipped_fraction,
            "unlit_mean_dn": self.sensor.dark_mean_dn,
            "noise_correlation": self.noise_correlation,
            "registration_error_px": self.motion.error_px,
            "estimates": estimates,
        })
    }
}
