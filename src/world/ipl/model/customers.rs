//! Customers (patience, retries, duplicates, giving up) and the life and
//! exits of an order.

use crate::sim::blocks::resilience::timeout::ClientTimeout;
use rand::Rng;

use super::{Customer, Cx, Decline, Ev, Ipl, Order, Ref, Stage, cust_in, exp_s, order_in, secs};

impl Ipl {
    pub(super) fn cust(&self, c: Ref) -> Option<&Customer> {
        cust_in(&self.customers, c)
    }

    pub(super) fn cust_mut(&mut self, c: Ref) -> Option<&mut Customer> {
        self.customers
            .get_mut(c.i as usize)
            .and_then(Option::as_mut)
            .filter(|x| x.serial == c.s)
    }

    pub(super) fn new_customer(&mut self, cx: &mut Cx<'_>) {
        let serial = self.serial();
        let distance_km = exp_s(&mut self.rng_customers, self.p.distance_mean_km);
        let cu = Customer {
            serial,
            first_at: cx.now(),
            distance_km,
            attempts: 0,
            unconfirmed: 0,
            live: 0,
            confirmed: false,
            delivered: false,
            gave_up: false,
            lost: false,
            retry_pending: false,
        };
        let i = if let Some(i) = self.free_customers.pop() {
            self.customers[i as usize] = Some(cu);
            i
        } else {
            self.customers.push(Some(cu));
            (self.customers.len() - 1) as u32
        };
        self.customers_live += 1;
        self.attempt(cx, Ref { i, s: serial });
    }

    /// A customer's patience with one tap: a client timeout drawn afresh
    /// each time; at its deadline the customer decides (retry, wait on,
    /// give up).
    pub(super) fn patience(&mut self) -> ClientTimeout {
        let extra = exp_s(&mut self.rng_customers, self.p.patience_extra_mean_s);
        ClientTimeout::new(secs(self.p.patience_min_s + extra))
    }

    /// One tap on "order".
    pub(super) fn attempt(&mut self, cx: &mut Cx<'_>, c: Ref) {
        let idem = self.idempotency;
        let Some(cu) = self.cust_mut(c) else { return };
        cu.attempts = cu.attempts.saturating_add(1);
        let attempt_no = cu.attempts;
        let duplicate = cu.unconfirmed > 0;
        let distance = cu.distance_km;
        if attempt_no > 1 {
            self.c.retry.on_retry();
        } else {
            self.c.retry.on_new();
        }
        let deadline = self.patience().deadline(cx.now());
        if duplicate {
            self.c.retry.on_duplicate();
            if idem {
                // The idempotency key finds the first order: nothing new enters.
                self.c.merged += 1;
                cx.schedule(
                    deadline,
                    Ev::Patience {
                        c,
                        attempt: attempt_no,
                    },
                );
                return;
            }
        }
        if self.shedding {
            if distance > self.p.shed_distance_km {
                self.decline_at_door(c, Decline::ShedDistance);
                return;
            }
            if self
                .eta_shedder
                .should_shed_wait(self.eta_estimate_min() * 60.0)
            {
                self.decline_at_door(c, Decline::ShedEta);
                return;
            }
        }
        if self.in_system >= u64::from(self.p.max_in_system) {
            self.decline_at_door(c, Decline::SystemFull);
            return;
        }
        let now = cx.now();
        let serial = self.serial();
        let o = Order {
            serial,
            cust: c,
            created: now,
            confirmed: false,
            stage: Stage::AppQueue,
            server: 0,
            server_life: 0,
            cluster: 0,
            cluster_life: 0,
            trial: false,
            app_at: now,
        };
        let i = if let Some(i) = self.free_orders.pop() {
            self.orders[i as usize] = Some(o);
            i
        } else {
            self.orders.push(Some(o));
            (self.orders.len() - 1) as u32
        };
        self.in_system += 1;
        self.backlog.set(now, self.in_system as f64);
        if let Some(cu) = self.cust_mut(c) {
            cu.live += 1;
            cu.unconfirmed += 1;
        }
        cx.schedule(
            deadline,
            Ev::Patience {
                c,
                attempt: attempt_no,
            },
        );
        self.send_to_app(cx, Ref { i, s: serial });
    }

    pub(super) fn decline_at_door(&mut self, c: Ref, why: Decline) {
        *self.c.declined.entry(why).or_insert(0) += 1;
        if let Some(cu) = self.cust(c)
            && cu.live == 0
            && !cu.retry_pending
        {
            self.lose(c);
        }
        self.maybe_free(c);
    }

    pub(super) fn on_patience(&mut self, cx: &mut Cx<'_>, c: Ref, attempt: u8) {
        let Some(cu) = self.cust(c) else { return };
        if cu.confirmed
            || cu.gave_up
            || cu.lost
            || cu.attempts != attempt
            || cu.unconfirmed == 0
            || cu.retry_pending
        {
            return;
        }
        let can_retry = self.retry.allows(u32::from(cu.attempts));
        let u: f64 = self.rng_customers.random();
        if self.eta_messages {
            // "Delayed due to high demand. New ETA: … Cancel if needed."
            if u < self.p.retry_probability_with_eta && can_retry {
                self.attempt(cx, c);
            } else if u < self.p.retry_probability_with_eta + self.p.cancel_probability_with_eta {
                self.give_up(c);
            } else {
                let deadline = self.patience().deadline(cx.now());
                cx.schedule(deadline, Ev::Patience { c, attempt });
            }
        } else if u < self.p.retry_probability && can_retry {
            self.attempt(cx, c);
        } else {
            self.give_up(c);
        }
    }

    pub(super) fn give_up(&mut self, c: Ref) {
        if let Some(cu) = self.cust_mut(c) {
            cu.gave_up = true;
            self.c.retry.on_give_up();
        }
        self.lose(c);
        self.maybe_free(c);
    }

    pub(super) fn lose(&mut self, c: Ref) {
        let aov = self.p.average_order_value_inr;
        if let Some(cu) = self.cust_mut(c)
            && !cu.lost
            && !cu.delivered
        {
            cu.lost = true;
            self.c.customers_lost += 1;
            self.c.revenue_lost += aov;
        }
    }

    pub(super) fn maybe_free(&mut self, c: Ref) {
        let done = self
            .cust(c)
            .is_some_and(|cu| cu.live == 0 && !cu.retry_pending && (cu.delivered || cu.lost));
        if done {
            self.customers[c.i as usize] = None;
            self.free_customers.push(c.i);
            self.customers_live -= 1;
        }
    }

    pub(super) fn on_retry(&mut self, cx: &mut Cx<'_>, c: Ref) {
        let Some(cu) = self.cust_mut(c) else { return };
        cu.retry_pending = false;
        if cu.gave_up || cu.lost || cu.confirmed {
            self.maybe_free(c);
            return;
        }
        self.attempt(cx, c);
    }

    // ------------------------------------------------------------ orders

    pub(super) fn order(&self, o: Ref) -> Option<&Order> {
        order_in(&self.orders, o)
    }

    pub(super) fn order_mut(&mut self, o: Ref) -> Option<&mut Order> {
        self.orders
            .get_mut(o.i as usize)
            .and_then(Option::as_mut)
            .filter(|x| x.serial == o.s)
    }

    pub(super) fn remove(&mut self, cx: &mut Cx<'_>, o: Ref) -> Option<Order> {
        let slot = self.orders.get_mut(o.i as usize)?;
        if slot.as_ref().is_none_or(|x| x.serial != o.s) {
            return None;
        }
        let ord = slot.take();
        self.free_orders.push(o.i);
        let now = cx.now();
        self.in_system -= 1;
        self.backlog.set(now, self.in_system as f64);
        if let Some(x) = &ord {
            if x.confirmed {
                self.pending_confirmed -= 1;
            }
            self.c.exits += 1;
            self.c.sojourn_s += (now - x.created).as_secs_f64();
        }
        ord
    }

    /// Releases what the order holds at its stage (worker, slot).
    pub(super) fn release_holdings(&mut self, cx: &mut Cx<'_>, ord: &Order) {
        // A waiter for a connection has already left the pool's line.
        match ord.stage {
            Stage::Cpu | Stage::PoolWait | Stage::Query | Stage::Payment => {
                self.release_worker(cx, ord.server, ord.server_life);
            }
            _ => {}
        }
    }

    /// The order fails (an error the customer sees).
    pub(super) fn fail(&mut self, cx: &mut Cx<'_>, o: Ref, why: Decline) {
        let Some(ord) = self.remove(cx, o) else {
            return;
        };
        self.release_holdings(cx, &ord);
        *self.c.declined.entry(why).or_insert(0) += 1;
        let c = ord.cust;
        let retry_p = self.p.retry_after_error_probability;
        let Some(cu) = self.cust_mut(c) else { return };
        cu.live -= 1;
        if !ord.confirmed {
            cu.unconfirmed -= 1;
        }
        let waiting = !cu.confirmed && !cu.gave_up && !cu.lost && !cu.retry_pending;
        let nothing_live = cu.unconfirmed == 0;
        let retry_no = u32::from(cu.attempts);
        let confirmed_and_empty = cu.confirmed && cu.live == 0 && !cu.delivered;
        if waiting && nothing_live {
            let u: f64 = self.rng_customers.random();
            let delay = if u < retry_p {
                self.retry.delay(retry_no, &mut self.rng_customers)
            } else {
                None
            };
            if let Some(delay) = delay {
                if let Some(cu) = self.cust_mut(c) {
                    cu.retry_pending = true;
                }
                cx.schedule_in(delay, Ev::Retry { c });
            } else {
                self.lose(c);
            }
        } else if confirmed_and_empty {
            self.lose(c);
        }
        self.maybe_free(c);
    }

    pub(super) fn cancel(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.remove(cx, o) else {
            return;
        };
        self.release_holdings(cx, &ord);
        self.c.cancelled += 1;
        let c = ord.cust;
        if let Some(cu) = self.cust_mut(c) {
            cu.live -= 1;
            if !ord.confirmed {
                cu.unconfirmed -= 1;
            }
        }
        self.maybe_free(c);
    }

    pub(super) fn customer_gave_up(&self, o: Ref) -> bool {
        self.order(o)
            .and_then(|x| self.cust(x.cust))
            .is_some_and(|c| c.gave_up)
    }
}
