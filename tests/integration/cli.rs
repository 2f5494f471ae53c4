//! The command line: `list`, `check`, `run` with every flag and format,
//! bad flags, and byte-for-byte determinism of the JSON report.

use crate::common::bin;

fn run_ok(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&run_ok(args)).expect("valid JSON")
}

#[test]
fn list_names_the_platform() {
    let out = run_ok(&["list"]);
    assert!(out.lines().any(|l| l.starts_with("platform ")), "{out}");
}

#[test]
fn check_exit_codes() {
    let ok = bin().args(["check", "platform"]).output().expect("runs");
    assert_eq!(ok.status.code(), Some(0));
    let bad = bin()
        .args(["check", "platform", "tests/fixtures/invalid/truncated.ron"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("1 of 2 files invalid"));
    let missing = bin().args(["check", "no/such.ron"]).output().expect("runs");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("built-ins: platform"));
}

#[test]
fn json_has_every_required_key() {
    let v = json(&[
        "run",
        "platform",
        "--format",
        "json",
        "--duration",
        "300",
        "--warmup",
        "30",
        "--seed",
        "5",
        "--policy",
        "entrance",
        "--set",
        "arrival_rate_per_min=240",
        "--replications",
        "3",
    ]);
    for k in [
        "scenario",
        "world",
        "seed",
        "duration_s",
        "warmup_s",
        "replications",
        "policy",
        "versions",
        "metrics",
        "metrics_ci95",
        "analytic",
        "events_processed",
        "wall_s",
    ] {
        assert!(v.get(k).is_some(), "missing `{k}` in {v}");
    }
    for k in ["chaoswala", "rand", "rand_distr"] {
        assert!(v["versions"][k].is_string(), "versions.{k}");
    }
    for k in [
        "arrivals",
        "completed",
        "rejected",
        "blocking_probability",
        "mean_in_system",
        "mean_wait_s",
        "mean_response_s",
        "p95_response_s",
        "utilisation",
        "throughput_per_s",
    ] {
        assert!(
            v["metrics"][k].is_number(),
            "metrics.{k} in {}",
            v["metrics"]
        );
        assert!(v["metrics_ci95"].get(k).is_some(), "metrics_ci95.{k}");
    }
    assert_eq!(v["seed"], 5);
    assert_eq!(v["duration_s"], 300.0);
    assert_eq!(v["warmup_s"], 30.0);
    assert_eq!(v["replications"], 3);
    assert_eq!(v["policy"], "entrance");
    assert_eq!(v["world"], "platform");
    assert_eq!(
        v["analytic"]["mean_in_system"]["value"]
            .as_f64()
            .map(|x| x > 0.0),
        Some(true)
    );
    // 240/min for 270 s after the warm-up, per replication, on average.
    let arrivals = v["metrics"]["arrivals"].as_f64().expect("number");
    assert!((arrivals - 1080.0).abs() < 150.0, "{arrivals}");
    // One replication: no intervals.
    let one = json(&["run", "platform", "--format", "json", "--duration", "60"]);
    assert!(one.get("metrics_ci95").is_none());
}

#[test]
fn same_seed_same_bytes_apart_from_wall_time() {
    let strip = |s: String| -> String {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("\"wall_s\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let args = ["run", "platform", "--format", "json", "--seed", "7"];
    let a = strip(run_ok(&args));
    let b = strip(run_ok(&args));
    assert_eq!(a, b);
    assert!(a.contains("\"seed\": 7"));
    let c = strip(run_ok(&[
        "run", "platform", "--format", "json", "--seed", "8",
    ]));
    assert_ne!(a, c, "another seed gives other numbers");
}

#[test]
fn table_csv_and_out() {
    let table = run_ok(&["run", "platform", "--duration", "120"]);
    assert!(
        table.contains("closed form") && table.contains("blocking_probability"),
        "{table}"
    );
    let csv = run_ok(&["run", "platform", "--duration", "120", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("scenario,world,policy,seed,metric,simulated,ci95,closed_form,model")
    );
    assert!(lines.all(|l| l.split(',').count() == 9), "{csv}");
    let dir = std::env::temp_dir().join(format!("chaoswala-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("r.json");
    let stdout = run_ok(&[
        "run",
        "platform",
        "--duration",
        "60",
        "--format",
        "json",
        "--out",
        path.to_str().expect("utf-8 path"),
    ]);
    assert!(stdout.is_empty());
    let written = std::fs::read_to_string(&path).expect("written");
    assert!(written.contains("\"scenario\": \"platform\""));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    for (args, needle) in [
        (
            &["run", "platform", "--duration=-5"][..],
            "--duration must be > 0",
        ),
        (
            &["run", "platform", "--duration", "abc"][..],
            "invalid value 'abc'",
        ),
        (
            &["run", "platform", "--warmup", "4000"][..],
            "--warmup must be",
        ),
        (
            &["run", "platform", "--replications", "0"][..],
            "--replications",
        ),
        (
            &["run", "platform", "--format", "xml"][..],
            "invalid value 'xml'",
        ),
        (
            &["run", "platform", "--policy", "teleport"][..],
            "unknown policy `teleport`",
        ),
        (
            &["run", "platform", "--policy", "entrnce"][..],
            "expected one of: leave, entrance (did you mean `entrance`?)",
        ),
        // Tatkal accepts `random` as an admission and as a balancing
        // policy: it is offered once.
        (
            &["run", "tatkal", "--policy", "rando"][..],
            "one of: fifo, random, none, round-robin, least-loaded, power-of-two, \
             health-aware, weighted-round-robin, weighted-random (did you mean `random`?)",
        ),
        (&["run", "platform", "--seed=-1"][..], "--seed"),
        (&["run", "platform", "--bogus"][..], "--bogus"),
        (&["run"][..], "<SCENARIO>"),
        (&["run", "nowhere"][..], "no built-in scenario or file"),
    ] {
        let out = bin().args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// The dashboard refuses a policy its world does not offer before it opens,
/// with the world's list and a "did you mean".
#[cfg(feature = "tui")]
#[test]
fn the_dashboard_refuses_an_unknown_policy_before_it_opens() {
    let out = bin()
        .args(["tui", "tatkal", "--policy", "rando"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "--policy: unknown policy `rando`; world tatkal offers: fifo, random, none, \
             round-robin, least-loaded, power-of-two, health-aware, weighted-round-robin, \
             weighted-random (did you mean `random`?)"
        ),
        "{stderr}"
    );
}

#[test]
fn replications_in_parallel_are_deterministic_too() {
    let strip = |s: String| -> String {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("\"wall_s\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let args = [
        "run",
        "platform-trains",
        "--format",
        "json",
        "--seed",
        "3",
        "--replications",
        "5",
        "--duration",
        "900",
    ];
    assert_eq!(strip(run_ok(&args)), strip(run_ok(&args)));
}
