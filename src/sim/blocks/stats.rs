//! The counters every block keeps, and the conservation law they obey at
//! every instant:
//!
//! `arrivals + in_system_at_reset = completed + rejected (all reasons) + in_system`
//!
//! plus the time-weighted mean number in system (L), the wait (Wq) and
//! response (W) distributions, and throughput. Resetting (end of warm-up)
//! forgets the past but carries the entities present over as
//! `in_system_at_reset`, so the law keeps holding.

use super::super::SimTime;
use super::super::metrics::{Latency, Metrics, TimeAverage};

/// Why an entity left without being served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reject {
    /// The queue (or the system) was at capacity K.
    Full,
    /// A load shedder turned it away (predicted wait over the SLA).
    Shed,
    /// A token bucket had no token.
    Throttled,
    /// The client's timeout expired first.
    Timeout,
    /// The server failed fast (error-rate fault) or the entity gave up.
    Error,
    /// Nothing reachable: partitioned, breaker open, all servers down.
    Unavailable,
    /// Lost with a crashing server.
    Crashed,
}

impl Reject {
    /// Every reason, in report order.
    pub const ALL: [Reject; 7] = [
        Reject::Full,
        Reject::Shed,
        Reject::Throttled,
        Reject::Timeout,
        Reject::Error,
        Reject::Unavailable,
        Reject::Crashed,
    ];

    /// The metric suffix (`rejected_full`, …).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Reject::Full => "full",
            Reject::Shed => "shed",
            Reject::Throttled => "throttled",
            Reject::Timeout => "timeout",
            Reject::Error => "error",
            Reject::Unavailable => "unavailable",
            Reject::Crashed => "crashed",
        }
    }
}

/// Counters and distributions of one block (or of a whole world).
#[derive(Clone, Debug)]
pub struct BlockStats {
    since: SimTime,
    arrivals: u64,
    completed: u64,
    rejected: [u64; Reject::ALL.len()],
    in_system: u64,
    at_reset: u64,
    level: TimeAverage,
    wait: Latency,
    response: Latency,
}

impl BlockStats {
    #[must_use]
    pub fn new(now: SimTime) -> Self {
        BlockStats {
            since: now,
            arrivals: 0,
            completed: 0,
            rejected: [0; Reject::ALL.len()],
            in_system: 0,
            at_reset: 0,
            level: TimeAverage::new(now, 0.0),
            wait: Latency::new(),
            response: Latency::new(),
        }
    }

    /// When the statistics were last reset (the start of the measured window).
    #[must_use]
    pub fn since(&self) -> SimTime {
        self.since
    }

    /// `n` entities arrive and stay (in system).
    #[inline]
    pub fn arrive(&mut self, now: SimTime, n: u64) {
        self.arrivals += n;
        self.in_system += n;
        self.level.set(now, self.in_system as f64);
    }

    /// `n` entities arrive and are turned away at once.
    #[inline]
    pub fn reject_arrival(&mut self, n: u64, why: Reject) {
        self.arrivals += n;
        self.rejected[why as usize] += n;
    }

    /// One entity already in system leaves unserved.
    #[inline]
    pub fn reject(&mut self, now: SimTime, why: Reject) {
        debug_assert!(self.in_system > 0);
        self.in_system = self.in_system.saturating_sub(1);
        self.rejected[why as usize] += 1;
        self.level.set(now, self.in_system as f64);
    }

    /// An entity's wait (arrival to start of service).
    #[inline]
    pub fn record_wait(&mut self, wait: SimTime) {
        self.wait.record(wait);
    }

    /// One entity in system completes after `response` (arrival to done).
    #[inline]
    pub fn complete(&mut self, now: SimTime, response: SimTime) {
        debug_assert!(self.in_system > 0);
        self.in_system = self.in_system.saturating_sub(1);
        self.completed += 1;
        self.response.record(response);
        self.level.set(now, self.in_system as f64);
    }

    /// One entity in system completes, its response time not recorded
    /// (a block that only counts, e.g. a network's source or router).
    #[inline]
    pub fn complete_untimed(&mut self, now: SimTime) {
        debug_assert!(self.in_system > 0);
        self.in_system = self.in_system.saturating_sub(1);
        self.completed += 1;
        self.level.set(now, self.in_system as f64);
    }

    #[must_use]
    pub fn arrivals(&self) -> u64 {
        self.arrivals
    }

    #[must_use]
    pub fn completed(&self) -> u64 {
        self.completed
    }

    #[must_use]
    pub fn rejected(&self, why: Reject) -> u64 {
        self.rejected[why as usize]
    }

    #[must_use]
    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    #[must_use]
    pub fn in_system(&self) -> u64 {
        self.in_system
    }

    #[must_use]
    pub fn in_system_at_reset(&self) -> u64 {
        self.at_reset
    }

    /// Turned away / arrived (0 before any arrival).
    #[must_use]
    pub fn blocking_probability(&self) -> f64 {
        if self.arrivals == 0 {
            0.0
        } else {
            self.rejected_total() as f64 / self.arrivals as f64
        }
    }

    /// L: the time-weighted mean number in system since the last reset.
    #[must_use]
    pub fn mean_in_system(&self, now: SimTime) -> f64 {
        self.level.mean(now)
    }

    /// Completions per second since the last reset.
    #[must_use]
    pub fn throughput_per_s(&self, now: SimTime) -> f64 {
        let span = (now - self.since).as_secs_f64();
        if span > 0.0 {
            self.completed as f64 / span
        } else {
            0.0
        }
    }

    #[must_use]
    pub fn wait(&self) -> &Latency {
        &self.wait
    }

    #[must_use]
    pub fn response(&self) -> &Latency {
        &self.response
    }

    /// The conservation law (see the module docs).
    #[must_use]
    pub fn conserved(&self) -> bool {
        self.arrivals + self.at_reset == self.completed + self.rejected_total() + self.in_system
    }

    /// End of warm-up: forget the past, keep who is present.
    pub fn reset(&mut self, now: SimTime) {
        self.since = now;
        self.at_reset = self.in_system;
        self.arrivals = 0;
        self.completed = 0;
        self.rejected = [0; Reject::ALL.len()];
        self.level.reset(now);
        self.wait.reset();
        self.response.reset();
    }

    /// Writes the standard keys, each prefixed with `prefix` (may be
    /// empty): `arrivals`, `completed`, `rejected`, `rejected_<reason>`,
    /// `in_system`, `in_system_at_reset`, `blocking_probability`,
    /// `mean_in_system`, `mean_wait_s`, `p50/p95/p99_wait_s`,
    /// `mean_response_s`, `p50/p95/p99_response_s`, `throughput_per_s`.
    pub fn write(&self, now: SimTime, prefix: &str, m: &mut Metrics) {
        let mut put = |k: &str, v: f64| {
            m.insert(format!("{prefix}{k}"), v);
        };
        put("arrivals", self.arrivals as f64);
        put("completed", self.completed as f64);
        put("rejected", self.rejected_total() as f64);
        for r in Reject::ALL {
            put(&format!("rejected_{}", r.key()), self.rejected(r) as f64);
        }
        put("in_system", self.in_system as f64);
        put("in_system_at_reset", self.at_reset as f64);
        put("blocking_probability", self.blocking_probability());
        put("mean_in_system", self.mean_in_system(now));
        put("mean_wait_s", self.wait.mean_s());
        put("p50_wait_s", self.wait.quantile_s(0.5));
        put("p95_wait_s", self.wait.quantile_s(0.95));
        put("p99_wait_s", self.wait.quantile_s(0.99));
        put("mean_response_s", self.response.mean_s());
        put("p50_response_s", self.response.quantile_s(0.5));
        put("p95_response_s", self.response.quantile_s(0.95));
        put("p99_response_s", self.response.quantile_s(0.99));
        put("throughput_per_s", self.throughput_per_s(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conservation_holds_through_every_operation_and_reset() {
        let t = SimTime::from_secs;
        let mut s = BlockStats::new(SimTime::ZERO);
        s.arrive(t(1), 3);
        s.reject_arrival(2, Reject::Full);
        s.complete(t(2), t(1));
        s.reject(t(3), Reject::Timeout);
        assert!(s.conserved());
        assert_eq!(s.in_system(), 1);
        assert_eq!(s.rejected_total(), 3);
        assert!((s.blocking_probability() - 0.6).abs() < 1e-12);
        // L: 0 for 1 s, 3 for 1 s, 2 for 1 s, 1 for 1 s → 6/4
        assert!((s.mean_in_system(t(4)) - 1.5).abs() < 1e-12);
        s.reset(t(4));
        assert!(s.conserved());
        assert_eq!(s.in_system_at_reset(), 1);
        s.complete(t(5), t(4));
        assert!(s.conserved());
        let mut m = Metrics::new();
        s.write(t(6), "x_", &mut m);
        assert_eq!(m["x_completed"], 1.0);
        assert_eq!(m["x_rejected_full"], 0.0);
        assert!((m["x_throughput_per_s"] - 0.5).abs() < 1e-12);
    }
}
