//! The live dashboard (feature `tui`).
//!
//! Elm style: [`keymap::resolve`] turns a key press into an
//! [`keymap::Action`], [`app::App::update`] applies it, and
//! `impl Widget for &App` ([`view`]) draws the state, one function per
//! panel. [`event_loop`] is the only async code: it paces the simulation in
//! real time (× speed) and redraws when something changed.

pub mod app;
pub mod cast;
pub mod compare;
pub mod demo;
pub mod event_loop;
pub mod keymap;
pub mod screenshot;
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
    /// Write the session as an asciicast to this file (replacing it when `true`).
    pub cast: Option<(std::path::PathBuf, bool)>,
    /// Open compare with this policy on the right.
    pub compare: Option<String>,
    /// The palette (`--theme`); without one, `default`, or `mono` when
    /// `NO_COLOR` is set.
    pub theme: Option<Theme>,
}

/// Opens the dashboard on the world picker; returns the exit status
/// (0, or 128 + the signal that ended it).
pub fn run_picker() -> anyhow::Result<u8> {
    run_app(App::picker(Theme::from_env()), None)
}

/// Opens the dashboard on one scenario; returns the exit status.
pub fn run_scenario(loaded: Loaded, opts: &Options) -> anyhow::Result<u8> {
    let launch = Launch::from_scenario(
        &loaded.origin,
        loaded.scenario,
        opts.seed,
        opts.policy.clone(),
    );
    let app = App::with_launch(launch, opts.theme.unwrap_or_else(Theme::from_env))
        .map_err(|e| anyhow::anyhow!("{}: {e}", loaded.origin))?;
    start(app, opts)
}

/// Opens the dashboard playing a recorded session; returns the exit status.
pub fn run_replay(loaded: &Loaded, opts: &Options) -> anyhow::Result<u8> {
    let app = App::replay(loaded, opts.theme.unwrap_or_else(Theme::from_env))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    start(app, opts)
}

/// Starts the options' recording and compare, then runs the dashboard.
fn start(mut app: App, opts: &Options) -> anyhow::Result<u8> {
    if let Some((path, force)) = &opts.record {
        app.record_to(path, *force)?;
    }
    if let Some(p) = &opts.compare {
        app.open_compare(p)
            .map_err(|e| anyhow::anyhow!("--compare: {e}"))?;
    }
    run_app(app, opts.cast.as_ref())
}

/// Sets the terminal up, runs the loop, and restores the terminal on every
/// way out: normal exit, error, a signal (SIGTERM, SIGHUP, SIGINT) or panic
/// (ratatui's hook restores first). After a run, a short summary is
/// printed to the normal screen, so the numbers outlive the dashboard.
fn run_app(mut app: App, cast: Option<&(std::path::PathBuf, bool)>) -> anyhow::Result<u8> {
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
    let mut cast_result = None;
    let result = match cast {
        None => runtime.block_on(event_loop::run(&mut terminal, &mut app)),
        Some((path, force)) => {
            // The same terminal, its bytes also written to the cast.
            drop(terminal);
            match start_cast(path, *force) {
                Ok((mut t, handle)) => {
                    let r = runtime.block_on(event_loop::run(&mut t, &mut app));
                    cast_result = Some(handle.finish());
                    r
                }
                Err(e) => Err(e),
            }
        }
    };
    restore();
    let recorded = app.finish_recording();
    let ended = result?;
    if let Some(summary) = app.summary() {
        let mut out = stdout();
        let _ = out.write_all(summary.as_bytes());
        if let Some(c) = app.compare_summary() {
            let _ = out.write_all(c.as_bytes());
        }
        if let event_loop::Ended::Signal(n) = ended {
            let _ = writeln!(out, "  (ended by signal {n})");
        }
        match &cast_result {
            Some(Ok(p)) => {
                let _ = writeln!(
                    out,
                    "  cast written to {} (play: asciinema play {0})",
                    p.display()
                );
            }
            Some(Err(e)) => {
                let _ = writeln!(out, "  {e}");
            }
            None => {}
        }
        if let Some(p) = app.recording() {
            match &recorded {
                Ok(()) => {
                    let _ = writeln!(
                        out,
                        "  recorded to {} (play it: chaoswala replay {0}; headless: chaoswala run {0})",
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

type CastTerminal =
    ratatui::Terminal<ratatui::backend::CrosstermBackend<cast::Tee<std::io::Stdout>>>;

/// A terminal on standard output whose bytes also go to a cast at `path`.
fn start_cast(
    path: &std::path::Path,
    force: bool,
) -> anyhow::Result<(CastTerminal, cast::CastHandle)> {
    let (w, h) = crossterm::terminal::size()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let c = cast::Cast::create(path, w, h, now, &cast::Env::current(), force)?;
    let (tee, handle) = cast::Tee::new(stdout(), c, cast::Clock::Wall(std::time::Instant::now()));
    let terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(tee))?;
    Ok((terminal, handle))
}

fn restore() {
    // Mouse capture is never turned on; saying so again costs nothing.
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
}
