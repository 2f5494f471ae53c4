//! What the traffic world lets a user do, from its parameters alone: the
//! routing policies, no switches, and its faults: each road and `all`
//! with the kinds [`Traffic`](super::Traffic)'s `apply` gives a meaning to
//! there, and the fault menu.

use super::TrafficParams;
use super::faults::INFO_BLACKOUT;
use super::policy::POLICIES;
use crate::fault::{FaultCatalog, FaultKind, FaultTemplate};
use crate::sim::Catalog;

/// Kinds every road (and `all`) takes, in menu order: these before the
/// blackout and the monsoon, …
const ROAD_KINDS: &[&str] = &["accident", "partition", "signal-failure"];
/// … and these after.
const MORE_ROAD_KINDS: &[&str] = &["capacity-drop", "slowdown", "latency"];

/// The world's catalog (the model keeps the same one, built by this).
#[must_use]
pub fn catalog(p: &TrafficParams) -> Catalog {
    let targets: Vec<&str> = p
        .roads
        .iter()
        .map(|r| r.name.as_str())
        .chain(["all"])
        .collect();
    let mut faults = FaultCatalog::uniform(targets.iter().copied(), ROAD_KINDS, menu(p))
        .allow(["all"], &[INFO_BLACKOUT]);
    if !p.weather.is_empty() {
        faults = faults.allow(&targets, &["monsoon"]);
    }
    let faults = faults.allow(&targets, MORE_ROAD_KINDS);
    Catalog {
        policies: POLICIES.iter().map(ToString::to_string).collect(),
        other_policies: Vec::new(),
        toggles: Vec::new(),
        faults,
    }
}

fn world(name: &str, strength: f64) -> FaultKind {
    FaultKind::World {
        name: name.into(),
        strength,
    }
}

/// The fault menu; the monsoon only when the scenario has a weather table.
fn menu(p: &TrafficParams) -> Vec<FaultTemplate> {
    let roads: Vec<String> = p.roads.iter().map(|r| r.name.clone()).collect();
    let mut all_first = vec!["all".to_string()];
    all_first.extend(roads.iter().cloned());
    let mut roads_all = roads;
    roads_all.push("all".to_string());
    let lost = "capacity lost";
    let mut menu = vec![
        FaultTemplate::new(
            "accident (capacity −50 %)",
            world("accident", 0.5),
            roads_all.clone(),
        )
        .strength(lost, 0.1, 1.0, 0.1)
        .lasting(1800.0),
        FaultTemplate::new("road closure", FaultKind::Partition, roads_all.clone()).lasting(1800.0),
        FaultTemplate::new(
            "signal failure (capacity −30 %)",
            world("signal-failure", 0.3),
            roads_all.clone(),
        )
        .strength(lost, 0.1, 1.0, 0.1)
        .lasting(1200.0),
        FaultTemplate::new(
            "live-information blackout",
            world(INFO_BLACKOUT, 1.0),
            ["all"],
        )
        .lasting(1800.0),
    ];
    if !p.weather.is_empty() {
        menu.push(
            FaultTemplate::new(
                "monsoon (weather from the table)",
                world("monsoon", 1.0),
                all_first,
            )
            .strength("delay ×", 0.5, 3.0, 0.5)
            .lasting(3600.0),
        );
    }
    menu.extend([
        FaultTemplate::new(
            "lane closed (capacity drop)",
            FaultKind::CapacityDrop { fraction: 0.33 },
            roads_all.clone(),
        )
        .strength(lost, 0.1, 1.0, 0.1)
        .lasting(1800.0),
        FaultTemplate::new(
            "slow traffic (speed and capacity ×)",
            FaultKind::Slowdown { factor: 0.7 },
            roads_all.clone(),
        )
        .strength("speed ×", 0.1, 1.0, 0.1)
        .lasting(1800.0),
        FaultTemplate::new(
            "extra minutes per car",
            FaultKind::Latency {
                ms: 300_000.0,
                jitter_ms: 60_000.0,
            },
            roads_all,
        )
        .strength("ms added", 60_000.0, 1_800_000.0, 60_000.0)
        .lasting(1800.0),
    ]);
    menu
}
