//! Faults on the roads. The shared kinds (and the accident and the signal
//! failure, which are capacity drops by another name) go into the shared
//! [`FaultBook`](crate::fault::FaultBook), which combines them; a road's
//! condition is read from its [`Effect`](crate::fault::Effect). The
//! monsoon, whose weather is drawn from the scenario's table, is kept here
//! with the state it drew; the information blackout is a world fault in
//! the book.

use rand::Rng;

use super::{Condition, Cx, Event, Traffic, secs};
use crate::fault::{FaultKind, Target};
use crate::sim::CommandError;

/// A monsoon in force: where, how strong, and the weather it drew.
#[derive(Clone, Copy, Debug)]
pub(super) struct Monsoon {
    target: Target,
    strength: f64,
    state: usize,
}

/// The world fault that hides live information.
pub(super) const INFO_BLACKOUT: &str = "info-blackout";

impl Traffic {
    fn draw_weather(&mut self) -> usize {
        let u: f64 = self.weather_rng.random();
        let mut acc = 0.0;
        for (i, w) in self.p.weather.iter().enumerate() {
            acc += w.probability;
            if u < acc {
                return i;
            }
        }
        self.p.weather.len().saturating_sub(1)
    }

    pub(super) fn weather_label(&self, state: usize) -> String {
        self.p.weather.get(state).map_or_else(
            || "dry".to_string(),
            |w| format!("{} (+{:.0} %)", w.name, w.delay * 100.0),
        )
    }

    /// The weather each monsoon in force drew, oldest first.
    pub(super) fn weather_now(&self) -> impl Iterator<Item = String> + '_ {
        self.monsoons.values().map(|m| self.weather_label(m.state))
    }

    /// `all` or one road by its name, and the roads it covers.
    fn target(&self, name: &str) -> Result<(Target, Vec<usize>), CommandError> {
        if name == "all" {
            return Ok((Target::All, (0..self.roads.len()).collect()));
        }
        self.roads
            .iter()
            .position(|r| r.p.name == name)
            .map(|i| (Target::One(i), vec![i]))
            .ok_or_else(|| CommandError::UnknownTarget {
                name: name.to_string(),
                expected: self.target_names().join(", "),
            })
    }

    fn target_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.roads.iter().map(|r| r.p.name.clone()).collect();
        v.push("all".to_string());
        v
    }

    /// Recomputes every road's condition from the faults in force, records
    /// the change for the delayed information and re-plans bottlenecks.
    fn refresh_conditions(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        let conds: Vec<Condition> = self
            .roads
            .iter()
            .enumerate()
            .map(|(i, r)| {
                // Kills, error rates and black holes are refused, so the
                // book holds none: a road is closed, slowed, narrowed or
                // made longer, nothing else.
                let e = self.book.effect(i, now);
                let mut weather = 1.0;
                for m in self.monsoons.values().filter(|m| m.target.hits(i)) {
                    let d = self.p.weather.get(m.state).map_or(0.0, |w| w.delay);
                    weather *= 1.0 + d * m.strength;
                }
                Condition {
                    capacity_per_h: r.p.capacity_per_h * e.capacity_factor * e.slowdown,
                    closed: e.partitioned,
                    slow: 1.0 / e.slowdown,
                    weather,
                    extra_s: e.latency_s,
                    jitter_s: e.jitter_s,
                }
            })
            .collect();
        self.blackout = self
            .book
            .world_faults()
            .any(|(name, _, _)| name == INFO_BLACKOUT);
        for (i, c) in conds.into_iter().enumerate() {
            if self.roads[i].cond == c {
                continue;
            }
            let r = &mut self.roads[i];
            r.cond = c;
            r.history.push_back((now, c));
            if r.history.len() > 10_000 {
                r.history.pop_front();
            }
            self.replan(cx, i);
        }
    }

    /// Injects fault `id`: every kind is either given its meaning on the
    /// roads or refused by name.
    pub(super) fn inject(
        &mut self,
        cx: &mut Cx<'_>,
        id: u64,
        kind: &FaultKind,
        target: &str,
    ) -> Result<String, CommandError> {
        let (at, roads) = self.target(target)?;
        let names: Vec<String> = roads.iter().map(|i| self.roads[*i].label.clone()).collect();
        let on = names.join(", ");
        // What goes into the book, and the line for the log.
        let (kind, line) = match kind {
            FaultKind::CapacityDrop { fraction } => (
                kind.clone(),
                format!("capacity −{:.0} % on {on}", fraction * 100.0),
            ),
            FaultKind::World { name, strength }
                if name == "accident" || name == "signal-failure" =>
            {
                if !(0.0..=1.0).contains(strength) {
                    return Err(CommandError::Invalid(format!(
                        "{name} strength is the capacity fraction lost, between 0 and 1; got {strength}"
                    )));
                }
                let what = if name == "accident" {
                    "accident"
                } else {
                    "signal failure"
                };
                (
                    FaultKind::CapacityDrop {
                        fraction: *strength,
                    },
                    format!("{what} on {on}: capacity −{:.0} %", strength * 100.0),
                )
            }
            FaultKind::Partition => (kind.clone(), format!("{on} closed")),
            FaultKind::Slowdown { factor } => {
                if *factor > 1.0 {
                    return Err(CommandError::Invalid(format!(
                        "a slowdown factor is between 0 and 1 (0.5 = half speed), got {factor}"
                    )));
                }
                (
                    kind.clone(),
                    format!("{on} slowed: speed and capacity ×{factor}"),
                )
            }
            FaultKind::Latency { ms, jitter_ms } => (
                // A car never arrives before its running time: the jitter
                // is at most the added time.
                FaultKind::Latency {
                    ms: *ms,
                    jitter_ms: jitter_ms.min(*ms),
                },
                format!("{on}: +{:.1} min per car", ms / 60_000.0),
            ),
            FaultKind::World { name, .. } if name == INFO_BLACKOUT => {
                if at != Target::All {
                    return Err(CommandError::UnsupportedFaultOn {
                        kind: name.clone(),
                        target: target.to_string(),
                        expected: "all".to_string(),
                    });
                }
                (
                    kind.clone(),
                    "live-information blackout: drivers only know free-flow times".to_string(),
                )
            }
            FaultKind::World { name, strength } if name == "monsoon" => {
                if self.p.weather.is_empty() {
                    return Err(CommandError::Invalid(
                        "this scenario has no weather table".to_string(),
                    ));
                }
                let state = self.draw_weather();
                if let Some(period) = self.p.weather_period_s {
                    cx.schedule_in(secs(period), Event::Redraw { fault: id });
                }
                let line = format!(
                    "monsoon over {on}: {} travel times ×{:.2}",
                    self.weather_label(state),
                    1.0 + self.p.weather[state].delay * strength
                );
                self.book.remove(id);
                self.monsoons.insert(
                    id,
                    Monsoon {
                        target: at,
                        strength: *strength,
                        state,
                    },
                );
                self.refresh_conditions(cx);
                return Ok(line);
            }
            FaultKind::Kill { .. }
            | FaultKind::ErrorRate { .. }
            | FaultKind::Blackhole
            | FaultKind::World { .. } => {
                return Err(CommandError::UnsupportedFault(kind.name().to_string()));
            }
        };
        self.monsoons.remove(&id);
        self.book.insert(id, kind, at, cx.now());
        self.refresh_conditions(cx);
        Ok(line)
    }

    /// Clears fault `id` (nothing happens for an unknown id).
    pub(super) fn clear_fault(&mut self, cx: &mut Cx<'_>, id: u64) {
        let in_book = self.book.remove(id);
        let monsoon = self.monsoons.remove(&id).is_some();
        if in_book || monsoon {
            self.refresh_conditions(cx);
        }
    }

    /// Clears every fault; whether there was any.
    pub(super) fn clear_faults(&mut self, cx: &mut Cx<'_>) -> bool {
        if self.book.is_empty() && self.monsoons.is_empty() {
            return false;
        }
        self.book.clear();
        self.monsoons.clear();
        self.refresh_conditions(cx);
        true
    }

    /// Monsoon `fault` draws a new weather state (if it is still in force
    /// and the scenario redraws).
    pub(super) fn redraw(&mut self, cx: &mut Cx<'_>, fault: u64) {
        if let Some(period) = self.p.weather_period_s
            && self.monsoons.contains_key(&fault)
        {
            let state = self.draw_weather();
            if let Some(m) = self.monsoons.get_mut(&fault) {
                m.state = state;
            }
            cx.log(format!("weather now: {}", self.weather_label(state)));
            self.refresh_conditions(cx);
            cx.schedule_in(secs(period), Event::Redraw { fault });
        }
    }
}
