//! Footprints as pixel sets: binarisation by energy fraction, intersection over union
//! and centroids.

use minisim_render::Csr;

/// Weighted spatial footprints over an `height × width` FOV, one sparse row per
/// component (pixel index `y · width + x`, weight in any unit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Footprints {
    /// FOV height, px.
    pub height: usize,
    /// FOV width, px.
    pub width: usize,
    /// Pixel indices per component (any order, no repeats).
    pub indices: Vec<Vec<u32>>,
    /// Weights per component, parallel to `indices`.
    pub weights: Vec<Vec<f32>>,
}

impl Footprints {
    /// The rows of a cells × pixels CSR matrix (e.g. the ground truth's footprints).
    pub fn from_csr(csr: &Csr, height: usize, width: usize) -> Footprints {
        let mut f = Footprints {
            height,
            width,
            ..Default::default()
        };
        for row in csr.indptr.windows(2) {
            let r = row[0] as usize..row[1] as usize;
            f.indices
                .push(csr.indices[r.clone()].iter().map(|&i| i as u32).collect());
            f.weights.push(csr.data[r].to_vec());
        }
        f
    }

    /// Number of components.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// True if there are no components.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Keep only the components whose index satisfies `keep`.
    pub fn select(&self, keep: impl Fn(usize) -> bool) -> Footprints {
        let (indices, weights) = (0..self.len())
            .filter(|&i| keep(i))
            .map(|i| (self.indices[i].clone(), self.weights[i].clone()))
            .unzip();
        Footprints {
            height: self.height,
            width: self.width,
            indices,
            weights,
        }
    }

    /// Every component binarised at `fraction` of its energy (sorted pixel sets).
    pub fn binarized(&self, fraction: f64) -> Vec<Vec<u32>> {
        self.indices
            .iter()
            .zip(&self.weights)
            .map(|(i, w)| binarize(i, w, fraction))
            .collect()
    }
}

/// Unweighted centroid `[y, x]` (px) of a pixel set on rows of `width`; `None` if empty.
pub fn centroid(set: &[u32], width: usize) -> Option<[f64; 2]> {
    if set.is_empty() {
        return None;
    }
    let n = set.len() as f64;
    let (mut y, mut x) = (0.0, 0.0);
    for &p in set {
        y += (p as usize / width) as f64;
        x += (p as usize % width) as f64;
    }
    Some([y / n, x / n])
}

/// The smallest set of pixels holding `fraction` of a footprint's energy (Σ w²), as
/// sorted pixel indices. Pixels are taken in decreasing w² (ties by index, so the
/// result is deterministic); an all-zero or empty footprint gives the empty set.
pub fn binarize(indices: &[u32], weights: &[f32], fraction: f64) -> Vec<u32> {
    let mut order: Vec<(f64, u32)> = indices
        .iter()
        .zip(weights)
        .map(|(&i, &w)| ((w as f64).powi(2), i))
        .filter(|&(e, _)| e > 0.0)
        .collect();
    let total: f64 = order.iter().map(|&(e, _)| e).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut kept = Vec::new();
    let mut acc = 0.0;
    for (e, i) in order {
        if acc >= fraction * total {
            break;
        }
        acc += e;
        kept.push(i);
    }
    kept.sort_unstable();
    kept
}

/// |A ∩ B| / |A ∪ B| of two sorted pixel sets; 0 when both are empty.
pub fn iou(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binarize_keeps_the_brightest_pixels_up_to_the_energy_fraction() {
        // Energies 16, 9, 4, 1 (total 30): 90 % needs 16 + 9 + 4 = 29 ≥ 27.
        let kept = binarize(&[7, 3, 5, 9], &[1.0, 4.0, 3.0, 2.0], 0.9);
        assert_eq!(kept, vec![3, 5, 9]);
        assert_eq!(binarize(&[1, 2], &[0.0, 0.0], 0.9), Vec::<u32>::new());
        assert_eq!(binarize(&[], &[], 0.9), Vec::<u32>::new());
    }

    #[test]
    fn iou_of_identical_shifted_and_disjoint_sets() {
        let a: Vec<u32> = (0..10).collect();
        assert_eq!(iou(&a, &a), 1.0);
        let shifted: Vec<u32> = (5..15).collect();
        assert!((iou(&a, &shifted) - 5.0 / 15.0).abs() < 1e-12);
        assert_eq!(iou(&a, &[100, 101]), 0.0);
        assert_eq!(iou(&[], &[]), 0.0);
    }

    #[test]
    fn footprints_from_csr_rows_and_centroids() {
        let csr = Csr {
            indptr: vec![0, 2, 2, 3],
            indices: vec![0, 5, 7],
            data: vec![1.0, 2.0, 3.0],
            shape: (3, 8),
        };
        let f = Footprints::from_csr(&csr, 2, 4);
        assert_eq!(f.len(), 3);
        assert_eq!(f.indices[0], vec![0, 5]);
        assert!(f.indices[1].is_empty());
        assert_eq!(centroid(&[0, 5], 4), Some([0.5, 0.5]));
        assert_eq!(centroid(&[], 4), None);
        assert_eq!(f.select(|i| i != 1).indices, vec![vec![0, 5], vec![7]]);
    }
}
