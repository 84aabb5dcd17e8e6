//! Space-time (Lamport) diagrams of one run, as SVG: a lane per general,
//! time running right, an arrow per message from when it was sent to when
//! it arrived, labelled with its value. Traitors, and every message they
//! send, are red; a frame the link changed, spoofed or replayed is purple
//! and says so; a dropped frame ends in a cross; a late frame (after its
//! round's deadline, so ignored) is orange; what a traitor withheld under OM
//! is listed at its lane; each general's decision is written at the end of
//! its lane. A run of more than [`MAX_ARROWS`] transmissions (messages,
//! and a stubborn link's resends) gets one summary per round instead of
//! arrows, and its title says so.
//!
//! `byzlab run ... --diagram FILE.svg`, `byzlab replay W.json --diagram
//! FILE.svg`, and one beside every witness a sweep writes.

use crate::link::LinkAction;
use crate::runtime::RunReport;
use crate::runtime::network::{TraceEntry, TraceSink};
use crate::timing::Millis;
use crate::types::{COMMANDER, GeneralId, Outcome};
use plotters::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Written into every diagram (an SVG comment), so that `--diagram` can
/// tell a diagram it may replace from a file it must not.
pub const MARK: &str = "byzlab space-time diagram";

/// Above this many messages, a diagram shows per-round summaries.
pub const MAX_ARROWS: usize = 300;

const TRAITOR: RGBColor = RGBColor(200, 30, 30);
const LOYAL: RGBColor = RGBColor(40, 40, 40);
const LATE: RGBColor = RGBColor(230, 130, 0);
const DROPPED: RGBColor = RGBColor(150, 150, 150);
const ALTERED: RGBColor = RGBColor(120, 60, 170);

/// A diagram that could not be drawn (the run needs a trace).
#[derive(Debug, thiserror::Error)]
#[error("diagram {file}: {message}")]
pub struct DiagramError {
    /// The file.
    pub file: String,
    /// What failed.
    pub message: String,
}

/// What a diagram needs of a run's trace, gathered a line at a time as the
/// run goes (so a trace of millions of messages is never held): the lines
/// themselves while there are at most [`MAX_ARROWS`] (an arrow each),
/// counts per round always, and whom each traitor sent to in each round
/// (to mark what it withheld).
#[derive(Debug, Default)]
pub struct Sketch {
    traitors: BTreeSet<GeneralId>,
    arrows: Vec<TraceEntry>,
    lines: u64,
    t_max: Millis,
    /// round -> (transmissions, from traitors, dropped, late)
    rounds: BTreeMap<u32, (u64, u64, u64, u64)>,
    /// (traitor, round, receiver) of every traitor's transmission.
    heard: BTreeSet<(GeneralId, u32, GeneralId)>,
}

impl Sketch {
    /// An empty sketch of a run with these traitors.
    pub fn new(traitors: &[GeneralId]) -> Sketch {
        Sketch {
            traitors: traitors.iter().copied().collect(),
            ..Sketch::default()
        }
    }

    /// The sketch of a run whose report kept its trace.
    pub fn of(report: &RunReport) -> Sketch {
        let mut s = Sketch::new(&report.outcome.traitors);
        for e in &report.trace {
            s.add(e.clone());
        }
        s
    }

    /// One line of the trace.
    pub fn add(&mut self, e: TraceEntry) {
        self.lines += 1;
        self.t_max = self.t_max.max(e.t);
        let c = self.rounds.entry(e.round).or_default();
        c.0 += 1;
        c.1 += u64::from(self.traitors.contains(&e.from));
        c.2 += u64::from(matches!(e.link, LinkAction::Dropped | LinkAction::Lost));
        c.3 += u64::from(e.late);
        if self.traitors.contains(&e.from) {
            self.heard.insert((e.from, e.round, e.to));
        }
        if self.lines <= MAX_ARROWS as u64 {
            self.arrows.push(e);
        } else if !self.arrows.is_empty() {
            // Too many to draw one by one: the summaries take over.
            self.arrows = Vec::new();
        }
    }

    /// Whether the diagram shows summaries per round instead of arrows.
    fn summarised(&self) -> bool {
        self.lines > MAX_ARROWS as u64
    }
}

/// A sketch a run fills as it goes (its trace sink) while the caller keeps
/// a handle to draw it after.
#[derive(Clone, Debug, Default)]
pub struct SharedSketch(Arc<Mutex<Sketch>>);

impl SharedSketch {
    /// An empty sketch of a run with these traitors.
    pub fn new(traitors: &[GeneralId]) -> SharedSketch {
        SharedSketch(Arc::new(Mutex::new(Sketch::new(traitors))))
    }

    /// The sketch so far.
    pub fn take(&self) -> Sketch {
        self.0.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default()
    }
}

impl TraceSink for SharedSketch {
    fn push(&mut self, entry: TraceEntry) {
        if let Ok(mut s) = self.0.lock() {
            s.add(entry);
        }
    }
}

/// Draws `report` (a run with its trace kept) into `path`.
pub fn draw(path: &Path, report: &RunReport) -> Result<(), DiagramError> {
    draw_sketch(path, &report.outcome, &Sketch::of(report))
}

/// Draws the run of `outcome`, its trace sketched in `sketch`, into `path`.
pub fn draw_sketch(path: &Path, outcome: &Outcome, sketch: &Sketch) -> Result<(), DiagramError> {
    let fail = |message: String| DiagramError {
        file: path.display().to_string(),
        message,
    };
    if sketch.lines == 0 && outcome.counters.messages > 0 {
        return Err(fail("the run has no trace (run it with --trace)".into()));
    }
    let mut svg = String::new();
    render(&mut svg, outcome, sketch).map_err(|e| fail(e.to_string()))?;
    // The mark after the opening tag; then written crash-safely, every
    // failure an error (a full disk, a folder that is not there).
    let at = svg.find('>').map_or(0, |i| i + 1);
    svg.insert_str(at, &format!("\n<!-- {MARK} -->"));
    crate::files::write_atomic(path, svg).map_err(|e| fail(e.to_string()))
}

fn render(out: &mut String, o: &Outcome, sketch: &Sketch) -> Result<(), Box<dyn std::error::Error>> {
    let n = o.n;
    let traitors: BTreeSet<GeneralId> = o.traitors.iter().copied().collect();
    let rounds = o.rounds;
    let round_len = o.timeout_ms.max(1) as f64;
    let t_end = sketch.t_max.max(u64::from(rounds) * o.timeout_ms) as f64;
    let summary = sketch.summarised();
    let (width, height) = (1100u32, 110 + 56 * n as u32);
    let root = SVGBackend::with_string(out, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let verdict = |ok: bool| if ok { "holds" } else { "VIOLATED" };
    let ic2 = if o.commander_loyal {
        format!("IC2 {}", verdict(o.validity))
    } else {
        "IC2 n/a (traitor commander)".into()
    };
    let who = if o.traitors.is_empty() {
        "no traitor".to_string()
    } else {
        let ids: Vec<String> = o.traitors.iter().map(|t| t.to_string()).collect();
        format!("traitors {} ({})", ids.join(","), o.strategy)
    };
    let mut title = format!(
        "{} n={}, {who}, link {}: IC1 {}, {ic2}",
        o.algorithm.label(&o.m.to_string()),
        n,
        o.link,
        verdict(o.agreement)
    );
    if summary {
        title += &format!("  [{} messages sent: one summary per round]", sketch.lines);
    }
    // Lane of general g: the commander on top.
    let lane = |g: GeneralId| (n - 1 - g as usize) as f64;
    let x_end = t_end + round_len * 0.9;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 15))
        .margin(14)
        .x_label_area_size(34)
        .y_label_area_size(130)
        .build_cartesian_2d(-round_len * 0.05..x_end, -0.6..n as f64 - 0.4)?;
    let general_label = |g: GeneralId| {
        let role = if g == COMMANDER { "commander" } else { "lieutenant" };
        let traitor = if traitors.contains(&g) { ", traitor" } else { "" };
        format!("{g} {role}{traitor}")
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("virtual time (ms)")
        .y_labels(2 * n + 1)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() > 1e-6 || i < 0.0 || i as usize >= n {
                return String::new();
            }
            general_label((n - 1 - i as usize) as GeneralId)
        })
        .draw()?;
    // Lanes and round deadlines.
    for g in 0..n as GeneralId {
        let colour = if traitors.contains(&g) {
            TRAITOR
        } else {
            RGBColor(150, 150, 150)
        };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, lane(g)), (t_end, lane(g))],
            colour.stroke_width(if traitors.contains(&g) { 2 } else { 1 }),
        )))?;
    }
    for r in 1..=rounds {
        let x = f64::from(r) * round_len;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, -0.5), (x, n as f64 - 0.5)],
            RGBColor(200, 200, 230).stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("end of round {r}"),
            (x - round_len * 0.3, n as f64 - 0.55),
            ("sans-serif", 10),
        )))?;
    }
    if summary {
        per_round(&mut chart, o, sketch, round_len)?;
    } else {
        arrows(&mut chart, &sketch.arrows, &traitors, &lane)?;
    }
    // Withheld (unsigned algorithms, where an honest general sends every
    // receiver of a round a value): a traitor's sending round in which a
    // receiver got nothing from it at all.
    if !o.algorithm.signed() {
        for &t in &traitors {
            for r in 1..=rounds {
                let expected = o.algorithm.recipients(n, o.m, t, r);
                let missing: Vec<String> = expected
                    .iter()
                    .filter(|&&x| !sketch.heard.contains(&(t, r, x)))
                    .map(|x| x.to_string())
                    .collect();
                if !missing.is_empty() {
                    let x = f64::from(r - 1) * round_len + round_len * 0.05;
                    chart.draw_series(std::iter::once(Text::new(
                        format!("withheld from {}", missing.join(",")),
                        (x, lane(t) + 0.3),
                        ("sans-serif", 10).into_font().color(&TRAITOR),
                    )))?;
                }
            }
        }
    }
    // Decisions at the end of each lane.
    for g in 0..n as GeneralId {
        let text = if let Some(v) = o.decisions.get(&g) {
            format!("decides {v}")
        } else if g == COMMANDER && o.commander_loyal {
            format!("orders {}", o.value)
        } else if traitors.contains(&g) {
            "traitor".into()
        } else {
            "failed".into()
        };
        let colour = if traitors.contains(&g) { TRAITOR } else { LOYAL };
        chart.draw_series(std::iter::once(Text::new(
            text,
            (t_end + round_len * 0.08, lane(g) + 0.1),
            ("sans-serif", 12).into_font().color(&colour),
        )))?;
    }
    root.present()?;
    Ok(())
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// An arrow per message: sender to receiver, value at the head.
fn arrows(
    chart: &mut Chart<'_, '_>,
    trace: &[TraceEntry],
    traitors: &BTreeSet<GeneralId>,
    lane: &dyn Fn(GeneralId) -> f64,
) -> Result<(), Box<dyn std::error::Error>> {
    for e in trace {
        let (x0, y0) = (e.sent as f64, lane(e.from));
        let dropped = matches!(e.link, LinkAction::Dropped | LinkAction::Lost);
        let altered = matches!(
            e.link,
            LinkAction::Tampered | LinkAction::Spoofed | LinkAction::Replayed
        );
        let colour = if dropped {
            DROPPED
        } else if altered {
            ALTERED
        } else if e.late {
            LATE
        } else if traitors.contains(&e.from) {
            TRAITOR
        } else {
            LOYAL
        };
        let value = e
            .value
            .map_or("?", |v| if v == crate::types::Value::Attack { "A" } else { "R" });
        if dropped {
            // Half way, then a cross: the frame never arrived.
            let (x1, y1) = (
                x0 + (e.t.max(e.sent + 1) - e.sent) as f64 * 0.5 + 2.0,
                (y0 + lane(e.to)) / 2.0,
            );
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x0, y0), (x1, y1)],
                colour.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("x dropped ({value})"),
                (x1, y1),
                ("sans-serif", 10).into_font().color(&colour),
            )))?;
            continue;
        }
        let (x1, y1) = (e.t as f64, lane(e.to));
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, y0), (x1, y1)],
            colour.stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Circle::new((x1, y1), 3, colour.filled())))?;
        let label = match (e.link, e.claimed) {
            (LinkAction::Spoofed, Some(c)) => format!("{value} spoofed as {c}"),
            (LinkAction::Tampered, _) => format!("{value} tampered"),
            (LinkAction::Replayed, _) => "replayed".to_string(),
            _ if e.late => format!("{value} late"),
            _ => value.to_string(),
        };
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x0 + (x1 - x0) * 0.8, y0 + (y1 - y0) * 0.8),
            ("sans-serif", 10).into_font().color(&colour),
        )))?;
    }
    Ok(())
}

/// One line of counts per round, where the arrows would be.
fn per_round(
    chart: &mut Chart<'_, '_>,
    o: &Outcome,
    sketch: &Sketch,
    round_len: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = o.n as f64;
    for (&r, &(all, bad, dropped, late)) in &sketch.rounds {
        let x = f64::from(r - 1) * round_len + round_len * 0.05;
        for (k, line) in [
            format!("round {r}:"),
            format!("{all} messages"),
            format!("{bad} from traitors"),
            format!("{dropped} dropped, {late} late"),
        ]
        .into_iter()
        .enumerate()
        {
            chart.draw_series(std::iter::once(Text::new(
                line,
                (x, n / 2.0 - k as f64 * 0.35),
                ("sans-serif", 12)
                    .into_font()
                    .color(if k == 2 { &TRAITOR } else { &LOYAL }),
            )))?;
        }
    }
    Ok(())
}
