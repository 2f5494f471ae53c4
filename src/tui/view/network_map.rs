//! The network world's map: its nodes in columns by layer (sources on the
//! left, sinks on the right), each as one cell with its state in words
//! and colour (up, degraded, DOWN, unreachable), what it holds against
//! its room and how busy it is; under each column, where its nodes send
//! their jobs. The status line comes first, as in the world panel.
//!
//! ```text
//! ┌ network ──────────────────────────────────────────────────────────┐
//! │ 6 nodes · goodput 4.3/s · 14 inside · 0 retries · 0 timeouts      │
//! │ ● andheri-riders   ● andheri  12/500 85%  ● mumbai-ce…  2/500 72% │
//! │ ● bandra-riders    ● bandra    4/500 80%  ● cst         2/500 63% │
//! │ → andheri, bandra  → bandra, m…           → cst                   │
//! └───────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::panel_block;
use crate::sim::world::{NetworkMap, UnitState};
use crate::tui::app::{App, Panel};

/// Rows the map wants inside its frame plus the frame: the status line,
/// the tallest column and a line of edges.
#[must_use]
pub fn height(map: &NetworkMap) -> u16 {
    let layers = map.nodes.iter().map(|n| n.layer).max().map_or(0, |l| l + 1);
    let tallest = (0..layers)
        .map(|l| map.nodes.iter().filter(|n| n.layer == l).count())
        .max()
        .unwrap_or(0);
    (tallest.min(12) as u16) + 4
}

fn clip(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        format!("{s:<w$}")
    } else if w == 0 {
        String::new()
    } else {
        let cut: String = s.chars().take(w - 1).collect();
        format!("{cut}…")
    }
}

/// Draws the map in `area`.
pub fn render(app: &App, map: &NetworkMap, status: Option<&str>, area: Rect, buf: &mut Buffer) {
    let block = panel_block(app, Panel::World, "network");
    let inner = block.inner(area);
    block.render(area, buf);
    let t = app.theme;
    let width = usize::from(inner.width);
    let layers = map.nodes.iter().map(|n| n.layer).max().map_or(0, |l| l + 1);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(st) = status {
        lines.push(Line::from(Span::styled(
            clip(st, width),
            t.text().add_modifier(Modifier::BOLD),
        )));
    }
    if layers == 0 || width < 8 {
        Paragraph::new(lines).render(inner, buf);
        return;
    }
    let col_w = (width / layers).max(8);
    let columns: Vec<Vec<usize>> = (0..layers)
        .map(|l| {
            (0..map.nodes.len())
                .filter(|&i| map.nodes[i].layer == l)
                .collect()
        })
        .collect();
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0).min(12);
    for row in 0..tallest {
        let mut spans = Vec::new();
        for col in &columns {
            let Some(&i) = col.get(row) else {
                spans.push(Span::raw(" ".repeat(col_w)));
                continue;
            };
            let n = &map.nodes[i];
            let (mark, style) = match n.state {
                UnitState::Up => ("●", t.ok()),
                UnitState::Degraded => ("◐", t.warn()),
                UnitState::Down => ("✖", t.alarm()),
            };
            let load = if n.capacity > 0 {
                format!(
                    " {}/{} {:.0}%",
                    n.in_system,
                    n.capacity,
                    n.utilisation * 100.0
                )
            } else {
                String::new()
            };
            // Not up: the state in words replaces the load.
            let tail = if n.state == UnitState::Up {
                load
            } else {
                format!(" {}", n.words)
            };
            let name_w = col_w.saturating_sub(3 + tail.chars().count()).max(4);
            let cell = format!("{} {}", clip(&n.name, name_w), tail);
            spans.push(Span::styled(format!("{mark} "), style));
            let text_style = if n.state == UnitState::Up {
                t.text()
            } else {
                style
            };
            spans.push(Span::styled(
                clip(&cell, col_w.saturating_sub(2)),
                text_style,
            ));
        }
        lines.push(Line::from(spans));
    }
    // Where each column's nodes send their jobs.
    let mut edge_spans = Vec::new();
    for col in &columns {
        let mut to: Vec<&str> = Vec::new();
        for &(a, b) in &map.edges {
            if col.contains(&a) && !to.contains(&map.nodes[b].name.as_str()) {
                to.push(&map.nodes[b].name);
            }
        }
        let text = if to.is_empty() {
            String::new()
        } else {
            format!("→ {}", to.join(", "))
        };
        edge_spans.push(Span::styled(clip(&text, col_w), t.dim()));
    }
    lines.push(Line::from(edge_spans));
    Paragraph::new(lines).render(inner, buf);
}
