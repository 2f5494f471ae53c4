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
