//! Footprints as pixel sets: binarisation by energy fraction and intersection over
//! union.

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
}
