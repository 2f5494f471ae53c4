//! Compare on screen: the two copies of the world side by side, each with
//! its gauges and trends (drawn by the dashboard's own panels), and a
//! strip with the differences that matter for the world, `left − right`,
//! each with the side it favours in words.
//!
//! ```text
//! 120×40 and more                        80×24
//! header · status · caption              header · status · caption
//! ┌ left · P ─────┐┌ right · Q ────┐     ┌ left · P ┐┌ right · Q ┐
//! │ gauges        ││ gauges        │     │ gauges   ││ gauges    │
//! ├ trends ───────┤├ trends ───────┤     └──────────┘└───────────┘
//! │ sparklines    ││ sparklines    │     ┌ left − right ──────────┐
//! └───────────────┘└───────────────┘     │ difference rows        │
//! ┌ left − right ──────────────────┐     └────────────────────────┘
//! │ difference rows                │     event log (what is left)
//! └────────────────────────────────┘     footer
//! event log · footer
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::format::count_or_num;
use super::{Fit, panels};
use crate::sim::{SimTime, Snapshot};
use crate::tui::app::{App, Session, fmt_speed};
use crate::tui::compare::{Row, Side, Verdict, behind_advice, signed};

/// Draws the dashboard in compare mode.
pub(super) fn render(app: &App, s: &Session, side: &Side, fit: Fit, area: Rect, buf: &mut Buffer) {
    let full = fit == Fit::Full;
    let (left, right) = (&s.snapshot, &side.snapshot);
    let gauge_h = left.gauges.len().max(right.gauges.len()).max(1) as u16 + 2;
    let spark_h = if full {
        left.sparklines.len().max(right.sparklines.len()) as u16 + 2
    } else {
        0
    };
    let rows = side.rows(&s.launch.meta.kind);
    let notes = notes(app, s, side);
    let caption_h = panels::caption_rows(s, area.width)
        .len()
        .clamp(1, if full { panels::CAPTION_ROWS } else { 1 }) as u16;
    let fixed = 3 + caption_h + gauge_h + spark_h;
    let wanted_strip = (rows.len().max(1) + notes.len() + 1) as u16 + 2;
    let strip_h = wanted_strip.min(area.height.saturating_sub(fixed));
    let [header, status, caption, halves, strip, log, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(caption_h),
        Constraint::Length(gauge_h + spark_h),
        Constraint::Length(strip_h),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    panels::header(app, s, header, buf);
    panels::status(app, s, status, buf);
    panels::caption(app, s, caption, buf);
    let [l, r] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(halves);
    let policy = left.policy.as_str();
    half(app, left, &format!("left · {policy}"), gauge_h, l, buf);
    half(
        app,
        right,
        &format!("right · {}", side.policy),
        gauge_h,
        r,
        buf,
    );
    render_strip(app, s, side, &rows, &notes, strip, buf);
    if log.height >= 3 {
        panels::log(app, s, log, buf);
    }
    panels::footer(app, footer, buf);
}

/// One side: its gauges, and below them its trends when there is room.
fn half(app: &App, snap: &Snapshot, name: &str, gauge_h: u16, area: Rect, buf: &mut Buffer) {
    let [g, t] = Layout::vertical([Constraint::Length(gauge_h), Constraint::Min(0)]).areas(area);
    panels::gauges(app, snap, g, buf);
    // The side's name over the gauges' title, so that each half says
    // which policy it runs.
    if g.width > 4 && g.height > 0 {
        let title = format!(" {name} · now ");
        buf.set_stringn(
            g.x + 1,
            g.y,
            &title,
            usize::from(g.width - 2),
            app.theme.title(true),
        );
    }
    if t.height >= 3 {
        panels::sparklines(app, snap, t, buf);
    }
}

/// Lines above the rows: compare falling behind, a change refused.
fn notes(app: &App, s: &Session, side: &Side) -> Vec<Line<'static>> {
    let t = app.theme;
    let mut out = Vec::new();
    let advice = behind_advice(&s.launch.meta.kind);
    let lag = side.lag(&s.sim);
    if lag > SimTime::ZERO {
        out.push(Line::from(Span::styled(
            format!(
                "compare is behind: the right side is at {}, the left at {} · {advice}",
                app.clock(side.sim.now()),
                app.clock(s.sim.now())
            ),
            t.alarm(),
        )));
    } else if app.behind && !app.paused {
        out.push(Line::from(Span::styled(
            format!(
                "compare is behind real time: ×{} achieved of ×{} · {advice}",
                fmt_speed(app.achieved_speed.round().max(0.0)),
                fmt_speed(app.speed)
            ),
            t.alarm(),
        )));
    }
    if let Some(r) = &side.refused {
        out.push(Line::from(Span::styled(r.clone(), t.warn())));
    }
    out
}

fn render_strip(
    app: &App,
    s: &Session,
    side: &Side,
    rows: &[Row],
    notes: &[Line<'static>],
    area: Rect,
    buf: &mut Buffer,
) {
    if area.height < 3 {
        return;
    }
    let t = app.theme;
    let left_policy = s.snapshot.policy.as_str();
    let block = Block::bordered()
        .border_type(t.border_type(false))
        .border_style(t.border(false))
        .title(Span::styled(
            format!(
                " left − right · {left_policy} vs {} · same seed {} ",
                side.policy, s.launch.meta.seed
            ),
            t.title(false),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let longest = s
        .snapshot
        .policy
        .chars()
        .count()
        .max(side.policy.chars().count());
    let value_w = longest.clamp(12, 16);
    let diff_w = 13;
    let verdict_w = Verdict::RightBetter.words().chars().count();
    let label_w = width
        .saturating_sub(2 * (value_w + 1) + 1 + diff_w + 2 + verdict_w)
        .clamp(8, 30);
    let cut = |text: &str, w: usize| -> String {
        if text.chars().count() <= w {
            text.to_string()
        } else {
            let mut s: String = text.chars().take(w.saturating_sub(1)).collect();
            s.push('…');
            s
        }
    };
    let mut lines: Vec<Line> = notes.to_vec();
    lines.push(Line::from(Span::styled(
        format!(
            "{:<label_w$} {:>value_w$} {:>value_w$} {:>diff_w$}",
            "",
            cut(left_policy, value_w),
            cut(&side.policy, value_w),
            "left − right"
        ),
        t.dim(),
    )));
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "this world names no metrics to compare",
            t.dim(),
        )));
    }
    for row in rows {
        let verdict = row.verdict();
        let style = match verdict {
            Verdict::LeftBetter | Verdict::RightBetter => t.text().add_modifier(Modifier::BOLD),
            Verdict::Same | Verdict::Unknown => t.dim(),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{:<label_w$} {:>value_w$} {:>value_w$} ",
                    cut(row.headline.label, label_w),
                    count_or_num(row.left),
                    count_or_num(row.right),
                ),
                t.text(),
            ),
            Span::styled(format!("{:>diff_w$}", signed(row.difference())), style),
            Span::styled(format!("  {}", verdict.words()), style),
        ]));
    }
    Paragraph::new(lines).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use crate::tui::compare::signed;

    #[test]
    fn differences_read_with_their_sign() {
        assert_eq!(signed(-312.0), "−312");
        assert_eq!(signed(312.0), "+312");
        assert_eq!(signed(0.0), "0");
        assert_eq!(signed(f64::NAN), "—");
    }
}
