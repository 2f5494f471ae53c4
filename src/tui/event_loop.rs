//! The only place with tokio: one `select!` over the terminal's events, a
//! simulation tick, a frame interval and the signals that end the program
//! (SIGTERM, SIGHUP, SIGINT: the loop stops and the terminal is restored
//! as on `q`). Frames are drawn only when something changed; paused, the
//! tick runs only to let a status message expire.

use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::time::{MissedTickBehavior, interval};

use super::app::{App, Budget};
use super::keymap;
use super::view::{Fit, fit};

/// How often simulated time moves on.
pub const TICK: Duration = Duration::from_millis(20);
/// How often the screen may be redrawn (30 frames per second at most).
pub const FRAME: Duration = Duration::from_micros(33_334);
/// Longest real time one tick accounts for (after a stall, time does not jump).
const MAX_DT: Duration = Duration::from_millis(250);

/// How the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The user quit.
    Quit,
    /// A signal arrived (its number).
    Signal(i32),
}

/// The signals that end the dashboard.
struct Signals {
    #[cfg(unix)]
    list: Vec<(i32, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let list = [
                (15, SignalKind::terminate()),
                (1, SignalKind::hangup()),
                (2, SignalKind::interrupt()),
            ]
            .into_iter()
            .filter_map(|(n, k)| signal(k).ok().map(|s| (n, s)))
            .collect();
            Signals { list }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next signal's number.
    async fn next(&mut self) -> i32 {
        #[cfg(unix)]
        {
            if self.list.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.list.iter_mut().map(|(n, s)| {
                let n = *n;
                Box::pin(async move {
                    s.recv().await;
                    n
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

fn check_size<B: Backend>(terminal: &Terminal<B>, app: &mut App) {
    if let Ok(size) = terminal.size() {
        app.screen_size = (size.width, size.height);
        let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
        app.set_too_small(fit(area) == Fit::TooSmall);
    }
}

/// Runs until the user quits or a signal arrives; returns the first
/// terminal error.
pub async fn run<B: Backend>(terminal: &mut Terminal<B>, app: &mut App) -> anyhow::Result<Ended>
where
    B::Error: Send + Sync + 'static,
{
    let mut events = EventStream::new();
    let mut signals = Signals::new();
    let mut tick = interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut frame = interval(FRAME);
    frame.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_tick = Instant::now();
    check_size(terminal, app);
    app.prepare_frame();
    terminal.draw(|f| f.render_widget(&*app, f.area()))?;
    app.dirty = false;
    while !app.quit {
        let ticking = app.is_running() || app.message.is_some();
        tokio::select! {
            n = signals.next() => return Ok(Ended::Signal(n)),
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = keymap::resolve(key) {
                        app.update(action);
                    }
                }
                Some(Ok(Event::Resize(..))) => {
                    check_size(terminal, app);
                    app.dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            _ = tick.tick(), if ticking => {
                let now = Instant::now();
                let dt = now.duration_since(last_tick).min(MAX_DT);
                last_tick = now;
                app.tick(dt, Budget::default());
            },
            _ = frame.tick(), if app.dirty => {
                app.prepare_frame();
                terminal.draw(|f| f.render_widget(&*app, f.area()))?;
                app.dirty = false;
            },
        }
        if !app.is_running() && app.message.is_none() {
            // Resuming must not count the pause as elapsed time.
            last_tick = Instant::now();
        }
    }
    Ok(Ended::Quit)
}
