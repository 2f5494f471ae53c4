//! chaoswala: a terminal laboratory for queues, load balancers and
//! failures, told through four Mumbai systems and networks of queues.
//!
//! Data flows one way: a scenario file ([`scenario`]) is validated into a
//! `Scenario`, whose world ([`world`]) is built from blocks
//! ([`sim::blocks`]) and driven by a deterministic [`sim::Simulation`];
//! its [`sim::Snapshot`] feeds the dashboard (`tui`, feature `tui`) or a
//! headless [`report`]. User actions come back only as
//! [`sim::Command`]s applied at the current simulated instant.
//!
//! - [`sim`]: time, event queue, random streams, metrics, the `World` trait
//! - [`sim::blocks`]: sources, finite queues, server pools, resilience
//! - [`policy`]: balancing and routing policies
//! - [`fault`]: the fault vocabulary, the one place faults combine, catalogs
//! - [`analytic`]: closed forms (M/M/1, M/M/c/K, Erlang B/C, BPR roads)
//! - [`world`]: platform, tatkal, ipl-final, bkc-traffic
//! - [`scenario`]: RON schema, validation, errors, built-ins
//! - [`report`]: headless runs, replications, table/JSON/CSV output
//! - [`compare`]: two policies side by side on the same seeds, paired differences

pub mod analytic;
pub mod compare;
pub mod experiment;
pub mod numbers;
pub mod plot;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
#[cfg(feature = "tui")]
pub mod tui;
pub mod work;
pub mod world;

/// The fault vocabulary, its combination and the catalogs (a facade for
/// [`sim::fault`]).
pub use sim::fault;
