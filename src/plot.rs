//! SVG plots of sweeps, runs and experiments (plotters' SVG backend; text
//! is left to the SVG viewer's fonts, so nothing here reads system fonts).
//!
//! - a sweep: a metric against a varied parameter, one line per policy
//!   (and per value of the other axes), 95 % bands, the closed form dashed;
//! - a run: a metric over simulated time on the story clock, the faults
//!   in force shaded;
//! - an experiment: control and treatment side by side for each probe,
//!   with their 95 % intervals and the probe's bound.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::prelude::*;

use crate::experiment::Journal;
use crate::report::RunError;
use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::sweep::Sweep;

/// Plot size in pixels.
pub const SIZE: (u32, u32) = (960, 560);
/// Samples a run plot takes over the run.
pub const RUN_SAMPLES: usize = 480;

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// The unit a metric or parameter name carries (units are in names).
#[must_use]
pub fn unit_of(name: &str) -> &'static str {
    let suffixes: [(&str, &str); 10] = [
        ("_per_s", "per s"),
        ("_per_min", "per min"),
        ("_per_h", "per h"),
        ("_ms", "ms"),
        ("_s", "s"),
        ("_min", "min"),
        ("_inr", "₹"),
        ("probability", "share, 0–1"),
        ("utilisation", "share, 0–1"),
        ("_rate", "share, 0–1"),
    ];
    suffixes
        .iter()
        .find(|(s, _)| name.ends_with(s))
        .map_or("count", |(_, u)| u)
}

/// Why a plot was not drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("a sweep plot needs a --vary axis for its x axis")]
    NoAxis,
    #[error("the sweep has no metric `{metric}`; it has: {has}")]
    NoSweepMetric { metric: String, has: String },
    #[error("the {world} world reports no metric `{metric}`; it reports: {has}")]
    NoMetric {
        world: &'static str,
        metric: String,
        has: String,
    },
    #[error("the experiment ran no stage")]
    NoStage,
    #[error("`{key}` = `{value}` is not a number to plot")]
    NotANumber { key: String, value: String },
    /// The drawing library failed.
    #[error("cannot draw the plot: {0}")]
    Draw(String),
    /// The run behind the plot failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

fn err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// A line to draw: `(x, y, 95 % half-width)` points.
struct Line {
    name: String,
    points: Vec<(f64, f64, Option<f64>)>,
    dashed: bool,
    colour: RGBColor,
}

fn bounds(lines: &[Line]) -> ((f64, f64), (f64, f64)) {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for l in lines {
        for &(px, py, h) in &l.points {
            let h = h.unwrap_or(0.0);
            x = (x.0.min(px), x.1.max(px));
            y = (y.0.min(py - h), y.1.max(py + h));
        }
    }
    if !x.0.is_finite() {
        x = (0.0, 1.0);
    }
    if !y.0.is_finite() {
        y = (0.0, 1.0);
    }
    if x.1 <= x.0 {
        x.1 = x.0 + 1.0;
    }
    let pad = ((y.1 - y.0) * 0.08).max(1e-9);
    let y0 = if y.0 >= 0.0 { 0.0 } else { y.0 - pad };
    (x, (y0, y.1 + pad))
}

/// Draws lines (bands under those with half-widths), shaded spans and a
/// legend; `x_fmt` labels the x axis.
fn draw_lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    spans: &[(f64, f64, String)],
    x_fmt: &dyn Fn(&f64) -> String,
) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let ((x0, x1), (y0, y1)) = bounds(lines);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(x_fmt)
            .draw()
            .map_err(err)?;
        for (i, (a, b, name)) in spans.iter().enumerate() {
            let shade = RGBColor(200, 30, 30).mix(0.12);
            let s = chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a.max(x0), y0), (b.min(x1), y1)],
                    shade.filled(),
                )))
                .map_err(err)?;
            if i == 0 || spans[..i].iter().all(|(_, _, n)| n != name) {
                s.label(format!("fault: {name}")).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], shade.filled())
                });
            }
        }
        for l in lines {
            let c = l.colour;
            if l.points.iter().any(|p| p.2.is_some()) {
                let mut poly: Vec<(f64, f64)> = l
                    .points
                    .iter()
                    .map(|&(x, y, h)| (x, y + h.unwrap_or(0.0)))
                    .collect();
                poly.extend(
                    l.points
                        .iter()
                        .rev()
                        .map(|&(x, y, h)| (x, y - h.unwrap_or(0.0))),
                );
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                    .map_err(err)?;
            }
            let pts: Vec<(f64, f64)> = l.points.iter().map(|&(x, y, _)| (x, y)).collect();
            let style = c.stroke_width(2);
            let drawn = if l.dashed {
                chart
                    .draw_series(DashedLineSeries::new(pts, 8, 5, style))
                    .map_err(err)?
            } else {
                chart
                    .draw_series(LineSeries::new(pts, style))
                    .map_err(err)?
            };
            let dashed = l.dashed;
            drawn.label(l.name.clone()).legend(move |(x, y)| {
                if dashed {
                    PathElement::new(vec![(x, y), (x + 6, y)], c.stroke_width(2))
                } else {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                }
            });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A sweep's `metric` against its first varied parameter.
pub fn sweep(s: &Sweep, metric: &str) -> Result<String, PlotError> {
    let Some(axis) = s.spec.vary.first() else {
        return Err(PlotError::NoAxis);
    };
    if !s.rows.iter().any(|r| r.mean.contains_key(metric)) {
        let names: Vec<&String> = s
            .rows
            .first()
            .map(|r| r.mean.keys().collect())
            .unwrap_or_default();
        return Err(PlotError::NoSweepMetric {
            metric: metric.to_string(),
            has: names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    // One line per policy and values of the other axes.
    let mut series: BTreeMap<String, Vec<(f64, f64, Option<f64>)>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for r in &s.rows {
        let x: f64 = r.params[0].1.parse().map_err(|_| PlotError::NotANumber {
            key: axis.key.clone(),
            value: r.params[0].1.clone(),
        })?;
        let mut name = r.policy.clone();
        for (k, v) in &r.params[1..] {
            let _ = write!(name, ", {k}={v}");
        }
        if let Some(Some(y)) = r.mean.get(metric) {
            let h = r.ci95.get(metric).copied().flatten();
            if !series.contains_key(&name) {
                order.push(name.clone());
            }
            series.entry(name).or_default().push((x, *y, h));
        }
    }
    let mut lines: Vec<Line> = order
        .iter()
        .enumerate()
        .map(|(i, n)| Line {
            name: format!("{n} (simulated, 95 % band)"),
            points: series.remove(n).unwrap_or_default(),
            dashed: false,
            colour: colour(i),
        })
        .collect();
    let mut cf: Vec<(f64, f64, Option<f64>)> = s
        .rows
        .iter()
        .filter_map(|r| {
            let x: f64 = r.params[0].1.parse().ok()?;
            let c = r.closed_form.get(metric).copied().flatten()?;
            Some((x, c, None))
        })
        .collect();
    cf.sort_by(|a, b| a.0.total_cmp(&b.0));
    cf.dedup_by(|a, b| a.0 == b.0);
    if !cf.is_empty() {
        lines.push(Line {
            name: "closed form".into(),
            points: cf,
            dashed: true,
            colour: RGBColor(0, 0, 0),
        });
    }
    let title = format!(
        "{} — {metric} against {} ({} replications per point)",
        s.spec.scenario, axis.key, s.spec.replications
    );
    draw_lines(
        &title,
        &format!("{} ({})", axis.key, unit_of(&axis.key)),
        &format!("{metric} ({})", unit_of(metric)),
        &lines,
        &[],
        &|x| format!("{x}"),
    )
}

/// `HH:MM` on the story clock for simulated second `t`.
fn clock(origin: u32, t: f64) -> String {
    let s = (u64::from(origin) + t.max(0.0) as u64) % 86_400;
    format!("{:02}:{:02}", s / 3600, s / 60 % 60)
}

/// One run's `metric` over simulated time, sampled [`RUN_SAMPLES`] times,
/// with the faults in force shaded.
pub fn run(
    s: &Scenario,
    seed: u64,
    policy: Option<&str>,
    duration: f64,
    metric: &str,
) -> Result<String, PlotError> {
    let mut sim = s.simulation(Some(seed), policy).map_err(RunError::from)?;
    if !sim.world().metrics().contains_key(metric) {
        let names: Vec<String> = sim.world().metrics().keys().cloned().collect();
        return Err(PlotError::NoMetric {
            world: s.world.kind(),
            metric: metric.to_string(),
            has: names.join(", "),
        });
    }
    let mut points = Vec::with_capacity(RUN_SAMPLES + 1);
    let mut open: BTreeMap<u64, (f64, String)> = BTreeMap::new();
    let mut spans = Vec::new();
    let v0 = sim
        .world()
        .metrics()
        .get(metric)
        .copied()
        .unwrap_or(f64::NAN);
    points.push((0.0, v0, None));
    for i in 1..=RUN_SAMPLES {
        let t = duration * i as f64 / RUN_SAMPLES as f64;
        sim.run_until(SimTime::from_secs_f64(t))
            .map_err(RunError::from)?;
        let prev = duration * (i - 1) as f64 / RUN_SAMPLES as f64;
        let active = sim.active_faults();
        for (id, f) in active {
            open.entry(*id)
                .or_insert_with(|| (prev, format!("{} on {}", f.kind.name(), f.target)));
        }
        let gone: Vec<u64> = open
            .keys()
            .filter(|id| !active.contains_key(id))
            .copied()
            .collect();
        for id in gone {
            if let Some((a, name)) = open.remove(&id) {
                spans.push((a, t, name));
            }
        }
        if let Some(v) = sim.world().metrics().get(metric)
            && !v.is_nan()
        {
            points.push((t, *v, None));
        }
    }
    for (_, (a, name)) in open {
        spans.push((a, duration, name));
    }
    let origin = s.clock_origin_s();
    let x_desc = match origin {
        Some(_) => "story clock (HH:MM; simulated time)".to_string(),
        None => "simulated time (s)".to_string(),
    };
    let lines = [Line {
        name: metric.to_string(),
        points,
        dashed: false,
        colour: colour(0),
    }];
    let title = format!("{} — {metric} over the run (seed {seed})", s.name);
    let fmt = move |x: &f64| match origin {
        Some(o) => clock(o, *x),
        None => format!("{x:.0}"),
    };
    draw_lines(
        &title,
        &x_desc,
        &format!("{metric} ({})", unit_of(metric)),
        &lines,
        &spans,
        &fmt,
    )
}

/// An experiment's probes at its last stage: control and treatment means
/// side by side with their 95 % intervals, and the bound dashed.
pub fn experiment(j: &Journal) -> Result<String, PlotError> {
    let Some(stage) = j.stages.last() else {
        return Err(PlotError::NoStage);
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let stage_text = stage
            .share
            .map(|s| format!(", stage {} %", s * 100.0))
            .unwrap_or_default();
        let root = root
            .titled(
                &format!(
                    "{} — control vs treatment ({} replications{stage_text}; verdict: {})",
                    j.experiment.name,
                    j.replications,
                    if j.held { "held" } else { "deviated" }
                ),
                ("sans-serif", 18),
            )
            .map_err(err)?;
        let n = stage.probes.len().clamp(1, 6);
        let panels = root.split_evenly((1, n));
        for (p, area) in stage.probes.iter().zip(panels) {
            let groups = [("control", &p.control), ("treatment", &p.treatment)];
            let mut hi: f64 = 0.0;
            let mut lo: f64 = 0.0;
            for (_, s) in &groups {
                let m = s.mean.unwrap_or(0.0);
                let h = s.ci95.unwrap_or(0.0);
                hi = hi.max(m + h);
                lo = lo.min(m - h);
            }
            let probe = j
                .experiment
                .hypothesis
                .iter()
                .find(|q| q.metric == p.metric);
            let bound = probe.and_then(|q| q.at_most.or(q.at_least));
            if let Some(b) = bound {
                hi = hi.max(b);
                lo = lo.min(b);
            }
            if hi <= lo {
                hi = lo + 1.0;
            }
            let pad = (hi - lo) * 0.1;
            let mut chart = ChartBuilder::on(&area)
                .caption(
                    format!(
                        "{} — {}",
                        p.metric,
                        if p.held { "held" } else { "DEVIATED" }
                    ),
                    ("sans-serif", 14),
                )
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(64)
                .build_cartesian_2d(
                    -0.5f64..1.5f64,
                    (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad),
                )
                .map_err(err)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(2)
                .x_label_formatter(&|x| {
                    if *x < 0.5 {
                        "control".to_string()
                    } else {
                        "treatment".to_string()
                    }
                })
                .y_desc(format!("{} ({})", p.metric, unit_of(&p.metric)))
                .draw()
                .map_err(err)?;
            for (i, (name, s)) in groups.iter().enumerate() {
                let x = i as f64;
                let m = s.mean.unwrap_or(0.0);
                let c = colour(i);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.3, 0.0), (x + 0.3, m)],
                        c.mix(0.7).filled(),
                    )))
                    .map_err(err)?
                    .label(format!("{name}: {m:.4}"))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled())
                    });
                if let Some(h) = s.ci95 {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, m - h), (x, m + h)],
                            BLACK.stroke_width(2),
                        )))
                        .map_err(err)?;
                }
            }
            if let Some(b) = bound {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(-0.5, b), (1.5, b)],
                        6,
                        4,
                        RGBColor(200, 0, 0).stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(format!("bound {}", p.bound))
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 14, y)], RGBColor(200, 0, 0))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}
