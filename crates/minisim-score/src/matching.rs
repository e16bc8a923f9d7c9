//! One-to-one matching of estimated to ground-truth footprints and the detection
//! scores that follow from it.
//!
//! The assignment maximises the total IoU over all one-to-one pairings (Kuhn–Munkres,
//! from the `pathfinding` crate); pairs below the IoU threshold are then dropped.
//! Precision = matched / estimates, recall = matched / truth, F1 their harmonic mean;
//! every ratio with a zero denominator is 0, never NaN.

use std::collections::{BTreeMap, HashMap};

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

use crate::{harmonic, ratio};

/// A matched pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Index of the ground-truth footprint.
    pub truth: usize,
    /// Index of the estimated footprint.
    pub estimate: usize,
    /// Their intersection over union.
    pub iou: f64,
}

/// The result of matching.
#[derive(Debug, Clone, PartialEq)]
pub struct Matching {
    /// Matched pairs with IoU ≥ the threshold, by truth index.
    pub pairs: Vec<Pair>,
    /// Number of ground-truth footprints.
    pub truth: usize,
    /// Number of estimated footprints.
    pub estimates: usize,
}

impl Matching {
    /// Matched / estimates.
    pub fn precision(&self) -> f64 {
        ratio(self.pairs.len(), self.estimates)
    }

    /// Matched / truth.
    pub fn recall(&self) -> f64 {
        ratio(self.pairs.len(), self.truth)
    }

    /// Harmonic mean of precision and recall (0 when both are 0).
    pub fn f1(&self) -> f64 {
        harmonic(self.precision(), self.recall())
    }
}

/// The one-to-one assignment of rows to columns maximising the total score, as
/// (row, column) pairs sorted by row. Scores are quantised to 1e-9 for the integer
/// solver.
pub fn assign(scores: &[Vec<f64>]) -> Vec<(usize, usize)> {
    let rows = scores.len();
    let cols = scores.first().map_or(0, Vec::len);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let q = |v: f64| (v * 1e9).round() as i64;
    let (transposed, n, m) = if rows <= cols {
        (false, rows, cols)
    } else {
        (true, cols, rows)
    };
    let matrix = Matrix::from_fn(n, m, |(i, j)| {
        if transposed {
            q(scores[j][i])
        } else {
            q(scores[i][j])
        }
    });
    let (_, assignment) = kuhn_munkres(&matrix);
    let mut pairs: Vec<(usize, usize)> = assignment
        .into_iter()
        .enumerate()
        .map(|(i, j)| if transposed { (j, i) } else { (i, j) })
        .collect();
    pairs.sort_unstable();
    pairs
}

/// Match estimated footprints to ground-truth footprints (both as sorted pixel sets).
///
/// Only pairs with IoU ≥ `threshold` (and > 0) are admissible; among them the
/// assignment maximises the total IoU. The bipartite graph of admissible pairs is
/// split into connected components, each solved exactly, so large FOVs with many
/// cells stay fast.
pub fn match_footprints(truth: &[Vec<u32>], estimates: &[Vec<u32>], threshold: f64) -> Matching {
    let edges = overlaps(truth, estimates, threshold);
    let nt = truth.len();
    let mut roots: Vec<usize> = (0..nt + estimates.len()).collect();
    fn find(roots: &mut [usize], mut i: usize) -> usize {
        while roots[i] != i {
            roots[i] = roots[roots[i]];
            i = roots[i];
        }
        i
    }
    for &(t, e, _) in &edges {
        let (a, b) = (find(&mut roots, t), find(&mut roots, nt + e));
        if a != b {
            roots[a.max(b)] = a.min(b);
        }
    }
    let mut components: BTreeMap<usize, Vec<(usize, usize, f64)>> = BTreeMap::new();
    for &edge in &edges {
        let root = find(&mut roots, edge.0);
        components.entry(root).or_default().push(edge);
    }
    let mut pairs = Vec::new();
    for edges in components.values() {
        let mut ts: Vec<usize> = edges.iter().map(|e| e.0).collect();
        let mut es: Vec<usize> = edges.iter().map(|e| e.1).collect();
        ts.sort_unstable();
        ts.dedup();
        es.sort_unstable();
        es.dedup();
        let mut scores = vec![vec![0.0; es.len()]; ts.len()];
        for &(t, e, v) in edges {
            let i = ts.binary_search(&t).expect("own node");
            let j = es.binary_search(&e).expect("own node");
            scores[i][j] = v;
        }
        for (i, j) in assign(&scores) {
            if scores[i][j] > 0.0 {
                pairs.push(Pair {
                    truth: ts[i],
                    estimate: es[j],
                    iou: scores[i][j],
                });
            }
        }
    }
    pairs.sort_by_key(|p| p.truth);
    Matching {
        pairs,
        truth: truth.len(),
        estimates: estimates.len(),
    }
}

/// Admissible (truth, estimate, IoU) pairs, sorted, from an inverted pixel index.
fn overlaps(
    truth: &[Vec<u32>],
    estimates: &[Vec<u32>],
    threshold: f64,
) -> Vec<(usize, usize, f64)> {
    let mut by_pixel: HashMap<u32, Vec<usize>> = HashMap::new();
    for (t, set) in truth.iter().enumerate() {
        for &p in set {
            by_pixel.entry(p).or_default().push(t);
        }
    }
    let mut edges = Vec::new();
    let mut common: BTreeMap<usize, usize> = BTreeMap::new();
    for (e, set) in estimates.iter().enumerate() {
        common.clear();
        for p in set {
            for &t in by_pixel.get(p).map_or(&[][..], Vec::as_slice) {
                *common.entry(t).or_insert(0) += 1;
            }
        }
        for (&t, &c) in &common {
            let v = c as f64 / (truth[t].len() + set.len() - c) as f64;
            if v >= threshold && v > 0.0 {
                edges.push((t, e, v));
            }
        }
    }
    edges.sort_by_key(|e| (e.0, e.1));
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_assignment_beats_greedy() {
        // Greedy takes (0, 0) = 0.9 and is left with (1, 1) = 0 → one match at 0.5.
        // The optimum pairs (0, 1) and (1, 0): 0.8 + 0.8 = 1.6 → two matches.
        let scores = vec![vec![0.9, 0.8], vec![0.8, 0.0]];
        assert_eq!(assign(&scores), vec![(0, 1), (1, 0)]);
        // More rows than columns is handled by transposing.
        let tall = vec![vec![0.9], vec![0.95], vec![0.1]];
        assert_eq!(assign(&tall), vec![(1, 0)]);
    }

    #[test]
    fn sparse_matching_equals_the_dense_optimum() {
        // Two overlapping clusters; in each, greedy would pick the wrong pair.
        let truth: Vec<Vec<u32>> = vec![(0..10).collect(), (6..16).collect(), (100..110).collect()];
        let est: Vec<Vec<u32>> = vec![(104..114).collect(), (1..11).collect(), (5..15).collect()];
        let m = match_footprints(&truth, &est, 0.0);
        let dense: Vec<Vec<f64>> = truth
            .iter()
            .map(|t| est.iter().map(|e| crate::footprints::iou(t, e)).collect())
            .collect();
        let best: f64 = assign(&dense).iter().map(|&(t, e)| dense[t][e]).sum();
        let got: f64 = m.pairs.iter().map(|p| p.iou).sum();
        assert!((got - best).abs() < 1e-12, "{got} vs {best}");
        assert_eq!(m.pairs.len(), 3);
    }

    #[test]
    fn identical_footprints_score_one() {
        let fps: Vec<Vec<u32>> = (0..5).map(|c| (c * 100..c * 100 + 30).collect()).collect();
        let m = match_footprints(&fps, &fps, 0.5);
        assert_eq!(m.pairs.len(), 5);
        assert!(
            m.pairs
                .iter()
                .all(|p| p.iou == 1.0 && p.truth == p.estimate)
        );
        assert_eq!((m.precision(), m.recall(), m.f1()), (1.0, 1.0, 1.0));
    }

    #[test]
    fn shifted_copies_match_only_above_the_threshold() {
        let truth: Vec<Vec<u32>> = vec![(0..20).collect()];
        let near: Vec<Vec<u32>> = vec![(4..24).collect()]; // IoU 16/24 = 0.67
        let far: Vec<Vec<u32>> = vec![(12..32).collect()]; // IoU 8/32 = 0.25
        assert_eq!(match_footprints(&truth, &near, 0.5).pairs.len(), 1);
        assert_eq!(match_footprints(&truth, &far, 0.5).pairs.len(), 0);
    }

    #[test]
    fn empty_inputs_and_all_zero_footprints_give_zero_not_nan() {
        let none: Vec<Vec<u32>> = Vec::new();
        let some: Vec<Vec<u32>> = vec![(0..10).collect()];
        for m in [
            match_footprints(&none, &none, 0.5),
            match_footprints(&some, &none, 0.5),
            match_footprints(&none, &some, 0.5),
        ] {
            assert_eq!((m.precision(), m.recall(), m.f1()), (0.0, 0.0, 0.0));
        }
        // An all-zero footprint binarises to the empty set and matches nothing.
        let zero = crate::footprints::binarize(&[1, 2, 3], &[0.0, 0.0, 0.0], 0.9);
        let m = match_footprints(&some, &[zero], 0.0);
        assert!(m.pairs.is_empty());
        assert_eq!(m.f1(), 0.0);
    }
}
