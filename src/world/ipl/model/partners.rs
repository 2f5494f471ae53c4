//! Delivery partners: dispatch and batching, trips, logging off and coming
//! back.

use crate::sim::SimTime;
use crate::sim::blocks::station::Station;

use super::{Cx, Ev, Ipl, PARTNER_TICK_S, Ref, Stage, exp_s, secs};

impl Ipl {
    /// Confirmed orders no rider has picked up yet: cooking queues and
    /// orders waiting at the restaurant. The restaurant query's ETA
    /// computation scans them.
    pub(in crate::world::ipl) fn unassigned(&self) -> u64 {
        let queued: usize = self.clusters.iter().map(Station::backlog_len).sum();
        (self.awaiting.len() + queued) as u64
    }

    /// The backlog: orders waiting in a queue rather than being worked on
    /// (app-server queues, the connection pool, kitchen queues, orders
    /// ready with no rider).
    pub(in crate::world::ipl) fn queued(&self) -> u64 {
        let app: usize = self.fleet.stations().iter().map(Station::backlog_len).sum();
        let kitchen: usize = self.clusters.iter().map(Station::backlog_len).sum();
        (app + kitchen + self.awaiting.len()) as u64 + u64::from(self.pool_waiting())
    }

    pub(in crate::world::ipl) fn idle_partners(&self) -> u64 {
        self.online.saturating_sub(self.busy_partners)
    }

    pub(super) fn dispatch(&mut self, cx: &mut Cx<'_>) {
        let per_trip = if self.batching {
            self.p.batch_size as usize
        } else {
            1
        };
        while self.idle_partners() > 0 && !self.awaiting.is_empty() {
            let mut batch = Vec::with_capacity(per_trip);
            while batch.len() < per_trip {
                let Some(o) = self.awaiting.pop_front() else {
                    break;
                };
                if self
                    .order(o)
                    .is_some_and(|x| x.stage == Stage::AwaitPartner)
                {
                    batch.push(o);
                }
            }
            if batch.is_empty() {
                break;
            }
            self.busy_partners += 1;
            let ride = self.p.ride_min_s + exp_s(&mut self.rng_partner, self.p.ride_extra_mean_s);
            let n = batch.len();
            for (j, o) in batch.into_iter().enumerate() {
                if let Some(x) = self.order_mut(o) {
                    x.stage = Stage::OnTrip;
                }
                let at = ride + j as f64 * self.p.batch_extra_s;
                cx.schedule_in(secs(at), Ev::Drop(o));
            }
            let back = ride + (n - 1) as f64 * self.p.batch_extra_s + self.p.return_s;
            cx.schedule_in(secs(back), Ev::PartnerBack);
        }
    }

    pub(super) fn on_partner_back(&mut self, cx: &mut Cx<'_>) {
        self.busy_partners = self.busy_partners.saturating_sub(1);
        if self.leaving > 0 {
            self.leaving -= 1;
            self.online = self.online.saturating_sub(1);
            self.offline += 1;
        }
        self.note_partners();
        self.dispatch(cx);
    }

    pub(super) fn note_partners(&mut self) {
        let eff = self.online.saturating_sub(self.leaving);
        if eff < self.partners_min {
            self.partners_min = eff;
        }
    }

    pub(super) fn on_drop(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.remove(cx, o) else {
            return;
        };
        let now = cx.now();
        self.c.delivered += 1;
        let c = ord.cust;
        let aov = self.p.average_order_value_inr;
        let mut first = None;
        if let Some(cu) = self.cust_mut(c) {
            cu.live -= 1;
            if cu.delivered {
                first = None;
            } else {
                cu.delivered = true;
                first = Some(now - cu.first_at);
            }
        }
        match first {
            Some(d) => {
                self.c.delivered_unique += 1;
                self.c.revenue_delivered += aov;
                self.delivery.record(d);
                self.window_delivery.record(d);
            }
            None => self.c.duplicates_delivered += 1,
        }
        self.maybe_free(c);
    }

    /// Partners decide once a minute: log off when overloaded, come back
    /// slowly, or quickly with incentives.
    pub(super) fn on_partner_tick(&mut self, cx: &mut Cx<'_>) {
        let load = self.partner_load();
        let per_min = PARTNER_TICK_S as f64 / 60.0;
        let before = self.online.saturating_sub(self.leaving);
        if self.incentives {
            self.partner_acc += self.offline as f64 * self.p.incentive_return_per_min * per_min;
        } else if load > self.p.partner_overload_threshold {
            self.partner_acc -= before as f64 * self.p.partner_churn_per_min * per_min;
        } else {
            self.partner_acc += self.offline as f64 * self.p.partner_return_per_min * per_min;
        }
        let whole = self.partner_acc.trunc();
        self.partner_acc -= whole;
        if whole > 0.0 {
            self.partners_online_add(whole as u64);
        } else if whole < 0.0 {
            self.partners_offline_add((-whole) as u64);
        }
        let after = self.online.saturating_sub(self.leaving);
        let pool = (self.online + self.offline + self.striking).max(1);
        // One line per 5 % of the pool that changed, not one per minute.
        if after.abs_diff(self.partners_logged) * 20 >= pool {
            let from = self.partners_logged;
            self.partners_logged = after;
            let verb = if after < from {
                "logging off (overloaded)"
            } else if self.incentives {
                "back online (2× incentives)"
            } else {
                "back online"
            };
            cx.log(format!(
                "delivery partners {verb}: {from} → {after} online, {load:.2} orders waiting per partner"
            ));
        }
        self.note_partners();
        self.dispatch(cx);
        cx.schedule_in(SimTime::from_secs(PARTNER_TICK_S), Ev::PartnerTick);
    }

    /// Orders waiting for pickup per online partner.
    pub(in crate::world::ipl) fn partner_load(&self) -> f64 {
        let on = self.online.saturating_sub(self.leaving).max(1);
        self.awaiting.len() as f64 / on as f64
    }

    pub(super) fn partners_online_add(&mut self, n: u64) {
        // Those about to leave change their minds first.
        let stay = n.min(self.leaving);
        self.leaving -= stay;
        let back = (n - stay).min(self.offline);
        self.offline -= back;
        self.online += back;
    }

    pub(super) fn partners_offline_add(&mut self, n: u64) {
        let idle = self.idle_partners();
        let now_off = n.min(idle);
        self.online -= now_off;
        self.offline += now_off;
        let later = (n - now_off).min(self.busy_partners.saturating_sub(self.leaving));
        self.leaving += later;
    }
}
