//! `run --compare`: two policies on the same seeds, the paired difference
//! and its interval, against two sides run on independent seeds.

use chaoswala::compare::{self, CompareOptions, Comparison, headlines};
use chaoswala::report::{self, RunOptions};
use chaoswala::scenario::{self, Scenario};

use crate::common::bin;

fn scenario(name: &str, sets: &[&str]) -> Scenario {
    let mut s = scenario::load(name).unwrap().scenario;
    let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
    s.apply_sets(&sets).unwrap();
    s
}

fn opts(duration_s: f64, replications: u32, left: Option<&str>, right: &str) -> CompareOptions {
    CompareOptions {
        run: RunOptions {
            duration_s: Some(duration_s),
            replications,
            policy: left.map(ToString::to_string),
            ..RunOptions::default()
        },
        right: right.to_string(),
    }
}

/// The paired interval of the world's main difference, and the interval
/// the same number of replications gives with the right side on seeds of
/// its own.
fn paired_and_unpaired(s: &Scenario, c: &Comparison, o: &CompareOptions) -> (f64, f64, String) {
    let main = headlines(s.world.kind())[0].key;
    let paired = c.difference[main].ci95.unwrap();
    let other = RunOptions {
        seed: Some(c.seed + 1_000_003),
        policy: Some(o.right.clone()),
        ..o.run.clone()
    };
    let independent = report::run_replications(s, &other, &|_| {}).unwrap();
    let right: Vec<_> = independent.runs.iter().map(|r| r.metrics.clone()).collect();
    let unpaired = compare::unpaired(&c.left.runs, &right)[main].ci95.unwrap();
    (paired, unpaired, main.to_string())
}

fn check_pairing(name: &str, sets: &[&str], duration_s: f64, left: &str, right: &str) {
    let s = scenario(name, sets);
    let o = opts(duration_s, 10, Some(left), right);
    let c = compare::run(&s, &o).unwrap();
    assert_eq!(c.left.policy, left);
    assert_eq!(c.right.policy, right);
    assert_eq!(c.replications, 10);
    let (paired, unpaired, main) = paired_and_unpaired(&s, &c, &o);
    let d = c.difference[&main].mean;
    assert!(
        d.abs() > paired,
        "{name}: {left} and {right} should differ in {main}: {d} ± {paired}"
    );
    assert!(
        paired < unpaired,
        "{name}: paired ± {paired} is not narrower than unpaired ± {unpaired} ({main})"
    );
}

#[test]
fn the_platform_pairs_leave_and_entrance_by_seed() {
    // A small platform, so that the overflow policy matters.
    check_pairing("platform", &["capacity=10"], 600.0, "leave", "entrance");
}

#[test]
fn bkc_traffic_pairs_naive_and_least_time_by_seed() {
    check_pairing("bkc-traffic", &[], 3600.0, "naive", "least-time");
}

#[test]
fn both_sides_see_the_same_arrivals_and_the_difference_is_of_the_means() {
    let s = scenario("platform", &["capacity=10"]);
    let c = compare::run(&s, &opts(300.0, 4, None, "entrance")).unwrap();
    // The scenario's own policy on the left.
    assert_eq!(c.left.policy, "leave");
    // Common random numbers: the same passengers arrive on both sides.
    for (l, r) in c.left.runs.iter().zip(&c.right.runs) {
        assert_eq!(l["arrivals"], r["arrivals"]);
    }
    assert_eq!(c.difference["arrivals"].mean, 0.0);
    assert_eq!(c.difference["arrivals"].ci95, Some(0.0));
    for (k, d) in &c.difference {
        let (l, r) = (c.left.metrics[k], c.right.metrics[k]);
        if l.is_nan() || r.is_nan() {
            continue;
        }
        let scale = l.abs().max(r.abs()).max(1.0);
        assert!(
            (d.mean - (l - r)).abs() <= 1e-12 * scale,
            "{k}: {} vs {l} − {r}",
            d.mean
        );
    }
    // The pairs are the report's own replications.
    let alone = report::run(
        &s,
        &RunOptions {
            duration_s: Some(300.0),
            replications: 4,
            policy: Some("entrance".into()),
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(alone.metrics, c.right.metrics);
}

#[test]
fn every_world_reports_its_headline_metrics() {
    for b in scenario::BUILTINS {
        let s = scenario(b.name, &[]);
        let policies = s.world.catalog().policies;
        let Some(right) = policies.last() else {
            continue;
        };
        let mut o = opts(5.0, 1, None, right);
        o.run.warmup_s = Some(0.0);
        let c = compare::run(&s, &o).unwrap();
        for h in headlines(s.world.kind()) {
            assert!(
                c.left.metrics.contains_key(h.key) && c.difference.contains_key(h.key),
                "{}: headline `{}` is not a metric",
                b.name,
                h.key
            );
        }
        // One replication: a difference without an interval.
        assert!(c.difference.values().all(|d| d.ci95.is_none()));
    }
}

#[test]
fn json_table_and_csv_carry_both_sides_and_the_difference() {
    let out = bin()
        .args([
            "run",
            "platform",
            "--compare",
            "entrance",
            "--set",
            "capacity=10",
            "--duration",
            "120",
            "--replications",
            "3",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["left"]["policy"], "leave");
    assert_eq!(v["right"]["policy"], "entrance");
    for side in ["left", "right"] {
        assert!(v[side]["metrics"]["completed"].is_number());
        assert!(v[side]["ci95"]["completed"].is_number());
    }
    let d = &v["difference"]["rejected"];
    let (l, r) = (
        v["left"]["metrics"]["rejected"].as_f64().unwrap(),
        v["right"]["metrics"]["rejected"].as_f64().unwrap(),
    );
    assert!((d["mean"].as_f64().unwrap() - (l - r)).abs() < 1e-9);
    assert!(d["ci95"].as_f64().unwrap() >= 0.0);

    let table = bin()
        .args([
            "run",
            "platform",
            "--compare",
            "entrance",
            "--duration",
            "60",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("left − right"), "{text}");
    assert!(
        text.contains("leave") && text.contains("entrance"),
        "{text}"
    );

    let csv = bin()
        .args([
            "run",
            "bkc-traffic",
            "--compare",
            "least-time",
            "--duration",
            "600",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,world,seed,metric,left_policy,left,left_ci95,right_policy,right,right_ci95,difference,difference_ci95"
    );
    let row = lines
        .find(|l| l.contains(",mean_journey_min,"))
        .unwrap()
        .to_string();
    assert!(
        row.contains(",naive,") && row.contains(",least-time,"),
        "{row}"
    );
}

#[test]
fn an_unknown_policy_is_refused_with_the_worlds_list() {
    let out = bin()
        .args(["run", "platform", "--compare", "entrence"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--compare: unknown policy `entrence`")
            && err.contains("world platform offers: leave, entrance")
            && err.contains("(did you mean `entrance`?)"),
        "{err}"
    );
    // The library says the same.
    let s = scenario("bkc-traffic", &[]);
    let e = compare::run(&s, &opts(10.0, 1, Some("fastest"), "naive")).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("--policy: unknown policy `fastest`; world bkc-traffic offers: naive, "),
        "{text}"
    );
}

/// Compare in the dashboard: the right side is the world on the same seed
/// with the other policy, and every change made on the left is made on it
/// at the same instant.
#[cfg(feature = "tui")]
mod dashboard {
    use std::time::Duration;

    use chaoswala::fault::Fault;
    use chaoswala::sim::{Command, SimTime, Simulation};
    use chaoswala::tui::app::{App, Budget, Launch};
    use chaoswala::tui::keymap::Action;
    use chaoswala::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::scenario;

    fn platform(sets: &[&str]) -> App {
        let s = scenario("platform", sets);
        App::with_launch(
            Launch::from_scenario("platform", s, None, None),
            Theme::plain(),
        )
        .unwrap()
    }

    fn first_fault(app: &App) -> Fault {
        let mut a = App::with_launch(Launch::builtin("platform").unwrap(), app.theme).unwrap();
        a.update(Action::OpenFaultMenu);
        a.menu_fault().unwrap()
    }

    fn screen(app: &App, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| f.render_widget(app, f.area())).unwrap();
        t.backend().to_string()
    }

    /// The right side as a headless run makes it: policy `entrance`, the
    /// same seed, the same changes at the same instants.
    fn headless(sets: &[&str], fault: &Fault, fault_at: u64, end: u64) -> Simulation {
        let s = scenario("platform", sets);
        let mut sim = s.simulation(None, Some("entrance")).unwrap();
        sim.run_until(SimTime::from_secs(fault_at)).unwrap();
        sim.inject(fault.clone()).unwrap();
        sim.run_until(SimTime::from_secs(fault_at + 10)).unwrap();
        sim.apply(Command::ScaleArrivals(1.1)).unwrap();
        sim.run_until(SimTime::from_secs(end)).unwrap();
        sim
    }

    fn act(app: &mut App, fault_at: u64) {
        app.advance_to(SimTime::from_secs(fault_at));
        app.update(Action::OpenFaultMenu);
        app.update(Action::Confirm);
        app.advance_to(SimTime::from_secs(fault_at + 10));
        app.update(Action::ArrivalsUp);
        // A policy switch stays on the left.
        app.update(Action::NextPolicy);
    }

    #[test]
    fn every_change_is_made_on_both_sides_at_the_same_instant() {
        let sets = ["capacity=20"];
        let mut app = platform(&sets);
        let fault = first_fault(&app);
        app.open_compare("entrance").unwrap();
        act(&mut app, 30);
        app.advance_to(SimTime::from_secs(90));
        let side = app.compare.side.as_ref().unwrap();
        assert_eq!(side.sim.now(), SimTime::from_secs(90));
        assert_eq!(side.sim.world().policy(), "entrance");
        let alone = headless(&sets, &fault, 30, 90);
        assert_eq!(side.sim.world().metrics(), alone.world().metrics());
        assert_eq!(
            side.sim
                .log()
                .map(|e| (e.at, e.text.clone()))
                .collect::<Vec<_>>(),
            alone
                .log()
                .map(|e| (e.at, e.text.clone()))
                .collect::<Vec<_>>()
        );
        // The left switched to `entrance` too, after the others.
        let left = &app.session.as_ref().unwrap().sim;
        assert_eq!(left.world().policy(), "entrance");
        assert_ne!(left.world().metrics(), alone.world().metrics());
    }

    #[test]
    fn opened_late_the_right_side_catches_up_through_the_changes_so_far() {
        let sets = ["capacity=20"];
        let mut app = platform(&sets);
        let fault = first_fault(&app);
        act(&mut app, 20);
        app.advance_to(SimTime::from_secs(60));
        // `v`: the policy after the current one (`entrance`, after the switch, then `leave`).
        app.update(Action::NextPolicy);
        app.update(Action::Compare);
        let side = app.compare.side.as_ref().unwrap();
        assert_eq!(side.policy, "entrance");
        assert_eq!(side.sim.now(), SimTime::from_secs(60), "caught up at once");
        let alone = headless(&sets, &fault, 20, 60);
        assert_eq!(side.sim.world().metrics(), alone.world().metrics());
        // `v` again closes it.
        app.update(Action::Compare);
        assert!(app.compare.side.is_none());
        assert!(app.message.as_deref().unwrap().contains("compare closed"));
    }

    #[test]
    fn a_restart_starts_both_sides_again() {
        let mut app = platform(&[]);
        app.open_compare("entrance").unwrap();
        app.advance_to(SimTime::from_secs(30));
        app.update(Action::ArrivalsUp);
        app.update(Action::RestartKeep);
        let side = app.compare.side.as_ref().unwrap();
        assert_eq!(side.sim.now(), SimTime::ZERO);
        assert_eq!(side.policy, "entrance");
        app.advance_to(SimTime::from_secs(30));
        let s = scenario("platform", &[]);
        let mut alone = s.simulation(None, Some("entrance")).unwrap();
        alone.apply(Command::ScaleArrivals(1.1)).unwrap();
        alone.run_until(SimTime::from_secs(30)).unwrap();
        let side = app.compare.side.as_ref().unwrap();
        assert_eq!(side.sim.world().metrics(), alone.world().metrics());
    }

    #[test]
    fn the_quit_summary_gives_the_differences_at_the_end() {
        let mut app = platform(&["capacity=20"]);
        assert!(app.compare_summary().is_none());
        app.open_compare("entrance").unwrap();
        act(&mut app, 30);
        app.advance_to(SimTime::from_secs(60));
        let text = app.compare_summary().unwrap();
        assert!(
            text.contains("compared with policy entrance on the same seed, at 08:01:00"),
            "{text}"
        );
        // The kill fills the small platform: `leave` turns people away.
        let line = text.lines().find(|l| l.contains("turned away")).unwrap();
        assert!(
            line.contains("(right better)") && line.contains('+'),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_policy_is_refused_with_the_worlds_list() {
        let mut app = platform(&[]);
        let e = app.open_compare("entrence").unwrap_err();
        assert!(
            e.contains("leave, entrance") && e.contains("did you mean `entrance`"),
            "{e}"
        );
        assert!(app.compare.side.is_none());
    }

    #[test]
    fn two_copies_that_cannot_keep_up_say_so() {
        let mut app = platform(&[]);
        app.open_compare("entrance").unwrap();
        app.update(Action::SpeedUp);
        for _ in 0..12 {
            app.update(Action::SpeedUp);
        }
        let starved = Budget {
            max_events: 64,
            max_wall: Duration::from_millis(50),
        };
        app.tick(Duration::from_secs(1), starved);
        app.prepare_frame();
        for (w, h) in [(120, 40), (80, 24)] {
            let text = screen(&app, w, h);
            assert!(text.contains("compare is behind"), "{w}×{h}:\n{text}");
            assert!(text.contains("try a lower speed"), "{w}×{h}:\n{text}");
        }
    }

    #[test]
    fn every_world_compares_and_draws_at_both_sizes() {
        for b in chaoswala::scenario::BUILTINS {
            let sets: &[&str] = if b.kind == "tatkal" {
                &["scale=0.01"]
            } else {
                &[]
            };
            let s = scenario(b.name, sets);
            let mut app =
                App::with_launch(Launch::from_scenario(b.name, s, None, None), Theme::plain())
                    .unwrap();
            app.update(Action::Compare);
            let Some(side) = app.compare.side.as_ref() else {
                // A world with one policy says there is nothing to compare.
                assert!(
                    app.message
                        .as_deref()
                        .unwrap()
                        .contains("nothing to compare")
                );
                continue;
            };
            let left = app.session.as_ref().unwrap().sim.world().policy();
            assert_ne!(side.policy, left, "{}", b.name);
            app.advance_to(SimTime::from_secs(30));
            app.update(Action::TogglePause);
            let rows = app.compare.side.as_ref().unwrap().rows(b.kind);
            assert!(!rows.is_empty(), "{}: no difference rows", b.name);
            for (w, h) in [(120, 40), (80, 24)] {
                let text = screen(&app, w, h);
                for want in [
                    format!("left · {left}"),
                    format!("right · {}", side_policy(&app)),
                    "left − right".to_string(),
                    rows[0].headline.label.to_string(),
                ] {
                    assert!(
                        text.contains(&want),
                        "{} {w}×{h}: no `{want}`:\n{text}",
                        b.name
                    );
                }
            }
        }
    }

    fn side_policy(app: &App) -> String {
        app.compare.side.as_ref().unwrap().policy.clone()
    }

    #[test]
    fn a_recording_made_during_compare_records_the_commands() {
        let dir =
            std::env::temp_dir().join(format!("chaoswala-compare-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("session.ron");
        let mut app = platform(&[]);
        app.record_to(&path, true).unwrap();
        app.open_compare("entrance").unwrap();
        app.advance_to(SimTime::from_secs(15));
        app.update(Action::ArrivalsUp);
        app.finish_recording().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(text.contains("ScaleArrivals"), "{text}");
        // The comparison itself is not a command of the session.
        assert!(!text.contains("\"entrance\""), "{text}");
    }
}
