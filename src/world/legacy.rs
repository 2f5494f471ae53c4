//! Transitional: a world written against the old `World` contract (its own
//! event queue, clock and log buffer) run behind the new one. Every world
//! moves onto [`Model`](crate::sim::Model); then this file goes.

use crate::sim::fault::{FaultCatalog, FaultTemplate, TargetSpec};
use crate::sim::world::ToggleSpec;
use crate::sim::{
    Catalog, Command, CommandError, EventLog, LogEntry, Metrics, SimTime, Snapshot, World,
};

/// The old contract.
pub trait LegacyWorld: Send {
    fn now(&self) -> SimTime;
    fn next_event_time(&self) -> Option<SimTime>;
    fn advance(&mut self, until: SimTime, max_events: u64) -> u64;
    fn apply(&mut self, cmd: &Command) -> Result<String, CommandError>;
    fn snapshot(&self) -> Snapshot;
    fn metrics(&self) -> Metrics;
    fn analytic(&self) -> Metrics;
    fn reset_statistics(&mut self);
    fn policies(&self) -> Vec<String>;
    fn policy(&self) -> String;
    fn fault_menu(&self) -> Vec<FaultTemplate>;
    fn events_processed(&self) -> u64;
    fn drain_log(&mut self) -> Vec<LogEntry> {
        Vec::new()
    }
}

/// An old-contract world behind the new one.
pub struct Legacy<W> {
    pub inner: W,
    catalog: Catalog,
}

impl<W: LegacyWorld> Legacy<W> {
    pub fn new(inner: W) -> Self {
        let menu = inner.fault_menu();
        let mut targets: Vec<TargetSpec> = Vec::new();
        for t in &menu {
            for name in &t.targets {
                let i = if let Some(i) = targets.iter().position(|x| &x.name == name) {
                    i
                } else {
                    targets.push(TargetSpec {
                        name: name.clone(),
                        kinds: Vec::new(),
                    });
                    targets.len() - 1
                };
                let k = t.kind.name().to_string();
                if !targets[i].kinds.contains(&k) {
                    targets[i].kinds.push(k);
                }
            }
        }
        let toggles = inner
            .snapshot()
            .toggles
            .into_iter()
            .map(|(n, _)| ToggleSpec::new(&n, ""))
            .collect();
        let catalog = Catalog {
            policies: inner.policies(),
            other_policies: Vec::new(),
            toggles,
            faults: FaultCatalog { targets, menu },
        };
        Legacy { inner, catalog }
    }

    fn take_log(&mut self, log: &mut EventLog) {
        for e in self.inner.drain_log() {
            log.push(e.at, e.text);
        }
    }
}

impl<W: LegacyWorld> World for Legacy<W> {
    fn now(&self) -> SimTime {
        self.inner.now()
    }
    fn next_event_time(&self) -> Option<SimTime> {
        self.inner.next_event_time()
    }
    fn advance(&mut self, until: SimTime, max_events: u64, log: &mut EventLog) -> u64 {
        let n = self.inner.advance(until, max_events);
        self.take_log(log);
        n
    }
    fn apply(&mut self, cmd: &Command, log: &mut EventLog) -> Result<String, CommandError> {
        let r = self.inner.apply(cmd);
        self.take_log(log);
        r
    }
    fn snapshot(&self) -> Snapshot {
        self.inner.snapshot()
    }
    fn metrics(&self) -> Metrics {
        self.inner.metrics()
    }
    fn analytic(&self) -> Metrics {
        self.inner.analytic()
    }
    fn reset_statistics(&mut self) {
        self.inner.reset_statistics();
    }
    fn policy(&self) -> String {
        self.inner.policy()
    }
    fn catalog(&self) -> &Catalog {
        &self.catalog
    }
    fn events_processed(&self) -> u64 {
        self.inner.events_processed()
    }
}
