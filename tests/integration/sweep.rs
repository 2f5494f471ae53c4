//! `chaoswala sweep` and `merge`: the M/M/1/K closed form at every point
//! of a sweep, shards run as separate processes merged byte for byte,
//! quoting CSV, and bad input refused with exit 2 and a named problem.

use crate::common::bin;

fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().expect("runs")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn refused(args: &[&str], needle: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in: {err}"
    );
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("chaoswala-sweep-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const MM1K: &[&str] = &[
    "sweep",
    "platform",
    "--vary",
    "arrival_rate_per_min=100..240:20",
    "--set",
    "servers=1",
    "--set",
    "capacity=10",
    "--replications",
    "8",
    "--format",
    "csv",
];

#[test]
fn mm1k_sweep_matches_the_closed_form_at_every_point() {
    let text = ok(MM1K);
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let head = rd.headers().expect("header").clone();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {head:?}"))
    };
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 8, "100, 120, …, 240");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[col("arrival_rate_per_min")], (100 + 20 * i).to_string());
        for m in [
            "blocking_probability",
            "mean_in_system",
            "mean_response_s",
            "utilisation",
        ] {
            let v: f64 = r[col(m)].parse().unwrap();
            let h: f64 = r[col(&format!("{m}_ci95"))].parse().unwrap();
            let c: f64 = r[col(&format!("{m}_closed_form"))].parse().unwrap();
            // The M/M/1/K figures themselves, from λ and μ = 250/min.
            let lambda = (100 + 20 * i) as f64;
            let rho = lambda / 250.0;
            let k = 10;
            let p0 = (1.0 - rho) / (1.0 - rho.powi(k + 1));
            let pk = p0 * rho.powi(k);
            if m == "blocking_probability" {
                assert!(
                    (c - pk).abs() < 1e-12,
                    "closed form at λ={lambda}: {c} vs {pk}"
                );
            }
            assert!(
                (v - c).abs() <= h || (v - c).abs() <= 0.02 * c.abs(),
                "λ={lambda} {m}: {v} ± {h} vs closed form {c}"
            );
        }
    }
}

#[test]
fn two_shards_in_two_processes_merge_to_the_unsharded_sweep() {
    let dir = tmp("shards");
    let args = [
        "sweep",
        "platform",
        "--vary",
        "arrival_rate_per_min=100..200:50",
        "--policies",
        "all",
        "--set",
        "capacity=20",
        "--replications",
        "3",
        "--duration",
        "600",
    ];
    let whole_csv = ok(&[&args[..], &["--format", "csv"]].concat());
    let whole_json = ok(&[&args[..], &["--format", "json"]].concat());
    let parts: Vec<std::path::PathBuf> = (1..=2)
        .map(|i| dir.join(format!("part-{i}.json")))
        .collect();
    let children: Vec<std::process::Child> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            bin()
                .args(args)
                .args(["--shard", &format!("{}/2", i + 1), "--out"])
                .arg(p)
                .spawn()
                .expect("spawns")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("waits").success());
    }
    let p: Vec<&str> = parts.iter().map(|p| p.to_str().unwrap()).collect();
    // Parts in any order.
    assert_eq!(ok(&["merge", p[1], p[0], "--format", "csv"]), whole_csv);
    let strip_wall = |t: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(t).unwrap();
        v["wall_s"] = serde_json::Value::Null;
        v
    };
    let merged_json = ok(&["merge", p[0], p[1], "--format", "json"]);
    assert_eq!(strip_wall(&merged_json), strip_wall(&whole_json));
    let lines = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.contains("\"wall_s\""))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        lines(&merged_json),
        lines(&whole_json),
        "byte for byte apart from wall time"
    );
    // 3 rates × 2 policies = 6 rows, interleaved 3 + 3.
    let first_part: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&parts[0]).unwrap()).unwrap();
    let idx: Vec<u64> = first_part["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, [0, 2, 4]);
    // A part of another sweep is refused, naming what differs.
    let other = dir.join("other.json");
    let mut other_args = args.to_vec();
    other_args[11] = "900";
    ok(&[
        &other_args[..],
        &["--shard", "2/2", "--out", other.to_str().unwrap()],
    ]
    .concat());
    refused(&["merge", p[0], other.to_str().unwrap()], "another sweep");
    refused(&["merge", p[0], other.to_str().unwrap()], "duration_s");
    refused(&["merge", p[0]], "missing shard: 2/2");
    refused(&["merge", p[0], p[0]], "given twice");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_sweeps_exit_2_naming_the_problem() {
    refused(
        &["sweep", "platform", "--vary", "arrival_rate_per_min"],
        "KEY=LIST",
    );
    refused(
        &[
            "sweep",
            "platform",
            "--vary",
            "arrival_rate_per_min=300..100",
        ],
        "below the start",
    );
    refused(
        &["sweep", "platform", "--vary", "arrival_rate_per_min=1..9:0"],
        "step must be > 0",
    );
    refused(
        &["sweep", "platform", "--vary", "no_such=1,2"],
        "unknown parameter `no_such`",
    );
    refused(&["sweep", "platform", "--vary", "servers=1,x"], "servers");
    refused(
        &["sweep", "platform", "--shard", "3/2"],
        "1 ≤ I ≤ N, got 3/2",
    );
    refused(
        &["sweep", "platform", "--policies", "fastest"],
        "unknown policy `fastest`",
    );
    refused(
        &[
            "sweep",
            "platform",
            "--vary",
            "servers=1,2",
            "--vary",
            "servers=3",
        ],
        "varied twice",
    );
    refused(
        &[
            "sweep",
            "platform",
            "--vary",
            "arrival_rate_per_min=1..1000:1",
            "--replications",
            "1000",
        ],
        "at most",
    );
}

#[test]
fn sweep_table_and_json_agree_with_csv() {
    let args = [
        "sweep",
        "bkc-traffic",
        "--policies",
        "naive,least-time",
        "--duration",
        "1800",
    ];
    let table = ok(&[&args[..], &["--format", "table"]].concat());
    assert!(
        table.contains("policy=naive") && table.contains("policy=least-time"),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&[&args[..], &["--format", "json"]].concat())).unwrap();
    assert_eq!(json["points"], 2);
    assert_eq!(json["rows"][1]["policy"], "least-time");
}

#[test]
fn run_csv_quotes_a_name_with_a_comma() {
    let dir = tmp("comma");
    let file = dir.join("comma.ron");
    let text = chaoswala::scenario::builtin("platform")
        .unwrap()
        .text
        .replace("name: \"platform\"", "name: \"platform, fast\"");
    std::fs::write(&file, text).unwrap();
    let out = ok(&[
        "run",
        file.to_str().unwrap(),
        "--duration",
        "60",
        "--format",
        "csv",
    ]);
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    for r in rd.records() {
        let r = r.unwrap();
        // … closed_form, model: the model name is quoted too.
        assert_eq!(r.len(), 9);
        assert_eq!(&r[0], "platform, fast");
    }
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .starts_with("\"platform, fast\",")
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The texts of an SVG, which must parse as XML.
pub fn svg_texts(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("the plot is written");
    let doc = roxmltree::Document::parse(&text).expect("valid XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

#[test]
fn sweep_and_run_plots_are_svg_with_their_series() {
    let dir = tmp("plots");
    let sweep_svg = dir.join("sweep.svg");
    let mut args: Vec<&str> = MM1K.to_vec();
    args[9] = "3"; // fewer replications
    args.extend([
        "--policies",
        "all",
        "--plot",
        sweep_svg.to_str().unwrap(),
        "--plot-metric",
        "blocking_probability",
    ]);
    ok(&args);
    let texts = svg_texts(&sweep_svg);
    for want in [
        "leave (simulated, 95 % band)",
        "entrance (simulated, 95 % band)",
        "closed form",
        "arrival_rate_per_min (per min)",
        "blocking_probability (share, 0–1)",
    ] {
        assert!(texts.iter().any(|t| t == want), "no `{want}` in {texts:?}");
    }
    let run_svg = dir.join("run.svg");
    ok(&[
        "run",
        "platform-trains",
        "--plot",
        run_svg.to_str().unwrap(),
        "--plot-metric",
        "on_platform",
    ]);
    let texts = svg_texts(&run_svg);
    for want in [
        "on_platform",
        "fault: kill on track-1",
        "fault: capacity-drop on all",
        "story clock (HH:MM; simulated time)",
        "18:00",
    ] {
        assert!(texts.iter().any(|t| t == want), "no `{want}` in {texts:?}");
    }
    refused(
        &[
            "run",
            "platform",
            "--plot",
            run_svg.to_str().unwrap(),
            "--plot-metric",
            "nope",
        ],
        "reports no metric `nope`",
    );
    std::fs::remove_dir_all(&dir).ok();
}
