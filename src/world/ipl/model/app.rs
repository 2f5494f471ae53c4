//! The app-server tier: balancing, worker threads and queues.

use crate::policy::Backend;
use rand::Rng;

use super::faults::added_latency_s;
use super::{Cx, Decline, Ev, Ipl, Order, Ref, Stage, exp_s, scaled, secs};

impl Ipl {
    /// What the balancer sees of each server, written into a reused buffer.
    pub(super) fn fill_backends(&mut self) {
        self.backend_buf.clear();
        self.backend_buf
            .extend(self.servers.iter().map(|s| Backend {
                available: s.available(),
                in_flight: s.busy + s.queue.len() as u32,
                weight: 1.0,
                success_rate: s.success.value_or(1.0),
                response_s: s.latency.value_or(0.0),
                ..Backend::default()
            }));
    }

    /// Worker threads per server under the current regional capacity.
    pub(in crate::world::ipl) fn effective_workers(&self) -> u32 {
        ((f64::from(self.workers) * self.region).ceil() as u32).max(1)
    }

    pub(super) fn send_to_app(&mut self, cx: &mut Cx<'_>, o: Ref) {
        self.fill_backends();
        let Some(k) = self
            .balancer
            .choose(&self.backend_buf, &mut self.rng_balance)
        else {
            self.fail(cx, o, Decline::NoServer);
            return;
        };
        let workers = self.effective_workers();
        let cap = scaled(self.p.app_queue_cap, self.p.volume_scale) as usize;
        let s = &self.servers[k];
        if s.busy < workers {
            self.start_cpu(cx, o, k);
        } else if s.queue.len() >= cap {
            self.fail(cx, o, Decline::AppQueueFull);
        } else {
            self.servers[k].queue.push_back(o);
            let now = cx.now();
            if let Some(ord) = self.order_mut(o) {
                ord.stage = Stage::AppQueue;
                ord.server = k as u16;
                ord.app_at = now;
            }
        }
    }

    pub(super) fn start_cpu(&mut self, cx: &mut Cx<'_>, o: Ref, k: usize) {
        let now = cx.now();
        let s = &mut self.servers[k];
        s.busy += 1;
        let epoch = s.epoch;
        let mean = self.p.app_cpu_ms / 1000.0 / s.fx.slowdown;
        let fx = s.fx;
        let queued_at = self.order(o).map_or(now, |x| {
            if x.stage == Stage::AppQueue {
                x.app_at
            } else {
                now
            }
        });
        if let Some(ord) = self.order_mut(o) {
            ord.stage = Stage::Cpu;
            ord.server = k as u16;
            ord.epoch = epoch;
            ord.app_at = queued_at;
        }
        let t = exp_s(&mut self.rng_app, mean) + added_latency_s(&fx, &mut self.rng_app);
        cx.schedule_in(secs(t), Ev::CpuDone(o));
    }

    pub(super) fn release_worker(&mut self, cx: &mut Cx<'_>, k: u16, epoch: u32) {
        let k = k as usize;
        let Some(s) = self.servers.get_mut(k) else {
            return;
        };
        if s.epoch != epoch {
            return;
        }
        s.busy = s.busy.saturating_sub(1);
        self.pump_server(cx, k);
    }

    pub(super) fn pump_server(&mut self, cx: &mut Cx<'_>, k: usize) {
        let workers = self.effective_workers();
        while self.servers[k].available() && self.servers[k].busy < workers {
            let Some(o) = self.servers[k].queue.pop_front() else {
                break;
            };
            if self.order(o).is_none() {
                continue;
            }
            if self.customer_gave_up(o) {
                self.cancel(cx, o);
                continue;
            }
            self.start_cpu(cx, o, k);
        }
    }

    /// The order's server crashed or restarted since it started.
    pub(super) fn server_lost(&self, ord: &Order) -> bool {
        self.servers
            .get(ord.server as usize)
            .is_none_or(|s| s.epoch != ord.epoch || s.down)
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
            self.note_server(ord.server, false, 0.0);
            self.fail(cx, o, Decline::AppError);
            return;
        }
        self.db_request(cx, o);
    }

    pub(super) fn note_server(&mut self, k: u16, ok: bool, latency_s: f64) {
        if let Some(s) = self.servers.get_mut(k as usize) {
            s.success.observe(if ok { 1.0 } else { 0.0 });
            if ok {
                s.latency.observe(latency_s);
                s.served += 1;
            }
        }
    }
}
