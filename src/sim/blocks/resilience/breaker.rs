//! A circuit breaker, as in the episode: closed until `failure_threshold`
//! consecutive failures (5), then open — every call refused at once — for
//! `open_for` (60 s), then half-open: trial calls go through, and
//! `success_threshold` successes (3) close it again while any failure
//! opens it again.

use crate::sim::SimTime;

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { since: SimTime },
    HalfOpen,
}

impl BreakerState {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "OPEN",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// A circuit breaker (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct CircuitBreaker {
    pub failure_threshold: u32,
    pub open_for: SimTime,
    pub success_threshold: u32,
    state: BreakerState,
    failures: u32,
    successes: u32,
    /// Times it opened.
    pub trips: u64,
    /// Calls refused while open.
    pub refused: u64,
}

impl Default for CircuitBreaker {
    /// The episode's defaults: 5 failures, 60 s, 3 successes.
    fn default() -> Self {
        Self::new(5, SimTime::from_secs(60), 3)
    }
}

impl CircuitBreaker {
    #[must_use]
    pub fn new(failure_threshold: u32, open_for: SimTime, success_threshold: u32) -> Self {
        CircuitBreaker {
            failure_threshold: failure_threshold.max(1),
            open_for,
            success_threshold: success_threshold.max(1),
            state: BreakerState::Closed,
            failures: 0,
            successes: 0,
            trips: 0,
            refused: 0,
        }
    }

    /// The state at `now` (an open breaker whose time is up reads half-open).
    #[must_use]
    pub fn state(&self, now: SimTime) -> BreakerState {
        match self.state {
            BreakerState::Open { since } if now >= since + self.open_for => BreakerState::HalfOpen,
            s => s,
        }
    }

    /// May a call go through at `now`? Counts refusals.
    pub fn allow(&mut self, now: SimTime) -> bool {
        self.state = self.state(now);
        if matches!(self.state, BreakerState::Open { .. }) {
            self.refused += 1;
            false
        } else {
            true
        }
    }

    /// A call succeeded; returns the new state if it changed.
    pub fn on_success(&mut self, now: SimTime) -> Option<BreakerState> {
        self.state = self.state(now);
        match self.state {
            BreakerState::Closed => {
                self.failures = 0;
                None
            }
            BreakerState::HalfOpen => {
                self.successes += 1;
                (self.successes >= self.success_threshold).then(|| {
                    self.state = BreakerState::Closed;
                    self.failures = 0;
                    self.successes = 0;
                    self.state
                })
            }
            // A late answer to a call made before it opened.
            BreakerState::Open { .. } => None,
        }
    }

    /// A call failed; returns the new state if it changed.
    pub fn on_failure(&mut self, now: SimTime) -> Option<BreakerState> {
        self.state = self.state(now);
        match self.state {
            BreakerState::Closed => {
                self.failures += 1;
                (self.failures >= self.failure_threshold).then(|| self.trip(now))
            }
            BreakerState::HalfOpen => Some(self.trip(now)),
            BreakerState::Open { .. } => None,
        }
    }

    fn trip(&mut self, now: SimTime) -> BreakerState {
        self.state = BreakerState::Open { since: now };
        self.failures = 0;
        self.successes = 0;
        self.trips += 1;
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_open_half_open_closed() {
        let t = SimTime::from_secs;
        let mut b = CircuitBreaker::default();
        for _ in 0..4 {
            assert_eq!(b.on_failure(t(1)), None);
        }
        b.on_success(t(1)); // resets the consecutive count
        for _ in 0..4 {
            b.on_failure(t(2));
        }
        assert_eq!(b.on_failure(t(2)), Some(BreakerState::Open { since: t(2) }));
        assert!(!b.allow(t(61)));
        assert_eq!(b.refused, 1);
        assert!(b.allow(t(62)));
        assert_eq!(b.state(t(62)), BreakerState::HalfOpen);
        // A failure while half-open opens it again.
        assert!(b.on_failure(t(62)).is_some());
        assert!(b.allow(t(122)));
        assert_eq!(b.on_success(t(122)), None);
        assert_eq!(b.on_success(t(122)), None);
        assert_eq!(b.on_success(t(123)), Some(BreakerState::Closed));
        assert_eq!(b.trips, 2);
    }
}
