//! Networks of queues declared in a scenario file: sources, stations,
//! routers and sinks joined by probabilistic edges (feedback loops
//! included), synchronous calls that hold a slot while they wait (client
//! timeout, retries with backoff and jitter, an optional retry budget,
//! circuit breaker and connection pool), and hard dependencies (a node is
//! unreachable while one it depends on is, and comes back only after it
//! and its own restart time). Wired from the shared blocks: every station
//! is a [`Station`](crate::sim::blocks::station::Station), every router a
//! [`Balancer`](crate::policy::Balancer) over its stations' views,
//! sources are [`Source`](crate::sim::blocks::source::Source)s, callers
//! keep a [`RetryPolicy`](crate::sim::blocks::resilience::retry::RetryPolicy),
//! [`CircuitBreaker`](crate::sim::blocks::resilience::breaker::CircuitBreaker)
//! and [`Bulkhead`](crate::sim::blocks::resilience::bulkhead::Bulkhead).
//!
//! - [`params`]: [`NetworkParams`], validation, the [`catalog`];
//! - [`model`]: the state, its events, commands;
//! - [`view`]: snapshot, metrics, the traffic equations and product form.
//!
//! ## Format
//!
//! ```ron
//! world: Network((
//!     nodes: [
//!         Source(name: "riders", rate_per_s: 3.0, to: [(to: "andheri")]),
//!         Station(name: "andheri", servers: 2, capacity: 500, service_rate_per_s: 2.5,
//!                 routes: [(to: "bandra", p: 0.7)]),      // 30 % leave here
//!         Station(name: "bandra", servers: 1, capacity: 500, service_rate_per_s: 4.0),
//!     ],
//! ))
//! ```
//!
//! Nodes: `Source(name, rate_per_s, schedule: [(at_s, rate)], ramp, spikes,
//! classes, to: [(to, p)], client, depends_on)` (its routes sum to 1);
//! `Station(name, servers, capacity, service_rate_per_s, service, priority,
//! routes, call, client, depends_on, restart_s, repair)` (what its routes
//! leave over leaves the network); `Router(name, policy, to: [stations],
//! weights, depends_on, restart_s, repair)`; `Sink(name)`. A `client`
//! is `(timeout_s, retries, backoff_s, backoff_multiplier, backoff_cap_s,
//! jitter: None | Full | Equal, retry_budget: Some(0.1), breaker:
//! Some((failures, open_s, trials)), pool: Some((size, max_waiting)))`.
//! Network-wide: `restoration: Some((at, stages: [0.25, 0.5, 1.0],
//! stage_s))`, `retry_budget_on`, `staged_restoration_on`,
//! `sample_every_s`. `--set nodes.NAME.FIELD=VALUE` changes one node's
//! field (`--set nodes.db.servers=8`).
//!
//! ## Metrics
//!
//! Per node `<node>.arrivals`, `.completed`, `.rejected`,
//! `.mean_in_system`, `.mean_response_s`, `.p95_response_s`,
//! `.throughput_per_s`, and for stations `.utilisation`, `.in_system`,
//! `.mean_wait_s`, `.blocking_probability`. Network-wide (logical
//! requests: a plain job, or a caller's request with all its attempts):
//! `arrivals`, `completed`, `rejected` (+ `rejected_<reason>`),
//! `in_network`, `goodput_per_s`, `mean_in_network`,
//! `mean_time_in_network_s`, `p95_time_in_network_s`, `attempts`,
//! `retries`, `retries_per_request`, `timeouts`, `duplicates` (answers
//! nobody waited for any more), `refused_by_breaker`.
//!
//! ## Closed forms
//!
//! The traffic equations λᵢ = γᵢ + Σⱼ λⱼ Pⱼᵢ are solved with routers as
//! random splits; each station whose λ makes an M/M/c/K with its K block
//! less than once in a million is shown as M/M/c (Jackson's product
//! form: "Jackson product form, M/M/2 at db"), and the network's mean
//! number inside and time through it (Little's law) when every station
//! has one. A station fed only by Poisson sources is M/M/c/K exactly,
//! blocking included. None is shown ("no closed form: …") for a station
//! that can block downstream of others, is overloaded, is not
//! exponential, is faulted, or in a network with callers, calls, a
//! router balancing by state or arrivals that vary in time.

pub mod model;
pub mod params;
mod times;
pub mod view;

pub use model::{CallBooks, Event, Network, NodeState, Queue};
pub use params::{Client, Kind, NetworkParams, Node, Route, catalog, kinds_for};
pub use view::ClosedForm;
