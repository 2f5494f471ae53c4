//! The network world's map: its nodes in columns by layer (sources on the
//! left, sinks on the right), each as one cell with its state in words
//! and colour (up, degraded, DOWN, unreachable), what it holds against
//! its room and how busy it is; between the columns, the edges drawn as
//! lines: routes solid (`──▶`, labelled with their probability where there
//! is room), calls dashed (`╌╌▷`), dependencies dotted (`┄┄◆`, from a node
//! to the one it depends on). A legend says which is which in words;
//! states a cell had no room to spell out come under it, grouped, and
//! edges that cannot be drawn between neighbouring columns (feedback,
//! edges within a column or across several) are listed in words. The
//! status line comes first, as in the world panel.
//!
//! ```text
//! ╭ network ────────────────────────────────────────────────────────────╮
//! │14 nodes · goodput 2.4/s · 3 inside · 10195 retries · 0 timeouts     │
//! │● facebook-users ──▶✖ facebook  unreachable┄┬┄┄┄◆✖ dns unreachable┄┄◆…│
//! │● whatsapp-users ──▶✖ whatsapp  unreachable┄┘                        │
//! │──▶ routes (p)  ┄┄◆ depends on                                       │
//! │state: facebook, whatsapp — unreachable: depends on dns · …          │
//! ╰─────────────────────────────────────────────────────────────────────╯
//! ```
//!
//! Nothing is cut with `…` when a cell is narrow: the cell drops its
//! utilisation, then its load, and a state in words shortens to its first
//! word (`unreachable: depends on dns` → `unreachable`) before the name
//! itself is clipped.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::panel_block;
use crate::sim::world::{EdgeKind, MapEdge, NetworkMap, UnitState};
use crate::tui::app::{App, Panel};

/// The most rows of nodes drawn (a taller column shows its first ones).
const MAX_ROWS: usize = 12;

/// Lines for the edges that are listed in words, at most.
const MAX_ALSO: usize = 2;

/// Lines for the states of nodes spelt out under the map, at most.
const MAX_STATES: usize = 2;

/// Rows the map wants inside its frame plus the frame: the status line,
/// the tallest column, the legend and the edges listed in words.
#[must_use]
pub fn height(map: &NetworkMap) -> u16 {
    let tallest = columns(map).iter().map(Vec::len).max().unwrap_or(0);
    let also = also_edges(map).len();
    let also_lines = if also == 0 { 0 } else { also.div_ceil(4) };
    // Room for the states under the map when some node is not up.
    let groups = {
        let mut words: Vec<&str> = map
            .nodes
            .iter()
            .filter(|n| n.state != UnitState::Up)
            .map(|n| n.words.as_str())
            .collect();
        words.sort_unstable();
        words.dedup();
        words.len()
    };
    (tallest.min(MAX_ROWS) + also_lines.min(MAX_ALSO) + groups.min(MAX_STATES)) as u16 + 4
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

fn layers(map: &NetworkMap) -> usize {
    map.nodes.iter().map(|n| n.layer).max().map_or(0, |l| l + 1)
}

/// Node indices per column, each column ordered to keep edges from the
/// previous one straight (by the mean row of what feeds it, ties in the
/// file's order).
fn columns(map: &NetworkMap) -> Vec<Vec<usize>> {
    let mut cols: Vec<Vec<usize>> = (0..layers(map))
        .map(|l| {
            (0..map.nodes.len())
                .filter(|&i| map.nodes[i].layer == l)
                .collect()
        })
        .collect();
    for l in 1..cols.len() {
        let prev = &cols[l - 1];
        let row_of = |i: usize| prev.iter().position(|&x| x == i);
        let key = |b: usize| -> f64 {
            let rows: Vec<usize> = map
                .edges
                .iter()
                .filter(|e| e.to == b)
                .filter_map(|e| row_of(e.from))
                .collect();
            if rows.is_empty() {
                f64::INFINITY
            } else {
                rows.iter().sum::<usize>() as f64 / rows.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize, usize)> = cols[l]
            .iter()
            .enumerate()
            .map(|(k, &b)| (key(b), k, b))
            .collect();
        keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        cols[l] = keyed.into_iter().map(|(_, _, b)| b).collect();
    }
    cols
}

/// Whether an edge is drawn as a line (between neighbouring columns,
/// left to right, both ends shown).
fn drawn(map: &NetworkMap, cols: &[Vec<usize>], e: &MapEdge) -> bool {
    let (a, b) = (&map.nodes[e.from], &map.nodes[e.to]);
    b.layer == a.layer + 1
        && cols[a.layer]
            .iter()
            .position(|&x| x == e.from)
            .is_some_and(|r| r < MAX_ROWS)
        && cols[b.layer]
            .iter()
            .position(|&x| x == e.to)
            .is_some_and(|r| r < MAX_ROWS)
}

/// The edges listed in words, each as its text.
fn also_edges(map: &NetworkMap) -> Vec<String> {
    let cols = columns(map);
    map.edges
        .iter()
        .filter(|e| !drawn(map, &cols, e))
        .map(|e| {
            let (a, b) = (&map.nodes[e.from].name, &map.nodes[e.to].name);
            match e.kind {
                EdgeKind::Route => match label(e) {
                    Some(p) => format!("{a} → {b} {p}"),
                    None => format!("{a} → {b}"),
                },
                EdgeKind::Call => format!("{a} calls {b}"),
                EdgeKind::Depends => format!("{a} depends on {b}"),
            }
        })
        .collect()
}

/// A route's probability as drawn (none when it takes everything).
fn label(e: &MapEdge) -> Option<String> {
    let p = e.p?;
    if e.kind != EdgeKind::Route || p >= 0.9995 {
        return None;
    }
    let s = format!("{p:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    Some(if s.is_empty() { "0".into() } else { s })
}

// Directions a line leaves a cell in.
const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

#[derive(Clone, Copy, Default)]
struct Cell {
    dirs: u8,
    kind: Option<EdgeKind>,
    /// An arrow head or a label character instead of a line.
    glyph: Option<char>,
}

impl Cell {
    fn char(self) -> char {
        if let Some(g) = self.glyph {
            return g;
        }
        let kind = self.kind.unwrap_or(EdgeKind::Route);
        let (h, v) = match kind {
            EdgeKind::Route => ('─', '│'),
            EdgeKind::Call => ('╌', '╎'),
            EdgeKind::Depends => ('┄', '┆'),
        };
        match self.dirs {
            0 => ' ',
            d if d == LEFT || d == RIGHT || d == LEFT | RIGHT => h,
            d if d == UP || d == DOWN || d == UP | DOWN => v,
            d if d == RIGHT | DOWN => '┌',
            d if d == LEFT | DOWN => '┐',
            d if d == RIGHT | UP => '└',
            d if d == LEFT | UP => '┘',
            d if d == UP | DOWN | RIGHT => '├',
            d if d == UP | DOWN | LEFT => '┤',
            d if d == LEFT | RIGHT | DOWN => '┬',
            d if d == LEFT | RIGHT | UP => '┴',
            _ => '┼',
        }
    }
}

fn head(kind: EdgeKind) -> char {
    match kind {
        EdgeKind::Route => '▶',
        EdgeKind::Call => '▷',
        EdgeKind::Depends => '◆',
    }
}

/// The lines in one gutter: `rows` × `g` cells between two columns.
fn gutter(
    map: &NetworkMap,
    left: &[usize],
    right: &[usize],
    rows: usize,
    g: usize,
) -> Vec<Vec<Cell>> {
    let mut grid = vec![vec![Cell::default(); g]; rows];
    if g < 3 {
        return grid;
    }
    let row = |col: &[usize], i: usize| col.iter().position(|&x| x == i).filter(|&r| r < rows);
    let edges: Vec<(usize, usize, &MapEdge)> = map
        .edges
        .iter()
        .filter_map(|e| Some((row(left, e.from)?, row(right, e.to)?, e)))
        .collect();
    let outs = |r: usize| edges.iter().filter(|x| x.0 == r).count();
    let ins = |r: usize| edges.iter().filter(|x| x.1 == r).count();
    // One vertical trunk per fan (a node with several edges out shares
    // one, as do the edges into one node); trunks take the columns after
    // the first, in turn.
    let mut fans: Vec<(bool, usize)> = Vec::new();
    let trunks = g - 2;
    for &(rs, rt, e) in &edges {
        let fan = if outs(rs) > 1 {
            (true, rs)
        } else {
            (false, rt)
        };
        let k = fans.iter().position(|f| *f == fan).unwrap_or_else(|| {
            fans.push(fan);
            fans.len() - 1
        });
        let xt = if rs == rt && outs(rs) == 1 && ins(rt) == 1 {
            None
        } else {
            Some(1 + k % trunks)
        };
        let mut put = |r: usize, x: usize, d: u8| {
            let c = &mut grid[r][x];
            c.dirs |= d;
            c.kind = Some(match (c.kind, e.kind) {
                (Some(EdgeKind::Route), _) | (_, EdgeKind::Route) => EdgeKind::Route,
                (Some(EdgeKind::Call), _) | (_, EdgeKind::Call) => EdgeKind::Call,
                _ => EdgeKind::Depends,
            });
        };
        match xt {
            None => {
                for x in 0..g - 1 {
                    put(rs, x, LEFT | RIGHT);
                }
            }
            Some(xt) => {
                for x in 0..xt {
                    put(rs, x, LEFT | RIGHT);
                }
                let (towards, back) = if rt > rs { (DOWN, UP) } else { (UP, DOWN) };
                if rs == rt {
                    put(rs, xt, LEFT | RIGHT);
                } else {
                    put(rs, xt, LEFT | towards);
                    for r in rs.min(rt) + 1..rs.max(rt) {
                        put(r, xt, UP | DOWN);
                    }
                    put(rt, xt, back | RIGHT);
                }
                for x in xt + 1..g - 1 {
                    put(rt, x, LEFT | RIGHT);
                }
            }
        }
        grid[rt][g - 1].glyph = Some(head(e.kind));
        grid[rt][g - 1].kind = Some(e.kind);
        // The probability, on a straight stretch that is this edge's alone.
        if let Some(p) = label(e) {
            let n = p.chars().count();
            let (r, from, to) = match xt {
                None => (rs, 0, g - 1),
                Some(xt) if ins(rt) == 1 => (rt, xt + 1, g - 1),
                Some(xt) if outs(rs) == 1 => (rs, 0, xt),
                Some(_) => continue,
            };
            if to > from && to - from >= n {
                let start = from + (to - from - n) / 2;
                for (k, ch) in p.chars().enumerate() {
                    grid[r][start + k].glyph = Some(ch);
                }
            }
        }
    }
    grid
}

/// A node's cell text (without its mark), fitted into `w` characters:
/// the name and its load or state words, shortened without cutting
/// while that is enough.
fn cell_text(n: &crate::sim::world::MapNode, w: usize) -> (String, bool) {
    let up = n.state == UnitState::Up;
    let mut tails: Vec<String> = Vec::new();
    if up {
        if n.capacity > 0 {
            tails.push(format!(
                "{}/{} {:.0}%",
                n.in_system,
                n.capacity,
                n.utilisation * 100.0
            ));
            tails.push(format!("{}/{}", n.in_system, n.capacity));
        }
    } else {
        tails.push(n.words.clone());
        if let Some((first, _)) = n.words.split_once(':') {
            tails.push(first.to_string());
        }
    }
    let name = n.name.chars().count();
    for (k, tail) in tails.iter().enumerate() {
        let t = tail.chars().count();
        if name + 1 + t <= w {
            let cell = format!("{}{}{tail}", n.name, " ".repeat(w - name - t));
            return (cell, up || k == 0);
        }
    }
    (clip(&n.name, w), up)
}

/// `items` after `head`, joined by " · " and wrapped over at most
/// `max_lines` lines of `width`; what does not fit is counted
/// ("(+2 more)"), never cut.
fn wrap_items(head: &str, items: &[String], width: usize, max_lines: usize) -> Vec<String> {
    let mut out: Vec<String> = vec![head.to_string()];
    for (k, a) in items.iter().enumerate() {
        let last = out.len() - 1;
        let fresh = out[last] == head || out[last].trim().is_empty();
        let sep = if fresh { " " } else { " · " };
        let more = items.len() - k - 1;
        // Room kept on the last line for "(+N more)".
        let keep = if out.len() == max_lines && more > 0 {
            12
        } else {
            0
        };
        let need = out[last].chars().count() + sep.chars().count() + a.chars().count();
        if need + keep <= width {
            out[last].push_str(sep);
            out[last].push_str(a);
        } else if out.len() < max_lines {
            out.push(format!("{}{a}", " ".repeat(head.chars().count() + 1)));
        } else {
            let _ = write!(out[last], " (+{} more)", more + 1);
            break;
        }
    }
    out
}

/// Nodes not up whose state the cells could not spell out, grouped by
/// their state in words ("facebook, dns — unreachable: depends on bgp").
fn states(map: &NetworkMap, shown: &[bool]) -> Vec<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (i, n) in map.nodes.iter().enumerate() {
        if n.state == UnitState::Up || shown.get(i).copied().unwrap_or(false) {
            continue;
        }
        match groups.iter_mut().find(|g| g.0 == n.words) {
            Some(g) => g.1.push(&n.name),
            None => groups.push((&n.words, vec![&n.name])),
        }
    }
    groups
        .into_iter()
        .map(|(words, names)| format!("{} — {words}", names.join(", ")))
        .collect()
}

/// Draws the map in `area`.
pub fn render(app: &App, map: &NetworkMap, status: Option<&str>, area: Rect, buf: &mut Buffer) {
    let block = panel_block(app, Panel::World, "network");
    let inner = block.inner(area);
    block.render(area, buf);
    let t = app.theme;
    let width = usize::from(inner.width);
    let layers = layers(map);
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
    let cols = columns(map);
    let rows = cols.iter().map(Vec::len).max().unwrap_or(0).min(MAX_ROWS);
    // Gutters as wide as leaves each column 18 characters, 3 at least.
    let g = if layers > 1 {
        (3..=7)
            .rev()
            .find(|g| width.saturating_sub((layers - 1) * g) / layers >= 18)
            .unwrap_or(3)
    } else {
        0
    };
    let col_w = (width.saturating_sub((layers - 1) * g) / layers).max(4);
    let gutters: Vec<Vec<Vec<Cell>>> = (0..layers.saturating_sub(1))
        .map(|l| gutter(map, &cols[l], &cols[l + 1], rows, g))
        .collect();
    let kind_style = |k: Option<EdgeKind>| -> Style {
        match k {
            Some(EdgeKind::Call) => t.warn(),
            Some(EdgeKind::Depends) => t.dim(),
            _ => t.text(),
        }
    };
    let mut shown = vec![false; map.nodes.len()];
    for row in 0..rows {
        let mut spans = Vec::new();
        for (l, col) in cols.iter().enumerate() {
            match col.get(row) {
                None => spans.push(Span::raw(" ".repeat(col_w))),
                Some(&i) => {
                    let n = &map.nodes[i];
                    let (mark, style) = match n.state {
                        UnitState::Up => ("●", t.ok()),
                        UnitState::Degraded => ("◐", t.warn()),
                        UnitState::Down => ("✖", t.alarm()),
                    };
                    spans.push(Span::styled(format!("{mark} "), style));
                    let text_style = if n.state == UnitState::Up {
                        t.text()
                    } else {
                        style
                    };
                    let (cell, full) = cell_text(n, col_w.saturating_sub(2));
                    shown[i] = full;
                    spans.push(Span::styled(cell, text_style));
                }
            }
            if let Some(gut) = gutters.get(l) {
                for c in &gut[row] {
                    spans.push(Span::styled(c.char().to_string(), kind_style(c.kind)));
                }
            }
        }
        lines.push(Line::from(spans));
    }
    let kinds: Vec<EdgeKind> = [EdgeKind::Route, EdgeKind::Call, EdgeKind::Depends]
        .into_iter()
        .filter(|k| map.edges.iter().any(|e| e.kind == *k))
        .collect();
    let mut legend = Vec::new();
    for k in kinds {
        let (text, words) = match k {
            EdgeKind::Route => ("──▶", " routes (p)  "),
            EdgeKind::Call => ("╌╌▷", " calls  "),
            EdgeKind::Depends => ("┄┄◆", " depends on  "),
        };
        legend.push(Span::styled(text, kind_style(Some(k))));
        legend.push(Span::styled(words, t.dim()));
    }
    lines.push(Line::from(legend));
    // What the cells could not say, then the edges not drawn, in words.
    let why = states(map, &shown);
    if !why.is_empty() {
        for l in wrap_items("state:", &why, width, MAX_STATES) {
            lines.push(Line::from(Span::styled(clip(&l, width), t.warn())));
        }
    }
    let also = also_edges(map);
    if !also.is_empty() {
        for l in wrap_items("also:", &also, width, MAX_ALSO) {
            lines.push(Line::from(Span::styled(clip(&l, width), t.dim())));
        }
    }
    Paragraph::new(lines).render(inner, buf);
}
