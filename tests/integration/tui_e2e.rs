//! The real binary in a real terminal: tmux runs `chaoswala` at 120×40,
//! keys are sent, the pane is captured and read. Not a timing test: every
//! wait polls with a generous deadline.
//!
//! Without tmux the test is skipped loudly, unless `CI` is set: then it fails.
#![cfg(feature = "tui")]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A tmux server of the test's own (its own socket), killed on drop.
struct Tmux {
    socket: String,
    session: String,
    dir: PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn capture(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}: {out:?}");
    }

    /// Polls the pane until `pred` holds; panics with the last capture after `limit`.
    fn wait_for(&self, what: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let pane = self.capture();
            if pred(&pane) {
                return pane;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {what}; the pane shows:\n{pane}"
            );
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts `chaoswala ARGS` in a fresh tmux server of `w`×`h`, with `env`
/// set; after it exits the pane shows its exit code and `stty -a`.
/// `None` when tmux is missing (outside CI).
fn start(tag: &str, w: u16, h: u16, env: &str, args: &str) -> Option<Tmux> {
    if !tmux_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required for the end-to-end tests in CI"
        );
        eprintln!("\n\n!!!!! SKIPPED tui_e2e: tmux is not installed !!!!!\n\n");
        return None;
    }
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("chaoswala-e2e-{tag}-{pid}"));
    std::fs::create_dir_all(&dir).unwrap();
    let t = Tmux {
        socket: format!("chaoswala-e2e-{tag}-{pid}"),
        session: "e2e".to_string(),
        dir: dir.clone(),
    };
    let bin = env!("CARGO_BIN_EXE_chaoswala");
    let script = format!(
        "cd '{}' && stty -g > stty-before && env TERM=screen-256color {env} sh -c 'echo $$ > pid; exec \"$0\" \"$@\"' '{bin}' {args}; echo EXITED-$?; stty -g > stty-after; stty -a; echo STTY-DONE; sleep 60",
        dir.display()
    );
    let (w, h) = (w.to_string(), h.to_string());
    let out = t.run(&[
        "new-session",
        "-d",
        "-s",
        &t.session,
        "-x",
        &w,
        "-y",
        &h,
        "sh",
        "-c",
        &script,
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");
    Some(t)
}

/// Quits with `q` (it asks), then `y`, and checks the exit code, the
/// terminal's modes and the summary left on the normal screen.
fn quit_and_check_restored(t: &Tmux) {
    t.send(&["q"]);
    t.wait_for("the quit question", LONG, |p| p.contains("Quit chaoswala?"));
    assert!(!t.capture().contains("EXITED-"), "q alone must not quit");
    t.send(&["y"]);
    let done = check_restored(t, 0);
    assert!(done.contains("simulated "), "the summary:\n{done}");
    assert!(done.contains("faults injected"), "the summary:\n{done}");
}

/// Waits for the exit, then compares the terminal with how it was before
/// (`stty -g` before and after, the alternate screen off, the modes on).
fn check_restored(t: &Tmux, code: i32) -> String {
    let done = t.wait_for("the program to exit", LONG, |p| {
        p.contains("EXITED-") && p.contains("STTY-DONE")
    });
    assert!(done.contains(&format!("EXITED-{code}")), "{done}");
    let before = std::fs::read_to_string(t.dir.join("stty-before")).unwrap();
    let after = std::fs::read_to_string(t.dir.join("stty-after")).unwrap();
    assert_eq!(before, after, "stty state differs after the exit:\n{done}");
    assert!(
        !done.contains("chaoswala · "),
        "the alternate screen was left:\n{done}"
    );
    for flag in ["icanon", "echo", "isig"] {
        assert!(stty_has(&done, flag), "stty shows {flag} off:\n{done}");
    }
    assert_eq!(alternate_on(t), "0");
    done
}

fn alternate_on(t: &Tmux) -> String {
    let alt = t.run(&["display-message", "-p", "-t", &t.session, "#{alternate_on}"]);
    String::from_utf8_lossy(&alt.stdout).trim().to_string()
}

#[test]
fn signals_restore_the_terminal() {
    for (sig, n) in [("TERM", 15), ("HUP", 1), ("INT", 2)] {
        let Some(t) = start(&format!("sig{n}"), 120, 40, "", "tui platform") else {
            return;
        };
        t.wait_for("the dashboard", LONG, |p| p.contains("chaoswala · Andheri"));
        assert_eq!(
            alternate_on(&t),
            "1",
            "the dashboard is on the alternate screen"
        );
        let pid = std::fs::read_to_string(t.dir.join("pid")).unwrap();
        let out = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.trim())
            .output()
            .unwrap();
        assert!(out.status.success(), "kill -{sig}: {out:?}");
        let done = check_restored(&t, 128 + n);
        assert!(done.contains(&format!("ended by signal {n}")), "{done}");
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The first `HH:MM:SS` on the header line.
fn header_clock(pane: &str) -> Option<String> {
    let header = pane.lines().next()?;
    let chars: Vec<char> = header.chars().collect();
    chars.windows(8).find_map(|w| {
        let ok = w.iter().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                *c == ':'
            } else {
                c.is_ascii_digit()
            }
        });
        ok.then(|| w.iter().collect())
    })
}

/// Whether `stty -a` shows `flag` set (not `-flag`).
fn stty_has(pane: &str, flag: &str) -> bool {
    pane.split_whitespace().any(|w| w == flag)
}

const LONG: Duration = Duration::from_secs(30);

#[test]
fn dashboard_in_a_real_terminal() {
    let Some(t) = start("picker", 120, 40, "", "") else {
        return;
    };

    // The picker, platform first; Enter opens it.
    t.wait_for("the world picker", LONG, |p| {
        p.contains("Choose a world") && p.contains("▶  1. platform")
    });
    t.send(&["Enter"]);
    let first = t.wait_for("the dashboard", LONG, |p| {
        p.contains("chaoswala · Andheri platform") && header_clock(p).is_some()
    });
    let clock0 = header_clock(&first).unwrap();

    // Faster: ×10 → ×30 → ×60 → ×120.
    t.send(&["+", "+", "+"]);
    t.wait_for("speed ×120", LONG, |p| {
        p.lines().next().is_some_and(|h| h.contains("×120"))
    });

    // The fault menu; Enter injects its first fault.
    t.send(&["f"]);
    t.wait_for("the fault menu", LONG, |p| p.contains("inject a fault"));
    t.send(&["Enter"]);
    // What the world does with that fault decides the word the log uses.
    let mut probe = chaoswala::scenario::load("platform")
        .unwrap()
        .scenario
        .simulation(None, None)
        .unwrap();
    let template = probe.world().fault_menu().remove(0);
    let fault = chaoswala::fault::Fault {
        kind: template.kind.clone(),
        target: template.targets[0].clone(),
        duration_s: template.duration_s,
    };
    let expected_text = fault.to_string();
    let verdict = if probe.inject(fault).is_ok() {
        "injected"
    } else {
        "refused"
    };
    t.wait_for("the fault in the event log", LONG, |p| {
        !p.contains("inject a fault")
            && log_lines(p)
                .iter()
                .any(|l| l.contains(&expected_text) && l.contains(verdict))
    });

    // Next policy: the world's own list says what to expect.
    let world = chaoswala::scenario::load("platform")
        .unwrap()
        .scenario
        .simulation(None, None)
        .unwrap();
    let policies = world.world().policies();
    let current = world.world().policy();
    t.send(&["p"]);
    if policies.len() > 1 {
        let i = policies.iter().position(|p| *p == current).unwrap();
        let next = policies[(i + 1) % policies.len()].clone();
        t.wait_for("the next policy in the header", LONG, |p| {
            p.lines()
                .next()
                .is_some_and(|h| h.contains(&format!("policy {next}")))
        });
    } else {
        let line = format!("only one policy in this world: {current}");
        t.wait_for("the one-policy note in the log", LONG, |p| {
            log_lines(p).iter().any(|l| l.contains(&line))
        });
    }

    // The clock moved on.
    t.wait_for("the clock to advance", LONG, |p| {
        header_clock(p).is_some_and(|c| c != clock0)
    });

    // Quit: the program exits 0 and the terminal is itself again.
    quit_and_check_restored(&t);
}

#[test]
fn compact_without_colour_survives_resizing() {
    let Some(t) = start("compact", 80, 24, "NO_COLOR=1", "tui platform --seed 7") else {
        return;
    };
    t.wait_for("the compact dashboard", LONG, |p| {
        p.contains("chaoswala · Andheri") && p.contains("seed 7")
    });
    // No colour escape reaches the pane: foreground 30–38/90–97, background 40–48/100–107.
    let escapes = t.run(&["capture-pane", "-p", "-e", "-t", &t.session]);
    let raw = String::from_utf8_lossy(&escapes.stdout).into_owned();
    for code in raw.split("\u{1b}[").skip(1) {
        let params = code.split('m').next().unwrap_or("");
        for p in params.split(';') {
            let n: u32 = p.parse().unwrap_or(0);
            assert!(
                !matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107),
                "colour code {n} with NO_COLOR set"
            );
        }
    }
    // Too small: the resize message; big again: the dashboard.
    let _ = t.run(&["resize-window", "-t", &t.session, "-x", "40", "-y", "10"]);
    t.wait_for("the resize message", LONG, |p| {
        p.contains("Resize to at least 80×24")
    });
    let _ = t.run(&["resize-window", "-t", &t.session, "-x", "120", "-y", "40"]);
    t.wait_for("the full dashboard", LONG, |p| {
        p.contains("chaoswala · Andheri platform 1 — fast train") && p.contains("event log")
    });
    quit_and_check_restored(&t);
}

/// The event log's lines (between its borders).
fn log_lines(pane: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in pane.lines() {
        if line.contains("event log") {
            inside = true;
            continue;
        }
        if inside {
            if line.starts_with('╰') || line.starts_with('┗') {
                break;
            }
            out.push(line.to_string());
        }
    }
    out
}

/// The numbers of the gauges panel ("now"): each row's last word(s)
/// before its right border, e.g. `11/500`, `80.1 %`.
fn gauge_numbers(pane: &str) -> Vec<String> {
    pane.lines()
        .skip_while(|l| !l.contains("╭ now") && !l.contains("┏ ▶ now"))
        .skip(1)
        .take_while(|l| !l.starts_with('╰') && !l.starts_with('┗'))
        .filter_map(|l| {
            let inner = l.get(l.find('│').or_else(|| l.find('┃'))?..)?;
            let cell: String = inner
                .chars()
                .skip(1)
                .take_while(|c| *c != '│' && *c != '┃')
                .collect();
            let words: Vec<&str> = cell.split_whitespace().collect();
            let n = words.len();
            match words.last() {
                Some(&"%") if n >= 2 => Some(format!("{} %", words[n - 2])),
                Some(w) => Some((*w).to_string()),
                None => None,
            }
        })
        .collect()
}

#[test]
fn a_session_recorded_in_a_terminal_replays_to_the_same_end() {
    let Some(t) = start("record", 120, 40, "", "tui platform --record session.ron") else {
        return;
    };
    t.wait_for("the dashboard", LONG, |p| {
        p.contains("chaoswala · Andheri platform") && header_clock(p).is_some()
    });
    // A policy switch, a fault, a clear.
    t.send(&["p"]);
    t.wait_for("the policy switch", LONG, |p| {
        log_lines(p).iter().any(|l| l.contains("policy"))
    });
    t.send(&["f"]);
    t.wait_for("the fault menu", LONG, |p| p.contains("inject a fault"));
    t.send(&["Enter"]);
    t.wait_for("the fault", LONG, |p| {
        !p.contains("inject a fault") && log_lines(p).iter().any(|l| l.contains("fault #1"))
    });
    t.send(&["c"]);
    t.wait_for("the clear", LONG, |p| {
        log_lines(p)
            .iter()
            .any(|l| l.contains("cleared") || l.contains("no faults to clear"))
            || p.contains("no faults to clear")
    });
    // Pause and read the end state: the clock and the headline numbers.
    t.send(&["Space"]);
    let live = t.wait_for("the pause", LONG, |p| p.contains("PAUSED"));
    let clock = header_clock(&live).unwrap();
    let numbers = gauge_numbers(&live);
    assert!(numbers.len() >= 3, "{numbers:?} in\n{live}");
    quit_and_check_restored(&t);
    let rec = std::env::temp_dir().join(format!("chaoswala-e2e-{}.ron", std::process::id()));
    std::fs::copy(t.dir.join("session.ron"), &rec).unwrap();
    drop(t);
    let text = std::fs::read_to_string(&rec).unwrap();
    for want in ["Policy(", "Fault(", "recording: Some("] {
        assert!(text.contains(want), "no {want} in\n{text}");
    }

    // The replay, faster, to the recording's end.
    let args = format!("replay '{}'", rec.display());
    let Some(r) = start("replay", 120, 40, "", &args) else {
        return;
    };
    r.wait_for("the replay", LONG, |p| {
        p.contains("chaoswala · REPLAY · Andheri")
    });
    r.send(&["+", "+", "+"]);
    let end = r.wait_for("the replay's end", LONG, |p| {
        p.contains("replay ended · Andheri") && p.contains("PAUSED")
    });
    assert_eq!(
        header_clock(&end).unwrap(),
        clock,
        "the same instant:\n{end}"
    );
    assert_eq!(
        gauge_numbers(&end),
        numbers,
        "the same numbers:\n{live}\n{end}"
    );
    assert_eq!(log_lines(&end), log_lines(&live), "the same event log");
    // From the end on the session is live: `p` switches at once.
    r.send(&["p"]);
    r.wait_for("no question after the end", LONG, |p| {
        !p.contains("take over")
            && log_lines(p).iter().filter(|l| l.contains("policy")).count() >= 2
    });
    quit_and_check_restored(&r);
    let _ = std::fs::remove_file(&rec);
}

#[test]
fn compare_in_a_real_terminal() {
    let Some(t) = start(
        "compare",
        120,
        40,
        "",
        "tui platform --compare entrance --set capacity=20",
    ) else {
        return;
    };
    t.wait_for("both halves and the difference strip", LONG, |p| {
        p.contains("left · leave")
            && p.contains("right · entrance")
            && p.contains("left − right · leave vs entrance")
    });
    // A fault from the menu: made on both sides at the same instant.
    t.send(&["f"]);
    t.wait_for("the fault menu", LONG, |p| p.contains("inject a fault"));
    t.send(&["Enter"]);
    let pane = t.wait_for("the fault on both sides", LONG, |p| {
        !p.contains("inject a fault")
            && log_lines(p).iter().any(|l| l.contains("fault #1 injected"))
            // Both platforms fill up, so both halves show a full gauge.
            && p.lines().filter(|l| l.matches("20/20").count() == 2).count() == 1
    });
    let strip: Vec<&str> = pane
        .lines()
        .skip_while(|l| !l.contains("left − right · leave vs entrance"))
        .take(5)
        .collect();
    assert!(
        strip.iter().any(|l| l.contains("turned away")),
        "the strip names the world's differences:\n{pane}"
    );
    // `v` closes compare: the dashboard is one world again.
    t.send(&["v"]);
    t.wait_for("compare closed", LONG, |p| {
        p.contains("compare closed") && !p.contains("right · entrance")
    });
    quit_and_check_restored(&t);
}
