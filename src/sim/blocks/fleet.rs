//! A fleet: stations behind a router. [`Fleet::choose`] asks a shared
//! [`Balancer`] for a station by each station's [`Backend`] view (what a
//! real balancer could know: up or not, in flight, slots, EWMAs of success
//! and latency) plus an optional cost per station for the least-cost
//! policy. A station that is down or partitioned (its own effect, or every
//! slot) is never chosen.
//!
//! The fleet is as passive as its stations: the caller routes a job with
//! [`Fleet::choose`], then hands it to [`Fleet::station_mut`]'s `arrive`
//! and schedules what comes back; a station may join later
//! ([`Fleet::push`], e.g. a server autoscaling brings in). Randomised
//! policies draw from the stream `NAME/router`, so a policy switch never
//! shifts the stations' service streams (`NAME/<i>/service`, …).

use super::super::SimTime;
use super::super::rng::{SimRng, stream};
use super::station::Station;
use crate::policy::{Backend, Balancer, Policy};

/// Stations behind a router (see the module docs).
#[derive(Clone, Debug)]
pub struct Fleet<T> {
    stations: Vec<Station<T>>,
    balancer: Balancer,
    rng: SimRng,
    /// Per-station cost for [`Policy::LeastCost`] (0 when never set).
    costs: Vec<f64>,
    /// Reused view buffer (no allocation per choice).
    views: Vec<Backend>,
}

impl<T> Fleet<T> {
    /// `stations` routed by `policy`; router draws from `NAME/router`.
    #[must_use]
    pub fn new(stations: Vec<Station<T>>, policy: Policy, seed: u64, name: &str) -> Self {
        let n = stations.len();
        Fleet {
            stations,
            balancer: Balancer::new(policy),
            rng: stream(seed, &format!("{name}/router")),
            costs: vec![0.0; n],
            views: Vec::with_capacity(n),
        }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.stations.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }

    #[must_use]
    pub fn policy(&self) -> Policy {
        self.balancer.policy()
    }

    /// Switches the routing policy (round-robin position kept).
    pub fn set_policy(&mut self, policy: Policy) {
        self.balancer.set_policy(policy);
    }

    /// Sets station `i`'s cost as the caller reckons it (e.g. a road's
    /// current travel time); read by [`Policy::LeastCost`].
    pub fn set_cost(&mut self, i: usize, cost: f64) {
        if let Some(c) = self.costs.get_mut(i) {
            *c = cost;
        }
    }

    /// Adds a station at the end (e.g. a server autoscaling brings in),
    /// its cost 0 and its held view its own [`Station::backend`]; returns
    /// its index.
    pub fn push(&mut self, station: Station<T>) -> usize {
        let i = self.stations.len();
        if self.views.len() == i {
            self.views.push(station.backend());
        }
        self.stations.push(station);
        self.costs.push(0.0);
        i
    }

    #[must_use]
    pub fn station(&self, i: usize) -> &Station<T> {
        &self.stations[i]
    }

    pub fn station_mut(&mut self, i: usize) -> &mut Station<T> {
        &mut self.stations[i]
    }

    #[must_use]
    pub fn stations(&self) -> &[Station<T>] {
        &self.stations
    }

    /// Station `i`'s view as the router sees it (its cost included).
    #[must_use]
    pub fn backend(&self, i: usize) -> Backend {
        Backend {
            cost: self.costs[i],
            ..self.stations[i].backend()
        }
    }

    /// Everyone in the fleet: in service and waiting.
    #[must_use]
    pub fn in_system(&self) -> u64 {
        self.stations.iter().map(Station::in_system).sum()
    }

    /// The station the policy routes the next job to, or `None` when no
    /// station is available. `now` is when the choice is made (the views
    /// are the stations' state at that instant).
    pub fn choose(&mut self, now: SimTime) -> Option<usize> {
        let _ = now;
        self.views.clear();
        for (s, &cost) in self.stations.iter().zip(&self.costs) {
            self.views.push(Backend {
                cost,
                ..s.backend()
            });
        }
        self.balancer.choose(&self.views, &mut self.rng)
    }

    /// The router draws from `rng` instead (a world's own stream).
    #[must_use]
    pub fn with_router_rng(mut self, rng: SimRng) -> Self {
        self.rng = rng;
        self
    }

    /// Keeps `view` as station `i`'s (its cost set from [`Fleet::set_cost`])
    /// for [`Fleet::choose_held`]: a caller whose stations change on every
    /// job refreshes the one that changed, instead of the fleet computing
    /// every view on every choice.
    pub fn set_view(&mut self, i: usize, view: Backend) {
        if self.views.len() != self.stations.len() {
            self.views.resize(self.stations.len(), Backend::default());
        }
        self.views[i] = Backend {
            cost: self.costs[i],
            ..view
        };
    }

    /// The views as last set by [`Fleet::set_view`] (or computed by
    /// [`Fleet::choose`]).
    #[must_use]
    pub fn views(&self) -> &[Backend] {
        &self.views
    }

    /// The station the policy routes the next job to by the views held
    /// (see [`Fleet::set_view`]), or `None` when none is available.
    #[inline]
    pub fn choose_held(&mut self) -> Option<usize> {
        self.balancer.choose(&self.views, &mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::blocks::queue::Discipline;
    use crate::sim::blocks::servers::{ServiceDist, ServiceTime};
    use crate::sim::blocks::station::{Arrive, ServiceModel};
    use crate::sim::fault::Effect;

    fn fleet(policy: Policy, n: usize) -> Fleet<u32> {
        let svc = ServiceTime::new(ServiceDist::Deterministic, 1.0).expect("valid");
        let stations = (0..n)
            .map(|i| {
                Station::new(
                    1,
                    100,
                    Discipline::Fifo,
                    ServiceModel::Fixed(svc),
                    1,
                    &format!("f/{i}"),
                )
            })
            .collect();
        Fleet::new(stations, policy, 1, "f")
    }

    #[test]
    fn round_robin_takes_turns_and_skips_what_is_down_or_partitioned() {
        let mut f = fleet(Policy::RoundRobin, 3);
        let t = SimTime::ZERO;
        let picks: Vec<_> = (0..6).map(|_| f.choose(t)).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2].map(Some).to_vec());
        f.station_mut(1).set_effect(Effect {
            partitioned: true,
            ..Effect::NONE
        });
        f.station_mut(2).set_slot_effects(t, |_| Effect {
            down: true,
            ..Effect::NONE
        });
        for _ in 0..5 {
            assert_eq!(f.choose(t), Some(0));
        }
        f.station_mut(0).set_effect(Effect {
            down: true,
            ..Effect::NONE
        });
        assert_eq!(f.choose(t), None);
    }

    #[test]
    fn least_loaded_joins_the_shortest_station() {
        let mut f = fleet(Policy::LeastLoaded, 3);
        let t = SimTime::ZERO;
        for job in 0..9 {
            let i = f.choose(t).expect("available");
            assert!(!matches!(
                f.station_mut(i).arrive(t, job, 0),
                Arrive::Rejected(..)
            ));
        }
        let loads: Vec<u64> = f.stations().iter().map(Station::in_system).collect();
        assert_eq!(loads, vec![3, 3, 3]);
        assert_eq!(f.in_system(), 9);
    }

    #[test]
    fn held_views_route_until_refreshed() {
        let mut f = fleet(Policy::LeastLoaded, 3).with_router_rng(stream(9, "own"));
        for i in 0..3 {
            let v = f.station(i).backend();
            f.set_view(i, v);
        }
        f.set_view(
            0,
            Backend {
                in_flight: 5,
                ..f.station(0).backend()
            },
        );
        f.set_view(
            1,
            Backend {
                in_flight: 2,
                ..f.station(1).backend()
            },
        );
        f.set_view(
            2,
            Backend {
                available: false,
                ..f.station(2).backend()
            },
        );
        assert_eq!(f.views().len(), 3);
        // the stations are all empty: only the held views say otherwise
        assert_eq!(f.choose_held(), Some(1));
        f.set_cost(1, 7.0);
        f.set_view(1, f.station(1).backend());
        assert_eq!(f.views()[1].cost, 7.0);
        assert_eq!(f.choose_held(), Some(1));
        f.set_view(
            1,
            Backend {
                available: false,
                ..f.station(1).backend()
            },
        );
        assert_eq!(f.choose_held(), Some(0));
        f.set_view(
            0,
            Backend {
                available: false,
                ..f.station(0).backend()
            },
        );
        assert_eq!(f.choose_held(), None);
    }

    #[test]
    fn a_station_added_later_is_routed_to() {
        let mut f = fleet(Policy::RoundRobin, 2);
        let t = SimTime::ZERO;
        assert_eq!(f.choose(t), Some(0));
        let svc = ServiceTime::new(ServiceDist::Deterministic, 1.0).expect("valid");
        let extra = Station::new(1, 1, Discipline::Fifo, ServiceModel::Fixed(svc), 1, "f/2");
        assert_eq!(f.push(extra), 2);
        assert_eq!((f.len(), f.views().len(), f.backend(2).cost), (3, 3, 0.0));
        assert_eq!(f.choose_held(), Some(1));
        assert_eq!(f.choose_held(), Some(2), "the held view of the new one");
        f.set_cost(2, 4.0);
        assert_eq!(f.backend(2).cost, 4.0);
        assert_eq!(f.choose(t), Some(0));
    }

    #[test]
    fn least_cost_follows_the_costs_and_availability() {
        let mut f = fleet(Policy::LeastCost, 3);
        let t = SimTime::ZERO;
        for (i, c) in [30.0, 20.0, 25.0].into_iter().enumerate() {
            f.set_cost(i, c);
        }
        assert_eq!(f.choose(t), Some(1));
        assert_eq!(f.backend(1).cost, 20.0);
        f.station_mut(1).set_effect(Effect {
            partitioned: true,
            ..Effect::NONE
        });
        assert_eq!(f.choose(t), Some(2));
        f.set_policy(Policy::RoundRobin);
        assert_eq!(f.policy(), Policy::RoundRobin);
        assert_eq!(f.choose(t), Some(0));
    }
}
