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
                expected: summarise(
                    &self
                        .targets
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>(),
                ),
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
            expected: summarise(&takers),
        })
    }
}

/// The name in `names` closest to `found` (Levenshtein distance), for a
/// "did you mean": at most 2 edits away, or a quarter of the name's length
/// for long names; never `found` itself.
#[must_use]
pub fn closest<'a>(found: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|e| (edit_distance(found, e), *e))
        .min()
        .filter(|(d, e)| *d > 0 && *d <= 2.max(e.len() / 4))
        .map(|(_, e)| e)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Names for a message, numbered runs folded: `all, app-1 … app-60, payment`.
#[must_use]
pub fn summarise(names: &[&str]) -> String {
    fn split(name: &str) -> Option<(&str, u64)> {
        let (stem, n) = name.rsplit_once('-')?;
        Some((stem, n.parse().ok()?))
    }
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < names.len() {
        let mut j = i;
        if let Some((stem, first)) = split(names[i]) {
            while j + 1 < names.len()
                && split(names[j + 1])
                    .is_some_and(|(s, n)| s == stem && n == first + (j + 1 - i) as u64)
            {
                j += 1;
            }
        }
        if j >= i + 2 {
            out.push(format!("{} … {}", names[i], names[j]));
        } else {
            out.extend(names[i..=j].iter().map(ToString::to_string));
        }
        i = j + 1;
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::fault::FaultKind;

    #[test]
    fn numbered_runs_fold_in_messages() {
        assert_eq!(
            summarise(&["all", "app-1", "app-2", "app-3", "payment", "db-1", "db-2"]),
            "all, app-1 … app-3, payment, db-1, db-2"
        );
        assert_eq!(summarise(&["x-1", "x-3", "x-4", "x-5"]), "x-1, x-3 … x-5");
    }

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
