//! The world picker: every built-in scenario, platform first, and the
//! light variants of the heavy ones. The list scrolls to keep the
//! selection in view; descriptions wrap under their names.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::panels::wrap_words;
use crate::tui::app::App;
use crate::tui::keymap::{Context, footer_hints};

/// Indentation of an entry's description under its name.
const INDENT: usize = 9;

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

    let width = usize::from(body.width);
    let intro = vec![
        Line::from(""),
        Line::from(Span::styled(
            " Mumbai systems and networks under load. Choose a world:",
            t.text().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
    ];
    // Each entry: its name line, its description wrapped, a blank line.
    let mut blocks: Vec<Vec<Line>> = Vec::with_capacity(app.picker.len());
    for (i, e) in app.picker.iter().enumerate() {
        let selected = i == app.picker_row;
        let marker = if selected { "▶" } else { " " };
        let style = if selected { t.selected() } else { t.text() };
        let mut lines = Vec::new();
        let head = format!("  {marker} {:>2}. ", i + 1);
        let label = format!("{:<20}", e.label());
        let title_room = width.saturating_sub(head.chars().count() + label.chars().count() + 1);
        let mut title_rows = wrap_words(&e.title, title_room, title_room).into_iter();
        lines.push(Line::from(vec![
            Span::styled(head, t.key()),
            Span::styled(label.clone(), style.add_modifier(Modifier::BOLD)),
            Span::styled(format!(" {}", title_rows.next().unwrap_or_default()), style),
        ]));
        let title_indent = 6 + label.chars().count() + 1;
        for row in title_rows {
            lines.push(Line::from(Span::styled(
                format!("{}{row}", " ".repeat(title_indent)),
                style,
            )));
        }
        let detail = match &e.error {
            Some(err) => format!("cannot open: {err}"),
            None if e.description.is_empty() => format!("world {}", e.kind),
            None => format!("world {} — {}", e.kind, e.description),
        };
        let room = width.saturating_sub(INDENT + 1);
        for row in wrap_words(&detail, room, room) {
            lines.push(Line::from(Span::styled(
                format!("{}{row}", " ".repeat(INDENT)),
                t.dim(),
            )));
        }
        lines.push(Line::from(""));
        blocks.push(lines);
    }
    let mut outro = Vec::new();
    if app.picker.is_empty() {
        outro.push(Line::from("   (no built-in scenarios)"));
    }
    // How to drive a world once open, from the key table.
    outro.push(Line::from(Span::styled(
        " Inside a world:",
        t.text().add_modifier(Modifier::BOLD),
    )));
    let every = Context {
        policies: true,
        faults: true,
        active_faults: true,
        toggles: true,
        table: false,
        log: false,
    };
    let mut row: Vec<Span> = vec![Span::raw("   ")];
    let mut row_w = 3;
    for (keys, word) in footer_hints(&every) {
        let w = keys.chars().count() + word.chars().count() + 3;
        if row_w + w > width && row_w > 3 {
            outro.push(Line::from(std::mem::replace(
                &mut row,
                vec![Span::raw("   ")],
            )));
            row_w = 3;
        }
        row.push(Span::styled(keys, t.key()));
        row.push(Span::styled(format!(" {word}  "), t.dim()));
        row_w += w;
    }
    outro.push(Line::from(row));

    // Scroll: the selected entry's lines are always on screen.
    let height = usize::from(body.height);
    let mut all: Vec<Line> = intro;
    let mut sel = (0, 0);
    for (i, b) in blocks.into_iter().enumerate() {
        if i == app.picker_row {
            sel = (all.len(), all.len() + b.len());
        }
        all.extend(b);
    }
    let list_end = all.len();
    all.extend(outro);
    let mut top = 0usize;
    if all.len() > height {
        // Keep the selection (and its blank line) in view; the intro stays
        // while the first entries are selected.
        // (One more line for the `↓` mark below it.)
        if sel.1 + 1 > height {
            top = sel.1 + 1 - height;
        }
        top = top.min(sel.0.saturating_sub(1));
    }
    let more_below = all.len() > top + height && list_end > top + height;
    let mut shown: Vec<Line> = all.into_iter().skip(top).take(height).collect();
    if top > 0
        && let Some(first) = shown.first_mut()
    {
        *first = Line::from(Span::styled(format!(" ↑ {top} lines above"), t.dim()));
    }
    if more_below
        && shown.len() == height
        && let Some(last) = shown.last_mut()
    {
        *last = Line::from(Span::styled(" ↓ more worlds below", t.dim()));
    }
    Paragraph::new(shown).render(body, buf);

    if let Some(m) = &app.message {
        Paragraph::new(Line::from(vec![
            Span::styled(" » ", t.key()),
            Span::raw(m.clone()),
        ]))
        .render(message, buf);
    }
    let n = app.picker.len().min(9);
    let mut spans = vec![
        Span::styled(" ↑↓", t.key()),
        Span::styled(" choose  ", t.dim()),
        Span::styled("Enter", t.key()),
        Span::styled(" open  ", t.dim()),
        Span::styled(format!("1-{n}"), t.key()),
        Span::styled(" open by number  ", t.dim()),
    ];
    if app.session.is_some() {
        spans.push(Span::styled("Esc", t.key()));
        spans.push(Span::styled(" back to the world  ", t.dim()));
    }
    spans.push(Span::styled("q", t.key()));
    spans.push(Span::styled(" quit", t.dim()));
    Paragraph::new(Line::from(spans)).render(footer, buf);
}
