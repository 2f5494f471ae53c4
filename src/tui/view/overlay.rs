//! What is drawn over the dashboard: the help (from the key table), the
//! fault menu and the world's switches.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::format::fmt_duration_s;
use crate::tui::app::{App, FaultField, FaultMenu, fault_lasts_s, fmt_speed};
use crate::tui::keymap::KEYMAP;

/// A centred rectangle of at most `w`×`h` inside `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

fn frame<'a>(app: &App, title: &str) -> Block<'a> {
    Block::bordered()
        .border_type(ratatui::widgets::BorderType::Double)
        .border_style(app.theme.key())
        .title(Span::styled(
            format!(" {title} "),
            app.theme.key().add_modifier(Modifier::BOLD),
        ))
}

/// The signs the dashboard draws, for the help's legend.
pub const LEGEND: &[(&str, &str)] = &[
    ("●", "up"),
    ("◐", "degraded"),
    ("✖", "down"),
    ("⚠", "needs attention"),
    ("❝", "the story's caption"),
    ("»", "caption in the log"),
    ("·", "dashboard's own line"),
    ("▶", "focused panel"),
];

/// Cells one sign of the legend takes.
const SIGN_W: usize = 24;

/// Every key, from the same table [`crate::tui::keymap::resolve`] reads,
/// and a legend of the signs.
pub fn help(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let rows_of: Vec<_> = KEYMAP.iter().filter(|b| !b.help.is_empty()).collect();
    let key_w = rows_of
        .iter()
        .map(|b| b.keys.chars().count())
        .max()
        .unwrap_or(0);
    let help_w = rows_of
        .iter()
        .map(|b| b.help.chars().count())
        .max()
        .unwrap_or(0);
    let col_w = key_w + help_w + 4;
    let n = rows_of.len();
    // One column when it fits in height, two otherwise.
    let legend_rows = |w: usize| LEGEND.len().div_ceil((w / SIGN_W).max(1)) + 1;
    let cols = if n + legend_rows(col_w) + 4 <= usize::from(area.height) {
        1
    } else {
        2
    };
    let rows = n.div_ceil(cols);
    let mut lines: Vec<Line> = Vec::with_capacity(rows + legend_rows(col_w * cols) + 2);
    for r in 0..rows {
        let mut spans = Vec::new();
        for c in 0..cols {
            let Some(b) = rows_of.get(c * rows + r) else {
                continue;
            };
            spans.push(Span::styled(format!(" {:>key_w$}  ", b.keys), t.key()));
            spans.push(Span::raw(format!("{:<help_w$} ", b.help)));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    let per_row = ((col_w * cols) / SIGN_W).max(1);
    for chunk in LEGEND.chunks(per_row) {
        let mut spans = vec![Span::raw(" ")];
        for (sign, what) in chunk {
            spans.push(Span::styled(format!(" {sign} "), t.key()));
            spans.push(Span::raw(format!("{what:<w$}", w = SIGN_W - 3)));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Esc, ? or Enter closes this help",
        t.dim(),
    )));
    let w = (col_w * cols + 2).max(lines.iter().map(Line::width).max().unwrap_or(0) + 2) as u16;
    let h = lines.len() as u16 + 2;
    let r = centered(area, w, h);
    clear(app, r, buf);
    Paragraph::new(lines)
        .block(frame(app, "keys and signs"))
        .render(r, buf);
}

pub fn fault_menu(app: &App, m: &FaultMenu, area: Rect, buf: &mut Buffer) {
    let Some(s) = &app.session else { return };
    let t = app.theme;
    let Some(tpl) = s.fault_menu.get(m.template) else {
        return;
    };
    let field_line = |field: FaultField, name: &str, value: String, note: String| {
        let selected = m.field == field;
        let marker = if selected { "▸" } else { " " };
        let style = if selected { t.selected() } else { t.text() };
        Line::from(vec![
            Span::styled(format!(" {marker} {name:<10}"), t.key()),
            Span::styled(format!("◀ {value} ▶"), style),
            Span::styled(format!("  {note}"), t.dim()),
        ])
    };
    let mut lines = vec![Line::from("")];
    lines.push(field_line(
        FaultField::Fault,
        "fault",
        tpl.label.clone(),
        format!("{} of {}", m.template + 1, s.fault_menu.len()),
    ));
    let target = tpl
        .targets
        .get(m.target)
        .cloned()
        .unwrap_or_else(|| "all".into());
    lines.push(field_line(
        FaultField::Target,
        "target",
        target,
        if tpl.targets.len() > 1 {
            format!("{} targets", tpl.targets.len())
        } else {
            "the only target".to_string()
        },
    ));
    match (&tpl.strength, m.strength) {
        (Some(spec), Some(v)) => lines.push(field_line(
            FaultField::Strength,
            "strength",
            strength_text(spec.label, &trim_float(v, spec.step)),
            format!(
                "{} … {}, step {}",
                trim_float(spec.min, spec.step),
                trim_float(spec.max, spec.step),
                trim_float(spec.step, spec.step)
            ),
        )),
        _ => lines.push(Line::from(Span::styled(
            "   strength (none to set)",
            t.dim(),
        ))),
    }
    let lasts = app.menu_fault().as_ref().and_then(fault_lasts_s);
    let duration = match lasts {
        Some(d) => format!(
            "   {:<10}{} simulated = {} on screen at ×{}",
            "lasts",
            fmt_duration_s(d),
            fmt_duration_s(d / app.speed),
            fmt_speed(app.speed)
        ),
        None => format!("   {:<10}until cleared (c)", "lasts"),
    };
    lines.push(Line::from(Span::raw(duration)));
    let slow = if app.slow_during_faults {
        match lasts {
            Some(d) if app.fault_speed(d) < app.speed => format!(
                "on: ×{} while it lasts ({} on screen)",
                fmt_speed(app.fault_speed(d)),
                fmt_duration_s(d / app.fault_speed(d))
            ),
            Some(_) => "on (no need at this speed)".to_string(),
            None => "on (only for faults that end)".to_string(),
        }
    } else {
        "off".to_string()
    };
    lines.push(field_line(
        FaultField::SlowDown,
        "slow down",
        slow,
        "a setting".to_string(),
    ));
    lines.push(Line::from(""));
    if let Some(f) = app.menu_fault() {
        lines.push(Line::from(vec![
            Span::styled("   will inject: ", t.dim()),
            Span::styled(f.to_string(), t.warn().add_modifier(Modifier::BOLD)),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "   ↑↓ field · ←→ change · Enter inject · Esc close",
        t.dim(),
    )));
    let w = lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 4;
    let h = lines.len() as u16 + 2;
    let r = centered(area, w.max(56), h);
    clear(app, r, buf);
    Paragraph::new(lines)
        .block(frame(app, "inject a fault"))
        .render(r, buf);
}

pub fn toggles(app: &App, row: usize, area: Rect, buf: &mut Buffer) {
    let Some(s) = &app.session else { return };
    let t = app.theme;
    let mut lines = vec![Line::from("")];
    let catalog = s.sim.world().catalog();
    let name_w = s
        .snapshot
        .toggles
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    // The descriptions wrap to fit the screen, under themselves.
    let about_w = usize::from(area.width)
        .saturating_sub(name_w + 16)
        .clamp(20, 60);
    for (i, (name, on)) in s.snapshot.toggles.iter().enumerate() {
        let selected = i == row;
        let marker = if selected { "▸" } else { " " };
        let state = if *on { "[ON] " } else { "[off]" };
        let style = if selected { t.selected() } else { t.text() };
        let about = catalog
            .toggles
            .iter()
            .find(|x| x.name == *name)
            .map(|x| x.about.as_str())
            .unwrap_or_default();
        let mut rows = super::panels::wrap_words(about, about_w, about_w).into_iter();
        lines.push(Line::from(vec![
            Span::styled(format!(" {marker} "), t.key()),
            Span::styled(format!("{state} {name:<name_w$}"), style),
            Span::styled(format!("  {}", rows.next().unwrap_or_default()), t.dim()),
        ]));
        for r in rows {
            lines.push(Line::from(Span::styled(
                format!("{}{r}", " ".repeat(name_w + 11)),
                t.dim(),
            )));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " ↑↓ choose · Enter / ←→ flip · Esc close",
        t.dim(),
    )));
    let w = lines.iter().map(Line::width).max().unwrap_or(30) as u16 + 4;
    let h = lines.len() as u16 + 2;
    let r = centered(area, w.max(44), h);
    clear(app, r, buf);
    Paragraph::new(lines)
        .block(frame(app, "world switches"))
        .render(r, buf);
}

/// `q` was pressed: the question, and what each key does.
pub fn confirm_quit(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let lines = vec![
        Line::from(""),
        Line::from(Span::styled(
            "  Quit chaoswala?",
            t.text().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
        Line::from(vec![
            Span::styled("  y", t.key()),
            Span::raw(" or "),
            Span::styled("q", t.key()),
            Span::raw(" quits (a summary stays on the screen)"),
        ]),
        Line::from(vec![
            Span::styled("  any other key", t.key()),
            Span::raw(" goes back to the world"),
        ]),
        Line::from(""),
    ];
    let w = lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 4;
    let h = lines.len() as u16 + 2;
    let r = centered(area, w, h);
    clear(app, r, buf);
    Paragraph::new(lines)
        .block(frame(app, "quit?"))
        .render(r, buf);
}

/// A strength in words: the unit goes after the number (`restart after
/// 120 s`, `500 ms added`, `×3 bots`), other labels before it (`rate × 0.5`).
fn strength_text(label: &str, value: &str) -> String {
    for unit in ["s", "ms"] {
        if let Some(head) = label.strip_suffix(&format!(" {unit}")) {
            return format!("{head} {value} {unit}");
        }
        if label == unit {
            return format!("{value} {unit}");
        }
        if let Some(tail) = label.strip_prefix(&format!("{unit} ")) {
            return format!("{value} {unit} {tail}");
        }
    }
    if let Some(tail) = label.strip_prefix("× ") {
        return format!("×{value} {tail}");
    }
    format!("{label} {value}")
}

/// `0.5` for step 0.1, `250` for step 10, `0.25` for step 0.05.
fn trim_float(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    };
    format!("{v:.decimals$}")
}

/// Empties a popup's rectangle down to the theme's base (a light theme
/// keeps its white under the popup).
fn clear(app: &App, r: Rect, buf: &mut Buffer) {
    Clear.render(r, buf);
    buf.set_style(r, app.theme.base());
}

#[cfg(test)]
mod tests {
    use super::{strength_text, trim_float};

    #[test]
    fn strengths_read_as_words() {
        assert_eq!(
            strength_text("restart after s", "120"),
            "restart after 120 s"
        );
        assert_eq!(strength_text("ms added", "500"), "500 ms added");
        assert_eq!(strength_text("ms", "50"), "50 ms");
        assert_eq!(strength_text("× bots", "3"), "×3 bots");
        assert_eq!(strength_text("rate ×", "0.5"), "rate × 0.5");
    }

    #[test]
    fn strengths_show_the_step_precision() {
        assert_eq!(trim_float(0.5, 0.1), "0.5");
        assert_eq!(trim_float(0.300_000_000_000_000_04, 0.1), "0.3");
        assert_eq!(trim_float(250.0, 10.0), "250");
        assert_eq!(trim_float(0.25, 0.05), "0.25");
    }
}
