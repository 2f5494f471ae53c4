//! The dashboard drawn into ratatui's `TestBackend`, compared with the
//! committed snapshots in `tests/snapshots/`. Every frame is deterministic:
//! a fixed seed, the simulation advanced to a fixed time, no wall clock.
//!
//! A new world gets its snapshots with one line: `snap!("tatkal", 120, 40)`.
#![cfg(feature = "tui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chaoswala::scenario::BUILTINS;
use chaoswala::sim::SimTime;
use chaoswala::tui::app::{App, Launch};
use chaoswala::tui::keymap::{Action, KEYMAP};
use chaoswala::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

/// Simulated seconds every snapshot is taken at.
const AT_S: u64 = 120;

/// A built-in, paused at `AT_S`, drawn in colour (the text is what is compared).
fn app_at(name: &str) -> App {
    let mut app = App::with_launch(Launch::builtin(name).unwrap(), Theme::colored()).unwrap();
    app.advance_to(SimTime::from_secs(AT_S));
    app.update(Action::TogglePause);
    app
}

fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(app, f.area())).unwrap();
    t
}

fn text(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

/// `snap!(builtin, w, h)` and `snap!(builtin, w, h, suffix, actions…)`.
macro_rules! snap {
    ($name:expr, $w:expr, $h:expr) => {{
        let app = app_at($name);
        let t = draw(&app, $w, $h);
        insta::assert_snapshot!(format!("{}_{}x{}", $name, $w, $h), t.backend());
    }};
    ($name:expr, $w:expr, $h:expr, $suffix:expr, $($action:expr),*) => {{
        let mut app = app_at($name);
        $( app.update($action); )*
        let t = draw(&app, $w, $h);
        insta::assert_snapshot!(
            format!("{}_{}x{}{}", $name, $w, $h, $suffix),
            t.backend()
        );
    }};
}

#[test]
fn platform_full() {
    snap!("platform", 120, 40);
}

#[test]
fn platform_compact() {
    snap!("platform", 80, 24);
}

#[test]
fn platform_help_overlay() {
    snap!("platform", 120, 40, "_help", Action::Help);
    snap!("platform", 80, 24, "_help", Action::Help);
}

#[test]
fn platform_fault_menu() {
    snap!(
        "platform",
        120,
        40,
        "_faults",
        Action::OpenFaultMenu,
        Action::Down,
        Action::Left
    );
}

#[test]
fn platform_after_actions() {
    // Focus on the log, arrivals up, policy key, speed up: all in words on screen.
    snap!(
        "platform",
        120,
        40,
        "_actions",
        Action::FocusNext,
        Action::FocusNext,
        Action::FocusNext,
        Action::ArrivalsUp,
        Action::NextPolicy,
        Action::SpeedUp
    );
}

#[test]
fn picker() {
    let mut app = App::picker(Theme::colored());
    // Only the platform: worlds added later must not change this snapshot.
    app.picker.retain(|e| e.name == "platform");
    let t = draw(&app, 120, 40);
    insta::assert_snapshot!("picker_120x40", t.backend());
}

#[test]
fn every_builtin_draws_at_both_sizes_and_with_every_overlay() {
    for b in BUILTINS {
        for (w, h) in [(120, 40), (80, 24), (200, 50)] {
            let mut app = app_at(b.name);
            let t = draw(&app, w, h);
            assert!(text(&t).contains("chaoswala"), "{} {w}×{h}", b.name);
            for a in [Action::Help, Action::Back, Action::OpenFaultMenu] {
                app.update(a);
                draw(&app, w, h);
            }
        }
    }
}

#[test]
fn tiny_terminals_get_the_resize_message_and_never_panic() {
    let app = app_at("platform");
    for (w, h) in [(1, 1), (2, 1), (20, 5), (40, 10), (79, 24), (80, 23)] {
        let t = draw(&app, w, h);
        let s = text(&t);
        if w >= 40 {
            assert!(s.contains("Resize to at least 80×24"), "{w}×{h}:\n{s}");
        }
        assert!(!s.contains("chaoswala ·"), "no dashboard at {w}×{h}");
    }
    // The resize message is drawn on every screen, overlays included.
    let mut app = App::picker(Theme::plain());
    app.update(Action::Help);
    for (w, h) in [(1, 1), (20, 5), (40, 10)] {
        draw(&app, w, h);
    }
    let mut app = app_at("platform");
    app.update(Action::OpenFaultMenu);
    for (w, h) in [(1, 1), (20, 5), (40, 10)] {
        draw(&app, w, h);
    }
}

#[test]
fn tiny_terminal_snapshot() {
    let app = app_at("platform");
    let t = draw(&app, 40, 10);
    insta::assert_snapshot!("platform_40x10", t.backend());
}

#[test]
fn no_color_means_no_colour_anywhere() {
    let mut app = App::with_launch(Launch::builtin("platform").unwrap(), Theme::plain()).unwrap();
    app.advance_to(SimTime::from_secs(AT_S));
    for overlay in [None, Some(Action::Help), Some(Action::OpenFaultMenu)] {
        if let Some(a) = overlay {
            app.update(a);
        }
        let t = draw(&app, 120, 40);
        for cell in t.backend().buffer().content() {
            assert_eq!(cell.fg, Color::Reset, "{cell:?}");
            assert_eq!(cell.bg, Color::Reset, "{cell:?}");
        }
        app.update(Action::Back);
    }
    // The coloured theme does colour things (so the test above can fail).
    let app = app_at("platform");
    let t = draw(&app, 120, 40);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset)
    );
}

#[test]
fn focus_is_shown_by_a_marker_not_only_by_colour() {
    let mut app = app_at("platform");
    let before = text(&draw(&app, 120, 40));
    assert!(before.contains("▶ people on the platform"));
    app.update(Action::FocusNext);
    let after = text(&draw(&app, 120, 40));
    assert!(!after.contains("▶ people on the platform"));
    assert!(after.contains("▶ servers"));
}

#[test]
fn help_lists_every_key_of_the_table() {
    let mut app = app_at("platform");
    app.update(Action::Help);
    for (w, h) in [(120, 40), (80, 24)] {
        let s = text(&draw(&app, w, h));
        for b in KEYMAP {
            assert!(s.contains(b.help), "{w}×{h}: `{}` missing", b.help);
        }
    }
}

#[test]
fn footer_keeps_help_and_quit_when_narrow() {
    let app = app_at("platform");
    let s = text(&draw(&app, 80, 24));
    let footer = s.lines().nth(23).unwrap();
    assert!(footer.contains("? help"), "{footer}");
    assert!(footer.contains("q quit"), "{footer}");
}
