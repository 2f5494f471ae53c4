//! A load shedder, as in the episode's adaptive queue manager: by Little's
//! law the wait a newcomer can expect is W ≈ queue length / throughput; it
//! is turned away when that exceeds `factor` (1.5) × the SLA.
//!
//! Throughput is what the caller knows: the nominal service rate, or the
//! measured one ([`RateMeter`]).
//!
//! A caller with its own prediction of the wait (e.g. a delivery time it
//! would promise, built from several stages) uses the threshold form
//! [`LoadShedder::should_shed_wait`]; [`LoadShedder::with_factor`] sets the
//! factor (1 for a plain limit: "decline when the ETA is over 90 min").

use crate::sim::SimTime;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadShedder {
    pub sla_s: f64,
    pub factor: f64,
}

impl LoadShedder {
    /// The episode's rule: shed past 1.5 × SLA.
    #[must_use]
    pub fn new(sla_s: f64) -> Self {
        LoadShedder { sla_s, factor: 1.5 }
    }

    /// A shedder that turns newcomers away past `factor` × `sla_s`.
    #[must_use]
    pub fn with_factor(sla_s: f64, factor: f64) -> Self {
        LoadShedder { sla_s, factor }
    }

    /// Predicted wait, seconds (infinite when nothing is being served).
    #[must_use]
    pub fn predicted_wait_s(queue_len: usize, throughput_per_s: f64) -> f64 {
        if queue_len == 0 {
            0.0
        } else if throughput_per_s > 0.0 {
            queue_len as f64 / throughput_per_s
        } else {
            f64::INFINITY
        }
    }

    /// Should a newcomer be turned away?
    #[must_use]
    pub fn should_shed(&self, queue_len: usize, throughput_per_s: f64) -> bool {
        self.should_shed_wait(Self::predicted_wait_s(queue_len, throughput_per_s))
    }

    /// Should a newcomer be turned away, given the wait the caller
    /// predicts for it (seconds)?
    #[must_use]
    pub fn should_shed_wait(&self, predicted_wait_s: f64) -> bool {
        predicted_wait_s > self.factor * self.sla_s
    }
}

/// Events per second over fixed windows: the rate of the last full window.
#[derive(Clone, Debug, PartialEq)]
pub struct RateMeter {
    window: SimTime,
    window_start: SimTime,
    count: u64,
    last_rate: Option<f64>,
}

impl RateMeter {
    #[must_use]
    pub fn new(window: SimTime) -> Self {
        RateMeter {
            window: window.max(SimTime(1)),
            window_start: SimTime::ZERO,
            count: 0,
            last_rate: None,
        }
    }

    fn roll(&mut self, now: SimTime) {
        if now >= self.window_start + self.window {
            let full = (now - self.window_start).0 / self.window.0;
            let rate = if full == 1 {
                self.count as f64 / self.window.as_secs_f64()
            } else {
                0.0 // whole windows passed without an event
            };
            self.last_rate = Some(rate);
            self.window_start = SimTime(self.window_start.0 + full * self.window.0);
            self.count = 0;
        }
    }

    pub fn record(&mut self, now: SimTime) {
        self.roll(now);
        self.count += 1;
    }

    /// The last full window's rate, or `default` before one has passed.
    pub fn rate(&mut self, now: SimTime, default: f64) -> f64 {
        self.roll(now);
        self.last_rate.unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheds_past_one_and_a_half_sla() {
        let s = LoadShedder::new(300.0);
        // 100/min = 5/3 per s: 750 waiting → 450 s = 1.5 × SLA exactly: kept.
        assert!(!s.should_shed(750, 100.0 / 60.0));
        assert!(s.should_shed(751, 100.0 / 60.0));
        assert!(!s.should_shed(0, 0.0));
        assert!(s.should_shed(1, 0.0));
    }

    #[test]
    fn threshold_on_a_predicted_wait() {
        // "Decline orders with an ETA over 90 min": a plain limit.
        let s = LoadShedder::with_factor(90.0 * 60.0, 1.0);
        assert!(!s.should_shed_wait(90.0 * 60.0));
        assert!(s.should_shed_wait(90.0 * 60.0 + 1e-6));
        assert!(!s.should_shed_wait(0.0));
        // The Little's-law form is the same threshold on its own prediction.
        let l = LoadShedder::new(300.0);
        let w = LoadShedder::predicted_wait_s(751, 100.0 / 60.0);
        assert_eq!(l.should_shed(751, 100.0 / 60.0), l.should_shed_wait(w));
    }

    #[test]
    fn rate_meter_reports_full_windows() {
        let mut m = RateMeter::new(SimTime::from_secs(10));
        for i in 0..50 {
            m.record(SimTime::from_secs_f64(f64::from(i) * 0.2));
        }
        assert_eq!(m.rate(SimTime::from_secs(5), -1.0), -1.0);
        assert!((m.rate(SimTime::from_secs(11), -1.0) - 5.0).abs() < 1e-12);
        assert_eq!(m.rate(SimTime::from_secs(35), -1.0), 0.0);
    }
}
