//! Faults: checked against the catalog, kept in the shared fault books, their effects recomputed.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Tatkal {
    /// Which engines a target names (`all`, or `engine-K`).
    pub(super) fn engine_targets(&self, target: &str) -> Option<Vec<usize>> {
        if target == "all" {
            return Some((0..self.engines.len()).collect());
        }
        let k: usize = target.strip_prefix("engine-")?.parse().ok()?;
        (1..=self.engines.len()).contains(&k).then(|| vec![k - 1])
    }

    /// Whether the world accepts `fault`: the catalog's targets and
    /// kinds, and a bot wave's strength.
    pub(super) fn check_fault(&self, fault: &Fault) -> Result<(), CommandError> {
        self.catalog.faults.check(fault)?;
        if let FaultKind::World { strength, .. } = &fault.kind
            && !(0.0..=1000.0).contains(strength)
        {
            return Err(CommandError::Invalid(format!(
                "bot-wave strength must be between 0 and 1000, got {strength}"
            )));
        }
        Ok(())
    }

    /// Where a fault on `target` is kept: the dependencies' book (true) or
    /// the engines', and which unit it hits.
    pub(super) fn fault_unit(&self, target: &str) -> Result<(bool, Target), CommandError> {
        match target {
            "payment" => Ok((true, Target::One(PAYMENT))),
            "db" => Ok((true, Target::One(DB))),
            "all" => Ok((false, Target::All)),
            t => match self.engine_targets(t).as_deref() {
                Some([e]) => Ok((false, Target::One(*e))),
                _ => Err(CommandError::UnknownTarget {
                    name: t.to_string(),
                    expected: format!("all, payment, db, engine-1 … engine-{}", self.engines.len()),
                }),
            },
        }
    }

    /// Recomputes every continuous fault effect from the faults in force
    /// (the shared [`FaultBook`] combines them).
    pub(super) fn recompute_faults(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        for (e, en) in self.engines.iter_mut().enumerate() {
            en.fault = self.engine_faults.effect(e, now);
        }
        self.payment = self.dependency_faults.effect(PAYMENT, now);
        self.db = self.dependency_faults.effect(DB, now);
        self.bot_wave = self
            .engine_faults
            .world_faults()
            .map(|(_, strength, _)| strength)
            .product();
        for e in 0..self.engines.len() {
            self.sync_station(e);
            self.sync_backend(e);
            // Capacity may have grown back: start what waits.
            while self.up(e) && self.pull_request(cx, e) {}
            self.sync_backend(e);
        }
        self.on_capacity_change();
    }

    pub(super) fn inject(
        &mut self,
        cx: &mut Cx<'_>,
        id: u64,
        fault: &Fault,
    ) -> Result<String, CommandError> {
        self.check_fault(fault)?;
        let (on_dependency, target) = self.fault_unit(&fault.target)?;
        if let FaultKind::Kill { restart_after_s } = fault.kind {
            let targets = self.engine_targets(&fault.target).unwrap_or_default();
            let now = now_ms(cx);
            for e in targets {
                self.crash(cx, e, "killed");
                self.engines[e].kill_id = Some(id);
                let epoch = self.engines[e].epoch;
                match restart_after_s {
                    Some(s) => schedule(
                        cx,
                        now + ms_of(s),
                        Ev::Restart {
                            engine: e as u16,
                            epoch,
                        },
                    ),
                    None => self.engines[e].killed_by = Some(id),
                }
            }
        }
        let now = cx.now();
        let book = if on_dependency {
            &mut self.dependency_faults
        } else {
            &mut self.engine_faults
        };
        book.insert(id, fault.kind.clone(), target, now);
        self.fault_ids.insert(id);
        self.recompute_faults(cx);
        Ok(String::new())
    }

    pub(super) fn clear_fault(&mut self, cx: &mut Cx<'_>, id: u64) {
        if !self.fault_ids.remove(&id) {
            return;
        }
        self.engine_faults.remove(id);
        self.dependency_faults.remove(id);
        for e in 0..self.engines.len() {
            if self.engines[e].kill_id == Some(id) {
                self.restart(cx, e);
            }
        }
        self.recompute_faults(cx);
    }
}
