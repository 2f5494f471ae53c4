//! The platform world's parameters (deserialised from a scenario's RON;
//! the field names are the CLI's `--set` keys), their validation, and
//! what a platform built from them offers a user: its [`catalog`] of
//! policies and faults, known without building the world.

use serde::{Deserialize, Serialize};

use super::model::{Overflow, Platform};
use crate::fault::{FaultCatalog, FaultKind, FaultTemplate, TargetSpec};
use crate::sim::{Catalog, Runtime, World};
use crate::world::{BuildError, ParamIssue, WorldParams};

/// How passengers leave the platform (the mean boarding time is 1/μ).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Service {
    /// Exponential boarding times: the textbook M/M/c/K.
    #[default]
    Exponential,
    /// Always exactly 1/μ.
    Deterministic,
    /// Erlang-k: sum of k exponential phases (less variable as k grows).
    Erlang { k: u32 },
    /// Lognormal with coefficient of variation `cv`.
    Lognormal { cv: f64 },
    /// A train every `headway_s` per track, carrying up to `train_capacity`.
    Trains { headway_s: f64, train_capacity: u32 },
}

/// Parameters of the platform world (RON names are the CLI `--set` keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformParams {
    /// λ: passengers arriving per minute.
    #[serde(default = "d_lambda")]
    pub arrival_rate_per_min: f64,
    /// μ: passengers one server boards per minute.
    #[serde(default = "d_mu")]
    pub service_rate_per_min: f64,
    /// c: parallel servers (tracks in train mode).
    #[serde(default = "d_servers")]
    pub servers: u32,
    /// K: most people on the platform, including those boarding.
    #[serde(default = "d_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub service: Service,
    /// Most people waiting at the station entrance (policy `entrance`).
    #[serde(default = "d_entrance")]
    pub entrance_capacity: u32,
    /// Seconds between samples of the rolling series.
    #[serde(default = "d_sample")]
    pub sample_every_s: f64,
}

fn d_lambda() -> f64 {
    200.0
}
fn d_mu() -> f64 {
    250.0
}
fn d_servers() -> u32 {
    1
}
fn d_capacity() -> u32 {
    500
}
fn d_entrance() -> u32 {
    2000
}
fn d_sample() -> f64 {
    1.0
}

impl Default for PlatformParams {
    fn default() -> Self {
        PlatformParams {
            arrival_rate_per_min: d_lambda(),
            service_rate_per_min: d_mu(),
            servers: d_servers(),
            capacity: d_capacity(),
            service: Service::default(),
            entrance_capacity: d_entrance(),
            sample_every_s: d_sample(),
        }
    }
}

/// Caps that keep a shared file from asking for unbounded work or memory.
pub const MAX_RATE_PER_MIN: f64 = 1.0e8;
pub const MAX_SERVERS: u32 = 10_000;
pub const MAX_CAPACITY: u32 = 10_000_000;
/// Longest train headway (a day).
pub const MAX_HEADWAY_S: f64 = 86_400.0;

impl PlatformParams {
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        let mut out = Vec::new();
        let rate_ok = |v: f64| v.is_finite() && (0.0..=MAX_RATE_PER_MIN).contains(&v);
        if !rate_ok(self.arrival_rate_per_min) {
            out.push(ParamIssue::new(
                "arrival_rate_per_min",
                format!(
                    "arrival_rate_per_min must be between 0 and {MAX_RATE_PER_MIN}, got {}",
                    self.arrival_rate_per_min
                ),
            ));
        }
        if !(rate_ok(self.service_rate_per_min) && self.service_rate_per_min > 0.0) {
            out.push(ParamIssue::new(
                "service_rate_per_min",
                format!(
                    "service_rate_per_min must be > 0 and ≤ {MAX_RATE_PER_MIN}, got {}",
                    self.service_rate_per_min
                ),
            ));
        }
        if self.servers == 0 || self.servers > MAX_SERVERS {
            out.push(ParamIssue::new(
                "servers",
                format!(
                    "servers must be between 1 and {MAX_SERVERS}, got {}",
                    self.servers
                ),
            ));
        }
        if self.capacity > MAX_CAPACITY {
            out.push(ParamIssue::new(
                "capacity",
                format!("capacity must be ≤ {MAX_CAPACITY}, got {}", self.capacity),
            ));
        } else if self.capacity < self.servers {
            out.push(ParamIssue::new(
                "capacity",
                format!(
                    "capacity ({}) must be ≥ servers ({}): K counts those being served",
                    self.capacity, self.servers
                ),
            ));
        }
        if self.entrance_capacity > MAX_CAPACITY {
            out.push(ParamIssue::new(
                "entrance_capacity",
                format!(
                    "entrance_capacity must be ≤ {MAX_CAPACITY}, got {}",
                    self.entrance_capacity
                ),
            ));
        }
        match self.service {
            Service::Erlang { k } if k == 0 || k > 1000 => out.push(ParamIssue::new(
                "service",
                format!("Erlang k must be between 1 and 1000, got {k}"),
            )),
            Service::Lognormal { cv } if !(cv.is_finite() && cv > 0.0 && cv <= 100.0) => {
                out.push(ParamIssue::new(
                    "service",
                    format!("Lognormal cv must be > 0 and ≤ 100, got {cv}"),
                ));
            }
            Service::Trains {
                headway_s,
                train_capacity,
            } => {
                if !(headway_s.is_finite() && (1.0..=MAX_HEADWAY_S).contains(&headway_s)) {
                    out.push(ParamIssue::new(
                        "headway_s",
                        format!(
                            "headway_s must be between 1 and {MAX_HEADWAY_S} seconds, got {headway_s}"
                        ),
                    ));
                }
                if train_capacity == 0 || train_capacity > MAX_CAPACITY {
                    out.push(ParamIssue::new(
                        "train_capacity",
                        format!(
                            "train_capacity must be between 1 and {MAX_CAPACITY}, got {train_capacity}"
                        ),
                    ));
                }
            }
            _ => {}
        }
        if !(self.sample_every_s.is_finite() && (0.001..=86_400.0).contains(&self.sample_every_s)) {
            out.push(ParamIssue::new(
                "sample_every_s",
                format!(
                    "sample_every_s must be between 0.001 and 86400, got {}",
                    self.sample_every_s
                ),
            ));
        }
        out
    }
}

/// The overflow policies, in the `p` key's order, with their names.
pub(super) const POLICIES: [(&str, Overflow); 2] =
    [("leave", Overflow::Leave), ("entrance", Overflow::Entrance)];

/// Unit names offered as fault targets in the menu (all are accepted).
const MENU_TARGETS: usize = 16;

/// Fault kinds a server or a track gives a meaning to (one unit, or every
/// unit through `all`), in the menu's order.
pub(super) const UNIT_FAULTS: [&str; 5] =
    ["kill", "slowdown", "latency", "error-rate", "partition"];

/// Fault kinds that act on the platform as a whole (target `all` only).
pub(super) const PLATFORM_FAULTS: [&str; 1] = ["capacity-drop"];

/// The units' names: `server-1` … `server-c`, or `track-1` … in train mode.
pub(super) fn unit_names(p: &PlatformParams) -> Vec<String> {
    let unit = match p.service {
        Service::Trains { .. } => "track",
        Service::Exponential
        | Service::Deterministic
        | Service::Erlang { .. }
        | Service::Lognormal { .. } => "server",
    };
    (1..=p.servers).map(|i| format!("{unit}-{i}")).collect()
}

/// The fault menu: `all` and the first [`MENU_TARGETS`] units as targets.
fn fault_menu(p: &PlatformParams, units: &[String]) -> Vec<FaultTemplate> {
    let targets: Vec<String> = std::iter::once("all".to_string())
        .chain(units.iter().take(MENU_TARGETS).cloned())
        .collect();
    let trains = matches!(p.service, Service::Trains { .. });
    vec![
        FaultTemplate::new(
            if trains {
                "cancel trains"
            } else {
                "stop boarding"
            },
            FaultKind::Kill {
                restart_after_s: Some(120.0),
            },
            targets.clone(),
        )
        .strength("back after s", 10.0, 1800.0, 10.0),
        FaultTemplate::new(
            "slow trains",
            FaultKind::Slowdown { factor: 0.5 },
            targets.clone(),
        )
        .strength("rate ×", 0.1, 1.0, 0.1)
        .lasting(300.0),
        FaultTemplate::new(
            "trains late",
            FaultKind::Latency {
                ms: 60_000.0,
                jitter_ms: 15_000.0,
            },
            targets.clone(),
        )
        .strength("ms late", 1000.0, 600_000.0, 5000.0)
        .lasting(300.0),
        FaultTemplate::new(
            "close part of the platform",
            FaultKind::CapacityDrop { fraction: 0.5 },
            ["all"],
        )
        .strength("fraction", 0.1, 0.9, 0.1)
        .lasting(300.0),
        FaultTemplate::new(
            "passengers give up",
            FaultKind::ErrorRate { p: 0.1 },
            targets.clone(),
        )
        .strength("p", 0.05, 1.0, 0.05)
        .lasting(300.0),
        FaultTemplate::new("close the footbridge", FaultKind::Partition, targets).lasting(120.0),
    ]
}

/// What a platform built from `p` offers: the two overflow policies, no
/// switches, and its faults. Every unit is a target (the menu shows the
/// first `MENU_TARGETS`) taking the `UNIT_FAULTS`; `all` takes those
/// and the `PLATFORM_FAULTS`. `blackhole` and world faults have no
/// meaning on a platform: no target lists them.
#[must_use]
pub fn catalog(p: &PlatformParams) -> Catalog {
    let units = unit_names(p);
    let menu = fault_menu(p, &units);
    let kinds = |names: &[&str]| names.iter().map(ToString::to_string).collect::<Vec<_>>();
    // `all` lists its kinds in the menu's order.
    let mut all_kinds = kinds(&UNIT_FAULTS[..3]);
    all_kinds.extend(kinds(&PLATFORM_FAULTS));
    all_kinds.extend(kinds(&UNIT_FAULTS[3..]));
    let mut targets = Vec::with_capacity(units.len() + 1);
    targets.push(TargetSpec {
        name: "all".to_string(),
        kinds: all_kinds,
    });
    targets.extend(units.into_iter().map(|name| TargetSpec {
        name,
        kinds: kinds(&UNIT_FAULTS),
    }));
    Catalog {
        policies: POLICIES.iter().map(|(n, _)| (*n).to_string()).collect(),
        other_policies: Vec::new(),
        toggles: Vec::new(),
        faults: FaultCatalog { targets, menu },
    }
}

impl WorldParams for PlatformParams {
    fn validate(&self) -> Vec<ParamIssue> {
        PlatformParams::validate(self)
    }

    fn catalog(&self) -> Catalog {
        catalog(self)
    }

    fn build(&self, seed: u64, policy: Option<&str>) -> Result<Box<dyn World>, BuildError> {
        let (mut model, queue) = Platform::new(self.clone(), seed)?;
        if let Some(name) = policy {
            model.set_policy(name)?;
        }
        Ok(Box::new(Runtime::new(model, queue)))
    }

    /// 2.2 events per arrival (arrive and board, with room for chance), one
    /// per sample, two per train; 16 B per place on the platform and at
    /// the entrance.
    fn work(&self, duration_s: f64) -> crate::work::Work {
        let t = duration_s.max(0.0);
        let lambda = self.arrival_rate_per_min.max(0.0) / 60.0;
        let trains = match self.service {
            Service::Trains { headway_s, .. } => {
                2.0 * f64::from(self.servers) * t / headway_s.max(1e-3)
            }
            _ => 0.0,
        };
        crate::work::Work {
            events: 2.2 * lambda * t + t / self.sample_every_s.max(1e-3) + trains,
            bytes: 4.0 * crate::work::MB
                + 16.0 * (f64::from(self.capacity) + f64::from(self.entrance_capacity)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Fault;
    use crate::sim::{Command, EventLog};

    /// One fault of every kind the vocabulary has.
    fn every_kind() -> Vec<FaultKind> {
        vec![
            FaultKind::Kill {
                restart_after_s: Some(30.0),
            },
            FaultKind::Latency {
                ms: 100.0,
                jitter_ms: 10.0,
            },
            FaultKind::Slowdown { factor: 0.5 },
            FaultKind::CapacityDrop { fraction: 0.5 },
            FaultKind::ErrorRate { p: 0.1 },
            FaultKind::Partition,
            FaultKind::Blackhole,
            FaultKind::World {
                name: "bot-wave".into(),
                strength: 1.0,
            },
        ]
    }

    fn both_modes() -> [PlatformParams; 2] {
        let servers = PlatformParams {
            servers: 20,
            capacity: 100,
            ..PlatformParams::default()
        };
        let trains = PlatformParams {
            service: Service::Trains {
                headway_s: 180.0,
                train_capacity: 600,
            },
            ..servers.clone()
        };
        [servers, trains]
    }

    #[test]
    fn the_catalog_lists_every_unit_and_accepts_its_menu() {
        for p in both_modes() {
            let c = catalog(&p);
            assert_eq!(c.policies, ["leave", "entrance"]);
            assert!(c.other_policies.is_empty() && c.toggles.is_empty());
            // `all` and every unit, beyond the menu's 16.
            assert_eq!(c.faults.targets.len(), 21);
            assert_eq!(c.faults.targets[0].name, "all");
            assert!(c.faults.target(&unit_names(&p)[19]).is_some());
            assert!(!c.faults.kinds().contains(&"blackhole"));
            for t in &c.faults.menu {
                assert!(t.targets.len() <= MENU_TARGETS + 1, "{}", t.label);
                for target in &t.targets {
                    let f = Fault {
                        kind: t.kind.clone(),
                        target: target.clone(),
                        duration_s: t.duration_s,
                    };
                    assert_eq!(c.faults.check(&f), Ok(()), "{} on {target}", t.label);
                }
            }
        }
    }

    #[test]
    fn the_world_accepts_exactly_what_its_catalog_accepts() {
        for p in both_modes() {
            let mut w = WorldParams::build(&p, 1, None).expect("valid");
            let mut log = EventLog::default();
            w.advance(crate::sim::SimTime::from_secs(60), u64::MAX, &mut log);
            assert_eq!(*w.catalog(), catalog(&p), "built from the same function");
            let c = catalog(&p);
            let mut targets: Vec<String> =
                c.faults.targets.iter().map(|t| t.name.clone()).collect();
            targets.push("server-99".into());
            let mut id = 0;
            for target in &targets {
                for kind in every_kind() {
                    id += 1;
                    let fault = Fault {
                        kind,
                        target: target.clone(),
                        duration_s: None,
                    };
                    let listed = c.faults.check(&fault);
                    let applied = w.apply(&Command::InjectFault { id, fault }, &mut log);
                    assert_eq!(
                        listed.is_ok(),
                        applied.is_ok(),
                        "{id} on {target}: catalog {listed:?}, world {applied:?}"
                    );
                    w.apply(&Command::ClearFaults, &mut log).expect("clears");
                }
            }
            let refused = w.apply(
                &Command::InjectFault {
                    id: 0,
                    fault: Fault {
                        kind: FaultKind::Blackhole,
                        target: "all".into(),
                        duration_s: None,
                    },
                },
                &mut log,
            );
            let e = refused.expect_err("blackhole is refused");
            assert!(e.to_string().contains("`blackhole`"), "{e}");
        }
    }
}
