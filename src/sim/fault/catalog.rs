//! What a world lets a user break: its fault targets, the fault kinds each
//! target accepts, and the fault menu. The menu, `chaoswala check` and the
//! run-time all read this one catalog, so a fault is either refused by
//! name before anything happens or has a meaning in the world: never
//! silently ignored.

use super::{Fault, FaultTemplate};
use crate::sim::world::CommandError;

/// One fault target and the kinds it accepts (by [`super::FaultKind::name`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetSpec {
    /// `all`, `server-3`, `WEH`, …
    pub name: String,
    /// Kind names: `kill`, `latency`, …, and world faults such as `bot-wave`.
    pub kinds: Vec<String>,
}

/// A world's fault targets and menu.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FaultCatalog {
    pub targets: Vec<TargetSpec>,
    pub menu: Vec<FaultTemplate>,
}

impl FaultCatalog {
    /// A catalog where every target in `names` accepts every kind in `kinds`.
    #[must_use]
    pub fn uniform<N: Into<String>>(
        names: impl IntoIterator<Item = N>,
        kinds: &[&str],
        menu: Vec<FaultTemplate>,
    ) -> Self {
        FaultCatalog {
            targets: names
                .into_iter()
                .map(|n| TargetSpec {
                    name: n.into(),
                    kinds: kinds.iter().map(ToString::to_string).collect(),
                })
                .collect(),
            menu,
        }
    }

    /// Adds `kinds` to the targets named `names` (created if missing).
    #[must_use]
    pub fn allow<N: AsRef<str>>(
        mut self,
        names: impl IntoIterator<Item = N>,
        kinds: &[&str],
    ) -> Self {
        for n in names {
            let n = n.as_ref();
            let i = if let Some(i) = self.targets.iter().position(|t| t.name == n) {
                i
            } else {
                self.targets.push(TargetSpec {
                    name: n.to_string(),
                    kinds: Vec::new(),
                });
                self.targets.len() - 1
            };
            for k in kinds {
                if !self.targets[i].kinds.iter().any(|x| x == k) {
                    self.targets[i].kinds.push((*k).to_string());
                }
            }
        }
        self
    }

    /// The target called `name`.
    #[must_use]
    pub fn target(&self, name: &str) -> Option<&TargetSpec> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// Every kind name some target accepts, in first-seen order.
    #[must_use]
    pub fn kinds(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for k in self.targets.iter().flat_map(|t| t.kinds.iter()) {
            if !out.contains(&k.as_str()) {
                out.push(k);
            }
        }
        out
    }

    /// Whether the world accepts `fault`: its target exists and takes its kind.
    pub fn check(&self, fault: &Fault) -> Result<(), CommandError> {
        let kind = fault.kind.name();
        if !self.kinds().contains(&kind) {
            return Err(CommandError::UnsupportedFault(kind.to_string()));
        }
        let Some(t) = self.target(&fault.target) else {
            return Err(CommandError::UnknownTarget {
                name: fault.target.clone(),
                expected: self
                    .targets
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if t.kinds.iter().any(|k| k == kind) {
            return Ok(());
        }
        let takers: Vec<&str> = self
            .targets
            .iter()
            .filter(|t| t.kinds.iter().any(|k| k == kind))
            .map(|t| t.name.as_str())
            .collect();
        Err(CommandError::UnsupportedFaultOn {
            kind: kind.to_string(),
            target: t.name.clone(),
            expected: takers.join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::fault::FaultKind;

    #[test]
    fn refuses_unknown_targets_and_kinds_by_name() {
        let c = FaultCatalog::uniform(["all", "server-1"], &["kill", "slowdown"], Vec::new())
            .allow(["all"], &["capacity-drop"]);
        let f = |kind, target: &str| Fault {
            kind,
            target: target.into(),
            duration_s: None,
        };
        assert!(
            c.check(&f(FaultKind::Slowdown { factor: 0.5 }, "server-1"))
                .is_ok()
        );
        let e = c
            .check(&f(FaultKind::Blackhole, "all"))
            .expect_err("refused");
        assert!(e.to_string().contains("`blackhole`"), "{e}");
        let e = c
            .check(&f(FaultKind::Partition, "server-9"))
            .expect_err("refused");
        assert!(
            e.to_string().contains("unsupported") || e.to_string().contains("`partition`"),
            "{e}"
        );
        let e = c
            .check(&f(FaultKind::Slowdown { factor: 0.5 }, "server-9"))
            .expect_err("refused");
        assert!(e.to_string().contains("server-9"), "{e}");
        let e = c
            .check(&f(FaultKind::CapacityDrop { fraction: 0.5 }, "server-1"))
            .expect_err("refused");
        assert!(e.to_string().contains("only on: all"), "{e}");
    }
}
