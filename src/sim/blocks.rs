//! Reusable building blocks: sources, finite queues, server pools,
//! resilience (timeouts, retries, circuit breaker, bulkhead, token bucket,
//! load shedder) and the counters every block keeps. What faults do to a
//! unit is [`crate::sim::fault`]'s.
//!
//! Blocks are passive, deterministic state machines: a world owns the
//! [`Engine`](super::Engine) and its event type, asks a block what happens
//! next (the time of the next arrival, whether a request is admitted, when
//! a service ends) and schedules the answer itself. No block reads a clock
//! or draws randomness from anywhere but the named streams it was given,
//! so the same inputs give the same outputs on every machine.
//!
//! | block | what it does |
//! |---|---|
//! | [`source::Source`] | Poisson arrivals; piecewise-constant rates, spikes, batches, classes |
//! | [`queue::FiniteQueue`] | capacity K; FIFO, strict priority, weighted fair (5:3:1) |
//! | [`servers::ServerPool`] | c servers; service distributions; per-server faults |
//! | [`servers::Trains`] | batch service: a train every H seconds carrying up to N |
//! | [`station::Station`] | k slots + backlog (capacity K) + service model (degrading past a knee) + cached fault effect + latency/success EWMAs |
//! | [`fleet::Fleet`] | stations behind a router: any shared [`Policy`](crate::policy::Policy) over their [`Backend`](crate::policy::Backend) views |
//! | [`resilience`] | timeouts, retries, breaker, bulkhead, token bucket, shedder |
//! | [`stats::BlockStats`] | arrivals, completions, rejections by reason, L, W, Wq |

pub mod fleet;
pub mod queue;
pub mod resilience;
pub mod servers;
pub mod source;
pub mod station;
pub mod stats;

use rand::Rng;
use rand_distr::{Distribution, Exp1};

/// Why a block could not be made from the numbers it was given.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BlockError {
    #[error("mean service time must be > 0, got {0}")]
    MeanService(f64),
    #[error("Erlang k must be ≥ 1")]
    ErlangK,
    #[error("lognormal cv must be > 0, got {0}")]
    LognormalCv(f64),
    /// The distribution crate refused the parameters derived from them.
    #[error("{0}")]
    Distribution(String),
    #[error("the knee of concurrency must be ≥ 1")]
    Knee,
    #[error("the degradation slope must be ≥ 0, got {0}")]
    Slope(f64),
    /// A rate profile's `what` (`steps`, `points`) at `(at, rate)` is not
    /// finite and ≥ 0.
    #[error("rate {what} need finite times and rates ≥ 0, got ({at}, {rate})")]
    RatePoint {
        what: &'static str,
        at: f64,
        rate: f64,
    },
    #[error("rate {what} must be sorted by time; {at} follows {last}")]
    Unsorted {
        what: &'static str,
        at: f64,
        last: f64,
    },
}

use super::SimTime;
use super::rng::SimRng;

/// A draw from Exp(1) (rand_distr's ziggurat: one `u64` nearly always,
/// several times faster than `-ln(U)`).
#[inline]
pub fn exp1(rng: &mut SimRng) -> f64 {
    Exp1.sample(rng)
}

/// A uniform draw in [0, 1).
#[inline]
pub fn uniform(rng: &mut SimRng) -> f64 {
    rng.random::<f64>()
}

/// Seconds to simulated time, rounded to the microsecond.
#[inline]
#[must_use]
pub fn secs(s: f64) -> SimTime {
    SimTime::from_secs_f64(s)
}
