//! The deterministic discrete-event core: integer time, the event queue,
//! named random streams, metrics, the [`World`] contract and the
//! [`Simulation`] that drives a world through its scenario's timeline.
//!
//! Nothing here knows about terminals, tokio or the wall clock. Real-time
//! pacing belongs to the dashboard, which calls [`Simulation::step_until`]
//! with a cap on work per tick.

pub mod blocks;
pub mod engine;
pub mod fault;
pub mod log;
pub mod metrics;
pub mod rng;
pub mod runtime;
pub mod sampler;
pub mod time;
pub mod world;

use std::collections::BTreeMap;

pub use engine::{Engine, EventQueue};
pub use log::{EventLog, LOG_CAPACITY, LogEntry};
pub use metrics::{ClosedForms, Metrics};
pub use runtime::{Context, Model, Runtime};
pub use sampler::{History, Probe, Sampling, SeriesId, Start};
pub use time::SimTime;
pub use world::{Catalog, Command, CommandError, Snapshot, World};

use crate::scenario::TimelineEntry;
use fault::{Fault, FaultKind};

/// Why the simulation refused to run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// `step_until` was asked to go back in time.
    #[error("cannot run until {deadline}: the simulation is already at {now}")]
    DeadlineInPast { deadline: SimTime, now: SimTime },
}

/// A timeline action at a given instant.
#[derive(Clone, Debug)]
enum Control {
    Caption(String),
    Fault(Fault),
    Command(Command),
}

/// A world plus its timeline, faults in force, captions and event log.
pub struct Simulation {
    world: Box<dyn World>,
    timeline: Vec<(SimTime, Control)>,
    next_control: usize,
    /// (end time, fault id), kept sorted.
    fault_ends: Vec<(SimTime, u64)>,
    active: BTreeMap<u64, Fault>,
    next_fault_id: u64,
    caption: Option<(SimTime, String)>,
    log: EventLog,
}

impl Simulation {
    /// Wraps `world` with the scenario's timeline (any order; sorted here,
    /// stable for equal times).
    #[must_use]
    pub fn new(world: Box<dyn World>, timeline: &[TimelineEntry]) -> Self {
        let mut entries: Vec<(SimTime, Control)> = timeline
            .iter()
            .map(|e| match e {
                TimelineEntry::Caption { at_s, text } => (
                    SimTime::from_secs_f64(*at_s),
                    Control::Caption(text.clone()),
                ),
                TimelineEntry::Fault { at_s, fault } => {
                    (SimTime::from_secs_f64(*at_s), Control::Fault(fault.clone()))
                }
                TimelineEntry::Policy { at_s, name } => (
                    SimTime::from_secs_f64(*at_s),
                    Control::Command(Command::SetPolicy(name.clone())),
                ),
                TimelineEntry::Toggle { at_s, name, on } => (
                    SimTime::from_secs_f64(*at_s),
                    Control::Command(Command::Toggle {
                        name: name.clone(),
                        on: *on,
                    }),
                ),
                TimelineEntry::ScaleArrivals { at_s, factor } => (
                    SimTime::from_secs_f64(*at_s),
                    Control::Command(Command::ScaleArrivals(*factor)),
                ),
                TimelineEntry::Clear { at_s, fault } => (
                    SimTime::from_secs_f64(*at_s),
                    Control::Command(match fault {
                        Some(id) => Command::ClearFault(*id),
                        None => Command::ClearFaults,
                    }),
                ),
            })
            .collect();
        entries.sort_by_key(|(t, _)| *t);
        Simulation {
            world,
            timeline: entries,
            next_control: 0,
            fault_ends: Vec::new(),
            active: BTreeMap::new(),
            next_fault_id: 1,
            caption: None,
            log: EventLog::default(),
        }
    }

    #[must_use]
    pub fn now(&self) -> SimTime {
        self.world.now()
    }

    #[must_use]
    pub fn world(&self) -> &dyn World {
        self.world.as_ref()
    }

    /// The caption most recently reached on the timeline.
    #[must_use]
    pub fn caption(&self) -> Option<&(SimTime, String)> {
        self.caption.as_ref()
    }

    /// The event log, oldest first (bounded).
    #[must_use]
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.log.iter()
    }

    /// Log lines dropped because the log was full.
    #[must_use]
    pub fn log_dropped(&self) -> u64 {
        self.log.dropped()
    }

    /// Active faults by id.
    #[must_use]
    pub fn active_faults(&self) -> &BTreeMap<u64, Fault> {
        &self.active
    }

    fn push_log(&mut self, text: String) {
        let at = self.now();
        self.log.push(at, text);
    }

    /// The next instant at which the timeline or a fault's end acts.
    fn next_control_time(&self) -> Option<SimTime> {
        let t = self.timeline.get(self.next_control).map(|(t, _)| *t);
        let f = self.fault_ends.first().map(|(t, _)| *t);
        match (t, f) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs every control action due at or before the world's clock.
    fn run_due_controls(&mut self) {
        let now = self.now();
        while let Some(&(end, id)) = self.fault_ends.first() {
            if end > now {
                break;
            }
            self.fault_ends.remove(0);
            if self.active.contains_key(&id) {
                let _ = self.apply(Command::ClearFault(id));
            }
        }
        while let Some((t, _)) = self.timeline.get(self.next_control) {
            if *t > now {
                break;
            }
            let control = self.timeline[self.next_control].1.clone();
            self.next_control += 1;
            match control {
                Control::Caption(text) => {
                    self.push_log(format!("» {text}"));
                    self.caption = Some((now, text));
                }
                Control::Fault(fault) => {
                    if let Err(e) = self.inject(fault) {
                        self.push_log(format!("timeline fault refused: {e}"));
                    }
                }
                Control::Command(cmd) => {
                    if let Err(e) = self.apply(cmd) {
                        self.push_log(format!("timeline command refused: {e}"));
                    }
                }
            }
        }
    }

    /// Handles the next event (or the next timeline action). Returns false
    /// when nothing at all is left to do.
    pub fn step(&mut self) -> bool {
        let next_event = self.world.next_event_time();
        let next_control = self.next_control_time();
        // Events at an instant run before the timeline's actions at that
        // instant, as in `step_until`.
        match (next_event, next_control) {
            (None, None) => return false,
            (Some(e), Some(c)) if c < e => {
                self.world.advance(c, 0, &mut self.log);
            }
            (Some(e), _) => {
                self.world.advance(e, 1, &mut self.log);
            }
            (None, Some(c)) => {
                self.world.advance(c, 0, &mut self.log);
            }
        }
        self.run_due_controls();
        true
    }

    /// Advances to simulated time `t`, handling at most `max_events`
    /// events. Returns the number handled; when it is below the cap the
    /// clock stands at `t`. A deadline before the current instant is
    /// refused (the clock never goes back).
    pub fn step_until(&mut self, t: SimTime, max_events: u64) -> Result<u64, SimError> {
        if t < self.now() {
            return Err(SimError::DeadlineInPast {
                deadline: t,
                now: self.now(),
            });
        }
        let mut done = 0;
        self.run_due_controls();
        loop {
            let stop = match self.next_control_time() {
                Some(c) if c <= t => c,
                _ => t,
            };
            let budget = max_events - done;
            done += self.world.advance(stop, budget, &mut self.log);
            if self.now() < stop {
                return Ok(done); // out of budget
            }
            self.run_due_controls();
            if stop >= t {
                return Ok(done);
            }
            if done >= max_events && self.world.next_event_time().is_some_and(|e| e <= t) {
                return Ok(done);
            }
        }
    }

    /// Runs to `horizon` without a cap on work.
    pub fn run_until(&mut self, horizon: SimTime) -> Result<u64, SimError> {
        self.step_until(horizon, u64::MAX)
    }

    /// Injects a fault now; it clears itself after its duration, if any.
    /// A fault whose target or kind the world's catalog does not list is
    /// refused by name, before the world sees it (in `apply`).
    pub fn inject(&mut self, fault: Fault) -> Result<u64, CommandError> {
        fault.kind.validate()?;
        if let Some(d) = fault.duration_s
            && !(d.is_finite() && d >= 0.0)
        {
            return Err(CommandError::Invalid(format!(
                "duration_s must be ≥ 0, got {d}"
            )));
        }
        let id = self.next_fault_id;
        // A crash with a restart is over when the target is back.
        let duration = match (&fault.kind, fault.duration_s) {
            (FaultKind::Kill { restart_after_s }, None) => *restart_after_s,
            (_, d) => d,
        };
        self.apply(Command::InjectFault {
            id,
            fault: fault.clone(),
        })?;
        self.next_fault_id += 1;
        self.active.insert(id, fault);
        if let Some(d) = duration {
            let end = self.now() + SimTime::from_secs_f64(d);
            let pos = self.fault_ends.partition_point(|(t, _)| *t <= end);
            self.fault_ends.insert(pos, (end, id));
        }
        Ok(id)
    }

    /// Applies a command at the current instant and logs what changed.
    #[allow(clippy::needless_pass_by_value)] // commands are values handed over, as from a channel
    pub fn apply(&mut self, cmd: Command) -> Result<(), CommandError> {
        self.world.catalog().check(&cmd)?;
        let world_line = self.world.apply(&cmd, &mut self.log)?;
        // Fault lines start the same in every world; what the world says
        // it did (e.g. which weather the monsoon drew) follows.
        let with_world = |head: String| {
            if world_line.is_empty() {
                head
            } else {
                format!("{head} — {world_line}")
            }
        };
        let line = match &cmd {
            Command::InjectFault { id, fault } => {
                with_world(format!("fault #{id} injected: {fault}"))
            }
            Command::ClearFault(id) => {
                self.fault_ends.retain(|(_, f)| f != id);
                match self.active.remove(id) {
                    Some(fault) => with_world(format!("fault #{id} cleared: {fault}")),
                    None => String::new(),
                }
            }
            Command::ClearFaults => {
                self.fault_ends.clear();
                let n = std::mem::take(&mut self.active).len();
                if n == 0 {
                    "no faults to clear".to_string()
                } else {
                    format!("cleared {n} fault{}", if n == 1 { "" } else { "s" })
                }
            }
            _ => world_line,
        };
        if !line.is_empty() {
            self.push_log(line);
        }
        Ok(())
    }

    /// Everything the dashboard shows now.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let mut s = self.world.snapshot();
        s.active_faults = self.active.values().map(ToString::to_string).collect();
        s
    }

    /// Forgets statistics so far (end of warm-up).
    pub fn reset_statistics(&mut self) {
        self.world.reset_statistics();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world with one event per simulated second that records faults.
    struct Ticker {
        faults: Vec<u64>,
        catalog: Catalog,
    }

    fn ticker() -> Box<dyn World> {
        let mut engine = Engine::new();
        for s in 1..=100 {
            engine.schedule(SimTime::from_secs(s), ());
        }
        let catalog = Catalog {
            policies: vec!["only".into()],
            faults: fault::FaultCatalog::uniform(
                ["all"],
                &["slowdown", "kill", "error-rate"],
                Vec::new(),
            ),
            ..Catalog::default()
        };
        Box::new(Runtime::new(
            Ticker {
                faults: Vec::new(),
                catalog,
            },
            engine,
        ))
    }

    impl Model for Ticker {
        type Event = ();
        type Queue = Engine<()>;
        fn handle(&mut self, _: &mut Context<'_, (), Engine<()>>, (): ()) {}
        fn apply(
            &mut self,
            _: &mut Context<'_, (), Engine<()>>,
            cmd: &Command,
        ) -> Result<String, CommandError> {
            self.catalog.check(cmd)?;
            match cmd {
                Command::InjectFault { id, .. } => {
                    self.faults.push(*id);
                    Ok("ticker slowed".into())
                }
                Command::ClearFault(id) => {
                    self.faults.retain(|f| f != id);
                    Ok(String::new())
                }
                Command::ClearFaults => {
                    self.faults.clear();
                    Ok("cleared all".into())
                }
                _ => Ok(String::new()),
            }
        }
        fn snapshot(&self, _: SimTime, _: &History) -> Snapshot {
            Snapshot::default()
        }
        fn metrics(&self, _: SimTime) -> Metrics {
            Metrics::new()
        }
        fn analytic(&self, _: SimTime) -> ClosedForms {
            ClosedForms::new()
        }
        fn ledger(&self, _: SimTime) -> world::Ledger {
            world::Ledger::default()
        }
        fn reset_statistics(&mut self, _: SimTime) {}
        fn policy(&self) -> String {
            "only".into()
        }
        fn catalog(&self) -> &Catalog {
            &self.catalog
        }
    }

    fn ticker_faults(sim: &Simulation) -> usize {
        sim.active_faults().len()
    }

    fn slowdown(duration_s: Option<f64>) -> Fault {
        Fault {
            kind: FaultKind::Slowdown { factor: 0.5 },
            target: "all".into(),
            duration_s,
        }
    }

    #[test]
    fn step_until_caps_work_and_reaches_the_target_otherwise() {
        let mut sim = Simulation::new(ticker(), &[]);
        assert_eq!(sim.step_until(SimTime::from_secs(50), 10), Ok(10));
        assert_eq!(sim.now(), SimTime::from_secs(10));
        assert_eq!(sim.step_until(SimTime::from_secs(50), 1000), Ok(40));
        assert_eq!(sim.now(), SimTime::from_secs(50));
        assert_eq!(sim.run_until(SimTime::from_secs(500)), Ok(50));
        assert_eq!(sim.now(), SimTime::from_secs(500));
        assert!(!sim.step(), "nothing left");
        assert_eq!(
            sim.step_until(SimTime::from_secs(400), 10),
            Err(SimError::DeadlineInPast {
                deadline: SimTime::from_secs(400),
                now: SimTime::from_secs(500)
            }),
            "a deadline in the past is refused"
        );
    }

    #[test]
    fn timeline_captions_and_faults_act_at_their_time_and_faults_expire() {
        let timeline = vec![
            TimelineEntry::Caption {
                at_s: 5.5,
                text: "half past five".into(),
            },
            TimelineEntry::Fault {
                at_s: 10.0,
                fault: slowdown(Some(5.0)),
            },
        ];
        let mut sim = Simulation::new(ticker(), &timeline);
        sim.run_until(SimTime::from_secs(5)).expect("ahead");
        assert!(sim.caption().is_none());
        sim.run_until(SimTime::from_secs(6)).expect("ahead");
        let (at, text) = sim.caption().expect("caption reached");
        assert_eq!(
            (*at, text.as_str()),
            (SimTime::from_secs_f64(5.5), "half past five")
        );
        sim.run_until(SimTime::from_secs(12)).expect("ahead");
        assert_eq!(ticker_faults(&sim), 1);
        sim.run_until(SimTime::from_secs(16)).expect("ahead");
        assert_eq!(ticker_faults(&sim), 0, "the fault cleared itself after 5 s");
        let log: Vec<String> = sim.log().map(|e| format!("{} {}", e.at, e.text)).collect();
        assert_eq!(
            log,
            vec![
                "0:00:05 » half past five",
                "0:00:10 fault #1 injected: slowdown on all (rate ×0.5) for 5 s — ticker slowed",
                "0:00:15 fault #1 cleared: slowdown on all (rate ×0.5) for 5 s",
            ]
        );
    }

    #[test]
    fn step_handles_one_event_or_one_control_action() {
        let timeline = vec![
            TimelineEntry::Caption {
                at_s: 0.5,
                text: "before".into(),
            },
            TimelineEntry::Caption {
                at_s: 2.0,
                text: "two".into(),
            },
        ];
        let mut sim = Simulation::new(ticker(), &timeline);
        assert!(sim.step());
        assert_eq!(
            sim.world().events_processed(),
            0,
            "the caption at 0.5 s came first"
        );
        assert_eq!(sim.caption().map(|c| c.1.as_str()), Some("before"));
        assert!(sim.step());
        assert_eq!(sim.world().events_processed(), 1);
        assert!(sim.step());
        // The event at 2 s runs, then the caption at the same instant.
        assert_eq!(sim.world().events_processed(), 2);
        assert_eq!(sim.caption().map(|c| c.1.as_str()), Some("two"));
    }

    #[test]
    fn a_crash_with_a_restart_is_over_when_the_target_is_back() {
        let mut sim = Simulation::new(ticker(), &[]);
        let kill = Fault {
            kind: FaultKind::Kill {
                restart_after_s: Some(30.0),
            },
            target: "all".into(),
            duration_s: None,
        };
        sim.inject(kill.clone()).expect("valid");
        sim.inject(Fault {
            kind: FaultKind::Kill {
                restart_after_s: None,
            },
            ..kill
        })
        .expect("valid");
        sim.run_until(SimTime::from_secs(29)).expect("ahead");
        assert_eq!(ticker_faults(&sim), 2);
        sim.run_until(SimTime::from_secs(31)).expect("ahead");
        assert_eq!(ticker_faults(&sim), 1, "the crash without a restart stays");
    }

    #[test]
    fn refused_faults_change_nothing_and_clear_all_empties() {
        let mut sim = Simulation::new(ticker(), &[]);
        let bad = Fault {
            target: "nowhere".into(),
            ..slowdown(None)
        };
        assert!(sim.inject(bad).is_err());
        assert!(
            sim.inject(Fault {
                kind: FaultKind::ErrorRate { p: 2.0 },
                ..slowdown(None)
            })
            .is_err()
        );
        assert_eq!(ticker_faults(&sim), 0);
        sim.inject(slowdown(None)).expect("valid");
        sim.inject(slowdown(Some(1.0))).expect("valid");
        assert_eq!(ticker_faults(&sim), 2);
        sim.apply(Command::ClearFaults).expect("ok");
        assert_eq!(ticker_faults(&sim), 0);
        sim.run_until(SimTime::from_secs(3)).expect("ahead");
        assert_eq!(
            sim.log().len(),
            3,
            "no clear is logged for a fault already gone"
        );
    }
}
