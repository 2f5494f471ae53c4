//! Client timeouts: a request not answered by its deadline is given up by
//! the client (the server may still do the work: wasted, as in life).

use crate::sim::SimTime;

/// A client's patience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeout {
    pub timeout: SimTime,
}

impl ClientTimeout {
    /// A patience of `timeout` (e.g. one drawn afresh for each request).
    #[must_use]
    pub fn new(timeout: SimTime) -> Self {
        ClientTimeout { timeout }
    }

    #[must_use]
    pub fn from_secs(s: f64) -> Self {
        ClientTimeout {
            timeout: SimTime::from_secs_f64(s),
        }
    }

    /// The deadline of a request sent at `now`.
    #[must_use]
    pub fn deadline(&self, now: SimTime) -> SimTime {
        now + self.timeout
    }

    /// Whether a request with `deadline` has been given up by `now`.
    #[must_use]
    pub fn expired(deadline: SimTime, now: SimTime) -> bool {
        now >= deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_and_expiry() {
        let t = ClientTimeout::from_secs(2.5);
        let d = t.deadline(SimTime::from_secs(10));
        assert_eq!(d, SimTime::from_secs_f64(12.5));
        assert!(!ClientTimeout::expired(d, SimTime::from_secs(12)));
        assert!(ClientTimeout::expired(d, d));
        assert_eq!(ClientTimeout::new(t.timeout), t);
    }
}
