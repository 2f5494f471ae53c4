//! Drawing: `impl Widget for &App` lays the screen out and hands each
//! rectangle to one render function per panel (in `view/`). Everything
//! drawn comes from the app's state and the world's [`Snapshot`]; no wall
//! clock reaches the screen, so the same state always draws the same frame.
//!
//! [`Snapshot`]: crate::sim::Snapshot

mod compare;
mod format;
mod network_map;
mod overlay;
mod panels;
mod picker;

pub use format::{fmt_duration_s, fmt_num};

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::app::{App, Overlay, Panel, Screen, Session};

/// Smallest terminal for the full layout.
pub const FULL: (u16, u16) = (120, 40);
/// Smallest terminal at all (the compact layout).
pub const COMPACT: (u16, u16) = (80, 24);

/// Rows the chart keeps in the compact layout (borders included): six of
/// plot and axis.
const CHART_ROWS: u16 = 8;

/// Which arrangement fits the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Full,
    Compact,
    TooSmall,
}

#[must_use]
pub fn fit(area: Rect) -> Fit {
    if area.width >= FULL.0 && area.height >= FULL.1 {
        Fit::Full
    } else if area.width >= COMPACT.0 && area.height >= COMPACT.1 {
        Fit::Compact
    } else {
        Fit::TooSmall
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // The theme's base (the light theme's white) under every cell.
        buf.set_style(area, self.theme.base());
        let fit = fit(area);
        if fit == Fit::TooSmall {
            render_too_small(area, buf);
            return;
        }
        match (self.screen, &self.session) {
            (Screen::Dashboard, Some(s)) => render_dashboard(self, s, fit, area, buf),
            _ => picker::render(self, area, buf),
        }
        match &self.overlay {
            Some(Overlay::Help) => overlay::help(self, area, buf),
            Some(Overlay::Faults(m)) => overlay::fault_menu(self, m, area, buf),
            Some(Overlay::Toggles(row)) => overlay::toggles(self, *row, area, buf),
            Some(Overlay::ConfirmQuit) => overlay::confirm_quit(self, area, buf),
            None => {}
        }
        fill_base(self.theme.base(), area, buf);
    }
}

/// Cells some widget left on the terminal's own colours (a chart's blank
/// braille cells reset their background) take the theme's base, so a
/// light theme has no dark holes. Nothing to do when the base has none.
fn fill_base(base: ratatui::style::Style, area: Rect, buf: &mut Buffer) {
    use ratatui::style::Color;
    let (fg, bg) = (base.fg, base.bg);
    if fg.is_none() && bg.is_none() {
        return;
    }
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            if let Some(bg) = bg
                && cell.bg == Color::Reset
            {
                cell.bg = bg;
            }
            if let Some(fg) = fg
                && cell.fg == Color::Reset
            {
                cell.fg = fg;
            }
        }
    }
}

fn render_too_small(area: Rect, buf: &mut Buffer) {
    let text = vec![
        Line::from(format!("Resize to at least {}×{}", COMPACT.0, COMPACT.1)),
        Line::from(format!(
            "(now {}×{}; paused until then; Ctrl-C quits)",
            area.width, area.height
        )),
    ];
    let top = area.height.saturating_sub(2) / 2;
    let inner = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    Paragraph::new(text)
        .centered()
        .wrap(Wrap { trim: true })
        .render(inner, buf);
}

/// A panel's frame: focused panels get a thick border, a bold title and a
/// `▶` marker, so focus is visible without colour.
pub(crate) fn panel_block<'a>(app: &App, panel: Panel, title: &str) -> Block<'a> {
    let focused = app.focus == panel && app.overlay.is_none();
    let marker = if focused { "▶ " } else { "" };
    Block::bordered()
        .border_type(app.theme.border_type(focused))
        .border_style(app.theme.border(focused))
        .title(Span::styled(
            format!(" {marker}{title} "),
            app.theme.title(focused),
        ))
}

fn render_dashboard(app: &App, s: &Session, fit: Fit, area: Rect, buf: &mut Buffer) {
    if let (Some(side), false) = (&app.compare.side, app.enlarged) {
        compare::render(app, s, side, fit, area, buf);
        return;
    }
    let snap = &s.snapshot;
    let world = app.panel_present(Panel::World);
    let full = fit == Fit::Full;
    let spark_rows = snap.sparklines.len().max(1) as u16;
    let gauge_rows = snap.gauges.len().max(1) as u16;
    let road_rows = if full {
        0
    } else {
        snap.roads.len() as u16 + u16::from(snap.status_line.is_some())
    };
    let mut top_h = spark_rows.max(gauge_rows).max(road_rows) + 2;
    // Two lines a road only when the screen is tall enough.
    let roomy = full && area.height >= 48;
    let mut log_h = match (full, world) {
        (true, false) => 9,
        (true, true) => 7,
        (false, _) => 4,
    };
    let world_h = if let Some(m) = &snap.network {
        network_map::height(m)
    } else if world {
        let roads = snap.roads.len() as u16 * if roomy { 2 } else { 1 };
        roads + u16::from(snap.status_line.is_some()) + 2
    } else {
        0
    };
    let caption_h = panels::caption_rows(s, area.width)
        .len()
        .clamp(1, if full { panels::CAPTION_ROWS } else { 2 }) as u16;
    if !full {
        // Compact, by priority: the chart keeps CHART_ROWS rows; the log
        // gives a row first, then the top panels (the gauges' title then
        // says how many of them show; `e` shows them all).
        let fixed = 3 + caption_h;
        let over = (fixed + top_h + log_h + CHART_ROWS).saturating_sub(area.height);
        let from_log = over.min(1);
        log_h -= from_log;
        top_h = top_h.saturating_sub(over - from_log).max(4);
    }
    let [
        header,
        status,
        caption,
        top,
        middle,
        world_area,
        log,
        footer,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(caption_h),
        Constraint::Length(top_h),
        Constraint::Min(6),
        Constraint::Length(if full { world_h } else { 0 }),
        Constraint::Length(log_h),
        Constraint::Length(1),
    ])
    .areas(area);

    panels::header(app, s, header, buf);
    panels::status(app, s, status, buf);
    panels::caption(app, s, caption, buf);
    if app.enlarged {
        // The focused panel takes the whole body (`e` again, or Esc, gives it back).
        let body = Rect {
            height: footer.y - top.y,
            ..top
        };
        match app.focus {
            Panel::Gauges => panels::gauges(app, snap, body, buf),
            Panel::Sparklines => panels::sparklines(app, snap, body, buf),
            Panel::Chart => panels::chart(app, s, body, buf),
            Panel::Units => panels::units(app, snap, body, buf),
            Panel::Analytic => panels::analytic(app, snap, body, buf),
            Panel::World => panels::world(app, snap, true, body, buf),
            Panel::Log => panels::log(app, s, body, buf),
        }
        panels::footer(app, footer, buf);
        return;
    }

    let roads = !snap.roads.is_empty();
    // The gauges take what their texts want, between 42 % and 55 % of the row.
    // (at most half in the compact layout, so the trends keep their room).
    // In the full layout they may take all but 44 cells (the trends' least:
    // a label of 20, its value and 8 cells of trend).
    let most = if full {
        area.width.saturating_sub(44).max(area.width * 55 / 100)
    } else {
        area.width * 50 / 100
    };
    // A width once given is kept for the session, so the panels do not
    // shift from frame to frame as the texts change length.
    let wanted = panels::gauges_wanted_width(snap).max(app.gauge_width.get());
    app.gauge_width.set(wanted);
    let gauges_w = wanted.clamp(area.width * 42 / 100, most);
    let [gauges, top_right] =
        Layout::horizontal([Constraint::Length(gauges_w), Constraint::Min(0)]).areas(top);
    panels::gauges(app, snap, gauges, buf);
    if !full && roads {
        // Compact: the roads take the trends' place (the map matters more).
        panels::world(app, snap, false, top_right, buf);
    } else {
        panels::sparklines(app, snap, top_right, buf);
    }

    // (The right column is wide enough at 120 for a table row of a long
    // name, the state and a 24-cell extra column.)
    let chart_pct = if full { 54 } else { 50 };
    let [chart, right] = Layout::horizontal([
        Constraint::Percentage(chart_pct),
        Constraint::Percentage(100 - chart_pct),
    ])
    .areas(middle);
    panels::chart(app, s, chart, buf);
    let units_h = if snap.units.is_empty() {
        0
    } else {
        (snap.units.len() as u16 + 3).max(4)
    };
    if !full && world && !roads {
        // Compact: the status line's panel takes the table's place.
        let [w, a] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(right);
        panels::world(app, snap, false, w, buf);
        panels::analytic(app, snap, a, buf);
    } else if !full && roads {
        // Compact: the roads panel above already lists the roads.
        panels::analytic(app, snap, right, buf);
    } else {
        // The table keeps its rows when it can (at most half the column);
        // the closed forms get the rest.
        let mut u_h = units_h.min(right.height / 2);
        if u_h < 4 {
            u_h = 0;
        }
        let [u, a] = Layout::vertical([Constraint::Length(u_h), Constraint::Min(0)]).areas(right);
        if u_h > 0 {
            panels::units(app, snap, u, buf);
        }
        panels::analytic(app, snap, a, buf);
    }
    if let (true, Some(m)) = (full, &snap.network) {
        network_map::render(app, m, snap.status_line.as_deref(), world_area, buf);
    } else if full && world {
        panels::world(app, snap, roomy, world_area, buf);
    }
    panels::log(app, s, log, buf);
    panels::footer(app, footer, buf);
}
