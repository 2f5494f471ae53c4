//! The platform's closed forms, and when they apply. One rule: a value is
//! given with the name of the model it comes from, or not at all.
//!
//! - Exponential boarding, policy `leave`: M/M/c/K.
//! - Exponential boarding, policy `entrance`: the entrance feeds the
//!   platform as room frees, so everyone in the station is one
//!   birth–death queue: M/M/c/(K + E), E the entrance's capacity.
//! - Any boarding law with K = c (no room to wait), policy `leave`: the
//!   loss system M/G/c/c, whose blocking is Erlang B whatever the law
//!   beyond its mean (insensitivity).
//! - Any boarding law with one server, policy `leave`, and a platform so
//!   big it (almost) never fills: M/G/1 (Pollaczek–Khinchine). "Almost
//!   never" must hold for that law, not for the exponential one: the
//!   infinite queue's L must satisfy K ≥ 100 L, so that by Markov's
//!   inequality P(N ≥ K) ≤ L/K ≤ 1 %. (A heavy-tailed law at ρ = 0.8 has
//!   L = 162 and fills a platform of 110; the M/M/1/K blocking,
//!   0.8^110, says nothing of it.)
//! - Trains whose seats are at least what the station holds, with no
//!   fault: every train takes everyone ("ample seats"); between trains
//!   N ~ Poisson(λh) arrive and the first K get on (see
//!   [`analytic::trains_ample`]); the mean wait is h/2 without blocking.
//!   Fewer seats than the station holds is bulk service with no simple
//!   closed form.
//!
//! Faults: the closed form is that of the system as the faults in force
//! leave it (servers down or partitioned removed, a common slowdown
//! applied to μ, K reduced by a capacity drop), and only when nothing
//! changed during the measured window (no fault, clear, restart, policy
//! or rate change since the statistics were last reset). Added latency,
//! an error rate, a blackhole or servers at different speeds: none.

use super::model::{Mode, Overflow, Platform};
use super::params::Service;
use crate::analytic::{self, QueueFigures};
use crate::sim::metrics::ClosedForms;

/// A closed form and the model it comes from.
pub(super) struct Closed {
    pub model: String,
    pub f: QueueFigures,
}

/// Share of time the infinite M/G/1 may spend at K or above (Markov's
/// bound L/K) for its figures to stand for the finite platform.
const MG1_FILL_BOUND: f64 = 0.01;

impl Platform {
    /// The closed form of the platform as it is, or why there is none.
    pub(super) fn closed(&self) -> Result<Closed, String> {
        if self.changed_at > self.stats.since() {
            return Err(
                "the system changed during the measured window (a fault, a restart, \
                 a policy or a rate change): no steady state to compare with"
                    .to_string(),
            );
        }
        if self.is_closed() {
            return Err("the platform is closed".to_string());
        }
        let lambda = self.lambda_per_s();
        if lambda <= 0.0 {
            return Err("no one arrives".to_string());
        }
        match &self.mode {
            Mode::Trains { .. } => self.closed_trains(lambda),
            Mode::Servers => {
                let mut up = 0u32;
                let mut speed: Option<f64> = None;
                for i in 0..self.unit_names.len() {
                    let e = self.station.slot_effect(i);
                    if e.down || e.partitioned {
                        continue;
                    }
                    if e.blackholed {
                        return Err("a blackholed server swallows passengers".to_string());
                    }
                    if e.latency_s > 0.0 || e.jitter_s > 0.0 {
                        return Err("added latency changes the boarding law".to_string());
                    }
                    if e.error_p > 0.0 {
                        return Err("an error rate fails boardings".to_string());
                    }
                    match speed {
                        None => speed = Some(e.slowdown),
                        Some(s) if s != e.slowdown => {
                            return Err("servers board at different speeds".to_string());
                        }
                        Some(_) => {}
                    }
                    up += 1;
                }
                let Some(speed) = speed else {
                    return Err("every server is down".to_string());
                };
                let mu = self.mu_per_s() * speed;
                let k = u32::try_from(self.k_effective()).unwrap_or(u32::MAX);
                if k == 0 {
                    return Err("the platform has no room".to_string());
                }
                // A platform smaller than the servers keeps some idle.
                let c = up.min(k);
                let faulted = if self.faults.is_empty() {
                    String::new()
                } else {
                    " under the faults in force".to_string()
                };
                match (&self.p.service, self.overflow) {
                    (Service::Exponential, Overflow::Leave) => Ok(Closed {
                        model: format!("M/M/{c}/{k}{faulted}"),
                        f: analytic::mmck(lambda, mu, c, k),
                    }),
                    (Service::Exponential, Overflow::Entrance) => {
                        let e = self.p.entrance_capacity;
                        Ok(Closed {
                            model: format!(
                                "M/M/{c}/{} (platform {k} + entrance {e}){faulted}",
                                k.saturating_add(e)
                            ),
                            f: analytic::mmck(lambda, mu, c, k.saturating_add(e)),
                        })
                    }
                    (_, Overflow::Leave) if c == k => Ok(Closed {
                        model: format!(
                            "M/G/{c}/{c} (Erlang B; insensitive to the boarding law){faulted}"
                        ),
                        f: analytic::mgcc(lambda, mu, c),
                    }),
                    (law, Overflow::Leave) if c == 1 => {
                        let f = analytic::mg1(lambda, mu, self.station.service().base().scv())
                            .ok_or_else(|| "overloaded (ρ ≥ 1)".to_string())?;
                        if f.mean_in_system > MG1_FILL_BOUND * f64::from(k) {
                            return Err(format!(
                                "{} boarding can fill the platform: M/G/1 gives L = {:.1}, \
                                 more than {:.0} % of K = {k}",
                                law_name(law),
                                f.mean_in_system,
                                MG1_FILL_BOUND * 100.0
                            ));
                        }
                        Ok(Closed {
                            model: format!("M/G/1 (Pollaczek–Khinchine; K ≥ 100 L){faulted}"),
                            f,
                        })
                    }
                    (law, Overflow::Entrance) => Err(format!(
                        "{} boarding with an entrance queue: M/G/c/K has no closed form",
                        law_name(law)
                    )),
                    (law, Overflow::Leave) => Err(format!(
                        "{} boarding with {c} servers and room to queue: M/G/c/K has no closed form",
                        law_name(law)
                    )),
                }
            }
        }
    }

    fn closed_trains(&self, lambda: f64) -> Result<Closed, String> {
        let Service::Trains {
            headway_s,
            train_capacity,
        } = self.p.service
        else {
            return Err("not a train service".to_string());
        };
        if !self.faults.is_empty() {
            return Err("faults on the trains or the platform".to_string());
        }
        let k = self.p.capacity;
        let room = match self.overflow {
            Overflow::Leave => k,
            Overflow::Entrance => k.saturating_add(self.p.entrance_capacity),
        };
        if train_capacity < room {
            return Err(format!(
                "a train takes {train_capacity} of the {room} the station holds: bulk service \
                 with no simple closed form"
            ));
        }
        // Tracks are staggered evenly: a train every headway / tracks.
        let h = headway_s / f64::from(self.p.servers.max(1));
        Ok(Closed {
            model: format!(
                "trains with ample seats (a train every {h:.0} s; station holds {room})"
            ),
            f: analytic::trains_ample(lambda, h, room, train_capacity),
        })
    }

    /// Closed forms for the metrics' keys, each with its model.
    pub(super) fn closed_forms(&self) -> ClosedForms {
        match self.closed() {
            Ok(Closed { model, f }) => {
                let mut m = ClosedForms::new();
                m.insert("blocking_probability", &model, f.blocking_probability);
                m.insert("mean_in_system", &model, f.mean_in_system);
                m.insert("mean_wait_s", &model, f.mean_wait_s);
                m.insert("mean_response_s", &model, f.mean_response_s);
                m.insert("utilisation", &model, f.utilisation);
                m.insert("throughput_per_s", &model, f.throughput_per_s);
                m
            }
            Err(why) => ClosedForms::none(why),
        }
    }
}

fn law_name(s: &Service) -> String {
    match s {
        Service::Exponential => "exponential".to_string(),
        Service::Deterministic => "deterministic".to_string(),
        Service::Erlang { k } => format!("Erlang-{k}"),
        Service::Lognormal { cv } => format!("lognormal (cv {cv})"),
        Service::Trains { .. } => "train".to_string(),
    }
}
