//! The neurofinder benchmark's centre-distance scores, reproduced exactly so that
//! `minisim-cli score` and Python's `neurofinder evaluate` agree on the same regions.
//!
//! neurofinder (freeman-lab/neurofinder-python 1.1) matches greedily: for each
//! ground-truth region in order, the nearest remaining estimated region by unweighted
//! centroid distance is taken if it is closer than the threshold (5 px by default).
//! Recall = matches / truth, precision = matches / estimates, combined = their F1;
//! inclusion and exclusion are the mean over matches of |A∩B|/|A| and |A∩B|/|B|.
//! Empty pixel sets are not regions (they are neither written by `export-rois` nor
//! counted), and unlike neurofinder, empty inputs give 0 instead of NaN.

use serde::Serialize;

use crate::footprints::centroid;
use crate::{harmonic, ratio};

/// Default centre-distance threshold of `neurofinder evaluate`, px.
pub const THRESHOLD_PX: f64 = 5.0;

/// neurofinder's five numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Centers {
    /// Matches / ground-truth regions.
    pub recall: f64,
    /// Matches / estimated regions.
    pub precision: f64,
    /// Harmonic mean of recall and precision.
    pub combined: f64,
    /// Mean |A∩B| / |A| over matches (A = truth).
    pub inclusion: f64,
    /// Mean |A∩B| / |B| over matches (B = estimate).
    pub exclusion: f64,
}

/// Score sorted pixel sets (rows of `width`) the way `neurofinder evaluate` does.
/// Empty sets have no centroid and never match.
pub fn centers(
    truth: &[Vec<u32>],
    estimates: &[Vec<u32>],
    width: usize,
    threshold: f64,
) -> Centers {
    let mut targets: Vec<(usize, [f64; 2])> = estimates
        .iter()
        .enumerate()
        .filter_map(|(i, s)| centroid(s, width).map(|c| (i, c)))
        .collect();
    let mut matches = Vec::new();
    for (t, set) in truth.iter().enumerate() {
        let Some(c) = centroid(set, width) else {
            continue;
        };
        let mut best: Option<(usize, f64)> = None;
        for (k, (_, d)) in targets.iter().enumerate() {
            let dist = ((d[0] - c[0]).powi(2) + (d[1] - c[1]).powi(2)).sqrt();
            if best.is_none_or(|(_, b)| dist < b) {
                best = Some((k, dist));
            }
        }
        if let Some((k, dist)) = best
            && dist < threshold
        {
            matches.push((t, targets.remove(k).0));
        }
    }
    let regions = |sets: &[Vec<u32>]| sets.iter().filter(|s| !s.is_empty()).count();
    let recall = ratio(matches.len(), regions(truth));
    let precision = ratio(matches.len(), regions(estimates));
    let combined = harmonic(recall, precision);
    let (mut inclusion, mut exclusion) = (0.0, 0.0);
    for &(t, e) in &matches {
        let common = truth[t]
            .iter()
            .filter(|p| estimates[e].binary_search(p).is_ok())
            .count();
        inclusion += common as f64 / truth[t].len() as f64;
        exclusion += common as f64 / estimates[e].len() as f64;
    }
    let n = matches.len().max(1) as f64;
    Centers {
        recall,
        precision,
        combined,
        inclusion: inclusion / n,
        exclusion: exclusion / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_centre_matching_as_in_neurofinder() {
        // Width 100: truth 0 centred (0, 1), truth 1 centred (50, 50).
        let truth = vec![vec![0, 1, 2], vec![5050]];
        // Estimate 0 is 2 px right of truth 0; estimate 1 is far from everything.
        let est = vec![vec![3], vec![9999]];
        let c = centers(&truth, &est, 100, THRESHOLD_PX);
        assert_eq!((c.recall, c.precision), (0.5, 0.5));
        assert_eq!((c.inclusion, c.exclusion), (0.0, 0.0));
        let same = centers(&truth, &truth, 100, THRESHOLD_PX);
        assert_eq!(
            (same.recall, same.precision, same.combined),
            (1.0, 1.0, 1.0)
        );
        assert_eq!((same.inclusion, same.exclusion), (1.0, 1.0));
        let none = centers(&[], &[], 100, THRESHOLD_PX);
        assert_eq!(none.combined, 0.0);
    }
}
