//! The network's time books, kept cheaper than a block's: a station's
//! waits are only ever read as a mean (a sum and a count), and response
//! times go into a compact histogram that reports exactly what the shared
//! [`Latency`](crate::sim::metrics::Latency) reports for the same values.
//!
//! Why not the shared one: every job records two durations (at its
//! station and through the network), and an auto-resizing HDR histogram
//! of `u64` counts spans over 100 KiB, so that nearly every record was a
//! cache miss. [`Times`] uses the same bins (three significant figures
//! over whole microseconds: bin `i` holds the values whose HDR index is
//! `i`) with `u16` counts (a bin's whole multiples of 2¹⁶ are carried
//! aside, so the bins a run touches stay within a few pages of cache)
//! and no other bookkeeping, and answers a quantile
//! the way `Histogram::value_at_quantile` does (the first bin where the
//! running count reaches ⌈q·n⌉, read as the highest value equivalent to
//! it), so every reported figure is the same, bit for bit; the means are
//! the same sum of whole microseconds over the same count.

use std::collections::BTreeMap;

use crate::sim::SimTime;

/// A mean of durations: the sum of whole microseconds and their count,
/// read exactly as [`Latency::mean_s`](crate::sim::metrics::Latency::mean_s)
/// reads its own.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MeanTime {
    sum_us: f64,
    n: u64,
}

impl MeanTime {
    #[inline]
    pub(super) fn record(&mut self, d: SimTime) {
        self.sum_us += d.micros() as f64;
        self.n += 1;
    }

    /// Mean in seconds (NaN when empty).
    pub(super) fn mean_s(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.sum_us / self.n as f64 / 1e6
        }
    }

    pub(super) fn reset(&mut self) {
        *self = MeanTime::default();
    }
}

/// log₂ of the half count of sub-buckets (HDR with 3 significant figures:
/// 2048 sub-buckets, the upper 1024 used past the first bucket).
const HALF_MAG: u32 = 10;
const HALF: u64 = 1 << HALF_MAG;
const MASK: u64 = 2 * HALF - 1;

/// The HDR bin of `us` microseconds.
#[inline]
fn bin(us: u64) -> usize {
    // Bucket: how many doublings past the first 2048 values.
    let bucket = 53 - (us | MASK).leading_zeros();
    let sub = us >> bucket;
    (((u64::from(bucket) + 1) << HALF_MAG) + sub - HALF) as usize
}

/// The lowest value of bin `i` and the width of its range.
fn bin_range(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < 2 * HALF {
        (i, 1)
    } else {
        let bucket = (i >> HALF_MAG) - 1;
        let sub = (i & (HALF - 1)) + HALF;
        (sub << bucket, 1 << bucket)
    }
}

/// Durations in HDR bins (see the module docs).
#[derive(Clone, Debug, Default)]
pub(super) struct Times {
    counts: Vec<u16>,
    /// Whole multiples of 2¹⁶ a bin's `u16` count rolled over.
    carried: BTreeMap<usize, u64>,
    n: u64,
    sum_us: f64,
}

impl Times {
    #[inline]
    pub(super) fn record(&mut self, d: SimTime) {
        let us = d.micros();
        let i = bin(us);
        if i >= self.counts.len() {
            self.grow(i);
        }
        match self.counts[i].checked_add(1) {
            Some(c) => self.counts[i] = c,
            None => self.carry(i),
        }
        self.n += 1;
        self.sum_us += us as f64;
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        self.counts.resize((i + 1).next_power_of_two().max(4096), 0);
    }

    #[cold]
    fn carry(&mut self, i: usize) {
        self.counts[i] = 0;
        *self.carried.entry(i).or_default() += 1 << 16;
    }

    #[cfg(test)]
    fn count(&self, i: usize) -> u64 {
        u64::from(self.counts[i]) + self.carried.get(&i).copied().unwrap_or(0)
    }

    /// How many were recorded.
    #[cfg(test)]
    fn len(&self) -> u64 {
        self.n
    }

    /// Mean in seconds (NaN when empty).
    pub(super) fn mean_s(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.sum_us / self.n as f64 / 1e6
        }
    }

    /// Quantile `q` in [0, 1], in seconds (NaN when empty).
    pub(super) fn quantile_s(&self, q: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let q = q.min(1.0);
        let target = ((q * self.n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        // The carried multiples, in bin order beside the bins.
        let mut carried = self.carried.iter().peekable();
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if let Some((_, &more)) = carried.next_if(|&(&k, _)| k == i) {
                seen += more;
            }
            if seen >= target {
                let (low, width) = bin_range(i);
                let v = if q == 0.0 { low } else { low + width - 1 };
                return v as f64 / 1e6;
            }
        }
        0.0
    }

    pub(super) fn reset(&mut self) {
        self.counts.fill(0);
        self.carried.clear();
        self.n = 0;
        self.sum_us = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::metrics::Latency;

    #[test]
    fn the_bins_report_what_the_hdr_histogram_reports() {
        let mut hdr = Latency::new();
        let mut t = Times::default();
        let mut m = MeanTime::default();
        assert!(t.quantile_s(0.5).is_nan() && t.mean_s().is_nan() && m.mean_s().is_nan());
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let qs = [0.0, 0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];
        for k in 0..50_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Small values, whole bins and the far tail (days).
            let d = SimTime(match k % 4 {
                0 => x % 3000,
                1 => x % 5_000_000,
                2 => 1 << (x % 40),
                _ => x % 400_000_000_000,
            });
            hdr.record(d);
            t.record(d);
            m.record(d);
            if k % 997 == 0 {
                for q in qs {
                    assert_eq!(t.quantile_s(q), hdr.quantile_s(q), "q {q} after {k}");
                }
            }
        }
        for q in qs {
            assert_eq!(t.quantile_s(q), hdr.quantile_s(q), "q {q}");
        }
        assert_eq!(t.mean_s(), hdr.mean_s());
        assert_eq!(m.mean_s(), hdr.mean_s());
        assert_eq!(t.len(), hdr.count());
        t.reset();
        m.reset();
        assert_eq!(t.len(), 0);
        assert!(t.quantile_s(0.95).is_nan() && m.mean_s().is_nan());
        t.record(SimTime(1234));
        hdr.reset();
        hdr.record(SimTime(1234));
        assert_eq!(t.quantile_s(0.95), hdr.quantile_s(0.95));
    }

    #[test]
    fn a_bin_past_its_counts_width_keeps_counting() {
        let mut t = Times::default();
        t.record(SimTime(7));
        t.counts[7] = u16::MAX;
        t.record(SimTime(7));
        assert_eq!(t.count(7), u64::from(u16::MAX) + 1);
    }

    /// Bins rolled over many times (one value over and over, a few
    /// others around it) still report what the HDR histogram reports.
    #[test]
    fn carried_counts_report_what_the_hdr_histogram_reports() {
        let mut hdr = Latency::new();
        let mut t = Times::default();
        for k in 0..1_200_000u64 {
            let d = SimTime(match k % 8 {
                0 => 5,
                1 => 1_500_000 + k % 3,
                2 => 90_000_000,
                _ => 1_000_000,
            });
            hdr.record(d);
            t.record(d);
        }
        assert!(t.carried.len() >= 2, "bins rolled over");
        for q in [0.0, 0.1, 0.125, 0.2, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0] {
            assert_eq!(t.quantile_s(q), hdr.quantile_s(q), "q {q}");
        }
        assert_eq!(t.mean_s(), hdr.mean_s());
        assert_eq!(t.len(), hdr.count());
    }
}
