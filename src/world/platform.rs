//! Andheri platform 1, fast train: passengers arrive (Poisson, λ per
//! minute), board at μ per minute per server, and the platform holds at
//! most `capacity` people, those boarding included (M/M/c/K).
//!
//! Built from blocks: a `Source`, the platform as a `Station` (its slots
//! are the servers; in train mode it has none and `Trains` take from its
//! backlog), the station entrance as a `FiniteQueue`, a `FaultBook` and
//! `BlockStats`. The world is a
//! [`Model`](crate::sim::Model), [`Platform`], run as
//! [`Runtime<Platform>`](crate::sim::Runtime):
//!
//! - [`params`]: [`PlatformParams`], their validation and the [`catalog`]
//!   (policies and faults, from the parameters alone);
//! - [`model`]: the state, its events and how it reacts to them and to
//!   commands;
//! - [`view`]: the dashboard's snapshot, the metrics and the closed forms.
//!
//! ## Parameters (RON names = `--set` keys)
//!
//! ```ron
//! world: Platform((
//!     arrival_rate_per_min: 200,   // λ
//!     service_rate_per_min: 250,   // μ per server (not used by Trains)
//!     servers: 1,                  // c (in train mode: tracks)
//!     capacity: 500,               // K, everyone on the platform incl. boarding
//!     service: Exponential,        // | Deterministic | Erlang(k: 3) | Lognormal(cv: 0.5)
//!                                  // | Trains(headway_s: 180, train_capacity: 600)
//!     entrance_capacity: 2000,     // the waiting area at the station entrance
//!     sample_every_s: 1,           // rolling series for the dashboard
//! ))
//! ```
//!
//! `Trains(headway_s: H, train_capacity: N)`: each of the `servers` tracks
//! has a train every H seconds (tracks staggered evenly) that takes up to N
//! passengers off the platform at once (batch service; boarding is
//! instant, so a passenger's response time is their wait). While a train
//! has seats left, people from the entrance walk up and board it too.
//!
//! ## Policies (the dashboard's `p` key): where turned-away passengers go
//!
//! - `leave` (default): a full platform turns newcomers away: they leave
//!   (`rejected_full`). This is M/M/c/K, and the closed forms apply.
//! - `entrance`: they wait at the station entrance (FIFO, at most
//!   `entrance_capacity`; beyond that they leave) and walk onto the
//!   platform as space frees, in order. Nobody jumps the entrance line.
//!
//! ## Faults (targets: `all`, `server-N` or `track-N`)
//!
//! - `Kill`: a server stops boarding (its passenger steps back to the head
//!   of the platform queue; nobody is lost) / a track's trains are
//!   cancelled; back after `restart_after_s`.
//! - `Slowdown`: boarding rate × factor / trains run every H ÷ factor.
//! - `Latency`: each boarding takes `ms ± jitter` longer / each train is late by it.
//! - `CapacityDrop` (target `all`): platform capacity × (1 − fraction)
//!   (e.g. a crowd-control barrier); nobody is pushed off, newcomers wait.
//! - `ErrorRate`: a boarding passenger gives up with probability p and
//!   leaves (`rejected_error`).
//! - `Partition`: on `all`, the platform's entry is closed (newcomers go to
//!   the entrance or leave, `rejected_unavailable`) and nobody boards; on
//!   one server/track, that one stops.
//! - `Blackhole` has no meaning on a platform and is refused.
//!
//! ## Metrics
//!
//! Station-wide: `arrivals`, `completed` (boarded and left), `rejected`
//! (= `rejected_full` + `rejected_error` + `rejected_unavailable`),
//! `in_system` (platform + entrance), `in_system_at_reset`,
//! `blocking_probability`, `mean_in_system` (L), `mean_wait_s` (Wq),
//! `mean_response_s` (W), p50/p95/p99 of both, `throughput_per_s`,
//! `utilisation` (busy servers / c; trains: seats filled / offered);
//! and `on_platform`, `mean_on_platform`, `in_entrance`,
//! `mean_in_entrance`, `capacity_effective`. Conservation at every instant:
//! `arrivals + in_system_at_reset = completed + rejected + in_system`.

mod closed;
pub mod model;
pub mod params;
pub mod view;

pub use model::{Event, Overflow, Platform, Queue};
pub use params::{
    MAX_CAPACITY, MAX_HEADWAY_S, MAX_RATE_PER_MIN, MAX_SERVERS, PlatformParams, Service, catalog,
};
pub use view::PlatformMetrics;
