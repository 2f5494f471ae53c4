//! Measurement primitives shared by every block and world: time-weighted
//! averages, latency histograms (no stored samples), and bounded rolling
//! series for sparklines.

use std::collections::BTreeMap;
use std::collections::VecDeque;

use hdrhistogram::Histogram;

use super::time::SimTime;

/// Named numbers reported by a world (sorted, so output is deterministic).
pub type Metrics = BTreeMap<String, f64>;

/// One closed-form value and the model it comes from (`M/M/1/500`,
/// `Erlang B`, …).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClosedValue {
    pub value: f64,
    pub model: String,
}

/// A world's closed forms for its metrics' keys: each value carries the
/// name of the model it comes from, and a key is absent where no closed
/// form applies. When none applies at all, `reason` says why (the
/// dashboard shows it; the JSON report prints it as `no_closed_form`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClosedForms {
    values: BTreeMap<String, ClosedValue>,
    reasons: Vec<String>,
}

impl ClosedForms {
    #[must_use]
    pub fn new() -> Self {
        ClosedForms::default()
    }

    /// No value, for `reason`.
    #[must_use]
    pub fn none(reason: impl Into<String>) -> Self {
        let mut c = ClosedForms::new();
        c.not_applicable(reason);
        c
    }

    /// Records `key` = `value` from `model`.
    pub fn insert(&mut self, key: impl Into<String>, model: &str, value: f64) {
        self.values.insert(
            key.into(),
            ClosedValue {
                value,
                model: model.to_string(),
            },
        );
    }

    /// Records why a closed form (or part of one) does not apply.
    pub fn not_applicable(&mut self, reason: impl Into<String>) {
        self.reasons.push(reason.into());
    }

    /// The value for `key`, if a closed form gives one.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.get(key).map(|v| v.value)
    }

    /// The model `key`'s value comes from.
    #[must_use]
    pub fn model(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|v| v.model.as_str())
    }

    /// Every value, by key.
    #[must_use]
    pub fn values(&self) -> &BTreeMap<String, ClosedValue> {
        &self.values
    }

    /// The distinct models the values come from, in key order.
    #[must_use]
    pub fn models(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for v in self.values.values() {
            if !out.contains(&v.model.as_str()) {
                out.push(&v.model);
            }
        }
        out
    }

    /// Why closed forms were left out (empty when every one applies).
    #[must_use]
    pub fn reasons(&self) -> &[String] {
        &self.reasons
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }
}

/// The time-weighted mean of a piecewise-constant quantity (e.g. number in
/// system), measured from the last reset.
#[derive(Clone, Debug, Default)]
pub struct TimeAverage {
    start: SimTime,
    last_t: SimTime,
    value: f64,
    area: f64,
    peak: f64,
}

impl TimeAverage {
    #[must_use]
    pub fn new(now: SimTime, value: f64) -> Self {
        TimeAverage {
            start: now,
            last_t: now,
            value,
            area: 0.0,
            peak: value,
        }
    }

    /// The quantity changes to `value` at `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, value: f64) {
        // The area is kept in value × microseconds (one conversion less
        // per change; divided once when the mean is read).
        self.area += self.value * (now - self.last_t).0 as f64;
        self.last_t = now.max(self.last_t);
        self.value = value;
        self.peak = self.peak.max(value);
    }

    /// The current value.
    #[must_use]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The largest value since the last reset.
    #[must_use]
    pub fn peak(&self) -> f64 {
        self.peak
    }

    /// The mean over [last reset, now].
    #[must_use]
    pub fn mean(&self, now: SimTime) -> f64 {
        let span = (now - self.start).0 as f64;
        if span <= 0.0 {
            return self.value;
        }
        (self.area + self.value * (now - self.last_t).0 as f64) / span
    }

    /// Forgets the past; keeps the current value.
    pub fn reset(&mut self, now: SimTime) {
        self.start = now;
        self.last_t = now;
        self.area = 0.0;
        self.peak = self.value;
    }
}

/// A latency distribution in microseconds: exact count and mean, quantiles
/// from an HDR histogram (3 significant digits), never stored samples.
#[derive(Clone, Debug)]
pub struct Latency {
    hist: Histogram<u64>,
    sum_us: f64,
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    /// # Panics
    ///
    /// Never: 3 significant figures is a valid precision for an
    /// auto-resizing histogram.
    #[must_use]
    pub fn new() -> Self {
        // Auto-resizing, so any duration fits; memory stays O(log range).
        #[allow(clippy::unwrap_used)] // 3 significant figures is always a valid precision
        let mut hist = Histogram::new(3).unwrap();
        hist.auto(true);
        Latency { hist, sum_us: 0.0 }
    }

    pub fn record(&mut self, d: SimTime) {
        // auto-resize means recording cannot fail for u64 values.
        let _ = self.hist.record(d.micros());
        self.sum_us += d.micros() as f64;
    }

    #[must_use]
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Mean in seconds (NaN when empty).
    #[must_use]
    pub fn mean_s(&self) -> f64 {
        if self.hist.is_empty() {
            f64::NAN
        } else {
            self.sum_us / self.hist.len() as f64 / 1e6
        }
    }

    /// Quantile `q` in [0, 1], in seconds (NaN when empty).
    #[must_use]
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            f64::NAN
        } else {
            self.hist.value_at_quantile(q) as f64 / 1e6
        }
    }

    pub fn reset(&mut self) {
        self.hist.reset();
        self.sum_us = 0.0;
    }

    /// Adds another distribution into this one.
    pub fn merge(&mut self, other: &Latency) {
        let _ = self.hist.add(&other.hist);
        self.sum_us += other.sum_us;
    }
}

/// A coarse latency histogram for short rolling windows (a sparkline's
/// p95 per sample): 16 sub-buckets per power of two of microseconds
/// (≤ 6.25 % error), a fixed 4 KiB, and a reset that costs only that —
/// unlike [`Latency`], whose auto-resized HDR histogram can be hundreds of
/// KiB to clear.
#[derive(Clone, Debug)]
pub struct WindowLatency {
    counts: Box<[u32]>,
    n: u64,
    /// The range of buckets touched since the last reset: resets and
    /// quantiles only look there, so a sparse window costs little.
    lo: usize,
    hi: usize,
}

impl Default for WindowLatency {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowLatency {
    const BUCKETS: usize = 1024;

    #[must_use]
    pub fn new() -> Self {
        WindowLatency {
            counts: vec![0; Self::BUCKETS].into_boxed_slice(),
            n: 0,
            lo: Self::BUCKETS,
            hi: 0,
        }
    }

    #[inline]
    fn index(us: u64) -> usize {
        if us < 16 {
            us as usize
        } else {
            let e = 63 - us.leading_zeros() as usize;
            let sub = ((us >> (e - 4)) & 15) as usize;
            (e - 3) * 16 + sub
        }
    }

    /// The middle of bucket `i`, in microseconds.
    fn value(i: usize) -> f64 {
        if i < 16 {
            i as f64
        } else {
            let e = i / 16 + 3;
            let width = 1u64 << (e - 4);
            (((16 + (i % 16)) as u64) << (e - 4)) as f64 + width as f64 / 2.0
        }
    }

    #[inline]
    pub fn record(&mut self, d: SimTime) {
        let i = Self::index(d.micros());
        self.counts[i] = self.counts[i].saturating_add(1);
        self.n += 1;
        self.lo = self.lo.min(i);
        self.hi = self.hi.max(i);
    }

    #[must_use]
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Quantile `q` in [0, 1], seconds (NaN when empty).
    #[must_use]
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let target = ((q.clamp(0.0, 1.0) * self.n as f64).ceil() as u64).max(1);
        // From the top: high quantiles (the p95 of a sparkline) stop soon.
        let mut at_or_below = self.n;
        for i in (self.lo..=self.hi).rev() {
            let below = at_or_below - u64::from(self.counts[i]);
            if below < target {
                return Self::value(i) / 1e6;
            }
            at_or_below = below;
        }
        f64::NAN
    }

    pub fn reset(&mut self) {
        if self.n > 0 {
            self.counts[self.lo..=self.hi].fill(0);
            self.n = 0;
            self.lo = Self::BUCKETS;
            self.hi = 0;
        }
    }
}

/// A bounded ring buffer of samples, oldest first: the history behind a
/// sparkline or chart. Memory never grows past `capacity`.
#[derive(Clone, Debug)]
pub struct Rolling {
    buf: VecDeque<f64>,
    capacity: usize,
}

impl Rolling {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Rolling {
            buf: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    pub fn push(&mut self, v: f64) {
        if self.buf.len() == self.capacity {
            self.buf.pop_front();
        }
        self.buf.push_back(v);
    }

    #[must_use]
    pub fn values(&self) -> Vec<f64> {
        self.buf.iter().copied().collect()
    }

    #[must_use]
    pub fn last(&self) -> Option<f64> {
        self.buf.back().copied()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

/// An exponentially weighted moving average.
#[derive(Clone, Copy, Debug)]
pub struct Ewma {
    alpha: f64,
    value: Option<f64>,
}

impl Ewma {
    #[must_use]
    pub fn new(alpha: f64) -> Self {
        Ewma { alpha, value: None }
    }

    pub fn observe(&mut self, x: f64) {
        self.value = Some(match self.value {
            None => x,
            Some(v) => v + self.alpha * (x - v),
        });
    }

    #[must_use]
    pub fn value_or(&self, default: f64) -> f64 {
        self.value.unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_average_weights_by_duration() {
        let mut a = TimeAverage::new(SimTime::ZERO, 0.0);
        a.set(SimTime::from_secs(1), 2.0); // 0 for 1 s
        a.set(SimTime::from_secs(4), 1.0); // 2 for 3 s
        // then 1 for 4 s: (0 + 6 + 4) / 8
        assert!((a.mean(SimTime::from_secs(8)) - 1.25).abs() < 1e-12);
        assert_eq!(a.peak(), 2.0);
        a.reset(SimTime::from_secs(8));
        assert!((a.mean(SimTime::from_secs(10)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn latency_quantiles_within_histogram_precision() {
        let mut l = Latency::new();
        for ms in 1..=1000u64 {
            l.record(SimTime(ms * 1000));
        }
        assert_eq!(l.count(), 1000);
        assert!((l.mean_s() - 0.5005).abs() < 1e-9);
        assert!((l.quantile_s(0.95) - 0.95).abs() < 0.95 * 1e-3);
        assert!(Latency::new().quantile_s(0.5).is_nan());
    }

    #[test]
    fn window_latency_is_coarse_but_close() {
        let mut w = WindowLatency::new();
        assert!(w.quantile_s(0.5).is_nan());
        for ms in 1..=1000u64 {
            w.record(SimTime(ms * 1000));
        }
        let p95 = w.quantile_s(0.95);
        assert!((p95 - 0.95).abs() < 0.95 * 0.0625, "{p95}");
        w.record(SimTime(3));
        w.reset();
        assert_eq!(w.count(), 0);
        w.record(SimTime(7));
        assert_eq!(w.quantile_s(1.0), 7e-6);
        w.record(SimTime(u64::MAX));
        assert!(w.quantile_s(1.0) > 1e13);
    }

    #[test]
    fn rolling_is_bounded() {
        let mut r = Rolling::new(3);
        for i in 0..10 {
            r.push(f64::from(i));
        }
        assert_eq!(r.values(), vec![7.0, 8.0, 9.0]);
    }
}
