//! Shards of a sweep for job arrays.

use std::fmt;
use std::str::FromStr;

/// Shard `k` of `n` (1-based, as Slurm numbers array tasks): the points `i` with
/// `i mod n = k − 1`. Shards `1/n … n/n` are disjoint and cover every point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    k: usize,
    n: usize,
}

impl Shard {
    /// Shard `k` of `n`; `None` unless `1 ≤ k ≤ n`.
    pub fn new(k: usize, n: usize) -> Option<Shard> {
        (k >= 1 && k <= n).then_some(Shard { k, n })
    }

    /// The one shard of an unsharded run.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// This shard's number, 1-based.
    pub fn k(self) -> usize {
        self.k
    }

    /// The number of shards.
    pub fn n(self) -> usize {
        self.n
    }

    /// The shard point `i` belongs to among `n` shards.
    pub fn of(i: usize, n: usize) -> Shard {
        Shard { k: i % n + 1, n }
    }

    /// Whether point `i` belongs to this shard.
    pub fn contains(self, i: usize) -> bool {
        i % self.n == self.k - 1
    }

    /// This shard's points among `points`, ascending.
    pub fn indices(self, points: usize) -> impl Iterator<Item = usize> {
        (self.k - 1..points).step_by(self.n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N`, e.g. `2/8`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N, e.g. 2/8 (got {s:?})"))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("K in {s:?} is not a whole number"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("N in {s:?} is not a whole number"))?;
        Shard::new(k, n).ok_or_else(|| format!("need 1 <= K <= N (got {k}/{n})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_points() {
        for points in [0, 1, 5, 6, 13, 100] {
            for n in 1..=7 {
                let mut seen = vec![0u32; points];
                for k in 1..=n {
                    let s = Shard::new(k, n).unwrap();
                    for i in s.indices(points) {
                        assert!(s.contains(i));
                        assert_eq!(Shard::of(i, n), s);
                        seen[i] += 1;
                    }
                }
                assert!(
                    seen.iter().all(|&c| c == 1),
                    "{points} points, {n} shards: counts {seen:?}"
                );
            }
        }
    }

    #[test]
    fn parse_and_reject() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard::new(2, 8).unwrap()));
        assert_eq!(Shard::new(3, 7).unwrap().to_string(), "3/7");
        for bad in ["0/3", "4/3", "1/0", "2", "a/3", "1/b", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad} accepted");
        }
    }
}
