//! The circuit breaker in front of the restaurant database, as in the
//! episode's section 3.2: closed until `failure_threshold` failures in a
//! row, then open (calls fail fast) for `open_s`, then half-open: a few
//! trial calls; `success_threshold` successes close it, one failure opens
//! it again.

use crate::sim::SimTime;

/// Where the breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { until: SimTime },
    HalfOpen,
}

impl BreakerState {
    /// Words for the gauge (not colour alone).
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
    /// Go ahead as a half-open trial.
    Trial,
    /// Fail fast.
    No,
}

#[derive(Clone, Debug)]
pub struct Breaker {
    pub failure_threshold: u32,
    pub open_for: SimTime,
    pub success_threshold: u32,
    state: BreakerState,
    failures: u32,
    successes: u32,
    trials_in_flight: u32,
    opens: u64,
}

impl Breaker {
    #[must_use]
    pub fn new(failure_threshold: u32, open_for: SimTime, success_threshold: u32) -> Self {
        Breaker {
            failure_threshold: failure_threshold.max(1),
            open_for,
            success_threshold: success_threshold.max(1),
            state: BreakerState::Closed,
            failures: 0,
            successes: 0,
            trials_in_flight: 0,
            opens: 0,
        }
    }

    #[must_use]
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Times it has opened.
    #[must_use]
    pub fn opens(&self) -> u64 {
        self.opens
    }

    /// Asks to make a call at `now`; may move open → half-open (with a log line).
    pub fn admit(&mut self, now: SimTime, log: &mut Vec<String>) -> Admit {
        if let BreakerState::Open { until } = self.state {
            if now < until {
                return Admit::No;
            }
            self.state = BreakerState::HalfOpen;
            self.successes = 0;
            self.trials_in_flight = 0;
            log.push(format!(
                "breaker half-open: letting {} trial queries through",
                self.success_threshold
            ));
        }
        match self.state {
            BreakerState::Closed => Admit::Yes,
            BreakerState::HalfOpen => {
                if self.trials_in_flight + self.successes < self.success_threshold {
                    self.trials_in_flight += 1;
                    Admit::Trial
                } else {
                    Admit::No
                }
            }
            BreakerState::Open { .. } => Admit::No,
        }
    }

    pub fn on_success(&mut self, trial: bool, log: &mut Vec<String>) {
        match self.state {
            BreakerState::Closed => self.failures = 0,
            BreakerState::HalfOpen if trial => {
                self.trials_in_flight = self.trials_in_flight.saturating_sub(1);
                self.successes += 1;
                if self.successes >= self.success_threshold {
                    self.state = BreakerState::Closed;
                    self.failures = 0;
                    log.push(format!(
                        "breaker closed after {} successful queries",
                        self.successes
                    ));
                }
            }
            _ => {}
        }
    }

    pub fn on_failure(&mut self, trial: bool, now: SimTime, log: &mut Vec<String>) {
        match self.state {
            BreakerState::Closed => {
                self.failures += 1;
                if self.failures >= self.failure_threshold {
                    self.open(now);
                    log.push(format!(
                        "breaker OPEN after {} failures: database calls fail fast for {:.0} s",
                        self.failures,
                        self.open_for.as_secs_f64()
                    ));
                }
            }
            BreakerState::HalfOpen if trial => {
                self.open(now);
                log.push("breaker OPEN again: a trial query failed".to_string());
            }
            _ => {}
        }
    }

    fn open(&mut self, now: SimTime) {
        self.state = BreakerState::Open {
            until: now + self.open_for,
        };
        self.failures = 0;
        self.successes = 0;
        self.trials_in_flight = 0;
        self.opens += 1;
    }

    /// Back to closed (the switch turned off and on again).
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
    fn opens_after_five_failures_half_opens_after_60_s_and_closes_after_three() {
        let mut b = Breaker::new(5, SimTime::from_secs(60), 3);
        let mut log = Vec::new();
        let t0 = SimTime::from_secs(10);
        for _ in 0..4 {
            assert_eq!(b.admit(t0, &mut log), Admit::Yes);
            b.on_failure(false, t0, &mut log);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        b.on_failure(false, t0, &mut log);
        assert_eq!(b.state().label(), "OPEN");
        assert_eq!(b.admit(SimTime::from_secs(69), &mut log), Admit::No);
        let t1 = SimTime::from_secs(70);
        for _ in 0..3 {
            assert_eq!(b.admit(t1, &mut log), Admit::Trial);
        }
        assert_eq!(b.admit(t1, &mut log), Admit::No);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        for _ in 0..3 {
            b.on_success(true, &mut log);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.opens(), 1);
        assert_eq!(log.len(), 3, "{log:?}");
    }
}
