//! Commands from the keyboard and the timeline: policies, switches, faults
//! and the staged restoration after a power loss.

use crate::fault::{Fault, FaultKind};
use crate::policy::Policy;
use crate::sim::{Command, CommandError};
use crate::world::ipl::Autoscaling;

use super::{Counts, Decline, Ev, FaultEffects, Ipl, Ref, secs};

impl Ipl {
    pub(in crate::world::ipl) fn toggle_names() -> [&'static str; 6] {
        [
            "idempotency",
            "shedding",
            "eta_messages",
            "incentives",
            "batching",
            "breaker",
        ]
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

    pub(in crate::world::ipl) fn command(&mut self, cmd: &Command) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => {
                if let Some(a) = Autoscaling::from_name(name) {
                    self.autoscaling = a;
                    return Ok(format!("autoscaling: {name}"));
                }
                if let Some(p) = Policy::from_name(name) {
                    self.balancer.set_policy(p);
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
                self.rate_changed();
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
                    self.dispatch();
                }
                Ok(format!("{name}: {}", if on { "on" } else { "off" }))
            }
            Command::InjectFault { id, fault } => self.inject(*id, fault),
            Command::ClearFault(id) => {
                if self.faults.remove(id).is_some() {
                    self.refresh_faults();
                }
                Ok(String::new())
            }
            Command::ClearFaults => {
                if self.faults.is_empty() {
                    return Ok(String::new());
                }
                self.faults.clear();
                self.refresh_faults();
                Ok("all faults cleared".into())
            }
        }
    }

    pub(in crate::world::ipl) fn server_names(&self) -> Vec<String> {
        (1..=self.servers.len())
            .map(|i| format!("app-{i}"))
            .collect()
    }

    pub(super) fn targets_for(&self, kind: &FaultKind) -> Vec<String> {
        let mut t = Vec::new();
        match kind {
            FaultKind::Kill { .. } | FaultKind::Partition => {
                t.push("all".into());
                t.extend(self.server_names());
                t.push("kitchens".into());
                t.extend((1..=self.clusters.len()).map(|k| format!("kitchen-cluster-{k}")));
                t.push("db".into());
            }
            FaultKind::Latency { .. } => {
                t.push("db".into());
                t.push("payment".into());
                t.push("all".into());
                t.extend(self.server_names());
            }
            FaultKind::Slowdown { .. } => {
                t.push("db".into());
                t.push("kitchens".into());
                t.push("all".into());
                t.extend(self.server_names());
            }
            FaultKind::CapacityDrop { .. } => {
                t.push("partners".into());
                t.push("kitchens".into());
                t.push("db".into());
            }
            FaultKind::ErrorRate { .. } => {
                t.push("payment".into());
                t.push("all".into());
                t.extend(self.server_names());
            }
            FaultKind::World { name, .. } if name == "power-loss" => {
                t.push("region".into());
                t.push("all".into());
            }
            FaultKind::Blackhole | FaultKind::World { .. } => {}
        }
        t
    }

    pub(super) fn inject(&mut self, id: u64, fault: &Fault) -> Result<String, CommandError> {
        fault.kind.validate().map_err(CommandError::Invalid)?;
        let targets = self.targets_for(&fault.kind);
        if targets.is_empty() {
            return Err(CommandError::UnsupportedFault(
                fault.kind.name().to_string(),
            ));
        }
        if !targets.contains(&fault.target) {
            return Err(CommandError::UnknownTarget {
                name: fault.target.clone(),
                expected: targets.join(", "),
            });
        }
        self.faults.insert(id, fault.clone());
        if let FaultKind::Kill {
            restart_after_s: Some(s),
        } = fault.kind
        {
            self.engine.schedule_in(secs(s), Ev::KillExpires { id });
        }
        self.refresh_faults();
        Ok(String::new())
    }

    /// Recomputes every effect from the active faults and applies the
    /// changes (servers and kitchens going down or coming back, strikes,
    /// power loss and the staged restoration after it).
    pub(super) fn refresh_faults(&mut self) {
        let n = self.servers.len();
        let ncl = self.clusters.len();
        let mut down = vec![false; n];
        let mut slow = vec![1.0; n];
        let mut extra = vec![0.0; n];
        let mut err = vec![0.0; n];
        let mut cl_down = vec![false; ncl];
        let mut fx = FaultEffects {
            db_slow: 1.0,
            kitchen_slow: 1.0,
            ..FaultEffects::default()
        };
        let server_idx = |t: &str| -> Vec<usize> {
            if t == "all" {
                (0..n).collect()
            } else {
                t.strip_prefix("app-")
                    .and_then(|x| x.parse::<usize>().ok())
                    .filter(|k| (1..=n).contains(k))
                    .map(|k| vec![k - 1])
                    .unwrap_or_default()
            }
        };
        for f in self.faults.values() {
            let t = f.target.as_str();
            match &f.kind {
                FaultKind::Kill { .. } | FaultKind::Partition => {
                    if t == "db" {
                        fx.db_down = true;
                    } else if t == "kitchens" {
                        cl_down.fill(true);
                    } else if let Some(k) = t
                        .strip_prefix("kitchen-cluster-")
                        .and_then(|x| x.parse::<usize>().ok())
                        .filter(|k| (1..=ncl).contains(k))
                    {
                        cl_down[k - 1] = true;
                    } else {
                        for k in server_idx(t) {
                            down[k] = true;
                        }
                    }
                }
                FaultKind::Latency { ms, .. } => match t {
                    "db" => fx.db_extra_ms += ms,
                    "payment" => fx.pay_extra_ms += ms,
                    _ => server_idx(t).into_iter().for_each(|k| extra[k] += ms),
                },
                FaultKind::Slowdown { factor } => match t {
                    "db" => fx.db_slow *= factor,
                    "kitchens" => fx.kitchen_slow *= factor,
                    _ => server_idx(t).into_iter().for_each(|k| slow[k] *= factor),
                },
                FaultKind::CapacityDrop { fraction } => match t {
                    "partners" => fx.strike = fx.strike.max(*fraction),
                    "kitchens" => fx.kitchen_drop = fx.kitchen_drop.max(*fraction),
                    "db" => fx.db_drop = fx.db_drop.max(*fraction),
                    _ => {}
                },
                FaultKind::ErrorRate { p } => match t {
                    "payment" => fx.pay_error = fx.pay_error.max(*p),
                    _ => server_idx(t)
                        .into_iter()
                        .for_each(|k| err[k] = f64::max(err[k], *p)),
                },
                FaultKind::World { name, strength } if name == "power-loss" => {
                    fx.power_loss = Some(fx.power_loss.unwrap_or(0.0).max(strength.min(1.0)));
                }
                _ => {}
            }
        }
        // servers
        for k in 0..n {
            let s = &mut self.servers[k];
            s.slow = slow[k];
            s.extra_ms = extra[k];
            s.error_p = err[k];
            if down[k] && !s.down {
                s.down = true;
                s.epoch = s.epoch.wrapping_add(1);
                s.busy = 0;
                let queued: Vec<Ref> = s.queue.drain(..).collect();
                self.say(format!("app-{} DOWN", k + 1));
                for o in queued {
                    self.fail(o, Decline::ServerCrash);
                }
            } else if !down[k] && s.down {
                s.down = false;
                self.say(format!("app-{} back up", k + 1));
            }
        }
        // kitchens
        for (k, d) in cl_down.into_iter().enumerate() {
            if d {
                self.kill_cluster(k);
            } else if self.clusters[k].down {
                self.clusters[k].down = false;
                self.say(format!("kitchen-cluster-{} back up", k + 1));
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
                self.say(format!(
                    "POWER LOSS in the primary region: failing over to backup at {:.0} % capacity",
                    self.region * 100.0
                ));
            }
            (Some(_), None) => {
                self.restore_gen = self.restore_gen.wrapping_add(1);
                self.restore_stage(0);
            }
            _ => {}
        }
        self.note_partners();
        self.pump_all();
        for k in 0..self.clusters.len() {
            self.pump_cluster(k);
        }
        self.release_connection_slots();
        self.dispatch();
    }

    /// Staged restoration after a power loss: 25 %, 50 %, 100 %.
    pub(super) fn restore_stage(&mut self, stage: u8) {
        const STAGES: [f64; 3] = [0.25, 0.5, 1.0];
        let Some(&f) = STAGES.get(stage as usize) else {
            return;
        };
        self.region = f.max(self.region.min(1.0));
        if stage == 2 {
            self.region = 1.0;
        }
        self.say(format!(
            "power restored, stage {}: {:.0} % capacity",
            stage + 1,
            self.region * 100.0
        ));
        if (stage as usize) + 1 < STAGES.len() {
            self.engine.schedule_in(
                secs(self.p.restore_stage_s),
                Ev::RestoreStage {
                    stage: stage + 1,
                    generation: self.restore_gen,
                },
            );
        }
        self.pump_all();
        self.release_connection_slots();
    }

    /// Hands out connections that a larger pool now allows.
    pub(super) fn release_connection_slots(&mut self) {
        if self.pool_in_use < self.effective_pool() && !self.pool_queue.is_empty() {
            self.pool_in_use += 1;
            self.release_connection();
        }
    }

    pub(in crate::world::ipl) fn reset_counts(&mut self) {
        let now = self.now();
        self.in_system_at_reset = self.in_system;
        self.c = Counts::default();
        self.last = Counts::default();
        self.stats_since = now;
        self.backlog.reset(now);
        self.queued_peak = self.queued();
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
