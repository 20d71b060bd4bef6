//! A latency histogram of atomics: fixed buckets, a count per bucket, the
//! sum in nanoseconds. Observing is a few comparisons and two relaxed
//! `fetch_add`s; a scrape reads the counts (each is exact, the set is
//! read without stopping writers, as Prometheus clients do).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (the last bucket, +Inf, is
/// implied): 1 ms to 30 s, the range of a SOAP call whose upstream times
/// out at `--upstream-timeout` (30 s by default).
pub const BOUNDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

const BOUNDS_NS: [u64; 14] = {
    let mut ns = [0u64; 14];
    let micros = [
        1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
        2_500_000, 5_000_000, 10_000_000, 30_000_000,
    ];
    let mut i = 0;
    while i < 14 {
        ns[i] = micros[i] * 1_000;
        i += 1;
    }
    ns
};

/// One histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; 15],
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_NS.iter().position(|&b| ns <= b).unwrap_or(14);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// (sum in seconds, count, per-bucket counts with their upper bounds;
    /// the last bound is `f64::MAX`, which the encoder writes as +Inf).
    pub fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let count = counts.iter().sum();
        let buckets = BOUNDS
            .iter()
            .copied()
            .chain([f64::MAX])
            .zip(counts)
            .collect();
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        (sum, count, buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_bucket() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(1));
        h.observe(Duration::from_millis(7));
        h.observe(Duration::from_secs(60));
        let (sum, count, buckets) = h.snapshot();
        assert_eq!(count, 4);
        assert!((sum - 60.0085).abs() < 1e-9, "{sum}");
        assert_eq!(buckets[0], (0.001, 2));
        assert_eq!(buckets[3], (0.01, 1));
        assert_eq!(buckets[14], (f64::MAX, 1));
    }
}
