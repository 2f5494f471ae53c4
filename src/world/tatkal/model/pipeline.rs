//! The booking pipeline: what each request asks an engine to do, old and new.

/// What one request asks an engine to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    Availability,
    Verify,
    Payment,
    Confirm,
    /// availability ‖ verify ‖ prepare payment, in one request.
    Parallel,
}

/// The old pipeline, as in the episode: 2 + 1 + 3 + 1 s.
pub(super) const SEQUENTIAL: [(Step, f64); 4] = [
    (Step::Availability, 2.0),
    (Step::Verify, 1.0),
    (Step::Payment, 3.0),
    (Step::Confirm, 1.0),
];
/// The new one: max(2, 1, 1) + 2 + 0.5 s.
pub(super) const PARALLEL: [(Step, f64); 3] = [
    (Step::Parallel, 2.0),
    (Step::Payment, 2.0),
    (Step::Confirm, 0.5),
];
/// Parallel first step: verify user and prepare payment take 1 s each.
pub(super) const VERIFY_S: f64 = 1.0;
pub(super) const PREPARE_PAYMENT_S: f64 = 1.0;

pub(super) fn pipeline(parallel: bool) -> &'static [(Step, f64)] {
    if parallel { &PARALLEL } else { &SEQUENTIAL }
}

/// Engine seconds one booking holds a request slot for (at full speed,
/// warm cache): what capacity planning divides by.
#[must_use]
pub(crate) fn engine_seconds_per_booking(parallel: bool) -> f64 {
    pipeline(parallel).iter().map(|(_, s)| s).sum()
}
