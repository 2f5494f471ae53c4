//! The integration tests: one binary, one module per area (as in
//! bottom's `tests/integration`). Fixtures are in `tests/fixtures/`,
//! dashboard snapshots in `snapshots/` beside this file.
// A panic in a test is a failed test with its message: unwrap and expect
// are how tests say what they expected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blocks;
mod cli;
mod closed_forms;
#[allow(dead_code)]
mod common;
mod compare;
mod conservation;
mod experiment;
mod hardening;
mod ipl;
mod network;
mod oracle;
mod platform;
mod record;
mod scenario_files;
mod sweep;
mod tatkal;
mod traffic;
mod tui_app;
mod tui_e2e;
mod tui_snapshots;
mod worlds;
