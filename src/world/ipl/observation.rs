//! The IPL world's headless metrics as one typed observation: every key
//! is a field (so a key the dashboard or a report reads cannot go
//! missing), and the [`Metrics`] map is produced from it, key for field.
//! See the module docs of [`super`] for what each counts.

use serde::Serialize;

use super::model::{Decline, Ipl};
use crate::sim::SimTime;
use crate::sim::metrics::Metrics;
use crate::sim::world::Ledger;

/// Declares the observation's fields once: the struct and its map.
macro_rules! observation {
    ($( $(#[$doc:meta])* $field:ident ),+ $(,)?) => {
        /// The world's metrics at one instant (counts as `f64`, seconds,
        /// rupees).
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct IplMetrics {
            $( $(#[$doc])* pub $field: f64, )+
        }

        impl IplMetrics {
            /// The metrics map: one key per field, named as the field.
            #[must_use]
            pub fn to_metrics(&self) -> Metrics {
                let mut m = Metrics::new();
                $( m.insert(stringify!($field).to_string(), self.$field); )+
                m
            }
        }
    };
}

observation! {
    /// Every submission, first tap or retry.
    attempts,
    orders_unique,
    orders_duplicate,
    duplicates_merged,
    /// The same as `duplicates_merged` (the episode's word).
    duplicates_prevented,
    retries,
    delivered,
    delivered_unique,
    duplicates_delivered,
    cancelled,
    declined,
    declined_shed_eta,
    declined_shed_distance,
    declined_system_full,
    declined_no_server,
    declined_app_queue_full,
    declined_server_crash,
    declined_pool_timeout,
    declined_breaker_open,
    declined_db_down,
    declined_payment,
    declined_app_error,
    declined_kitchen_down,
    customers_lost,
    customers_gave_up,
    in_system,
    in_system_at_reset,
    /// Most orders waiting in a queue, sampled.
    backlog_peak,
    /// When the backlog peaked, and where it stood then: app-server
    /// queues, waiting for a DB connection, kitchen queues, cooked with no
    /// rider.
    backlog_peak_at_s,
    backlog_peak_app,
    backlog_peak_pool,
    backlog_peak_kitchen,
    backlog_peak_rider,
    /// The most taps (first taps and retries) per minute over ten
    /// minutes, and when those ten minutes ended.
    taps_peak_per_min,
    taps_peak_at_s,
    backlog,
    in_system_peak,
    /// Time-weighted mean of the orders in the system.
    mean_in_system,
    p50_delivery_time_s,
    p95_delivery_time_s,
    mean_delivery_time_s,
    p50_confirm_time_s,
    p95_confirm_time_s,
    /// NaN until an order has left.
    mean_time_in_system_s,
    revenue_delivered_inr,
    revenue_lost_inr,
    breaker_opens,
    partners_online,
    partners_online_min,
    app_servers,
    app_servers_peak,
}

impl Ipl {
    /// The observation at `now`.
    #[must_use]
    pub fn observe(&self, now: SimTime) -> IplMetrics {
        let c = &self.c;
        let n = |d: Decline| c.declined.get(&d).copied().unwrap_or(0) as f64;
        IplMetrics {
            attempts: c.retry.attempts as f64,
            orders_unique: c.retry.logical as f64,
            orders_duplicate: c.retry.duplicates as f64,
            duplicates_merged: c.merged as f64,
            duplicates_prevented: c.merged as f64,
            retries: c.retry.retries as f64,
            delivered: c.delivered as f64,
            delivered_unique: c.delivered_unique as f64,
            duplicates_delivered: c.duplicates_delivered as f64,
            cancelled: c.cancelled as f64,
            declined: c.declined_total() as f64,
            declined_shed_eta: n(Decline::ShedEta),
            declined_shed_distance: n(Decline::ShedDistance),
            declined_system_full: n(Decline::SystemFull),
            declined_no_server: n(Decline::NoServer),
            declined_app_queue_full: n(Decline::AppQueueFull),
            declined_server_crash: n(Decline::ServerCrash),
            declined_pool_timeout: n(Decline::PoolTimeout),
            declined_breaker_open: n(Decline::BreakerOpen),
            declined_db_down: n(Decline::DbDown),
            declined_payment: n(Decline::Payment),
            declined_app_error: n(Decline::AppError),
            declined_kitchen_down: n(Decline::KitchenDown),
            customers_lost: c.customers_lost as f64,
            customers_gave_up: c.retry.gave_up as f64,
            in_system: self.in_system as f64,
            in_system_at_reset: self.in_system_at_reset as f64,
            backlog_peak: self.queued_peak as f64,
            backlog_peak_at_s: self.peaks.backlog_at_s,
            backlog_peak_app: self.peaks.app as f64,
            backlog_peak_pool: self.peaks.pool as f64,
            backlog_peak_kitchen: self.peaks.kitchen as f64,
            backlog_peak_rider: self.peaks.rider as f64,
            taps_peak_per_min: self.peaks.taps_per_min,
            taps_peak_at_s: self.peaks.taps_at_s,
            backlog: self.queued() as f64,
            in_system_peak: self.backlog.peak(),
            mean_in_system: self.backlog.mean(now),
            p50_delivery_time_s: self.delivery.quantile_s(0.5),
            p95_delivery_time_s: self.delivery.quantile_s(0.95),
            mean_delivery_time_s: self.delivery.mean_s(),
            p50_confirm_time_s: self.confirm.quantile_s(0.5),
            p95_confirm_time_s: self.confirm.quantile_s(0.95),
            mean_time_in_system_s: if c.exits > 0 {
                c.sojourn_s / c.exits as f64
            } else {
                f64::NAN
            },
            revenue_delivered_inr: c.revenue_delivered,
            revenue_lost_inr: c.revenue_lost,
            breaker_opens: self.opens() as f64,
            partners_online: self.online as f64,
            partners_online_min: self.partners_min as f64,
            app_servers: self.servers.len() as f64,
            app_servers_peak: self.servers_peak as f64,
        }
    }
}

impl IplMetrics {
    /// Orders for the conservation law: every attempt is delivered,
    /// declined (by reason), cancelled, merged as a duplicate, or inside.
    #[must_use]
    pub fn ledger(&self) -> Ledger {
        let n = |v: f64| v as u64;
        Ledger {
            entity: "orders",
            arrived: n(self.attempts),
            in_system_at_reset: n(self.in_system_at_reset),
            completed: n(self.delivered),
            left: vec![
                ("shed: ETA", n(self.declined_shed_eta)),
                ("shed: distance", n(self.declined_shed_distance)),
                ("system full", n(self.declined_system_full)),
                ("no server", n(self.declined_no_server)),
                ("app queue full", n(self.declined_app_queue_full)),
                ("server crash", n(self.declined_server_crash)),
                ("pool timeout", n(self.declined_pool_timeout)),
                ("breaker open", n(self.declined_breaker_open)),
                ("db down", n(self.declined_db_down)),
                ("payment", n(self.declined_payment)),
                ("app error", n(self.declined_app_error)),
                ("kitchen down", n(self.declined_kitchen_down)),
                ("cancelled", n(self.cancelled)),
                ("merged duplicate", n(self.duplicates_merged)),
            ],
            in_system: n(self.in_system),
        }
    }
}
