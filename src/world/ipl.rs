//! The IPL final, 28 May 2023: food orders during the match (episode
//! section 2.4). Nothing below writes in a result; the night's numbers
//! emerge from capacities, service times, patience, retries and the pool.
//!
//! The path of one order:
//!
//! 1. **Customers** arrive at the base schedule's rate (1 000/min, 2 000 at
//!    7:15, 4 500 at 7:30, …) times the spike of the cricket events in
//!    force ([`feed`]; the largest when several overlap): a boundary ×2
//!    for 30 s, a wicket ×2.5 for 45 s, … Each
//!    customer has a patience; when the order has not been confirmed by
//!    then, they tap "order" again (probability `retry_probability`, lower
//!    with `eta_messages`) or give up. A tap while the first order is still
//!    in flight is a **duplicate**: with `idempotency` it is merged into
//!    the first (counted as prevented), without it it is a second order
//!    that takes its share of every resource below, all the way to a rider.
//! 2. **App servers** behind a shared [`Balancer`](crate::policy::Balancer)
//!    (`balancing`, default least loaded), each with a few worker threads
//!    and a queue. A worker holds the order through CPU work, the database
//!    query and the payment call. Autoscaling is the world's policy:
//!    `fixed`, `reactive` (utilisation above a threshold asks for servers
//!    that arrive after `provisioning_delay_s`) or `cricket-aware` (the
//!    episode's `cricket_aware_load_balancing`: sizes the fleet for the
//!    rate the next known event predicts, keeps room for a boundary while
//!    the match is in play and, on a boundary or wicket,
//!    brings warm servers in for the spike).
//! 3. **The restaurant database**: a connection pool of `db_pool_size`;
//!    a query takes `db_query_ms` while at most `db_parallelism` run, and
//!    longer beyond (contention), and longer again as the orders waiting for
//!    a rider grow (`db_backlog_knee`). Waiting for a connection longer than
//!    `db_acquire_timeout_s` fails the order. A circuit breaker (`breaker`)
//!    in front of it opens after 5 failures in a row, stays open 60 s and
//!    closes after 3 successful trials.
//! 4. **Payment** (fails with the `payment` error-rate fault), then the
//!    **restaurant accepts** (`accept_mean_s`): the order is confirmed.
//! 5. **Kitchens** (`kitchen_clusters` with `kitchen_slots` orders cooking
//!    at once in all) prepare it.
//! 6. **Delivery partners**, a finite pool that changes: when orders
//!    waiting per online partner pass `partner_overload_threshold`,
//!    partners go offline (`partner_churn_per_min`); with `incentives` they
//!    come back (`incentive_return_per_min`). With `batching` one trip
//!    carries up to `batch_size` orders.
//!
//! With `shedding` an order is declined at the door when its estimated
//! delivery time exceeds `shed_eta_min` or the restaurant is farther than
//! `shed_distance_km`. A regional power loss (`power-loss`) fails over to
//! a backup with `backup_capacity` of the compute; when it clears, capacity
//! comes back in stages (25 %, 50 %, 100 %, one stage per
//! `restore_stage_s`), as AWS did in December 2021 (section 2.2).
//!
//! The **backlog** is the orders waiting in a queue rather than being
//! worked on: app-server queues, the connection pool, kitchen queues and
//! cooked orders with no rider (`backlog_peak`); `in_system` counts every
//! live order, including those cooking and on a trip.
//!
//! Headless metrics: `orders_unique` (customers), `orders_duplicate` (taps
//! while an earlier order was still unconfirmed), `duplicates_merged`,
//! `retries`, `delivered` (`delivered_unique`, `duplicates_delivered`),
//! `declined` (and `declined_<reason>`), `cancelled`, `in_system`,
//! `backlog_peak`, `p50/p95_delivery_time_s` (first tap to first delivery),
//! `p50/p95_confirm_time_s`, `revenue_delivered_inr`, `revenue_lost_inr`
//! (customers who never got their food × `average_order_value_inr`),
//! `breaker_opens`, `partners_online_min`, `app_servers_peak`.
//!
//! Accounting: every submission (first tap or retry) is an *attempt*;
//! `attempts = delivered + declined + cancelled + duplicates_merged +
//! in_system` at every instant (plus `in_system_at_reset` after a warm-up).
//!
//! Policies (`p` key, `--policy`): the autoscaling modes `fixed`,
//! `reactive`, `cricket-aware` — the story is about capacity arriving in
//! time. `--policy` and the timeline also accept a balancing policy name
//! (`least-loaded`, `round-robin`, …), which changes the app-server
//! balancer and keeps the autoscaling mode.
//!
//! Faults: the targets and the kinds each takes are in [`catalog`] (known
//! from the parameters, without building the world); the faults in force
//! are kept in the shared fault books and combine as everywhere else
//! (slowdowns multiply, latencies add with their jitter, capacity drops
//! multiply what is left, error probabilities combine as independent
//! failures). Anything else is refused by name.
//!
//! Blocks: the order rate is a shared
//! [`RateProfile`](crate::sim::blocks::source::RateProfile) built by
//! [`feed::order_profile`]; the connection pool is the shared bulkhead,
//! shedding the load shedder, customers' retries the retry policy, the
//! breaker the shared circuit breaker.
//!
//! The app servers and the kitchen clusters are shared
//! [`Station`](crate::sim::blocks::station::Station)s run by the world
//! (see [`engine`](crate::sim::blocks::station::engine)), as Tatkal's
//! booking engines are: the station counts the slots in use under the
//! limit the world hands it (the worker threads left by a power loss, a
//! cluster's share of the kitchen slots left by a capacity drop), keeps
//! the queue in front of them, and starts a new life when it crashes; the
//! world draws every service time from its own named streams
//! (`ipl/app`, `ipl/kitchen`) at the moment a slot takes the order, and
//! says when the slot is free again. That is what lets a worker be held
//! across resources: it is taken with the CPU work and released only when
//! the order leaves the server, after the wait for a connection, the
//! query and the payment. A crash fails what was waiting, one order at a
//! time in queue order (the customer sees an error), and what was in
//! service fails at its next step, because it began in an older life.
//! The servers stand behind a
//! [`Fleet`](crate::sim::blocks::fleet::Fleet) whose router draws from
//! the world's `ipl/balancer` stream and reads views the world keeps
//! exact: weight 1 for every server, its station's EWMAs of latency
//! (answered orders) and success (answers against error pages).
//!
//! The other stages are not stations, because they do not have a
//! station's shape: a query's time depends on the orders waiting for a
//! rider elsewhere in the world, not on the database's own concurrency
//! (its pool is the bulkhead); a rider's trip carries a batch (one drop
//! per order, then the way back) for a fleet that shrinks and grows as
//! partners log off and return.
//!
//! Code: `model` holds the state and the event handlers (one file per
//! stage), `world` makes it a [`Model`](crate::sim::Model) run as
//! [`Runtime<Ipl>`](crate::sim::Runtime), `observation` is the typed
//! metrics, `dashboard` the snapshot, `feed` the match.

mod catalog;
mod dashboard;
pub mod feed;
mod model;
mod observation;
mod world;

use serde::{Deserialize, Serialize};

use crate::policy::Policy;
pub use crate::sim::blocks::resilience::breaker::BreakerState;
use crate::sim::{Command, Runtime, World};
use crate::world::ParamIssue;
pub use catalog::catalog;
pub use feed::{FeedKind, MatchFeed, MatchGen, ScriptEvent, SpikeShape, Spikes};
pub use model::{Ev, Ipl, Queue};
pub use observation::IplMetrics;

/// A point of the base demand schedule: from `at_s` on, `orders_per_min`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatePoint {
    pub at_s: f64,
    pub orders_per_min: f64,
}

/// How the app-server fleet grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Autoscaling {
    Fixed,
    Reactive,
    CricketAware,
}

impl Autoscaling {
    pub const ALL: [Autoscaling; 3] = [
        Autoscaling::Fixed,
        Autoscaling::Reactive,
        Autoscaling::CricketAware,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Autoscaling::Fixed => "fixed",
            Autoscaling::Reactive => "reactive",
            Autoscaling::CricketAware => "cricket-aware",
        }
    }

    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// Parameters of the IPL final world. Every field has the episode's value
/// as its default, so a scenario states only what it changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IplParams {
    // ---- demand ----
    /// The base order rate over the evening (before cricket spikes).
    pub demand_schedule: Vec<RatePoint>,
    pub match_feed: MatchFeed,
    pub spikes: Spikes,
    /// Multiplies demand and every capacity: 0.1 is the same city at a
    /// tenth of the size (used by the tests to run fast).
    pub volume_scale: f64,
    // ---- customers ----
    /// Everyone waits at least this long for a confirmation …
    pub patience_min_s: f64,
    /// … plus an exponential extra with this mean.
    pub patience_extra_mean_s: f64,
    /// Chance a customer whose patience ran out taps "order" again.
    pub retry_probability: f64,
    /// The same with honest ETA messages on.
    pub retry_probability_with_eta: f64,
    /// With ETA messages, chance a customer cancels instead of waiting on.
    pub cancel_probability_with_eta: f64,
    /// Chance a customer who saw an error tries again.
    pub retry_after_error_probability: f64,
    /// Seconds before trying again after an error.
    pub retry_delay_s: f64,
    /// Most taps per customer.
    pub max_attempts: u32,
    /// Mean restaurant distance (exponential), km.
    pub distance_mean_km: f64,
    pub average_order_value_inr: f64,
    // ---- app servers ----
    pub app_servers: u32,
    pub app_servers_max: u32,
    pub workers_per_server: u32,
    /// Requests a server holds waiting for a worker; beyond, the tap gets
    /// an error at once. 100 (Tomcat's `acceptCount` and uWSGI's `listen`
    /// default): a full queue is about 10 s of a server's nominal work
    /// (10 workers, 0.9 s an order). With 1 000 the 60 servers held 60 000
    /// taps for minutes, longer than any customer waits, behind orders
    /// whose customers had already tapped again.
    pub app_queue_cap: u32,
    pub app_cpu_ms: f64,
    pub balancing: String,
    pub autoscaling: Autoscaling,
    pub provisioning_delay_s: f64,
    pub scale_check_s: f64,
    pub scale_up_utilisation: f64,
    /// Warm servers cricket-aware scaling can start at once for a spike.
    pub warm_pool: u32,
    // ---- database ----
    pub db_pool_size: u32,
    pub db_parallelism: u32,
    pub db_query_ms: f64,
    pub db_acquire_timeout_s: f64,
    /// Pending orders at which a query takes twice as long (table growth):
    /// a query takes ×(1 + pending / knee). 2 500: the episode's queries
    /// went 500 ms → 2 s → 10 s (×4, then ×20) by 8:15 PM, while the
    /// pending orders were tens of thousands; with 2 500 a query takes 2 s
    /// at 7 500 pending orders and 10 s at 47 500. With 25 000 it would
    /// take 10 s only at 475 000, more than the night ever holds, and the
    /// database never slowed new orders down as the episode's did.
    pub db_backlog_knee: f64,
    pub breaker_failure_threshold: u32,
    pub breaker_open_s: f64,
    pub breaker_half_open_successes: u32,
    pub payment_ms: f64,
    // ---- restaurants ----
    pub accept_mean_s: f64,
    pub kitchen_clusters: u32,
    /// Orders cooking at once, all clusters together.
    pub kitchen_slots: u32,
    pub prep_min_s: f64,
    pub prep_extra_mean_s: f64,
    // ---- delivery partners ----
    pub partners_online: u32,
    pub partners_offline: u32,
    pub ride_min_s: f64,
    pub ride_extra_mean_s: f64,
    pub return_s: f64,
    pub batch_size: u32,
    pub batch_extra_s: f64,
    /// Orders waiting per online partner above which partners log off.
    pub partner_overload_threshold: f64,
    /// Share of the online partners who log off each minute while
    /// overloaded. 0.025: the night's slow deliveries need it (the
    /// episode's 120 minutes with 45 000 orders pending is a rider
    /// throughput of about 500 orders a minute at the peak, by Little's law:
    /// most partners gone).
    pub partner_churn_per_min: f64,
    pub partner_return_per_min: f64,
    pub incentive_return_per_min: f64,
    // ---- playbook ----
    pub idempotency: bool,
    pub shedding: bool,
    pub eta_messages: bool,
    pub incentives: bool,
    pub batching: bool,
    pub breaker: bool,
    pub shed_eta_min: f64,
    pub shed_distance_km: f64,
    // ---- regional failure ----
    pub backup_capacity: f64,
    pub restore_stage_s: f64,
    // ---- measurement ----
    pub sample_every_s: f64,
    /// Most orders in the system at once (beyond: declined, "system full").
    pub max_in_system: u32,
}

impl Default for IplParams {
    fn default() -> Self {
        IplParams {
            demand_schedule: vec![
                RatePoint {
                    at_s: 0.0,
                    orders_per_min: 1000.0,
                },
                RatePoint {
                    at_s: 900.0,
                    orders_per_min: 2000.0,
                },
                RatePoint {
                    at_s: 1800.0,
                    orders_per_min: 4500.0,
                },
                RatePoint {
                    at_s: 13_500.0,
                    orders_per_min: 2500.0,
                },
            ],
            match_feed: MatchFeed::default(),
            spikes: Spikes::default(),
            volume_scale: 1.0,
            patience_min_s: 60.0,
            patience_extra_mean_s: 60.0,
            retry_probability: 0.8,
            retry_probability_with_eta: 0.1,
            cancel_probability_with_eta: 0.15,
            retry_after_error_probability: 0.6,
            retry_delay_s: 20.0,
            max_attempts: 5,
            distance_mean_km: 2.2,
            average_order_value_inr: 400.0,
            app_servers: 6,
            app_servers_max: 60,
            workers_per_server: 10,
            app_queue_cap: 100,
            app_cpu_ms: 100.0,
            balancing: "least-loaded".into(),
            autoscaling: Autoscaling::Reactive,
            provisioning_delay_s: 300.0,
            scale_check_s: 30.0,
            scale_up_utilisation: 0.8,
            warm_pool: 10,
            db_pool_size: 300,
            db_parallelism: 120,
            db_query_ms: 500.0,
            db_acquire_timeout_s: 10.0,
            db_backlog_knee: 2_500.0,
            breaker_failure_threshold: 5,
            breaker_open_s: 60.0,
            breaker_half_open_successes: 3,
            payment_ms: 300.0,
            accept_mean_s: 25.0,
            kitchen_clusters: 8,
            kitchen_slots: 120_000,
            prep_min_s: 480.0,
            prep_extra_mean_s: 420.0,
            partners_online: 60_000,
            partners_offline: 60_000,
            ride_min_s: 480.0,
            ride_extra_mean_s: 420.0,
            return_s: 300.0,
            batch_size: 3,
            batch_extra_s: 240.0,
            partner_overload_threshold: 0.15,
            partner_churn_per_min: 0.025,
            partner_return_per_min: 0.005,
            incentive_return_per_min: 0.03,
            idempotency: false,
            shedding: false,
            eta_messages: false,
            incentives: false,
            batching: false,
            breaker: false,
            shed_eta_min: 90.0,
            shed_distance_km: 5.0,
            backup_capacity: 0.2,
            restore_stage_s: 3600.0,
            sample_every_s: 10.0,
            max_in_system: 2_000_000,
        }
    }
}

/// Caps that keep a shared file from asking for unbounded work or memory.
pub const MAX_RATE_PER_MIN: f64 = 200_000.0;
pub const MAX_SERVERS: u32 = 1_000;
pub const MAX_WORKERS: u32 = 10_000;
pub const MAX_POOL: u32 = 100_000;
pub const MAX_KITCHEN_SLOTS: u32 = 5_000_000;
pub const MAX_PARTNERS: u32 = 5_000_000;
pub const MAX_IN_SYSTEM: u32 = 5_000_000;
pub const MAX_SCHEDULE: usize = 1_000;

impl IplParams {
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        // Orders waiting per online partner: beyond this no partner waits
        // for the threshold (the default is 0.15).
        const MAX_OVERLOAD_PER_PARTNER: f64 = 1_000.0;
        let mut out = Vec::new();
        let mut check = |ok: bool, field: &str, msg: String| {
            if !ok {
                out.push(ParamIssue::new(field, msg));
            }
        };
        let fin = |v: f64| v.is_finite();
        let p01 = |v: f64| fin(v) && (0.0..=1.0).contains(&v);
        let secs = |v: f64| fin(v) && (0.0..=86_400.0).contains(&v);

        check(
            !self.demand_schedule.is_empty() && self.demand_schedule.len() <= MAX_SCHEDULE,
            "demand_schedule",
            format!(
                "demand_schedule needs between 1 and {MAX_SCHEDULE} points, got {}",
                self.demand_schedule.len()
            ),
        );
        let mut last = -1.0;
        for p in &self.demand_schedule {
            check(
                fin(p.at_s) && p.at_s > last && p.at_s <= 30.0 * 86_400.0,
                "demand_schedule",
                format!(
                    "demand_schedule times must increase from 0, got {} after {last}",
                    p.at_s
                ),
            );
            check(
                fin(p.orders_per_min) && (0.0..=MAX_RATE_PER_MIN).contains(&p.orders_per_min),
                "orders_per_min",
                format!(
                    "orders_per_min must be between 0 and {MAX_RATE_PER_MIN}, got {}",
                    p.orders_per_min
                ),
            );
            last = p.at_s;
        }
        check(
            fin(self.volume_scale) && self.volume_scale > 0.0 && self.volume_scale <= 10.0,
            "volume_scale",
            format!(
                "volume_scale must be > 0 and ≤ 10, got {}",
                self.volume_scale
            ),
        );
        for (f, v) in [
            ("patience_min_s", self.patience_min_s),
            ("patience_extra_mean_s", self.patience_extra_mean_s),
            ("retry_delay_s", self.retry_delay_s),
            ("provisioning_delay_s", self.provisioning_delay_s),
            ("db_acquire_timeout_s", self.db_acquire_timeout_s),
            ("breaker_open_s", self.breaker_open_s),
            ("accept_mean_s", self.accept_mean_s),
            ("prep_min_s", self.prep_min_s),
            ("prep_extra_mean_s", self.prep_extra_mean_s),
            ("ride_min_s", self.ride_min_s),
            ("ride_extra_mean_s", self.ride_extra_mean_s),
            ("return_s", self.return_s),
            ("batch_extra_s", self.batch_extra_s),
            ("restore_stage_s", self.restore_stage_s),
        ] {
            check(
                secs(v),
                f,
                format!("{f} must be between 0 and 86400 seconds, got {v}"),
            );
        }
        for (f, v) in [
            ("scale_check_s", self.scale_check_s),
            ("sample_every_s", self.sample_every_s),
        ] {
            check(
                secs(v) && v >= 1.0,
                f,
                format!("{f} must be between 1 and 86400 seconds, got {v}"),
            );
        }
        for (f, v) in [
            ("app_cpu_ms", self.app_cpu_ms),
            ("payment_ms", self.payment_ms),
        ] {
            check(
                fin(v) && (0.0..=600_000.0).contains(&v),
                f,
                format!("{f} must be between 0 and 600000 ms, got {v}"),
            );
        }
        check(
            fin(self.db_query_ms) && self.db_query_ms > 0.0 && self.db_query_ms <= 600_000.0,
            "db_query_ms",
            format!(
                "db_query_ms must be > 0 and ≤ 600000, got {}",
                self.db_query_ms
            ),
        );
        for (f, v) in [
            ("retry_probability", self.retry_probability),
            (
                "retry_probability_with_eta",
                self.retry_probability_with_eta,
            ),
            (
                "cancel_probability_with_eta",
                self.cancel_probability_with_eta,
            ),
            (
                "retry_after_error_probability",
                self.retry_after_error_probability,
            ),
            ("scale_up_utilisation", self.scale_up_utilisation),
            ("partner_churn_per_min", self.partner_churn_per_min),
            ("partner_return_per_min", self.partner_return_per_min),
            ("incentive_return_per_min", self.incentive_return_per_min),
            ("backup_capacity", self.backup_capacity),
        ] {
            check(p01(v), f, format!("{f} must be between 0 and 1, got {v}"));
        }
        check(
            self.retry_probability_with_eta + self.cancel_probability_with_eta <= 1.0,
            "cancel_probability_with_eta",
            "retry_probability_with_eta + cancel_probability_with_eta must not exceed 1".into(),
        );
        check(
            (1..=50).contains(&self.max_attempts),
            "max_attempts",
            format!(
                "max_attempts must be between 1 and 50, got {}",
                self.max_attempts
            ),
        );
        for (f, v) in [
            ("distance_mean_km", self.distance_mean_km),
            ("shed_distance_km", self.shed_distance_km),
        ] {
            check(
                fin(v) && v > 0.0 && v <= 1000.0,
                f,
                format!("{f} must be > 0 and ≤ 1000 km, got {v}"),
            );
        }
        check(
            fin(self.shed_eta_min) && self.shed_eta_min > 0.0 && self.shed_eta_min <= 10_000.0,
            "shed_eta_min",
            format!(
                "shed_eta_min must be > 0 and ≤ 10000, got {}",
                self.shed_eta_min
            ),
        );
        check(
            fin(self.average_order_value_inr)
                && (0.0..=1.0e6).contains(&self.average_order_value_inr),
            "average_order_value_inr",
            format!(
                "average_order_value_inr must be between 0 and 1000000, got {}",
                self.average_order_value_inr
            ),
        );
        check(
            (1..=MAX_SERVERS).contains(&self.app_servers),
            "app_servers",
            format!(
                "app_servers must be between 1 and {MAX_SERVERS}, got {}",
                self.app_servers
            ),
        );
        check(
            self.app_servers_max >= self.app_servers && self.app_servers_max <= MAX_SERVERS,
            "app_servers_max",
            format!(
                "app_servers_max must be between app_servers ({}) and {MAX_SERVERS}, got {}",
                self.app_servers, self.app_servers_max
            ),
        );
        check(
            (1..=MAX_WORKERS).contains(&self.workers_per_server),
            "workers_per_server",
            format!(
                "workers_per_server must be between 1 and {MAX_WORKERS}, got {}",
                self.workers_per_server
            ),
        );
        check(
            self.app_queue_cap <= 1_000_000,
            "app_queue_cap",
            format!(
                "app_queue_cap must be ≤ 1000000, got {}",
                self.app_queue_cap
            ),
        );
        check(
            self.warm_pool <= MAX_SERVERS,
            "warm_pool",
            format!("warm_pool must be ≤ {MAX_SERVERS}, got {}", self.warm_pool),
        );
        check(
            Policy::from_name(&self.balancing).is_some(),
            "balancing",
            format!(
                "unknown balancing policy `{}`; expected one of: {}",
                self.balancing,
                Policy::ALL.map(Policy::name).join(", ")
            ),
        );
        check(
            (1..=MAX_POOL).contains(&self.db_pool_size),
            "db_pool_size",
            format!(
                "db_pool_size must be between 1 and {MAX_POOL}, got {}",
                self.db_pool_size
            ),
        );
        check(
            (1..=MAX_POOL).contains(&self.db_parallelism),
            "db_parallelism",
            format!(
                "db_parallelism must be between 1 and {MAX_POOL}, got {}",
                self.db_parallelism
            ),
        );
        check(
            fin(self.db_backlog_knee)
                && (1.0..=f64::from(MAX_IN_SYSTEM)).contains(&self.db_backlog_knee),
            "db_backlog_knee",
            format!(
                "db_backlog_knee must be between 1 and {MAX_IN_SYSTEM} pending orders \
                 (no more can be pending), got {}",
                self.db_backlog_knee
            ),
        );
        check(
            (1..=1000).contains(&self.breaker_failure_threshold),
            "breaker_failure_threshold",
            format!(
                "breaker_failure_threshold must be between 1 and 1000, got {}",
                self.breaker_failure_threshold
            ),
        );
        check(
            (1..=1000).contains(&self.breaker_half_open_successes),
            "breaker_half_open_successes",
            format!(
                "breaker_half_open_successes must be between 1 and 1000, got {}",
                self.breaker_half_open_successes
            ),
        );
        check(
            (1..=1000).contains(&self.kitchen_clusters),
            "kitchen_clusters",
            format!(
                "kitchen_clusters must be between 1 and 1000, got {}",
                self.kitchen_clusters
            ),
        );
        check(
            self.kitchen_slots >= self.kitchen_clusters && self.kitchen_slots <= MAX_KITCHEN_SLOTS,
            "kitchen_slots",
            format!(
                "kitchen_slots must be between kitchen_clusters and {MAX_KITCHEN_SLOTS}, got {}",
                self.kitchen_slots
            ),
        );
        check(
            u64::from(self.partners_online) + u64::from(self.partners_offline)
                <= u64::from(MAX_PARTNERS),
            "partners_online",
            format!("partners_online + partners_offline must be ≤ {MAX_PARTNERS}"),
        );
        check(
            (1..=20).contains(&self.batch_size),
            "batch_size",
            format!(
                "batch_size must be between 1 and 20, got {}",
                self.batch_size
            ),
        );
        check(
            fin(self.partner_overload_threshold)
                && (0.0..=MAX_OVERLOAD_PER_PARTNER).contains(&self.partner_overload_threshold),
            "partner_overload_threshold",
            format!(
                "partner_overload_threshold must be between 0 and {MAX_OVERLOAD_PER_PARTNER} \
                 orders waiting per online partner, got {}",
                self.partner_overload_threshold
            ),
        );
        check(
            (1..=MAX_IN_SYSTEM).contains(&self.max_in_system),
            "max_in_system",
            format!(
                "max_in_system must be between 1 and {MAX_IN_SYSTEM}, got {}",
                self.max_in_system
            ),
        );
        self.match_feed.validate(&self.spikes, &mut out);
        out
    }

    pub fn build(
        &self,
        seed: u64,
        policy: Option<&str>,
    ) -> Result<Box<dyn World>, crate::world::BuildError> {
        crate::world::BuildError::check(self.validate())?;
        let (model, queue) = Ipl::new(self.clone(), seed);
        let mut rt = Runtime::new(model, queue);
        if let Some(p) = policy {
            // Nothing is logged when a world is built.
            let mut log = crate::sim::EventLog::new(1);
            World::apply(&mut rt, &Command::SetPolicy(p.to_string()), &mut log)?;
        }
        Ok(Box::new(rt))
    }
}

impl crate::world::WorldParams for IplParams {
    fn validate(&self) -> Vec<crate::world::ParamIssue> {
        IplParams::validate(self)
    }
    fn catalog(&self) -> crate::sim::Catalog {
        catalog::catalog(self)
    }
    fn build(
        &self,
        seed: u64,
        policy: Option<&str>,
    ) -> Result<Box<dyn crate::sim::World>, crate::world::BuildError> {
        IplParams::build(self, seed, policy)
    }

    /// 3 million events an hour × volume (measured 2.3 million at volume 1
    /// and 0.1) + 10 000 an hour; 40 MB × volume (measured 36 MB).
    fn work(&self, duration_s: f64) -> crate::work::Work {
        let v = self.volume_scale.max(0.0);
        crate::work::Work {
            events: (3.0e6 * v + 1.0e4) * duration_s.max(0.0) / 3600.0,
            bytes: 8.0 * crate::work::MB + 40.0 * crate::work::MB * v,
        }
    }
}
