//! Estimates (ETA, capacity) and app-server autoscaling.

use crate::sim::SimTime;
use crate::sim::blocks::resilience::shedder::LoadShedder;
use crate::sim::blocks::station::Station;
use crate::world::ipl::Autoscaling;
use crate::world::ipl::feed::FeedKind;

use super::{Cx, Ev, Ipl, Ref, Server, WARM_START_S, app, secs};

impl Ipl {
    /// Delivery time the app would promise now, minutes.
    pub(in crate::world::ipl) fn eta_estimate_min(&self) -> f64 {
        let confirm_s = self.confirm_ewma.value_or(self.p.accept_mean_s);
        let prep_s =
            self.p.prep_min_s + self.p.prep_extra_mean_s / self.fx.kitchens.slowdown.max(1e-9);
        let ride_s = self.p.ride_min_s + self.p.ride_extra_mean_s;
        let trip_s = ride_s + self.p.return_s;
        let per_trip = if self.batching {
            f64::from(self.p.batch_size)
        } else {
            1.0
        };
        let on = self.online.saturating_sub(self.leaving).max(1) as f64;
        let pickups_per_s = on * per_trip / trip_s.max(1.0);
        // Little's law: the orders ahead over the pickup rate, less what
        // cooking overlaps.
        let ahead = self.awaiting.len() + self.in_kitchen as usize;
        let partner_wait_s =
            (LoadShedder::predicted_wait_s(ahead, pickups_per_s) - prep_s).max(0.0);
        (confirm_s + prep_s + partner_wait_s + ride_s) / 60.0
    }

    /// Orders per minute the slowest stage can take now.
    pub(in crate::world::ipl) fn capacity_per_min(&self) -> f64 {
        let per_order_s = (self.p.app_cpu_ms + self.p.db_query_ms + self.p.payment_ms) / 1000.0;
        let up = self.servers.iter().filter(|s| s.available()).count() as f64;
        let app = up * f64::from(self.effective_workers()) / per_order_s.max(1e-9) * 60.0;
        let db = f64::from(self.effective_pool().min(self.effective_parallelism()))
            / (self.p.db_query_ms / 1000.0 / self.fx.db.slowdown).max(1e-9)
            * 60.0;
        let per_trip = if self.batching {
            f64::from(self.p.batch_size)
        } else {
            1.0
        };
        let trip_s = self.p.ride_min_s + self.p.ride_extra_mean_s + self.p.return_s;
        let on = self.online.saturating_sub(self.leaving) as f64;
        let partners = on * per_trip / trip_s.max(1.0) * 60.0;
        app.min(db).min(partners)
    }

    // ------------------------------------------------------------ autoscaling

    pub(super) fn provision(&mut self, cx: &mut Cx<'_>, n: usize, delay: SimTime, why: &str) {
        let room = (self.p.app_servers_max as usize).saturating_sub(self.servers.len());
        let n = n.min(room);
        if n == 0 {
            return;
        }
        for _ in 0..n {
            let k = self.servers.len() as u16;
            // Faults on `all` or on this server's name hold on it too.
            let mut s = Server::new(true);
            s.fx = self.faults.app.effect(usize::from(k), cx.now());
            s.down = !s.fx.accepting();
            let mut station = app::station(&self.p, self.workers, self.seed, usize::from(k));
            if s.down {
                station.crash(cx.now());
            }
            self.fleet.push(station);
            self.servers.push(s);
            self.sync_view(usize::from(k));
            cx.schedule_in(delay, Ev::ServerUp { server: k });
        }
        self.servers_peak = self.servers_peak.max(self.servers.len());
        cx.log(format!(
            "autoscaling ({why}): +{n} app servers, ready in {:.0} s ({} total)",
            delay.as_secs_f64(),
            self.servers.len()
        ));
    }

    pub(super) fn servers_for_rate(&self, orders_per_s: f64) -> usize {
        let per_order_s = (self.p.app_cpu_ms + self.p.db_query_ms + self.p.payment_ms) / 1000.0;
        let per_server = f64::from(self.effective_workers()) * 0.7 / per_order_s.max(1e-9);
        (orders_per_s / per_server.max(1e-9)).ceil() as usize
    }

    /// The largest order rate the schedule and the known match events
    /// (timeouts, innings break, last over) predict for `[now, now + ahead]`.
    pub(super) fn predicted_rate_per_s(&self, now: SimTime, ahead: SimTime) -> f64 {
        let to = now + ahead;
        let mut base = self.base_per_min;
        for pt in &self.p.demand_schedule[self.schedule_next..] {
            if secs(pt.at_s) > to {
                break;
            }
            base = base.max(pt.orders_per_min);
        }
        let mut mult = self.spike_multiplier(now);
        // While the match is in play a boundary can come on any ball: keep
        // room for its spike.
        if self.feed.get(self.feed_next).is_some_and(|f| f.at <= to) {
            mult = mult.max(self.p.spikes.boundary.multiplier);
        }
        for item in &self.feed[self.feed_next..] {
            if item.at > to {
                break;
            }
            if matches!(
                item.kind,
                FeedKind::Timeout | FeedKind::InningsBreak | FeedKind::LastOver
            ) && let Some(s) = self.p.spikes.for_kind(item.kind)
            {
                mult = mult.max(s.multiplier);
            }
        }
        base / 60.0 * mult * self.scale_arrivals * self.p.volume_scale
    }

    pub(super) fn warm_start_for_spike(&mut self, cx: &mut Cx<'_>) {
        let want = self.servers_for_rate(self.target_rate_per_s(cx.now()));
        let have = self.servers.len();
        if want > have {
            let n = (want - have).min(self.p.warm_pool as usize);
            self.provision(
                cx,
                n,
                SimTime::from_secs(WARM_START_S),
                "cricket-aware, warm pool",
            );
        }
    }

    pub(super) fn on_scale_tick(&mut self, cx: &mut Cx<'_>) {
        let up: Vec<&Station<Ref>> = self
            .servers
            .iter()
            .zip(self.fleet.stations())
            .filter(|(s, _)| s.available())
            .map(|(_, st)| st)
            .collect();
        let cap = up.len() as f64 * f64::from(self.effective_workers());
        let load: f64 = up
            .iter()
            .map(|st| f64::from(st.busy()) + st.backlog_len() as f64)
            .sum();
        let util = if cap > 0.0 { load / cap } else { 1.0 };
        let active = up.len();
        let total = self.servers.len();
        let delay = secs(self.p.provisioning_delay_s);
        match self.autoscaling {
            Autoscaling::Fixed => {}
            Autoscaling::Reactive => {
                if util > self.p.scale_up_utilisation && total == active {
                    let n = active.div_ceil(4).max(1);
                    self.provision(cx, n, delay, "reactive: utilisation high");
                }
            }
            Autoscaling::CricketAware => {
                let ahead = delay + secs(self.p.scale_check_s * 2.0);
                let want = self.servers_for_rate(self.predicted_rate_per_s(cx.now(), ahead));
                if want > total {
                    self.provision(cx, want - total, delay, "cricket-aware: predicted");
                } else if util > self.p.scale_up_utilisation && total == active {
                    let n = active.div_ceil(4).max(1);
                    self.provision(cx, n, delay, "cricket-aware: utilisation high");
                }
            }
        }
        cx.schedule_in(secs(self.p.scale_check_s), Ev::ScaleTick);
    }

    pub(super) fn on_server_up(&mut self, k: u16) {
        if let Some(s) = self.servers.get_mut(k as usize) {
            s.provisioning = false;
            self.sync_view(k as usize);
        }
    }
}
