//! Dashboard figures: how long one full frame takes to draw at 200×50 into
//! ratatui's `TestBackend`, and how many simulated events per wall second
//! the dashboard's tick sustains at top speed (driven with a fake clock).
//!
//! `cargo bench --bench tui`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chaoswala::sim::SimTime;
use chaoswala::tui::app::{App, Budget, Launch, SPEEDS};
use chaoswala::tui::event_loop::TICK;
use chaoswala::tui::keymap::Action;
use chaoswala::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FRAMES: usize = 1000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let name = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "platform".to_string());
    println!("dashboard benchmark on `{name}`");

    // 1. A full frame at 200×50, the simulation moving between frames.
    let mut app = App::with_launch(Launch::builtin(&name).unwrap(), Theme::colored()).unwrap();
    app.advance_to(SimTime::from_secs(600));
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut times = Vec::with_capacity(FRAMES);
    for i in 0..FRAMES {
        app.advance_to(SimTime::from_secs(600 + i as u64));
        let t0 = Instant::now();
        term.draw(|f| f.render_widget(&app, f.area())).unwrap();
        times.push(t0.elapsed());
    }
    let mut sorted = times.clone();
    sorted.sort();
    println!(
        "frame 200×50: median {:.3} ms, p95 {:.3} ms over {FRAMES} frames (target ≤ 2 ms)",
        median(times).as_secs_f64() * 1e3,
        sorted[FRAMES * 95 / 100].as_secs_f64() * 1e3,
    );

    // The world's snapshot, taken once per drawn frame.
    let mut snaps = Vec::with_capacity(100);
    let s = app.session.as_ref().unwrap();
    for _ in 0..100 {
        let t0 = Instant::now();
        std::hint::black_box(s.sim.snapshot());
        snaps.push(t0.elapsed());
    }
    println!(
        "world snapshot (once per frame): median {:.3} ms",
        median(snaps).as_secs_f64() * 1e3
    );

    // 2. Ticks at top speed with a fake clock: every tick claims one tick
    //    interval of real time has passed.
    let mut app = App::with_launch(Launch::builtin(&name).unwrap(), Theme::colored()).unwrap();
    while app.speed < SPEEDS[SPEEDS.len() - 1] {
        app.update(Action::SpeedUp);
    }
    let ticks = 500;
    let mut busy = Duration::ZERO;
    let mut events = 0u64;
    let mut behind = 0;
    for i in 0..ticks {
        let t0 = Instant::now();
        events += app.tick(TICK, Budget::default());
        // A frame every 33 ms of real time: every third tick of 20 ms or so.
        if i % 3 == 0 {
            app.prepare_frame();
        }
        busy += t0.elapsed();
        behind += usize::from(app.behind);
    }
    let sim_s = app.now().as_secs_f64();
    println!(
        "tick at ×{}: {ticks} ticks of {} ms: {events} events, {sim_s:.0} simulated s, \
         {:.3} ms per tick on average (snapshots for frames included), behind on {behind} ticks",
        SPEEDS[SPEEDS.len() - 1],
        TICK.as_millis(),
        busy.as_secs_f64() * 1e3 / f64::from(ticks),
    );

    // 3. Saturated: each tick asks for far more than its budget, so the
    //    figure is what one tick's budget of wall time buys.
    let mut app = App::with_launch(Launch::builtin(&name).unwrap(), Theme::colored()).unwrap();
    for _ in 0..40 {
        app.update(Action::ArrivalsUp); // ×45 the arrival rate
    }
    while app.speed < SPEEDS[SPEEDS.len() - 1] {
        app.update(Action::SpeedUp);
    }
    let mut busy = Duration::ZERO;
    let mut events = 0u64;
    for _ in 0..200 {
        let t0 = Instant::now();
        events += app.tick(Duration::from_secs(3600), Budget::default());
        busy += t0.elapsed();
    }
    println!(
        "saturated tick (budget {} ms): {:.2} M simulated events per wall second",
        Budget::default().max_wall.as_millis(),
        events as f64 / busy.as_secs_f64() / 1e6
    );
}
