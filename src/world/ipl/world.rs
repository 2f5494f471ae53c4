//! The IPL world as a [`Model`] of the run-time: its events go to the
//! handlers in [`super::model`], commands are checked against the world's
//! [`Catalog`] (computed once from the parameters, the same one
//! `chaoswala check` reads) before they change anything, and the headless
//! metrics are read off the counters.

use super::model::{Cx, Decline, Ev, Ipl, Queue};
use crate::sim::metrics::Metrics;
use crate::sim::{Catalog, Command, CommandError, Model, SimTime, Snapshot};

impl Model for Ipl {
    type Event = Ev;
    type Queue = Queue;

    fn handle(&mut self, cx: &mut Cx<'_>, event: Ev) {
        self.on_event(cx, event);
    }

    fn apply(&mut self, cx: &mut Cx<'_>, cmd: &Command) -> Result<String, CommandError> {
        self.command(cx, cmd)
    }

    fn snapshot(&self, now: SimTime) -> Snapshot {
        self.dashboard(now)
    }

    fn metrics(&self, now: SimTime) -> Metrics {
        self.metrics_at(now)
    }

    fn analytic(&self, now: SimTime) -> Metrics {
        self.analytic_at(now)
    }

    fn reset_statistics(&mut self, now: SimTime) {
        self.reset_counts(now);
    }

    fn policy(&self) -> String {
        self.autoscaling.name().to_string()
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

impl Ipl {
    /// The headless metrics at `now`.
    pub(super) fn metrics_at(&self, now: SimTime) -> Metrics {
        let c = &self.c;
        let mut m = Metrics::new();
        let mut put = |k: &str, v: f64| {
            m.insert(k.to_string(), v);
        };
        put("attempts", c.attempts as f64);
        put("orders_unique", c.unique as f64);
        put("orders_duplicate", c.duplicate as f64);
        put("duplicates_merged", c.merged as f64);
        put("duplicates_prevented", c.merged as f64);
        put("retries", c.retries as f64);
        put("delivered", c.delivered as f64);
        put("delivered_unique", c.delivered_unique as f64);
        put("duplicates_delivered", c.duplicates_delivered as f64);
        put("cancelled", c.cancelled as f64);
        put("declined", c.declined_total() as f64);
        for d in Decline::ALL {
            put(d.key(), c.declined.get(&d).copied().unwrap_or(0) as f64);
        }
        put("customers_lost", c.customers_lost as f64);
        put("customers_gave_up", c.customers_gave_up as f64);
        put("in_system", self.in_system as f64);
        put("in_system_at_reset", self.in_system_at_reset as f64);
        put("backlog_peak", self.queued_peak as f64);
        put("backlog", self.queued() as f64);
        put("in_system_peak", self.backlog.peak());
        put("mean_in_system", self.backlog.mean(now));
        put("p50_delivery_time_s", self.delivery.quantile_s(0.5));
        put("p95_delivery_time_s", self.delivery.quantile_s(0.95));
        put("mean_delivery_time_s", self.delivery.mean_s());
        put("p50_confirm_time_s", self.confirm.quantile_s(0.5));
        put("p95_confirm_time_s", self.confirm.quantile_s(0.95));
        put(
            "mean_time_in_system_s",
            if c.exits > 0 {
                c.sojourn_s / c.exits as f64
            } else {
                f64::NAN
            },
        );
        put("revenue_delivered_inr", c.revenue_delivered);
        put("revenue_lost_inr", c.revenue_lost);
        put("breaker_opens", self.opens() as f64);
        put("partners_online", self.online as f64);
        put("partners_online_min", self.partners_min as f64);
        put("app_servers", self.servers.len() as f64);
        put("app_servers_peak", self.servers_peak as f64);
        m
    }

    /// Closed forms for the same keys at `now`.
    pub(super) fn analytic_at(&self, now: SimTime) -> Metrics {
        let span = (now - self.stats_since).as_secs_f64();
        let mut m = Metrics::new();
        if span > 0.0 && self.c.exits > 0 {
            let lambda = self.c.exits as f64 / span;
            let w = self.c.sojourn_s / self.c.exits as f64;
            m.insert("mean_in_system".into(), lambda * w);
        }
        m
    }
}
