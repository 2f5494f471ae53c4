//! What the Tatkal world offers a user, known from its parameters alone:
//! the admission policies (`p`), the balancing policies also accepted by
//! `--policy` and a timeline's `Policy`, the switches, and the faults —
//! every booking engine (`engine-1` … `engine-N`) and `all` take the
//! shared kinds, `payment` takes latency, slowdown and error-rate, `db`
//! latency and slowdown, and `bot-wave` (on `all`) multiplies the bots.
//! The world keeps the catalog it was built with and checks every fault
//! against it, so what the catalog accepts is exactly what `apply` gives a
//! meaning to.

use super::{ADMISSION_POLICIES, BALANCING_POLICIES, TatkalParams};
use crate::fault::{FaultCatalog, FaultKind, FaultTemplate};
use crate::sim::Catalog;
use crate::sim::world::ToggleSpec;

/// Fault kinds a booking engine (or `all` of them) accepts.
pub const ENGINE_KINDS: &[&str] = &[
    "kill",
    "latency",
    "slowdown",
    "capacity-drop",
    "error-rate",
    "partition",
    "blackhole",
];
/// Fault kinds the payment gateway accepts.
pub const PAYMENT_KINDS: &[&str] = &["latency", "slowdown", "error-rate"];
/// Fault kinds the database accepts.
pub const DB_KINDS: &[&str] = &["latency", "slowdown"];
/// The world's own fault: `strength` times the bots while it lasts.
pub const BOT_WAVE: &str = "bot-wave";

/// The switches, with what turning each on does.
pub const TOGGLES: &[(&str, &str)] = &[
    (
        "waiting_room",
        "a virtual waiting room admits users at the rate the engines can serve",
    ),
    (
        "parallel_pipeline",
        "availability, user check and payment prep run in parallel",
    ),
    (
        "prewarm_cache",
        "caches are warm at 10:00 (no cold-start slowdown)",
    ),
    (
        "risk_captcha",
        "a CAPTCHA by risk score, once per session (off: before every step)",
    ),
    (
        "adaptive_admission",
        "the admission rate follows the measured engine load",
    ),
];

/// `engine-1` … `engine-n`.
#[must_use]
pub fn engine_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("engine-{i}")).collect()
}

/// The catalog of a world built from `p`.
#[must_use]
pub fn catalog(p: &TatkalParams) -> Catalog {
    let n = p.scaled().engines() as usize;
    let engines = engine_names(n);
    let faults = FaultCatalog::uniform(
        engines
            .iter()
            .cloned()
            .chain(std::iter::once("all".to_string())),
        ENGINE_KINDS,
        fault_menu(&engines),
    )
    .allow(["all"], &[BOT_WAVE])
    .allow(["payment"], PAYMENT_KINDS)
    .allow(["db"], DB_KINDS);
    Catalog {
        policies: ADMISSION_POLICIES.iter().map(ToString::to_string).collect(),
        other_policies: BALANCING_POLICIES
            .iter()
            .map(|b| b.name().to_string())
            .collect(),
        toggles: TOGGLES
            .iter()
            .map(|(name, about)| ToggleSpec::new(name, about))
            .collect(),
        faults,
    }
}

/// The fault menu, over the engines named `engine_names`.
fn fault_menu(engine_names: &[String]) -> Vec<FaultTemplate> {
    let mut engines = engine_names.to_vec();
    engines.push("all".into());
    vec![
        FaultTemplate::new(
            "kill booking engine",
            FaultKind::Kill {
                restart_after_s: Some(120.0),
            },
            engines.clone(),
        )
        .strength("restart after s", 10.0, 600.0, 10.0),
        FaultTemplate::new(
            "slow payment gateway",
            FaultKind::Slowdown { factor: 0.3 },
            ["payment"],
        )
        .strength("rate ×", 0.05, 1.0, 0.05)
        .lasting(120.0),
        FaultTemplate::new(
            "database latency",
            FaultKind::Latency {
                ms: 2000.0,
                jitter_ms: 500.0,
            },
            ["db"],
        )
        .strength("ms", 100.0, 20_000.0, 100.0)
        .lasting(120.0),
        FaultTemplate::new(
            "bot wave",
            FaultKind::World {
                name: "bot-wave".into(),
                strength: 5.0,
            },
            ["all"],
        )
        .strength("× bots", 1.0, 50.0, 1.0)
        .lasting(60.0),
        FaultTemplate::new(
            "engine errors",
            FaultKind::ErrorRate { p: 0.3 },
            engines.clone(),
        )
        .strength("p", 0.05, 1.0, 0.05)
        .lasting(120.0),
        FaultTemplate::new(
            "payment failures",
            FaultKind::ErrorRate { p: 0.3 },
            ["payment"],
        )
        .strength("p", 0.05, 1.0, 0.05)
        .lasting(120.0),
        FaultTemplate::new("partition engine", FaultKind::Partition, engines.clone())
            .lasting(120.0),
        FaultTemplate::new("blackhole engine", FaultKind::Blackhole, engines.clone())
            .lasting(120.0),
        FaultTemplate::new(
            "engine capacity drop",
            FaultKind::CapacityDrop { fraction: 0.5 },
            engines,
        )
        .strength("fraction", 0.1, 0.9, 0.1)
        .lasting(120.0),
    ]
}
