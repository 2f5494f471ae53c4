//! No input makes the program crash, hang or lose output silently: deep
//! nesting, endless or blocking files, closed pipes, full disks, unwritable
//! `--out` paths, huge lines, nonsense `--set` values, a dashboard without
//! a terminal; and a bounded fuzz over scenario text and `--set` strings.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use chaoswala::scenario::{self, BUILTINS, MAX_FILE_BYTES, MAX_NESTING};
use proptest::prelude::*;

/// Waits for `child` at most `limit`, killing it after: a test never hangs.
fn wait_at_most(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("waits").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the binary with `args`, no stdin, at most 20 s.
fn run(args: &[&str]) -> Output {
    let child = crate::common::bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    wait_at_most(child, Duration::from_secs(20))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A file of `bytes` in a fresh temporary folder, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn arg(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn temp_file(tag: &str, bytes: &[u8]) -> TempFile {
    let dir =
        std::env::temp_dir().join(format!("chaoswala-hardening-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{tag}.ron"));
    std::fs::write(&path, bytes).expect("writes");
    TempFile(path)
}

fn nested_set(levels: usize) -> String {
    format!("service={}1{}", "A(".repeat(levels), ")".repeat(levels))
}

// ---- 1. nesting ----

#[test]
fn deeply_nested_set_values_are_refused_at_once() {
    for levels in [30_000, 8_000, MAX_NESTING + 1] {
        let set = nested_set(levels);
        let start = Instant::now();
        let o = run(&["run", "platform", "--duration", "1", "--set", &set]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{levels}: {e}");
        assert!(
            e.contains(&format!("at most {MAX_NESTING}")) || e.contains("bytes; at most"),
            "{levels}: {e}"
        );
        assert!(
            e.len() < 1_000,
            "{levels}: the message echoes all the input"
        );
        assert!(start.elapsed() < Duration::from_secs(5), "{levels}: slow");
    }
    // Within the cap the value reaches serde, which names the bad variant.
    let o = run(&[
        "run",
        "platform",
        "--duration",
        "1",
        "--set",
        &nested_set(MAX_NESTING - 1),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown variant `A`"), "{}", stderr(&o));
}

#[cfg(feature = "tui")]
#[test]
fn deeply_nested_set_values_are_refused_by_the_dashboard_too() {
    let o = run(&["tui", "platform", "--set", &nested_set(30_000)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_megabyte_of_open_brackets_is_refused_before_parsing() {
    let path = temp_file("brackets", &vec![b'['; MAX_FILE_BYTES - 10]);
    let start = Instant::now();
    let o = run(&["check", path.arg()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    let first = e.lines().next().unwrap_or("");
    assert!(
        first.ends_with(&format!(
            ":1:{}: nested deeper than {MAX_NESTING} levels of brackets; at most {MAX_NESTING} are allowed",
            MAX_NESTING + 1
        )),
        "{first}"
    );
    assert!(e.len() < 1_000, "{} bytes of stderr", e.len());
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn brackets_in_strings_and_comments_do_not_count() {
    let text = BUILTINS[0]
        .text
        .replacen(
            "Scenario(",
            &format!(
                "// {}\n/* {} */ Scenario(",
                "(".repeat(500),
                "{".repeat(500)
            ),
            1,
        )
        .replacen("title: \"", &format!("title: \"{}", "[".repeat(500)), 1);
    scenario::parse("strings.ron", &text).unwrap_or_else(|e| panic!("{e}"));
}

// ---- 2. reads ----

#[test]
fn devices_and_pipes_are_refused_by_kind() {
    for args in [
        &["check", "/dev/zero"][..],
        &["run", "/dev/zero"],
        &["check", "/dev/null"],
    ] {
        let o = run(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains("not a regular file"), "{args:?}: {e}");
    }
}

#[test]
fn a_piped_stdin_is_refused_and_a_redirected_file_is_read() {
    // `yes | chaoswala check /dev/stdin`: a pipe that never ends.
    let mut child = crate::common::bin()
        .args(["check", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        use std::io::Write as _;
        let chunk = vec![b'y'; 1 << 16];
        while stdin.write_all(&chunk).is_ok() {}
    });
    let o = wait_at_most(child, Duration::from_secs(10));
    feeder.join().expect("feeder");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/dev/stdin: not a regular file"),
        "{}",
        stderr(&o)
    );

    let file = std::fs::File::open(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/platform.ron"),
    )
    .expect("opens");
    let child = crate::common::bin()
        .args(["check", "/dev/stdin"])
        .stdin(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let o = wait_at_most(child, Duration::from_secs(10));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_named_pipe_is_refused_without_blocking() {
    let dir = std::env::temp_dir().join(format!("chaoswala-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let fifo = dir.join("scenario.ron");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable: skipped");
        return;
    }
    let o = run(&["check", fifo.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

#[test]
fn a_file_over_the_cap_is_refused() {
    let path = temp_file("big", &vec![b' '; MAX_FILE_BYTES + 1]);
    let o = run(&["check", path.arg()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("at most {MAX_FILE_BYTES} are read")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let path = temp_file("latin1", b"Scenario(\n  name: \"caf\xe9\",\n)");
    let o = run(&["check", path.arg()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        e.contains("not UTF-8 text: invalid byte 0xe9 at byte offset 22 (line 2)"),
        "{e}"
    );
}

// ---- 3. closed pipes and full disks ----

#[test]
fn a_closed_pipe_ends_output_quietly() {
    for args in [
        &["list"][..],
        &["check", "scenarios/platform.ron", "platform", "tatkal"],
        &["run", "platform", "--duration", "60"],
    ] {
        let mut child = crate::common::bin()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        drop(child.stdout.take()); // the reader goes away at once
        let o = wait_at_most(child, Duration::from_secs(20));
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(o.stderr.is_empty(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_full_disk_is_an_error_not_a_panic_nor_silence() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("/dev/full unavailable: skipped");
        return;
    };
    for args in [&["list"][..], &["run", "platform", "--duration", "60"]] {
        let child = crate::common::bin()
            .args(args)
            .stdin(Stdio::null())
            .stdout(full.try_clone().expect("clone"))
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let o = wait_at_most(child, Duration::from_secs(20));
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.starts_with("chaoswala: cannot write to standard output:"),
            "{args:?}: {e}"
        );
        assert!(!e.contains("panicked"), "{e}");
    }
}

// ---- 4. --out ----

#[test]
fn an_unwritable_out_path_is_refused_before_the_run() {
    let start = Instant::now();
    let o = run(&["run", "ipl-final", "--out", "/nonexistent/x.json"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.starts_with("chaoswala: cannot write /nonexistent/x.json:"),
        "{e}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "it simulated first"
    );

    let dir = std::env::temp_dir();
    let o = run(&["run", "platform", "--out", dir.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("it is a folder"), "{}", stderr(&o));
}

#[test]
fn out_replaces_the_file_whole_and_leaves_no_temporary() {
    let dir = std::env::temp_dir().join(format!("chaoswala-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("report.json");
    std::fs::write(&path, "old").expect("writes");
    let o = run(&[
        "run",
        "platform",
        "--duration",
        "60",
        "--format",
        "json",
        "--out",
        path.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut text = String::new();
    std::fs::File::open(&path)
        .expect("opens")
        .read_to_string(&mut text)
        .expect("reads");
    assert!(
        text.starts_with('{') && text.trim_end().ends_with('}'),
        "{text}"
    );
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("lists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(names, vec!["report.json".to_string()]);
}

// ---- 5. huge lines ----

#[test]
fn an_error_on_a_huge_line_shows_a_window_of_it() {
    let text = format!(
        "Scenario(name: \"x\", title: \"{}\", nonsense: 1)",
        "a".repeat(900_000)
    );
    let path = temp_file("long-line", text.as_bytes());
    let o = run(&["check", path.arg()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(e.len() < 2_000, "{} bytes of stderr", e.len());
    let lines: Vec<&str> = e.lines().collect();
    assert!(
        lines[0].contains("1:900032: unknown field `nonsense`"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("  | …"), "{}", lines[1]);
    let caret = lines[2].chars().position(|c| c == '^').expect("caret");
    assert_eq!(lines[1].chars().nth(caret), Some('n'), "{e}");
}

// ---- 6. --set nonsense ----

#[test]
fn set_values_of_the_wrong_shape_are_refused_with_the_key() {
    for (world, set, needle) in [
        ("tatkal", "arrivals=[]", "`arrivals` is a struct"),
        ("ipl-final", "spikes=[]", "`spikes` is a struct"),
        (
            "ipl-final",
            "spikes=(boundary: [])",
            "`spikes.boundary` is a struct",
        ),
        (
            "ipl-final",
            "match_feed.batting_first=NaN",
            "`match_feed.batting_first` is text: write it in double quotes",
        ),
        ("platform", "servers=many", "`servers` expects a number"),
        ("platform", "servers=NaN", "`servers` expects a number"),
        (
            "ipl-final",
            "db_backlog_knee=1e308",
            "db_backlog_knee must be between 1 and 5000000",
        ),
        (
            "ipl-final",
            "partner_overload_threshold=1e308",
            "partner_overload_threshold must be between 0 and 1000",
        ),
    ] {
        let o = run(&["run", world, "--duration", "1", "--set", set]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{world} {set}: {e}");
        assert!(e.contains(needle), "{world} {set}: {e}");
    }
}

#[test]
fn well_formed_set_values_still_work() {
    for (world, set) in [
        ("platform", "service=Deterministic"),
        ("platform", "service=Erlang(k: 3)"),
        ("platform", "servers=2"),
        ("ipl-final", "match_feed.batting_first=\"MI\""),
        ("ipl-final", "db_backlog_knee=5000000"),
        // An empty weather table is a road without monsoon: a valid list.
        ("bkc-traffic", "weather=[]"),
    ] {
        let o = run(&["run", world, "--duration", "1", "--set", set]);
        assert!(o.status.success(), "{world} {set}: {}", stderr(&o));
    }
}

// ---- 7. the dashboard without a terminal ----

#[cfg(feature = "tui")]
#[test]
fn the_dashboard_without_a_terminal_says_so_and_writes_nothing() {
    let o = run(&["tui", "platform"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        o.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(
        stderr(&o).lines().next(),
        Some("chaoswala: the dashboard needs a terminal; try `chaoswala run platform`")
    );
}

// ---- 8. bounded fuzz ----

/// Mutations of the shipped scenarios, and the reproducers above.
fn scenario_text() -> impl Strategy<Value = String> {
    let base = prop::sample::select(BUILTINS.iter().map(|b| b.text).collect::<Vec<_>>());
    prop_oneof![
        // Byte flips (kept UTF-8: parse takes text).
        (
            base.clone(),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        )
            .prop_map(|(t, flips)| {
                let mut b = t.as_bytes().to_vec();
                for (i, v) in flips {
                    let at = i.index(b.len());
                    b[at] = v;
                }
                String::from_utf8_lossy(&b).into_owned()
            }),
        // Truncations.
        (base.clone(), any::<prop::sample::Index>()).prop_map(|(t, i)| {
            let at = i.index(t.len());
            let at = (0..=at).rev().find(|&k| t.is_char_boundary(k)).unwrap_or(0);
            t[..at].to_string()
        }),
        // Duplications of a slice.
        (
            base.clone(),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>()
        )
            .prop_map(|(t, a, b)| {
                let (mut x, mut y) = (a.index(t.len()), b.index(t.len()));
                if x > y {
                    std::mem::swap(&mut x, &mut y);
                }
                while !t.is_char_boundary(x) {
                    x -= 1;
                }
                while !t.is_char_boundary(y) {
                    y -= 1;
                }
                format!("{}{}{}", &t[..y], &t[x..y], &t[y..])
            }),
        // Deep nesting spliced in.
        (
            base,
            any::<prop::sample::Index>(),
            1usize..5_000,
            prop::sample::select(vec!["(", "[", "{", "Some(", "A("])
        )
            .prop_map(|(t, i, n, open)| {
                let mut at = i.index(t.len());
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                format!("{}{}{}", &t[..at], open.repeat(n), &t[at..])
            }),
        Just("[".repeat(MAX_FILE_BYTES - 10)),
        Just(format!("Scenario(name: \"{}\"", "a".repeat(100_000))),
    ]
}

/// `--set` strings: real keys with odd values, and the reproducers.
fn set_string() -> impl Strategy<Value = (usize, String)> {
    let keys = prop::sample::select(vec![
        "servers",
        "service",
        "service.k",
        "arrivals",
        "spikes",
        "spikes.boundary",
        "weather",
        "match_feed",
        "match_feed.batting_first",
        "db_backlog_knee",
        "capacity",
        "roads",
        "nonsense",
        "",
    ]);
    let values = prop_oneof![
        Just("[]".to_string()),
        Just("()".to_string()),
        Just("NaN".to_string()),
        Just("1e308".to_string()),
        Just("-1".to_string()),
        Just("\"text\"".to_string()),
        Just("Erlang(k: 3)".to_string()),
        Just("Some(".to_string()),
        (1usize..20_000).prop_map(|n| format!("{}1{}", "A(".repeat(n), ")".repeat(n))),
        (1usize..200).prop_map(|n| "[".repeat(n)),
        "[A-Za-z0-9_(),:\\[\\]\" .-]{0,40}",
    ];
    (0..BUILTINS.len(), keys, values).prop_map(|(w, k, v)| (w, format!("{k}={v}")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics_and_errors_say_where(text in scenario_text()) {
        if let Err(e) = scenario::parse("fuzz.ron", &text) {
            let m = e.to_string();
            prop_assert!(
                e.pos.is_some() || m.contains('`') || m.contains("at most"),
                "an error with neither position nor name: {m}"
            );
            prop_assert!(m.len() < 4_000, "{} bytes of message", m.len());
        }
    }

    #[test]
    fn set_never_panics_and_errors_name_the_key((w, set) in set_string()) {
        let mut s = scenario::parse(BUILTINS[w].name, BUILTINS[w].text).expect("shipped");
        if let Err(e) = s.apply_sets(std::slice::from_ref(&set)) {
            let m = e.to_string();
            let key = set.split_once('=').map_or("", |(k, _)| k);
            prop_assert!(
                key.split('.').any(|seg| m.contains(seg)) || m.contains("KEY=VALUE"),
                "{set}: the error does not name the key: {m}"
            );
            prop_assert!(m.len() < 4_000, "{} bytes of message", m.len());
        }
    }
}

#[test]
fn work_past_the_caps_is_refused_before_it_starts() {
    // 10⁸ arrivals a minute: every size is valid, the work is not.
    let o = run(&["run", "platform", "--set", "arrival_rate_per_min=1e8"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("13.2 billion events") && e.contains("the cap is 2.0 billion"),
        "{e}"
    );
    // 50 million users of the old Tatkal would hold about 3.7 GiB.
    let cmds: &[&str] = if cfg!(feature = "tui") {
        &["run", "tui"]
    } else {
        &["run"]
    };
    for &cmd in cmds {
        let o = run(&[cmd, "tatkal-2023", "--set", "users=50000000"]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let e = stderr(&o);
        assert!(
            e.contains("GiB in memory") && e.contains("the cap is 2.0 GiB"),
            "{e}"
        );
    }
    // The cap can be lowered (or raised) from the command line.
    let o = run(&["run", "platform", "--max-events", "1000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the cap is 1000"), "{}", stderr(&o));
}

#[test]
fn sweeps_and_experiments_past_the_caps_are_refused_before_they_start() {
    // 11 points of 12 to 13 million Tatkal users, 10 replications each.
    let o = run(&[
        "sweep",
        "tatkal",
        "--vary",
        "users=12000000..13000000:100000",
        "--replications",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("this sweep would process about 11.0 billion events over its 110 runs")
            && e.contains("the cap is 2.0 billion"),
        "{e}"
    );
    assert!(o.stdout.is_empty());
    // One run of 30 million users of the old Tatkal holds more than the cap.
    let o = run(&["sweep", "tatkal-2023", "--vary", "users=20000000,30000000"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("this sweep would hold about") && e.contains("the cap is 2.0 GiB"),
        "{e}"
    );
    // The caps are the command line's to move.
    let o = run(&[
        "sweep",
        "platform",
        "--vary",
        "servers=1..4",
        "--max-events",
        "1000",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("over its 4 runs") && stderr(&o).contains("the cap is 1000"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "experiment",
        "experiments/platform-monkey.ron",
        "--max-events",
        "1000",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("this experiment would process about")
            && stderr(&o).contains("over its 8 runs")
            && stderr(&o).contains("the cap is 1000"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_light_model_may_run_for_a_year() {
    // The 30-day cap on simulated time is gone: work bounds the run.
    let o = run(&[
        "run",
        "platform",
        "--set",
        "arrival_rate_per_min=0.01",
        "--set",
        "sample_every_s=3600",
        "--duration",
        "31536000",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["duration_s"].as_f64(), Some(31_536_000.0));
    // A short run says nothing on stderr (no progress for what ends at once).
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}
