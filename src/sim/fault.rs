//! Faults, in one place: the vocabulary (what can be broken, where, how
//! hard and for how long), the [`book`] that combines the faults in force
//! into one [`Effect`] per unit (the only place faults are combined, so a
//! fault means the same in every world), and each world's [`catalog`] of
//! targets and the kinds they accept. Faults come from a scenario's
//! timeline or live from the keyboard.

pub mod book;
pub mod catalog;

use serde::{Deserialize, Serialize};
use std::fmt;

pub use book::{Effect, FaultBook, Target};
pub use catalog::{FaultCatalog, TargetSpec};

/// Why a fault's numbers were refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FaultError {
    #[error("restart_after_s must be ≥ 0, got {0}")]
    RestartAfter(f64),
    #[error("latency ms and jitter_ms must be ≥ 0, got {ms} ± {jitter_ms}")]
    Latency { ms: f64, jitter_ms: f64 },
    #[error("slowdown factor must be > 0, got {0}")]
    Slowdown(f64),
    #[error("{what} must be between 0 and 1, got {value}")]
    OutsideUnit { what: &'static str, value: f64 },
    #[error("strength must be ≥ 0, got {0}")]
    Strength(f64),
}

/// What a fault does. The shared kinds apply to every world's servers or
/// routes; `World` names a fault of one world's own (e.g. `bot-wave`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FaultKind {
    /// Crash the target; it restarts after `restart_after_s` (never when `None`).
    Kill {
        #[serde(default)]
        restart_after_s: Option<f64>,
    },
    /// Add latency to every request the target handles, uniformly ± jitter.
    Latency {
        ms: f64,
        #[serde(default)]
        jitter_ms: f64,
    },
    /// Service rate × `factor` (0 < factor ≤ 1 slows down).
    Slowdown { factor: f64 },
    /// Remove `fraction` (0–1) of the target's capacity.
    CapacityDrop { fraction: f64 },
    /// Requests fail fast with probability `p`.
    ErrorRate { p: f64 },
    /// The target is unreachable: requests to it fail at once.
    Partition,
    /// Requests to the target hang until the client gives up.
    Blackhole,
    /// A fault of the world's own, by name, with a strength whose meaning the
    /// world documents (e.g. `bot-wave` × N).
    World {
        name: String,
        #[serde(default = "one")]
        strength: f64,
    },
}

fn one() -> f64 {
    1.0
}

impl FaultKind {
    /// A short human name (`kill`, `latency`, …, or the world fault's name).
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            FaultKind::Kill { .. } => "kill",
            FaultKind::Latency { .. } => "latency",
            FaultKind::Slowdown { .. } => "slowdown",
            FaultKind::CapacityDrop { .. } => "capacity-drop",
            FaultKind::ErrorRate { .. } => "error-rate",
            FaultKind::Partition => "partition",
            FaultKind::Blackhole => "blackhole",
            FaultKind::World { name, .. } => name,
        }
    }

    /// The kind called `name` (see [`FaultKind::name`]) at a typical
    /// strength: a 30 s crash, +500 ms, half speed, half the capacity, one
    /// in five failing; any other name is a world fault of strength 1.
    #[must_use]
    pub fn named(name: &str) -> FaultKind {
        match name {
            "kill" => FaultKind::Kill {
                restart_after_s: Some(30.0),
            },
            "latency" => FaultKind::Latency {
                ms: 500.0,
                jitter_ms: 100.0,
            },
            "slowdown" => FaultKind::Slowdown { factor: 0.5 },
            "capacity-drop" => FaultKind::CapacityDrop { fraction: 0.5 },
            "error-rate" => FaultKind::ErrorRate { p: 0.2 },
            "partition" => FaultKind::Partition,
            "blackhole" => FaultKind::Blackhole,
            other => FaultKind::World {
                name: other.to_string(),
                strength: 1.0,
            },
        }
    }

    /// The adjustable strength of this kind, if it has one.
    #[must_use]
    pub fn strength(&self) -> Option<f64> {
        match self {
            FaultKind::Kill { restart_after_s } => *restart_after_s,
            FaultKind::Latency { ms, .. } => Some(*ms),
            FaultKind::Slowdown { factor } => Some(*factor),
            FaultKind::CapacityDrop { fraction } => Some(*fraction),
            FaultKind::ErrorRate { p } => Some(*p),
            FaultKind::Partition | FaultKind::Blackhole => None,
            FaultKind::World { strength, .. } => Some(*strength),
        }
    }

    /// The same kind with its strength set to `v`.
    #[must_use]
    pub fn with_strength(&self, v: f64) -> FaultKind {
        let mut k = self.clone();
        match &mut k {
            FaultKind::Kill { restart_after_s } => *restart_after_s = Some(v),
            FaultKind::Latency { ms, jitter_ms } => {
                *ms = v;
                *jitter_ms = v / 4.0;
            }
            FaultKind::Slowdown { factor } => *factor = v,
            FaultKind::CapacityDrop { fraction } => *fraction = v,
            FaultKind::ErrorRate { p } => *p = v,
            FaultKind::Partition | FaultKind::Blackhole => {}
            FaultKind::World { strength, .. } => *strength = v,
        }
        k
    }

    /// Checks the numbers; returns what is wrong.
    pub fn validate(&self) -> Result<(), FaultError> {
        let in01 = |what: &'static str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(FaultError::OutsideUnit { what, value })
            }
        };
        match self {
            FaultKind::Kill {
                restart_after_s: Some(s),
            } if !(s.is_finite() && *s >= 0.0) => Err(FaultError::RestartAfter(*s)),
            FaultKind::Latency { ms, jitter_ms } => {
                if ms.is_finite() && *ms >= 0.0 && jitter_ms.is_finite() && *jitter_ms >= 0.0 {
                    Ok(())
                } else {
                    Err(FaultError::Latency {
                        ms: *ms,
                        jitter_ms: *jitter_ms,
                    })
                }
            }
            FaultKind::Slowdown { factor } if !(factor.is_finite() && *factor > 0.0) => {
                Err(FaultError::Slowdown(*factor))
            }
            FaultKind::CapacityDrop { fraction } => in01("capacity-drop fraction", *fraction),
            FaultKind::ErrorRate { p } => in01("error-rate p", *p),
            FaultKind::World { strength, .. } if !(strength.is_finite() && *strength >= 0.0) => {
                Err(FaultError::Strength(*strength))
            }
            _ => Ok(()),
        }
    }
}

/// A fault aimed at a target (a server, route or block name the world
/// lists, or `all`), optionally for a limited time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    #[serde(default = "all")]
    pub target: String,
    /// Cleared automatically after this many simulated seconds.
    #[serde(default)]
    pub duration_s: Option<f64>,
}

fn all() -> String {
    "all".to_string()
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.kind.name(), self.target)?;
        match &self.kind {
            FaultKind::Kill {
                restart_after_s: Some(s),
            } => write!(f, " (restart after {s} s)")?,
            FaultKind::Latency { ms, jitter_ms } => write!(f, " (+{ms} ms ± {jitter_ms})")?,
            FaultKind::Slowdown { factor } => write!(f, " (rate ×{factor})")?,
            FaultKind::CapacityDrop { fraction } => write!(f, " (−{:.0} %)", fraction * 100.0)?,
            FaultKind::ErrorRate { p } => write!(f, " (p = {p})")?,
            FaultKind::World { strength, .. } => write!(f, " (×{strength})")?,
            _ => {}
        }
        if let Some(d) = self.duration_s {
            write!(f, " for {d} s")?;
        }
        Ok(())
    }
}

/// How the user sets a fault's strength in the fault menu.
#[derive(Clone, Debug, PartialEq)]
pub struct StrengthSpec {
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

/// One line of a world's fault menu.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultTemplate {
    /// What the menu shows, e.g. "kill server".
    pub label: String,
    /// The kind with its default strength.
    pub kind: FaultKind,
    /// Targets to choose from (first is the default).
    pub targets: Vec<String>,
    /// How the strength is adjusted, if it can be.
    pub strength: Option<StrengthSpec>,
    /// Default duration in simulated seconds (`None`: until cleared).
    pub duration_s: Option<f64>,
}

impl FaultTemplate {
    /// A menu line: `label`, the fault with its default strength, and the
    /// targets to choose from (the first is the default); no adjustable
    /// strength and no time limit until [`strength`](Self::strength) and
    /// [`lasting`](Self::lasting) say otherwise.
    #[must_use]
    pub fn new<T: Into<String>>(
        label: impl Into<String>,
        kind: FaultKind,
        targets: impl IntoIterator<Item = T>,
    ) -> Self {
        FaultTemplate {
            label: label.into(),
            kind,
            targets: targets.into_iter().map(Into::into).collect(),
            strength: None,
            duration_s: None,
        }
    }

    /// The strength is adjustable from `min` to `max` by `step`.
    #[must_use]
    pub fn strength(mut self, label: &'static str, min: f64, max: f64, step: f64) -> Self {
        self.strength = Some(StrengthSpec {
            label,
            min,
            max,
            step,
        });
        self
    }

    /// The fault clears itself after `seconds` of simulated time.
    #[must_use]
    pub fn lasting(mut self, seconds: f64) -> Self {
        self.duration_s = Some(seconds);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_from_ron_with_defaults() {
        let f: Fault = ron::from_str("(kind: Slowdown(factor: 0.5), duration_s: Some(30))")
            .expect("valid fault");
        assert_eq!(f.target, "all");
        assert_eq!(f.to_string(), "slowdown on all (rate ×0.5) for 30 s");
        assert!(FaultKind::ErrorRate { p: 1.5 }.validate().is_err());
        assert_eq!(
            FaultKind::ErrorRate { p: 0.1 }.with_strength(0.3),
            FaultKind::ErrorRate { p: 0.3 }
        );
    }
}
