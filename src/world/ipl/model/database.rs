//! The restaurant database: connection pool, query time, circuit breaker,
//! and the payment call after it.

use crate::sim::blocks::resilience::breaker::{Admit, Transition};
use crate::sim::blocks::resilience::bulkhead::{Acquire, contention_factor};
use rand::Rng;

use super::faults::added_latency_s;
use super::{Cx, Decline, Ev, Ipl, Ref, Stage, exp_s, secs};

impl Ipl {
    pub(in crate::world::ipl) fn effective_pool(&self) -> u32 {
        let f = self.region * self.fx.db.capacity_factor;
        ((f64::from(self.pool_size) * f).ceil() as u32).max(1)
    }

    pub(in crate::world::ipl) fn effective_parallelism(&self) -> u32 {
        ((f64::from(self.parallelism) * self.region).ceil() as u32).max(1)
    }

    /// Mean query time now, seconds: contention beyond the database's
    /// parallelism, and a table that grows with the orders pending.
    pub(in crate::world::ipl) fn query_mean_s(&self, active: u32) -> f64 {
        let contention = contention_factor(active, self.effective_parallelism());
        let knee = (self.p.db_backlog_knee * self.p.volume_scale).max(1.0);
        let table = 1.0 + self.unassigned() as f64 / knee;
        self.p.db_query_ms / 1000.0 * contention * table / self.fx.db.slowdown
    }

    pub(super) fn db_request(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let mut trial = false;
        if self.breaker_on {
            let now = cx.now();
            let (admit, change) = self.breaker.admit(now);
            self.say_breaker(cx, change);
            match admit {
                Admit::No => {
                    self.fail(cx, o, Decline::BreakerOpen);
                    return;
                }
                Admit::Trial => trial = true,
                Admit::Yes => {}
            }
        }
        if let Some(ord) = self.order_mut(o) {
            ord.trial = trial;
        }
        if self.fx.db_down {
            self.breaker_result(cx, false, trial);
            self.fail(cx, o, Decline::DbDown);
            return;
        }
        match self.pool.acquire(cx.now(), o) {
            Acquire::Granted(o) => self.start_query(cx, o),
            Acquire::Waiting { deadline } => {
                if let Some(ord) = self.order_mut(o) {
                    ord.stage = Stage::PoolWait;
                }
                cx.schedule(deadline, Ev::AcquireTimeout(o));
            }
            // The line is unbounded: only the acquire timeout ends a wait.
            Acquire::Rejected(o) => {
                self.breaker_result(cx, false, trial);
                self.fail(cx, o, Decline::PoolTimeout);
            }
        }
    }

    /// Connections held.
    pub(in crate::world::ipl) fn pool_in_use(&self) -> u32 {
        self.pool.in_use()
    }

    /// Queries waiting for a connection.
    pub(in crate::world::ipl) fn pool_waiting(&self) -> u32 {
        u32::try_from(self.pool.waiting()).unwrap_or(u32::MAX)
    }

    /// Runs the query of `o`, which holds a connection.
    pub(super) fn start_query(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let mean = self.query_mean_s(self.pool.in_use());
        let db = self.fx.db;
        let t = exp_s(&mut self.rng_db, mean) + added_latency_s(&db, &mut self.rng_db);
        self.query_ewma.observe(mean + db.latency_s);
        if let Some(ord) = self.order_mut(o) {
            ord.stage = Stage::Query;
        }
        cx.schedule_in(secs(t), Ev::QueryDone(o));
    }

    pub(super) fn breaker_result(&mut self, cx: &mut Cx<'_>, ok: bool, trial: bool) {
        if !self.breaker_on {
            return;
        }
        let now = cx.now();
        let change = if ok {
            self.breaker.on_success(trial)
        } else {
            self.breaker.on_failure(trial, now)
        };
        self.say_breaker(cx, change);
    }

    /// The event-log line for a change of the breaker's state.
    fn say_breaker(&mut self, cx: &mut Cx<'_>, change: Option<Transition>) {
        let Some(change) = change else { return };
        let line = match change {
            Transition::Opened { failures } => format!(
                "breaker OPEN after {failures} failures: database calls fail fast for {:.0} s",
                self.breaker.open_for.as_secs_f64()
            ),
            Transition::HalfOpened { trials } => {
                format!("breaker half-open: letting {trials} trial queries through")
            }
            Transition::Closed { successes } => {
                format!("breaker closed after {successes} successful queries")
            }
            Transition::Reopened => "breaker OPEN again: a trial query failed".to_string(),
        };
        cx.log(line);
    }

    pub(super) fn release_connection(&mut self, cx: &mut Cx<'_>) {
        self.pool.give_back();
        self.hand_on_connections(cx);
    }

    /// Free connections go to the waiters at the head of the line; one
    /// whose app server was lost meanwhile fails and gives its back.
    pub(super) fn hand_on_connections(&mut self, cx: &mut Cx<'_>) {
        while let Some(o) = self.pool.grant_next() {
            let Some(x) = self.order_mut(o) else {
                self.pool.give_back();
                continue;
            };
            x.stage = Stage::Cpu; // holds a worker, not yet a connection
            let ord = x.clone();
            if self.server_lost(&ord) {
                self.pool.give_back();
                self.fail(cx, o, Decline::ServerCrash);
                continue;
            }
            self.start_query(cx, o);
        }
    }

    pub(super) fn on_acquire_timeout(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.order(o) else { return };
        if ord.stage != Stage::PoolWait {
            return;
        }
        let trial = ord.trial;
        let now = cx.now();
        if self.pool.expire_waiter(now, |x| *x == o).is_none() {
            return;
        }
        self.breaker_result(cx, false, trial);
        self.fail(cx, o, Decline::PoolTimeout);
    }

    pub(super) fn on_query_done(&mut self, cx: &mut Cx<'_>, o: Ref) {
        self.release_connection(cx);
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        self.breaker_result(cx, true, ord.trial);
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::Payment;
        }
        if self.server_lost(&ord) {
            self.fail(cx, o, Decline::ServerCrash);
            return;
        }
        let pay = self.fx.payment;
        let t = exp_s(&mut self.rng_pay, self.p.payment_ms / 1000.0)
            + added_latency_s(&pay, &mut self.rng_pay);
        cx.schedule_in(secs(t), Ev::PaymentDone(o));
    }

    pub(super) fn on_payment_done(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        if self.server_lost(&ord) {
            self.fail(cx, o, Decline::ServerCrash);
            return;
        }
        let p_err = self.fx.payment.error_p;
        if p_err > 0.0 && self.rng_pay.random::<f64>() < p_err {
            self.server_failed(ord.server);
            self.fail(cx, o, Decline::Payment);
            return;
        }
        self.server_answered(cx, ord.server, ord.server_life, ord.app_at);
        let k = self.rng_kitchen.random_range(0..self.clusters.len());
        let cluster_life = self.clusters[k].life();
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::Accept;
            x.cluster = k as u16;
            x.cluster_life = cluster_life;
        }
        let t = exp_s(&mut self.rng_kitchen, self.p.accept_mean_s);
        cx.schedule_in(secs(t), Ev::Accepted(o));
    }
}
