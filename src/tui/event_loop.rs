//! The only place with tokio: one `select!` over the terminal's events, a
//! simulation tick and a frame interval. Frames are drawn only when
//! something changed; paused, the tick is switched off and the loop sleeps
//! until a key arrives.

use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::time::{MissedTickBehavior, interval};

use super::app::{App, Budget};
use super::keymap;

/// How often simulated time moves on.
pub const TICK: Duration = Duration::from_millis(20);
/// How often the screen may be redrawn (30 frames per second at most).
pub const FRAME: Duration = Duration::from_micros(33_334);
/// Longest real time one tick accounts for (after a stall, time does not jump).
const MAX_DT: Duration = Duration::from_millis(250);

/// Runs until the user quits; returns the first terminal error.
pub async fn run(terminal: &mut DefaultTerminal, app: &mut App) -> anyhow::Result<()> {
    let mut events = EventStream::new();
    let mut tick = interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut frame = interval(FRAME);
    frame.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_tick = Instant::now();
    app.prepare_frame();
    terminal.draw(|f| f.render_widget(&*app, f.area()))?;
    app.dirty = false;
    while !app.quit {
        let running = app.is_running();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = keymap::resolve(key) {
                        app.update(action);
                    }
                }
                Some(Ok(Event::Resize(..))) => app.dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            _ = tick.tick(), if running => {
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
        if !app.is_running() {
            // Resuming must not count the pause as elapsed time.
            last_tick = Instant::now();
        }
    }
    Ok(())
}
