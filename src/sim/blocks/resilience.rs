//! Resilience blocks: what a client or a gateway does to survive a sick
//! backend. Each is a small state machine fed with the current simulated
//! time; none schedules anything itself.
//!
//! - [`timeout::ClientTimeout`]: a deadline per request
//! - [`retry::RetryPolicy`] and [`retry::RetryCounter`]: exponential backoff
//!   with jitter; every retry is a new request, duplicates are counted
//! - [`breaker::CircuitBreaker`]: closed / open / half-open, the episode's
//!   defaults (5 failures, 60 s, 3 successes)
//! - [`bulkhead::Bulkhead`]: a connection pool with an acquire timeout
//!   (polled, or one timeout event per waiter), and the contention of its
//!   holders on a backend of limited parallelism
//! - [`token_bucket::TokenBucket`]: rate admission with bursts
//! - [`shedder::LoadShedder`]: rejects when the Little's-law predicted
//!   wait (queue length / throughput) exceeds 1.5 × the SLA, or when a
//!   wait the caller predicts itself exceeds its limit

pub mod breaker;
pub mod bulkhead;
pub mod retry;
pub mod shedder;
pub mod timeout;
pub mod token_bucket;
