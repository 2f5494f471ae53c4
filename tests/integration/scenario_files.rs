//! Scenario files: every shipped scenario and every file in
//! tests/fixtures/valid passes `check`; every file in
//! tests/fixtures/invalid fails it with exit code 2 and exactly the first
//! line stored beside it in NAME.expected (`FILE:LINE:COL: message`),
//! followed by the offending line and a caret under that column. Adding a
//! fixture adds a case.

use std::path::Path;

fn ron_files(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Path::new(&name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("ron"))
                .then(|| format!("{dir}/{name}"))
        })
        .collect();
    names.sort();
    names
}

#[test]
fn shipped_and_valid_fixtures_pass_check() {
    let files: Vec<String> = ron_files("scenarios")
        .into_iter()
        .chain(ron_files("tests/fixtures/valid"))
        .collect();
    assert!(files.len() >= 3, "{files:?}");
    for f in files {
        let out = crate::common::bin()
            .args(["check", &f])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn invalid_fixtures_fail_with_the_expected_message_and_a_caret() {
    let files = ron_files("tests/fixtures/invalid");
    assert!(files.len() >= 7, "{files:?}");
    let mut failures = Vec::new();
    for f in &files {
        let out = crate::common::bin()
            .args(["check", f])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let expected_path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(Path::new(f).with_extension("expected"));
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{f}: add {} with:\n{stderr}", expected_path.display()));
        let first = stderr.lines().next().unwrap_or("");
        if out.status.code() != Some(2) {
            failures.push(format!("{f}: exit {:?}, expected 2", out.status.code()));
        }
        if first != expected.trim_end() {
            failures.push(format!(
                "{f}:\n  got      {first}\n  expected {}",
                expected.trim_end()
            ));
            continue;
        }
        // FILE:LINE:COL: … then "  | <line>" and "  | <caret>" under COL.
        let rest = first
            .strip_prefix(&format!("{f}:"))
            .expect("starts with the file");
        let mut parts = rest.splitn(3, ':');
        let line: usize = parts.next().and_then(|x| x.parse().ok()).expect("line");
        let col: usize = parts.next().and_then(|x| x.parse().ok()).expect("col");
        let lines: Vec<&str> = stderr.lines().collect();
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(f))
            .expect("readable");
        let source_line = text.lines().nth(line - 1).expect("line exists");
        assert_eq!(
            lines.get(1),
            Some(&format!("  | {source_line}").as_str()),
            "{f}"
        );
        let caret = lines.get(2).expect("caret line");
        assert_eq!(
            caret.find('^'),
            Some(4 + col - 1),
            "{f}: caret under column {col}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_set_values_are_reported_and_exit_2() {
    for (set, needle) in [
        (
            "arrival_rate_per_min=-5",
            "arrival_rate_per_min must be between 0",
        ),
        ("capacity=0", "capacity (0) must be ≥ servers (1)"),
        ("nonsense=3", "unknown parameter `nonsense`"),
        ("servers", "is not KEY=VALUE"),
        ("service=Poisson", "unknown variant `Poisson`"),
        ("servers=many", "servers=many"),
    ] {
        let out = crate::common::bin()
            .args(["run", "platform", "--duration", "10", "--set", set])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {stderr}");
        assert!(stderr.contains(needle), "{set}: {stderr}");
    }
}
