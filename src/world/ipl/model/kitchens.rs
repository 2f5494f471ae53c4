//! Restaurants: acceptance (confirmation) and kitchen clusters.
//!
//! Each cluster is a station run by the world (see
//! [`engine`](crate::sim::blocks::station::engine)): at most
//! `slots_per_cluster` orders cook at once (the tier's slots shared out,
//! less what a capacity drop takes), the others wait in the station's
//! backlog in the order they were confirmed. The world draws each cooking
//! time from `ipl/kitchen` when the order starts. A kill (or a partition)
//! crashes the station: its waiting orders fail at once, one by one, and
//! those cooking fail when their time comes, since they began in an older
//! life.

use crate::sim::blocks::servers::{ServiceDist, ServiceTime};
use crate::sim::blocks::station::engine::{Sent, Timed};
use crate::sim::blocks::station::{ServiceModel, Station};
use crate::sim::fault::Effect;
use crate::sim::rng::SimRng;
use crate::world::ipl::IplParams;

use super::{Cx, Decline, Ev, Ipl, Ref, Stage, exp_s, order_in, secs};

/// The slots each of `clusters` clusters gets of `slots` in all (at least
/// one), with `capacity_factor` of them left by the faults.
fn share(slots: u32, clusters: usize, capacity_factor: f64) -> u32 {
    let per = f64::from(slots) / clusters as f64;
    ((per * capacity_factor).round() as u32).max(1)
}

/// Kitchen cluster `k`'s station: as many slots as the cluster has with
/// no fault (a capacity drop only lowers the limit the world hands it),
/// and room for `max_in_system` waiting, a bound that never binds: every
/// order waiting there is one of the orders in the system, which the door
/// keeps to at most that many. No router reads it, so it keeps no EWMAs.
/// The service model only records the mean cooking time: the world draws
/// each one itself ([`prep_s`]).
pub(super) fn station(p: &IplParams, kitchen_slots: u32, seed: u64, k: usize) -> Station<Ref> {
    let clusters = p.kitchen_clusters as usize;
    let prep = ServiceTime::new(
        ServiceDist::Deterministic,
        (p.prep_min_s + p.prep_extra_mean_s).max(1e-9),
    )
    .unwrap_or_else(|_| unreachable!("a positive mean"));
    Station::engine(
        share(kitchen_slots, clusters, 1.0) as usize,
        p.max_in_system as usize,
        ServiceModel::Fixed(prep),
        0.1,
        seed,
        &format!("ipl/kitchen-cluster-{}", k + 1),
    )
    .without_ewma()
}

/// One order's cooking time, seconds: `prep_min_s` plus an exponential
/// extra of mean `prep_extra_mean_s`, slowed by the faults on the tier.
fn prep_s(p: &IplParams, fx: &Effect, rng: &mut SimRng) -> f64 {
    (p.prep_min_s + exp_s(rng, p.prep_extra_mean_s)) / fx.slowdown
}

impl Ipl {
    pub(in crate::world::ipl) fn slots_per_cluster(&self) -> u32 {
        share(
            self.kitchen_slots,
            self.clusters.len(),
            self.fx.kitchens.capacity_factor,
        )
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
        if self.clusters[k].is_down() {
            self.fail(cx, o, Decline::KitchenDown);
            return;
        }
        let now = cx.now();
        let c = ord.cust;
        let life = self.clusters[k].life();
        if let Some(x) = self.order_mut(o) {
            x.confirmed = true;
            x.stage = Stage::KitchenQueue;
            x.cluster_life = life;
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
        let limit = self.slots_per_cluster();
        let (p, fx, rng) = (&self.p, &self.fx.kitchens, &mut self.rng_kitchen);
        let sent =
            self.clusters[k].arrive_timed(now, now, o, limit, |_, _| Some(prep_s(p, fx, rng)));
        match sent {
            Sent::Started(t) => self.began_cooking(cx, o, t),
            Sent::Queued => {}
            // Neither happens (the cluster is up, its backlog never
            // full); were the order turned away, it would fail as at a
            // cluster that is down.
            Sent::Refused(_) | Sent::Hung(_) => {
                self.in_kitchen -= 1;
                self.fail(cx, o, Decline::KitchenDown);
            }
        }
    }

    /// Order `o` started cooking (for `t`) in its cluster's life `t.life`.
    fn began_cooking(&mut self, cx: &mut Cx<'_>, o: Ref, t: Timed) {
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::Cooking;
            x.cluster_life = t.life;
        }
        cx.schedule_in(secs(t.service_s), Ev::Cooked(o));
    }

    /// Starts the orders waiting at cluster `k` while it is up and has a
    /// slot free (an order no longer waiting there is skipped).
    pub(super) fn pump_cluster(&mut self, cx: &mut Cx<'_>, k: usize) {
        let limit = self.slots_per_cluster();
        let now = cx.now();
        while !self.clusters[k].is_down() {
            let (orders, p, fx, rng) = (
                &self.orders,
                &self.p,
                &self.fx.kitchens,
                &mut self.rng_kitchen,
            );
            let mut pulled = None;
            let Some(sent) = self.clusters[k].pull_timed(now, limit, |&o, _| {
                pulled = Some(o);
                order_in(orders, o).filter(|x| x.stage == Stage::KitchenQueue)?;
                Some(prep_s(p, fx, rng))
            }) else {
                break;
            };
            if let (Sent::Started(t), Some(o)) = (sent, pulled) {
                self.began_cooking(cx, o, t);
            }
        }
    }

    pub(super) fn on_cooked(&mut self, cx: &mut Cx<'_>, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        let k = ord.cluster as usize;
        if !self.clusters[k].release_timed(cx.now(), ord.cluster_life) {
            // Begun before the cluster went down: the food is lost.
            self.in_kitchen -= 1;
            self.fail(cx, o, Decline::KitchenDown);
            return;
        }
        self.in_kitchen -= 1;
        self.pump_cluster(cx, k);
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::AwaitPartner;
        }
        self.awaiting.push_back(o);
        self.dispatch(cx);
    }

    /// A kitchen cluster goes down: orders queued there fail now, in the
    /// order they were confirmed; those cooking fail when their time
    /// comes (they began in an older life of the station).
    pub(super) fn kill_cluster(&mut self, cx: &mut Cx<'_>, k: usize) {
        if self.clusters[k].is_down() {
            return;
        }
        let queued = self.clusters[k].crash_waiting(cx.now());
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
