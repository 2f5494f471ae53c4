//! Every world, through the one run-time: nothing is lost at any step
//! under random commands drawn from the world's own catalog; what the
//! catalog offers the world accepts, and what it does not offer is refused
//! by name; and a fault kind means the same on a unit in every world that
//! offers it.

use chaoswala::fault::{Fault, FaultKind};
use chaoswala::scenario::{self, BUILTINS, Scenario};
use chaoswala::sim::world::UnitState;
use chaoswala::sim::{Command, CommandError, SimTime, Simulation};
use proptest::prelude::*;

/// A built-in made small enough to step through event by event.
fn small(name: &str) -> Scenario {
    let mut s = scenario::load(name).unwrap().scenario;
    let sets: &[&str] = match s.world.kind() {
        "tatkal" => &["scale=0.002"],
        "ipl-final" => &["volume_scale=0.01"],
        _ => &[],
    };
    let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
    s.apply_sets(&sets).unwrap();
    s
}

#[derive(Clone, Debug)]
enum Step {
    Events(u32),
    Jump(f64),
    /// A catalog target (index, wrapped) and one of its kinds (index, wrapped).
    Inject(usize, usize, Option<f64>),
    Clear(usize),
    ClearAll,
    Policy(usize),
    Toggle(usize, bool),
    Scale(f64),
    Reset,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1u32..300).prop_map(Step::Events),
        3 => (0.0f64..240.0).prop_map(Step::Jump),
        3 => (any::<usize>(), any::<usize>(), proptest::option::of(1.0f64..300.0))
            .prop_map(|(t, k, d)| Step::Inject(t, k, d)),
        1 => any::<usize>().prop_map(Step::Clear),
        1 => Just(Step::ClearAll),
        1 => any::<usize>().prop_map(Step::Policy),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(i, on)| Step::Toggle(i, on)),
        1 => (0.2f64..3.0).prop_map(Step::Scale),
        1 => Just(Step::Reset),
    ]
}

fn balanced(sim: &Simulation, ctx: &str) -> Result<(), TestCaseError> {
    sim.world()
        .ledger()
        .check()
        .map_err(|e| TestCaseError::fail(format!("{ctx}: {e}")))
}

fn play(name: &str, seed: u64, steps: &[Step]) -> Result<(), TestCaseError> {
    let s = small(name);
    let mut sim = s.simulation(Some(seed), None).unwrap();
    let catalog = sim.world().catalog().clone();
    let mut ids: Vec<u64> = Vec::new();
    balanced(&sim, "start")?;
    for st in steps {
        let ctx = format!("{name} seed {seed}: {st:?} at {}", sim.now());
        match st {
            Step::Events(n) => {
                for _ in 0..*n {
                    sim.step();
                    balanced(&sim, &ctx)?;
                }
            }
            Step::Jump(dt) => {
                let t = sim.now() + SimTime::from_secs_f64(*dt);
                sim.run_until(t).unwrap();
                prop_assert_eq!(sim.now(), t);
            }
            Step::Inject(t, k, d) => {
                let targets = &catalog.faults.targets;
                if targets.is_empty() {
                    continue;
                }
                let target = &targets[t % targets.len()];
                if target.kinds.is_empty() {
                    continue;
                }
                let kind = FaultKind::named(&target.kinds[k % target.kinds.len()]);
                let fault = Fault {
                    kind,
                    target: target.name.clone(),
                    duration_s: *d,
                };
                let id = sim.inject(fault.clone()).map_err(|e| {
                    TestCaseError::fail(format!(
                        "{ctx}: catalog offers {fault} but the world refused it: {e}"
                    ))
                })?;
                ids.push(id);
            }
            Step::Clear(i) => {
                if !ids.is_empty() {
                    let id = ids.remove(i % ids.len());
                    sim.apply(Command::ClearFault(id)).unwrap();
                }
            }
            Step::ClearAll => {
                sim.apply(Command::ClearFaults).unwrap();
                ids.clear();
            }
            Step::Policy(i) => {
                let p = catalog.policies[i % catalog.policies.len()].clone();
                sim.apply(Command::SetPolicy(p)).unwrap();
            }
            Step::Toggle(i, on) => {
                if !catalog.toggles.is_empty() {
                    let name = catalog.toggles[i % catalog.toggles.len()].name.clone();
                    sim.apply(Command::Toggle { name, on: *on }).unwrap();
                }
            }
            Step::Scale(f) => {
                // A world may refuse a rate past its caps (scales compound):
                // refused by name, nothing changes.
                if let Err(e) = sim.apply(Command::ScaleArrivals(*f)) {
                    prop_assert!(matches!(e, CommandError::Invalid(_)), "{ctx}: {e}");
                }
            }
            Step::Reset => sim.reset_statistics(),
        }
        balanced(&sim, &ctx)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 28, ..ProptestConfig::default() })]

    #[test]
    fn every_world_keeps_its_books_at_every_step(
        which in 0usize..BUILTINS.len(),
        seed in any::<u64>(),
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        play(BUILTINS[which].name, seed, &steps)?;
    }
}

#[test]
fn each_builtin_keeps_its_books_under_one_of_everything() {
    for b in BUILTINS {
        let steps = [
            Step::Jump(30.0),
            Step::Inject(0, 0, Some(60.0)),
            Step::Inject(1, 1, None),
            Step::Events(200),
            Step::Policy(1),
            Step::Toggle(0, true),
            Step::Scale(1.5),
            Step::Jump(120.0),
            Step::Reset,
            Step::Clear(0),
            Step::Events(200),
            Step::ClearAll,
            Step::Jump(60.0),
        ];
        play(b.name, 7, &steps).unwrap_or_else(|e| panic!("{}: {e}", b.name));
    }
}

#[test]
fn what_the_catalog_does_not_offer_is_refused_by_name() {
    for b in BUILTINS {
        let s = small(b.name);
        let mut sim = s.simulation(None, None).unwrap();
        let e = sim
            .inject(Fault {
                kind: FaultKind::Slowdown { factor: 0.5 },
                target: "no-such-unit".into(),
                duration_s: None,
            })
            .unwrap_err();
        assert!(e.to_string().contains("no-such-unit"), "{}: {e}", b.name);
        let e = sim
            .inject(Fault {
                kind: FaultKind::named("no-such-fault"),
                target: "all".into(),
                duration_s: None,
            })
            .unwrap_err();
        assert!(e.to_string().contains("no-such-fault"), "{}: {e}", b.name);
        let e = sim
            .apply(Command::SetPolicy("no-such-policy".into()))
            .unwrap_err();
        assert!(e.to_string().contains("no-such-policy"), "{}: {e}", b.name);
        assert!(sim.active_faults().is_empty());
    }
}

/// How the dashboard must show a unit under one fault of a shared kind.
fn shown_as(kind: &str) -> Option<UnitState> {
    match kind {
        "kill" | "partition" => Some(UnitState::Down),
        "latency" | "slowdown" | "error-rate" | "capacity-drop" | "blackhole" => {
            Some(UnitState::Degraded)
        }
        _ => None,
    }
}

#[test]
fn a_shared_fault_kind_means_the_same_on_a_unit_in_every_world() {
    let mut seen = std::collections::BTreeMap::<String, Vec<String>>::new();
    for b in BUILTINS {
        let s = small(b.name);
        let probe = s.simulation(None, None).unwrap();
        let catalog = probe.world().catalog().clone();
        let units: Vec<String> = probe
            .snapshot()
            .units
            .iter()
            .map(|u| u.name.clone())
            .collect();
        for target in catalog
            .faults
            .targets
            .iter()
            .filter(|t| units.contains(&t.name))
            .take(2)
        {
            for kind in &target.kinds {
                let Some(expected) = shown_as(kind) else {
                    continue;
                };
                let mut sim = s.simulation(None, None).unwrap();
                sim.run_until(SimTime::from_secs(5)).unwrap();
                let id = sim
                    .inject(Fault {
                        kind: FaultKind::named(kind),
                        target: target.name.clone(),
                        duration_s: None,
                    })
                    .unwrap();
                let state = |sim: &Simulation| {
                    sim.snapshot()
                        .units
                        .iter()
                        .find(|u| u.name == target.name)
                        .map(|u| u.state)
                };
                assert_eq!(
                    state(&sim),
                    Some(expected),
                    "{}: {kind} on {}",
                    b.name,
                    target.name
                );
                sim.apply(Command::ClearFault(id)).unwrap();
                assert_eq!(
                    state(&sim),
                    Some(UnitState::Up),
                    "{}: {kind} on {} cleared",
                    b.name,
                    target.name
                );
                seen.entry(kind.clone())
                    .or_default()
                    .push(b.name.to_string());
            }
        }
    }
    for kind in ["kill", "slowdown", "latency", "error-rate"] {
        let worlds = seen.get(kind).map_or(0, |w| {
            let mut w = w.clone();
            w.dedup();
            w.len()
        });
        assert!(
            worlds >= 2,
            "{kind} is checked on {worlds} world(s): {seen:?}"
        );
    }
}
