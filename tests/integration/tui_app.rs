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
use chaoswala::tui::app::{
    App, Budget, FaultField, Launch, LogFilter, Meta, Overlay, Panel, SPEEDS, Screen, SortBy,
};
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
                if self.rate * f > 100.0 {
                    return Err(CommandError::Invalid("rate capped at 100".into()));
                }
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
        sets: Vec::new(),
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
    let mut v: Vec<String> = s.log_rev().map(|(e, _)| e.text.clone()).collect();
    v.reverse();
    v
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
            .any(|l| l == "restarted as the scenario says, seed 42")
    );
    assert!(!log_texts(&app).iter().any(|l| l.contains("220")));
    app.advance_to(SimTime::from_secs(90));
    assert_eq!(app.session.as_ref().unwrap().snapshot, at_90);
}

#[test]
fn restart_keeping_settings_replays_policy_rate_and_switches() {
    let mut app = toy_app();
    app.update(Action::NextPolicy);
    app.update(Action::ArrivalsUp);
    app.update(Action::ArrivalsUp);
    app.update(Action::OpenToggles);
    app.update(Action::Confirm);
    app.update(Action::Back);
    app.advance_to(SimTime::from_secs(30));
    app.update(Action::RestartKeep);
    assert_eq!(app.now(), SimTime::ZERO);
    assert_eq!(policy(&app), "least-loaded");
    let s = app.session.as_ref().unwrap();
    assert_eq!(s.snapshot.toggles, vec![("shedding".to_string(), true)]);
    assert!((s.settings.arrival_scale - 1.21).abs() < 1e-9);
    let last = log_texts(&app).last().cloned().unwrap();
    assert!(
        last.starts_with("restarted with seed 7, keeping "),
        "{last}"
    );
    assert!(last.contains("policy least-loaded"), "{last}");
    assert!(last.contains("shedding on"), "{last}");
    assert!(last.contains("arrivals × 1.21"), "{last}");
    // And `r` forgets them.
    app.update(Action::Restart);
    assert_eq!(policy(&app), "round-robin");
    let s = app.session.as_ref().unwrap();
    assert_eq!(s.snapshot.toggles, vec![("shedding".to_string(), false)]);
}

#[test]
fn number_keys_open_the_pickers_entries_by_their_numbers() {
    let mut app = toy_app();
    let picker = app.picker.clone();
    assert!(picker.len() > BUILTINS.len(), "light variants are offered");
    // The digits reach the first nine entries; the rest are a ↓ away.
    for (i, e) in picker.iter().enumerate().take(9) {
        app.update(Action::SwitchWorld(i as u8));
        let s = app.session.as_ref().unwrap();
        assert_eq!(s.launch.meta.name, e.name, "key {}", i + 1);
        assert_eq!(s.launch.meta.sets, e.sets, "key {}", i + 1);
    }
    // Every built-in is reachable.
    for b in BUILTINS {
        assert!(picker.iter().any(|e| e.name == b.name && e.sets.is_empty()));
    }
    app.update(Action::SwitchWorld(picker.len() as u8));
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("no world number")
    );
}

#[test]
fn the_picker_offers_a_light_tatkal() {
    let app = App::picker(Theme::plain());
    let light = app
        .picker
        .iter()
        .find(|e| e.name == "tatkal" && !e.sets.is_empty())
        .expect("a light tatkal entry");
    assert_eq!(light.sets, vec!["scale=0.01".to_string()]);
    assert!(light.error.is_none());
    let plain = app
        .picker
        .iter()
        .find(|e| e.name == "tatkal" && e.sets.is_empty())
        .unwrap();
    assert!(
        !plain.description.contains("--set"),
        "the advice became an entry: {}",
        plain.description
    );
    // Opening it applies the override.
    let i = app.picker.iter().position(|e| e == light).unwrap();
    let mut app = app;
    app.update(Action::SwitchWorld(i as u8));
    let s = app.session.as_ref().unwrap();
    assert_eq!(s.launch.meta.sets, vec!["scale=0.01".to_string()]);
}

#[test]
fn a_key_in_the_dashboard_returns_to_the_picker_and_esc_comes_back() {
    let mut app = platform_app();
    app.advance_to(SimTime::from_secs(30));
    app.update(Action::Picker);
    assert_eq!(app.screen, Screen::Picker);
    assert_eq!(app.picker[app.picker_row].name, "platform");
    assert_eq!(app.tick(Duration::from_secs(1), Budget::default()), 0);
    app.update(Action::Back);
    assert_eq!(app.screen, Screen::Dashboard);
    assert_eq!(app.now(), SimTime::from_secs(30), "the same run goes on");
    app.update(Action::Picker);
    app.update(Action::Down);
    app.update(Action::Confirm);
    assert_eq!(app.screen, Screen::Dashboard);
    assert_eq!(app.now(), SimTime::ZERO);
    assert_eq!(
        app.session.as_ref().unwrap().launch.meta.name,
        app.picker[1].name
    );
}

#[test]
fn picker_opens_the_chosen_world() {
    let mut app = App::picker(Theme::plain());
    assert_eq!(app.screen, Screen::Picker);
    assert_eq!(app.picker[0].name, "platform");
    assert!(app.picker.len() >= BUILTINS.len());
    assert_eq!(app.tick(Duration::from_secs(1), Budget::default()), 0);
    app.update(Action::Up);
    app.update(Action::Confirm);
    assert_eq!(app.screen, Screen::Dashboard);
    assert_eq!(app.session.as_ref().unwrap().launch.meta.name, "platform");
}

#[test]
fn esc_never_quits_q_asks_and_ctrl_c_quits_at_once() {
    let mut app = platform_app();
    app.update(Action::Help);
    assert_eq!(app.overlay, Some(Overlay::Help));
    app.update(Action::Back);
    assert!(app.overlay.is_none());
    app.update(Action::Back);
    app.update(Action::Back);
    assert!(!app.quit, "Esc only closes menus");

    // q asks; anything but q or y says no.
    app.update(Action::Quit);
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.quit);
    app.update(Action::Back);
    assert!(app.overlay.is_none());
    assert!(!app.quit);
    app.update(Action::Quit);
    app.update(Action::TogglePause);
    assert!(!app.quit);
    assert!(!app.paused, "the key that said no does nothing else");
    app.update(Action::Quit);
    app.update(Action::Yes);
    assert!(app.quit, "q then y");

    let mut app = platform_app();
    app.update(Action::OpenFaultMenu);
    app.update(Action::Quit);
    assert!(!app.quit);
    app.update(Action::Quit);
    assert!(app.quit, "q twice, even from a menu");

    let mut app = platform_app();
    app.update(Action::OpenFaultMenu);
    app.update(Action::ForceQuit);
    assert!(app.quit, "Ctrl-C at once");

    // The picker has nothing to lose: q quits, Esc does not.
    let mut app = App::picker(Theme::plain());
    app.update(Action::Back);
    assert!(!app.quit);
    app.update(Action::Quit);
    assert!(app.quit);
}

#[test]
fn the_quit_summary_names_world_span_numbers_and_faults() {
    let mut app = platform_app();
    app.advance_to(SimTime::from_secs(300));
    app.update(Action::OpenFaultMenu);
    let label = app.session.as_ref().unwrap().fault_menu[0].label.clone();
    app.update(Action::Confirm);
    app.advance_to(SimTime::from_secs(600));
    let summary = app.summary().unwrap();
    let s = app.session.as_ref().unwrap();
    assert!(summary.contains(&s.launch.meta.title), "{summary}");
    let span = format!(
        "{} → {} (10 min)",
        app.clock(SimTime::ZERO),
        app.clock(SimTime::from_secs(600))
    );
    assert!(summary.contains(&span), "{summary}");
    for g in &s.snapshot.gauges {
        assert!(summary.contains(&g.text), "{summary}");
    }
    assert!(summary.contains("faults injected: 1"), "{summary}");
    let at = app.clock(SimTime::from_secs(300));
    assert!(
        summary.contains(&format!("{at} {label}: fault #1 injected")),
        "{summary}"
    );
    assert!(App::picker(Theme::plain()).summary().is_none());
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
    app.page_rows.set((5, 2));
    app.update(Action::Up);
    app.update(Action::Up);
    assert_eq!(app.log_scroll, 2);
    app.update(Action::Down);
    assert_eq!(app.log_scroll, 1);
    app.update(Action::Home);
    let len = app.session.as_ref().unwrap().log_len(LogFilter::All);
    assert_eq!(app.log_scroll, len - app.page_rows.get().1);
    app.update(Action::End);
    assert_eq!(app.log_scroll, 0);
}

#[test]
fn log_pages_filters_and_folds_repeats() {
    let mut app = toy_app();
    // 24 steps up to the cap, then 36 identical refusals fold into one line.
    for _ in 0..60 {
        app.update(Action::ArrivalsUp);
    }
    let s = app.session.as_ref().unwrap();
    let tail = s.log_tail(LogFilter::All, 3, 0);
    let folded = tail.last().unwrap();
    assert_eq!(folded.count, 36, "{:?}", folded.entry.text);
    assert!(folded.entry.text.contains("rate capped"));
    assert_eq!(s.log_len(LogFilter::All), 25);
    assert_eq!(s.log_len(LogFilter::Dashboard), 1);
    app.focus = Panel::Log;
    app.page_rows.set((5, 5));
    app.update(Action::PageUp);
    assert_eq!(app.log_scroll, 5);
    app.update(Action::PageUp);
    app.update(Action::PageDown);
    assert_eq!(app.log_scroll, 5);
    app.update(Action::Filter);
    assert_eq!(app.log_filter, LogFilter::Faults);
    assert_eq!(app.log_scroll, 0);
    app.update(Action::Filter);
    app.update(Action::Filter);
    assert_eq!(app.log_filter, LogFilter::World);
    let s = app.session.as_ref().unwrap();
    assert!(
        s.log_tail(LogFilter::World, 50, 0)
            .iter()
            .all(|l| l.entry.text.starts_with("rate now"))
    );
}

#[test]
fn the_focused_table_scrolls_and_sorts() {
    let mut app = App::with_launch(Launch::builtin("tatkal").unwrap(), Theme::plain()).unwrap();
    app.advance_to(SimTime::from_secs(60));
    let n = app.session.as_ref().unwrap().snapshot.units.len();
    assert!(n > 10);
    app.page_rows.set((7, 5));
    app.update(Action::Down);
    assert_eq!(app.table_scroll, 0, "only the focused table scrolls");
    app.focus = Panel::Units;
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(app.table_scroll, 2);
    app.update(Action::End);
    assert_eq!(app.table_scroll, n - 7);
    app.update(Action::PageDown);
    assert_eq!(app.table_scroll, n - 7);
    app.update(Action::Home);
    assert_eq!(app.table_scroll, 0);
    app.update(Action::Sort);
    assert_ne!(app.table_sort, SortBy::None);
}

#[test]
fn status_messages_expire_in_real_time_even_paused() {
    let mut app = platform_app();
    app.update(Action::TogglePause);
    app.update(Action::ClearFaults);
    assert_eq!(app.message.as_deref(), Some("no faults to clear"));
    app.tick(Duration::from_secs(2), Budget::default());
    assert!(app.message.is_some());
    app.tick(Duration::from_secs(5), Budget::default());
    assert!(app.message.is_none());
}

#[test]
fn time_stands_still_while_the_window_is_too_small() {
    let mut app = platform_app();
    app.set_too_small(true);
    assert!(!app.is_running());
    assert_eq!(app.tick(Duration::from_secs(1), Budget::default()), 0);
    assert_eq!(app.now(), SimTime::ZERO);
    app.set_too_small(false);
    app.tick(Duration::from_secs(1), Budget::default());
    assert!(app.now() > SimTime::ZERO);
}

#[test]
fn the_slow_down_setting_holds_a_fault_on_screen() {
    let mut app = toy_app();
    while app.speed < 300.0 {
        app.update(Action::SpeedUp);
    }
    app.update(Action::OpenFaultMenu);
    // Fault (the first, 60 s) → target → strength → slow down.
    for _ in 0..3 {
        app.update(Action::Down);
    }
    app.update(Action::Right);
    assert!(app.slow_during_faults);
    app.update(Action::Confirm);
    assert!(app.speed <= 60.0 / 10.0, "×{}", app.speed);
    assert!(app.message.as_deref().unwrap().contains("slowed to"));
    app.advance_to(SimTime::from_secs(61));
    assert_eq!(app.speed, 300.0, "back once the fault is over");
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

/// A session recorded through the app's update loop, as a trainer drives
/// it, replays headless to the same metrics, byte for byte.
#[test]
fn a_session_recorded_through_the_dashboard_replays_headless_to_the_same_metrics() {
    let dir = std::env::temp_dir().join(format!("chaoswala-tui-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo.ron");
    let _ = std::fs::remove_file(&path);
    for name in ["platform", "bkc-traffic"] {
        let mut app = App::with_launch(
            chaoswala::tui::app::Launch::builtin(name).unwrap(),
            Theme::plain(),
        )
        .unwrap();
        app.record_to(&path, true).unwrap();
        // A second recording to the same file is refused without --force.
        assert!(app.record_to(&path, false).is_err());
        app.record_to(&path, true).unwrap();
        app.advance_to(SimTime::from_secs(100));
        app.update(Action::NextPolicy);
        app.advance_to(SimTime::from_secs(300));
        app.update(Action::OpenFaultMenu);
        app.update(Action::Confirm);
        app.advance_to(SimTime::from_secs(500));
        app.update(Action::OpenFaultMenu);
        app.update(Action::Down);
        app.update(Action::Confirm);
        app.advance_to(SimTime::from_secs(550));
        app.update(Action::ClearFaults);
        app.advance_to(SimTime::from_secs(700));
        app.update(Action::ArrivalsUp);
        app.advance_to(SimTime::from_secs(1_200));
        app.finish_recording().unwrap();
        let live = app.session.as_ref().unwrap().sim.world().metrics();
        let text = std::fs::read_to_string(&path).unwrap();
        for want in [
            "Policy(",
            "Fault(",
            "ScaleArrivals(",
            "Clear(",
            "ends_at_s:1200.0",
        ] {
            assert!(text.contains(want), "{name}: no {want} in\n{text}");
        }
        let loaded = chaoswala::scenario::load(path.to_str().unwrap()).unwrap();
        let r = chaoswala::report::run(&loaded.scenario, &chaoswala::report::RunOptions::default())
            .unwrap();
        assert_eq!(
            serde_json::to_string(&r.metrics).unwrap(),
            serde_json::to_string(&live).unwrap(),
            "{name}: the replay differs from the live session"
        );
    }
}

/// Records a platform session through the update loop (a policy switch,
/// two faults, a clear, a rate change) to `path`; returns the app at the
/// session's end (1 200 s), paused.
fn recorded_platform_session(path: &std::path::Path) -> App {
    let mut app = platform_app();
    app.record_to(path, true).unwrap();
    app.advance_to(SimTime::from_secs(100));
    app.update(Action::NextPolicy);
    app.advance_to(SimTime::from_secs(300));
    app.update(Action::OpenFaultMenu);
    app.update(Action::Confirm);
    app.advance_to(SimTime::from_secs(500));
    app.update(Action::OpenFaultMenu);
    app.update(Action::Confirm);
    app.advance_to(SimTime::from_secs(550));
    app.update(Action::ClearFaults);
    app.advance_to(SimTime::from_secs(700));
    app.update(Action::ArrivalsUp);
    app.advance_to(SimTime::from_secs(1_200));
    app.finish_recording().unwrap();
    app.update(Action::TogglePause);
    app
}

fn temp_recording(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("chaoswala-replay-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("session.ron")
}

fn replay_app(path: &std::path::Path) -> App {
    let loaded = chaoswala::scenario::load(path.to_str().unwrap()).unwrap();
    App::replay(&loaded, Theme::plain()).unwrap()
}

fn screen(app: &App, w: u16, h: u16) -> Vec<String> {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    let b = t.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| b[(x, y)].symbol().to_string()).collect())
        .collect()
}

#[test]
fn a_replay_asks_before_a_key_changes_the_simulation_and_y_takes_over() {
    let path = temp_recording("take-over");
    let live = recorded_platform_session(&path);
    let live_policy = policy(&live);
    let mut app = replay_app(&path);
    let r = app.replay.as_ref().unwrap();
    assert_eq!(r.remaining(), 5, "policy, two faults, clear, rate");
    assert!(screen(&app, 120, 40)[0].contains("REPLAY · "));
    let start_policy = policy(&app);
    assert_ne!(start_policy, live_policy);
    // The recorded policy switch is played at its instant.
    app.advance_to(SimTime::from_secs(99));
    assert_eq!(policy(&app), start_policy);
    app.advance_to(SimTime::from_secs(200));
    assert_eq!(policy(&app), live_policy);
    // Viewing keys work without asking.
    app.update(Action::SpeedUp);
    app.update(Action::FocusNext);
    assert!(app.replay.as_ref().is_some_and(|r| !r.asking()));
    // `p` asks; time stands still while it does; `n` goes on replaying.
    app.update(Action::NextPolicy);
    assert!(app.replay.as_ref().unwrap().asking());
    assert_eq!(
        app.message.as_deref(),
        Some("leave the replay and take over from here? (y/n)")
    );
    assert_eq!(policy(&app), live_policy, "asking changes nothing");
    let before = app.now();
    app.tick(Duration::from_secs(1), Budget::default());
    assert_eq!(app.now(), before, "time stands still while it asks");
    app.tick(Duration::from_secs(60), Budget::default());
    assert!(app.message.is_some(), "the question does not expire");
    app.update(Action::No);
    assert!(!app.replay.as_ref().unwrap().asking());
    assert_eq!(app.message.as_deref(), Some("still replaying"));
    // The first recorded fault arrives at 300 s.
    app.advance_to(SimTime::from_secs(400));
    let active = |app: &App| app.session.as_ref().unwrap().sim.active_faults().len();
    assert_eq!(active(&app), 1);
    // `c` asks; `y` takes over and clears.
    app.update(Action::ClearFaults);
    assert_eq!(active(&app), 1);
    app.update(Action::Yes);
    assert!(app.replay.is_none(), "a live session now");
    assert_eq!(active(&app), 0, "the key did what it says after y");
    assert!(!screen(&app, 120, 40)[0].contains("REPLAY"));
    let log = log_texts(&app);
    assert!(
        log.iter()
            .any(|l| l.contains("took the replay over at") && l.contains("3 recorded commands")),
        "{log:?}"
    );
    // The rest of the recording is dropped: no second fault at 500 s, no
    // rate change at 700 s.
    app.advance_to(SimTime::from_secs(800));
    assert_eq!(active(&app), 0);
    let s = app.session.as_ref().unwrap();
    assert!((s.settings.arrival_scale - 1.0).abs() < 1e-12);
    assert!(!log_texts(&app).iter().any(|l| l.contains("fault #2")));
    // And keys change the simulation at once again.
    app.update(Action::NextPolicy);
    assert_ne!(policy(&app), live_policy);
}

#[test]
fn a_replay_reaches_the_live_sessions_screen_at_its_end_and_pauses() {
    let path = temp_recording("same-screen");
    let live = recorded_platform_session(&path);
    let mut app = replay_app(&path);
    // Played as the dashboard plays it: real-time ticks at a high speed.
    app.speed = 300.0;
    let mut ticks = 0;
    while !app.replay.as_ref().unwrap().ended() {
        app.tick(Duration::from_millis(20), Budget::default());
        ticks += 1;
        assert!(ticks < 100_000, "the replay never ended");
    }
    assert!(app.paused, "paused at the recording's end");
    assert_eq!(app.now(), SimTime::from_secs(1_200));
    assert_eq!(app.replay.as_ref().unwrap().played, 5);
    // A frame is drawn from the snapshot taken just before it.
    app.prepare_frame();
    let (a, b) = (screen(&live, 120, 40), screen(&app, 120, 40));
    assert!(b[0].contains("replay ended · "), "{}", b[0]);
    assert!(b[1].contains("replay ended at "), "{}", b[1]);
    // Below the header and the status line, the same screen.
    for (i, (l, r)) in a.iter().zip(&b).enumerate().skip(2) {
        assert_eq!(l, r, "line {i} differs");
    }
    // The same metrics, too.
    let m = |app: &App| {
        serde_json::to_string(&app.session.as_ref().unwrap().sim.world().metrics()).unwrap()
    };
    assert_eq!(m(&live), m(&app));
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| f.render_widget(&app, f.area())).unwrap();
    insta::assert_snapshot!("replay_platform_end_120x40", t.backend());
    // From the end on, the session is live: keys act at once.
    let before = policy(&app);
    app.update(Action::NextPolicy);
    assert_ne!(policy(&app), before);
}

#[test]
fn replay_refuses_a_scenario_that_is_not_a_recording() {
    let loaded = chaoswala::scenario::load("platform").unwrap();
    let e = App::replay(&loaded, Theme::plain()).err().unwrap();
    assert!(e.contains("not a recorded session"), "{e}");
    let o = crate::common::bin()
        .args(["replay", "platform"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a recorded session"));
}

/// Checks that `text` is asciicast v2: a header with version 2 and the
/// size, then `[time, "o", data]` events in increasing time. Returns the
/// number of events and the output joined.
fn check_asciicast(text: &str, w: u16, h: u16) -> (usize, String) {
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(header["width"], w);
    assert_eq!(header["height"], h);
    assert!(header["timestamp"].is_u64());
    assert!(header["env"]["TERM"].is_string());
    let mut last = 0.0;
    let mut n = 0;
    let mut all = String::new();
    for line in lines {
        let ev: serde_json::Value = serde_json::from_str(line).unwrap();
        let ev = ev.as_array().unwrap();
        assert_eq!(ev.len(), 3, "{line}");
        let t = ev[0].as_f64().unwrap();
        assert!(t >= last, "time goes back: {t} after {last}");
        last = t;
        assert_eq!(ev[1], "o");
        all.push_str(ev[2].as_str().unwrap());
        n += 1;
    }
    (n, all)
}

#[test]
fn a_replay_cast_is_asciicast_v2_with_the_dashboards_frames() {
    use std::io::Write as _;
    let path = temp_recording("cast");
    let _live = recorded_platform_session(&path);
    let dir = path.parent().unwrap();
    let (cast, svg) = (dir.join("demo.cast"), dir.join("demo.svg"));
    chaoswala::tui::demo::cast(&path, &cast, &svg).unwrap();
    let text = std::fs::read_to_string(&cast).unwrap();
    let (n, all) = check_asciicast(&text, 120, 40);
    let fps = chaoswala::tui::demo::FPS as usize;
    assert!(n >= fps * 15, "{n} frames");
    assert!(all.contains("REPLAY"));
    assert!(all.contains("replay"));
    // The same again: the same bytes.
    let again = dir.join("again.cast");
    chaoswala::tui::demo::cast(&path, &again, &dir.join("again.svg")).unwrap();
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
    // An existing cast is kept unless forced.
    let env = chaoswala::tui::cast::Env::current();
    assert!(chaoswala::tui::cast::Cast::create(&cast, 80, 24, 0, &env, false).is_err());
    // A tee passes every byte on and makes one event a flush.
    let fresh = dir.join("tee.cast");
    let _ = std::fs::remove_file(&fresh);
    let c = chaoswala::tui::cast::Cast::create(&fresh, 80, 24, 7, &env, false).unwrap();
    let clock = std::rc::Rc::new(std::cell::Cell::new(0.5));
    let (mut tee, handle) = chaoswala::tui::cast::Tee::new(
        Vec::new(),
        c,
        chaoswala::tui::cast::Clock::Manual(clock.clone()),
    );
    tee.write_all("ab\u{1b}[1mé".as_bytes()).unwrap();
    tee.flush().unwrap();
    clock.set(1.25);
    // A character cut by a flush waits for its other byte.
    tee.write_all(&"→".as_bytes()[..1]).unwrap();
    tee.flush().unwrap();
    tee.write_all(&"→".as_bytes()[1..]).unwrap();
    tee.flush().unwrap();
    handle.finish().unwrap();
    let text = std::fs::read_to_string(&fresh).unwrap();
    let (n, all) = check_asciicast(&text, 80, 24);
    assert_eq!(n, 2);
    assert_eq!(all, "ab\u{1b}[1mé→");
    assert!(text.lines().nth(2).unwrap().starts_with("[1.250000, \"o\""));
}

#[test]
fn s_saves_the_screen_as_svg_and_text_and_never_overwrites() {
    use chaoswala::tui::screenshot;
    let mut app = App::with_launch(Launch::builtin("platform").unwrap(), Theme::colored()).unwrap();
    app.advance_to(SimTime::from_secs(299));
    app.update(Action::TogglePause);
    app.prepare_frame();
    let buf = screenshot::draw(&app, 120, 40);
    // The text is the buffer's lines.
    let text = screenshot::text(&buf);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 40);
    for (y, l) in lines.iter().enumerate() {
        let row: String = (0..120)
            .map(|x| buf[(x, y as u16)].symbol().to_string())
            .collect();
        assert_eq!(*l, row, "row {y}");
    }
    // The SVG is well-formed and holds the screen's text, with colours.
    let svg = screenshot::svg(&buf);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let texts: Vec<String> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            n.descendants()
                .filter(roxmltree::Node::is_text)
                .map(|d| d.text().unwrap())
                .collect()
        })
        .collect();
    let all = texts.join("\n");
    for want in [
        "Andheri platform",
        "08:04:59",
        "event log",
        "people on the platform",
    ] {
        assert!(all.contains(want), "{want} not in the SVG");
        assert!(text.contains(want), "{want} not in the text");
    }
    let fills: std::collections::BTreeSet<&str> = root
        .descendants()
        .filter_map(|n| n.attribute("fill"))
        .collect();
    assert!(fills.len() >= 3, "colours kept: {fills:?}");
    assert!(
        root.descendants()
            .any(|n| n.attribute("font-weight") == Some("bold")),
        "bold kept"
    );
    // Saved under the scenario and the clock, never over a file.
    let dir = std::env::temp_dir().join(format!("chaoswala-shot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let stem = screenshot::stem("platform", &app.clock(app.now()));
    assert_eq!(stem, "chaoswala-platform-08-04-59");
    let (s1, t1) = screenshot::save(&dir, &stem, &buf).unwrap();
    let (s2, _) = screenshot::save(&dir, &stem, &buf).unwrap();
    let (s3, _) = screenshot::save(&dir, &stem, &buf).unwrap();
    assert_eq!(s1, dir.join("chaoswala-platform-08-04-59.svg"));
    assert_eq!(s2, dir.join("chaoswala-platform-08-04-59-2.svg"));
    assert_eq!(s3, dir.join("chaoswala-platform-08-04-59-3.svg"));
    assert_eq!(std::fs::read_to_string(&t1).unwrap(), text);
    assert_eq!(std::fs::read_to_string(&s1).unwrap(), svg);
    assert_eq!(
        screenshot::stem("scenarios/my demo.ron", "00:01:01 +1d"),
        "chaoswala-my-demo-00-01-01-1d"
    );
    // The key: `s` saves into the working directory and says where.
    let cwd = std::env::current_dir().unwrap();
    let before: Vec<_> = std::fs::read_dir(&cwd)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    app.update(Action::Screenshot);
    let msg = app.message.clone().unwrap();
    assert!(
        msg.starts_with("saved ./chaoswala-platform-08-04-59"),
        "{msg}"
    );
    for p in std::fs::read_dir(&cwd).unwrap().flatten().map(|e| e.path()) {
        if !before.contains(&p) {
            assert!(msg.contains(p.file_name().unwrap().to_str().unwrap()));
            std::fs::remove_file(p).unwrap();
        }
    }
}

#[test]
fn a_replay_recorded_again_holds_the_replayed_commands_then_the_live_ones() {
    let path = temp_recording("again");
    let live = recorded_platform_session(&path);
    let again = path.with_file_name("again.ron");
    let mut app = replay_app(&path);
    app.record_to(&again, true).unwrap();
    app.advance_to(SimTime::from_secs(1_200));
    assert!(app.replay.as_ref().unwrap().ended());
    app.finish_recording().unwrap();
    let text = std::fs::read_to_string(&again).unwrap();
    let original = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, original, "the replayed session, recorded the same");
    let m = |app: &App| {
        serde_json::to_string(&app.session.as_ref().unwrap().sim.world().metrics()).unwrap()
    };
    assert_eq!(m(&app), m(&live));
    // Taken over half-way, with a live command after: the replayed ones,
    // then the live one.
    let mut app = replay_app(&path);
    app.record_to(&again, true).unwrap();
    app.advance_to(SimTime::from_secs(320));
    app.update(Action::ArrivalsDown);
    app.update(Action::Yes);
    app.advance_to(SimTime::from_secs(400));
    app.finish_recording().unwrap();
    let text = std::fs::read_to_string(&again).unwrap();
    let commands = text
        .split(chaoswala::scenario::recording::COMMANDS_MARK)
        .nth(1)
        .unwrap();
    assert!(commands.contains("Policy(at_s:100.0"), "{commands}");
    assert!(commands.contains("Fault(at_s:300.0"), "{commands}");
    assert!(commands.contains("ScaleArrivals(at_s:320.0"), "{commands}");
    assert!(!commands.contains("at_s:500.0"), "dropped: {commands}");
    assert!(text.contains("ends_at_s:400.0"));
    let loaded = chaoswala::scenario::load(again.to_str().unwrap()).unwrap();
    let r = chaoswala::report::run(&loaded.scenario, &chaoswala::report::RunOptions::default())
        .unwrap();
    assert_eq!(serde_json::to_string(&r.metrics).unwrap(), m(&app));
}
