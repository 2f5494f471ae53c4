//! What the IPL world offers a user, from its parameters alone (nothing is
//! built): the autoscaling policies `p` cycles through, the balancing
//! policies also accepted, the playbook switches, and the fault targets
//! with the kinds each gives a meaning to:
//!
//! | target | kinds |
//! |---|---|
//! | `all` (every app server), `app-1` … `app-<app_servers_max>` | `kill`, `partition`, `latency`, `slowdown`, `error-rate` |
//! | `all`, `region` | `power-loss` (strength: share of the region's capacity lost) |
//! | `db` | `kill`, `partition`, `latency`, `slowdown`, `capacity-drop` (of the pool) |
//! | `payment` | `latency`, `error-rate` |
//! | `kitchens` | `kill`, `partition`, `slowdown`, `capacity-drop` (of the slots) |
//! | `kitchen-cluster-1` … | `kill`, `partition` |
//! | `partners` | `capacity-drop` (a strike) |
//!
//! `kill` and `partition` both take a unit out (nothing reaches it);
//! `blackhole` is not modelled and is refused by name. A fault on a server
//! autoscaling has not added yet holds on it from the moment it is added.

use super::model::POWER_LOSS;
use super::{Autoscaling, IplParams};
use crate::fault::{FaultCatalog, FaultKind, FaultTemplate};
use crate::policy::Policy;
use crate::sim::Catalog;
use crate::sim::world::ToggleSpec;

/// Kinds an app server (and `all`) gives a meaning to.
const APP_KINDS: [&str; 5] = ["kill", "partition", "latency", "slowdown", "error-rate"];

/// The playbook switches, in the dashboard's order, with what turning each
/// on does.
pub(super) const TOGGLES: [(&str, &str); 6] = [
    (
        "idempotency",
        "repeated taps carry the first order's key and merge into it",
    ),
    (
        "shedding",
        "decline orders whose ETA or distance is over the limit at the door",
    ),
    (
        "eta_messages",
        "tell waiting customers an honest ETA: fewer retries, some cancel",
    ),
    (
        "incentives",
        "pay partners to come back online (faster return, no churn)",
    ),
    ("batching", "a rider carries up to batch_size orders a trip"),
    (
        "breaker",
        "a circuit breaker in front of the database fails fast when it is sick",
    ),
];

/// The catalog of a world built from `p`.
#[must_use]
pub fn catalog(p: &IplParams) -> Catalog {
    let apps = |n: u32| (1..=n).map(|k| format!("app-{k}"));
    let clusters: Vec<String> = (1..=p.kitchen_clusters)
        .map(|k| format!("kitchen-cluster-{k}"))
        .collect();
    let faults = FaultCatalog::uniform(
        std::iter::once("all".to_string()).chain(apps(p.app_servers_max)),
        &APP_KINDS,
        menu(p),
    )
    .allow(["all", "region"], &[POWER_LOSS])
    .allow(
        ["db"],
        &["kill", "partition", "latency", "slowdown", "capacity-drop"],
    )
    .allow(["payment"], &["latency", "error-rate"])
    .allow(
        ["kitchens"],
        &["kill", "partition", "slowdown", "capacity-drop"],
    )
    .allow(&clusters, &["kill", "partition"])
    .allow(["partners"], &["capacity-drop"]);
    let policies: Vec<String> = Autoscaling::ALL
        .iter()
        .map(|a| a.name().to_string())
        .collect();
    let other_policies = Policy::ALL
        .iter()
        .map(|b| b.name().to_string())
        .filter(|b| !policies.contains(b))
        .collect();
    Catalog {
        policies,
        other_policies,
        toggles: TOGGLES
            .iter()
            .map(|(name, about)| ToggleSpec::new(name, about))
            .collect(),
        faults,
    }
}

/// The fault menu: the servers a world starts with, then `all`.
fn menu(p: &IplParams) -> Vec<FaultTemplate> {
    let mut app_targets: Vec<String> = (1..=p.app_servers).map(|k| format!("app-{k}")).collect();
    app_targets.push("all".into());
    let mut kitchens: Vec<String> = (1..=p.kitchen_clusters)
        .map(|k| format!("kitchen-cluster-{k}"))
        .collect();
    kitchens.push("kitchens".into());
    vec![
        FaultTemplate::new(
            "kill app server",
            FaultKind::Kill {
                restart_after_s: Some(120.0),
            },
            app_targets.clone(),
        )
        .strength("restart after s", 10.0, 3600.0, 30.0),
        FaultTemplate::new(
            "kill kitchen cluster",
            FaultKind::Kill {
                restart_after_s: None,
            },
            kitchens,
        )
        .lasting(900.0),
        FaultTemplate::new(
            "database latency",
            FaultKind::Latency {
                ms: 1500.0,
                jitter_ms: 0.0,
            },
            ["db"],
        )
        .strength("ms", 100.0, 10_000.0, 250.0)
        .lasting(600.0),
        FaultTemplate::new(
            "partner strike",
            FaultKind::CapacityDrop { fraction: 0.3 },
            ["partners"],
        )
        .strength("fraction", 0.05, 0.9, 0.05)
        .lasting(1800.0),
        FaultTemplate::new(
            "payment errors",
            FaultKind::ErrorRate { p: 0.2 },
            ["payment"],
        )
        .strength("p", 0.05, 1.0, 0.05)
        .lasting(300.0),
        FaultTemplate::new(
            "regional power loss",
            FaultKind::World {
                name: POWER_LOSS.into(),
                strength: 1.0,
            },
            ["region"],
        )
        .strength("fraction lost", 0.1, 1.0, 0.1)
        .lasting(600.0),
        FaultTemplate::new(
            "slow app servers",
            FaultKind::Slowdown { factor: 0.5 },
            app_targets.clone(),
        )
        .strength("rate ×", 0.1, 1.0, 0.1)
        .lasting(300.0),
        FaultTemplate::new("slow database", FaultKind::Slowdown { factor: 0.5 }, ["db"])
            .strength("rate ×", 0.1, 1.0, 0.1)
            .lasting(300.0),
        FaultTemplate::new("partition app server", FaultKind::Partition, app_targets)
            .lasting(120.0),
        FaultTemplate::new(
            "shrink DB pool",
            FaultKind::CapacityDrop { fraction: 0.5 },
            ["db"],
        )
        .strength("fraction", 0.1, 0.9, 0.1)
        .lasting(600.0),
    ]
}
