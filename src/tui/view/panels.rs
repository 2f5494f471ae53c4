//! One render function per panel of the dashboard.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row, Sparkline, Table, Widget,
};

use super::format::{bar, fmt_duration_s, fmt_num};
use super::panel_block;
use crate::sim::world::UnitState;
use crate::sim::{SimTime, Snapshot};
use crate::tui::app::{App, Panel, Session, fmt_speed};
use crate::tui::keymap::footer_hints;

/// Truncates to `width` characters, with `…` when cut.
fn fit_text(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

pub fn header(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let meta = &s.launch.meta;
    let now = s.sim.now();
    let state = if app.paused {
        "⏸ PAUSED"
    } else {
        "▶ running"
    };
    let mut right = format!(
        "{}  ×{}  {state}  policy {}  seed {} ",
        app.clock(now),
        fmt_speed(app.speed),
        s.snapshot.policy,
        meta.seed
    );
    if app.behind && !app.paused {
        let got = app.achieved_speed;
        let got = if got >= 10.0 {
            got.round()
        } else {
            (got * 10.0).round() / 10.0
        };
        right = format!("BEHIND: ×{} achieved  {right}", fmt_speed(got));
    }
    if now >= SimTime::from_secs_f64(meta.duration_s) {
        right = format!("past end  {right}");
    }
    let width = usize::from(area.width);
    let right_w = right.chars().count();
    let left = fit_text(
        &format!(" chaoswala · {}", meta.title),
        width.saturating_sub(right_w + 2),
    );
    let gap = width.saturating_sub(left.chars().count() + right_w);
    let style = app.theme.header();
    Paragraph::new(Line::from(vec![
        Span::raw(left),
        Span::raw(" ".repeat(gap)),
        Span::raw(right),
    ]))
    .style(style)
    .render(area, buf);
}

/// Faults and switches in force, or the answer to the last action.
pub fn status(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let line = if let Some(m) = &app.message {
        Line::from(vec![
            Span::styled(" » ", t.key()),
            Span::styled(m.clone(), t.text().add_modifier(Modifier::BOLD)),
        ])
    } else {
        let faults = &s.snapshot.active_faults;
        let mut spans = vec![Span::styled(" faults: ", t.dim())];
        if faults.is_empty() {
            spans.push(Span::styled("none", t.ok()));
        } else {
            spans.push(Span::styled(
                format!("{} active — ", faults.len()),
                t.alarm(),
            ));
            spans.push(Span::styled(faults.join("; "), t.warn()));
        }
        if !s.snapshot.toggles.is_empty() {
            spans.push(Span::styled("   switches: ", t.dim()));
            for (i, (name, on)) in s.snapshot.toggles.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::raw(", "));
                }
                spans.push(Span::raw(format!("{name} ")));
                spans.push(if *on {
                    Span::styled("ON", t.ok().add_modifier(Modifier::BOLD))
                } else {
                    Span::styled("off", t.dim())
                });
            }
        }
        Line::from(spans)
    };
    Paragraph::new(line).render(area, buf);
}

pub fn caption(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let text = match s.sim.caption() {
        Some((_, c)) => format!(" ❝ {c}"),
        None => String::new(),
    };
    Paragraph::new(Span::styled(text, app.theme.caption())).render(area, buf);
}

pub fn gauges(app: &App, snap: &Snapshot, area: Rect, buf: &mut Buffer) {
    let block = panel_block(app, Panel::Gauges, "now");
    let inner = block.inner(area);
    block.render(area, buf);
    let label_w = snap
        .gauges
        .iter()
        .map(|g| g.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let text_w = snap
        .gauges
        .iter()
        .map(|g| g.text.chars().count() + if g.alarm { 2 } else { 0 })
        .max()
        .unwrap_or(0);
    let bar_w = usize::from(inner.width).saturating_sub(label_w + text_w + 3);
    let t = app.theme;
    let lines: Vec<Line> = snap
        .gauges
        .iter()
        .map(|g| {
            let (filled, rest) = bar(g.ratio, bar_w);
            let text = if g.alarm {
                format!("{} ⚠", g.text)
            } else {
                g.text.clone()
            };
            Line::from(vec![
                Span::styled(
                    format!("{:<label_w$} ", fit_text(&g.label, label_w)),
                    t.text(),
                ),
                Span::styled(filled, t.bar(g.alarm)),
                Span::styled(rest, t.dim()),
                Span::styled(
                    format!(" {text:>text_w$}"),
                    if g.alarm { t.alarm() } else { t.text() },
                ),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

pub fn sparklines(app: &App, snap: &Snapshot, area: Rect, buf: &mut Buffer) {
    let window = snap.sparklines.first().map_or(0, |s| s.values.len());
    let block = panel_block(
        app,
        Panel::Sparklines,
        &format!("trends, last {window} samples"),
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let label_w = snap
        .sparklines
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let value_w = 12usize;
    for (i, series) in snap.sparklines.iter().enumerate() {
        let y = inner.y + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let latest = series.values.last().copied().unwrap_or(0.0);
        let text = format!(
            "{:<label_w$} {:>value_w$} ",
            fit_text(&series.label, label_w),
            format!("{} {}", fmt_num(latest), series.unit)
        );
        let text_w = (text.chars().count() as u16).min(inner.width);
        let row = Rect::new(inner.x, y, inner.width, 1);
        Paragraph::new(Span::raw(text)).render(row, buf);
        let spark_area = Rect::new(inner.x + text_w, y, inner.width - text_w, 1);
        let n = usize::from(spark_area.width);
        let values = &series.values[series.values.len().saturating_sub(n)..];
        let max = values.iter().copied().fold(0.0_f64, f64::max);
        let scaled: Vec<u64> = values
            .iter()
            .map(|v| {
                if max > 0.0 && v.is_finite() {
                    (v / max * 1000.0).round().max(0.0) as u64
                } else {
                    0
                }
            })
            .collect();
        Sparkline::default()
            .data(scaled)
            .max(1000)
            .style(app.theme.series(i))
            .render(spark_area, buf);
    }
}

pub fn chart(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let snap = &s.snapshot;
    let c = &snap.chart;
    let latest = c.points.last().map_or(0.0, |p| p.1);
    let label = if c.label.is_empty() {
        "chart"
    } else {
        &c.label
    };
    let now = format!("now {}", fmt_num(latest));
    let with_ref = match &c.reference {
        Some((name, r)) => format!("{now} · ref {name} {}", fmt_num(*r)),
        None => now,
    };
    let full_title = format!("{label}: {with_ref}");
    // Room for the borders, the focus marker and spaces.
    let title = if full_title.chars().count() + 8 <= usize::from(area.width) {
        full_title
    } else {
        with_ref
    };
    let block = panel_block(app, Panel::Chart, &title);
    let (x0, x1) = match (c.points.first(), c.points.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (a.0, b.0),
        (Some(a), _) => (a.0, a.0 + 1.0),
        _ => (0.0, 1.0),
    };
    let mut y_max = c.points.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    if let Some((_, r)) = &c.reference {
        y_max = y_max.max(*r);
    }
    let y_max = if y_max > 0.0 && y_max.is_finite() {
        y_max * 1.15
    } else {
        1.0
    };
    let reference_points: Vec<(f64, f64)> = c
        .reference
        .as_ref()
        .map(|(_, r)| vec![(x0, *r), (x1, *r)])
        .unwrap_or_default();
    let t = app.theme;
    // No legend (it would hide the data): the title names both lines.
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.series(0))
            .data(&c.points),
    ];
    if c.reference.is_some() {
        datasets.push(
            Dataset::default()
                .marker(if t.color {
                    Marker::Braille
                } else {
                    Marker::Dot
                })
                .graph_type(GraphType::Line)
                .style(t.reference())
                .data(&reference_points),
        );
    }
    let origin = s.launch.meta.clock_origin_s;
    let x_label = |x: f64| crate::tui::app::clock_text(origin, SimTime::from_secs_f64(x));
    Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .style(t.dim())
                .labels([Span::raw(x_label(x0)), Span::raw(x_label(x1))]),
        )
        .y_axis(Axis::default().bounds([0.0, y_max]).style(t.dim()).labels([
            Span::raw("0"),
            Span::raw(fmt_num(y_max / 2.0)),
            Span::raw(fmt_num(y_max)),
        ]))
        .render(area, buf);
}

fn state_cell(app: &App, st: UnitState) -> Cell<'static> {
    let t = app.theme;
    let style = match st {
        UnitState::Up => t.ok(),
        UnitState::Degraded => t.warn(),
        UnitState::Down => t.alarm(),
    };
    let marker = match st {
        UnitState::Up => "● ",
        UnitState::Degraded => "◐ ",
        UnitState::Down => "✖ ",
    };
    Cell::from(Span::styled(format!("{marker}{}", st.label()), style))
}

/// `wide` false keeps name, state, latency and the extra column only.
pub fn units(app: &App, snap: &Snapshot, wide: bool, area: Rect, buf: &mut Buffer) {
    // The title counts the units not up, so a clipped table hides no outage.
    let count = |st: UnitState| snap.units.iter().filter(|u| u.state == st).count();
    let mut parts = vec![snap.units.len().to_string()];
    for st in [UnitState::Down, UnitState::Degraded] {
        let n = count(st);
        if n > 0 {
            parts.push(format!("{n} {}", st.label()));
        }
    }
    let title = format!("servers ({})", parts.join(", "));
    let block = panel_block(app, Panel::Units, &title);
    let extra = if snap.units_extra_header.is_empty() {
        "extra".to_string()
    } else {
        snap.units_extra_header.clone()
    };
    let head_style = app.theme.dim().add_modifier(Modifier::BOLD);
    // Columns as wide as their content (or heading); the name gets the rest.
    let widest = |head: &str, f: &dyn Fn(&crate::sim::world::UnitView) -> String| {
        snap.units
            .iter()
            .map(|u| f(u).chars().count())
            .max()
            .unwrap_or(0)
            .max(head.chars().count()) as u16
    };
    let name_w = widest("name", &|u| u.name.clone()).min(16);
    let state_w = widest("state", &|u| format!("● {}", u.state.label()));
    let flight_w = widest("in flight", &|u| fmt_num(u.in_flight));
    let latency_w = widest("latency", &|u| fmt_duration_s(u.ewma_latency_s));
    let share_w = widest("share", &|u| format!("{:.0} %", u.share * 100.0));
    let extra_w = widest(&extra, &|u| u.extra.clone()).min(16);
    let mut names = vec!["name", "state", "in flight", "latency", "share"];
    let mut widths = vec![
        Constraint::Min(name_w),
        Constraint::Length(state_w),
        Constraint::Length(flight_w),
        Constraint::Length(latency_w),
        Constraint::Length(share_w),
        Constraint::Length(extra_w),
    ];
    if !wide {
        names = vec!["name", "state", "latency"];
        widths = vec![
            Constraint::Min(name_w.min(10)),
            Constraint::Length(state_w),
            Constraint::Length(latency_w),
            Constraint::Length(extra_w),
        ];
    }
    let mut head: Vec<Cell> = names.into_iter().map(Cell::from).collect();
    head.push(Cell::from(Line::from(extra).right_aligned()));
    let header = Row::new(head).style(head_style);
    let rows: Vec<Row> = snap
        .units
        .iter()
        .map(|u| {
            let mut cells = vec![Cell::from(u.name.clone()), state_cell(app, u.state)];
            if wide {
                cells.push(Cell::from(Line::from(fmt_num(u.in_flight)).right_aligned()));
            }
            cells.push(Cell::from(
                Line::from(fmt_duration_s(u.ewma_latency_s)).right_aligned(),
            ));
            if wide {
                cells.push(Cell::from(
                    Line::from(format!("{:.0} %", u.share * 100.0)).right_aligned(),
                ));
            }
            cells.push(Cell::from(Line::from(u.extra.clone()).right_aligned()));
            Row::new(cells)
        })
        .collect();
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(block)
        .render(area, buf);
}

pub fn analytic(app: &App, snap: &Snapshot, header_row: bool, area: Rect, buf: &mut Buffer) {
    let title = if header_row {
        "closed form vs simulated"
    } else {
        "quantity · closed form · simulated"
    };
    let block = panel_block(app, Panel::Analytic, title);
    let head_style = app.theme.dim().add_modifier(Modifier::BOLD);
    let cells: Vec<[String; 4]> = snap
        .analytic
        .iter()
        .map(|r| {
            [
                r.label.clone(),
                r.closed_form.map_or_else(|| "—".to_string(), fmt_num),
                fmt_num(r.simulated),
                r.unit.clone(),
            ]
        })
        .collect();
    // Number and unit columns as wide as their content; the label gets the rest.
    let heads = ["quantity", "closed form", "simulated", "unit"];
    let width = |i: usize| {
        let content = cells
            .iter()
            .map(|c| c[i].chars().count())
            .max()
            .unwrap_or(0);
        let head = if header_row {
            heads[i].chars().count()
        } else {
            0
        };
        content.max(head) as u16
    };
    let widths = [
        Constraint::Min(8),
        Constraint::Length(width(1)),
        Constraint::Length(width(2)),
        Constraint::Length(width(3).min(8)),
    ];
    let rows: Vec<Row> = cells
        .into_iter()
        .map(|[label, cf, sim, unit]| {
            Row::new(vec![
                Cell::from(label),
                Cell::from(Line::from(cf).right_aligned()),
                Cell::from(Line::from(sim).right_aligned()),
                Cell::from(unit),
            ])
        })
        .collect();
    let table = Table::new(rows, widths).column_spacing(1).block(block);
    if header_row {
        let header = Row::new(vec![
            Cell::from(heads[0]),
            Cell::from(Line::from(heads[1]).right_aligned()),
            Cell::from(Line::from(heads[2]).right_aligned()),
            Cell::from(heads[3]),
        ])
        .style(head_style);
        table.header(header).render(area, buf);
    } else {
        table.render(area, buf);
    }
}

/// The world's own panel: its status line (e.g. the scoreboard) and the
/// roads of the traffic world. `roomy` gives each road two lines.
pub fn world(app: &App, snap: &Snapshot, roomy: bool, area: Rect, buf: &mut Buffer) {
    let title = if snap.roads.is_empty() {
        "world"
    } else {
        "roads"
    };
    let block = panel_block(app, Panel::World, title);
    let inner = block.inner(area);
    block.render(area, buf);
    let t = app.theme;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(st) = &snap.status_line {
        lines.push(Line::from(Span::styled(
            st.clone(),
            t.text().add_modifier(Modifier::BOLD),
        )));
    }
    let name_w = snap
        .roads
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(14);
    let bar_w: usize = if roomy { 24 } else { 10 };
    for r in &snap.roads {
        let ratio = if r.capacity_per_h > 0.0 {
            r.flow_per_h / r.capacity_per_h
        } else {
            0.0
        };
        let (filled, rest) = bar(ratio, bar_w);
        let alarm = r.closed || ratio >= 0.9;
        let mut first = vec![
            Span::raw(format!("{:<name_w$} ", fit_text(&r.name, name_w))),
            Span::styled(filled, t.bar(alarm)),
            Span::styled(rest, t.dim()),
            Span::raw(format!(
                " {}/h of {}/h ({:.0} %)",
                fmt_num(r.flow_per_h),
                fmt_num(r.capacity_per_h),
                ratio * 100.0
            )),
        ];
        let detail = format!(
            "queue {} · travel {:.1} min (free {:.1}) · share {:.0} %",
            fmt_num(r.queue),
            r.travel_time_min,
            r.free_flow_min,
            r.share * 100.0
        );
        if r.closed {
            first.push(Span::styled("  CLOSED", t.alarm()));
        }
        if roomy {
            lines.push(Line::from(first));
            lines.push(Line::from(format!("{:<name_w$}   {detail}", "")));
        } else {
            // One line: the most telling figures first, clipped at the edge.
            first.push(Span::raw(format!(
                " · {:.1} min (free {:.1}) · queue {} · share {:.0} %",
                r.travel_time_min,
                r.free_flow_min,
                fmt_num(r.queue),
                r.share * 100.0
            )));
            lines.push(Line::from(first));
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

pub fn log(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let title = if app.log_scroll > 0 {
        format!("event log — {} lines back (↓ for newer)", app.log_scroll)
    } else {
        "event log".to_string()
    };
    let block = panel_block(app, Panel::Log, &title);
    let inner = block.inner(area);
    block.render(area, buf);
    let t = app.theme;
    let lines: Vec<Line> = s
        .log_tail(usize::from(inner.height), app.log_scroll)
        .into_iter()
        .map(|(e, note)| {
            let text_style = if e.text.contains("refused") {
                t.alarm()
            } else if e.text.starts_with('»') {
                t.caption()
            } else {
                t.text()
            };
            Line::from(vec![
                Span::styled(format!("{} ", app.clock(e.at)), t.dim()),
                Span::styled(if note { "· " } else { "  " }, t.dim()),
                Span::styled(e.text.clone(), text_style),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

/// Key hints, from the key table: as many as fit, help and quit always.
pub fn footer(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let hints = footer_hints();
    let (last, first): (Vec<_>, Vec<_>) = hints
        .into_iter()
        .partition(|(_, word)| *word == "help" || *word == "quit");
    let width = |h: &(String, &str)| h.0.chars().count() + h.1.chars().count() + 3;
    let mut room =
        usize::from(area.width).saturating_sub(1 + last.iter().map(width).sum::<usize>());
    let mut shown: Vec<(String, &str)> = Vec::new();
    for h in first {
        let w = width(&h);
        if w > room {
            break;
        }
        room -= w;
        shown.push(h);
    }
    shown.extend(last);
    let mut spans = vec![Span::raw(" ")];
    for (keys, word) in shown {
        spans.push(Span::styled(keys, t.key()));
        spans.push(Span::styled(format!(" {word}  "), t.dim()));
    }
    Paragraph::new(Line::from(spans))
        .style(Style::new())
        .render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::fit_text;

    #[test]
    fn text_is_cut_with_an_ellipsis() {
        assert_eq!(fit_text("abcdef", 4), "abc…");
        assert_eq!(fit_text("abc", 4), "abc");
        assert_eq!(fit_text("abc", 0), "");
    }
}
