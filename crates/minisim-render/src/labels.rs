//! Detectability labels of the ground-truth cells: the fair recall denominator.
//!
//! A cell's expected peak SNR is the ΔF of its brightest FOV pixel at the cell's largest
//! ΔF/F of the recording, in photoelectrons, over the noise of that pixel at rest:
//!
//! `SNR = F_c(p) · max_t ΔF/F_c(t) · G · V(p) · T(p) · g(p) / sqrt(λ_rest(p) · g(p) + σ_read² + σ_row²)`
//!
//! with `F_c` the cell's resting footprint (intensity), `G` the mean photon gain
//! (e⁻ per unit intensity), `V` the vignette, `T` the resting vessel transmission, `g`
//! the PRNU gain and `λ_rest` the expected electrons of frame 0 with every cell at rest
//! and the neuropil at its mean (leakage included). Without `digitize` the read and
//! row noise are absent; without `photon_field` the movie is noiseless intensity and a
//! cell with any signal has infinite SNR.
//!
//! Invariants: every vector has one entry per cell; a cell with no FOV pixel or no
//! activity has SNR 0 and is not detectable; `detectable ⇔ SNR ≥ DETECTABLE_SNR`.

use minisim_steps::Csr;

/// SNR from which a cell counts as detectable (default of `detectable`).
pub const DETECTABLE_SNR: f64 = 3.0;

/// Per-pixel factors of the SNR, each FOV-sized (row-major), or empty for "absent".
pub(crate) struct Noise<'a> {
    /// Multiplies a footprint value (intensity) into photoelectrons at the pixel.
    pub to_electrons: Vec<f64>,
    /// Expected resting electrons (or intensity without `photon_field`).
    pub resting: &'a [f32],
    /// PRNU gain, empty without `digitize`.
    pub prnu: &'a [f32],
    /// σ_read² + σ_row² in e⁻², 0 without `digitize`.
    pub sensor_var: f64,
    /// Shot noise present (`photon_field` runs).
    pub shot: bool,
}

/// Expected peak SNR of every cell (rows of `footprints`) given its peak ΔF/F.
pub(crate) fn peak_snr(footprints: &Csr, peak_dff: &[f32], noise: &Noise<'_>) -> Vec<f64> {
    (0..footprints.indptr.len() - 1)
        .map(|c| {
            let range = footprints.indptr[c] as usize..footprints.indptr[c + 1] as usize;
            let Some(j) = range.max_by(|&a, &b| footprints.data[a].total_cmp(&footprints.data[b]))
            else {
                return 0.0;
            };
            let p = footprints.indices[j] as usize;
            let g = noise.prnu.get(p).map_or(1.0, |&v| v as f64);
            let signal = footprints.data[j] as f64
                * peak_dff.get(c).map_or(0.0, |&v| v.max(0.0) as f64)
                * noise.to_electrons[p]
                * g;
            if signal <= 0.0 {
                return 0.0;
            }
            // The resting frame is frame 0 (moved by its displacement), so at the
            // cell's peak it can miss the cell itself; the cell's own resting light is
            // always there, so it bounds the shot variance from below.
            let own = footprints.data[j] as f64 * noise.to_electrons[p];
            let var = if noise.shot {
                (noise.resting[p].max(0.0) as f64).max(own) * g + noise.sensor_var
            } else {
                0.0
            };
            if var > 0.0 {
                signal / var.sqrt()
            } else {
                f64::INFINITY
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_cell(value: f32, pixel: i32) -> Csr {
        Csr {
            indptr: vec![0, 2, 2],
            indices: vec![pixel - 1, pixel],
            data: vec![value / 2.0, value],
            shape: (2, 4),
        }
    }

    #[test]
    fn snr_is_peak_delta_f_over_shot_and_read_noise() {
        let fp = one_cell(10.0, 2);
        let resting = [0.0, 0.0, 96.0, 0.0];
        let noise = Noise {
            to_electrons: vec![2.0; 4],
            resting: &resting,
            prnu: &[],
            sensor_var: 4.0,
            shot: true,
        };
        // ΔF = 10 · 0.5 · 2 = 10 e⁻ over sqrt(96 + 4) = 10 e⁻.
        let snr = peak_snr(&fp, &[0.5, 1.0], &noise);
        assert!((snr[0] - 1.0).abs() < 1e-12, "{snr:?}");
        // The second cell has no pixel in the FOV.
        assert_eq!(snr[1], 0.0);
        // A silent cell is not detectable whatever its brightness.
        assert_eq!(peak_snr(&fp, &[0.0, 0.0], &noise)[0], 0.0);
    }

    /// A resting frame that misses the cell (moved away in frame 0, no background)
    /// still leaves the cell's own resting light as shot noise: the SNR is finite.
    #[test]
    fn the_cells_own_light_bounds_the_shot_noise() {
        let fp = one_cell(4.0, 2);
        let noise = Noise {
            to_electrons: vec![25.0; 4],
            resting: &[0.0; 4],
            prnu: &[],
            sensor_var: 0.0,
            shot: true,
        };
        // signal 4·1·25 = 100 e⁻ over √(4·25) = 10 e⁻.
        let snr = peak_snr(&fp, &[1.0, 0.0], &noise);
        assert!((snr[0] - 10.0).abs() < 1e-12, "{snr:?}");
    }

    #[test]
    fn noiseless_intensity_gives_infinite_snr_for_active_cells() {
        let fp = one_cell(1.0, 1);
        let noise = Noise {
            to_electrons: vec![1.0; 4],
            resting: &[1.0; 4],
            prnu: &[],
            sensor_var: 0.0,
            shot: false,
        };
        assert_eq!(peak_snr(&fp, &[0.2, 0.0], &noise)[0], f64::INFINITY);
    }
}
