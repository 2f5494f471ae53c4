//! What the IPL world shows on the dashboard: the scoreboard, sparklines,
//! gauges, the backlog chart and the servers, database and kitchens.

use std::fmt::Write as _;

use super::feed::FeedKind;
use super::model::{Ipl, duration_text, series};
use crate::sim::blocks::resilience::breaker::BreakerState;
use crate::sim::world::{AnalyticRow, ChartView, GaugeView, SeriesView, UnitState, UnitView};
use crate::sim::{History, SimTime, Snapshot};

use crate::numbers::{count, rupees};

impl Ipl {
    /// The scoreboard: score, last ball and the spike it causes.
    #[must_use]
    pub fn status_line(&self, now: SimTime) -> String {
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
        let m = self.spike_multiplier(now);
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

    /// What the dashboard draws at `now`.
    pub(super) fn dashboard(&self, now: SimTime, h: &History) -> Snapshot {
        let m = self.observe(now);
        let pool = self.effective_pool();
        let scale = self.p.volume_scale;
        let total_partners = (self.online + self.offline + self.striking).max(1);
        let backlog_ref = 50_000.0 * scale;
        let breaker = self.breaker_text();
        let gauges = vec![
            GaugeView {
                label: "DB pool".into(),
                ratio: (f64::from(self.pool_in_use()) / f64::from(pool)).min(1.0),
                text: format!(
                    "{}/{} in use · {:.1} s a query",
                    self.pool_in_use(),
                    pool,
                    self.query_ewma.value_or(self.p.db_query_ms / 1000.0)
                ),
                alarm: self.pool_in_use() >= pool,
            },
            GaugeView {
                label: "pool waiting".into(),
                ratio: (f64::from(self.pool_waiting()) / f64::from(pool)).min(1.0),
                text: format!(
                    "{} quer{} queued",
                    count(f64::from(self.pool_waiting())),
                    if self.pool_waiting() == 1 { "y" } else { "ies" }
                ),
                alarm: self.pool_waiting() > 0,
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
                    "{} online · {} busy · {:.1} orders each",
                    count(self.online as f64),
                    count(self.busy_partners as f64),
                    self.partner_load()
                ),
                alarm: self.partner_load() > self.p.partner_overload_threshold,
            },
            GaugeView {
                label: "backlog".into(),
                ratio: (self.queued() as f64 / backlog_ref).min(1.0),
                text: format!(
                    "{} queued · ETA {:.0} min · {} in system",
                    count(self.queued() as f64),
                    self.eta_estimate_min(),
                    count(self.in_system as f64)
                ),
                alarm: self
                    .eta_shedder
                    .should_shed_wait(self.eta_estimate_min() * 60.0),
            },
            GaugeView {
                label: "duplicates".into(),
                // The bar is the share of duplicate taps merged: empty for none.
                ratio: if self.c.retry.duplicates > 0 {
                    self.c.merged as f64 / self.c.retry.duplicates as f64
                } else {
                    0.0
                },
                text: format!(
                    "{} of {} taps merged · idempotency {}",
                    count(self.c.merged as f64),
                    count(self.c.retry.duplicates as f64),
                    if self.idempotency { "on" } else { "off" }
                ),
                alarm: self.c.retry.duplicates > self.c.merged,
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
            .zip(self.fleet.stations())
            .enumerate()
            .map(|(k, (s, st))| UnitView {
                name: format!("app-{}", k + 1),
                state: if s.down {
                    UnitState::Down
                } else if s.provisioning
                    || s.fx.slowdown < 1.0
                    || s.fx.latency_s > 0.0
                    || s.fx.error_p > 0.0
                {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                },
                in_flight: f64::from(st.busy()) + st.backlog_len() as f64,
                ewma_latency_s: st.latency_s(),
                share: if served_total > 0 {
                    s.served as f64 / served_total as f64
                } else {
                    0.0
                },
                extra: if s.provisioning {
                    "starting".into()
                } else {
                    format!(
                        "{} queued · {}/{} busy",
                        st.backlog_len(),
                        st.busy(),
                        workers
                    )
                },
            })
            .collect();
        units.push(UnitView {
            name: "db".into(),
            state: if self.fx.db_down {
                UnitState::Down
            } else if self.pool_in_use() >= pool {
                UnitState::Degraded
            } else {
                UnitState::Up
            },
            in_flight: f64::from(self.pool_in_use()),
            ewma_latency_s: self.query_ewma.value_or(0.0),
            share: 1.0,
            extra: format!("{} waiting", self.pool_waiting()),
        });
        let slots = self.slots_per_cluster();
        for (k, cl) in self.clusters.iter().enumerate() {
            units.push(UnitView {
                name: format!("kitchen-cluster-{}", k + 1),
                state: if cl.is_down() {
                    UnitState::Down
                } else if cl.busy() >= slots {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                },
                in_flight: f64::from(cl.busy()),
                ewma_latency_s: 0.0,
                share: 1.0 / self.clusters.len() as f64,
                extra: format!("{} queued", cl.backlog_len()),
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
            policy: self.autoscaling.name().to_string(),
            gauges,
            sparklines: vec![
                SeriesView::of("orders/min (unique)", "/min", h.series(series::UNIQUE)),
                SeriesView::of("duplicates/min", "/min", h.series(series::DUPLICATES)),
                SeriesView::of("deliveries/min", "/min", h.series(series::DELIVERED)),
                SeriesView::of("p95 delivery", "min", h.series(series::P95_DELIVERY)),
                SeriesView::of("retries/min", "/min", h.series(series::RETRIES)),
                SeriesView::of("declined/min", "/min", h.series(series::DECLINED)),
            ],
            chart: ChartView {
                label: "backlog: orders waiting in a queue".into(),
                points: h.points(series::BACKLOG),
                reference: None,
                unit: "orders".into(),
            },
            units_title: "servers, db, kitchens".into(),
            units_extra_header: "queue".into(),
            units,
            analytic: vec![
                AnalyticRow {
                    label: "backlog L (λW vs mean)".into(),
                    closed_form: Some(lambda * w),
                    simulated: m.mean_in_system,
                    unit: "orders".into(),
                },
                AnalyticRow {
                    label: "capacity vs orders offered".into(),
                    closed_form: Some(self.capacity_per_min()),
                    simulated: self.rate_per_s * 60.0,
                    unit: "/min".into(),
                },
                AnalyticRow {
                    label: "DB query (pool model)".into(),
                    closed_form: Some(self.query_mean_s(self.pool_in_use().max(1))),
                    simulated: self.query_ewma.value_or(0.0),
                    unit: "s".into(),
                },
            ],
            closed_form_model: "Little's law; the planned capacity; the DB pool's query model"
                .into(),
            status_line: Some(self.status_line(now)),
            toggles: self.toggles(),
            ..Snapshot::default()
        }
    }
}
