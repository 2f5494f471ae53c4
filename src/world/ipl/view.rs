//! What the IPL world shows: the [`World`] implementation, the dashboard
//! snapshot (scoreboard, sparklines, gauges, backlog chart, servers) and
//! the headless metrics.

use std::fmt::Write as _;

use super::model::{Decline, Ipl, duration_text};
use super::{Autoscaling, feed::FeedKind};
use crate::fault::{FaultKind, FaultTemplate};
use crate::sim::blocks::resilience::breaker::BreakerState;
use crate::sim::engine::drive;
use crate::sim::metrics::Metrics;
use crate::sim::world::{AnalyticRow, ChartView, GaugeView, SeriesView, UnitState, UnitView};
use crate::sim::{Command, CommandError, LogEntry, SimTime, Snapshot};

/// Indian style: ₹4.2 cr, ₹3.5 lakh, ₹800.
fn rupees(v: f64) -> String {
    if v >= 1.0e7 {
        format!("₹{:.1} cr", v / 1.0e7)
    } else if v >= 1.0e5 {
        format!("₹{:.1} lakh", v / 1.0e5)
    } else {
        format!("₹{v:.0}")
    }
}

impl Ipl {
    /// The scoreboard: score, last ball and the spike it causes.
    pub fn status_line(&self) -> String {
        let now = self.now();
        let Some(i) = self.last_feed else {
            return match self.feed.first() {
                Some(f) => {
                    let (a, b) = self.p.match_feed.teams();
                    let wait = (f.at - now).as_secs_f64();
                    format!(
                        "{a} v {b} · first ball in {} · orders {:.0}/min",
                        duration_text((wait / 60.0).ceil() * 60.0),
                        self.rate_per_s * 60.0
                    )
                }
                None => format!("no match · orders {:.0}/min", self.rate_per_s * 60.0),
            };
        };
        let item = &self.feed[i];
        let mut s = self.scoreboard_for(item);
        let m = self.spike_multiplier();
        if m > 1.0 && item.kind != FeedKind::MatchEnd {
            let left = self
                .spikes
                .iter()
                .filter(|(e, _)| *e > now)
                .map(|(e, _)| (*e - now).as_secs_f64())
                .fold(0.0, f64::max);
            let _ = write!(s, " · now ×{m} ({left:.0} s left)");
        }
        s
    }

    fn breaker_text(&self) -> &'static str {
        if self.breaker_on {
            self.breaker.state().label()
        } else {
            "off"
        }
    }
}

impl crate::world::legacy::LegacyWorld for Ipl {
    fn now(&self) -> SimTime {
        self.engine.now()
    }

    fn next_event_time(&self) -> Option<SimTime> {
        self.engine.peek_time()
    }

    fn advance(&mut self, until: SimTime, max_events: u64) -> u64 {
        drive(self, |w| &mut w.engine, Self::handle, until, max_events)
    }

    fn apply(&mut self, cmd: &Command) -> Result<String, CommandError> {
        self.command(cmd)
    }

    fn snapshot(&self) -> Snapshot {
        let now = self.now();
        let m = self.metrics();
        let pool = self.effective_pool();
        let scale = self.p.volume_scale;
        let total_partners = (self.online + self.offline + self.striking).max(1);
        let backlog_ref = 50_000.0 * scale;
        let breaker = self.breaker_text();
        let gauges = vec![
            GaugeView {
                label: "DB pool".into(),
                ratio: (f64::from(self.pool_in_use) / f64::from(pool)).min(1.0),
                text: format!(
                    "{}/{} in use · {:.1} s a query",
                    self.pool_in_use,
                    pool,
                    self.query_ewma.value_or(self.p.db_query_ms / 1000.0)
                ),
                alarm: self.pool_in_use >= pool,
            },
            GaugeView {
                label: "pool waiting".into(),
                ratio: (f64::from(self.pool_waiting) / f64::from(pool)).min(1.0),
                text: format!("{} queries queued", self.pool_waiting),
                alarm: self.pool_waiting > 0,
            },
            GaugeView {
                label: "breaker".into(),
                ratio: match self.breaker.state() {
                    _ if !self.breaker_on => 0.0,
                    BreakerState::Closed => 0.0,
                    BreakerState::HalfOpen => 0.5,
                    BreakerState::Open { .. } => 1.0,
                },
                text: format!("{breaker} · opened {}×", self.opens()),
                alarm: self.breaker_on && self.breaker.state() != BreakerState::Closed,
            },
            GaugeView {
                label: "partners".into(),
                ratio: self.online as f64 / total_partners as f64,
                text: format!(
                    "{} online · {} on trips · {:.2} orders each",
                    self.online,
                    self.busy_partners,
                    self.partner_load()
                ),
                alarm: self.partner_load() > self.p.partner_overload_threshold,
            },
            GaugeView {
                label: "backlog".into(),
                ratio: (self.queued() as f64 / backlog_ref).min(1.0),
                text: format!(
                    "{} queued · ETA {:.0} min · {} in system",
                    self.queued(),
                    self.eta_estimate_min(),
                    self.in_system
                ),
                alarm: self.eta_estimate_min() > self.p.shed_eta_min,
            },
            GaugeView {
                label: "duplicates".into(),
                ratio: if self.c.duplicate > 0 {
                    self.c.merged as f64 / self.c.duplicate as f64
                } else {
                    1.0
                },
                text: format!(
                    "{} taps · {} merged · idempotency {}",
                    self.c.duplicate,
                    self.c.merged,
                    if self.idempotency { "on" } else { "off" }
                ),
                alarm: self.c.duplicate > self.c.merged,
            },
            GaugeView {
                label: "revenue".into(),
                ratio: {
                    let total = self.c.revenue_delivered + self.c.revenue_lost;
                    if total > 0.0 {
                        self.c.revenue_delivered / total
                    } else {
                        1.0
                    }
                },
                text: format!(
                    "{} delivered · {} lost",
                    rupees(self.c.revenue_delivered),
                    rupees(self.c.revenue_lost)
                ),
                alarm: self.c.revenue_lost > 0.1 * self.c.revenue_delivered,
            },
        ];
        let workers = self.effective_workers();
        let served_total: u64 = self.servers.iter().map(|s| s.served).sum();
        let mut units: Vec<UnitView> = self
            .servers
            .iter()
            .enumerate()
            .map(|(k, s)| UnitView {
                name: format!("app-{}", k + 1),
                state: if s.down {
                    UnitState::Down
                } else if s.provisioning || s.slow < 1.0 || s.extra_ms > 0.0 || s.error_p > 0.0 {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                },
                in_flight: f64::from(s.busy) + s.queue.len() as f64,
                ewma_latency_s: s.latency.value_or(0.0),
                share: if served_total > 0 {
                    s.served as f64 / served_total as f64
                } else {
                    0.0
                },
                extra: if s.provisioning {
                    "starting".into()
                } else {
                    format!("{} queued · {}/{} busy", s.queue.len(), s.busy, workers)
                },
            })
            .collect();
        units.push(UnitView {
            name: "db".into(),
            state: if self.fx.db_down {
                UnitState::Down
            } else if self.pool_in_use >= pool {
                UnitState::Degraded
            } else {
                UnitState::Up
            },
            in_flight: f64::from(self.pool_in_use),
            ewma_latency_s: self.query_ewma.value_or(0.0),
            share: 1.0,
            extra: format!("{} waiting", self.pool_waiting),
        });
        let slots = self.slots_per_cluster();
        for (k, cl) in self.clusters.iter().enumerate() {
            units.push(UnitView {
                name: format!("kitchen-cluster-{}", k + 1),
                state: if cl.down {
                    UnitState::Down
                } else if cl.busy >= slots {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                },
                in_flight: f64::from(cl.busy),
                ewma_latency_s: 0.0,
                share: 1.0 / self.clusters.len() as f64,
                extra: format!("{} queued", cl.queue.len()),
            });
        }
        let span = (now - self.stats_since).as_secs_f64();
        let lambda = if span > 0.0 {
            self.c.exits as f64 / span
        } else {
            0.0
        };
        let w = if self.c.exits > 0 {
            self.c.sojourn_s / self.c.exits as f64
        } else {
            0.0
        };
        Snapshot {
            now,
            policy: self.policy(),
            gauges,
            sparklines: vec![
                SeriesView::of("orders/min (unique)", "/min", &self.s_unique),
                SeriesView::of("duplicates/min", "/min", &self.s_dup),
                SeriesView::of("deliveries/min", "/min", &self.s_delivered),
                SeriesView::of("p95 delivery", "min", &self.s_p95),
                SeriesView::of("retries/min", "/min", &self.s_retries),
                SeriesView::of("declined/min", "/min", &self.s_declined),
            ],
            chart: ChartView {
                label: "backlog: orders waiting in a queue".into(),
                points: ChartView::points_of(&self.chart_t, &self.chart),
                reference: None,
            },
            units_title: "servers, db, kitchens".into(),
            units_extra_header: "queue".into(),
            units,
            analytic: vec![
                AnalyticRow {
                    label: "backlog L (λW vs mean)".into(),
                    closed_form: Some(lambda * w),
                    simulated: m["mean_in_system"],
                    unit: "orders".into(),
                },
                AnalyticRow {
                    label: "offered vs capacity".into(),
                    closed_form: Some(self.capacity_per_min()),
                    simulated: self.rate_per_s * 60.0,
                    unit: "/min".into(),
                },
                AnalyticRow {
                    label: "DB query (pool model)".into(),
                    closed_form: Some(self.query_mean_s(self.pool_in_use.max(1))),
                    simulated: self.query_ewma.value_or(0.0),
                    unit: "s".into(),
                },
            ],
            status_line: Some(self.status_line()),
            toggles: self.toggles(),
            events_processed: self.engine.processed(),
            ..Snapshot::default()
        }
    }

    fn metrics(&self) -> Metrics {
        let now = self.now();
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

    fn analytic(&self) -> Metrics {
        let now = self.now();
        let span = (now - self.stats_since).as_secs_f64();
        let mut m = Metrics::new();
        if span > 0.0 && self.c.exits > 0 {
            let lambda = self.c.exits as f64 / span;
            let w = self.c.sojourn_s / self.c.exits as f64;
            m.insert("mean_in_system".into(), lambda * w);
        }
        m
    }

    fn reset_statistics(&mut self) {
        self.reset_counts();
    }

    fn policies(&self) -> Vec<String> {
        Autoscaling::ALL
            .iter()
            .map(|a| a.name().to_string())
            .collect()
    }

    fn policy(&self) -> String {
        self.autoscaling.name().to_string()
    }

    fn fault_menu(&self) -> Vec<FaultTemplate> {
        let servers = self.server_names();
        let mut app_targets = servers.clone();
        app_targets.push("all".into());
        let mut kitchens = vec!["kitchens".to_string()];
        kitchens.extend((1..=self.clusters.len()).map(|k| format!("kitchen-cluster-{k}")));
        vec![
            FaultTemplate::new(
                "kill app server",
                FaultKind::Kill {
                    restart_after_s: Some(120.0),
                },
                app_targets.clone(),
            )
            .strength("restart after s", 10.0, 3600.0, 30.0),
            FaultTemplate::new(
                "kill kitchen cluster",
                FaultKind::Kill {
                    restart_after_s: None,
                },
                {
                    let mut t = kitchens[1..].to_vec();
                    t.push("kitchens".into());
                    t
                },
            )
            .lasting(900.0),
            FaultTemplate::new(
                "database latency",
                FaultKind::Latency {
                    ms: 1500.0,
                    jitter_ms: 0.0,
                },
                ["db"],
            )
            .strength("ms", 100.0, 10_000.0, 250.0)
            .lasting(600.0),
            FaultTemplate::new(
                "partner strike",
                FaultKind::CapacityDrop { fraction: 0.3 },
                ["partners"],
            )
            .strength("fraction", 0.05, 0.9, 0.05)
            .lasting(1800.0),
            FaultTemplate::new(
                "payment errors",
                FaultKind::ErrorRate { p: 0.2 },
                ["payment"],
            )
            .strength("p", 0.05, 1.0, 0.05)
            .lasting(300.0),
            FaultTemplate::new(
                "regional power loss",
                FaultKind::World {
                    name: "power-loss".into(),
                    strength: 1.0,
                },
                ["region"],
            )
            .strength("fraction lost", 0.1, 1.0, 0.1)
            .lasting(600.0),
            FaultTemplate::new(
                "slow app servers",
                FaultKind::Slowdown { factor: 0.5 },
                app_targets.clone(),
            )
            .strength("rate ×", 0.1, 1.0, 0.1)
            .lasting(300.0),
            FaultTemplate::new("slow database", FaultKind::Slowdown { factor: 0.5 }, ["db"])
                .strength("rate ×", 0.1, 1.0, 0.1)
                .lasting(300.0),
            FaultTemplate::new("partition app server", FaultKind::Partition, app_targets)
                .lasting(120.0),
            FaultTemplate::new(
                "shrink DB pool",
                FaultKind::CapacityDrop { fraction: 0.5 },
                ["db"],
            )
            .strength("fraction", 0.1, 0.9, 0.1)
            .lasting(600.0),
        ]
    }

    fn events_processed(&self) -> u64 {
        self.engine.processed()
    }

    fn drain_log(&mut self) -> Vec<LogEntry> {
        self.take_log()
    }
}
