//! A circuit breaker, as in the episode: closed until `failure_threshold`
//! consecutive failures (5), then open — every call refused at once — for
//! `open_for` (60 s), then half-open: only `success_threshold` (3) trial
//! calls go through; that many successes close it, one failed trial opens
//! it again. Every change of state is returned as a [`Transition`] so the
//! world can log it in its own words.

use crate::sim::SimTime;

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { until: SimTime },
    HalfOpen,
}

impl BreakerState {
    /// Words for a gauge (never colour alone).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "OPEN",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// What the breaker says to one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Go ahead.
    Yes,
    /// Go ahead as one of the half-open trials; report its result with
    /// `trial = true`.
    Trial,
    /// Fail fast.
    No,
}

/// A change of state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Closed → open after this many consecutive failures.
    Opened { failures: u32 },
    /// Open → half-open: the wait is over, trials may go through.
    HalfOpened { trials: u32 },
    /// Half-open → closed after this many successful trials.
    Closed { successes: u32 },
    /// Half-open → open: a trial failed.
    Reopened,
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
    trials_in_flight: u32,
    /// Times it opened (re-opening included).
    pub trips: u64,
    /// Calls refused.
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
            trials_in_flight: 0,
            trips: 0,
            refused: 0,
        }
    }

    /// The state as of the last call (an open breaker becomes half-open
    /// when a call is next admitted after its wait).
    #[must_use]
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Asks to make a call at `now`.
    pub fn admit(&mut self, now: SimTime) -> (Admit, Option<Transition>) {
        let mut change = None;
        if let BreakerState::Open { until } = self.state {
            if now < until {
                self.refused += 1;
                return (Admit::No, None);
            }
            self.state = BreakerState::HalfOpen;
            self.successes = 0;
            self.trials_in_flight = 0;
            change = Some(Transition::HalfOpened {
                trials: self.success_threshold,
            });
        }
        let admit = match self.state {
            BreakerState::Closed => Admit::Yes,
            BreakerState::HalfOpen
                if self.trials_in_flight + self.successes < self.success_threshold =>
            {
                self.trials_in_flight += 1;
                Admit::Trial
            }
            BreakerState::HalfOpen | BreakerState::Open { .. } => {
                self.refused += 1;
                Admit::No
            }
        };
        (admit, change)
    }

    /// A call succeeded (`trial`: it was admitted as a trial).
    pub fn on_success(&mut self, trial: bool) -> Option<Transition> {
        match self.state {
            BreakerState::Closed => {
                self.failures = 0;
                None
            }
            BreakerState::HalfOpen if trial => {
                self.trials_in_flight = self.trials_in_flight.saturating_sub(1);
                self.successes += 1;
                (self.successes >= self.success_threshold).then(|| {
                    let successes = self.successes;
                    self.state = BreakerState::Closed;
                    self.failures = 0;
                    self.successes = 0;
                    Transition::Closed { successes }
                })
            }
            // A late answer to a call made before the breaker opened.
            _ => None,
        }
    }

    /// A call failed at `now` (`trial`: it was admitted as a trial).
    pub fn on_failure(&mut self, trial: bool, now: SimTime) -> Option<Transition> {
        match self.state {
            BreakerState::Closed => {
                self.failures += 1;
                (self.failures >= self.failure_threshold).then(|| {
                    let failures = self.failures;
                    self.open(now);
                    Transition::Opened { failures }
                })
            }
            BreakerState::HalfOpen if trial => {
                self.open(now);
                Some(Transition::Reopened)
            }
            _ => None,
        }
    }

    fn open(&mut self, now: SimTime) {
        self.state = BreakerState::Open {
            until: now + self.open_for,
        };
        self.failures = 0;
        self.successes = 0;
        self.trials_in_flight = 0;
        self.trips += 1;
    }

    /// Back to closed, counts kept (e.g. the breaker switched off and on).
    pub fn reset(&mut self) {
        self.state = BreakerState::Closed;
        self.failures = 0;
        self.successes = 0;
        self.trials_in_flight = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_open_half_open_closed_with_the_episode_defaults() {
        let t = SimTime::from_secs;
        let mut b = CircuitBreaker::default();
        for _ in 0..4 {
            assert_eq!(b.admit(t(1)), (Admit::Yes, None));
            assert_eq!(b.on_failure(false, t(1)), None);
        }
        b.on_success(false); // resets the consecutive count
        for _ in 0..4 {
            b.on_failure(false, t(2));
        }
        assert_eq!(
            b.on_failure(false, t(2)),
            Some(Transition::Opened { failures: 5 })
        );
        assert_eq!(b.state().label(), "OPEN");
        assert_eq!(b.admit(t(61)), (Admit::No, None));
        assert_eq!(b.refused, 1);
        // After 60 s: exactly three trials, the fourth call is refused.
        assert_eq!(
            b.admit(t(62)),
            (Admit::Trial, Some(Transition::HalfOpened { trials: 3 }))
        );
        assert_eq!(b.admit(t(62)), (Admit::Trial, None));
        assert_eq!(b.admit(t(62)), (Admit::Trial, None));
        assert_eq!(b.admit(t(62)), (Admit::No, None));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        // A failed trial opens it again.
        assert_eq!(b.on_failure(true, t(63)), Some(Transition::Reopened));
        assert_eq!(b.admit(t(122)), (Admit::No, None));
        assert_eq!(b.admit(t(123)).0, Admit::Trial);
        b.admit(t(123));
        b.admit(t(123));
        assert_eq!(b.on_success(true), None);
        assert_eq!(b.on_success(true), None);
        assert_eq!(
            b.on_success(true),
            Some(Transition::Closed { successes: 3 })
        );
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.trips, 2);
    }

    #[test]
    fn answers_from_before_the_opening_change_nothing() {
        let t = SimTime::from_secs;
        let mut b = CircuitBreaker::new(1, t(10), 1);
        assert!(b.on_failure(false, t(0)).is_some());
        assert_eq!(b.on_success(false), None);
        assert_eq!(b.on_failure(false, t(1)), None);
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        b.reset();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
