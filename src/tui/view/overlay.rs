//! What is drawn over the dashboard: the help (from the key table), the
//! fault menu and the world's switches.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::app::{App, FaultField, FaultMenu};
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

/// Every key, from the same table [`crate::tui::keymap::resolve`] reads.
pub fn help(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let key_w = KEYMAP
        .iter()
        .map(|b| b.keys.chars().count())
        .max()
        .unwrap_or(0);
    let help_w = KEYMAP
        .iter()
        .map(|b| b.help.chars().count())
        .max()
        .unwrap_or(0);
    let col_w = key_w + help_w + 4;
    let n = KEYMAP.len();
    // One column when it fits in height, two otherwise.
    let cols = if n + 4 <= usize::from(area.height) {
        1
    } else {
        2
    };
    let rows = n.div_ceil(cols);
    let mut lines: Vec<Line> = Vec::with_capacity(rows + 2);
    for r in 0..rows {
        let mut spans = Vec::new();
        for c in 0..cols {
            let Some(b) = KEYMAP.get(c * rows + r) else {
                continue;
            };
            spans.push(Span::styled(format!(" {:>key_w$}  ", b.keys), t.key()));
            spans.push(Span::raw(format!("{:<help_w$} ", b.help)));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Esc, ? or Enter closes this help",
        t.dim(),
    )));
    let w = (col_w * cols + 2) as u16;
    let h = lines.len() as u16 + 2;
    let r = centered(area, w, h);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(frame(app, "keys"))
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
            Span::styled(format!(" {marker} {name:<9}"), t.key()),
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
    let duration = match tpl.duration_s {
        Some(d) => format!(
            "   {:<9}{d} s of simulated time, then it clears itself",
            "duration"
        ),
        None => format!("   {:<9}until cleared (c)", "duration"),
    };
    lines.push(Line::from(Span::raw(duration)));
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
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(frame(app, "inject a fault"))
        .render(r, buf);
}

pub fn toggles(app: &App, row: usize, area: Rect, buf: &mut Buffer) {
    let Some(s) = &app.session else { return };
    let t = app.theme;
    let mut lines = vec![Line::from("")];
    for (i, (name, on)) in s.snapshot.toggles.iter().enumerate() {
        let selected = i == row;
        let marker = if selected { "▸" } else { " " };
        let state = if *on { "[ON] " } else { "[off]" };
        let style = if selected { t.selected() } else { t.text() };
        lines.push(Line::from(vec![
            Span::styled(format!(" {marker} "), t.key()),
            Span::styled(format!("{state} {name}"), style),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " ↑↓ choose · Enter / ←→ flip · Esc close",
        t.dim(),
    )));
    let w = lines.iter().map(Line::width).max().unwrap_or(30) as u16 + 4;
    let h = lines.len() as u16 + 2;
    let r = centered(area, w.max(44), h);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(frame(app, "world switches"))
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
