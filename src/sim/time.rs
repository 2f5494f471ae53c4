//! Simulated time: an integer count of microseconds since the start of a run.
//!
//! Integer time makes event order exact and runs reproducible on every
//! machine: no floating-point drift decides which event comes first.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Microseconds per simulated second.
pub const MICROS_PER_S: u64 = 1_000_000;

/// An instant (or a span) of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// From seconds, rounded to the nearest microsecond; negative and NaN
    /// give zero, values past the range saturate.
    #[must_use]
    #[inline]
    pub fn from_secs_f64(s: f64) -> SimTime {
        if s.is_nan() || s <= 0.0 {
            SimTime(0)
        } else {
            // + 0.5 and truncation rounds half up for s > 0, without the
            // libm call `round` costs on the hot path; `as` saturates.
            SimTime((s * MICROS_PER_S as f64 + 0.5) as u64)
        }
    }

    #[must_use]
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s.saturating_mul(MICROS_PER_S))
    }

    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_S as f64
    }

    #[must_use]
    pub const fn micros(self) -> u64 {
        self.0
    }

    #[must_use]
    pub const fn saturating_sub(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(other.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

impl fmt::Display for SimTime {
    /// `H:MM:SS` of elapsed simulated time (hours are not wrapped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0 / MICROS_PER_S;
        write!(f, "{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip_and_saturate() {
        assert_eq!(SimTime::from_secs_f64(1.5).micros(), 1_500_000);
        assert_eq!(SimTime::from_secs_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(f64::NAN), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(1e300), SimTime::MAX);
        assert_eq!(SimTime::from_secs(2) + SimTime(5), SimTime(2_000_005));
        assert_eq!(SimTime(3) - SimTime(5), SimTime::ZERO);
        assert_eq!(SimTime::from_secs(3725).to_string(), "1:02:05");
    }
}
