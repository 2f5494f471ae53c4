//! The app-server tier: balancing, worker threads and queues.
//!
//! Each server is a station run by the world (see
//! [`engine`](crate::sim::blocks::station::engine)): its slots are the
//! worker threads, its backlog the server's queue, a crash starts a new
//! life, and its EWMAs are what the balancer reads of its latency and
//! success. A worker is held from the CPU work through the wait for a
//! database connection, the query and the payment call: the world draws
//! the CPU time from `ipl/app` when the worker starts, and releases it
//! when the order leaves the server (answered, or failed on the way).

use crate::policy::Backend;
use crate::sim::SimTime;
use crate::sim::blocks::servers::{ServiceDist, ServiceTime};
use crate::sim::blocks::station::engine::{Sent, Timed};
use crate::sim::blocks::station::{ServiceModel, Station};
use crate::sim::fault::Effect;
use crate::sim::rng::SimRng;
use crate::world::ipl::IplParams;
use rand::Rng;

use super::faults::added_latency_s;
use super::{Cx, Decline, Ev, Ipl, Order, Ref, Stage, cust_in, exp_s, order_in, scaled, secs};

/// App server `k`'s station: `workers` slots (worker threads; each start
/// is limited to those a power loss leaves, never more), room for
/// `app_queue_cap` (scaled) waiting, EWMAs weighing each new value by
/// 0.1. The service model only records the mean CPU time: the world draws
/// each one itself ([`cpu_s`]).
pub(super) fn station(p: &IplParams, workers: u32, seed: u64, k: usize) -> Station<Ref> {
    let cpu = ServiceTime::new(ServiceDist::Exponential, (p.app_cpu_ms / 1000.0).max(1e-9))
        .unwrap_or_else(|_| unreachable!("a positive mean"));
    Station::engine(
        workers as usize,
        scaled(p.app_queue_cap, p.volume_scale) as usize,
        ServiceModel::Fixed(cpu),
        0.1,
        seed,
        &format!("ipl/app-{}", k + 1),
    )
}

/// One order's CPU time on a server under `fx`, seconds: exponential
/// with mean `mean_s`, plus the latency the faults add (± their jitter).
fn cpu_s(rng: &mut SimRng, mean_s: f64, fx: &Effect) -> f64 {
    exp_s(rng, mean_s) + added_latency_s(fx, rng)
}

impl Ipl {
    /// Hands the balancer what it sees of server `k` now: whether it
    /// takes traffic, its workers busy and its queue, weight 1, and its
    /// EWMAs of success and latency. Called after every change to any of
    /// them, so that the views the balancer holds are always exact.
    pub(super) fn sync_view(&mut self, k: usize) {
        let view = self.view(k);
        self.fleet.set_view(k, view);
    }

    /// What the balancer should see of server `k` now (see
    /// [`Ipl::sync_view`]).
    fn view(&self, k: usize) -> Backend {
        let st = self.fleet.station(k);
        Backend {
            available: self.servers[k].available(),
            in_flight: st.in_system() as u32,
            weight: 1.0,
            success_rate: st.success_rate(),
            response_s: st.latency_s(),
            ..Backend::default()
        }
    }

    /// Worker threads per server under the current regional capacity.
    pub(in crate::world::ipl) fn effective_workers(&self) -> u32 {
        ((f64::from(self.workers) * self.region).ceil() as u32).max(1)
    }

    /// The mean CPU time on server `k` now and the faults on it.
    fn cpu_on(&self, k: usize) -> (f64, Effect) {
        let fx = self.servers[k].fx;
        (self.p.app_cpu_ms / 1000.0 / fx.slowdown, fx)
    }

    pub(super) fn send_to_app(&mut self, cx: &mut Cx<'_>, o: Ref) {
        debug_assert!(
            (0..self.servers.len()).all(|k| self.fleet.views()[k] == self.view(k)),
            "the balancer holds a stale view"
        );
        let Some(k) = self.fleet.choose_held() else {
            self.fail(cx, o, Decline::NoServer);
            return;
        };
        let now = cx.now();
        let workers = self.effective_workers();
        let (mean, fx) = self.cpu_on(k);
        let rng = &mut self.rng_app;
        let sent = self
            .fleet
            .station_mut(k)
            .arrive_timed(now, now, o, workers, |_, _| Some(cpu_s(rng, mean, &fx)));
        match sent {
            Sent::Started(t) => {
                self.sync_view(k);
                self.began_cpu(cx, o, k, t);
            }
            Sent::Queued => {
                self.sync_view(k);
                if let Some(ord) = self.order_mut(o) {
                    ord.stage = Stage::AppQueue;
                    ord.server = k as u16;
                    ord.app_at = now;
                }
            }
            // The chosen server takes traffic and never swallows an
            // order: only a full queue turns it away.
            Sent::Refused(_) | Sent::Hung(_) => self.fail(cx, o, Decline::AppQueueFull),
        }
    }

    /// Order `o` took a worker on server `k` (CPU work for `t`): from
    /// now on the worker is its until it leaves the server.
    fn began_cpu(&mut self, cx: &mut Cx<'_>, o: Ref, k: usize, t: Timed) {
        let now = cx.now();
        if let Some(ord) = self.order_mut(o) {
            if ord.stage != Stage::AppQueue {
                ord.app_at = now;
            }
            ord.stage = Stage::Cpu;
            ord.server = k as u16;
            ord.server_life = t.life;
        }
        cx.schedule_in(secs(t.service_s), Ev::CpuDone(o));
    }

    /// An order leaves server `k`, whose worker it took in the station's
    /// life `life`, without an answer (it failed or was cancelled on the
    /// way): the worker goes to the queue's next order. Nothing happens
    /// when the server crashed since.
    pub(super) fn release_worker(&mut self, cx: &mut Cx<'_>, k: u16, life: u16) {
        let k = k as usize;
        if k < self.servers.len() && self.fleet.station_mut(k).release_timed(cx.now(), life) {
            self.pump_server(cx, k);
        }
    }

    /// Server `k` answered an order that counted from `since` (its arrival
    /// at the server) with the worker it took in `life`: its latency and a
    /// success feed the server's EWMAs, and the worker goes to the queue's
    /// next order.
    pub(super) fn server_answered(&mut self, cx: &mut Cx<'_>, k: u16, life: u16, since: SimTime) {
        let k = k as usize;
        let Some(s) = self.servers.get_mut(k) else {
            return;
        };
        s.served += 1;
        let answered = self
            .fleet
            .station_mut(k)
            .finish_timed(cx.now(), life, since, f64::INFINITY);
        if answered.is_some() {
            self.pump_server(cx, k);
        }
    }

    /// Server `k` failed an order (an error page): its success EWMA
    /// counts a failure.
    pub(super) fn server_failed(&mut self, k: u16) {
        let k = k as usize;
        if k < self.servers.len() {
            self.fleet.station_mut(k).record_failure();
            self.sync_view(k);
        }
    }

    /// Starts the orders waiting at server `k` while it takes traffic and
    /// has a worker free; orders gone meanwhile are skipped, those whose
    /// customer gave up are cancelled. Then refreshes the server's view
    /// (every change to a server ends here or syncs it itself).
    pub(super) fn pump_server(&mut self, cx: &mut Cx<'_>, k: usize) {
        let workers = self.effective_workers();
        let (mean, fx) = self.cpu_on(k);
        let now = cx.now();
        while self.servers[k].available() {
            let (orders, customers, rng) = (&self.orders, &self.customers, &mut self.rng_app);
            let mut pulled = None;
            let mut gave_up = false;
            let Some(sent) = self.fleet.station_mut(k).pull_timed(now, workers, |&o, _| {
                pulled = Some(o);
                let x = order_in(orders, o)?;
                if cust_in(customers, x.cust).is_some_and(|c| c.gave_up) {
                    gave_up = true;
                    return None;
                }
                Some(cpu_s(rng, mean, &fx))
            }) else {
                break;
            };
            match (sent, pulled) {
                (Sent::Started(t), Some(o)) => self.began_cpu(cx, o, k, t),
                (Sent::Hung(o), _) if gave_up => self.cancel(cx, o),
                _ => {}
            }
        }
        self.sync_view(k);
    }

    /// The order's server crashed or restarted since it took a worker.
    pub(super) fn server_lost(&self, ord: &Order) -> bool {
        let k = ord.server as usize;
        self.servers
            .get(k)
            .is_none_or(|s| s.down || self.fleet.station(k).life() != ord.server_life)
    }

    pub(super) fn on_cpu_done(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        if self.server_lost(&ord) {
            self.fail(cx, o, Decline::ServerCrash);
            return;
        }
        let p_err = self.servers[ord.server as usize].fx.error_p;
        if p_err > 0.0 && self.rng_app.random::<f64>() < p_err {
            self.server_failed(ord.server);
            self.fail(cx, o, Decline::AppError);
            return;
        }
        self.db_request(cx, o);
    }
}
