//! Recorded sessions: a session driven command by command (as the
//! dashboard drives it: advance the clock, apply a command at the instant
//! reached) is written as it goes, and running the recording headless
//! gives the live session's metrics at its end, byte for byte, in every
//! built-in. A recording is a scenario: `check` validates it, a tampered
//! line is reported at FILE:LINE:COL, a newer format is refused by name,
//! and a recording cut short by a killed session still reads.

use chaoswala::fault::Fault;
use chaoswala::report::{self, RunOptions};
use chaoswala::scenario::{self, recording::Recorder};
use chaoswala::sim::{Command, SimTime};

/// A fresh temporary path (the file does not exist yet).
fn temp_path(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("chaoswala-rec-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join("session.ron");
    let _ = std::fs::remove_file(&p);
    p
}

/// Light sizes for the heavy worlds (the recording embeds them).
fn light(name: &str) -> Vec<String> {
    match name {
        "tatkal" | "tatkal-2023" => vec!["scale=0.002".into()],
        "ipl-final" | "ipl-final-playbook" => vec!["volume_scale=0.02".into()],
        _ => Vec::new(),
    }
}

/// Drives a live session of `name` and records it; returns the live
/// metrics at the end and the recording's path.
fn session(name: &str, tag: &str) -> (String, std::path::PathBuf) {
    let mut s = scenario::load(name).expect("built-in").scenario;
    s.apply_sets(&light(name)).expect("valid");
    let mut sim = s.simulation(Some(9), None).expect("builds");
    // What the dashboard records at its start: the scenario as started.
    let mut started = s.clone();
    started.seed = 9;
    started.policy = Some(sim.world().policy());
    let path = temp_path(&format!("{name}-{tag}"));
    let mut rec = Recorder::create(&path, &started, false).expect("records");
    let span = s.duration_s.min(3_600.0);
    let mut t = 0.0;
    let mut step = |sim: &mut chaoswala::sim::Simulation, frac: f64| {
        t += span * frac;
        // Frames end where the clock stands, as in the dashboard.
        sim.step_until(SimTime::from_secs_f64(t), u64::MAX)
            .expect("ahead");
    };
    let catalog = sim.world().catalog().clone();
    let menu = sim.world().fault_menu();
    step(&mut sim, 0.1);
    let apply = |sim: &mut chaoswala::sim::Simulation, rec: &mut Recorder, cmd: Command| {
        if sim.apply(cmd.clone()).is_ok() {
            rec.command(sim.now(), &cmd).expect("written");
        }
    };
    if let Some(p) = catalog.policies.get(1) {
        apply(&mut sim, &mut rec, Command::SetPolicy(p.clone()));
    }
    step(&mut sim, 0.1);
    let mut injected = 0;
    for tpl in menu.iter().take(2) {
        let fault = Fault {
            kind: tpl.kind.clone(),
            target: tpl.targets[0].clone(),
            duration_s: None,
        };
        if sim.inject(fault.clone()).is_ok() {
            rec.fault(sim.now(), &fault).expect("written");
            injected += 1;
        }
        step(&mut sim, 0.1);
    }
    assert_eq!(injected, 2, "{name}: two faults from the menu");
    apply(&mut sim, &mut rec, Command::ClearFault(1));
    step(&mut sim, 0.1);
    if let Some(tg) = catalog.toggles.first() {
        apply(
            &mut sim,
            &mut rec,
            Command::Toggle {
                name: tg.name.clone(),
                on: true,
            },
        );
    }
    step(&mut sim, 0.1);
    apply(&mut sim, &mut rec, Command::ScaleArrivals(1.2));
    step(&mut sim, 0.2);
    apply(&mut sim, &mut rec, Command::ClearFaults);
    step(&mut sim, 0.1);
    rec.finish(sim.now()).expect("closed");
    let live = serde_json::to_string(&sim.world().metrics()).expect("json");
    (live, path)
}

fn replay(path: &std::path::Path) -> String {
    let loaded = scenario::load(path.to_str().expect("utf-8")).unwrap_or_else(|e| panic!("{e}"));
    let r = report::run(&loaded.scenario, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    serde_json::to_string(&r.metrics).expect("json")
}

#[test]
fn a_recorded_session_of_every_builtin_replays_to_the_same_metrics() {
    for b in chaoswala::world::BUILTINS {
        let (live, path) = session(b.name, "replay");
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(text.contains("Clear(at_s:"), "{}: {text}", b.name);
        assert_eq!(replay(&path), live, "{}: replay differs", b.name);
        // The commands mattered: the same span without them differs.
        let mut plain = scenario::load(path.to_str().expect("utf-8"))
            .expect("reads")
            .scenario;
        let end = plain.run_duration_s();
        plain
            .timeline
            .retain(|e| matches!(e, scenario::TimelineEntry::Caption { .. }) || e.at_s() == 0.0);
        let r = report::run(
            &plain,
            &RunOptions {
                duration_s: Some(end),
                ..RunOptions::default()
            },
        )
        .expect("runs");
        assert_ne!(
            serde_json::to_string(&r.metrics).expect("json"),
            live,
            "{}: the session's commands changed nothing",
            b.name
        );
    }
}

#[test]
fn a_recording_is_a_scenario_that_check_validates() {
    let (_, path) = session("platform", "check");
    let p = path.to_str().expect("utf-8");
    let o = crate::common::bin()
        .args(["check", p])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A tampered line: FILE:LINE:COL and exit 2.
    let text = std::fs::read_to_string(&path).expect("read");
    let bad = text.replacen("Policy(at_s:", "Policy(at_z:", 1);
    std::fs::write(&path, &bad).expect("write");
    let o = crate::common::bin()
        .args(["check", p])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    let line = bad.lines().position(|l| l.contains("at_z")).expect("there") + 1;
    assert!(e.contains(&format!("{p}:{line}:")), "{e}");
    // A newer format is refused by name.
    std::fs::write(&path, text.replacen("format 1", "format 7", 1)).expect("write");
    let o = crate::common::bin()
        .args(["check", p])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("format 7, made by a newer chaoswala"));
    // An existing file is kept unless forced.
    let s = scenario::load("platform").expect("built-in").scenario;
    assert!(Recorder::create(&path, &s, false).is_err());
    assert!(Recorder::create(&path, &s, true).is_ok());
}

#[test]
fn a_recording_cut_short_by_a_killed_session_still_reads() {
    let (_, path) = session("platform", "cut");
    let text = std::fs::read_to_string(&path).expect("read");
    // Killed while writing the last command: its line is cut in half and
    // the closing lines never came.
    let cut = text.rfind("ScaleArrivals").expect("recorded") + 8;
    std::fs::write(&path, &text[..cut]).expect("write");
    let s = scenario::load(path.to_str().expect("utf-8")).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.scenario.recording.is_none());
    let kept = s
        .scenario
        .timeline
        .iter()
        .filter(|e| matches!(e, scenario::TimelineEntry::Clear { .. }))
        .count();
    assert_eq!(kept, 1, "the commands before the cut are all there");
}

#[cfg(feature = "tui")]
#[test]
fn the_dashboard_refuses_to_record_over_a_file_without_force() {
    let (_, path) = session("platform", "force");
    let p = path.to_str().expect("utf-8");
    let o = crate::common::bin()
        .args(["tui", "platform", "--record", p])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exists; pass --force to replace it"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty());
}

/// The demo assets: each recording in `assets/` is what the demo session
/// records today (byte for byte), replays headless to the live session's
/// metrics (byte for byte), and holds a policy switch, two faults, a
/// clear, a rate change and, where the world has switches, a toggle; its
/// cast and picture are what `chaoswala demo` makes of it.
#[cfg(feature = "tui")]
#[test]
fn every_demo_asset_replays_headless_to_the_recorded_sessions_metrics() {
    use chaoswala::tui::demo;
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for d in &demo::DEMOS {
        let path = temp_path(&format!("demo-{}", d.file));
        let app = demo::record(d, &path).unwrap_or_else(|e| panic!("{}: {e}", d.file));
        let asset = assets.join(format!("{}.ron", d.file));
        let committed = std::fs::read_to_string(&asset).expect("the asset is there");
        assert_eq!(
            std::fs::read_to_string(&path).expect("recorded"),
            committed,
            "{}: assets/ is stale; run `cargo run --release -- demo assets/`",
            d.file
        );
        let live = serde_json::to_string(
            &app.session
                .as_ref()
                .expect("a session")
                .sim
                .world()
                .metrics(),
        )
        .expect("json");
        assert_eq!(replay(&asset), live, "{}: the replay differs", d.file);
        let commands = committed
            .split(scenario::recording::COMMANDS_MARK)
            .nth(1)
            .expect("marked");
        let count = |what: &str| commands.matches(what).count();
        assert_eq!(count("Policy("), 1, "{}", d.file);
        assert_eq!(count("Fault("), 2, "{}", d.file);
        assert_eq!(count("Clear("), 1, "{}", d.file);
        assert_eq!(count("ScaleArrivals("), 1, "{}", d.file);
        let switches = !app
            .session
            .as_ref()
            .expect("a session")
            .snapshot
            .toggles
            .is_empty();
        assert_eq!(count("Toggle(") == 1, switches, "{}", d.file);
        // The cast and the picture are made from the recording, the same
        // bytes every time.
        let dir = path.parent().expect("a folder");
        let (cast, svg) = (dir.join("demo.cast"), dir.join("demo.svg"));
        demo::cast(&asset, &cast, &svg).expect("cast");
        for (made, name) in [(cast, "cast"), (svg, "svg")] {
            assert!(
                std::fs::read(&made).expect("made")
                    == std::fs::read(assets.join(format!("{}.{name}", d.file))).expect("there"),
                "{}.{name}: assets/ is stale; run `cargo run --release -- demo assets/`",
                d.file
            );
        }
    }
}
