//! Spike detection scores: events matched one-to-one within ± a frame tolerance.

use crate::{harmonic, ratio};

/// Number of one-to-one matches between two sorted lists of event frames with
/// |a − b| ≤ `tolerance`. The two-pointer sweep is optimal for this interval matching
/// (an exchange argument: matching the earliest compatible pair never loses).
pub fn matched_events(truth: &[u64], estimate: &[u64], tolerance: u64) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < truth.len() && j < estimate.len() {
        let (t, e) = (truth[i], estimate[j]);
        if e + tolerance < t {
            j += 1;
        } else if t + tolerance < e {
            i += 1;
        } else {
            n += 1;
            i += 1;
            j += 1;
        }
    }
    n
}

/// Pooled counts over cell pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pooled {
    /// Matched events.
    pub matched: usize,
    /// Ground-truth events.
    pub truth: usize,
    /// Estimated events.
    pub estimated: usize,
}

impl Pooled {
    /// Add one cell pair.
    pub fn add(&mut self, truth: &[u64], estimate: &[u64], tolerance: u64) {
        self.matched += matched_events(truth, estimate, tolerance);
        self.truth += truth.len();
        self.estimated += estimate.len();
    }

    /// Matched / estimated (0 when nothing was estimated).
    pub fn precision(&self) -> f64 {
        ratio(self.matched, self.estimated)
    }

    /// Matched / truth (0 without truth events).
    pub fn recall(&self) -> f64 {
        ratio(self.matched, self.truth)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        harmonic(self.precision(), self.recall())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_match_within_the_tolerance_one_to_one() {
        assert_eq!(matched_events(&[10, 20, 30], &[11, 19, 40], 1), 2);
        assert_eq!(matched_events(&[10, 20, 30], &[11, 19, 40], 0), 0);
        // One estimate cannot match two true events.
        assert_eq!(matched_events(&[10, 11], &[10], 2), 1);
        // Greedy on the earliest compatible pair is optimal here too.
        assert_eq!(matched_events(&[5, 7], &[6, 8], 1), 2);
        let mut p = Pooled::default();
        p.add(&[1, 2, 3, 4], &[1, 3], 0);
        assert_eq!((p.precision(), p.recall()), (1.0, 0.5));
        assert_eq!(Pooled::default().f1(), 0.0);
    }
}
