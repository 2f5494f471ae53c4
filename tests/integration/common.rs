//! Helpers shared by the integration tests.

use chaoswala::sim::Metrics;

/// The conservation law every world keeps at every instant, checked on a
/// world's metrics: arrivals + present at reset = completed + rejected +
/// in system, and the rejections add up by reason.
pub fn assert_conserved(m: &Metrics, context: &str) {
    let get = |k: &str| {
        *m.get(k)
            .unwrap_or_else(|| panic!("{context}: metric `{k}` missing"))
    };
    let lhs = get("arrivals") + get("in_system_at_reset");
    let rhs = get("completed") + get("rejected") + get("in_system");
    assert_eq!(lhs, rhs, "{context}: conservation broken: {m:?}");
    let by_reason: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("rejected_"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(
        by_reason,
        get("rejected"),
        "{context}: reasons do not add up"
    );
}

/// The binary under test.
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_chaoswala"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}
