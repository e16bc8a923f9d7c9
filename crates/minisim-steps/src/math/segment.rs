//! Points against line segments (dendrite capsules, vessel centre lines).

/// The parameter t ∈ [0, 1] of the point of segment `a`–`b` closest to `p`, and the
/// distance to it. A degenerate segment (a = b) gives t = 0.
pub fn closest(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
    let (t, d0, d1) = offset(p, a, b);
    (t, d0.hypot(d1))
}

/// `closest` before the distance: the parameter t and the offset from `p` to the
/// closest point (whose length `closest` returns).
pub fn offset(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> (f64, f64, f64) {
    let d = [b[0] - a[0], b[1] - a[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (t, a[0] + t * d[0] - p[0], a[1] + t * d[1] - p[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_point_inside_beyond_and_on_a_degenerate_segment() {
        assert_eq!(closest([5.0, 3.0], [0.0, 0.0], [10.0, 0.0]), (0.5, 3.0));
        assert_eq!(closest([13.0, 4.0], [0.0, 0.0], [10.0, 0.0]), (1.0, 5.0));
        assert_eq!(closest([3.0, 4.0], [0.0, 0.0], [0.0, 0.0]), (0.0, 5.0));
    }
}
