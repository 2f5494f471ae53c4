//! One render function per panel of the dashboard.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline, Widget, Wrap};

use super::format::{bar, count, count_or_num, fmt_duration_s, fmt_num};
use super::panel_block;
use crate::sim::world::UnitState;
use crate::sim::{SimTime, Snapshot};
use crate::tui::app::{App, LogFilter, Panel, Session, SortBy, fmt_speed};
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

/// Cuts a line of styled spans to `width` cells, ending it with `…` when cut.
fn fit_line(line: Line<'_>, width: usize) -> Line<'_> {
    if line.width() <= width {
        return line;
    }
    let mut left = width.saturating_sub(1);
    let mut spans = Vec::new();
    for span in line.spans {
        if left == 0 {
            break;
        }
        let n = span.content.chars().count();
        if n <= left {
            left -= n;
            spans.push(span);
        } else {
            let cut: String = span.content.chars().take(left).collect();
            spans.push(Span::styled(cut, span.style));
            left = 0;
        }
    }
    spans.push(Span::raw("…"));
    Line::from(spans)
}

/// The header: the world's title on the left keeps its words; on the right
/// the clock, speed and state always, then as many of BEHIND, the policy,
/// the end of the story and the seed as fit beside the whole title.
pub fn header(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let meta = &s.launch.meta;
    let now = s.sim.now();
    let state = if app.paused {
        "⏸ PAUSED"
    } else {
        "▶ running"
    };
    let essential = format!("{}  ×{}  {state}", app.clock(now), fmt_speed(app.speed));
    // (text, goes before the essentials?)
    let mut optional: Vec<(String, bool)> = Vec::new();
    if app.behind && !app.paused {
        let got = app.achieved_speed;
        let got = if got >= 10.0 {
            got.round()
        } else {
            (got * 10.0).round() / 10.0
        };
        optional.push((format!("BEHIND: ×{} achieved", fmt_speed(got)), true));
    }
    optional.push((format!("policy {}", s.snapshot.policy), false));
    if now >= SimTime::from_secs_f64(meta.duration_s) {
        // The story's planned span is over; the world keeps running.
        optional.push((
            format!(
                "story ended {}",
                app.clock(SimTime::from_secs_f64(meta.duration_s))
            ),
            true,
        ));
    }
    optional.push((format!("seed {}", meta.seed), false));
    let width = usize::from(area.width);
    // The world's title, or when it does not fit beside the clock, speed
    // and state, its words before a dash, then the scenario's name: the
    // world is always named, never cut.
    // (Sized for the widest speed and state, so the name chosen does not
    // change as they do.)
    let essential_w = app.clock(now).chars().count() + "  ×10 000  ▶ running".chars().count() + 3;
    let short = meta.title.split(" — ").next().unwrap_or(&meta.title);
    let title = [meta.title.as_str(), short, meta.name.as_str()]
        .iter()
        .map(|t| format!(" chaoswala · {t}"))
        .find(|t| t.chars().count() + essential_w <= width)
        .unwrap_or_else(|| format!(" {}", meta.name));
    let title_w = title.chars().count();
    let mut before: Vec<&str> = Vec::new();
    let mut after: Vec<&str> = Vec::new();
    let mut right_w = essential.chars().count() + 1;
    for (text, first) in &optional {
        let w = text.chars().count() + 2;
        if title_w + 2 + right_w + w <= width {
            right_w += w;
            if *first {
                before.push(text);
            } else {
                after.push(text);
            }
        }
    }
    let mut right = String::new();
    for b in &before {
        right.push_str(b);
        right.push_str("  ");
    }
    right.push_str(&essential);
    for a in &after {
        right.push_str("  ");
        right.push_str(a);
    }
    right.push(' ');
    let right_w = right.chars().count();
    let left = fit_text(&title, width.saturating_sub(right_w + 2));
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
        let toggles = &s.snapshot.toggles;
        let used: usize = spans.iter().map(Span::width).sum();
        let all_w: usize = toggles
            .iter()
            .map(|(name, on)| name.chars().count() + if *on { 3 } else { 4 } + 2)
            .sum::<usize>()
            + 13;
        if toggles.is_empty() {
            // Nothing to add.
        } else if used + all_w <= usize::from(area.width) {
            spans.push(Span::styled("   switches: ", t.dim()));
            for (i, (name, on)) in toggles.iter().enumerate() {
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
        } else {
            // Too many to spell out: the ones that are on, and how many are off.
            let on: Vec<&str> = toggles
                .iter()
                .filter(|(_, on)| *on)
                .map(|(n, _)| n.as_str())
                .collect();
            let off = toggles.len() - on.len();
            if on.is_empty() {
                spans.push(Span::styled(
                    format!("   switches: all {off} off (t to see them)"),
                    t.dim(),
                ));
            } else {
                spans.push(Span::styled("   switches ON: ", t.dim()));
                spans.push(Span::styled(
                    on.join(", "),
                    t.ok().add_modifier(Modifier::BOLD),
                ));
                if off > 0 {
                    spans.push(Span::styled(format!(" · {off} off"), t.dim()));
                }
            }
        }
        Line::from(spans)
    };
    let line = fit_line(line, usize::from(area.width));
    Paragraph::new(line).render(area, buf);
}

/// The caption's rows at `width`: wrapped, never cut (the layout gives
/// it the rows it needs, up to [`CAPTION_ROWS`]).
#[must_use]
pub fn caption_rows(s: &Session, width: u16) -> Vec<String> {
    let end = SimTime::from_secs_f64(s.launch.meta.duration_s);
    if s.sim.now() >= end {
        // The last caption belongs to the story, which is over.
        return vec![
            " ❝ The story is over; the world runs on. r replays it, w picks another world."
                .to_string(),
        ];
    }
    match s.sim.caption() {
        Some((_, c)) => {
            let w = usize::from(width).saturating_sub(4);
            let mut rows = wrap_words(c, w, w);
            for (i, r) in rows.iter_mut().enumerate() {
                *r = if i == 0 {
                    format!(" ❝ {r}")
                } else {
                    format!("   {r}")
                };
            }
            rows
        }
        None => Vec::new(),
    }
}

/// Most rows the caption takes.
pub const CAPTION_ROWS: usize = 3;

pub fn caption(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let lines: Vec<Line> = caption_rows(s, area.width)
        .into_iter()
        .take(usize::from(area.height))
        .map(|r| Line::from(Span::styled(r, app.theme.caption())))
        .collect();
    Paragraph::new(lines).render(area, buf);
}

/// How wide the gauge rows would like to be: label, a bar of ten cells and
/// the longest text (with its warning sign), plus the borders.
#[must_use]
pub fn gauges_wanted_width(snap: &Snapshot) -> u16 {
    let label_w = snap
        .gauges
        .iter()
        .map(|g| g.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(GAUGE_LABEL_MAX);
    let text_w = snap.gauges.iter().map(gauge_text_width).max().unwrap_or(0);
    u16::try_from(label_w + 1 + 10 + 1 + text_w + 2).unwrap_or(u16::MAX)
}

const GAUGE_LABEL_MAX: usize = 16;

/// A gauge's text with room for the warning sign whether or not it shows,
/// so that an alarm coming on does not move the panel's columns.
fn gauge_text_width(g: &crate::sim::world::GaugeView) -> usize {
    g.text.chars().count() + 2
}

/// One row a gauge: label | bar | text. The bar always keeps a few cells;
/// a text too long for the rest is cut at its end with `…` (worlds put the
/// state first, so the state words stay), and the warning sign stays.
pub fn gauges(app: &App, snap: &Snapshot, area: Rect, buf: &mut Buffer) {
    let rows = usize::from(area.height.saturating_sub(2));
    let n = snap.gauges.len();
    let title = if n > rows {
        format!("now · {rows} of {n}")
    } else {
        "now".to_string()
    };
    let block = panel_block(app, Panel::Gauges, &title);
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let mut label_w = snap
        .gauges
        .iter()
        .map(|g| g.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(GAUGE_LABEL_MAX);
    // Labels are cut (down to 8 cells) only when the text would keep
    // fewer than 12.
    let min_bar = (width / 7).clamp(4, 10);
    let text_w_wanted = snap.gauges.iter().map(gauge_text_width).max().unwrap_or(0);
    let text_floor = text_w_wanted.min(12);
    if label_w + 2 + min_bar + text_floor > width {
        label_w = width
            .saturating_sub(2 + min_bar + text_floor)
            .max(8)
            .min(label_w);
    }
    let text_w = text_w_wanted.min(width.saturating_sub(label_w + 2 + min_bar));
    let bar_w = width.saturating_sub(label_w + text_w + 2);
    let t = app.theme;
    let lines: Vec<Line> = snap
        .gauges
        .iter()
        .map(|g| {
            let (filled, rest) = bar(g.ratio, bar_w);
            let text = if g.alarm {
                format!("{} ⚠", fit_text(&g.text, text_w.saturating_sub(2)))
            } else {
                fit_text(&g.text, text_w)
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

/// The simulated span the trends show: the worlds sample their series in
/// simulated time, beside the chart's points, so the chart's spacing is the
/// sampling interval (whatever the speed, the same span is shown).
#[must_use]
pub fn trends_window_s(snap: &Snapshot) -> Option<f64> {
    let n = snap.sparklines.first().map_or(0, |s| s.values.len());
    let p = &snap.chart.points;
    if n == 0 || p.len() < 2 {
        return None;
    }
    let dt = (p[p.len() - 1].0 - p[0].0) / (p.len() - 1) as f64;
    (dt.is_finite() && dt > 0.0).then_some(dt * n as f64)
}

pub fn sparklines(app: &App, snap: &Snapshot, area: Rect, buf: &mut Buffer) {
    let title = match trends_window_s(snap) {
        Some(s) => format!("trends, last {} simulated", fmt_duration_s(s)),
        None => "trends".to_string(),
    };
    let block = panel_block(app, Panel::Sparklines, &title);
    let inner = block.inner(area);
    block.render(area, buf);
    let label_w = snap
        .sparklines
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0)
        // The labels keep their words while 8 cells of trend remain.
        .min(usize::from(inner.width).saturating_sub(12 + 2 + 8));
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
            format!("{} {}", count_or_num(latest), series.unit)
        );
        let text_w = (text.chars().count() as u16).min(inner.width);
        let row = Rect::new(inner.x, y, inner.width, 1);
        Paragraph::new(Span::raw(text)).render(row, buf);
        let spark_area = Rect::new(inner.x + text_w, y, inner.width - text_w, 1);
        let n = usize::from(spark_area.width).max(1);
        // Every sample the title counts is drawn: a cell is the mean of
        // its share of the window (the newest cell may hold fewer).
        let all = &series.values;
        let per = all.len().div_ceil(n).max(1);
        let skip = all.len() % per;
        let mut cells: Vec<f64> = Vec::with_capacity(n);
        if skip > 0 {
            cells.push(all[..skip].iter().sum::<f64>() / skip as f64);
        }
        cells.extend(
            all[skip..]
                .chunks(per)
                .map(|c| c.iter().sum::<f64>() / c.len() as f64),
        );
        let values = &cells[..];
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
    let now = format!("now {}", count_or_num(latest));
    // The longest title that fits: the label and the reference's name go
    // before the numbers do.
    // (A narrow chart keeps the metric's name, shortened to its words
    // before a colon, over the numbers.)
    let short = label.split(':').next().unwrap_or(label);
    let mut candidates = Vec::new();
    if let Some((name, r)) = &c.reference {
        let r = fmt_num(*r);
        candidates.push(format!("{label}: {now} · ref {name} {r}"));
        candidates.push(format!("{label}: {now} · ref {r}"));
        candidates.push(format!("{short}: {now} · ref {r}"));
    }
    candidates.push(format!("{label}: {now}"));
    candidates.push(format!("{short}: {now}"));
    candidates.push(label.to_string());
    candidates.push(short.to_string());
    candidates.push(now.clone());
    // Room for the borders, the focus marker and spaces.
    let room = usize::from(area.width).saturating_sub(8);
    let title = candidates
        .iter()
        .find(|t| t.chars().count() <= room)
        .cloned()
        .unwrap_or_else(|| fit_text(&now, room));
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
    // The y-axis says what it counts, at its top (over the headroom the
    // bounds leave above the data).
    let mut y_axis = Axis::default().bounds([0.0, y_max]).style(t.dim()).labels([
        Span::raw("0"),
        Span::raw(fmt_num(y_max / 2.0)),
        Span::raw(fmt_num(y_max)),
    ]);
    if !c.unit.is_empty() {
        y_axis = y_axis.title(Span::styled(format!("{} ", c.unit), t.dim()));
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
        .y_axis(y_axis)
        .render(area, buf);
}

fn state_style(app: &App, st: UnitState) -> Style {
    let t = app.theme;
    match st {
        UnitState::Up => t.ok(),
        UnitState::Degraded => t.warn(),
        UnitState::Down => t.alarm(),
    }
}

fn state_marker(st: UnitState) -> &'static str {
    match st {
        UnitState::Up => "●",
        UnitState::Degraded => "◐",
        UnitState::Down => "✖",
    }
}

/// A column of the units table: its heading, its cells and how it gives
/// way when the panel is narrow.
struct Column {
    head: String,
    cells: Vec<String>,
    right: bool,
    /// Widest it needs (content or heading, capped).
    want: usize,
    /// Narrowest it may be cut to (with `…`) before it is dropped.
    min: usize,
}

impl Column {
    fn new(head: &str, cells: Vec<String>, right: bool, cap: usize, min: usize) -> Self {
        let want = cells
            .iter()
            .map(|c| c.chars().count())
            .chain(std::iter::once(head.chars().count()))
            .max()
            .unwrap_or(0)
            .min(cap);
        Column {
            head: head.to_string(),
            cells,
            right,
            want,
            min: min.min(want),
        }
    }

    /// As wide as `w` (or its cap) whatever the cells hold now: the widest
    /// value the column can take, so a changed state does not move it.
    fn at_least(mut self, w: usize, cap: usize) -> Self {
        self.want = self.want.max(w.min(cap));
        self
    }
}

/// Widths for `cols` in `width` cells with one space between columns:
/// optional columns (`drop_order`, first dropped first) go before the
/// essential ones are cut; `shrink_order` says who is cut to its minimum
/// first. Returns the width of every column, 0 for a dropped one; the
/// first column takes what is left over.
fn fit_columns(cols: &[Column], width: usize, steps: &[Step]) -> Vec<usize> {
    let mut w: Vec<usize> = cols.iter().map(|c| c.want).collect();
    let total = |w: &[usize]| {
        let shown = w.iter().filter(|x| **x > 0).count();
        w.iter().sum::<usize>() + shown.saturating_sub(1)
    };
    for step in steps {
        let over = total(&w).saturating_sub(width);
        if over == 0 {
            break;
        }
        match *step {
            Step::Drop(i) => w[i] = 0,
            Step::Shrink(i) => {
                if w[i] > 0 {
                    w[i] = w[i].saturating_sub(over).max(cols[i].min);
                }
            }
        }
    }
    // Last resort: cut the first column, then the others, to one cell.
    for i in 0..w.len() {
        let over = total(&w).saturating_sub(width);
        if over == 0 {
            break;
        }
        if w[i] > 0 {
            w[i] = w[i].saturating_sub(over).max(1);
        }
    }
    // Columns cut early get back what later drops freed, then the first
    // column takes a little more (the rest stays blank on the right).
    let mut spare = width.saturating_sub(total(&w));
    for (i, c) in cols.iter().enumerate() {
        if w[i] > 0 && w[i] < c.want {
            let more = (c.want - w[i]).min(spare);
            w[i] += more;
            spare -= more;
        }
    }
    if let Some(first) = w.first_mut() {
        *first += spare.min(4);
    }
    w
}

#[derive(Clone, Copy)]
enum Step {
    Drop(usize),
    Shrink(usize),
}

/// The servers (engines, routes, roads) of the world. Columns are as wide
/// as their content; on a narrow panel share, then in-flight go first,
/// then the extra column is cut and then dropped; only then is the name
/// cut, the latency dropped and last of all the state cut — always with
/// `…` at the end, never from the left.
pub fn units(app: &App, snap: &Snapshot, area: Rect, buf: &mut Buffer) {
    // The title counts the units not up, so a clipped table hides no outage.
    let count = |st: UnitState| snap.units.iter().filter(|u| u.state == st).count();
    let mut parts = vec![snap.units.len().to_string()];
    for st in [UnitState::Down, UnitState::Degraded] {
        let n = count(st);
        if n > 0 {
            parts.push(format!("{n} {}", st.label()));
        }
    }
    let what = if snap.units_title.is_empty() {
        "servers"
    } else {
        &snap.units_title
    };
    // Rows: in the chosen order, from the scrolled-to row.
    let rows_room = usize::from(area.height.saturating_sub(3));
    let n = snap.units.len();
    let first = app.table_scroll.min(n.saturating_sub(rows_room));
    let order = sorted_rows(snap, app.table_sort);
    let mut title = format!("{what} ({})", parts.join(", "));
    if n > rows_room {
        let last = (first + rows_room).min(n);
        let _ = write!(title, " · {}–{last} of {n}", first + 1);
    }
    if app.table_sort != SortBy::None {
        let _ = write!(title, " · by {}", app.table_sort.label());
    }
    let block = panel_block(app, Panel::Units, &title);
    let inner = block.inner(area);
    block.render(area, buf);
    let cell = &app.page_rows;
    cell.set((rows_room, cell.get().1));
    let extra = if snap.units_extra_header.is_empty() {
        "extra"
    } else {
        &snap.units_extra_header
    };
    let u = &snap.units;
    let mut cols = [
        Column::new(
            "name",
            u.iter().map(|u| u.name.clone()).collect(),
            false,
            18,
            6,
        ),
        Column::new(
            "state",
            u.iter()
                .map(|u| format!("{} {}", state_marker(u.state), u.state.label()))
                .collect(),
            false,
            12,
            6,
        )
        .at_least(STATE_W, 12),
        Column::new(
            "in flight",
            u.iter().map(|u| count_or_num(u.in_flight)).collect(),
            true,
            10,
            4,
        ),
        Column::new(
            "latency",
            u.iter().map(|u| fmt_duration_s(u.ewma_latency_s)).collect(),
            true,
            9,
            7,
        )
        // ("850 ms", "35.4 s", "12.5 min": at most eight cells.)
        .at_least(8, 9),
        Column::new(
            "share",
            u.iter()
                .map(|u| format!("{:.0} %", u.share * 100.0))
                .collect(),
            true,
            5,
            5,
        ),
        Column::new(
            extra,
            u.iter().map(|u| u.extra.clone()).collect(),
            true,
            28,
            9,
        ),
    ];
    // A width once wanted is kept for the session, so that a changed state
    // or a shorter text does not move the columns or bring one back.
    let mut seen = app.table_widths.get();
    for (c, s) in cols.iter_mut().zip(seen.iter_mut()) {
        c.want = c.want.max(usize::from(*s));
        *s = u16::try_from(c.want).unwrap_or(u16::MAX);
    }
    app.table_widths.set(seen);
    let widths = fit_columns(
        &cols,
        usize::from(inner.width),
        &[
            Step::Drop(4),
            Step::Drop(2),
            Step::Drop(3),
            Step::Shrink(5),
            Step::Drop(5),
            Step::Shrink(0),
            Step::Shrink(1),
        ],
    );
    let t = app.theme;
    let head_style = t.dim().add_modifier(Modifier::BOLD);
    let shown: Vec<usize> = (0..cols.len()).filter(|&i| widths[i] > 0).collect();
    let mut lines = Vec::with_capacity(u.len() + 1);
    let cell = |text: &str, i: usize| {
        let w = widths[i];
        let text = fit_text(text, w);
        if cols[i].right {
            format!("{text:>w$}")
        } else {
            format!("{text:<w$}")
        }
    };
    let mut head = Vec::new();
    for (k, &i) in shown.iter().enumerate() {
        if k > 0 {
            head.push(Span::raw(" "));
        }
        head.push(Span::styled(cell(&cols[i].head, i), head_style));
    }
    lines.push(Line::from(head));
    for &row in order.iter().skip(first).take(rows_room) {
        let unit = &u[row];
        let mut spans = Vec::new();
        for (k, &i) in shown.iter().enumerate() {
            if k > 0 {
                spans.push(Span::raw(" "));
            }
            let style = if i == 1 {
                state_style(app, unit.state)
            } else {
                t.text()
            };
            spans.push(Span::styled(cell(&cols[i].cells[row], i), style));
        }
        lines.push(Line::from(spans));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// The state column's widest cell: the marker and the longest state word.
const STATE_W: usize = 2 + 8;

/// The table's row order for `by` (ties keep the world's order).
fn sorted_rows(snap: &Snapshot, by: SortBy) -> Vec<usize> {
    let u = &snap.units;
    let mut order: Vec<usize> = (0..u.len()).collect();
    let rank = |s: UnitState| match s {
        UnitState::Down => 0,
        UnitState::Degraded => 1,
        UnitState::Up => 2,
    };
    let desc = |a: f64, b: f64| b.partial_cmp(&a).unwrap_or(std::cmp::Ordering::Equal);
    match by {
        SortBy::None => {}
        SortBy::Name => order.sort_by(|&a, &b| u[a].name.cmp(&u[b].name)),
        SortBy::State => order.sort_by_key(|&i| rank(u[i].state)),
        SortBy::InFlight => order.sort_by(|&a, &b| desc(u[a].in_flight, u[b].in_flight)),
        SortBy::Latency => {
            order.sort_by(|&a, &b| desc(u[a].ewma_latency_s, u[b].ewma_latency_s));
        }
        SortBy::Share => order.sort_by(|&a, &b| desc(u[a].share, u[b].share)),
    }
    order
}

/// Closed forms beside simulated values, with a heading row always (short
/// headings on a narrow panel); labels are cut with `…`, never the numbers.
pub fn analytic(app: &App, snap: &Snapshot, area: Rect, buf: &mut Buffer) {
    let block = panel_block(app, Panel::Analytic, "closed form vs simulated");
    let inner = block.inner(area);
    block.render(area, buf);
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
    let content_w = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let label_want = content_w(0).max(8);
    let width = usize::from(inner.width);
    let unit_w = content_w(3).min(8);
    // Long headings when the labels keep 16 cells (or all they need).
    let long = ["quantity", "closed form", "simulated", "unit"];
    let short = ["quantity", "formula", "sim", ""];
    let numbers = |heads: &[&str; 4]| {
        let cf = content_w(1).max(heads[1].chars().count());
        let sim = content_w(2).max(heads[2].chars().count());
        (cf, sim)
    };
    let (cf_long, sim_long) = numbers(&long);
    // (The unit heading counts in: `unit_w` is widened to it below.)
    let room_long = width.saturating_sub(cf_long + sim_long + unit_w.max(4) + 3);
    let (heads, cf_w, sim_w) = if room_long >= label_want.min(16) {
        (long, cf_long, sim_long)
    } else {
        let (cf, sim) = numbers(&short);
        (short, cf, sim)
    };
    let unit_w = if unit_w > 0 {
        unit_w.max(heads[3].chars().count())
    } else {
        0
    };
    let gap = usize::from(unit_w > 0);
    // The labels take what they need (a wide panel leaves blank on the
    // right rather than push the numbers away from their names).
    let label_w = width
        .saturating_sub(cf_w + sim_w + unit_w + 2 + gap)
        .min(label_want + 2);
    let t = app.theme;
    let head_style = t.dim().add_modifier(Modifier::BOLD);
    let row = |c: [&str; 4], style: Style| {
        let mut text = format!(
            "{:<label_w$} {:>cf_w$} {:>sim_w$}",
            fit_text(c[0], label_w),
            c[1],
            c[2]
        );
        if unit_w > 0 {
            text.push(' ');
            text.push_str(&fit_text(c[3], unit_w));
        }
        Line::from(Span::styled(text, style))
    };
    let mut lines = Vec::with_capacity(cells.len() + 1);
    if !cells.is_empty() {
        lines.push(row(heads, head_style));
    }
    for c in &cells {
        // A label longer than its column wraps under itself, never cut.
        let parts = wrap_words(&c[0], label_w, label_w);
        lines.push(row([&parts[0], &c[1], &c[2], &c[3]], t.text()));
        for p in &parts[1..] {
            lines.push(Line::from(Span::styled(format!("  {p}"), t.text())));
        }
    }
    // Which model the closed forms come from, or why there is none
    // (wrapped, never cut).
    if !snap.closed_form_model.is_empty() {
        let text = if snap.closed_form_model.starts_with("no closed form") {
            snap.closed_form_model.clone()
        } else {
            format!("model: {}", snap.closed_form_model)
        };
        lines.push(Line::from(Span::styled(text, t.dim())));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
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
    let width = usize::from(inner.width);
    let bar_w: usize = if roomy {
        24
    } else if width < 60 {
        6
    } else {
        10
    };
    if let Some(first) = lines.first_mut() {
        // The status line is cut with `…`, never mid-cell at the border.
        let text: String = first.spans.iter().map(|s| s.content.as_ref()).collect();
        *first = Line::from(Span::styled(
            fit_text(&text, width),
            t.text().add_modifier(Modifier::BOLD),
        ));
    }
    for r in &snap.roads {
        let ratio = if r.capacity_per_h > 0.0 {
            r.flow_per_h / r.capacity_per_h
        } else {
            0.0
        };
        let (filled, rest) = bar(ratio, bar_w);
        let alarm = r.closed || ratio >= 0.9;
        let head = format!("{:<name_w$} ", fit_text(&r.name, name_w));
        let after_bar = width.saturating_sub(name_w + 1 + bar_w);
        let mut first = vec![
            Span::raw(head),
            Span::styled(filled, t.bar(alarm)),
            Span::styled(rest, t.dim()),
        ];
        if roomy {
            first.push(Span::raw(format!(
                " {}/h of {}/h ({:.0} %)",
                fmt_num(r.flow_per_h),
                fmt_num(r.capacity_per_h),
                ratio * 100.0
            )));
            if r.closed {
                first.push(Span::styled("  CLOSED", t.alarm()));
            }
            lines.push(Line::from(first));
            lines.push(Line::from(format!(
                "{:<name_w$}   queue {} · travel {:.1} min (free {:.1}) · {:.0} % of cars so far",
                "",
                count(r.queue),
                r.travel_time_min,
                r.free_flow_min,
                r.share * 100.0
            )));
        } else {
            // One line: the state first, then the most telling figures;
            // cut at the end with `…` when the panel is narrow.
            let closed = if r.closed { " CLOSED ·" } else { "" };
            let detail = if width >= 90 {
                format!(
                    "{closed} {}/h of {}/h ({:.0} %) · {:.1} min (free {:.1}) · queue {} · {:.0} % of cars so far",
                    fmt_num(r.flow_per_h),
                    fmt_num(r.capacity_per_h),
                    ratio * 100.0,
                    r.travel_time_min,
                    r.free_flow_min,
                    count(r.queue),
                    r.share * 100.0
                )
            } else {
                format!(
                    "{closed} {:.0} min · {}/{}/h · queue {}",
                    r.travel_time_min,
                    fmt_num(r.flow_per_h),
                    fmt_num(r.capacity_per_h),
                    count(r.queue),
                )
            };
            let detail = fit_text(&detail, after_bar);
            if r.closed {
                first.push(Span::styled(detail, t.alarm()));
            } else {
                first.push(Span::raw(detail));
            }
            lines.push(Line::from(first));
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

/// Splits `text` into rows of at most `first` cells, then `rest` cells,
/// at spaces when it can (a word longer than a row is split).
pub(crate) fn wrap_words(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut row_w = 0usize;
    let limit = |rows: &Vec<String>| if rows.is_empty() { first } else { rest }.max(1);
    for word in text.split(' ') {
        let w = word.chars().count();
        let sep = usize::from(row_w > 0);
        if row_w + sep + w <= limit(&rows) {
            if sep == 1 {
                row.push(' ');
            }
            row.push_str(word);
            row_w += sep + w;
            continue;
        }
        if row_w > 0 {
            rows.push(std::mem::take(&mut row));
        }
        let mut chars: Vec<char> = word.chars().collect();
        while chars.len() > limit(&rows) {
            let tail = chars.split_off(limit(&rows));
            rows.push(chars.into_iter().collect());
            chars = tail;
        }
        row = chars.iter().collect();
        row_w = chars.len();
    }
    if row_w > 0 || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// The event log: the newest lines at the bottom, long lines wrapped under
/// their text, repeated lines folded into one with their count.
pub fn log(app: &App, s: &Session, area: Rect, buf: &mut Buffer) {
    let mut title = "event log".to_string();
    if app.log_filter != LogFilter::All {
        let _ = write!(title, " · showing {} (/ for more)", app.log_filter.label());
    }
    if app.log_scroll > 0 {
        let _ = write!(title, " · {} back (↓ newer, End newest)", app.log_scroll);
    }
    let block = panel_block(app, Panel::Log, &title);
    let inner = block.inner(area);
    block.render(area, buf);
    let t = app.theme;
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    let mut rows: Vec<Line> = Vec::with_capacity(height + 4);
    for line in s.log_folded(app.log_filter).skip(app.log_scroll) {
        if rows.len() >= height {
            break;
        }
        let e = line.entry;
        let text_style = if e.text.contains("refused") {
            t.alarm()
        } else if e.text.starts_with('»') {
            t.caption()
        } else {
            t.text()
        };
        let clock = app.clock(e.at);
        let head_w = clock.chars().count() + 3;
        let text = if line.count > 1 {
            format!(
                "{}  (×{} since {})",
                e.text,
                line.count,
                app.clock(line.first_at)
            )
        } else {
            e.text.clone()
        };
        let parts = wrap_words(
            &text,
            width.saturating_sub(head_w),
            width.saturating_sub(head_w),
        );
        let mut lines: Vec<Line> = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let head = if i == 0 {
                    vec![
                        Span::styled(format!("{clock} "), t.dim()),
                        Span::styled(if line.note { "· " } else { "  " }, t.dim()),
                    ]
                } else {
                    vec![Span::raw(" ".repeat(head_w))]
                };
                let mut spans = head;
                spans.push(Span::styled(part, text_style));
                Line::from(spans)
            })
            .collect();
        lines.reverse();
        rows.extend(lines);
    }
    rows.truncate(height);
    rows.reverse();
    let cell = &app.page_rows;
    cell.set((cell.get().0, height));
    Paragraph::new(rows).render(inner, buf);
}

/// Key hints, from the key table: the keys that apply now (the world, the
/// focused panel), as many as fit, help and quit always.
pub fn footer(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let hints = footer_hints(&app.key_context());
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
            continue;
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
    use super::{Column, Step, fit_columns, fit_text};

    fn cols() -> Vec<Column> {
        let c = |head: &str, cell: &str, cap, min| {
            Column::new(head, vec![cell.to_string()], false, cap, min)
        };
        vec![
            c("name", "kitchen-cluster-1", 18, 6),
            c("state", "● degraded", 12, 6),
            c("in flight", "12", 10, 4),
            c("share", "50 %", 5, 5),
            c("queue", "0 queued · 3/10 busy", 28, 9),
        ]
    }

    const STEPS: [Step; 5] = [
        Step::Drop(3),
        Step::Drop(2),
        Step::Shrink(4),
        Step::Drop(4),
        Step::Shrink(0),
    ];

    #[test]
    fn optional_columns_go_before_the_name_is_cut() {
        // Everything fits: 17 + 10 + 9 + 5 + 20 + 4 spaces = 65.
        assert_eq!(fit_columns(&cols(), 65, &STEPS), [17, 10, 9, 5, 20]);
        // Share goes first, then in-flight; the name keeps its letters.
        assert_eq!(fit_columns(&cols(), 59, &STEPS), [17, 10, 9, 0, 20]);
        // (A spare cell goes to the name.)
        assert_eq!(fit_columns(&cols(), 50, &STEPS), [18, 10, 0, 0, 20]);
        // Then the extra column is cut, then dropped, then the name is cut.
        assert_eq!(fit_columns(&cols(), 45, &STEPS), [17, 10, 0, 0, 16]);
        assert_eq!(fit_columns(&cols(), 30, &STEPS), [19, 10, 0, 0, 0]);
        assert_eq!(fit_columns(&cols(), 20, &STEPS), [9, 10, 0, 0, 0]);
    }

    #[test]
    fn text_is_cut_with_an_ellipsis() {
        assert_eq!(fit_text("abcdef", 4), "abc…");
        assert_eq!(fit_text("abc", 4), "abc");
        assert_eq!(fit_text("abc", 0), "");
    }
}
