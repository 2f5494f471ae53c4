//! Restaurants: acceptance (confirmation) and kitchen clusters.

use super::{Cx, Decline, Ev, Ipl, Ref, Stage, exp_s, secs};

impl Ipl {
    pub(in crate::world::ipl) fn slots_per_cluster(&self) -> u32 {
        let per = f64::from(self.kitchen_slots) / self.clusters.len() as f64;
        ((per * self.fx.kitchens.capacity_factor).round() as u32).max(1)
    }

    pub(super) fn on_accepted(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        if self.customer_gave_up(o) {
            self.cancel(cx, o);
            return;
        }
        let k = ord.cluster as usize;
        if self.clusters[k].down {
            self.fail(cx, o, Decline::KitchenDown);
            return;
        }
        let now = cx.now();
        let c = ord.cust;
        if let Some(x) = self.order_mut(o) {
            x.confirmed = true;
            x.stage = Stage::KitchenQueue;
            x.cluster_epoch = 0;
        }
        let mut first_confirm = None;
        if let Some(cu) = self.cust_mut(c) {
            cu.unconfirmed -= 1;
            if !cu.confirmed {
                cu.confirmed = true;
                first_confirm = Some(now - cu.first_at);
            }
        }
        if let Some(d) = first_confirm {
            self.confirm.record(d);
            self.confirm_ewma.observe(d.as_secs_f64());
        }
        self.in_kitchen += 1;
        self.pending_confirmed += 1;
        let epoch = self.clusters[k].epoch;
        if let Some(x) = self.order_mut(o) {
            x.cluster_epoch = epoch;
        }
        if self.clusters[k].busy < self.slots_per_cluster() {
            self.start_cooking(cx, o, k);
        } else {
            self.clusters[k].queue.push_back(o);
        }
    }

    pub(super) fn start_cooking(&mut self, cx: &mut Cx<'_>, o: Ref, k: usize) {
        self.clusters[k].busy += 1;
        let epoch = self.clusters[k].epoch;
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::Cooking;
            x.cluster_epoch = epoch;
        }
        let t = (self.p.prep_min_s + exp_s(&mut self.rng_kitchen, self.p.prep_extra_mean_s))
            / self.fx.kitchens.slowdown;
        cx.schedule_in(secs(t), Ev::Cooked(o));
    }

    pub(super) fn pump_cluster(&mut self, cx: &mut Cx<'_>, k: usize) {
        while !self.clusters[k].down && self.clusters[k].busy < self.slots_per_cluster() {
            let Some(o) = self.clusters[k].queue.pop_front() else {
                break;
            };
            if self
                .order(o)
                .is_some_and(|x| x.stage == Stage::KitchenQueue)
            {
                self.start_cooking(cx, o, k);
            }
        }
    }

    pub(super) fn on_cooked(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        let k = ord.cluster as usize;
        if self.clusters[k].epoch != ord.cluster_epoch {
            self.in_kitchen -= 1;
            self.fail(cx, o, Decline::KitchenDown);
            return;
        }
        self.clusters[k].busy = self.clusters[k].busy.saturating_sub(1);
        self.in_kitchen -= 1;
        self.pump_cluster(cx, k);
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::AwaitPartner;
        }
        self.awaiting.push_back(o);
        self.dispatch(cx);
    }

    /// A kitchen cluster goes down: orders queued there fail now, those
    /// cooking fail when their time comes (the epoch tells them).
    pub(super) fn kill_cluster(&mut self, cx: &mut Cx<'_>, k: usize) {
        let cl = &mut self.clusters[k];
        if cl.down {
            return;
        }
        cl.down = true;
        cl.epoch = cl.epoch.wrapping_add(1);
        cl.busy = 0;
        let queued: Vec<Ref> = cl.queue.drain(..).collect();
        for o in queued {
            if self
                .order(o)
                .is_some_and(|x| x.stage == Stage::KitchenQueue)
            {
                self.in_kitchen -= 1;
                self.fail(cx, o, Decline::KitchenDown);
            }
        }
        cx.log(format!("kitchen-cluster-{} DOWN", k + 1));
    }
}
