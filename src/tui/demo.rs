//! `chaoswala demo DIR`: the demo assets, made by the program itself. For
//! each world a short session is played through the dashboard's update
//! loop (a policy switch, two faults, a clear, a switch where the world
//! has one, a rate change) and recorded to `NAME.ron`; then that file is
//! replayed, as `chaoswala replay` plays it, into `NAME.cast` (asciicast
//! v2, frames drawn by the same backend as the terminal's, at
//! [`FPS`] frames a second) and the screen at its end is pictured in
//! `NAME.svg`. No terminal and no wall clock are involved: running it
//! again writes the same bytes.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::app::{App, Budget, Launch};
use super::cast::{Cast, Clock, Env, Tee};
use super::keymap::Action;
use super::screenshot;
use super::theme::Theme;
use crate::scenario;
use crate::sim::SimTime;

/// One demo: a built-in (at a light size where it is heavy), the
/// simulated span of the session, and the file name it is written under.
#[derive(Clone, Copy, Debug)]
pub struct Demo {
    pub file: &'static str,
    pub builtin: &'static str,
    pub sets: &'static [&'static str],
    /// Simulated seconds the session lasts.
    pub span_s: f64,
}

/// The demos, one a world.
pub const DEMOS: [Demo; 5] = [
    Demo {
        file: "platform",
        builtin: "platform",
        sets: &[],
        span_s: 1_200.0,
    },
    Demo {
        file: "tatkal",
        builtin: "tatkal",
        sets: &["scale=0.005"],
        span_s: 1_500.0,
    },
    Demo {
        file: "ipl-final",
        builtin: "ipl-final",
        sets: &["volume_scale=0.02"],
        span_s: 3_600.0,
    },
    Demo {
        file: "bkc-traffic",
        builtin: "bkc-traffic",
        sets: &[],
        span_s: 3_600.0,
    },
    Demo {
        file: "us-east-1",
        builtin: "us-east-1",
        sets: &[],
        span_s: 3_600.0,
    },
];

/// The terminal the casts and pictures are drawn at.
pub const SIZE: (u16, u16) = (120, 40);
/// Frames a second in the casts.
pub const FPS: u32 = 10;
/// Real seconds the replayed session lasts in its cast (then a pause).
pub const CAST_S: f64 = 20.0;
/// Seconds the cast dwells on the last screen.
const TAIL_S: u32 = 3;
/// The casts' header timestamp (fixed, so the files do not change).
const TIMESTAMP: u64 = 1_767_225_600;

/// What went wrong making an asset.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Scenario(String),
    #[error(transparent)]
    Record(#[from] crate::scenario::recording::RecordError),
    #[error(transparent)]
    Cast(#[from] super::cast::CastError),
    #[error("cannot write {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> DemoError + '_ {
    move |error| DemoError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The keys of the session, each at a fraction of its span.
const SCRIPT: &[(f64, &[Action])] = &[
    (0.10, &[Action::NextPolicy]),
    (0.25, &[Action::OpenFaultMenu, Action::Confirm]),
    // The second entry of the menu.
    (
        0.30,
        &[Action::OpenFaultMenu, Action::Right, Action::Confirm],
    ),
    // Soon after, while the faults are in force.
    (0.33, &[Action::ClearFaults]),
    (0.60, &[Action::OpenToggles, Action::Confirm, Action::Back]),
    (0.75, &[Action::ArrivalsUp]),
];

/// Plays the demo's session through the update loop, recording it to
/// `path`; returns the app at the session's end.
pub fn record(demo: &Demo, path: &Path) -> Result<App, DemoError> {
    let loaded = scenario::load(demo.builtin).map_err(|e| DemoError::Scenario(e.to_string()))?;
    let mut s = loaded.scenario;
    let sets: Vec<String> = demo.sets.iter().map(ToString::to_string).collect();
    s.apply_sets(&sets)
        .map_err(|e| DemoError::Scenario(e.to_string()))?;
    let mut launch = Launch::from_scenario(demo.builtin, s, None, None);
    launch.meta.sets = sets;
    let mut app = App::with_launch(launch, Theme::colored()).map_err(DemoError::Scenario)?;
    app.record_to(path, true)?;
    for (frac, keys) in SCRIPT {
        app.advance_to(SimTime::from_secs_f64(demo.span_s * frac));
        let toggles = app
            .session
            .as_ref()
            .is_some_and(|s| !s.snapshot.toggles.is_empty());
        if keys.first() == Some(&Action::OpenToggles) && !toggles {
            continue;
        }
        for k in *keys {
            app.update(*k);
        }
    }
    app.advance_to(SimTime::from_secs_f64(demo.span_s));
    app.finish_recording()?;
    Ok(app)
}

/// Replays the recording at `rec` into a cast at `cast` and pictures its
/// last screen in `svg`.
pub fn cast(rec: &Path, cast: &Path, svg: &Path) -> Result<(), DemoError> {
    let origin = rec.to_string_lossy().into_owned();
    let mut loaded = scenario::load(&origin).map_err(|e| DemoError::Scenario(e.to_string()))?;
    // Named by the file alone: the cast does not depend on where it is.
    if let Some(name) = rec.file_name() {
        loaded.origin = name.to_string_lossy().into_owned();
    }
    let mut app = App::replay(&loaded, Theme::colored()).map_err(DemoError::Scenario)?;
    let end = app
        .replay
        .as_ref()
        .and_then(super::app::Replay::ends_at)
        .map_or(60.0, SimTime::as_secs_f64);
    app.speed = end / CAST_S;
    let (w, h) = SIZE;
    app.screen_size = SIZE;
    let env = Env {
        shell: "/bin/sh".into(),
        term: "xterm-256color".into(),
    };
    let clock = Rc::new(Cell::new(0.0));
    let c = Cast::create(cast, w, h, TIMESTAMP, &env, true)?;
    let (tee, handle) = Tee::new(std::io::sink(), c, Clock::Manual(clock.clone()));
    let mut backend = CrosstermBackend::new(tee);
    let fail = io_err(cast);
    backend.hide_cursor().map_err(&fail)?;
    backend.clear().map_err(&fail)?;
    Backend::flush(&mut backend).map_err(&fail)?;
    let unbounded = Budget {
        max_events: u64::MAX,
        max_wall: Duration::MAX,
    };
    let area = Rect::new(0, 0, w, h);
    let mut prev = Buffer::empty(area);
    let dt = Duration::from_secs_f64(1.0 / f64::from(FPS));
    let mut tail = 0;
    let mut frame: u64 = 0;
    // A frame limit, in case a recording never ends.
    let most = u64::from(FPS) * (CAST_S as u64 + u64::from(TAIL_S) + 60);
    while tail < FPS * TAIL_S && frame < most {
        clock.set(frame as f64 / f64::from(FPS));
        if frame > 0 {
            app.tick(dt, unbounded);
        }
        app.prepare_frame();
        let cur = screenshot::draw(&app, w, h);
        backend.draw(prev.diff(&cur).into_iter()).map_err(&fail)?;
        Backend::flush(&mut backend).map_err(&fail)?;
        prev = cur;
        if app.replay.as_ref().is_none_or(super::app::Replay::ended) {
            tail += 1;
        }
        frame += 1;
    }
    drop(backend);
    handle.finish()?;
    std::fs::write(svg, screenshot::svg(&prev)).map_err(io_err(svg))?;
    Ok(())
}

/// Writes every demo's `.ron`, `.cast` and `.svg` into `dir`; returns the
/// files written.
pub fn write_assets(dir: &Path) -> Result<Vec<PathBuf>, DemoError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut out = Vec::new();
    for d in &DEMOS {
        let rec = dir.join(format!("{}.ron", d.file));
        let cast_path = dir.join(format!("{}.cast", d.file));
        let svg = dir.join(format!("{}.svg", d.file));
        record(d, &rec)?;
        cast(&rec, &cast_path, &svg)?;
        out.extend([rec, cast_path, svg]);
    }
    Ok(out)
}
