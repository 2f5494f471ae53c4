//! Commands from the keyboard and the timeline: policies, switches, faults
//! and the staged restoration after a power loss.

use crate::fault::{Effect, Fault, FaultKind, Target};
use crate::policy::Policy;
use crate::sim::{Command, CommandError, SimTime};
use crate::world::ipl::Autoscaling;
use crate::world::ipl::catalog::TOGGLES;

use super::faults::{POWER_LOSS, Place};
use super::{Counts, Cx, Decline, Ev, Ipl, secs};

impl Ipl {
    pub(in crate::world::ipl) fn toggle_names() -> [&'static str; 6] {
        TOGGLES.map(|(name, _)| name)
    }

    pub(in crate::world::ipl) fn toggles(&self) -> Vec<(String, bool)> {
        let v = [
            self.idempotency,
            self.shedding,
            self.eta_messages,
            self.incentives,
            self.batching,
            self.breaker_on,
        ];
        Self::toggle_names()
            .iter()
            .zip(v)
            .map(|(n, on)| ((*n).to_string(), on))
            .collect()
    }

    pub(in crate::world::ipl) fn command(
        &mut self,
        cx: &mut Cx<'_>,
        cmd: &Command,
    ) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => {
                if let Some(a) = Autoscaling::from_name(name) {
                    self.autoscaling = a;
                    return Ok(format!("autoscaling: {name}"));
                }
                if let Some(p) = Policy::from_name(name) {
                    self.fleet.set_policy(p);
                    return Ok(format!("balancing: {name}"));
                }
                let mut names: Vec<&str> = Autoscaling::ALL.iter().map(|a| a.name()).collect();
                names.extend(Policy::ALL.iter().map(|p| p.name()));
                Err(CommandError::UnknownPolicy {
                    name: name.clone(),
                    expected: names.join(", "),
                })
            }
            Command::ScaleArrivals(f) => {
                let new = self.scale_arrivals * f;
                let per_min = self.base_per_min * new;
                if !(f.is_finite() && *f >= 0.0 && per_min <= crate::world::ipl::MAX_RATE_PER_MIN) {
                    return Err(CommandError::Invalid(format!(
                        "order rate ×{f} is out of range"
                    )));
                }
                self.scale_arrivals = new;
                self.rate_changed(cx);
                Ok(format!("order demand ×{new:.2} of the schedule"))
            }
            Command::Toggle { name, on } => {
                let on = *on;
                let slot = match name.as_str() {
                    "idempotency" => &mut self.idempotency,
                    "shedding" => &mut self.shedding,
                    "eta_messages" => &mut self.eta_messages,
                    "incentives" => &mut self.incentives,
                    "batching" => &mut self.batching,
                    "breaker" => &mut self.breaker_on,
                    _ => {
                        return Err(CommandError::UnknownToggle {
                            name: name.clone(),
                            expected: Self::toggle_names().join(", "),
                        });
                    }
                };
                *slot = on;
                if name == "breaker" {
                    self.breaker.reset();
                }
                if name == "batching" {
                    self.dispatch(cx);
                }
                Ok(format!("{name}: {}", if on { "on" } else { "off" }))
            }
            Command::InjectFault { id, fault } => self.inject(cx, *id, fault),
            Command::ClearFault(id) => {
                if self.faults.remove(*id).is_some() {
                    self.refresh_faults(cx);
                }
                Ok(String::new())
            }
            Command::ClearFaults => {
                if self.faults.is_empty() {
                    return Ok(String::new());
                }
                self.faults.clear();
                self.refresh_faults(cx);
                Ok("all faults cleared".into())
            }
        }
    }

    /// Where `fault` lands, once the catalog has accepted its kind on its
    /// target (so a fault is either refused by name or has a meaning).
    pub(super) fn place(&self, fault: &Fault) -> Result<Place, CommandError> {
        self.catalog.faults.check(fault)?;
        let t = fault.target.as_str();
        let index = |prefix: &str| {
            t.strip_prefix(prefix)
                .and_then(|x| x.parse::<usize>().ok())
                .filter(|k| *k >= 1)
                .map(|k| Target::One(k - 1))
        };
        let place = match (&fault.kind, t) {
            (FaultKind::World { name, .. }, "region" | "all") if name == POWER_LOSS => {
                Some(Place::Region)
            }
            (FaultKind::World { .. } | FaultKind::Blackhole, _) => None,
            (_, "all") => Some(Place::App(Target::All)),
            (_, "db") => Some(Place::Db),
            (_, "payment") => Some(Place::Payment),
            (_, "partners") => Some(Place::Partners),
            (_, "kitchens") => Some(Place::Kitchens(Target::All)),
            _ => index("kitchen-cluster-")
                .map(Place::Kitchens)
                .or_else(|| index("app-").map(Place::App)),
        };
        place.ok_or_else(|| CommandError::UnsupportedFaultOn {
            kind: fault.kind.name().to_string(),
            target: fault.target.clone(),
            expected: "(nowhere in this world)".into(),
        })
    }

    pub(super) fn inject(
        &mut self,
        cx: &mut Cx<'_>,
        id: u64,
        fault: &Fault,
    ) -> Result<String, CommandError> {
        fault.kind.validate()?;
        let place = self.place(fault)?;
        let restart_at = self
            .faults
            .insert(id, place, fault.kind.clone(), &fault.target, cx.now());
        if let Some(at) = restart_at {
            cx.schedule(at, Ev::KillExpires { id });
        }
        self.refresh_faults(cx);
        Ok(String::new())
    }

    /// Recomputes every effect from the faults in force (the shared
    /// [`FaultBook`](crate::fault::FaultBook)s) and applies the changes
    /// (servers and kitchens going down or coming back, strikes, power loss
    /// and the staged restoration after it).
    pub(super) fn refresh_faults(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        let n = self.servers.len();
        let ncl = self.clusters.len();
        let server_fx: Vec<Effect> = (0..n).map(|k| self.faults.app.effect(k, now)).collect();
        let cl_down: Vec<bool> = (0..ncl)
            .map(|k| !self.faults.kitchens.effect(k, now).accepting())
            .collect();
        let fx = self.faults.effects(now);
        // servers
        for (k, e) in server_fx.into_iter().enumerate() {
            let s = &mut self.servers[k];
            s.fx = e;
            let down = !e.accepting();
            if down && !s.down {
                // A crash: a new life of its station, whose waiting orders
                // fail now and whose workers' orders fail at their next step.
                s.down = true;
                let queued = self.fleet.station_mut(k).crash_waiting(now);
                cx.log(format!("app-{} DOWN", k + 1));
                self.sync_view(k);
                for o in queued {
                    self.fail(cx, o, Decline::ServerCrash);
                }
            } else if !down && s.down {
                s.down = false;
                self.fleet.station_mut(k).recover();
                self.sync_view(k);
                cx.log(format!("app-{} back up", k + 1));
            }
        }
        // kitchens
        for (k, d) in cl_down.into_iter().enumerate() {
            if d {
                self.kill_cluster(cx, k);
            } else if self.clusters[k].is_down() {
                self.clusters[k].recover();
                cx.log(format!("kitchen-cluster-{} back up", k + 1));
            }
        }
        // partners on strike
        let total = self.online + self.offline + self.striking;
        let want_striking = (total as f64 * fx.strike).round() as u64;
        if want_striking > self.striking {
            let from_online = (want_striking - self.striking).min(self.idle_partners());
            self.online -= from_online;
            let rest = want_striking - self.striking - from_online;
            let from_off = rest.min(self.offline);
            self.offline -= from_off;
            self.striking += from_online + from_off;
        } else if want_striking < self.striking {
            let back = self.striking - want_striking;
            self.striking -= back;
            self.online += back;
        }
        // power loss
        let was = self.fx.power_loss;
        self.fx = fx;
        match (was, self.fx.power_loss) {
            (None, Some(s)) => {
                self.restore_gen = self.restore_gen.wrapping_add(1);
                self.region = (1.0 - s).max(self.p.backup_capacity);
                cx.log(format!(
                    "POWER LOSS in the primary region: failing over to backup at {:.0} % capacity",
                    self.region * 100.0
                ));
            }
            (Some(_), None) => {
                self.restore_gen = self.restore_gen.wrapping_add(1);
                self.restore_stage(cx, 0);
            }
            (Some(was), Some(s)) if was != s => {
                // Another power loss came or went while one is in force:
                // the backup runs at what the strongest one leaves.
                self.region = (1.0 - s).max(self.p.backup_capacity);
                cx.log(format!(
                    "power loss now {:.0} %: backup at {:.0} % capacity",
                    s * 100.0,
                    self.region * 100.0
                ));
            }
            (None, None) | (Some(_), Some(_)) => {}
        }
        self.note_partners();
        self.pump_all(cx);
        for k in 0..self.clusters.len() {
            self.pump_cluster(cx, k);
        }
        self.release_connection_slots(cx);
        self.dispatch(cx);
    }

    /// Staged restoration after a power loss: 25 %, 50 %, 100 %.
    pub(super) fn restore_stage(&mut self, cx: &mut Cx<'_>, stage: u8) {
        const STAGES: [f64; 3] = [0.25, 0.5, 1.0];
        let Some(&f) = STAGES.get(stage as usize) else {
            return;
        };
        self.region = f.max(self.region.min(1.0));
        if stage == 2 {
            self.region = 1.0;
        }
        cx.log(format!(
            "power restored, stage {}: {:.0} % capacity",
            stage + 1,
            self.region * 100.0
        ));
        if (stage as usize) + 1 < STAGES.len() {
            cx.schedule_in(
                secs(self.p.restore_stage_s),
                Ev::RestoreStage {
                    stage: stage + 1,
                    generation: self.restore_gen,
                },
            );
        }
        self.pump_all(cx);
        self.release_connection_slots(cx);
    }

    /// The pool follows the capacity now (faults, power loss); hands out
    /// connections that a larger pool allows.
    pub(super) fn release_connection_slots(&mut self, cx: &mut Cx<'_>) {
        let permits = self.effective_pool();
        self.pool.set_permits(permits);
        self.hand_on_connections(cx);
    }

    pub(in crate::world::ipl) fn reset_counts(&mut self, now: SimTime) {
        self.in_system_at_reset = self.in_system;
        self.c = Counts::default();
        self.stats_since = now;
        self.backlog.reset(now);
        self.queued_peak = self.queued();
        self.peaks = super::Peaks::default();
        self.delivery.reset();
        self.confirm.reset();
        self.partners_min = self.online.saturating_sub(self.leaving);
        self.servers_peak = self.servers.len();
        for s in &mut self.servers {
            s.served = 0;
        }
    }

    pub(in crate::world::ipl) fn opens(&self) -> u64 {
        self.breaker.trips
    }
}
