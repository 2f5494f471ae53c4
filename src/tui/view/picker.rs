//! The world picker: every built-in scenario, platform first.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::keymap::footer_hints;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let [header, body, message, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Paragraph::new(" chaoswala — a terminal laboratory for queues, load balancers and failures")
        .style(t.header())
        .render(header, buf);

    let mut lines = vec![
        Line::from(""),
        Line::from(Span::styled(
            " Four Mumbai systems under load. Choose a world:",
            t.text().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
    ];
    for (i, e) in app.picker.iter().enumerate() {
        let selected = i == app.picker_row;
        let marker = if selected { "▶" } else { " " };
        let style = if selected { t.selected() } else { t.text() };
        lines.push(Line::from(vec![
            Span::styled(format!("  {marker} {:>2}. ", i + 1), t.key()),
            Span::styled(
                format!("{:<20}", e.name),
                style.add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!(" {}", e.title), style),
        ]));
        let detail = match &e.error {
            Some(err) => format!("cannot open: {err}"),
            None if e.description.is_empty() => format!("world {}", e.kind),
            None => format!("world {} — {}", e.kind, e.description),
        };
        lines.push(Line::from(Span::styled(
            format!("         {detail}"),
            t.dim(),
        )));
        lines.push(Line::from(""));
    }
    if app.picker.is_empty() {
        lines.push(Line::from("   (no built-in scenarios)"));
    }
    // How to drive a world once open, from the key table.
    lines.push(Line::from(Span::styled(
        " Inside a world:",
        t.text().add_modifier(Modifier::BOLD),
    )));
    for chunk in footer_hints().chunks(6) {
        let mut spans = vec![Span::raw("   ")];
        for (keys, word) in chunk {
            spans.push(Span::styled(keys.clone(), t.key()));
            spans.push(Span::styled(format!(" {word}  "), t.dim()));
        }
        lines.push(Line::from(spans));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::new())
        .render(body, buf);

    if let Some(m) = &app.message {
        Paragraph::new(Line::from(vec![
            Span::styled(" » ", t.key()),
            Span::raw(m.clone()),
        ]))
        .render(message, buf);
    }
    Paragraph::new(Line::from(vec![
        Span::styled(" ↑↓", t.key()),
        Span::styled(" choose  ", t.dim()),
        Span::styled("Enter", t.key()),
        Span::styled(" open  ", t.dim()),
        Span::styled("1-4", t.key()),
        Span::styled(" world by kind  ", t.dim()),
        Span::styled("q", t.key()),
        Span::styled(" quit", t.dim()),
    ]))
    .render(footer, buf);
}
