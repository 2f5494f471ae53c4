//! The live dashboard (feature `tui`).
//!
//! Elm style: [`keymap::resolve`] turns a key press into an
//! [`keymap::Action`], [`app::App::update`] applies it, and
//! `impl Widget for &App` ([`view`]) draws the state, one function per
//! panel. [`event_loop`] is the only async code: it paces the simulation in
//! real time (× speed) and redraws when something changed.

pub mod app;
pub mod event_loop;
pub mod keymap;
pub mod theme;
pub mod view;

use std::io::{Write, stdout};

use crossterm::event::DisableMouseCapture;
use crossterm::execute;

use crate::scenario::Loaded;
use app::{App, Launch};
use theme::Theme;

/// Flags of `chaoswala tui`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub seed: Option<u64>,
    pub policy: Option<String>,
    /// Record the session to this file (replacing it when `true`).
    pub record: Option<(std::path::PathBuf, bool)>,
    /// The palette (`--theme`); without one, `default`, or `mono` when
    /// `NO_COLOR` is set.
    pub theme: Option<Theme>,
}

/// Opens the dashboard on the world picker; returns the exit status
/// (0, or 128 + the signal that ended it).
pub fn run_picker() -> anyhow::Result<u8> {
    run_app(App::picker(Theme::from_env()))
}

/// Opens the dashboard on one scenario; returns the exit status.
pub fn run_scenario(loaded: Loaded, opts: &Options) -> anyhow::Result<u8> {
    let launch = Launch::from_scenario(
        &loaded.origin,
        loaded.scenario,
        opts.seed,
        opts.policy.clone(),
    );
    let mut app = App::with_launch(launch, opts.theme.unwrap_or_else(Theme::from_env))
        .map_err(|e| anyhow::anyhow!("{}: {e}", loaded.origin))?;
    if let Some((path, force)) = &opts.record {
        app.record_to(path, *force)?;
    }
    run_app(app)
}

/// Sets the terminal up, runs the loop, and restores the terminal on every
/// way out: normal exit, error, a signal (SIGTERM, SIGHUP, SIGINT) or panic
/// (ratatui's hook restores first). After a run, a short summary is
/// printed to the normal screen, so the numbers outlive the dashboard.
fn run_app(mut app: App) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .build()?;
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            restore();
            return Err(anyhow::anyhow!("cannot set the terminal up: {e}"));
        }
    };
    let result = runtime.block_on(event_loop::run(&mut terminal, &mut app));
    restore();
    let recorded = app.finish_recording();
    let ended = result?;
    if let Some(summary) = app.summary() {
        let mut out = stdout();
        let _ = out.write_all(summary.as_bytes());
        if let event_loop::Ended::Signal(n) = ended {
            let _ = writeln!(out, "  (ended by signal {n})");
        }
        if let Some(p) = app.recording() {
            match &recorded {
                Ok(()) => {
                    let _ = writeln!(
                        out,
                        "  recorded to {} (replay: chaoswala run {0})",
                        p.display()
                    );
                }
                Err(e) => {
                    let _ = writeln!(out, "  {e}");
                }
            }
        }
        let _ = out.flush();
    }
    Ok(match ended {
        event_loop::Ended::Quit => 0,
        event_loop::Ended::Signal(n) => u8::try_from(128 + n).unwrap_or(1),
    })
}

fn restore() {
    // Mouse capture is never turned on; saying so again costs nothing.
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
}
