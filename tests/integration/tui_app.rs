//! `App::update` and `App::tick`, one action at a time: on the platform
//! world, and on a small world of the test's own that has several
//! policies, accepts faults and has a switch.
#![cfg(feature = "tui")]

use std::time::Duration;

use chaoswala::fault::FaultCatalog;
use chaoswala::fault::{FaultKind, FaultTemplate, StrengthSpec};
use chaoswala::scenario::BUILTINS;
use chaoswala::sim::metrics::Metrics;
use chaoswala::sim::world::ToggleSpec;
use chaoswala::sim::{
    Catalog, Command, CommandError, EventLog, SimTime, Simulation, Snapshot, World,
};
use chaoswala::tui::app::{App, Budget, FaultField, Launch, Meta, Overlay, Panel, SPEEDS, Screen};
use chaoswala::tui::keymap::Action;
use chaoswala::tui::theme::Theme;

/// One event a second; three policies; faults and a switch are accepted.
struct Toy {
    now: SimTime,
    events: u64,
    policy: usize,
    rate: f64,
    shedding: bool,
    faults: u64,
    catalog: Catalog,
}

const TOY_POLICIES: [&str; 3] = ["round-robin", "least-loaded", "random"];

fn toy_catalog() -> Catalog {
    let menu: Vec<FaultTemplate> = {
        vec![
            FaultTemplate {
                label: "slow kitchen".into(),
                kind: FaultKind::Slowdown { factor: 0.5 },
                targets: vec!["k1".into(), "k2".into()],
                strength: Some(StrengthSpec {
                    label: "rate ×",
                    min: 0.1,
                    max: 1.0,
                    step: 0.1,
                }),
                duration_s: Some(60.0),
            },
            FaultTemplate {
                label: "partition".into(),
                kind: FaultKind::Partition,
                targets: vec!["db".into()],
                strength: None,
                duration_s: None,
            },
        ]
    };
    Catalog {
        policies: TOY_POLICIES.iter().map(ToString::to_string).collect(),
        other_policies: Vec::new(),
        toggles: vec![ToggleSpec::new("shedding", "shed load")],
        faults: FaultCatalog::uniform(["k1", "k2"], &["slowdown"], menu)
            .allow(["db"], &["partition"]),
    }
}

impl World for Toy {
    fn now(&self) -> SimTime {
        self.now
    }
    fn next_event_time(&self) -> Option<SimTime> {
        Some(SimTime::from_secs(self.events + 1))
    }
    fn advance(&mut self, until: SimTime, max_events: u64, _: &mut EventLog) -> u64 {
        let mut n = 0;
        while n < max_events {
            let next = SimTime::from_secs(self.events + 1);
            if next > until {
                self.now = until;
                return n;
            }
            self.now = next;
            self.events += 1;
            n += 1;
        }
        if SimTime::from_secs(self.events + 1) > until {
            self.now = until;
        }
        n
    }
    fn apply(&mut self, cmd: &Command, _: &mut EventLog) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(p) => {
                let i = TOY_POLICIES.iter().position(|x| x == p).ok_or_else(|| {
                    CommandError::UnknownPolicy {
                        name: p.clone(),
                        expected: TOY_POLICIES.join(", "),
                    }
                })?;
                self.policy = i;
                Ok(String::new())
            }
            Command::ScaleArrivals(f) => {
                self.rate *= f;
                Ok(format!("rate now {:.1}", self.rate))
            }
            Command::InjectFault { .. } => {
                self.faults += 1;
                Ok(String::new())
            }
            Command::ClearFault(_) | Command::ClearFaults => Ok(String::new()),
            Command::Toggle { name, on } if name == "shedding" => {
                self.shedding = *on;
                Ok(format!("shedding {}", if *on { "on" } else { "off" }))
            }
            Command::Toggle { name, .. } => Err(CommandError::UnknownToggle {
                name: name.clone(),
                expected: "shedding".into(),
            }),
        }
    }
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            now: self.now,
            policy: self.policy(),
            toggles: vec![("shedding".into(), self.shedding)],
            status_line: Some(format!("events {}", self.events)),
            ..Snapshot::default()
        }
    }
    fn metrics(&self) -> Metrics {
        Metrics::new()
    }
    fn analytic(&self) -> chaoswala::sim::ClosedForms {
        chaoswala::sim::ClosedForms::new()
    }
    fn reset_statistics(&mut self) {}
    fn ledger(&self) -> chaoswala::sim::world::Ledger {
        chaoswala::sim::world::Ledger::default()
    }
    fn policy(&self) -> String {
        TOY_POLICIES[self.policy].to_string()
    }
    fn catalog(&self) -> &Catalog {
        &self.catalog
    }
    fn events_processed(&self) -> u64 {
        self.events
    }
}

fn toy_app() -> App {
    let meta = Meta {
        name: "toy".into(),
        title: "Toy world".into(),
        kind: "toy".into(),
        clock_origin_s: None,
        speed: 1.0,
        duration_s: 100.0,
        seed: 7,
    };
    let launch = Launch::custom(meta, |_seed| {
        Ok(Simulation::new(
            Box::new(Toy {
                now: SimTime::ZERO,
                events: 0,
                policy: 0,
                rate: 10.0,
                shedding: false,
                faults: 0,
                catalog: toy_catalog(),
            }),
            &[],
        ))
    });
    App::with_launch(launch, Theme::plain()).unwrap()
}

fn platform_app() -> App {
    App::with_launch(Launch::builtin("platform").unwrap(), Theme::plain()).unwrap()
}

fn log_texts(app: &App) -> Vec<String> {
    let s = app.session.as_ref().unwrap();
    s.log_tail(1000, 0)
        .into_iter()
        .map(|(e, _)| e.text.clone())
        .collect()
}

fn policy(app: &App) -> String {
    app.session.as_ref().unwrap().sim.world().policy()
}

#[test]
fn pause_stops_ticks_and_resume_restarts_them() {
    let mut app = platform_app();
    assert!(!app.paused);
    app.update(Action::TogglePause);
    assert!(app.paused);
    assert!(!app.is_running());
    assert_eq!(app.tick(Duration::from_secs(1), Budget::default()), 0);
    assert_eq!(app.now(), SimTime::ZERO);
    app.update(Action::TogglePause);
    assert!(!app.paused);
    app.tick(Duration::from_secs(1), Budget::default());
    // platform.ron starts at ×10.
    assert_eq!(app.now(), SimTime::from_secs(10));
    assert!(!app.behind);
    assert!(app.dirty);
    // The snapshot is taken when a frame is about to be drawn.
    let s = app.session.as_ref().unwrap();
    assert_eq!(s.snapshot.now, SimTime::ZERO);
    app.prepare_frame();
    assert_eq!(
        app.session.as_ref().unwrap().snapshot.now,
        SimTime::from_secs(10)
    );
}

#[test]
fn step_pauses_and_moves_one_second() {
    let mut app = platform_app();
    app.update(Action::Step);
    assert!(app.paused);
    assert_eq!(app.now(), SimTime::from_secs(1));
    app.update(Action::Step);
    assert_eq!(app.now(), SimTime::from_secs(2));
}

#[test]
fn speed_climbs_the_ladder_and_stops_at_both_ends() {
    let mut app = platform_app();
    assert_eq!(app.speed, 10.0);
    app.update(Action::SpeedUp);
    assert_eq!(app.speed, 30.0);
    for _ in 0..30 {
        app.update(Action::SpeedUp);
    }
    assert_eq!(app.speed, 10_000.0);
    assert!(app.message.as_deref().unwrap().contains("top speed"));
    for _ in 0..30 {
        app.update(Action::SpeedDown);
    }
    assert_eq!(app.speed, 0.25);
    assert!(app.message.as_deref().unwrap().contains("slowest"));
    assert_eq!(SPEEDS[0], 0.25);
    app.update(Action::SpeedUp);
    assert_eq!(app.speed, 0.5);
}

#[test]
fn ticks_follow_speed_and_fall_behind_gracefully() {
    let mut app = platform_app();
    app.update(Action::SpeedDown); // ×5
    app.tick(Duration::from_millis(200), Budget::default());
    assert_eq!(app.now(), SimTime::from_secs(1));
    // A budget of a handful of events cannot cover an hour: behind, but
    // time still moved and nothing blocked.
    for _ in 0..20 {
        app.update(Action::SpeedUp);
    }
    let budget = Budget {
        max_events: 10,
        max_wall: Duration::from_secs(10),
    };
    let done = app.tick(Duration::from_secs(1), budget);
    assert_eq!(done, 10);
    assert!(app.behind);
    assert!(app.achieved_speed < app.speed);
    assert!(app.now() < SimTime::from_secs(10_001));
    app.tick(Duration::from_millis(1), Budget::default());
    assert!(!app.behind);
}

#[test]
fn single_policy_stays_and_says_so() {
    let mut app = platform_app();
    let policies = app.session.as_ref().unwrap().policies.clone();
    let before = policy(&app);
    app.update(Action::NextPolicy);
    if policies.len() == 1 {
        assert_eq!(policy(&app), before);
        let m = app.message.clone().unwrap();
        assert!(m.contains("only one policy"), "{m}");
        assert!(
            log_texts(&app)
                .iter()
                .any(|l| l.contains("only one policy"))
        );
    } else {
        assert_eq!(policy(&app), policies[1]);
    }
}

#[test]
fn next_policy_cycles_the_worlds_list_and_logs_it() {
    let mut app = toy_app();
    assert_eq!(policy(&app), "round-robin");
    app.update(Action::NextPolicy);
    assert_eq!(policy(&app), "least-loaded");
    assert!(
        log_texts(&app)
            .iter()
            .any(|l| l == "policy round-robin → least-loaded")
    );
    app.update(Action::NextPolicy);
    app.update(Action::NextPolicy);
    assert_eq!(policy(&app), "round-robin", "wraps around");
    app.update(Action::PrevPolicy);
    assert_eq!(policy(&app), "random");
    assert_eq!(app.session.as_ref().unwrap().snapshot.policy, "random");
}

#[test]
fn fault_menu_aims_sets_strength_and_injects() {
    let mut app = toy_app();
    app.update(Action::OpenFaultMenu);
    assert!(matches!(app.overlay, Some(Overlay::Faults(_))));
    // Fault field: → goes to the next template and back.
    app.update(Action::Right);
    assert_eq!(app.menu_fault().unwrap().kind, FaultKind::Partition);
    app.update(Action::Left);
    // Target field.
    app.update(Action::Down);
    app.update(Action::Right);
    assert_eq!(app.menu_fault().unwrap().target, "k2");
    // Strength field: 0.5 − 0.1 × 2 = 0.3, and never below 0.1.
    app.update(Action::Down);
    let Some(Overlay::Faults(m)) = &app.overlay else {
        panic!("menu closed")
    };
    assert_eq!(m.field, FaultField::Strength);
    app.update(Action::Left);
    app.update(Action::Left);
    let f = app.menu_fault().unwrap();
    assert_eq!(f.to_string(), "slowdown on k2 (rate ×0.3) for 60 s");
    for _ in 0..10 {
        app.update(Action::Left);
    }
    assert_eq!(
        app.menu_fault().unwrap().kind,
        FaultKind::Slowdown { factor: 0.1 }
    );
    app.update(Action::Right);
    app.update(Action::Right);
    app.update(Action::Confirm);
    assert!(app.overlay.is_none());
    let s = app.session.as_ref().unwrap();
    assert_eq!(s.sim.active_faults().len(), 1);
    assert_eq!(
        s.snapshot.active_faults,
        vec!["slowdown on k2 (rate ×0.3) for 60 s".to_string()]
    );
    assert!(
        log_texts(&app)
            .iter()
            .any(|l| l == "fault #1 injected: slowdown on k2 (rate ×0.3) for 60 s"),
        "{:?}",
        log_texts(&app)
    );
}

#[test]
fn esc_closes_the_fault_menu_without_injecting() {
    let mut app = toy_app();
    app.update(Action::OpenFaultMenu);
    app.update(Action::Back);
    assert!(app.overlay.is_none());
    assert!(!app.quit);
    assert!(app.session.as_ref().unwrap().sim.active_faults().is_empty());
}

#[test]
fn platform_fault_menu_injects_its_first_fault() {
    let mut app = platform_app();
    let template = {
        let s = app.session.as_ref().unwrap();
        s.sim.world().fault_menu().remove(0)
    };
    app.update(Action::OpenFaultMenu);
    let f = app.menu_fault().unwrap();
    assert_eq!(
        f.kind, template.kind,
        "Enter injects the first line as shown"
    );
    app.update(Action::Confirm);
    let s = app.session.as_ref().unwrap();
    assert_eq!(
        s.sim.active_faults().len(),
        1,
        "the platform accepts its own fault"
    );
    let logged = log_texts(&app);
    let line = format!("fault #1 injected: {f}");
    assert!(logged.contains(&line), "{line:?} not in {logged:?}");
}

#[test]
fn clear_faults_empties_the_list_and_logs_it() {
    let mut app = toy_app();
    app.update(Action::ClearFaults);
    assert_eq!(app.message.as_deref(), Some("no faults to clear"));
    app.update(Action::OpenFaultMenu);
    app.update(Action::Confirm);
    app.update(Action::OpenFaultMenu);
    app.update(Action::Right);
    app.update(Action::Confirm);
    assert_eq!(app.session.as_ref().unwrap().sim.active_faults().len(), 2);
    app.update(Action::ClearFaults);
    let s = app.session.as_ref().unwrap();
    assert!(s.sim.active_faults().is_empty());
    assert!(s.snapshot.active_faults.is_empty());
    assert!(log_texts(&app).iter().any(|l| l == "cleared 2 faults"));
}

#[test]
fn arrivals_change_by_ten_percent() {
    let mut app = platform_app();
    app.update(Action::ArrivalsUp);
    assert!(
        log_texts(&app)
            .iter()
            .any(|l| l == "arrival rate → 220.0/min")
    );
    app.update(Action::ArrivalsDown);
    app.update(Action::ArrivalsDown);
    let last = log_texts(&app).last().cloned().unwrap();
    assert_eq!(last, "arrival rate → 181.8/min");
}

#[test]
fn restart_goes_back_to_zero_with_the_same_seed() {
    let mut app = platform_app();
    app.advance_to(SimTime::from_secs(90));
    let at_90 = app.session.as_ref().unwrap().snapshot.clone();
    app.update(Action::ArrivalsUp);
    app.advance_to(SimTime::from_secs(120));
    app.update(Action::Restart);
    assert_eq!(app.now(), SimTime::ZERO);
    assert!(
        log_texts(&app)
            .iter()
            .any(|l| l == "restarted with seed 42")
    );
    assert!(!log_texts(&app).iter().any(|l| l.contains("220")));
    app.advance_to(SimTime::from_secs(90));
    assert_eq!(app.session.as_ref().unwrap().snapshot, at_90);
}

#[test]
fn switch_world_opens_the_first_builtin_of_that_kind() {
    let mut app = toy_app();
    app.update(Action::SwitchWorld(0));
    let s = app.session.as_ref().unwrap();
    assert_eq!(s.launch.meta.kind, "platform");
    assert_eq!(s.launch.meta.name, BUILTINS[0].name);
    for (i, kind) in ["tatkal", "ipl-final", "bkc-traffic"].iter().enumerate() {
        let present = BUILTINS.iter().any(|b| {
            chaoswala::scenario::parse(b.name, b.text).is_ok_and(|s| s.world.kind() == *kind)
        });
        app.update(Action::SwitchWorld(i as u8 + 1));
        let s = app.session.as_ref().unwrap();
        if present {
            assert_eq!(s.launch.meta.kind, *kind);
        } else {
            assert_eq!(s.launch.meta.kind, "platform", "stays");
            assert_eq!(
                app.message.as_deref(),
                Some(format!("no {kind} world is built in yet").as_str())
            );
        }
    }
}

#[test]
fn picker_opens_the_chosen_world() {
    let mut app = App::picker(Theme::plain());
    assert_eq!(app.screen, Screen::Picker);
    assert_eq!(app.picker[0].name, "platform");
    assert_eq!(app.picker.len(), BUILTINS.len());
    assert_eq!(app.tick(Duration::from_secs(1), Budget::default()), 0);
    app.update(Action::Up);
    app.update(Action::Confirm);
    assert_eq!(app.screen, Screen::Dashboard);
    assert_eq!(app.session.as_ref().unwrap().launch.meta.name, "platform");
}

#[test]
fn quit_by_q_esc_or_ctrl_c_but_esc_closes_overlays_first() {
    let mut app = platform_app();
    app.update(Action::Help);
    assert_eq!(app.overlay, Some(Overlay::Help));
    app.update(Action::Back);
    assert!(app.overlay.is_none());
    assert!(!app.quit);
    app.update(Action::Back);
    assert!(app.quit);

    let mut app = platform_app();
    app.update(Action::OpenFaultMenu);
    app.update(Action::Quit);
    assert!(app.quit, "q quits even from a menu");

    let mut app = App::picker(Theme::plain());
    app.update(Action::Back);
    assert!(app.quit);
}

#[test]
fn focus_moves_and_skips_absent_panels() {
    let mut app = platform_app();
    assert_eq!(app.focus, Panel::Chart);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Panel::Units);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Panel::Analytic);
    app.update(Action::FocusNext);
    assert_eq!(
        app.focus,
        Panel::World,
        "the platform's status line is a world panel"
    );
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Panel::Log);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Panel::Gauges);
    app.update(Action::FocusPrev);
    assert_eq!(app.focus, Panel::Log);

    let mut toy = toy_app();
    toy.focus = Panel::Chart;
    toy.update(Action::FocusNext);
    assert_eq!(toy.focus, Panel::Analytic, "no units, no table to focus");
    toy.update(Action::FocusNext);
    assert_eq!(toy.focus, Panel::World, "a status line makes a world panel");
    toy.update(Action::FocusNext);
    toy.update(Action::FocusNext);
    assert_eq!(toy.focus, Panel::Gauges);
    toy.update(Action::FocusNext);
    assert_eq!(toy.focus, Panel::Chart, "no trends to focus either");
}

#[test]
fn log_scrolls_when_focused() {
    let mut app = platform_app();
    for _ in 0..5 {
        app.update(Action::ArrivalsUp);
    }
    app.update(Action::Up);
    assert_eq!(app.log_scroll, 0, "only the focused log scrolls");
    app.focus = Panel::Log;
    app.update(Action::Up);
    app.update(Action::Up);
    assert_eq!(app.log_scroll, 2);
    app.update(Action::Down);
    assert_eq!(app.log_scroll, 1);
}

#[test]
fn switches_flip_from_their_menu() {
    let mut app = platform_app();
    app.update(Action::OpenToggles);
    assert!(app.overlay.is_none());
    assert_eq!(app.message.as_deref(), Some("this world has no switches"));

    let mut app = toy_app();
    app.update(Action::OpenToggles);
    assert_eq!(app.overlay, Some(Overlay::Toggles(0)));
    app.update(Action::Confirm);
    let s = app.session.as_ref().unwrap();
    assert_eq!(s.snapshot.toggles, vec![("shedding".to_string(), true)]);
    assert!(log_texts(&app).iter().any(|l| l == "shedding on"));
    app.update(Action::Back);
    assert!(app.overlay.is_none());
}

#[test]
fn unknown_policy_from_the_command_line_is_an_error_not_a_panic() {
    let s = chaoswala::scenario::load("platform").unwrap().scenario;
    let launch = Launch::from_scenario("platform", s, Some(1), Some("nope".into()));
    let err = App::with_launch(launch, Theme::plain()).err().unwrap();
    assert!(err.contains("nope"), "{err}");
}
